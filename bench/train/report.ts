/**
 * Statistics, tables and the throughput targets (kindling vs PyTorch ratios) for `npm run bench:train`.
 */
import { flopsPerSample, type Workload } from './models.js';

export const median = (xs: readonly number[]): number => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/** One row of a workload: PyTorch or kindling on one backend, float32 or bfloat16 autocast. */
export interface Row {
  framework: 'PyTorch' | 'kindling';
  backend: string;
  dtype: 'float32' | 'bfloat16';
  /** Steps per timed round (calibrated from the warm-up). */
  steps: number;
  /** ms per step, one value per round. */
  msPerStep: number[];
  lastLoss: number;
  /** Set when the row was not measured. */
  skipped?: string;
  medianMsPerStep?: number;
  samplesPerSec?: number;
  gflops?: number;
  /** gflops / the machine's measured GEMM peak in this row's dtype (peak.ts). */
  peakFraction?: number;
  /** Median over rounds of (this row's samples/s) / (PyTorch's samples/s, same dtype, same round). */
  ratioVsTorch?: number | null;
  /** bfloat16 rows: median over rounds of (this row's samples/s) / (the same framework and backend in float32). */
  ratioVsFloat32?: number | null;
}

/** The per-step time split of one kindling row (medians over the breakdown rounds, ms per step). */
export interface Breakdown {
  backend: string;
  dtype: string;
  rounds: number;
  steps: number;
  /** trainer step (createSupervisedTrainer + Engine) with the kernel timer on. */
  stepMs: number;
  /** sum of the kernel calls of one trainer step (KernelTimer), same runs. */
  kernelMs: number;
  /** stepMs - kernelMs - timerMs, per round then the median: everything that is not a kernel. */
  overheadMs: number;
  /** the same for the bare TF.js loop: op dispatch, autograd tape, tfjs-layers, optimizer bookkeeping. */
  tfjsOverheadMs: number;
  /** trainer overhead - bare loop overhead, paired per round: kindling's Engine and trainer. */
  kindlingOverheadMs: number;
  /** kernel calls per step (outermost). */
  kernelCalls: number;
  /** what the timer itself adds per step (calls x measured cost per call), subtracted from the overheads. */
  timerMs: number;
  /** trainer step without the timer. */
  plainStepMs: number;
  /** largest kernels, ms per step. */
  topKernels: [string, number][];
}

export const rowLabel = (r: Pick<Row, 'framework' | 'backend' | 'dtype'>): string => `${r.framework} ${r.backend} ${r.dtype}`;

/** Fills the medians and ratios of a workload's rows (ratios are per round, then the median). */
export function summarize(w: Workload, rows: Row[], peak: { float32: number | null; bfloat16: number | null } | null = null): void {
  const ref = (dtype: string, framework: string, backend?: string): Row | undefined =>
    rows.find((r) => r.skipped === undefined && r.dtype === dtype && r.framework === framework && (backend === undefined || r.backend === backend));
  const ratio = (a: Row, b: Row | undefined): number | null => {
    if (b === undefined || b.msPerStep.length === 0) return null;
    const n = Math.min(a.msPerStep.length, b.msPerStep.length);
    return median(Array.from({ length: n }, (_, i) => (b.msPerStep[i] as number) / (a.msPerStep[i] as number)));
  };
  for (const r of rows) {
    if (r.skipped !== undefined) continue;
    r.medianMsPerStep = median(r.msPerStep);
    r.samplesPerSec = (w.batch * 1000) / r.medianMsPerStep;
    r.gflops = (r.samplesPerSec * flopsPerSample(w.model)) / 1e9;
    const p = peak?.[r.dtype];
    if (p != null && p > 0) r.peakFraction = r.gflops / p;
    r.ratioVsTorch = ratio(r, ref(r.dtype, 'PyTorch'));
    if (r.dtype === 'bfloat16') r.ratioVsFloat32 = ratio(r, ref('float32', r.framework, r.backend));
  }
}

const fmt = (x: number | null | undefined, digits: number): string => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits));
const percent = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '-' : `${Math.round(100 * x)}%`);
const thousands = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '-' : Math.round(x).toLocaleString('en-US'));

