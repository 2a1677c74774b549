/**
 * @module The save-handler contract of checkpoints. Port of `BaseSaveHandler` in ignite/handlers/checkpoint.py.
 * Deviations: `save` and `remove` may be async; any object with the methods is accepted (structural typing); handlers may offer
 * `load(filename)` (used by `Checkpoint.loadObjects` with a filename) and `resolvePath(filename)` (used by
 * `Checkpoint.lastCheckpoint`, e.g. `DiskSaver` returns the full path). Ignite's fallback that retries
 * `save_handler(checkpoint, filename)` on a TypeError is unnecessary in JavaScript: extra arguments are ignored.
 */

/**
 * Metadata passed with every save, exactly Ignite's `{basename, score_name, priority}` in camelCase.
 *
 */
export interface CheckpointMetadata {
  /** File prefix (if any) joined with the checkpoint name, e.g. `best_model`. */
  basename: string;
  /** The score name, or `null` when none was given. */
  scoreName: string | null;
  /** The priority of this checkpoint (score, global step or iteration); higher is better. */
  priority: number;
}

/**
 * Base class of custom checkpoint savers: Ignite's `BaseSaveHandler`. Extend it (or implement it: any object with
 * these methods is accepted, e.g. an object literal).
 *
 * `save` must replace an existing entry with the same filename atomically: `Checkpoint` does not call `remove`
 * before overwriting a filename (so a crash never leaves zero checkpoints).
 *
 * @example
 * ```ts
 * class MemorySaver extends BaseSaveHandler {
 *   readonly store = new Map<string, unknown>();
 *   save(checkpoint: unknown, filename: string): void { this.store.set(filename, checkpoint); }
 *   remove(filename: string): void { this.store.delete(filename); }
 *   override async load(filename: string): Promise<unknown> { return this.store.get(filename); }
 * }
 * new Checkpoint({ toSave: { model }, saveHandler: new MemorySaver(), nSaved: 2 });
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.handlers.checkpoint.BaseSaveHandler.html
 */
export abstract class BaseSaveHandler {
  /** Stores `checkpoint` under `filename`. */
  abstract save(checkpoint: unknown, filename: string, metadata: CheckpointMetadata): Promise<void> | void;
  /** Deletes the checkpoint stored under `filename`. */
  abstract remove(filename: string): Promise<void> | void;
  /** Reads back the checkpoint stored under `filename` (optional). */
  load?(filename: string): Promise<unknown>;
  /** Maps a filename to the location reported by `lastCheckpoint` (optional; e.g. a full path). */
  resolvePath?(filename: string): string;
}

/**
 * A plain function save handler: called with the checkpoint, the filename and the metadata; never removes files.
 *
 */
export type SaveFunction = (checkpoint: unknown, filename: string, metadata: CheckpointMetadata) => Promise<void> | void;

/**
 * What `Checkpoint` accepts as `saveHandler`: a {@link BaseSaveHandler}, an object with only `save`, or a function.
 *
 */
export type SaveHandler = BaseSaveHandler | (Omit<BaseSaveHandler, 'remove'> & Partial<Pick<BaseSaveHandler, 'remove'>>) | SaveFunction;

/**
 * Tells whether a value is a save-handler object (has a `save` method; `remove` is optional).
 *
 * @param value - any value.
 * @returns true for save-handler objects.
 */
export function isBaseSaveHandler(value: unknown): value is Exclude<SaveHandler, SaveFunction> {
  const v = value as Record<string, unknown> | null;
  return v !== null && typeof v === 'object' && typeof v['save'] === 'function';
}
