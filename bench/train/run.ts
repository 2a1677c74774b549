/**
 * `npm run bench:train`: the MLP (batch 64 and 256) and the CNN (batch 64) trained by kindling's trainer
 * (createSupervisedTrainer + Engine) on every available backend, and by PyTorch (Debian's python3-torch on
 * OpenBLAS) in the same run, 2 threads on both sides. Rounds are interleaved (PyTorch, kindling on each backend,
 * PyTorch, ...; one process computing at a time), warm-up excluded; the report gives median ms/step, samples/s,
 * GFLOP/s and its fraction of the machine's GEMM peak (a short probe at start, peak.ts), the median of the per-round
 * ratios kindling/PyTorch, bfloat16 autocast rows on MLP batch 256 and the CNN, and kindling's per-step breakdown
 * (kernel time vs. framework overhead). See docs/benchmarks.md.
 *
 * Run: node --import tsx bench/train/run.ts [--quick] [--help]
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import * as tf from '@tensorflow/tfjs-core';
import { KernelTimer, KindlingRun, loadBackends, type BackendStatus } from './kindling.js';
import { makeBatches, WORKLOADS, writeBatches, type HostBatches, type Workload } from './models.js';
import { evaluateTargets, formatBreakdown, formatRows, formatTargets, markdown, median, rowLabel, summarize, type Breakdown, type Row, type Target } from './report.js';
import { ensureTorch, TorchWorker, type TorchInfo } from './torch.js';
import { measureGemmPeak, type GemmPeak } from './peak.js';

const program = new Command()
  .name('bench:train')
  .description('kindling vs PyTorch training throughput, side by side')
  .option('--quick', 'about a minute: 3 rounds, shorter rounds, no cpu CNN')
  .option('--rounds <n>', 'interleaved timed rounds per workload (default 7, --quick 3)')
  .option('--round-ms <ms>', 'target duration of one timed round of one row (default 400, --quick 200)')
  .option('--backends <list>', 'kindling backends, in round order', 'kindling-native,wasm,cpu,tensorflow')
  .option('--bf16-backends <list>', 'backends that also run the bfloat16 autocast rows', 'kindling-native')
  .option('--bf16-workloads <list>', 'workloads that also get a bfloat16 autocast row', 'mlp-b256,cnn-b64')
  .option('--workloads <list>', `subset of ${WORKLOADS.map((w) => w.id).join(',')}`)
  .option('--threads <n>', 'threads for PyTorch and the native backend', '2')
  .option('--cpu-budget <s>', 'skip a cpu-backend row whose estimated time exceeds this (default 60, --quick 8)')
  .option('--max-wait <s>', 'wait at most this long for an idle machine before each workload (default 20, --quick 5)')
  .option('--settle-ms <ms>', 'idle pause before each timed round (lets the other side\'s threads go to sleep)', '150')
  .option('--no-torch', 'skip the PyTorch side')
  .option('--no-setup', 'do not run bench/train/setup.sh (apt-get) when PyTorch is missing')
  .option('--no-breakdown', 'skip the per-step breakdown')
  .option('--out <file>', 'results file (default bench/results/train-<date>.json)')
  .option('--markdown', 'also print the results as markdown tables (for docs/benchmarks.md)');
program.parse();
const opts = program.opts<{
  quick?: boolean; rounds?: string; roundMs?: string; backends: string; bf16Backends: string; bf16Workloads: string; workloads?: string; threads: string;
  cpuBudget?: string; maxWait?: string; settleMs: string; torch: boolean; setup: boolean; breakdown: boolean; out?: string; markdown?: boolean;
}>();

const QUICK = opts.quick === true;
/** A numeric flag, checked (commander passes strings). */
function num(flag: string, value: string | number, min: number): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) program.error(`${flag} should be a number >= ${min}, got ${String(value)}`);
  return n;
}
const ROUNDS = Math.round(num('--rounds', opts.rounds ?? (QUICK ? 3 : 7), 1));
const ROUND_MS = num('--round-ms', opts.roundMs ?? (QUICK ? 200 : 400), 1);
const THREADS = Math.round(num('--threads', opts.threads, 1));
const CPU_BUDGET_MS = 1000 * num('--cpu-budget', opts.cpuBudget ?? (QUICK ? 8 : 60), 0);
const MAX_WAIT_MS = 1000 * num('--max-wait', opts.maxWait ?? (QUICK ? 5 : 20), 0);
const SETTLE_MS = num('--settle-ms', opts.settleMs, 0);
const BREAKDOWN_ROUNDS = QUICK ? 1 : 3;
const NBATCHES = 8;
const LR = 0.01;
const list = (s: string): string[] => s.split(',').map((x) => x.trim()).filter(Boolean);
const BACKENDS = list(opts.backends);
const BF16_BACKENDS = list(opts.bf16Backends);
const unknownWorkloads = list(opts.workloads ?? '').filter((id) => !WORKLOADS.some((w) => w.id === id));
if (unknownWorkloads.length > 0) program.error(`unknown workload(s) ${unknownWorkloads.join(', ')}; known: ${WORKLOADS.map((w) => w.id).join(', ')}`);
const workloads = opts.workloads === undefined ? [...WORKLOADS] : WORKLOADS.filter((w) => list(opts.workloads ?? '').includes(w.id));
const BF16_WORKLOADS = list(opts.bf16Workloads);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (line = ''): void => console.log(line);

