/**
 * @module Port of `Checkpoint` in ignite/handlers/checkpoint.py: periodic and best-k checkpoints as an engine handler.
 *
 * Deviations:
 * - The handler is async (state capture and saving are async in TF.js); the engine awaits it.
 * - Extension `ckpt` instead of `pt`; integer-valued scores print as integers (see filename.ts).
 * - Crash safety: the new checkpoint is saved *before* the one it replaces is removed, and a filename that is
 *   overwritten is not removed first (Ignite removes, then saves). If saving fails, the list of saved checkpoints and
 *   the files stay as they were. `remove` is called only on save-handler objects, as in Ignite.
 * - `saveHandler` cannot be a directory string in this browser-safe module: pass `new DiskSaver(dir)` from
 *   `kindling/node` (or use `ModelCheckpoint`).
 * - `loadObjects` is async and also accepts a filename together with a handler that has `load(filename)`.
 * - No `save_on_rank` (no distributed support).
 */
import { CheckpointError } from '../../errors.js';
import { CheckpointEvents, type CheckpointEngine, type GlobalStepTransform } from './events.js';
import { CHECKPOINT_EXTENSION, formatPriority, renderFilename, setupFilenamePattern, type FilenameFields } from './filename.js';
import { isBaseSaveHandler, type CheckpointMetadata, type SaveHandler } from './save-handler.js';
import { captureState, checkObjects, restoreState } from './tf-state.js';

/**
 * `(engine) => score`; higher is better.
 *
 */
export type ScoreFunction = (engine: CheckpointEngine) => number | Promise<number>;

/**
 * One saved checkpoint: `[priority, filename]`, Ignite's `Checkpoint.Item`.
 *
 */
export type SavedItem = [priority: number, filename: string];

/**
 * The serialisable state of a {@link Checkpoint}: `{ saved: [[priority, filename], ...] }`.
 *
 */
export interface CheckpointStateDict {
  saved: SavedItem[];
}

/**
 * Options of {@link Checkpoint}.
 *
 */
export interface CheckpointOptions {
  /** Objects to save: engines, models, optimizers, schedulers, anything with `stateDict()`. */
  toSave: Record<string, unknown>;
  /** Where to save: a {@link BaseSaveHandler} (e.g. `DiskSaver`, `IndexedDbSaver`) or a function. */
  saveHandler: SaveHandler;
  /** Prefix of file names. @defaultValue '' */
  filenamePrefix?: string;
  /** Score of the current state; the `nSaved` highest-scoring checkpoints are kept. */
  scoreFunction?: ScoreFunction | null;
  /** Name of the score in file names; alone, it means `scoreFunction = getDefaultScoreFn(scoreName)`. */
  scoreName?: string | null;
  /** How many checkpoints to keep; `null` keeps all. @defaultValue 1 */
  nSaved?: number | null;
  /** `(engine, eventName) => step` used in file names (see {@link globalStepFromEngine}). */
  globalStepTransform?: GlobalStepTransform | null;
  /** Custom filename pattern with `{filename_prefix}`, `{name}`, `{score}`, `{score_name}`, `{global_step}`, `{ext}`. */
  filenamePattern?: string | null;
  /** Also save this checkpointer's own state under the key `checkpointer`. @defaultValue false */
  includeSelf?: boolean;
  /** On equal priority keep the latest checkpoint instead of the first. @defaultValue false */
  greaterOrEqual?: boolean;
}

/**
 * Options of {@link Checkpoint.loadObjects}.
 *
 */
export interface LoadObjectsOptions {
  /** Objects to restore, keyed like the saved `toSave`. */
  toLoad: Record<string, unknown>;
  /** The checkpoint object, or a filename/path read through `handler.load`. */
  checkpoint: unknown;
  /** Needed when `checkpoint` is a string: anything with `load(filename)` (e.g. `DiskSaver`). */
  handler?: { load(filename: string): Promise<unknown> };
}

