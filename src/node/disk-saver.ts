/**
 * @module Port of `DiskSaver` in ignite/handlers/checkpoint.py (Node only). Deviations: checkpoints are kindling
 * checkpoint files (`.ckpt`, see docs/checkpoints.md) instead of `torch.save` pickles; writing is always atomic and
 * durable (temp file + fsync + rename + directory fsync, see atomic-write.ts), so there is no `atomic` option;
 * `remove` ignores files that are already gone (a crash between saving and removing can leave the list and the
 * directory out of step); the handler can `load` files back and removes temporary files left by killed processes.
 */
import { existsSync, mkdirSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import * as nodeFs from 'node:fs/promises';
import { isAbsolute, join, sep } from 'node:path';
import { getRank } from '../distributed/context.js';
import { CheckpointError } from '../errors.js';
import { decodeCheckpoint, encodeCheckpoint } from '../handlers/checkpoint/format.js';
import { CHECKPOINT_EXTENSION } from '../handlers/checkpoint/filename.js';
import type { BaseSaveHandler, CheckpointMetadata } from '../handlers/checkpoint/save-handler.js';
import { checkpointFsError, TEMP_PATTERN, writeFileAtomic, type CheckpointFs } from './atomic-write.js';

/**
 * Options of {@link DiskSaver}.
 *
 */
export interface DiskSaverOptions {
  /** Create `dirname` (recursively) if it does not exist. @defaultValue true */
  createDir?: boolean;
  /** Refuse a directory that already holds `.ckpt` files. @defaultValue true */
  requireEmpty?: boolean;
  /** File-system functions; inject a wrapper to simulate disk-full or permission errors. @defaultValue node:fs/promises */
  fs?: CheckpointFs;
  /**
   * In a distributed job, the only rank that creates, checks and writes to the directory (Ignite's `save_on_rank`);
   * `save` and `remove` do nothing on the other ranks. Create the saver on every rank.
   * @defaultValue 0
   */
  saveOnRank?: number;
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: unknown }).code === 'EPERM';
  }
}

/**
 * Saves checkpoints as files in a directory, crash-safely.
 *
 * @example
 * ```ts
 * import { DiskSaver } from 'kindling/node';
 * const saver = new DiskSaver('/tmp/run', { createDir: true, requireEmpty: false });
 * const checkpointer = new Checkpoint({ toSave: { trainer, model }, saveHandler: saver, nSaved: 3 });
 * trainer.on(Events.EPOCH_COMPLETED, checkpointer);
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.handlers.DiskSaver.html
 */
export class DiskSaver implements BaseSaveHandler {
  /** The directory checkpoints are written to (as given). */
  readonly dirname: string;
  readonly #fs: CheckpointFs;
  /** The rank that writes (see {@link DiskSaverOptions.saveOnRank}). */
  readonly saveOnRank: number;

  /**
   * @param dirname - directory of the checkpoint files.
   * @param options - see {@link DiskSaverOptions}.
   * @throws {@link CheckpointError} when the directory is missing (with `createDir: false`) or, with
   *   `requireEmpty`, already holds `.ckpt` files.
   */
  constructor(dirname: string, options: DiskSaverOptions = {}) {
    if (typeof dirname !== 'string' || dirname.length === 0) {
      throw new TypeError(`Argument dirname should be a non-empty string, but given ${String(dirname)}`);
    }
    this.dirname = dirname;
    this.#fs = options.fs ?? nodeFs;
    this.saveOnRank = options.saveOnRank ?? 0;
    if (getRank() !== this.saveOnRank) return;
    DiskSaver.#checkAndSetup(dirname, options.createDir ?? true, options.requireEmpty ?? true);
    DiskSaver.#removeStaleTemporaries(dirname);
  }

  static #checkAndSetup(dirname: string, createDir: boolean, requireEmpty: boolean): void {
    if (createDir && !existsSync(dirname)) mkdirSync(dirname, { recursive: true });
    if (!existsSync(dirname) || !statSync(dirname).isDirectory()) {
      throw new CheckpointError(`Directory path '${dirname}' is not found. Create it or pass \`createDir: true\`.`);
    }
    if (requireEmpty) {
      const matched = readdirSync(dirname).filter((f) => f.endsWith(`.${CHECKPOINT_EXTENSION}`));
      if (matched.length > 0) {
        throw new CheckpointError(`Files ${JSON.stringify(matched)} with extension '.${CHECKPOINT_EXTENSION}' are ` +
          `already present in the directory ${dirname}. If you want to use this directory anyway, pass ` +
          '`requireEmpty: false`.');
      }
    }
  }

  static #removeStaleTemporaries(dirname: string): void {
    for (const name of readdirSync(dirname)) {
      const m = TEMP_PATTERN.exec(name);
      if (m === null) continue;
      const pid = Number(m[2]);
      if (pid === process.pid || processIsAlive(pid)) continue;
      try {
        unlinkSync(join(dirname, name));
      } catch {
        // Best effort: another process may have removed it first.
      }
    }
  }

  /**
   * Writes `checkpoint` to `<dirname>/<filename>` crash-safely.
   *
   * @param checkpoint - the checkpoint object (JSON values, typed arrays, ArrayBuffers, tensors).
   * @param filename - the file name.
   * @param metadata - stored in the file header.
   * @returns a promise resolved when the file is durable under its final name.
   * @throws {@link CheckpointError} naming the file on any failure (disk full, permission, ...); the previous
   *   file with that name, if any, is left intact.
   */
  async save(checkpoint: unknown, filename: string, metadata?: CheckpointMetadata): Promise<void> {
    if (getRank() !== this.saveOnRank) return;
    const bytes = await encodeCheckpoint(checkpoint, metadata ?? null);
    await writeFileAtomic(join(this.dirname, filename), bytes, this.#fs);
  }

  /**
   * Deletes `<dirname>/<filename>`; a file that is already gone is ignored.
   *
   * @param filename - the file name.
   * @returns a promise resolved when the file is gone.
   * @throws {@link CheckpointError} when the file exists but cannot be removed.
   */
  async remove(filename: string): Promise<void> {
    if (getRank() !== this.saveOnRank) return;
    const path = join(this.dirname, filename);
    try {
      await this.#fs.unlink(path);
    } catch (e) {
      if ((e as { code?: unknown }).code !== 'ENOENT') throw checkpointFsError('remove', path, e);
    }
  }

  /**
   * Reads and verifies a checkpoint. A bare file name is looked up in `dirname`; a path (absolute, or containing a
   * separator) is used as is, so `load(checkpointer.lastCheckpoint)` works.
   *
   * @param filename - file name or path.
   * @returns the checkpoint object.
   * @throws {@link CheckpointError} naming the file when it is missing, corrupted or truncated.
   */
  async load(filename: string): Promise<unknown> {
    const path = isAbsolute(filename) || filename.includes(sep) || filename.includes('/') ? filename : join(this.dirname, filename);
    let bytes: Uint8Array;
    try {
      bytes = await this.#fs.readFile(path);
    } catch (e) {
      throw checkpointFsError('read', path, e);
    }
    return decodeCheckpoint(bytes, path);
  }

  /**
   * The full path of a checkpoint file (what `Checkpoint.lastCheckpoint` reports).
   *
   * @param filename - the file name.
   * @returns `join(dirname, filename)`.
   */
  resolvePath(filename: string): string {
    return join(this.dirname, filename);
  }
}
