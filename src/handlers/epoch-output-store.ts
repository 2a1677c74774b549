/**
 * @module Port of ignite/handlers/stores.py `EpochOutputStore`.
 *
 * Deviation: options object. Tensors in the outputs are stored as given: the engine's process function owns them,
 * so keep (or read) them in `outputTransform` if they would otherwise be disposed.
 */

import { Events, type RemovableEventHandle } from '../engine/index.js';
import type { EngineLike } from '../engine/index.js';

/** Options of {@link EpochOutputStore}. */
export interface EpochOutputStoreOptions<T> {
  /** Transforms each `engine.state.output` before it is stored. @defaultValue identity */
  outputTransform?: (output: unknown) => T;
}

/**
 * Stores the (transformed) output of every iteration of the current epoch, e.g. to plot predictions. Beware of
 * memory: everything of one epoch is kept.
 *
 * @example
 * ```ts
 * const store = new EpochOutputStore();
 * store.attach(evaluator, 'output'); // evaluator.state.output becomes the list at EPOCH_COMPLETED
 * trainer.on(Events.EPOCH_COMPLETED, async () => {
 *   await evaluator.run(valData);
 *   console.log(store.data.length); // one entry per batch: [yPred, y]
 * });
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.handlers.stores.EpochOutputStore.html
 */
export class EpochOutputStore<T = unknown> {
  /** The outputs of the current (or last) epoch. */
  data: T[] = [];
  /** The state attribute set at EPOCH_COMPLETED, when attached with a name. */
  name: string | null = null;
  readonly #outputTransform: (output: unknown) => T;

  /**
   * @param options - see {@link EpochOutputStoreOptions}.
   */
  constructor(options: EpochOutputStoreOptions<T> = {}) {
    this.#outputTransform = options.outputTransform ?? ((x: unknown) => x as T);
  }

  /**
   * Empties {@link EpochOutputStore.data}.
   *
   */
  reset(): void {
    this.data = [];
  }

  /**
   * Appends the transformed `engine.state.output`.
   *
   * @param engine - the engine.
   */
  update(engine: EngineLike): void {
    this.data.push(this.#outputTransform(engine.state.output));
  }

  /**
   * Copies the list to `engine.state[name]`.
   *
   * @param engine - the engine.
   */
  store(engine: EngineLike): void {
    if (this.name !== null) engine.state[this.name] = this.data;
  }

  /**
   * Registers `reset` on EPOCH_STARTED and `update` on ITERATION_COMPLETED; with a `name`, also `store` on
   * EPOCH_COMPLETED.
   *
   * @param engine - the engine.
   * @param name - optional state attribute receiving the list at each epoch end.
   * @returns the handles of the registrations.
   */
  attach(engine: EngineLike, name?: string): RemovableEventHandle[] {
    const handles = [
      engine.on(Events.EPOCH_STARTED, () => this.reset()),
      engine.on(Events.ITERATION_COMPLETED, (e: EngineLike) => this.update(e)),
    ];
    if (name !== undefined && name !== '') {
      this.name = name;
      handles.push(engine.on(Events.EPOCH_COMPLETED, (e: EngineLike) => this.store(e)));
    }
    return handles;
  }
}
