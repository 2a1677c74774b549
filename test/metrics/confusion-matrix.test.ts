import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { NotComputableError } from '../../src/errors.js';
import {
  ConfusionMatrix,
  DiceCoefficient,
  IoU,
  JaccardIndex,
  cmAccuracy,
  cmPrecision,
  cmRecall,
  mIoU,
} from '../../src/metrics/confusion-matrix.js';
import { FC, argmax, close, useCpu } from './reference.js';

before(useCpu);

/** Segmentation-like batches: scores (N, C, H, W), labels (N, H, W) with some "ignore" labels (255). */
const segBatches = fc.integer({ min: 2, max: 4 }).chain((c) =>
  fc
    .array(
      fc.record({
        n: fc.integer({ min: 1, max: 3 }),
        h: fc.integer({ min: 1, max: 3 }),
        w: fc.integer({ min: 1, max: 3 }),
        seed: fc.integer({ min: 0, max: 1e6 }),
      }),
      { minLength: 1, maxLength: 3 },
    )
    .map((specs) => ({ c, specs })),
);

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function makeBatch(c: number, n: number, h: number, w: number, seed: number) {
  const rnd = lcg(seed);
  const scores = Array.from({ length: n }, () => Array.from({ length: c }, () => Array.from({ length: h }, () => Array.from({ length: w }, rnd))));
  const labels = Array.from({ length: n }, () =>
    Array.from({ length: h }, () => Array.from({ length: w }, () => (rnd() < 0.1 ? 255 : Math.floor(rnd() * c)))),
  );
  return { scores, labels };
}

/** Brute force: for each pixel with a valid label, count matrix[label][argmax over classes]. */
function referenceCm(c: number, batches: ReturnType<typeof makeBatch>[]): number[][] {
  const m = Array.from({ length: c }, () => new Array<number>(c).fill(0));
  for (const { scores, labels } of batches) {
    labels.forEach((img, i) =>
      img.forEach((row, y) =>
        row.forEach((label, x) => {
          if (label < 0 || label >= c) return;
          const pred = argmax(scores[i]!.map((plane) => plane[y]![x]!));
          m[label]![pred]! += 1;
        }),
      ),
    );
  }
  return m;
}

