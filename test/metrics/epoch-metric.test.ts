import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Engine, silentLogger, type Logger } from '../../src/engine/index.js';
import { NotComputableError } from '../../src/errors.js';
import {
  AveragePrecision,
  EpochMetric,
  ROC_AUC,
  averagePrecisionScore,
  rocAucScore,
} from '../../src/metrics/epoch-metric.js';
import { FC, apThresholds, close, rocAucPairs, useCpu } from './reference.js';

before(useCpu);

/** Scores drawn from a small grid so that ties happen; labels 0/1 with both classes present. */
const scoredBatches = fc
  .array(
    fc.integer({ min: 1, max: 6 }).chain((n) =>
      fc.record({
        scores: fc.array(fc.integer({ min: 0, max: 8 }).map((k) => k / 8), { minLength: n, maxLength: n }),
        labels: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: n, maxLength: n }),
      }),
    ),
    { minLength: 1, maxLength: 4 },
  )
  .filter((bs) => {
    const all = bs.flatMap((b) => b.labels);
    return all.includes(0) && all.includes(1);
  });

describe('ROC_AUC and AveragePrecision', () => {
  it('ROC_AUC equals the fraction of correctly ordered positive/negative pairs (ties 1/2)', () => {
    fc.assert(
      fc.property(scoredBatches, (batches) => {
        const m = new ROC_AUC();
        for (const { scores, labels } of batches) m.update([tf.tensor1d(scores), tf.tensor1d(labels, 'int32')]);
        const s = batches.flatMap((b) => b.scores);
        const l = batches.flatMap((b) => b.labels);
        close(m.compute(), rocAucPairs(s, l), 1e-9);
      }),
      FC,
    );
  });

  it('AveragePrecision equals the threshold-by-threshold sum of (ΔR) · P', () => {
    fc.assert(
      fc.property(scoredBatches, (batches) => {
        const m = new AveragePrecision();
        for (const { scores, labels } of batches) m.update([scores, labels]);
        const s = batches.flatMap((b) => b.scores);
        const l = batches.flatMap((b) => b.labels);
        close(m.compute(), apThresholds(s, l), 1e-6);
      }),
      FC,
    );
  });

  it('multilabel (N, L): macro average over labels', () => {
    const p = [[0.1, 0.9], [0.4, 0.2], [0.35, 0.6], [0.8, 0.3]];
    const y = [[0, 1], [0, 0], [1, 1], [1, 0]];
    const roc = new ROC_AUC();
    roc.update([p, y]);
    const col = (m: number[][], j: number) => m.map((r) => r[j]!);
    close(roc.compute(), (rocAucPairs(col(p, 0), col(y, 0)) + rocAucPairs(col(p, 1), col(y, 1))) / 2, 1e-9);
    const ap = new AveragePrecision();
    ap.update([p, y]);
    close(ap.compute(), (apThresholds(col(p, 0), col(y, 0)) + apThresholds(col(p, 1), col(y, 1))) / 2, 1e-6);
  });

  it('hand-checked: the sklearn docs example (AUC 0.75, AP 0.8333)', () => {
    close(rocAucScore([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75, 1e-12);
    close(averagePrecisionScore([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.8333333333, 1e-9);
  });

  it('errors: one class only, labels not 0/1, shapes', () => {
    const roc = new ROC_AUC();
    roc.update([[0.2, 0.3], [1, 1]]);
    assert.throws(() => roc.compute(), /Only one class present in y/);
    const bad = new ROC_AUC();
    bad.update([[0.2, 0.3], [0, 2]]);
    assert.throws(() => bad.compute(), /only 0 and 1/);
    assert.throws(() => new ROC_AUC().update([tf.zeros([2, 2, 2]), tf.zeros([2])]), /shape \(batchSize, nTargets\)/);
    assert.throws(() => new ROC_AUC().compute(), NotComputableError);
  });
});

describe('EpochMetric', () => {
  it('applies computeFn to the concatenation of all batches; (N, 1) is squeezed', () => {
    const seen: number[][] = [];
    const m = new EpochMetric((p, t) => {
      seen.push(p.shape, t.shape);
      return tf.sum(tf.mul(p, t));
    });
    m.update([tf.tensor2d([[1], [2]]), tf.tensor2d([[3], [4]])]);
    m.update([tf.tensor2d([[5]]), tf.tensor2d([[6]])]);
    assert.equal(m.compute(), 1 * 3 + 2 * 4 + 5 * 6);
    assert.deepEqual(seen.slice(-2), [[3], [3]]);
  });

  it('caches the result until the next update; dtype changes are rejected', () => {
    let calls = 0;
    const m = new EpochMetric(() => ++calls, { checkComputeFn: false });
    m.update([[0.5], [1]]);
    m.compute();
    m.compute();
    assert.equal(calls, 1);
    m.update([[0.5], [1]]);
    m.compute();
    assert.equal(calls, 2);
    assert.throws(() => m.update([tf.tensor1d([1], 'int32'), tf.tensor1d([1], 'int32')]), /Incoherent types/);
  });

  it('checkComputeFn warns through the engine logger when computeFn fails on the first batch', async () => {
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (m: string) => warnings.push(m) };
    const engine = new Engine((_e, b: number) => [[b], [b]], { logger });
    new EpochMetric(() => {
      throw new Error('boom');
    }).attach(engine, 'x');
    await assert.rejects(engine.run([1], { maxEpochs: 1 }), /boom/);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /problem with `computeFn`.*boom/s);
  });

  it('is leak-free: reset disposes the stored batches', () => {
    const m = new EpochMetric((p) => tf.sum(p));
    const n = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      m.reset();
      m.update([[1, 2], [0, 1]]);
      m.compute();
    }
    m.reset();
    assert.equal(tf.memory().numTensors, n);
  });
});