/** The table of one workload. */
export function formatRows(rows: readonly Row[]): string[] {
  const out = ['  framework  backend           dtype     steps  ms/step  samples/s  GFLOP/s  of peak  vs PyTorch  vs float32'];
  for (const r of rows) {
    const head = `  ${r.framework.padEnd(9)}  ${r.backend.padEnd(16)}  ${r.dtype.padEnd(8)}`;
    if (r.skipped !== undefined) {
      out.push(`${head}  skipped: ${r.skipped}`);
      continue;
    }
    const vsTorch = r.framework === 'PyTorch' ? '1.00x' : r.ratioVsTorch == null ? '-' : `${fmt(r.ratioVsTorch, 2)}x`;
    const vsF32 = r.ratioVsFloat32 == null ? '' : `${fmt(r.ratioVsFloat32, 2)}x`;
    out.push(
      `${head}  ${String(r.steps).padStart(5)}  ${fmt(r.medianMsPerStep, 2).padStart(7)}  ${thousands(r.samplesPerSec).padStart(9)}  ` +
        `${fmt(r.gflops, 1).padStart(7)}  ${percent(r.peakFraction).padStart(7)}  ${vsTorch.padStart(10)}  ${vsF32.padStart(10)}`,
    );
  }
  return out;
}

/** The breakdown table of one workload. */
export function formatBreakdown(bs: readonly Breakdown[]): string[] {
  if (bs.length === 0) return [];
  const out = [
    '  per-step breakdown of kindling (ms/step, medians): step = kernels + TF.js overhead + kindling overhead',
    '  backend           dtype       step     kernels  calls   overhead (TF.js + kindling)   top kernels (ms/step)',
  ];
  for (const b of bs) {
    const top = b.topKernels.slice(0, 4).map(([k, ms]) => `${k} ${ms.toFixed(2)}`).join(', ');
    const pct = (x: number): string => (b.stepMs > 0 ? `${Math.round((100 * x) / b.stepMs)}%` : '');
    const ovh = `${fmt(b.overheadMs, 2)} ${pct(b.overheadMs)} (${fmt(b.tfjsOverheadMs, 2)} + ${fmt(b.kindlingOverheadMs, 2)})`;
    out.push(
      `  ${b.backend.padEnd(16)}  ${b.dtype.padEnd(8)}  ${fmt(b.stepMs, 2).padStart(7)}  ` +
        `${`${fmt(b.kernelMs, 2)} ${pct(b.kernelMs)}`.padStart(12)}  ${String(Math.round(b.kernelCalls)).padStart(5)}   ${ovh.padEnd(28)}  ${top}`,
    );
  }
  return out;
}

/** One throughput target (a minimum ratio, or "trains") and whether this run met it. */
export interface Target {
  what: string;
  need: number | 'trains';
  value: number | null;
  /** 'busy': measured, but other processes used more than 10% of the CPU meanwhile, so the ratio is not trusted. */
  status: 'met' | 'NOT met' | 'n/a' | 'busy';
  note?: string;
}

/** Evaluates the throughput targets from the summarized workloads. */
export function evaluateTargets(results: { workload: Workload; rows: Row[]; othersDuring: number | null }[], nativeNote: string): Target[] {
  const row = (id: string, backend: string, dtype = 'float32'): Row | undefined =>
    results.find((r) => r.workload.id === id)?.rows.find((r) => r.framework === 'kindling' && r.backend === backend && r.dtype === dtype);
  const othersDuring = (what: string): number => results.find((r) => what.includes(r.workload.id))?.othersDuring ?? 0;
  const ratioTarget = (what: string, need: number, r: Row | undefined, value: number | null | undefined, unavailable: string): Target => {
    if (r === undefined || r.skipped !== undefined || value == null || !Number.isFinite(value)) {
      return { what, need, value: null, status: 'n/a', note: r?.skipped ?? unavailable };
    }
    const others = othersDuring(what);
    const note = others > 0.05 ? `other processes used ${Math.round(others * 100)}% of the CPU` : undefined;
    return { what, need, value, status: others > 0.1 ? 'busy' : value >= need ? 'met' : 'NOT met', ...(note === undefined ? {} : { note }) };
  };
  const native = 'kindling-native';
  const noTorch = 'no PyTorch row';
  const targets: Target[] = [];
  // Issue #23's targets: float32 >= 1.1x PyTorch; bfloat16 autocast >= 1.0x PyTorch's bfloat16 (and the MLP >= 1.7x
  // kindling's float32) on CPUs with AVX512_BF16 or AMX.
  for (const id of ['mlp-b64', 'mlp-b256', 'cnn-b64']) {
    const r = row(id, native);
    targets.push(ratioTarget(`native ${id} >= 1.1x PyTorch`, 1.1, r, r?.ratioVsTorch, r === undefined ? nativeNote : noTorch));
  }
  for (const id of ['mlp-b256', 'cnn-b64']) {
    const r = row(id, native, 'bfloat16');
    targets.push(ratioTarget(`native bfloat16 ${id} >= 1.0x PyTorch bfloat16`, 1.0, r, r?.ratioVsTorch, r === undefined ? nativeNote : noTorch));
  }
  const bf = row('mlp-b256', native, 'bfloat16');
  targets.push(ratioTarget('native bfloat16 mlp-b256 >= 1.7x native float32', 1.7, bf, bf?.ratioVsFloat32, bf === undefined ? nativeNote : 'no float32 row'));
  for (const id of ['mlp-b64', 'mlp-b256']) {
    const r = row(id, 'wasm');
    targets.push(ratioTarget(`wasm ${id} >= 0.25x PyTorch`, 0.25, r, r?.ratioVsTorch, r === undefined ? 'wasm not run' : noTorch));
  }
  const wc = row('cnn-b64', 'wasm');
  const trains = wc !== undefined && wc.skipped === undefined && Number.isFinite(wc.lastLoss);
  targets.push({
    what: 'wasm cnn-b64 trains',
    need: 'trains',
    value: wc?.skipped === undefined && wc !== undefined ? wc.lastLoss : null,
    status: wc === undefined ? 'n/a' : trains ? 'met' : 'NOT met',
    ...(wc === undefined ? { note: 'wasm not run' } : wc.skipped !== undefined ? { note: wc.skipped } : { note: `last loss ${wc.lastLoss.toFixed(3)}` }),
  });
  return targets;
}