describe('ConfusionMatrix', () => {
  it('matches a per-pixel brute-force count on (N, C, H, W) inputs, skipping out-of-range labels', () => {
    fc.assert(
      fc.property(segBatches, ({ c, specs }) => {
        const cm = new ConfusionMatrix(c);
        const batches = specs.map((s) => makeBatch(c, s.n, s.h, s.w, s.seed));
        for (const b of batches) cm.update([tf.tensor4d(b.scores), tf.tensor3d(b.labels, undefined, 'int32')]);
        assert.deepEqual(cm.compute(), referenceCm(c, batches));
      }),
      FC,
    );
  });

  it('IoU, mIoU, Dice, Jaccard, cmAccuracy, cmPrecision, cmRecall follow their definitions', () => {
    fc.assert(
      fc.property(segBatches, fc.option(fc.integer({ min: 0, max: 1 }), { nil: undefined }), ({ c, specs }, ignore) => {
        const batches = specs.map((s) => makeBatch(c, s.n, s.h, s.w, s.seed));
        const m = referenceCm(c, batches);
        const cm = new ConfusionMatrix(c);
        const opts = ignore === undefined ? {} : { ignoreIndex: ignore };
        const metrics = {
          iou: IoU(cm, opts),
          miou: mIoU(cm, opts),
          dice: DiceCoefficient(cm, opts),
          jac: JaccardIndex(cm, opts),
          acc: cmAccuracy(cm),
          prec: cmPrecision(cm, false),
          rec: cmRecall(cm),
        };
        for (const b of batches) cm.update([tf.tensor4d(b.scores), tf.tensor3d(b.labels, undefined, 'int32')]);
        const tp = (k: number) => m[k]![k]!;
        const row = (k: number) => m[k]!.reduce((a, b) => a + b, 0);
        const col = (k: number) => m.reduce((a, r) => a + r[k]!, 0);
        const keep = [...Array(c).keys()].filter((k) => k !== ignore);
        const iou = keep.map((k) => tp(k) / (row(k) + col(k) - tp(k) + 1e-15));
        const total = m.flat().reduce((a, b) => a + b, 0);
        close(metrics.iou.compute(), iou, 1e-9);
        close(metrics.jac.compute(), iou, 1e-9);
        close(metrics.miou.compute(), iou.reduce((a, b) => a + b, 0) / iou.length, 1e-9);
        close(metrics.dice.compute(), keep.map((k) => (2 * tp(k)) / (row(k) + col(k) + 1e-15)), 1e-9);
        close(metrics.acc.compute(), [...Array(c).keys()].reduce((a, k) => a + tp(k), 0) / (total + 1e-15), 1e-9);
        close(metrics.prec.compute(), [...Array(c).keys()].map((k) => tp(k) / (col(k) + 1e-15)), 1e-9);
        const recall = [...Array(c).keys()].map((k) => tp(k) / (row(k) + 1e-15));
        close(metrics.rec.compute(), recall.reduce((a, b) => a + b, 0) / c, 1e-9);
      }),
      FC,
    );
  });

  it('hand-checked 2-class matrix and its averages', () => {
    const yPred = [[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4]];
    const y = [0, 1, 0, 1];
    const run = (average?: 'samples' | 'recall' | 'precision') => {
      const cm = new ConfusionMatrix(2, average ? { average } : {});
      cm.update([yPred, y]);
      return cm.compute();
    };
    assert.deepEqual(run(), [[1, 1], [1, 1]]);
    close(run('samples'), [[0.25, 0.25], [0.25, 0.25]], 1e-9);
    close(run('recall'), [[0.5, 0.5], [0.5, 0.5]], 1e-9);
    close(run('precision'), [[0.5, 0.5], [0.5, 0.5]], 1e-9);
  });

  it('test_cm_precision / test_cm_recall on an asymmetric matrix: recall divides by row sums, precision by column sums', () => {
    // Rows are true labels, columns predictions: [[1, 2], [1, 1]] has row sums [3, 2] and column sums [2, 3].
    const yPred = [[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.4, 0.6], [0.6, 0.4]];
    const y = [0, 0, 0, 1, 1];
    const run = (average?: 'recall' | 'precision') => {
      const cm = new ConfusionMatrix(2, average ? { average } : {});
      cm.update([yPred, y]);
      return cm.compute();
    };
    assert.deepEqual(run(), [[1, 2], [1, 1]]);
    close(run('recall'), [[1 / 3, 2 / 3], [1 / 2, 1 / 2]], 1e-9);
    close(run('precision'), [[1 / 2, 2 / 3], [1 / 2, 1 / 3]], 1e-9);
  });

  it('errors: classes, shapes, dtype, helpers', () => {
    assert.throws(() => new ConfusionMatrix(1), /numClasses needs to be/);
    const cm = new ConfusionMatrix(3);
    assert.throws(() => cm.compute(), NotComputableError);
    assert.throws(() => cm.update([tf.zeros([4, 2]), tf.zeros([4], 'int32')]), /correct number of classes: 2 vs 3/);
    assert.throws(() => cm.update([tf.zeros([4]), tf.zeros([4], 'int32')]), /yPred must have shape \(batchSize, numClasses/);
    assert.throws(() => cm.update([tf.zeros([4, 3]), tf.zeros([5], 'int32')]), /\[5\] vs \[4,3\]/);
    assert.throws(() => cm.update([tf.zeros([4, 3]), tf.zeros([4])]), /int32/);
    assert.throws(() => IoU(new ConfusionMatrix(3, { average: 'recall' })), /either undefined or 'samples'/);
    assert.throws(() => IoU(cm, { ignoreIndex: 3 }), /range of \[0, 3\)/);
  });
});