/** Share of the machine's CPU time that was busy over `ms` (this process is idle meanwhile). */
async function busyFraction(ms: number): Promise<number> {
  const read = (): [number, number] => {
    const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    return [f.reduce((a, b) => a + b, 0), idle];
  };
  try {
    const [t0, i0] = read();
    await sleep(ms);
    const [t1, i1] = read();
    return t1 > t0 ? 1 - (i1 - i0) / (t1 - t0) : 0;
  } catch {
    return 0;
  }
}

/** CPU ticks: the machine's busy and total ticks, and those of this process and the PyTorch child. */
function cpuTicks(childPid: number | undefined): { busy: number; total: number; ours: number } | null {
  try {
    const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    const proc = (pid: string): number => {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14 and 15 of proc(5))
    };
    const ours = proc('self') + (childPid === undefined ? 0 : proc(String(childPid)));
    return { busy: total - (f[3] ?? 0) - (f[4] ?? 0), total, ours };
  } catch {
    return null;
  }
}

/** Share of the machine's CPU that other processes used between two cpuTicks() samples. */
function othersShare(a: ReturnType<typeof cpuTicks>, b: ReturnType<typeof cpuTicks>): number | null {
  if (a === null || b === null || b.total <= a.total) return null;
  return Math.max(0, (b.busy - a.busy - (b.ours - a.ours)) / (b.total - a.total));
}

/** Waits (up to `maxMs`) for the machine to be idle; returns the last busy fraction. */
async function waitIdle(maxMs: number): Promise<number> {
  const t0 = Date.now();
  let busy = await busyFraction(500);
  while (busy > 0.15 && Date.now() - t0 < maxMs) {
    log(`  machine busy (${Math.round(busy * 100)}% CPU used by other processes), waiting...`);
    busy = await busyFraction(2000);
  }
  if (busy > 0.15) log(`  WARNING: machine still busy (${Math.round(busy * 100)}%); numbers will be low and noisy`);
  return busy;
}

/** One participant of a workload's rounds. */
interface Participant {
  row: Row;
  round: (steps: number) => Promise<{ ms: number; loss: number }>;
  kindling?: KindlingRun;
}

const stepsFor = (msPerStep: number): number => Math.max(1, Math.min(1000, Math.round(ROUND_MS / Math.max(msPerStep, 1e-3))));

async function torchParticipant(torch: TorchWorker, w: Workload, dtype: Row['dtype'], dataFile: string): Promise<Participant> {
  const key = `${w.id}-${dtype}`;
  const row: Row = { framework: 'PyTorch', backend: 'cpu (OpenBLAS)', dtype, steps: 0, msPerStep: [], lastLoss: NaN };
  await torch.setup({ key, model: w.model, batch: w.batch, amp: dtype === 'bfloat16' ? 'bfloat16' : null, data: dataFile, nbatches: NBATCHES, warmup: 3, seed: 1 });
  const calib = await torch.round(key, 3);
  row.steps = stepsFor(calib.ms / 3);
  return { row, round: (steps) => torch.round(key, steps) };
}