export function formatTargets(targets: readonly Target[]): string[] {
  return targets.map((t) => {
    const v = t.value === null ? '-' : t.need === 'trains' ? 'yes' : `${t.value.toFixed(2)}x`;
    return `  ${t.status.padEnd(7)}  ${t.what.padEnd(58)} ${v.padStart(6)}${t.note !== undefined && (t.status === 'n/a' || t.need !== 'trains') ? `  (${t.note})` : ''}`;
  });
}

/** The results as markdown tables, for docs/benchmarks.md (`--markdown`). */
export function markdown(results: readonly { workload: Workload; rows: Row[]; breakdown: Breakdown[] }[], targets: readonly Target[]): string[] {
  const out = ['| workload | framework | backend | dtype | ms/step | samples/s | GFLOP/s | of GEMM peak | vs PyTorch | vs float32 |', '|---|---|---|---|---|---|---|---|---|---|'];
  for (const { workload: w, rows } of results) {
    for (const r of rows) {
      if (r.skipped !== undefined) {
        out.push(`| ${w.id} | ${r.framework} | ${r.backend} | ${r.dtype} | skipped: ${r.skipped} | | | | | |`);
        continue;
      }
      const vs = r.framework === 'PyTorch' ? '1.00x' : r.ratioVsTorch == null ? '-' : `${fmt(r.ratioVsTorch, 2)}x`;
      const f32 = r.ratioVsFloat32 == null ? '' : `${fmt(r.ratioVsFloat32, 2)}x`;
      out.push(`| ${w.id} | ${r.framework} | ${r.backend} | ${r.dtype} | ${fmt(r.medianMsPerStep, 2)} | ${thousands(r.samplesPerSec)} | ${fmt(r.gflops, 1)} | ${percent(r.peakFraction)} | ${vs} | ${f32} |`);
    }
  }
  out.push('', '| workload | backend | dtype | step ms | kernels ms | overhead ms (TF.js + kindling) | top kernels (ms/step) |', '|---|---|---|---|---|---|---|');
  for (const { workload: w, breakdown: bs } of results) {
    for (const b of bs) {
      const pct = b.stepMs > 0 ? ` (${Math.round((100 * b.kernelMs) / b.stepMs)}%)` : '';
      const top = b.topKernels.slice(0, 4).map(([k, ms]) => `${k} ${ms.toFixed(2)}`).join(', ');
      out.push(`| ${w.id} | ${b.backend} | ${b.dtype} | ${fmt(b.stepMs, 2)} | ${fmt(b.kernelMs, 2)}${pct} | ${fmt(b.overheadMs, 2)} (${fmt(b.tfjsOverheadMs, 2)} + ${fmt(b.kindlingOverheadMs, 2)}) | ${top} |`);
    }
  }
  out.push('', '| target | need | measured | status |', '|---|---|---|---|');
  for (const t of targets) {
    const v = t.value === null ? `- (${t.note ?? ''})` : t.need === 'trains' ? 'trains' : `${t.value.toFixed(2)}x`;
    out.push(`| ${t.what} | ${t.need === 'trains' ? 'trains' : `${t.need}x`} | ${v} | ${t.status} |`);
  }
  return out;
}
