/**
 * @module Port of the `MetricUsage` classes of ignite/metrics/metric.py: each usage names the three events on which
 * a metric is reset (`STARTED`), updated (`ITERATION_COMPLETED`) and written to `state.metrics` (`COMPLETED`).
 * Deviations: none in behaviour; `BatchFiltered` takes the filter options object (`{ every: 2 }`) instead of Python
 * keyword arguments.
 */

import { Events, type EventKey, type FilterOptions } from '../engine/index.js';

/**
 * Base class of all metric usages: the events on which a metric starts, updates and completes.
 *
 * @example
 * ```ts
 * class EveryOtherEpoch extends MetricUsage {
 *   constructor() { super('every_other_epoch', Events.EPOCH_STARTED, Events.EPOCH_COMPLETED({ every: 2 }), Events.ITERATION_COMPLETED); }
 * }
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.metric.MetricUsage.html
 */
export class MetricUsage {
  /**
   * @param usageName - identifier string (Ignite's `usage_name`, e.g. `'epoch_wise'`).
   * @param STARTED - event on which the metric is reset.
   * @param COMPLETED - event on which the metric is computed into `state.metrics`.
   * @param ITERATION_COMPLETED - event on which the metric is updated with the engine's output.
   */
  constructor(
    readonly usageName: string,
    readonly STARTED: EventKey,
    readonly COMPLETED: EventKey,
    readonly ITERATION_COMPLETED: EventKey,
  ) {}
}

/**
 * Default usage: reset on EPOCH_STARTED, update on ITERATION_COMPLETED, compute on EPOCH_COMPLETED.
 *
 * @see https://pytorch.org/ignite/generated/ignite.metrics.metric.EpochWise.html
 */
export class EpochWise extends MetricUsage {
  /** Ignite's `usage_name`. */
  static readonly usageName: string = 'epoch_wise';
  constructor() {
    super(EpochWise.usageName, Events.EPOCH_STARTED, Events.EPOCH_COMPLETED, Events.ITERATION_COMPLETED);
  }
}

/**
 * Running epoch-wise usage: reset on STARTED, update and compute on EPOCH_COMPLETED.
 *
 * @see https://pytorch.org/ignite/generated/ignite.metrics.metric.RunningEpochWise.html
 */
export class RunningEpochWise extends EpochWise {
  /** Ignite's `usage_name`. */
  static override readonly usageName: string = 'running_epoch_wise';
  constructor() {
    super();
    // Like Ignite, a subclass of EpochWise (RunningAverage checks `instanceof EpochWise`) that names other events.
    Object.assign(this, {
      usageName: RunningEpochWise.usageName,
      STARTED: Events.STARTED,
      ITERATION_COMPLETED: Events.EPOCH_COMPLETED,
    });
  }
}

/**
 * Batch-wise usage: reset on ITERATION_STARTED, update and compute on ITERATION_COMPLETED.
 *
 * @see https://pytorch.org/ignite/generated/ignite.metrics.metric.BatchWise.html
 */
export class BatchWise extends MetricUsage {
  /** Ignite's `usage_name`. */
  static readonly usageName: string = 'batch_wise';
  constructor() {
    super(BatchWise.usageName, Events.ITERATION_STARTED, Events.ITERATION_COMPLETED, Events.ITERATION_COMPLETED);
  }
}

/**
 * Running batch-wise usage: reset on STARTED, update and compute on every ITERATION_COMPLETED.
 *
 * @see https://pytorch.org/ignite/generated/ignite.metrics.metric.RunningBatchWise.html
 */
export class RunningBatchWise extends BatchWise {
  /** Ignite's `usage_name`. */
  static override readonly usageName: string = 'running_batch_wise';
  constructor() {
    super();
    // A subclass of BatchWise, as in Ignite, that names another STARTED event.
    Object.assign(this, { usageName: RunningBatchWise.usageName, STARTED: Events.STARTED });
  }
}

/**
 * Running batch-wise usage within one epoch: reset on EPOCH_STARTED, update and compute on ITERATION_COMPLETED.
 *
 * @see https://pytorch.org/ignite/generated/ignite.metrics.metric.SingleEpochRunningBatchWise.html
 */
export class SingleEpochRunningBatchWise extends BatchWise {
  /** Ignite's `usage_name`. */
  static override readonly usageName: string = 'single_epoch_running_batch_wise';
  constructor() {
    super();
    // A subclass of BatchWise, as in Ignite, that names another STARTED event.
    Object.assign(this, { usageName: SingleEpochRunningBatchWise.usageName, STARTED: Events.EPOCH_STARTED });
  }
}

/**
 * Epoch-wise usage whose updates are filtered: reset on EPOCH_STARTED, update on the filtered
 * ITERATION_COMPLETED, compute on EPOCH_COMPLETED.
 *
 * @see https://pytorch.org/ignite/generated/ignite.metrics.metric.BatchFiltered.html
 */
export class BatchFiltered extends MetricUsage {
  /** Identifier of this usage (Ignite defines none; ours is descriptive). */
  static readonly usageName: string = 'batch_filtered';
  /**
   * @param filter - the ITERATION_COMPLETED filter (`{ every }`, `{ once }`, `{ before, after }` or `{ filter }`).
   */
  constructor(filter: FilterOptions) {
    super(BatchFiltered.usageName, Events.EPOCH_STARTED, Events.EPOCH_COMPLETED, Events.ITERATION_COMPLETED(filter));
  }
}

/**
 * A usage given as an object or as one of Ignite's usage names.
 *
 */
export type UsageLike =
  | MetricUsage
  | 'epoch_wise'
  | 'running_epoch_wise'
  | 'batch_wise'
  | 'running_batch_wise'
  | 'single_epoch_running_batch_wise';

const BY_NAME: Record<string, () => MetricUsage> = {
  epoch_wise: () => new EpochWise(),
  running_epoch_wise: () => new RunningEpochWise(),
  batch_wise: () => new BatchWise(),
  running_batch_wise: () => new RunningBatchWise(),
  single_epoch_running_batch_wise: () => new SingleEpochRunningBatchWise(),
};

/**
 * Resolves a usage name or object to a {@link MetricUsage} (Ignite's `Metric._check_usage`).
 *
 * @param usage - a usage object or name.
 * @returns the usage object.
 * @throws RangeError for an unknown name; TypeError for anything else.
 */
export function resolveUsage(usage: unknown): MetricUsage {
  if (usage instanceof MetricUsage) return usage;
  if (typeof usage === 'string') {
    const make = BY_NAME[usage];
    if (make) return make();
    throw new RangeError(
      "Argument usage should be '(Running)EpochWise.usageName' or '((SingleEpoch)Running)BatchWise.usageName' " +
        `(one of ${Object.keys(BY_NAME).join(', ')}), got ${usage}`,
    );
  }
  throw new TypeError(`Unhandled usage type ${typeof usage}: pass a MetricUsage instance or a usage name string.`);
}
