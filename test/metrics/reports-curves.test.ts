import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { Engine, silentLogger } from '../../src/engine/index.js';
import { NotComputableError } from '../../src/errors.js';
import { PrecisionRecallCurve, RocCurve, precisionRecallCurve, rocCurve } from '../../src/metrics/reports/index.js';
import { close, useCpu } from './reference.js';

before(useCpu);

interface CurveCase {
  batches: [number[], number[]][];
  pr: number[][];
  roc: (number | string)[][];
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/reports.json', import.meta.url), 'utf8')) as { curves: CurveCase[] };
const num = (v: number | string): number => (v === 'Infinity' ? Number.POSITIVE_INFINITY : (v as number));

function closeCurve(actual: number[][], expected: (number | string)[][], tol: number): void {
  assert.equal(actual.length, 3);
  expected.forEach((col, k) => {
    const a = actual[k]!;
    assert.equal(a.length, col.length, `array ${k} length`);
    col.forEach((e, i) => (num(e) === Number.POSITIVE_INFINITY ? assert.equal(a[i], Infinity) : close(a[i], num(e), tol, `[${k}][${i}]`)));
  });
}

describe('PrecisionRecallCurve and RocCurve', () => {
  it('match sklearn precision_recall_curve / roc_curve on random scores (with ties) fed in batches (fixture)', () => {
    for (const { batches, pr, roc } of fixture.curves) {
      const prc = new PrecisionRecallCurve();
      const rc = new RocCurve();
      for (const [scores, labels] of batches) {
        const out = [tf.tensor1d(scores), tf.tensor1d(labels, 'int32')];
        const columns = out.map((t) => tf.reshape(t, [-1, 1])); // (N, 1) is accepted too
        prc.update(out);
        rc.update(columns);
        tf.dispose([...out, ...columns]);
      }
      closeCurve(prc.compute(), pr, 1e-6);
      closeCurve(rc.compute(), roc, 1e-6);
    }
  });

  it("Ignite's docstring examples", async () => {
    const engine = new Engine((_e, b: [tf.Tensor, tf.Tensor]) => b, { logger: silentLogger });
    new PrecisionRecallCurve().attach(engine, 'prec_recall_curve');
    const yPred = tf.tensor1d([0.0474, 0.5987, 0.7109, 0.9997]);
    const yTrue = tf.tensor1d([0, 0, 1, 1], 'int32');
    const state = await engine.run([[yPred, yTrue]], { maxEpochs: 1 });
    const [p, r, t] = state.metrics.prec_recall_curve as number[][];
    close(p, [0.5, 0.6667, 1.0, 1.0, 1.0], 1e-4);
    close(r, [1.0, 1.0, 1.0, 0.5, 0.0], 1e-9);
    close(t, [0.0474, 0.5987, 0.7109, 0.9997], 1e-6);

    const [fpr, tpr, thr] = rocCurve([0.0474, 0.5987, 0.7109, 0.9997], [0, 0, 1, 0]);
    close(fpr, [0.0, 0.333, 0.333, 1.0], 1e-3);
    close(tpr, [0.0, 0.0, 1.0, 1.0], 1e-9);
    assert.equal(thr[0], Infinity);
    close(thr.slice(1), [1.0, 0.711, 0.047], 1e-3);
    tf.dispose([yPred, yTrue]);
  });

  it('edge cases follow sklearn: no positive sample (recall 1), one class in ROC (NaN)', () => {
    const [precision, recall] = precisionRecallCurve([0.1, 0.5], [0, 0]);
    assert.deepEqual(precision, [0, 0, 1]);
    assert.deepEqual(recall, [1, 1, 0]);
    const [fpr, tpr] = rocCurve([0.1, 0.5], [1, 1]);
    assert.ok(fpr.every(Number.isNaN));
    assert.deepEqual(tpr, [0, 0.5, 1]);
  });

  it('attached to an Engine with every batch size; leak-free across runs', async () => {
    const { batches, roc } = fixture.curves[0]!;
    const data = batches.map(([s, l]) => [tf.tensor1d(s), tf.tensor1d(l, 'int32')] as [tf.Tensor, tf.Tensor]);
    const engine = new Engine((_e, b: [tf.Tensor, tf.Tensor]) => b, { logger: silentLogger });
    const metric = new RocCurve();
    metric.attach(engine, 'roc');
    const n = tf.memory().numTensors;
    for (let run = 0; run < 2; run++) {
      const state = await engine.run(data, { maxEpochs: 1 });
      closeCurve(state.metrics.roc as number[][], roc, 1e-6);
      metric.reset();
      assert.equal(tf.memory().numTensors, n);
    }
    tf.dispose(data.flat());
  });

  it('errors: labels not 0/1, (N, C) inputs, no data', () => {
    const bad = new RocCurve();
    bad.update([[0.2, 0.3], [0, 2]]);
    assert.throws(() => bad.compute(), (e: unknown) => e instanceof RangeError && /only 0 and 1/.test(e.message));
    bad.reset();
    const wide = new PrecisionRecallCurve();
    wide.update([[[0.2, 0.3]], [[0, 1]]]);
    assert.throws(() => wide.compute(), /binary data/);
    wide.reset();
    assert.throws(() => new PrecisionRecallCurve().compute(), NotComputableError);
    assert.throws(() => new RocCurve().update([tf.zeros([2, 2, 2]), tf.zeros([2])]), RangeError);
  });
});
