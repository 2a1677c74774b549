/**
 * @module Port of `ModelCheckpoint` in ignite/handlers/checkpoint.py (Node only): a {@link Checkpoint} that always
 * writes to a {@link DiskSaver} and receives the objects to save when attached, `engine.on(event, handler, toSave)`.
 * Deviations: no `atomic` option (always crash-safe), no `save_on_rank`, files end in `.ckpt`.
 */
import { Checkpoint, type CheckpointOptions } from '../handlers/checkpoint/checkpoint.js';
import type { CheckpointEngine } from '../handlers/checkpoint/events.js';
import { checkObjects } from '../handlers/checkpoint/tf-state.js';
import { DiskSaver, type DiskSaverOptions } from './disk-saver.js';

/**
 * Options of {@link ModelCheckpoint}: the `Checkpoint` options except `toSave`/`saveHandler`/`filenamePrefix`, plus the `DiskSaver` ones.
 *
 */
export type ModelCheckpointOptions = Omit<CheckpointOptions, 'toSave' | 'saveHandler' | 'filenamePrefix'> & DiskSaverOptions;

/**
 * Saves the objects given at attach time into a directory, with `Checkpoint`'s naming, retention and scoring rules.
 *
 * @example
 * ```ts
 * import { ModelCheckpoint } from 'kindling/node';
 * const handler = new ModelCheckpoint('/tmp/models', 'myprefix', { nSaved: 2, requireEmpty: false });
 * trainer.on(Events.EPOCH_COMPLETED({ every: 2 }), handler, { mymodel: model });
 * await trainer.run([0, 1, 2, 3, 4], { maxEpochs: 6 }); // myprefix_mymodel_20.ckpt, myprefix_mymodel_30.ckpt
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.handlers.checkpoint.ModelCheckpoint.html
 */
export class ModelCheckpoint extends Checkpoint {
  /** The disk saver this checkpoint writes through. */
  readonly diskSaver: DiskSaver;

  /**
   * @param dirname - directory of the checkpoint files.
   * @param filenamePrefix - prefix of the file names. @defaultValue ''
   * @param options - `Checkpoint` options (scoring, retention, naming) and `DiskSaver` options
   *   (`createDir` default true, `requireEmpty` default true).
   * @throws as {@link Checkpoint} and {@link DiskSaver} do.
   */
  constructor(dirname: string, filenamePrefix = '', options: ModelCheckpointOptions = {}) {
    const { createDir, requireEmpty, fs, saveOnRank, ...rest } = options;
    const saverOptions: DiskSaverOptions = {};
    if (createDir !== undefined) saverOptions.createDir = createDir;
    if (requireEmpty !== undefined) saverOptions.requireEmpty = requireEmpty;
    if (fs !== undefined) saverOptions.fs = fs;
    if (saveOnRank !== undefined) saverOptions.saveOnRank = saveOnRank;
    const diskSaver = new DiskSaver(dirname, saverOptions);
    super({ ...rest, toSave: {}, saveHandler: diskSaver, filenamePrefix });
    this.diskSaver = diskSaver;
  }

  /**
   * The event handler: saves `toSave` (the extra argument given to `engine.on`).
   *
   * @param engine - the engine.
   * @param toSave - the objects to save.
   * @returns a promise resolved when the checkpoint is saved.
   * @throws RangeError `No objects to checkpoint found.` when `toSave` is empty; TypeError for objects without
   *   `stateDict`.
   */
  override async handle(engine: CheckpointEngine, toSave?: Record<string, unknown>): Promise<void> {
    if (toSave === undefined || toSave === null || Object.keys(toSave).length === 0) {
      throw new RangeError('No objects to checkpoint found. Pass them when attaching: ' +
        'engine.on(event, modelCheckpoint, { model }).');
    }
    checkObjects(toSave, 'stateDict');
    if (this.includeSelf && 'checkpointer' in toSave) {
      throw new RangeError(`Cannot have key 'checkpointer' if \`includeSelf\` is true: ${Object.keys(toSave).join(', ')}`);
    }
    this.toSave = toSave;
    await super.handle(engine);
  }

}