/**
 * Saves objects (engines, models, optimizers, anything with `stateDict()`) when an event fires, keeping the last
 * `nSaved` checkpoints or the best `nSaved` by score.
 *
 * @remarks
 * File name: `{filename_prefix}_{name}_{suffix}.ckpt`; `name` is the single key of `toSave` or `checkpoint`;
 * the suffix is the iteration by default, else `{global_step}` and/or `{score}` / `{score_name}={score}`.
 * The priority is the score, else the global step, else the iteration. A checkpoint is saved while fewer than
 * `nSaved` exist or when it beats the lowest kept priority (ties keep the first, or the latest with
 * `greaterOrEqual`); the lowest is then removed. `CheckpointEvents.SAVED_CHECKPOINT` fires after each save.
 * @example
 * ```ts
 * import { DiskSaver } from 'kindling/node';
 * const checkpointer = new Checkpoint({ toSave: { trainer, model, optimizer }, saveHandler: new DiskSaver('/tmp/run'),
 *   nSaved: 2 });
 * trainer.on(Events.ITERATION_COMPLETED({ every: 1000 }), checkpointer); // checkpoint_1000.ckpt, checkpoint_2000.ckpt
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.handlers.checkpoint.Checkpoint.html
 */
export class Checkpoint {
  /** The objects saved on each call (replaced per call by `ModelCheckpoint`). */
  toSave: Record<string, unknown>;
  /** The save handler. */
  readonly saveHandler: SaveHandler;
  /** The filename prefix. */
  readonly filenamePrefix: string;
  /** The score function, if any. */
  readonly scoreFunction: ScoreFunction | null;
  /** The score name, if any. */
  readonly scoreName: string | null;
  /** Number of checkpoints kept (`null` = all). */
  readonly nSaved: number | null;
  /** The file extension (`ckpt`). */
  readonly ext: string = CHECKPOINT_EXTENSION;
  /** The global step transform, if any. */
  readonly globalStepTransform: GlobalStepTransform | null;
  /** The custom filename pattern, if any. */
  readonly filenamePattern: string | null;
  /** Whether the checkpointer's own state is saved under `checkpointer`. */
  readonly includeSelf: boolean;
  /** Whether ties keep the latest checkpoint. */
  readonly greaterOrEqual: boolean;
  #saved: SavedItem[] = [];
  #queue: Promise<void> = Promise.resolve();

  /**
   * @param options - see {@link CheckpointOptions}.
   * @throws TypeError for a non-object `toSave`, objects without `stateDict`, a bad `saveHandler` or
   *   `globalStepTransform`; RangeError for a bad `nSaved` or a `checkpointer` key with `includeSelf`.
   */
  constructor(options: CheckpointOptions) {
    const o = options as Partial<CheckpointOptions> | null | undefined;
    if (o === null || typeof o !== 'object') throw new TypeError(`Checkpoint expects an options object, got ${String(o)}`);
    const { toSave, saveHandler } = o;
    if (toSave === null || typeof toSave !== 'object' || Array.isArray(toSave)) {
      throw new TypeError(`Argument \`toSave\` should be a dictionary, but given ${toSave === null ? 'null' : typeof toSave}`);
    }
    checkObjects(toSave, 'stateDict');
    if (o.includeSelf === true && 'checkpointer' in toSave) {
      throw new RangeError(`Cannot have key 'checkpointer' if \`includeSelf\` is true: ${Object.keys(toSave).join(', ')}`);
    }
    if (typeof saveHandler !== 'function' && !isBaseSaveHandler(saveHandler)) {
      throw new TypeError('Argument `saveHandler` should be a callable or an object with save(checkpoint, filename, ' +
        `metadata) (BaseSaveHandler), but given ${typeof saveHandler}. For a directory, pass new DiskSaver(dir) from ` +
        "'kindling/node'.");
    }
    const gst = o.globalStepTransform ?? null;
    if (gst !== null && typeof gst !== 'function') {
      throw new TypeError(`globalStepTransform should be a function, got ${typeof gst} instead.`);
    }
    const nSaved = o.nSaved === undefined ? 1 : o.nSaved;
    if (nSaved !== null && !(Number.isInteger(nSaved) && nSaved > 0)) {
      throw new RangeError(`nSaved must be a positive integer or None, got ${String(nSaved)}`);
    }
    this.toSave = toSave;
    this.saveHandler = saveHandler;
    this.filenamePrefix = o.filenamePrefix ?? '';
    this.scoreName = o.scoreName ?? null;
    this.scoreFunction = o.scoreFunction ?? (this.scoreName !== null ? Checkpoint.getDefaultScoreFn(this.scoreName) : null);
    this.nSaved = nSaved;
    this.globalStepTransform = gst;
    this.filenamePattern = o.filenamePattern ?? null;
    this.includeSelf = o.includeSelf ?? false;
    this.greaterOrEqual = o.greaterOrEqual ?? false;
  }