const skippedRound = (): Promise<never> => Promise.reject(new Error('skipped'));
/** The first sentence of a backend's note (the full note is printed once at the start and kept in the JSON). */
const shortNote = (note: string): string => note.split(/\.\s/)[0] ?? note;

/** Builds and warms up a kindling row; returns a skipped row when it cannot train or would take too long. */
async function kindlingParticipant(w: Workload, backend: string, dtype: Row['dtype'], data: HostBatches): Promise<Participant> {
  const row: Row = { framework: 'kindling', backend, dtype, steps: 0, msPerStep: [], lastLoss: NaN };
  const cpu = backend === 'cpu';
  if (cpu && QUICK && w.model === 'cnn') return { row: { ...row, skipped: '--quick: the CNN takes tens of seconds per step on cpu' }, round: skippedRound };
  // The cpu backend is ~100x slower: one step per round, and the row is skipped when it would exceed the budget:
  // the CNN on an estimate from a step on 4 samples (its ~45 s step is not paid just to decide), and every row on
  // its measured warm-up step (at most a few seconds for the MLP).
  const cpuRowSteps = ROUNDS + 2 + (opts.breakdown ? 3 : 0);
  const tooSlow = (stepMs: number, how: string, margin: number): string | null =>
    cpu && stepMs * cpuRowSteps > CPU_BUDGET_MS * margin
      ? `${how} ${(stepMs / 1000).toFixed(1)} s/step on cpu: the row would take about ${Math.round((stepMs * cpuRowSteps) / 1000)} s, over the ${CPU_BUDGET_MS / 1000} s budget (--cpu-budget)`
      : null;
  let run: KindlingRun | undefined;
  try {
    run = await KindlingRun.create(w, backend, dtype === 'bfloat16' ? 'bfloat16' : null, data, LR);
    let skip = cpu && w.model === 'cnn' ? tooSlow(await run.estimateStepMs(4), 'estimated', 2) : null;
    if (skip === null) skip = tooSlow((await run.round(1)).ms, 'measured', 1); // warm-up: kernels, layers build, optimizer slots
    if (skip !== null) {
      run.dispose();
      return { row: { ...row, skipped: skip }, round: skippedRound };
    }
    const n = cpu ? 1 : 3;
    const calib = await run.round(n);
    row.steps = stepsFor(calib.ms / n);
    if (!Number.isFinite(calib.loss)) throw new Error(`loss is ${calib.loss} after warm-up`);
  } catch (e) {
    run?.dispose();
    return { row: { ...row, skipped: `cannot train: ${(e instanceof Error ? e.message : String(e)).split('\n')[0] ?? ''}` }, round: skippedRound };
  }
  const r = run;
  return { row, kindling: r, round: (steps) => r.round(steps) };
}

/**
 * Kernel time vs overhead of one kindling row. Per round: the trainer with the kernel timer on, the same steps in a
 * bare TF.js loop (no Engine, no trainer) with the timer on, and the trainer without it. Overhead = wall time -
 * kernel time - the timer's own cost, taken within each run, so the kernels' run-to-run noise cancels; kindling's
 * share is the trainer's overhead minus the bare loop's.
 */
