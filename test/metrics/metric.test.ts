// Ignite 0.5's Metric.state_dict / load_state_dict (tests/ignite/metrics/test_metric.py::test_state_dict and the
// per-metric save/load cases): a metric saved mid-accumulation and loaded into a fresh one continues exactly.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Accuracy } from '../../src/metrics/accuracy.js';
import { ConfusionMatrix } from '../../src/metrics/confusion-matrix.js';
import { Loss } from '../../src/metrics/loss.js';
import { Precision } from '../../src/metrics/precision-recall.js';
import { MeanSquaredError } from '../../src/metrics/regression.js';
import { Frequency } from '../../src/metrics/frequency.js';
import type { Metric } from '../../src/metrics/metric.js';
import { ROC_AUC } from '../../src/metrics/epoch-metric.js';
import { close, useCpu } from './reference.js';

before(useCpu);

const batches = [
  [[[0.9, 0.05, 0.05], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7]], [0, 2, 2]],
  [[[0.3, 0.6, 0.1], [0.8, 0.1, 0.1]], [1, 1]],
  [[[0.1, 0.1, 0.8], [0.2, 0.5, 0.3], [0.6, 0.3, 0.1]], [2, 1, 1]],
] as const;

/** Feeds the first `k` batches to `a`, saves through JSON, loads into `b`, feeds the rest to `b`. */
function splitRun<T>(make: () => Metric<T>, k: number): { whole: T; resumed: T } {
  const whole = make();
  for (const b of batches) whole.update(b);
  const a = make();
  for (const b of batches.slice(0, k)) a.update(b);
  const saved = JSON.parse(JSON.stringify(a.stateDict())) as ReturnType<Metric['stateDict']>;
  const fresh = make();
  fresh.loadStateDict(saved);
  for (const b of batches.slice(k)) fresh.update(b);
  const result = { whole: whole.compute(), resumed: fresh.compute() };
  for (const m of [whole, a, fresh]) m.reset();
  return result;
}

describe('Metric.stateDict / loadStateDict', () => {
  it('test_state_dict: Accuracy, Precision, ConfusionMatrix, Loss, ROC_AUC and MSE continue exactly after a JSON round trip', () => {
    const n = tf.memory().numTensors;
    for (const k of [1, 2]) {
      const acc = splitRun(() => new Accuracy(), k);
      close(acc.resumed, acc.whole, 1e-12);
      const prec = splitRun(() => new Precision({ average: 'macro' }), k);
      close(prec.resumed, prec.whole, 1e-9);
      const cm = splitRun(() => new ConfusionMatrix(3), k);
      assert.deepEqual(cm.resumed, cm.whole);
      const nll = (p: tf.Tensor, y: tf.Tensor): tf.Tensor => tf.neg(tf.mean(tf.sum(tf.mul(tf.log(p), tf.oneHot(tf.cast(y, 'int32'), 3)), 1)));
      const loss = splitRun(() => new Loss(nll as never), k);
      close(loss.resumed, loss.whole, 1e-6);
    }
    const roc = (): ROC_AUC => new ROC_AUC();
    const rocBatches: [number[], number[]][] = [[[0.1, 0.8, 0.4], [0, 1, 0]], [[0.35, 0.9], [1, 1]], [[0.2, 0.7], [0, 0]]];
    const rocWhole = roc();
    for (const b of rocBatches) rocWhole.update(b);
    const rocA = roc();
    rocA.update(rocBatches[0]!);
    const rocB = roc();
    rocB.loadStateDict(JSON.parse(JSON.stringify(rocA.stateDict())) as ReturnType<Metric['stateDict']>);
    for (const b of rocBatches.slice(1)) rocB.update(b);
    close(rocB.compute(), rocWhole.compute(), 1e-12);
    for (const m of [rocWhole, rocA, rocB]) m.reset();
    const mse = new MeanSquaredError();
    mse.update([[1, 2], [0, 0]]);
    const other = new MeanSquaredError();
    other.loadStateDict(mse.stateDict());
    other.update([[3], [0]]);
    close(other.compute(), (1 + 4 + 9) / 3, 1e-9);
    for (const m of [mse, other]) m.reset();
    assert.equal(tf.memory().numTensors, n);
  });

  it('test_load_state_dict: loading replaces (and frees) the current state; a state of another metric is rejected', () => {
    const n = tf.memory().numTensors;
    const a = new Accuracy();
    a.update(batches[0]);
    const b = new Accuracy();
    b.update(batches[1]);
    b.update(batches[2]);
    b.loadStateDict(a.stateDict());
    close(b.compute(), a.compute(), 1e-12);
    assert.throws(() => b.loadStateDict(new ConfusionMatrix(3).stateDict()), /saved by ConfusionMatrix/);
    assert.throws(() => b.loadStateDict(null as never), TypeError);
    assert.throws(() => new Frequency().stateDict(), /Frequency has no serialisable state/);
    a.reset();
    b.reset();
    assert.equal(tf.memory().numTensors, n);
  });
});