  /**
   * The location of the last saved checkpoint: its filename, or the handler's `resolvePath(filename)` (the full
   * path with `DiskSaver`); `null` before the first save.
   *
   * @returns the filename or path.
   */
  get lastCheckpoint(): string | null {
    const last = this.#saved.at(-1);
    if (last === undefined) return null;
    const handler = this.saveHandler;
    return typeof handler !== 'function' && typeof handler.resolvePath === 'function' ? handler.resolvePath(last[1]) : last[1];
  }

  /**
   * Forgets the saved checkpoints (files are kept), for independent runs with the same checkpointer.
   *
   */
  reset(): void {
    this.#saved = [];
  }

  /**
   * The event handler: computes the priority and, if it qualifies, saves a checkpoint.
   *
   * @param engine - the engine the handler is attached to.
   * @returns a promise resolved after the save, the removal of the replaced checkpoint and `SAVED_CHECKPOINT`.
   * @throws TypeError when `scoreFunction` does not return a number; {@link CheckpointError} when saving fails.
   */
  handle(engine: CheckpointEngine): Promise<void> {
    const run = this.#queue.then(() => this.#handle(engine));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #handle(engine: CheckpointEngine): Promise<void> {
    if (!engine.hasRegisteredEvents(CheckpointEvents.SAVED_CHECKPOINT)) engine.registerEvents(CheckpointEvents.SAVED_CHECKPOINT);
    let globalStep: number | null = null;
    if (this.globalStepTransform !== null) globalStep = this.globalStepTransform(engine, engine.lastEventName);
    let priority: number;
    if (this.scoreFunction !== null) {
      const score: unknown = await this.scoreFunction(engine);
      if (typeof score !== 'number') throw new TypeError(`Output of scoreFunction should be a number, got ${typeof score}`);
      priority = score;
    } else {
      globalStep ??= engine.state.iteration;
      priority = globalStep;
    }
    if (!(this.#lessThanNSaved() || this.#beatsLowest(priority))) return;
    await this.#save(engine, priority, globalStep);
  }

  async #save(engine: CheckpointEngine, priority: number, globalStep: number | null): Promise<void> {
    const states = await this.#setupCheckpoint();
    const keys = Object.keys(states);
    const name = keys.length === 1 ? (keys[0] ?? 'checkpoint') : 'checkpoint';
    let checkpoint: unknown = keys.length === 1 ? states[name] : states;
    const pattern = this.filenamePattern ?? setupFilenamePattern({
      withPrefix: this.filenamePrefix.length > 0, withScore: this.scoreFunction !== null,
      withScoreName: this.scoreName !== null, withGlobalStep: globalStep !== null,
    });
    const filename = renderFilename(pattern, {
      filename_prefix: this.filenamePrefix, ext: this.ext, name, score_name: this.scoreName,
      score: this.scoreFunction !== null ? formatPriority(priority) : null, global_step: globalStep,
    });
    const metadata: CheckpointMetadata = {
      basename: `${this.filenamePrefix}${this.filenamePrefix.length > 0 ? '_' : ''}${name}`,
      scoreName: this.scoreName, priority,
    };
    const saved = this.#saved.slice();
    let index = saved.findIndex((item) => item[1] === filename);
    const replaced = index >= 0 || !this.#lessThanNSaved();
    if (index < 0) index = 0;
    const removed = replaced ? saved.splice(index, 1)[0] : undefined;
    saved.push([priority, filename]);
    sortStable(saved);
    if (this.includeSelf) checkpoint = withSelf(checkpoint, saved);
    await this.#callSave(checkpoint, filename, metadata);
    this.#saved = saved;
    if (removed !== undefined && removed[1] !== filename) await this.#callRemove(removed[1]);
    await engine.fireEvent(CheckpointEvents.SAVED_CHECKPOINT);
  }

  async #callSave(checkpoint: unknown, filename: string, metadata: CheckpointMetadata): Promise<void> {
    const handler = this.saveHandler;
    if (typeof handler === 'function') await handler(checkpoint, filename, metadata);
    else await handler.save(checkpoint, filename, metadata);
  }

