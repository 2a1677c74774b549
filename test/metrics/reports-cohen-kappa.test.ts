import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { Engine, silentLogger } from '../../src/engine/index.js';
import { NotComputableError } from '../../src/errors.js';
import { CohenKappa, cohenKappaScore, type KappaWeights } from '../../src/metrics/reports/index.js';
import { close, useCpu } from './reference.js';

before(useCpu);

interface KappaCase {
  weights: KappaWeights;
  batches: [number[], number[]][];
  expected: number;
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/reports.json', import.meta.url), 'utf8')) as { cohenKappa: KappaCase[] };

describe('CohenKappa', () => {
  it('matches sklearn cohen_kappa_score on random labels fed in batches of different sizes (fixture)', () => {
    assert.equal(fixture.cohenKappa.length, 6);
    for (const { weights, batches, expected } of fixture.cohenKappa) {
      const m = new CohenKappa({ weights });
      for (const [yPred, y] of batches) m.update([tf.tensor1d(yPred, 'int32'), tf.tensor1d(y, 'int32')]);
      close(m.compute(), expected, 1e-9);
      // (N, 1) columns give the same result
      const col = new CohenKappa({ weights });
      for (const [yPred, y] of batches) col.update([yPred.map((v) => [v]), y.map((v) => [v])]);
      close(col.compute(), expected, 1e-9);
    }
  });

  it("Ignite's docstring example: 0.4285...", async () => {
    const engine = new Engine((_e, b: [tf.Tensor, tf.Tensor]) => b, { logger: silentLogger });
    new CohenKappa().attach(engine, 'ck');
    const yTrue = tf.tensor1d([2, 0, 2, 2, 0, 1], 'int32');
    const yPred = tf.tensor1d([0, 0, 2, 2, 0, 2], 'int32');
    const state = await engine.run([[yPred, yTrue]], { maxEpochs: 1 });
    close(state.metrics.ck, 0.4285714285714286, 1e-12);
    tf.dispose([yTrue, yPred]);
  });

  it('is symmetric and equals 1 for perfect agreement; NaN when undefined (one label only)', () => {
    const a = [0, 1, 1, 2, 2, 2];
    const b = [0, 2, 1, 2, 1, 2];
    for (const w of [null, 'linear', 'quadratic'] as const) {
      close(cohenKappaScore(a, b, w), cohenKappaScore(b, a, w), 1e-15);
      assert.equal(cohenKappaScore(a, a, w), 1);
    }
    assert.ok(Number.isNaN(cohenKappaScore([3, 3], [3, 3])));
  });

  it('attached to an Engine: one value per epoch from batches of different sizes, leak-free', async () => {
    const { weights, batches, expected } = fixture.cohenKappa[2]!;
    const data = batches.map(([p, y]) => [tf.tensor1d(p, 'int32'), tf.tensor1d(y, 'int32')] as [tf.Tensor, tf.Tensor]);
    const engine = new Engine((_e, b: [tf.Tensor, tf.Tensor]) => b, { logger: silentLogger });
    const metric = new CohenKappa({ weights });
    metric.attach(engine, 'kappa');
    const n = tf.memory().numTensors;
    for (let run = 0; run < 2; run++) {
      const state = await engine.run(data, { maxEpochs: 2 });
      close(state.metrics.kappa, expected, 1e-9);
      metric.reset();
      assert.equal(tf.memory().numTensors, n);
    }
    tf.dispose(data.flat());
  });

  it('errors: unknown weights, score inputs, (N, C) inputs, no data', () => {
    assert.throws(() => new CohenKappa({ weights: 'cubic' as KappaWeights }), (e: unknown) => e instanceof RangeError && /Kappa Weighting type/.test(e.message));
    const scores = new CohenKappa();
    scores.update([tf.tensor1d([0.2, 0.7]), tf.tensor1d([0, 1], 'int32')]);
    assert.throws(() => scores.compute(), (e: unknown) => e instanceof RangeError && /class labels/.test(e.message));
    scores.reset();
    const wide = new CohenKappa();
    wide.update([tf.tensor2d([[0, 1], [1, 0]], undefined, 'int32'), tf.tensor2d([[0, 1], [1, 0]], undefined, 'int32')]);
    assert.throws(() => wide.compute(), /shape \(N,\) or \(N, 1\)/);
    wide.reset();
    assert.throws(() => new CohenKappa().compute(), NotComputableError);
    assert.throws(() => cohenKappaScore([1], [1, 2]), RangeError);
  });
});
