/**
 * @module Port of ignite/engine/events.py `RemovableEventHandle`.
 * The handle keeps only weak references, so it never keeps an engine or a handler alive.
 */

/** What a handle needs from the engine: removal of exact registrations. */
export interface HandleOwner {
  /** @internal Removes the given registrations if they are still present. */
  removeEntries(entries: readonly object[]): void;
}

const disposeSymbol: typeof Symbol.dispose = Symbol.dispose ?? Symbol.for('Symbol.dispose');

/**
 * Returned by `engine.on()`: removes the registration(s) it was created for. Removing twice is safe, and removing
 * after the engine was garbage-collected does nothing. Supports `using` (TypeScript 5.2+ explicit resource
 * management) to scope a handler to a block.
 *
 * @example
 * ```ts
 * const handle = engine.on(Events.ITERATION_COMPLETED, logLoss);
 * handle.remove();
 * {
 *   using scoped = engine.on(Events.COMPLETED, report);
 *   await engine.run(data);
 * } // removed here
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.engine.events.RemovableEventHandle.html
 */
export class RemovableEventHandle {
  readonly #owner: WeakRef<HandleOwner>;
  readonly #entries: WeakRef<object>[];

  /**
   * @param owner - the engine holding the registrations.
   * @param entries - the registrations to remove.
   */
  constructor(owner: HandleOwner, entries: readonly object[]) {
    this.#owner = new WeakRef(owner);
    this.#entries = entries.map((e) => new WeakRef(e));
  }

  /**
   * Unregisters the handler from every event this handle covers.
   *
   */
  remove(): void {
    const owner = this.#owner.deref();
    if (owner === undefined) return;
    const alive = this.#entries.map((r) => r.deref()).filter((e): e is object => e !== undefined);
    if (alive.length > 0) owner.removeEntries(alive);
  }

  /** Same as {@link RemovableEventHandle.remove}; called by `using`. */
  [disposeSymbol](): void {
    this.remove();
  }
}
