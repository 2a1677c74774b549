import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import type { SyncedState } from '../../src/metrics/internal/sync.js';
import type { Metric } from '../../src/metrics/metric.js';
import { MultiLabelConfusionMatrix } from '../../src/metrics/reports/index.js';
import {
  CosineSimilarity,
  Entropy,
  HSIC,
  JSDivergence,
  KLDivergence,
  MaximumMeanDiscrepancy,
  MutualInformation,
} from '../../src/metrics/similarity/index.js';
import { close, useCpu } from './reference.js';

before(useCpu);

type Nested = number | Nested[];
interface Case {
  batches: [Nested, Nested][];
  expected?: number;
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/similarity.json', import.meta.url), 'utf8')) as Record<string, (Case & Record<string, unknown>)[]>;
const reports = JSON.parse(readFileSync(new URL('./fixtures/reports.json', import.meta.url), 'utf8')) as {
  multiLabelConfusionMatrix: { batches: [Nested, Nested][]; expected: number[][][] }[];
};

/**
 * Simulates the all-reduce of a 2-rank job: rank b's declared state is added into rank a's (what `compute()` does
 * before computing). Returns the replaced tensors, which the caller disposes.
 */
function reduceInto(a: Metric, b: Metric): tf.Tensor[] {
  const state = (m: Metric): SyncedState[] => (m as unknown as { syncedState(): SyncedState[] }).syncedState();
  const fa = state(a);
  const fb = state(b);
  assert.equal(fa.length, fb.length);
  const replaced: tf.Tensor[] = [];
  fa.forEach((f, i) => {
    assert.equal(f.op, 'SUM');
    const va = f.get();
    const vb = fb[i]!.get();
    if (typeof va === 'number') f.set(va + (vb as number));
    else {
      replaced.push(va!);
      f.set(tf.add(va!, vb as tf.Tensor));
    }
  });
  return replaced;
}

function splitRun(make: () => Metric, batches: [Nested, Nested][], int = false): number | number[][][] {
  const ranks = [make(), make()];
  batches.forEach(([p, y], i) => {
    const dtype = int ? 'int32' : 'float32';
    const out = [tf.tensor(p, undefined, dtype), tf.tensor(y, undefined, dtype)];
    ranks[i % 2]!.update(out);
    tf.dispose(out);
  });
  const replaced = reduceInto(ranks[0]!, ranks[1]!);
  const value = ranks[0]!.compute() as number | number[][][];
  tf.dispose(replaced);
  ranks.forEach((m) => m.reset());
  return value;
}

describe('distributed reduction (Ignite @sync_all_reduce) of the similarity metrics and MultiLabelConfusionMatrix', () => {
  it('batches split over two simulated ranks, reduced, give the single-process reference value', () => {
    const info = fixture.information![0]!;
    const cases: [() => Metric, Case, number][] = [
      [() => new CosineSimilarity(), fixture.cosineSimilarity![0]!, fixture.cosineSimilarity![0]!.expected!],
      [() => new Entropy(), info, info.entropy as number],
      [() => new MutualInformation(), info, info.mutualInformation as number],
      [() => new KLDivergence(), info, info.kl as number],
      [() => new JSDivergence(), info, info.js as number],
      [() => new MaximumMeanDiscrepancy(), fixture.maximumMeanDiscrepancy![0]!, fixture.maximumMeanDiscrepancy![0]!.expected!],
      [() => new HSIC(), fixture.hsic![0]!, fixture.hsic![0]!.expected!],
    ];
    const n = tf.memory().numTensors;
    for (const [make, c, expected] of cases) close(splitRun(make, c.batches), expected, 1e-5, make().constructor.name);
    const mlcm = reports.multiLabelConfusionMatrix[1]!;
    assert.deepEqual(splitRun(() => new MultiLabelConfusionMatrix(4), mlcm.batches, true), mlcm.expected);
    assert.equal(tf.memory().numTensors, n);
  });
});
