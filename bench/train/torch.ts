/**
 * The PyTorch side: bench/train/torch_bench.py as a long-lived child process, one JSON request and one JSON answer
 * per line, so the driver runs PyTorch rounds and kindling rounds alternately and never concurrently. Also the setup
 * (bench/train/setup.sh: apt-get python3-torch and libopenblas0-openmp when missing).
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const OPENBLAS_OPENMP_DIR = '/usr/lib/x86_64-linux-gnu/openblas-openmp';
export const PYTHON = '/usr/bin/python3';
const here = fileURLToPath(new URL('.', import.meta.url));

/** What torch_bench.py reports about itself. */
export interface TorchInfo {
  torch: string;
  threads: number;
  blas: string;
  python: string;
  mkldnn: boolean;
}

/**
 * Runs bench/train/setup.sh (installs python3-torch and libopenblas0-openmp with apt-get when missing).
 *
 * @returns null when PyTorch is usable, else why not.
 */
export function ensureTorch(runSetup: boolean): string | null {
  if (runSetup) {
    const res = spawnSync('sh', [`${here}setup.sh`], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (res.status !== 0) return `bench/train/setup.sh failed (exit ${String(res.status)})`;
  }
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { env: torchEnv(2), encoding: 'utf8' });
  if (probe.status !== 0) return `torch does not import with ${PYTHON} (run bench/train/setup.sh as root)`;
  if (!existsSync(`${OPENBLAS_OPENMP_DIR}/libblas.so.3`)) return `${OPENBLAS_OPENMP_DIR} missing (apt-get install libopenblas0-openmp)`;
  return null;
}

function torchEnv(threads: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    LD_LIBRARY_PATH: [OPENBLAS_OPENMP_DIR, process.env['LD_LIBRARY_PATH']].filter(Boolean).join(':'),
    OMP_NUM_THREADS: String(threads),
    BENCH_THREADS: String(threads),
  };
}

/** A running torch_bench.py. */
export class TorchWorker {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: Interface;
  readonly #pending: ((line: string) => void)[] = [];
  #stderr = '';
  #exited: string | null = null;

  constructor(threads: number) {
    this.#child = spawn(PYTHON, [`${here}torch_bench.py`], { env: torchEnv(threads), stdio: ['pipe', 'pipe', 'pipe'] });
    this.#lines = createInterface({ input: this.#child.stdout });
    this.#lines.on('line', (line) => this.#pending.shift()?.(line));
    this.#child.stderr.on('data', (d: Buffer) => {
      this.#stderr = (this.#stderr + d.toString()).slice(-4000);
    });
    this.#child.on('exit', (code, signal) => {
      this.#exited = `torch_bench.py exited (${signal ?? String(code)}): ${this.#stderr.trim().split('\n').slice(-3).join(' | ')}`;
      for (const p of this.#pending.splice(0)) p(JSON.stringify({ error: this.#exited }));
    });
  }

  /** Sends one request and waits for its answer; rejects with the script's error message. */
  async request<T>(req: Record<string, unknown>): Promise<T> {
    if (this.#exited !== null) throw new Error(this.#exited);
    const line = await new Promise<string>((resolve) => {
      this.#pending.push(resolve);
      this.#child.stdin.write(`${JSON.stringify(req)}\n`);
    });
    const res = JSON.parse(line) as T & { error?: string };
    if (typeof res.error === 'string') throw new Error(res.error);
    return res;
  }

  /** The child's process id (for CPU accounting). */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  async info(): Promise<TorchInfo> {
    return this.request<TorchInfo>({ op: 'info' });
  }

  /** Builds a model on the file's batches and runs `warmup` steps; returns their wall time in ms. */
  async setup(req: { key: string; model: string; batch: number; amp: string | null; data: string; nbatches: number; warmup: number; seed: number }): Promise<number> {
    return (await this.request<{ warmupMs: number }>({ op: 'setup', ...req })).warmupMs;
  }

  /** One timed round of `steps` training steps: wall ms and the last loss. */
  async round(key: string, steps: number): Promise<{ ms: number; loss: number }> {
    return this.request<{ ms: number; loss: number }>({ op: 'round', key, steps });
  }

  async close(): Promise<void> {
    if (this.#exited !== null) return;
    const done = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    this.#child.stdin.end(`${JSON.stringify({ op: 'quit' })}\n`);
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000);
    await done;
    clearTimeout(timer);
    this.#lines.close();
  }
}
