/**
 * @module Error classes of kindling. Callers branch on these; everything else throws the built-in `TypeError` (wrong
 * type) or `RangeError` (value out of range). Porting note: Ignite raises Python's `ValueError`/`RuntimeError`; the
 * messages keep Ignite's wording so ported tests can match them.
 */

/**
 * Base class of every error kindling defines. Its `name` is the concrete class name, and `cause` is passed through.
 *
 */
export class KindlingError extends Error {
  /**
   * @param message - what went wrong, what was expected and how to fix it.
   * @param options - standard `ErrorOptions`; `cause` keeps the original error.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * Raised by `Metric.compute()` when the metric cannot be computed yet (for example before any `update()`).
 *
 * @example
 * ```ts
 * const acc = new Accuracy();
 * try { acc.compute(); } catch (e) { if (e instanceof NotComputableError) console.log('no data yet'); }
 * ```
 */
export class NotComputableError extends KindlingError {}

/**
 * Raised when an engine is used in a way its current state does not allow: `run()` while a run is pending,
 * `terminateEpoch()` on STARTED/EPOCH_STARTED, resuming with incompatible arguments.
 *
 * @example
 * ```ts
 * const pending = engine.run(data);
 * await engine.run(data).catch((e: unknown) => { if (e instanceof EngineStateError) console.log(e.message); });
 * await pending;
 * ```
 */
export class EngineStateError extends KindlingError {}

/**
 * Raised when an event is not valid for an engine (not registered, or a filter cannot apply to it).
 *
 */
export class InvalidEventError extends KindlingError {}

/**
 * Raised when a checkpoint cannot be written, read or verified (corrupted, truncated, wrong format).
 *
 * @example
 * ```ts
 * try { await Checkpoint.loadObjects({ toLoad, checkpoint: 'model_3.json' }); }
 * catch (e) { if (e instanceof CheckpointError) console.error(e.message); }
 * ```
 */
export class CheckpointError extends KindlingError {}
