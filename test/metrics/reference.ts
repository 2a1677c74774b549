/**
 * Independent brute-force references for the metric tests: plain loops over numbers, written from the metric
 * definitions (not from the library code), plus shared fast-check generators.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import assert from 'node:assert/strict';

export async function useCpu(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}

/** Property-test settings: modest, seeded runs so tests stay fast and reproducible. */
export const FC = { numRuns: 40, seed: 20261128 } as const;

export function close(actual: unknown, expected: unknown, tol = 1e-4, path = 'value'): void {
  if (typeof expected === 'number') {
    assert.equal(typeof actual, 'number', `${path}: expected a number, got ${JSON.stringify(actual)}`);
    const a = actual as number;
    if (Number.isNaN(expected)) return assert.ok(Number.isNaN(a), `${path}: expected NaN, got ${a}`);
    const ok = Math.abs(a - expected) <= tol * Math.max(1, Math.abs(expected));
    assert.ok(ok, `${path}: expected ${expected}, got ${a}`);
    return;
  }
  assert.ok(Array.isArray(expected) && Array.isArray(actual), `${path}: expected an array, got ${JSON.stringify(actual)}`);
  assert.equal(actual.length, expected.length, `${path}: length`);
  expected.forEach((e, i) => close((actual as unknown[])[i], e, tol, `${path}[${i}]`));
}

// ---------- generators ----------

/** A list of batches of multiclass data: scores (N, C) and labels (N,). */
export const multiclassBatches = (maxClasses = 6) =>
  fc.integer({ min: 2, max: maxClasses }).chain((c) =>
    fc.array(
      fc.integer({ min: 1, max: 8 }).chain((n) =>
        fc.record({
          scores: fc.array(fc.array(fc.float({ min: 0, max: 1, noNaN: true, noDefaultInfinity: true }), { minLength: c, maxLength: c }), { minLength: n, maxLength: n }),
          labels: fc.array(fc.integer({ min: 0, max: c - 1 }), { minLength: n, maxLength: n }),
        }),
      ),
      { minLength: 1, maxLength: 4 },
    ).map((batches) => ({ c, batches })),
  );

/** A list of batches of binary data: 0/1 predictions and targets of shape (N,). */
export const binaryBatches = () =>
  fc.array(
    fc.integer({ min: 1, max: 10 }).chain((n) =>
      fc.record({
        pred: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: n, maxLength: n }),
        y: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: n, maxLength: n }),
      }),
    ),
    { minLength: 1, maxLength: 4 },
  );

/** A list of batches of multilabel data: 0/1 matrices (N, L). */
export const multilabelBatches = () =>
  fc.integer({ min: 2, max: 5 }).chain((l) =>
    fc.array(
      fc.integer({ min: 1, max: 8 }).chain((n) => {
        const m = fc.array(fc.array(fc.integer({ min: 0, max: 1 }), { minLength: l, maxLength: l }), { minLength: n, maxLength: n });
        return fc.record({ pred: m, y: m });
      }),
      { minLength: 1, maxLength: 4 },
    ).map((batches) => ({ l, batches })),
  );

/** Batches of regression data (N, D) with D fixed. */
export const regressionBatches = (d?: number) =>
  (d === undefined ? fc.integer({ min: 1, max: 4 }) : fc.constant(d)).chain((dim) =>
    fc.array(
      fc.integer({ min: 1, max: 8 }).chain((n) => {
        const m = fc.array(fc.array(fc.float({ min: -10, max: 10, noNaN: true, noDefaultInfinity: true }), { minLength: dim, maxLength: dim }), { minLength: n, maxLength: n });
        return fc.record({ pred: m, y: m });
      }),
      { minLength: 1, maxLength: 4 },
    ),
  );

// ---------- references ----------

export function argmax(row: readonly number[]): number {
  let best = 0;
  row.forEach((v, i) => {
    if (v > (row[best] ?? -Infinity)) best = i;
  });
  return best;
}

/** Per-class true positives, predicted positives and actual positives from (pred, true) label pairs. */
export function classCounts(pairs: [number, number][], c: number): { tp: number[]; predPos: number[]; actualPos: number[] } {
  const tp = new Array<number>(c).fill(0);
  const predPos = new Array<number>(c).fill(0);
  const actualPos = new Array<number>(c).fill(0);
  for (const [p, t] of pairs) {
    predPos[p]! += 1;
    actualPos[t]! += 1;
    if (p === t) tp[p]! += 1;
  }
  return { tp, predPos, actualPos };
}

/** Precision or recall from one-vs-rest counts, following the documented `average` semantics. */
export function prReference(
  kind: 'precision' | 'recall',
  cols: { tp: number[]; predPos: number[]; actualPos: number[] },
  average: false | null | 'micro' | 'macro' | 'weighted',
): number | number[] {
  const den = kind === 'precision' ? cols.predPos : cols.actualPos;
  const per = cols.tp.map((t, i) => (den[i]! === 0 ? 0 : t / den[i]!));
  if (average === 'micro') {
    const t = cols.tp.reduce((a, b) => a + b, 0);
    const d = den.reduce((a, b) => a + b, 0);
    return d === 0 ? 0 : t / d;
  }
  if (average === 'macro') return per.reduce((a, b) => a + b, 0) / per.length;
  if (average === 'weighted') {
    const w = cols.actualPos;
    const tw = w.reduce((a, b) => a + b, 0);
    return tw === 0 ? 0 : per.reduce((s, p, i) => s + p * w[i]!, 0) / tw;
  }
  return per;
}

/** Multilabel column counts: label j positive in prediction / truth. */
export function multilabelCounts(rows: { pred: number[]; y: number[] }[], l: number) {
  const tp = new Array<number>(l).fill(0);
  const predPos = new Array<number>(l).fill(0);
  const actualPos = new Array<number>(l).fill(0);
  for (const { pred, y } of rows) {
    for (let j = 0; j < l; j++) {
      predPos[j]! += pred[j]!;
      actualPos[j]! += y[j]!;
      tp[j]! += pred[j]! * y[j]!;
    }
  }
  return { tp, predPos, actualPos };
}

/** ROC AUC by counting all positive/negative pairs (ties count 1/2). */
export function rocAucPairs(scores: number[], labels: number[]): number {
  let wins = 0;
  let pairs = 0;
  scores.forEach((sp, i) => {
    if (labels[i] !== 1) return;
    scores.forEach((sn, j) => {
      if (labels[j] !== 0) return;
      pairs += 1;
      wins += sp > sn ? 1 : sp === sn ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

/** Average precision by scanning every distinct threshold (score >= t) from high to low. */
export function apThresholds(scores: number[], labels: number[]): number {
  const positives = labels.filter((l) => l === 1).length;
  const thresholds = [...new Set(scores)].sort((a, b) => b - a);
  let prevRecall = 0;
  let ap = 0;
  for (const t of thresholds) {
    let tp = 0;
    let selected = 0;
    scores.forEach((s, i) => {
      if (s >= t) {
        selected += 1;
        tp += labels[i]!;
      }
    });
    const recall = tp / positives;
    ap += (recall - prevRecall) * (tp / selected);
    prevRecall = recall;
  }
  return ap;
}
