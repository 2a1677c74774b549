import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { Engine, silentLogger } from '../../src/engine/index.js';
import { NotComputableError } from '../../src/errors.js';
import { HSIC, MaximumMeanDiscrepancy } from '../../src/metrics/similarity/index.js';
import { close, useCpu } from './reference.js';

before(useCpu);

type Nested = number | Nested[];
interface MmdCase {
  var: number;
  batches: [Nested, Nested][];
  expected: number;
}
interface HsicCase {
  sigmaX: number;
  sigmaY: number;
  batches: [Nested, Nested][];
  expected: number;
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/similarity.json', import.meta.url), 'utf8')) as {
  maximumMeanDiscrepancy: MmdCase[];
  hsic: HsicCase[];
};
const toBatch = ([a, b]: [Nested, Nested]): [tf.Tensor, tf.Tensor] => [tf.tensor(a), tf.tensor(b)];

describe('MaximumMeanDiscrepancy', () => {
  it('matches the numpy reference (unbiased MMD² per batch, averaged) for (B, D) and (B, 2, 2) inputs (fixture)', () => {
    for (const { var: variance, batches, expected } of fixture.maximumMeanDiscrepancy) {
      const m = new MaximumMeanDiscrepancy({ var: variance });
      for (const b of batches) {
        const out = toBatch(b);
        m.update(out);
        tf.dispose(out);
      }
      close(m.compute(), expected, 1e-5);
    }
  });

  it("Ignite's docstring example: 1.072697639465332, through an Engine", async () => {
    const engine = new Engine((_e, b: [tf.Tensor, tf.Tensor]) => b, { logger: silentLogger });
    new MaximumMeanDiscrepancy().attach(engine, 'mmd');
    const x = tf.tensor2d([
      [-0.80324818, -0.95768364, -0.03807209], [-0.11059691, -0.38230813, -0.4111988], [-0.8864329, -0.02890403, -0.60119252],
      [-0.68732452, -0.12854739, -0.72095073], [-0.62604613, -0.52368328, -0.24112842],
    ]);
    const y = tf.tensor2d([
      [0.0686768, 0.80502737, 0.53321717], [0.83849465, 0.59099726, 0.76385441], [0.68688272, 0.56833803, 0.98100778],
      [0.55267761, 0.13084654, 0.45382906], [0.0754253, 0.70317304, 0.4756805],
    ]);
    const state = await engine.run([[x, y]], { maxEpochs: 1 });
    close(state.metrics.mmd, 1.072697639465332, 1e-5);
    tf.dispose([x, y]);
  });

  it('errors: shapes, 1-D input, a batch of one sample, var, no data', () => {
    const m = new MaximumMeanDiscrepancy();
    assert.throws(() => m.update([tf.zeros([2, 3]), tf.zeros([3, 3])]), /x and y must be in the same shape, got \[2,3\] != \[3,3\]/);
    assert.throws(() => m.update([tf.zeros([3]), tf.zeros([3])]), /x must be in the shape of \(B, \.\.\.\), got \[3\]/);
    assert.throws(() => m.update([tf.zeros([1, 3]), tf.zeros([1, 3])]), /at least 2 samples per batch.*dropLast/);
    assert.throws(() => new MaximumMeanDiscrepancy({ var: 0 }), RangeError);
    assert.throws(() => m.compute(), /MaximumMeanDiscrepancy must have at least one batch/);
  });
});

describe('HSIC', () => {
  it('matches the numpy reference (median heuristic and fixed bandwidths; the 3-sample batch is skipped) (fixture)', () => {
    for (const { sigmaX, sigmaY, batches, expected } of fixture.hsic) {
      const m = new HSIC({ sigmaX, sigmaY });
      for (const b of batches) {
        const out = toBatch(b);
        m.update(out);
        tf.dispose(out);
      }
      close(m.compute(), expected, 2e-6);
    }
  });

  it("Ignite's docstring example: 0.09226646274328232, through an Engine", async () => {
    const engine = new Engine((_e, b: [tf.Tensor, tf.Tensor]) => b, { logger: silentLogger });
    new HSIC().attach(engine, 'hsic');
    const X = tf.reshape(tf.range(0, 50), [10, 5]);
    const Y = tf.sin(tf.mul(X, (Math.PI * 2) / 50));
    const state = await engine.run([[X, Y]], { maxEpochs: 1 });
    close(state.metrics.hsic, 0.09226646274328232, 1e-5);
    tf.dispose([X, Y]);
  });

  it('leak-free across engine runs (MMD and HSIC)', async () => {
    const cases = [
      { metric: new HSIC(), c: fixture.hsic[0]!, tol: 2e-6 },
      { metric: new MaximumMeanDiscrepancy(), c: fixture.maximumMeanDiscrepancy[0]!, tol: 1e-5 },
    ];
    for (const { metric, c, tol } of cases) {
      const data = c.batches.map(toBatch);
      const engine = new Engine((_e, b: [tf.Tensor, tf.Tensor]) => b, { logger: silentLogger });
      metric.attach(engine, 'value');
      const n = tf.memory().numTensors;
      for (let run = 0; run < 2; run++) {
        close((await engine.run(data, { maxEpochs: 2 })).metrics.value, c.expected, tol);
        metric.reset();
        assert.equal(tf.memory().numTensors, n);
      }
      tf.dispose(data.flat());
    }
  });

  it('errors: small batches with ignoreInvalidBatch false, different batch sizes, no valid batch', () => {
    const strict = new HSIC({ ignoreInvalidBatch: false });
    assert.throws(() => strict.update([tf.zeros([3, 2]), tf.zeros([3, 2])]), /more than three samples, got only 3 samples/);
    assert.throws(() => strict.update([tf.zeros([4, 2]), tf.zeros([5, 2])]), /same batch size/);
    const lenient = new HSIC();
    lenient.update([tf.zeros([3, 2]), tf.zeros([3, 2])]);
    assert.throws(() => lenient.compute(), NotComputableError);
  });
});
