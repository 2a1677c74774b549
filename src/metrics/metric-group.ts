/**
 * @module Port of ignite/metrics/metric_group.py `MetricGroup`: several metrics updated and computed as one, so a
 * single `attach` registers one handler per event for all of them.
 * Deviations: none in behaviour; each member's own `outputTransform` is applied after the group's, as in Ignite.
 */

import { Metric, type MetricOptions, type MetricStateDict } from './metric.js';

/** What `MetricGroup.stateDict()` returns: the members' states by name. */
export interface MetricGroupStateDict extends MetricStateDict {
  /** Each member's `stateDict()`. */
  members: Record<string, MetricStateDict>;
}

/**
 * A group of metrics computed together: the result is `{ name: value }` and, with the default `metricsResultMode`,
 * every value is also written to `state.metrics[name]`.
 *
 * @example
 * ```ts
 * const group = new MetricGroup({ precision: new Precision(), recall: new Recall() });
 * group.attach(evaluator, 'eval_metrics'); // state.metrics.precision, .recall and .eval_metrics
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.metric_group.MetricGroup.html
 */
export class MetricGroup extends Metric<Record<string, unknown>> {
  /** The members, by result name. */
  readonly metrics: Readonly<Record<string, Metric>>;

  /**
   * @param metrics - the members, by result name.
   * @param options - the group's output transform, applied before each member's own.
   * @throws TypeError when a member is not a `Metric`.
   */
  constructor(metrics: Record<string, Metric>, options: MetricOptions = {}) {
    super(options);
    for (const [name, m] of Object.entries(metrics)) {
      if (!(m instanceof Metric)) throw new TypeError(`Argument metrics should map names to Metric instances; '${name}' is ${typeof m}`);
    }
    this.metrics = { ...metrics };
    this.requiredOutputKeys = null;
  }

  /** Resets every member. */
  reset(): void {
    for (const m of Object.values(this.metrics)) m.reset();
  }

  /**
   * Updates every member with the (group-transformed) output, through the member's own transform.
   *
   * @param output - the output.
   * @returns nothing.
   */
  update(output: unknown): void {
    for (const m of Object.values(this.metrics)) m.updateFromEngineOutput(output);
  }

  /**
   * Computes every member.
   *
   * @returns `{ name: value }`.
   * @throws the first member's error (e.g. {@link NotComputableError}).
   */
  compute(): Record<string, unknown> {
    return Object.fromEntries(Object.entries(this.metrics).map(([k, m]) => [k, m.compute()]));
  }

  /** The group's outputs go to the members unchanged (no `[yPreds[], ys[]]` unrolling at the group level). */
  protected override updateFromOutput(output: unknown): void {
    this.update(output);
  }

  /**
   * Saves every member's state.
   *
   * @returns the members' states by name.
   * @throws TypeError when a member has no serialisable state.
   */
  override stateDict(): MetricGroupStateDict {
    const members = Object.fromEntries(Object.entries(this.metrics).map(([k, m]) => [k, m.stateDict()]));
    return { metric: 'MetricGroup', state: [], extras: {}, members };
  }

  /**
   * Restores every member's state.
   *
   * @param stateDict - saved by {@link MetricGroup.stateDict}.
   * @returns nothing.
   * @throws RangeError when a member is missing from the saved state.
   */
  override loadStateDict(stateDict: MetricStateDict): void {
    const members = (stateDict as Partial<MetricGroupStateDict>).members ?? {};
    for (const [k, m] of Object.entries(this.metrics)) {
      const sd = members[k];
      if (sd === undefined) throw new RangeError(`Argument stateDict has no state for the group member '${k}': saved members are [${Object.keys(members).join(', ')}]`);
      m.loadStateDict(sd);
    }
  }
}