async function breakdown(p: Participant, timer: KernelTimer, timerCostMs: number): Promise<Breakdown> {
  const run = p.kindling as KindlingRun;
  const n = p.row.steps;
  const rounds = (p.row.medianMsPerStep ?? 0) * n > 2000 ? 1 : BREAKDOWN_ROUNDS;
  const timed = async (f: () => Promise<number>): Promise<{ wall: number; kernel: number; overhead: number; calls: number }> => {
    await sleep(SETTLE_MS);
    timer.reset();
    timer.start(p.row.backend);
    let wall: number;
    try {
      wall = (await f()) / n;
    } finally {
      timer.stop();
    }
    const calls = timer.calls / n;
    return { wall, kernel: timer.totalMs / n, overhead: wall - timer.totalMs / n - calls * timerCostMs, calls };
  };
  const trainer: { wall: number; kernel: number; overhead: number; calls: number }[] = [];
  const kindlingOvh: number[] = [];
  const tfjsOvh: number[] = [];
  const plain: number[] = [];
  const tops: { kernel: number; top: [string, number][] }[] = [];
  for (let r = 0; r < rounds; r++) {
    const t = await timed(async () => (await run.round(n)).ms);
    tops.push({ kernel: t.kernel, top: [...timer.byKernel].map(([k, ms]): [string, number] => [k, ms / n]).sort((a, b) => b[1] - a[1]).slice(0, 8) });
    const b = await timed(() => run.bare(n));
    trainer.push(t);
    tfjsOvh.push(b.overhead);
    kindlingOvh.push(t.overhead - b.overhead);
    await sleep(SETTLE_MS);
    plain.push((await run.round(n)).ms / n);
  }
  const calls = median(trainer.map((t) => t.calls));
  // The largest kernels of the round whose kernel time is the median one.
  const top = [...tops].sort((a, b) => a.kernel - b.kernel)[Math.floor((tops.length - 1) / 2)]?.top ?? [];
  return {
    backend: p.row.backend, dtype: p.row.dtype, rounds, steps: n,
    stepMs: median(trainer.map((t) => t.wall)), kernelMs: median(trainer.map((t) => t.kernel)), overheadMs: median(trainer.map((t) => t.overhead)),
    tfjsOverheadMs: median(tfjsOvh), kindlingOverheadMs: median(kindlingOvh), kernelCalls: calls, timerMs: calls * timerCostMs,
    plainStepMs: median(plain), topKernels: top,
  };
}

interface WorkloadResult {
  workload: Workload;
  rounds: number;
  busyBefore: number;
  /** Share of the CPU used by other processes during the timed rounds (null without /proc). */
  othersDuring: number | null;
  rows: Row[];
  breakdown: Breakdown[];
}

async function runWorkload(w: Workload, index: number, torch: TorchWorker | null, available: BackendStatus[], timer: KernelTimer, timerCostMs: number, peak: GemmPeak | null): Promise<WorkloadResult> {
  log(`\n== ${w.title}`);
  const data = makeBatches(w.batch, NBATCHES, 1000 + index);
  const dataFile = join(tmpdir(), `kindling-bench-train-${process.pid}-${w.id}.bin`);
  writeBatches(dataFile, data);
  const participants: Participant[] = [];
  const dtypes: Row['dtype'][] = BF16_WORKLOADS.includes(w.id) ? ['float32', 'bfloat16'] : ['float32'];
  try {
    for (const dtype of dtypes) {
      if (torch !== null) participants.push(await torchParticipant(torch, w, dtype, dataFile));
      for (const b of available) {
        if (dtype === 'bfloat16' && !BF16_BACKENDS.includes(b.name)) continue;
        if (!b.available) {
          participants.push({ row: { framework: 'kindling', backend: b.name, dtype, steps: 0, msPerStep: [], lastLoss: NaN, skipped: shortNote(b.note) }, round: skippedRound });
          continue;
        }
        participants.push(await kindlingParticipant(w, b.name, dtype, data));
      }
    }
  } finally {
    rmSync(dataFile, { force: true });
  }
  const active = participants.filter((p) => p.row.skipped === undefined);
  const busyBefore = await waitIdle(MAX_WAIT_MS);
  log(`  ${ROUNDS} interleaved rounds of ${active.map((p) => `${rowLabel(p.row)} x${p.row.steps}`).join(', ')}`);
  const ticks0 = cpuTicks(torch?.pid);
  for (let r = 0; r < ROUNDS; r++) {
    for (const p of active) {
      await sleep(SETTLE_MS);
      const res = await p.round(p.row.steps);
      p.row.msPerStep.push(res.ms / p.row.steps);
      p.row.lastLoss = res.loss;
    }
  }
  const othersDuring = othersShare(ticks0, cpuTicks(torch?.pid));
  const rows = participants.map((p) => p.row);
  summarize(w, rows, peak);
  for (const line of formatRows(rows)) log(line);
  if (othersDuring !== null && othersDuring > 0.05) {
    log(`  WARNING: other processes used ${Math.round(othersDuring * 100)}% of the CPU during these rounds; rerun on an idle machine`);
  }
  const bds: Breakdown[] = [];
  if (opts.breakdown) {
    for (const p of active) if (p.kindling !== undefined) bds.push(await breakdown(p, timer, timerCostMs));
    for (const line of formatBreakdown(bds)) log(line);
  }
  for (const p of participants) p.kindling?.dispose();
  return { workload: w, rounds: ROUNDS, busyBefore, othersDuring, rows, breakdown: bds };
}

