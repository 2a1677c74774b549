/**
 * @module Port of ignite/handlers/param_scheduler.py `create_lr_scheduler_with_warmup`.
 *
 * Deviations:
 * - Only kindling schedulers are accepted (there are no torch LR schedulers to wrap), so the torch branch is absent.
 * - Fix of pytorch/ignite#2441 / #2462: creating the scheduler sets the target to `warmupStartValue` right away.
 *   In Ignite the optimizer keeps its constructor learning rate until the first event, so the first iteration (or
 *   epoch, when attached to a `*_COMPLETED` event) trains at the post-warm-up rate instead of the warm-up start.
 */

import { ParamScheduler, type SchedulerOptions } from './base.js';
import { ConcatScheduler } from './concat.js';
import { PiecewiseLinear, type Milestone } from './piecewise-linear.js';

/** Options of {@link createLrSchedulerWithWarmup}. */
export interface WarmupOptions extends SchedulerOptions {
  /** Learning rate at the first warm-up event. */
  warmupStartValue: number;
  /** Number of warm-up events, at least 2. */
  warmupDuration: number;
  /** Learning rate at the last warm-up event. @defaultValue the target's current value (the optimizer's lr) */
  warmupEndValue?: number;
  /** When given, filled in place with `[eventIndex, value]` pairs for its length (Ignite's `output_simulated_values`). */
  outputSimulatedValues?: unknown[];
}

/**
 * Prepends a linear warm-up to a learning-rate scheduler.
 *
 * @remarks
 * The warm-up goes linearly from `warmupStartValue` (event 0) to `warmupEndValue` (event `warmupDuration - 1`), then
 * `lrScheduler` takes over with its own first value. When that first value equals `warmupEndValue` the warm-up is
 * shortened by one event so the value is not repeated (the scheduler's first value ends the warm-up); otherwise the
 * warm-up ends exactly at `warmupEndValue` and the scheduler's first value comes next. Attach the result to
 * `Events.ITERATION_STARTED` so that iteration `k` trains with the value of event `k - 1`.
 * @param lrScheduler - the scheduler to run after the warm-up.
 * @param options - warm-up options.
 * @returns a {@link ConcatScheduler} of the warm-up and `lrScheduler`.
 * @throws TypeError when `lrScheduler` is not a {@link ParamScheduler} or `warmupDuration` not an integer.
 * @throws RangeError when `warmupDuration < 2`.
 * @example
 * ```ts
 * const optimizer = tf.train.sgd(0.1);
 * const cosine = new CosineAnnealingScheduler(optimizer, 'lr', { startValue: 0.1, endValue: 0.001, cycleSize: 100 });
 * const scheduler = createLrSchedulerWithWarmup(cosine, { warmupStartValue: 0, warmupDuration: 10 });
 * scheduler.attach(trainer); // 0, 0.0111, ..., 0.0889, then 0.1 (cosine's first value), ...
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.handlers.param_scheduler.create_lr_scheduler_with_warmup.html
 */
export function createLrSchedulerWithWarmup(lrScheduler: ParamScheduler, options: WarmupOptions): ConcatScheduler {
  if (!(lrScheduler instanceof ParamScheduler)) {
    throw new TypeError(`Argument lrScheduler should be a ParamScheduler, but given ${typeof lrScheduler}`);
  }
  const { warmupStartValue, warmupDuration, saveHistory = false, outputSimulatedValues } = options;
  if (typeof warmupDuration !== 'number' || !Number.isInteger(warmupDuration)) {
    throw new TypeError(`Argument warmupDuration should be integer, but given ${String(warmupDuration)}`);
  }
  if (!(warmupDuration > 1)) {
    throw new RangeError(`Argument warmupDuration should be at least 2 events, but given ${warmupDuration}`);
  }
  const target = lrScheduler.target;
  const warmupEndValue = options.warmupEndValue ?? target.get();
  const milestones: Milestone[] = [
    [0, warmupStartValue],
    [warmupDuration - 1, warmupEndValue],
  ];
  if (lrScheduler.getParam() === warmupEndValue) {
    if (warmupDuration > 2) {
      const d = (warmupEndValue - warmupStartValue) / (warmupDuration - 1);
      milestones[1] = [warmupDuration - 2, warmupEndValue - d];
    } else {
      milestones.pop();
    }
  }
  const warmup = new PiecewiseLinear(target, lrScheduler.paramName, { milestonesValues: milestones, saveHistory });
  const durations = [(milestones[milestones.length - 1] as Milestone)[0] + 1];
  const schedulers = [warmup, lrScheduler];
  const combined = new ConcatScheduler(schedulers, durations, { saveHistory });
  target.set(warmupStartValue); // pytorch/ignite#2441
  if (outputSimulatedValues !== undefined) {
    if (!Array.isArray(outputSimulatedValues)) {
      throw new TypeError(
        'Argument outputSimulatedValues should be a list of None, e.g. `[None] * 100`, ' +
          `but given ${typeof outputSimulatedValues}.`,
      );
    }
    const result = ConcatScheduler.simulateValues(outputSimulatedValues.length, { schedulers, durations });
    result.forEach((v, i) => {
      outputSimulatedValues[i] = v;
    });
  }
  return combined;
}
