/**
 * @module Port of ignite/utils.py `hash_checkpoint`: names a checkpoint file after its SHA-256, as
 * `torch.hub` expects. Deviations: async; the file keeps its own extension (Ignite always writes `.pt`).
 */

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, copyFile, unlink, stat } from 'node:fs/promises';
import { basename, extname, join, dirname } from 'node:path';

/** The result of {@link hashCheckpoint}. */
export interface HashedCheckpoint {
  /** Where the file now is: `<outputDir>/<stem>-<first 8 hex digits of the hash><ext>`. */
  path: string;
  /** The full SHA-256 of the file, in hex. */
  sha256: string;
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function move(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    await copyFile(from, to);
    await unlink(from);
  }
}

/**
 * Moves a checkpoint to `outputDir`, renamed `<stem>-<sha256[:8]><ext>`, and returns the new path and the hash.
 *
 * @param checkpointPath - the checkpoint file.
 * @param outputDir - the destination directory (created when missing).
 * @returns the new path and the file's SHA-256.
 * @throws Error (ENOENT) when the checkpoint does not exist, with the file and folder named.
 * @see https://pytorch.org/ignite/generated/ignite.utils.hash_checkpoint.html
 */
export async function hashCheckpoint(checkpointPath: string, outputDir: string): Promise<HashedCheckpoint> {
  try {
    await stat(checkpointPath);
  } catch (e) {
    throw new Error(`${basename(checkpointPath)} does not exist in ${dirname(checkpointPath)}. Pass the path of an existing checkpoint file.`, { cause: e });
  }
  await mkdir(outputDir, { recursive: true });
  const sha256 = await sha256Of(checkpointPath);
  const ext = extname(checkpointPath);
  const path = join(outputDir, `${basename(checkpointPath, ext)}-${sha256.slice(0, 8)}${ext}`);
  await move(checkpointPath, path);
  return { path, sha256 };
}
