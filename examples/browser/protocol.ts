// The messages between the page (main.ts) and the training worker (worker.ts).
import type { ScalarRecord } from '../../src/index.js';

/** Page -> worker. */
export type ToWorker =
  | { type: 'start'; backend: string; perDigit?: number; epochs: number; seed: number; maxIterations?: number; amp?: boolean }
  /** End after the current iteration, with a checkpoint in IndexedDB (Ctrl-C's browser counterpart). */
  | { type: 'stop' }
  /** Send the latest checkpoint's bytes (a `.ckpt` file the Node CLI reads). */
  | { type: 'export' }
  /** Store a `.ckpt` file (from the CLI, or downloaded earlier) as the checkpoint the next start resumes from. */
  | { type: 'import'; name: string; bytes: ArrayBuffer };

/** Worker -> page. */
export type FromWorker =
  | { type: 'choice'; backend: string; reason: string; skipped: { backend: string; reason: string }[] }
  | { type: 'status'; text: string }
  | { type: 'resumed'; checkpoint: string; epoch: number; iteration: number }
  | { type: 'progress'; epoch: number; iteration: number; epochLength: number; loss: number }
  /** What a dashboard logger writes (the CLI's metrics.jsonl records): training loss every 10 iterations, validation. */
  | { type: 'records'; records: ScalarRecord[] }
  | { type: 'epoch'; epoch: number; accuracy: number; loss: number }
  | { type: 'stopped'; checkpoint: string | null; iteration: number }
  | { type: 'done'; accuracy: number; loss: number; iteration: number; checkpoint: string | null }
  | { type: 'checkpoint'; name: string; bytes: ArrayBuffer | null }
  | { type: 'imported'; name: string }
  | { type: 'error'; message: string };