  async #callRemove(filename: string): Promise<void> {
    const handler = this.saveHandler;
    if (typeof handler !== 'function' && typeof handler.remove === 'function') await handler.remove(filename);
  }

  async #setupCheckpoint(): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const [key, obj] of Object.entries(this.toSave)) out[key] = await captureState(obj);
    return out;
  }

  #lessThanNSaved(): boolean {
    return this.nSaved === null || this.#saved.length < this.nSaved;
  }

  #beatsLowest(priority: number): boolean {
    const lowest = this.#saved[0];
    if (lowest === undefined) return true;
    return this.greaterOrEqual ? priority >= lowest[0] : priority > lowest[0];
  }

  /**
   * Returns `{ saved: [[priority, filename], ...] }` (lowest priority first).
   *
   * @returns the state dict.
   */
  stateDict(): CheckpointStateDict {
    return { saved: this.#saved.map(([p, f]) => [p, f]) };
  }

  /**
   * Replaces the list of saved checkpoints, e.g. after resuming, so retention continues where it stopped.
   *
   * @param stateDict - `{ saved: [[priority, filename], ...] }`.
   * @throws TypeError when it is not such an object, with Ignite's wording.
   */
  loadStateDict(stateDict: CheckpointStateDict): void {
    const sd = stateDict as unknown;
    if (sd === null || typeof sd !== 'object' || Array.isArray(sd)) {
      throw new TypeError(`Argument stateDict should be a dictionary, but given ${sd === null ? 'null' : typeof sd}`);
    }
    const saved = (sd as Record<string, unknown>)['saved'];
    if (saved === undefined) {
      throw new TypeError(`Required state attribute 'saved' is absent in provided stateDict '${JSON.stringify(sd)}'`);
    }
    if (!Array.isArray(saved) || !saved.every((it) => Array.isArray(it) && typeof it[0] === 'number' && typeof it[1] === 'string')) {
      throw new TypeError('stateDict.saved should be a list of [priority, filename] pairs');
    }
    this.#saved = (saved as SavedItem[]).map(([p, f]) => [p, f]);
  }

  /**
   * Builds a score function reading `engine.state.metrics[metricName]` times `scoreSign`.
   *
   * @param metricName - the metric to read.
   * @param scoreSign - `1` (higher is better) or `-1` (lower is better, e.g. a loss). @defaultValue 1
   * @returns the score function.
   * @throws RangeError when `scoreSign` is not 1 or -1.
   */
  static getDefaultScoreFn(metricName: string, scoreSign = 1): ScoreFunction {
    if (scoreSign !== 1 && scoreSign !== -1) throw new RangeError('Argument scoreSign should be 1 or -1');
    return (engine) => scoreSign * (engine.state.metrics[metricName] as number);
  }

  /**
   * Ignite's `Checkpoint.setup_filename_pattern`; see {@link setupFilenamePattern}.
   *
   * @param options - which parts to include.
   * @returns the pattern.
   */
  static setupFilenamePattern(options: Parameters<typeof setupFilenamePattern>[0] = {}): string {
    return setupFilenamePattern(options);
  }

  /**
   * Restores objects from a checkpoint this checkpointer saved (Ignite's `reload_objects`): the last one, or the one
   * whose filename the given components render (`{ global_step: 4 }`, `{ score: '0.9100' }`, ...).
   *
   * @param toLoad - objects to restore, keyed like `toSave`.
   * @param filenameComponents - optional filename fields (`name`, `global_step`, `score_name`, `score`) that replace
   *   the defaults of this checkpointer's pattern.
   * @returns a promise resolved when every object is restored.
   * @throws TypeError when the save handler has no `load(filename)` method; {@link CheckpointError} when nothing
   *   was saved yet and no filename components are given, or when a state does not fit its object.
   * @example
   * ```ts
   * const checkpointer = new Checkpoint({ toSave: { model, optimizer }, saveHandler: new DiskSaver(dir) });
   * // ... train, then roll back to the last checkpoint:
   * await checkpointer.reloadObjects({ model, optimizer });
   * ```
   */
  async reloadObjects(toLoad: Record<string, unknown>, filenameComponents?: Partial<FilenameFields>): Promise<void> {
    const handler = this.saveHandler;
    if (typeof handler === 'function' || typeof handler.load !== 'function') {
      throw new TypeError('reloadObjects() needs a save handler with a load(filename) method, e.g. new DiskSaver(dir) ' +
        "from 'kindling/node'; got a save handler without load().");
    }
    let filename = this.#saved.at(-1)?.[1];
    if (filenameComponents !== undefined) {
      const keys = Object.keys(this.toSave);
      const globalStep = filenameComponents.global_step ?? null;
      const pattern = this.filenamePattern ?? setupFilenamePattern({
        withPrefix: this.filenamePrefix.length > 0, withScore: this.scoreFunction !== null,
        withScoreName: this.scoreName !== null, withGlobalStep: globalStep !== null,
      });
      filename = renderFilename(pattern, {
        filename_prefix: this.filenamePrefix, ext: this.ext, name: keys.length === 1 ? (keys[0] ?? 'checkpoint') : 'checkpoint',
        score_name: this.scoreName, score: null, ...filenameComponents, global_step: globalStep,
      });
    }
    if (filename === undefined) {
      throw new CheckpointError('reloadObjects() found no saved checkpoint: save one first, or pass filename components.');
    }
    await Checkpoint.loadObjects({ toLoad, checkpoint: filename, handler: { load: (f) => handler.load!(f) } });
  }

  /**
   * Restores objects from a checkpoint (Ignite's `Checkpoint.load_objects`).
   *
   * @param options - `{ toLoad, checkpoint, handler? }`; with a single key in `toLoad` the checkpoint may be that
   *   object's state directly.
   * @returns a promise resolved when every object is restored.
   * @throws TypeError for objects without `loadStateDict` or a bad `checkpoint`; {@link CheckpointError} when a key
   *   is missing, the file is corrupted, or a state does not fit its object.
   * @example
   * ```ts
   * await Checkpoint.loadObjects({ toLoad: { trainer, model, optimizer }, checkpoint: 'checkpoint_3.ckpt',
   *   handler: new DiskSaver('/tmp/run', { requireEmpty: false }) });
   * ```
   */
  static async loadObjects(options: LoadObjectsOptions): Promise<void> {
    const { toLoad, handler } = options;
    checkObjects(toLoad, 'loadStateDict');
    let checkpoint = options.checkpoint;
    if (typeof checkpoint === 'string') {
      if (handler === undefined || typeof handler.load !== 'function') {
        throw new TypeError(`Argument checkpoint is a filename ('${checkpoint}'): pass \`handler\` with a ` +
          "load(filename) method, e.g. new DiskSaver(dir) from 'kindling/node'.");
      }
      checkpoint = await handler.load(checkpoint);
    }
    if (checkpoint === null || typeof checkpoint !== 'object') {
      throw new TypeError(`Argument checkpoint should be a string or a dictionary, but given ${checkpoint === null ? 'null' : typeof checkpoint}`);
    }
    const ckpt = checkpoint as Record<string, unknown>;
    const entries = Object.entries(toLoad);
    const single = entries.length === 1 ? entries[0] : undefined;
    if (single !== undefined && !(single[0] in ckpt)) {
      await restoreState(single[1], ckpt, single[0]);
      return;
    }
    for (const [key] of entries) {
      if (!(key in ckpt)) throw new CheckpointError(`Object labeled by '${key}' from \`to_load\` is not found in the checkpoint`);
    }
    for (const [key, obj] of entries) await restoreState(obj, ckpt[key], key);
  }
}

function sortStable(items: SavedItem[]): void {
  items.sort((a, b) => a[0] - b[0]);
}

function withSelf(checkpoint: unknown, saved: SavedItem[]): unknown {
  const self: CheckpointStateDict = { saved: saved.map(([p, f]) => [p, f]) };
  if (checkpoint !== null && typeof checkpoint === 'object' && !Array.isArray(checkpoint)) {
    return { ...(checkpoint as Record<string, unknown>), checkpointer: self };
  }
  return { checkpointer: self };
}
