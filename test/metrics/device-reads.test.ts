import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Average, GeometricAverage } from '../../src/metrics/accumulation.js';
import { Accuracy } from '../../src/metrics/accuracy.js';
import { ConfusionMatrix } from '../../src/metrics/confusion-matrix.js';
import { Loss } from '../../src/metrics/loss.js';
import type { Metric } from '../../src/metrics/metric.js';
import { Precision, Recall } from '../../src/metrics/precision-recall.js';
import { MeanAbsoluteError, MeanPairwiseDistance, MeanSquaredError, R2Score } from '../../src/metrics/regression.js';
import { TopKCategoricalAccuracy } from '../../src/metrics/top-k.js';
import { useCpu } from './reference.js';

// Counts every read of tensor data back to JavaScript (sync and async).
const READS = ['dataSync', 'arraySync', 'data', 'array', 'bufferSync', 'buffer'] as const;
const proto = tf.Tensor.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
const originals = new Map<string, (...a: unknown[]) => unknown>();
let reads = 0;

before(async () => {
  await useCpu();
  for (const name of READS) {
    const orig = proto[name]!;
    originals.set(name, orig);
    proto[name] = function (this: unknown, ...args: unknown[]) {
      reads += 1;
      return orig.apply(this, args);
    };
  }
});
after(() => {
  for (const [name, orig] of originals) proto[name] = orig;
});

describe('updates never read tensors back; compute reads a fixed, small number of times', () => {
  const scores = () => tf.tensor2d([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.2, 0.6]]);
  const labels = () => tf.tensor1d([1, 0, 1], 'int32');
  const cases: [string, () => Metric, () => unknown][] = [
    ['Accuracy', () => new Accuracy(), () => [scores(), labels()]],
    ['Precision macro', () => new Precision({ average: 'macro' }), () => [scores(), labels()]],
    ['Recall per class', () => new Recall(), () => [scores(), labels()]],
    ['ConfusionMatrix', () => new ConfusionMatrix(3), () => [scores(), labels()]],
    ['TopK', () => new TopKCategoricalAccuracy({ k: 2 }), () => [scores(), labels()]],
    ['MSE', () => new MeanSquaredError(), () => [scores(), scores()]],
    ['MAE', () => new MeanAbsoluteError(), () => [scores(), scores()]],
    ['MPD', () => new MeanPairwiseDistance(), () => [scores(), scores()]],
    ['R2', () => new R2Score(), () => [tf.tensor1d([1, 2, 4]), tf.tensor1d([1, 3, 3])]],
    ['Loss', () => new Loss((p, t) => tf.losses.meanSquaredError(t, p)), () => [scores(), scores()]],
    ['Average', () => new Average(), () => scores()],
    ['GeometricAverage', () => new GeometricAverage(), () => scores()],
  ];
  for (const [name, make, output] of cases) {
    it(name, () => {
      const computeReads = (updates: number): number => {
        const m = make();
        reads = 0;
        for (let i = 0; i < updates; i++) m.update(output());
        assert.equal(reads, 0, `${name}.update read tensor data back`);
        m.compute();
        m.reset();
        return reads;
      };
      const once = computeReads(1);
      assert.ok(once >= 1 && once <= 6, `${name}.compute read ${once} times`);
      assert.equal(computeReads(6), once, 'the reads in compute() do not grow with the number of updates');
    });
  }
});
