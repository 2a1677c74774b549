/**
 * @module Crash-safe file replacement for checkpoints (Node only). Goes beyond Ignite's `DiskSaver(atomic=True)`,
 * which writes a temporary file and renames it but never flushes: here the temporary file is written in the target
 * directory, `fsync`ed, renamed over the final name, and the directory is `fsync`ed, so after a crash or `SIGKILL`
 * at any moment the final name holds either the previous complete file or the new complete file.
 */
import * as nodeFs from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { CheckpointError } from '../errors.js';

/**
 * The file-system functions used by checkpoints; inject a wrapper to simulate failures in tests.
 *
 */
export type CheckpointFs = Pick<typeof nodeFs, 'open' | 'rename' | 'unlink' | 'readFile'>;

/**
 * Suffix of temporary files; they start with `.` and never end in `.ckpt`.
 *
 */
export const TEMP_SUFFIX = '.kindling-tmp';

/**
 * Matches temporary file names: `.<final name>.<pid>-<random>.kindling-tmp`.
 *
 */
export const TEMP_PATTERN = /^\.(.+)\.(\d+)-[0-9a-f]+\.kindling-tmp$/;

function describeFsError(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ENOSPC': return 'the disk is full (ENOSPC)';
    case 'EDQUOT': return 'the disk quota is exceeded (EDQUOT)';
    case 'EACCES': case 'EPERM': return `permission denied (${code})`;
    case 'EROFS': return 'the file system is read-only (EROFS)';
    case 'EISDIR': return 'the target path is a directory (EISDIR)';
    case 'ENOENT': return 'the directory does not exist (ENOENT)';
    case 'ENOTDIR': return 'a parent of the path is not a directory (ENOTDIR)';
    default: return e instanceof Error ? e.message : String(e);
  }
}

/**
 * Wraps a file-system error in a {@link CheckpointError} that names the file and the cause.
 *
 * @param action - e.g. `'write'`, `'read'`, `'remove'`.
 * @param path - the file.
 * @param e - the original error (kept as `cause`).
 * @returns the error to throw.
 */
export function checkpointFsError(action: string, path: string, e: unknown): CheckpointError {
  const keep = action === 'write' ? ' The previous checkpoint files are untouched.' : '';
  return new CheckpointError(`Cannot ${action} checkpoint '${path}': ${describeFsError(e)}.${keep}`, { cause: e });
}

async function fsyncDirectory(fs: CheckpointFs, dir: string): Promise<void> {
  let handle: nodeFs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch (e) {
    // Some platforms (Windows) cannot open or fsync a directory; the rename is still atomic there.
    const code = (e as { code?: unknown }).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EACCES') throw e;
  } finally {
    await handle?.close();
  }
}

/**
 * Atomically replaces `path` with `bytes`: temp file in the same directory, fsync, rename, fsync of the directory.
 *
 * @param path - the final file path.
 * @param bytes - the complete content.
 * @param fs - file-system functions (defaults to `node:fs/promises`).
 * @returns a promise resolved once the new file is durable under its final name.
 * @throws {@link CheckpointError} naming the file when any step fails; the temporary file is removed and a
 *   previous file at `path` is left intact.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array, fs: CheckpointFs = nodeFs): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}-${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
  let handle: nodeFs.FileHandle | undefined;
  try {
    handle = await fs.open(tmp, 'wx', 0o644);
    let offset = 0;
    while (offset < bytes.byteLength) {
      const { bytesWritten } = await handle.write(bytes, offset, bytes.byteLength - offset);
      offset += bytesWritten;
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.rename(tmp, path);
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await fs.unlink(tmp).catch(() => undefined);
    throw checkpointFsError('write', path, e);
  }
  try {
    await fsyncDirectory(fs, dir);
  } catch (e) {
    throw checkpointFsError('flush the directory of', path, e);
  }
}
