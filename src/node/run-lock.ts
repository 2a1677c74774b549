/**
 * @module Run-directory locks (Node only): one training process per run directory. The lock is a file
 * `<dir>/.kindling.lock` created exclusively (`O_EXCL`) and holding the owner's PID, host and start time; it is
 * removed when the owner releases it or exits. A lock whose process is gone (same host, PID not alive) is stale and
 * is taken over, with a note for the caller to print.
 */

import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { KindlingError } from '../errors.js';

/** The name of the lock file inside a run directory. */
export const LOCK_FILE = '.kindling.lock';

/** Thrown when another live process holds the lock of a run directory. */
export class RunDirectoryLockedError extends KindlingError {}

/** What a lock file records. */
export interface LockOwner {
  pid: number;
  host: string;
  started: string;
  command: string;
}

/** A held lock. */
export interface RunLock {
  /** The lock file. */
  readonly path: string;
  /** Whether this call created the run directory (it did not exist before). */
  readonly createdDir: boolean;
  /** The owner of a stale lock that was taken over, or `null`. */
  readonly tookOver: LockOwner | null;
  /** Removes the lock file (idempotent; also done at process exit). */
  release(): void;
}

function readOwner(path: string): LockOwner | null {
  try {
    const o = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockOwner>;
    if (typeof o.pid !== 'number' || typeof o.host !== 'string') return null;
    return { pid: o.pid, host: o.host, started: String(o.started ?? '?'), command: String(o.command ?? '?') };
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: unknown }).code === 'EPERM';
  }
}

function tryCreate(path: string, owner: LockOwner): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (e) {
    if ((e as { code?: unknown }).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, `${JSON.stringify(owner)}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

function lockedError(dir: string, path: string, other: LockOwner): RunDirectoryLockedError {
  const where = other.host === hostname() ? `process ${other.pid}` : `process ${other.pid} on host ${other.host}`;
  return new RunDirectoryLockedError(
    `run directory '${dir}' is in use by ${where} (${other.command}, started ${other.started}); ` +
      `wait for it to finish, pass another --output, or delete '${path}' if that process is gone.`,
  );
}

/**
 * Locks a run directory for this process, creating the directory when needed.
 *
 * @param dir - the run directory.
 * @param command - what this process does, shown to a process that finds the lock (e.g. `'kindling train'`).
 * @returns the lock; release it when the run ends (it is also released when the process exits).
 * @throws {@link RunDirectoryLockedError} naming the other process when a live process holds the lock.
 * @example
 * ```ts
 * const lock = acquireRunLock('runs/mlp-1', 'kindling train');
 * try { await train(); } finally { lock.release(); }
 * ```
 */
export function acquireRunLock(dir: string, command: string): RunLock {
  let createdDir = false;
  try {
    statSync(dir);
  } catch {
    mkdirSync(dir, { recursive: true });
    createdDir = true;
  }
  const path = join(dir, LOCK_FILE);
  const owner: LockOwner = { pid: process.pid, host: hostname(), started: new Date().toISOString(), command };
  let tookOver: LockOwner | null = null;
  if (!tryCreate(path, owner)) {
    const other = readOwner(path);
    if (other !== null && (other.host !== hostname() || isAlive(other.pid))) throw lockedError(dir, path, other);
    tookOver = other ?? { pid: 0, host: '?', started: '?', command: 'unreadable lock file' };
    unlinkSync(path);
    // Another process may take the stale lock at the same moment: whoever creates the file first wins.
    if (!tryCreate(path, owner)) throw lockedError(dir, path, readOwner(path) ?? tookOver);
  }
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    if (readOwner(path)?.pid === process.pid) unlinkSync(path);
  };
  process.on('exit', release);
  return { path, createdDir, tookOver, release };
}

/**
 * Removes `dir` and its sub-directories when they hold no file (what a failed command leaves behind).
 *
 * @param dir - the directory.
 * @returns true when `dir` was removed.
 */
export function removeEmptyTree(dir: string): boolean {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  let empty = true;
  for (const e of entries) {
    if (!e.isDirectory() || !removeEmptyTree(join(dir, e.name))) empty = false;
  }
  if (!empty) return false;
  try {
    rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
}