function machine(): Record<string, unknown> {
  const c = cpus();
  let flags: string[] = [];
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags')) ?? '';
    flags = ['avx2', 'avx512f', 'avx512_bf16', 'amx_bf16'].filter((f) => line.split(/\s+/).includes(f));
  } catch {
    // not Linux
  }
  return { cpu: c[0]?.model ?? 'unknown', cores: c.length, memGiB: Math.round(totalmem() / 2 ** 30), cpuFlags: flags, node: process.version, tfjs: tf.version_core };
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const m = machine();
  log(`bench:train ${QUICK ? '(quick) ' : ''}${new Date().toISOString()} on ${String(m['cpu'])} (${(m['cpuFlags'] as string[]).join(' ')}), ${String(m['cores'])} cores, node ${process.version}, tfjs ${tf.version_core}, ${THREADS} threads`);
  await waitIdle(3 * MAX_WAIT_MS);
  let torch: TorchWorker | null = null;
  let torchInfo: TorchInfo | null = null;
  let torchNote = 'disabled (--no-torch)';
  if (opts.torch) {
    const why = ensureTorch(opts.setup);
    if (why === null) {
      torch = new TorchWorker(THREADS);
      torchInfo = await torch.info();
      torchNote = `torch ${torchInfo.torch}, python ${torchInfo.python}, ${torchInfo.threads} threads, ${torchInfo.blas}`;
    } else torchNote = `not available: ${why}`;
  }
  log(`  PyTorch: ${torchNote}`);
  const backends = await loadBackends(BACKENDS, THREADS);
  for (const b of backends) log(`  kindling ${b.name}: ${b.available ? 'available' : 'skipped'} (${b.note})`);
  // The GEMM probe (half a second) runs once the native backend is loaded, on its threads, before any workload.
  const peak: GemmPeak | null = backends.some((b) => b.name === 'kindling-native' && b.available) ? measureGemmPeak() : null;
  if (peak !== null) {
    log(`  GEMM peak (${THREADS} threads): float32 ${peak.float32?.toFixed(0) ?? '-'} GFLOP/s, bfloat16 ${peak.bfloat16?.toFixed(0) ?? '-'} GFLOP/s (${peak.note}); rows' "of peak" = their GFLOP/s / this`);
    for (const [family, lib] of Object.entries(peak.kernels)) log(`  kindling-native ${family.padEnd(12)} ${lib}`);
  }
  const timer = new KernelTimer();
  const timerCostMs = KernelTimer.costPerCallMs();
  const results: WorkloadResult[] = [];
  try {
    for (const [i, w] of workloads.entries()) results.push(await runWorkload(w, i, torch, backends, timer, timerCostMs, peak));
  } finally {
    await torch?.close();
  }
  const native = backends.find((b) => b.name === 'kindling-native');
  const targets: Target[] = evaluateTargets(results, native === undefined ? 'kindling-native not requested' : native.available ? 'not run' : `kindling-native ${shortNote(native.note)}`);
  log('\n== throughput targets');
  for (const line of formatTargets(targets)) log(line);
  if (opts.markdown === true) {
    log('');
    for (const line of markdown(results, targets)) log(line);
  }
  const date = new Date().toISOString();
  const out = opts.out ?? `bench/results/train-${date.slice(0, 10)}.json`;
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(out, `${JSON.stringify({
    date, quick: QUICK, machine: m, threads: THREADS, kernelTimerCostUs: timerCostMs * 1000, rounds: ROUNDS, roundMs: ROUND_MS, torch: torchInfo ?? torchNote, backends, gemmPeak: peak, results, targets,
    durationS: (Date.now() - t0) / 1000,
  }, null, 2)}\n`);
  log(`\nresults: ${out} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}

await main();
