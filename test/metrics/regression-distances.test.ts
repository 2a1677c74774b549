import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Engine, Events, silentLogger } from '../../src/engine/index.js';
import { NotComputableError } from '../../src/errors.js';
import {
  CanberraMetric,
  ManhattanDistance,
  MaximumAbsoluteError,
  WaveHedgesDistance,
} from '../../src/metrics/regression/distances.js';
import { checkAgainstFixtures, runEngine } from './fixtures/regression-cases.js';
import { close, useCpu } from './reference.js';

before(useCpu);

describe('regression distances against the numpy reference (regression.json)', () => {
  const metrics = {
    CanberraMetric: () => new CanberraMetric(),
    ManhattanDistance: () => new ManhattanDistance(),
    MaximumAbsoluteError: () => new MaximumAbsoluteError(),
    WaveHedgesDistance: () => new WaveHedgesDistance(),
  };
  for (const [name, make] of Object.entries(metrics)) {
    it(`${name} over batches of different sizes, leak-free`, () => {
      checkAgainstFixtures(make, name);
    });
  }
});

describe("regression distances: Ignite's documented examples, through an Engine", () => {
  const y = (): tf.Tensor1D => tf.tensor1d([0, 1, 2, 3, 4, 5]);

  it('CanberraMetric: y = 1.5 yPred gives 0.8', async () => {
    const p = tf.tensor2d([[3.8], [9.9], [-5.4], [2.1]]);
    close(await runEngine(new CanberraMetric(), [[p, tf.mul(p, 1.5)]]), 0.8, 1e-6);
  });

  it('ManhattanDistance 3.75, WaveHedgesDistance 1.25, MaximumAbsoluteError 1.25 for yPred = 0.75 y', async () => {
    const t = y();
    const batch = [[tf.mul(t, 0.75), t]];
    close(await runEngine(new ManhattanDistance(), batch), 3.75, 1e-6);
    close(await runEngine(new WaveHedgesDistance(), batch), 1.25, 1e-6);
    close(await runEngine(new MaximumAbsoluteError(), batch), 1.25, 1e-6);
  });

  it('MaximumAbsoluteError keeps the largest error over the epoch and restarts on the next epoch', async () => {
    const engine = new Engine((_e, b: number[][]) => b, { logger: silentLogger });
    new MaximumAbsoluteError().attach(engine, 'max_ae');
    const perEpoch: unknown[] = [];
    engine.on(Events.EPOCH_COMPLETED, (e) => {
      perEpoch.push(e.state.metrics['max_ae']);
    });
    let epoch = 0;
    engine.on(Events.EPOCH_STARTED, () => {
      epoch += 1;
    });
    const data = { [Symbol.iterator]: function* () {
      yield epoch === 1 ? [[1, 2], [1, 5]] : [[0], [0.5]];
      yield [[0.25], [0]];
    } };
    await engine.run(data, { maxEpochs: 2 });
    close(perEpoch, [3, 0.5], 1e-6);
  });
});

describe('regression distances: errors and edge cases', () => {
  it('the distances are 0 before any update (as in Ignite); MaximumAbsoluteError is not computable', () => {
    assert.equal(new CanberraMetric().compute(), 0);
    assert.equal(new ManhattanDistance().compute(), 0);
    assert.equal(new WaveHedgesDistance().compute(), 0);
    assert.throws(() => new MaximumAbsoluteError().compute(), (e: unknown) => e instanceof NotComputableError && /MaximumAbsoluteError must have at least one example/.test(e.message));
  });

  it('an empty batch does not make MaximumAbsoluteError computable', () => {
    const m = new MaximumAbsoluteError();
    m.update([tf.zeros([0]), tf.zeros([0])]);
    assert.throws(() => m.compute(), NotComputableError);
    m.update([[2], [-1]]);
    assert.equal(m.compute(), 3);
    m.reset();
  });

  it("bad shapes and dtypes give Ignite's messages", () => {
    for (const m of [new CanberraMetric(), new MaximumAbsoluteError()]) {
      assert.throws(() => m.update([tf.zeros([3]), tf.zeros([4])]), { name: 'RangeError', message: /Input data shapes should be the same/ });
      assert.throws(() => m.update([tf.zeros([3, 1], 'int32'), tf.zeros([3, 1])]), { name: 'TypeError', message: /dtype should be float32/ });
    }
  });

  it('MaximumAbsoluteError: a failed update keeps the running maximum and leaks nothing', () => {
    const m = new MaximumAbsoluteError();
    m.update([[1], [4]]);
    const bad = [tf.zeros([2, 2]), tf.zeros([2, 2])];
    const n = tf.memory().numTensors;
    assert.throws(() => m.update(bad), RangeError);
    assert.equal(tf.memory().numTensors, n);
    assert.equal(m.compute(), 3);
    m.reset();
    tf.dispose(bad);
    assert.equal(tf.memory().numTensors, n - 3);
  });
});

describe('regression metrics: stateDict round trip', () => {
  it('sum-based metrics and MaximumAbsoluteError continue from a saved state', () => {
    const make = [() => new ManhattanDistance(), () => new MaximumAbsoluteError(), () => new CanberraMetric()];
    for (const m of make) {
      const a = m();
      a.update([[1, 2], [3, 1]]);
      const saved = JSON.parse(JSON.stringify(a.stateDict())) as ReturnType<typeof a.stateDict>;
      const b = m();
      b.loadStateDict(saved);
      a.update([[0.5], [4]]);
      b.update([[0.5], [4]]);
      assert.equal(b.compute(), a.compute());
      a.reset();
      b.reset();
    }
  });
});
