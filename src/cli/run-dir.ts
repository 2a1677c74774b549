/**
 * @module The run directory of `kindling train`: which one (`--output`, the `--resume` checkpoint's own run, or a
 * new `runs/<model>-<time>`), its lock (one process per run directory), what a failed command leaves (nothing), and
 * Ctrl-C (first: stop after this iteration and save; second: quit now, leaving no partial file).
 */

import { readdirSync, unlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { TEMP_PATTERN } from '../node/atomic-write.js';
import { acquireRunLock, removeEmptyTree, type RunLock } from '../node/run-lock.js';
import { CliError } from './errors.js';

function stamp(): string {
  return new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
}

/**
 * Chooses the run directory: `--output`, else the run a `--resume` checkpoint belongs to (`<run>/checkpoints/x.ckpt`),
 * else a new `runs/<model>-<time>`.
 *
 * @param opts - the flags.
 * @returns the absolute run directory.
 */
export function runDirectory(opts: { output?: string; resume?: string; model: string }): string {
  if (opts.output !== undefined) return resolve(opts.output);
  if (opts.resume !== undefined) {
    const dir = dirname(resolve(opts.resume));
    return basename(dir) === 'checkpoints' ? dirname(dir) : dir;
  }
  return resolve(join('runs', `${opts.model}-${stamp()}`));
}

/**
 * Refuses a best-model checkpoint as `--resume` (it holds the model only), naming the resumable one next to it.
 *
 * @param path - the `--resume` value.
 * @throws {@link CliError} (exit code 2) for a `best_*` checkpoint.
 */
export function checkResumable(path: string): void {
  if (!basename(path).startsWith('best_')) return;
  const dir = dirname(path);
  let last: string | undefined;
  try {
    last = readdirSync(dir).filter((f) => f.startsWith('last_') && f.endsWith('.ckpt')).sort().at(-1);
  } catch {
    last = undefined;
  }
  throw new CliError(
    `'${path}' is a best-model checkpoint: it holds the model only, not the trainer, optimizer and schedules needed ` +
      `to continue. Resume from the run's last_*.ckpt${last !== undefined ? ` (${join(dir, last)})` : ''}, or evaluate this one with: kindling evaluate ${path}`,
  );
}

/** A locked run directory. */
export interface RunDir {
  readonly path: string;
  readonly lock: RunLock;
  /** Releases the lock; after a failure, also removes the directories this command created if they hold no file. */
  close(failed: boolean): void;
}

/**
 * Locks the run directory (creating it), printing a note when a stale lock was taken over.
 *
 * @param path - the run directory.
 * @param out - where the note goes.
 * @returns the locked directory.
 * @throws Error naming the other process when another live process trains into it.
 */
export function openRunDir(path: string, out: NodeJS.WritableStream): RunDir {
  const lock = acquireRunLock(path, 'kindling train');
  if (lock.tookOver !== null) {
    out.write(`note: took over the stale lock of process ${lock.tookOver.pid} (${lock.tookOver.command}, started ${lock.tookOver.started}), which is gone\n`);
  }
  return {
    path,
    lock,
    close: (failed) => {
      lock.release();
      if (failed && lock.createdDir) removeEmptyTree(path);
    },
  };
}

/** Removes this process's unfinished atomic-write temporaries in `dir` (what a write cut short leaves). */
function removeOwnTemporaries(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = TEMP_PATTERN.exec(name);
    if (m !== null && Number(m[2]) === process.pid) {
      try {
        unlinkSync(join(dir, name));
      } catch {
        // already renamed or removed
      }
    }
  }
}

/** What the Ctrl-C handler stops. */
export interface Stoppable {
  terminate(options?: { skipCompleted?: boolean }): void;
}

/** The signals that stop a training run gracefully, and the exit code of a run each one ended (128 + number). */
export const STOP_SIGNALS = { SIGINT: 130, SIGTERM: 143 } as const;

/** A signal that stops a training run: Ctrl-C (SIGINT) or a service manager's SIGTERM. */
export type StopSignal = keyof typeof STOP_SIGNALS;

const signalName = (s: StopSignal): string => (s === 'SIGINT' ? 'Ctrl-C' : s);

/**
 * Handles Ctrl-C and SIGTERM (what systemd, Kubernetes and `kill` send before SIGKILL): the first stops the
 * trainer after the current iteration (and the evaluator without its COMPLETED handlers, so a partial validation
 * neither updates the best model nor early stopping); a second one of either exits at once with code 130 (SIGINT)
 * or 143 (SIGTERM), removing unfinished checkpoint temporaries (final files are never partial).
 *
 * @param trainer - the trainer.
 * @param evaluator - the validation evaluator.
 * @param checkpointDir - where checkpoints are written.
 * @param out - where the message goes.
 * @returns whether a stop signal arrived and which, and a function removing the handlers.
 */
export function installSigint(
  trainer: Stoppable,
  evaluator: Stoppable,
  checkpointDir: string,
  out: NodeJS.WritableStream,
): { interrupted: () => boolean; signal: () => StopSignal | null; dispose: () => void } {
  let received: StopSignal | null = null;
  const onSignal = (signal: StopSignal): void => {
    if (received !== null) {
      removeOwnTemporaries(checkpointDir);
      process.stderr.write(`\n${signalName(signal)} again: quitting now (the last complete checkpoint is kept)\n`);
      process.exit(STOP_SIGNALS[signal]);
    }
    received = signal;
    out.write(`\n${signalName(signal)}: stopping after this iteration and saving a checkpoint (${signalName(signal)} again to quit now)...\n`);
    trainer.terminate();
    evaluator.terminate({ skipCompleted: true });
  };
  const signals = Object.keys(STOP_SIGNALS) as StopSignal[];
  for (const s of signals) process.on(s, onSignal);
  return {
    interrupted: () => received !== null,
    signal: () => received,
    dispose: () => {
      for (const s of signals) process.off(s, onSignal);
    },
  };
}
