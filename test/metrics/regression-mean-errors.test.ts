import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Engine, Events, silentLogger } from '../../src/engine/index.js';
import { NotComputableError } from '../../src/errors.js';
import {
  FractionalAbsoluteError,
  FractionalBias,
  GeometricMeanAbsoluteError,
  MeanAbsoluteRelativeError,
  MeanError,
  MeanNormalizedBias,
} from '../../src/metrics/regression/mean-errors.js';
import { checkAgainstFixtures, runEngine } from './fixtures/regression-cases.js';
import { close, useCpu } from './reference.js';

before(useCpu);

const column = (v: number[]): tf.Tensor2D => tf.tensor2d(v, [v.length, 1]);

describe('mean regression errors against the numpy reference (regression.json)', () => {
  const metrics = {
    FractionalAbsoluteError: () => new FractionalAbsoluteError(),
    FractionalBias: () => new FractionalBias(),
    GeometricMeanAbsoluteError: () => new GeometricMeanAbsoluteError(),
    MeanAbsoluteRelativeError: () => new MeanAbsoluteRelativeError(),
    MeanError: () => new MeanError(),
    MeanNormalizedBias: () => new MeanNormalizedBias(),
  };
  for (const [name, make] of Object.entries(metrics)) {
    it(`${name} over batches of different sizes, leak-free`, () => {
      checkAgainstFixtures(make, name);
    });
  }
});

describe("mean regression errors: Ignite's documented examples, through an Engine", () => {
  const signed = [3.8, 9.9, -5.4, 2.1];
  const positive = [3.8, 9.9, 5.4, 2.1];
  const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  it('FractionalAbsoluteError: y = 0.8 yPred gives 0.2222', async () => {
    const p = column(signed);
    close(await runEngine(new FractionalAbsoluteError(), [[p, tf.mul(p, 0.8)]]), 2 / 9, 1e-6);
  });

  it('FractionalBias: y = 1.5 yPred gives 0.4', async () => {
    const p = column(positive);
    close(await runEngine(new FractionalBias(), [[p, tf.mul(p, 1.5)]]), 0.4, 1e-6);
  });

  it('GeometricMeanAbsoluteError: y = 1.5 yPred gives 2.2723', async () => {
    const p = column(signed);
    const value = await runEngine(new GeometricMeanAbsoluteError(), [[p, tf.mul(p, 1.5)]]);
    close(value, Math.exp(signed.reduce((s, v) => s + Math.log(Math.abs(0.5 * v)), 0) / 4), 1e-6);
    assert.equal(Math.floor((value as number) * 1e4), 22723);
  });

  it('MeanAbsoluteRelativeError / MeanNormalizedBias: yPred = 0.75 y gives 0.25', async () => {
    const y = tf.tensor1d(range(1, 5));
    close(await runEngine(new MeanAbsoluteRelativeError(), [[tf.mul(y, 0.75), y]]), 0.25, 1e-6);
    close(await runEngine(new MeanNormalizedBias(), [[tf.mul(y, 0.75), y]]), 0.25, 1e-6);
  });

  it('MeanError: yPred = 0.75 y over 0..5 gives 0.625, also from { yPred, y } outputs', async () => {
    const y = tf.tensor1d(range(0, 5));
    close(await runEngine(new MeanError(), [{ yPred: tf.mul(y, 0.75), y }]), 0.625, 1e-6);
  });

  it('batch_wise usage computes each batch alone', async () => {
    const batches = [
      [tf.tensor1d([1, 2]), tf.tensor1d([2, 4])],
      [tf.tensor1d([1]), tf.tensor1d([0])],
    ];
    const seen: unknown[] = [];
    const metric = new MeanError();
    const engine = new Engine((_e, b: tf.Tensor[]) => b, { logger: silentLogger });
    metric.attach(engine, 'me', { usage: 'batch_wise' });
    engine.on(Events.ITERATION_COMPLETED, (e) => {
      seen.push(e.state.metrics['me']);
    });
    await engine.run(batches, { maxEpochs: 1 });
    close(seen, [1.5, -1], 1e-6);
  });
});

describe('mean regression errors: errors and edge cases', () => {
  it('compute() before any update raises NotComputableError', () => {
    for (const m of [new FractionalAbsoluteError(), new FractionalBias(), new GeometricMeanAbsoluteError(), new MeanError()]) {
      assert.throws(() => m.compute(), (e: unknown) => e instanceof NotComputableError && /at least one example/.test(e.message));
    }
    assert.throws(() => new MeanAbsoluteRelativeError().compute(), NotComputableError);
  });

  it('a zero target makes MeanAbsoluteRelativeError / MeanNormalizedBias not computable', () => {
    for (const m of [new MeanAbsoluteRelativeError(), new MeanNormalizedBias()]) {
      m.update([tf.tensor1d([1, 2]), tf.tensor1d([1, 2])]);
      m.update([tf.tensor1d([1, 2]), tf.tensor1d([0, 2])]);
      assert.throws(() => m.compute(), (e: unknown) => e instanceof NotComputableError && /The ground truth has 0\./.test(e.message));
      m.reset();
      m.update([tf.tensor1d([1]), tf.tensor1d([2])]);
      close(m.compute(), 0.5, 1e-6);
    }
  });

  it("bad shapes give Ignite's messages", () => {
    const m = new MeanError();
    assert.throws(() => m.update([tf.zeros([4]), tf.zeros([4, 1])]), { name: 'RangeError', message: /Input data shapes should be the same, but given \[4\] and \[4,1\]/ });
    assert.throws(() => m.update([tf.zeros([4, 2]), tf.zeros([4, 2])]), { name: 'RangeError', message: /Input yPred should have shape \(N,\) or \(N, 1\)/ });
    assert.throws(() => m.update([tf.zeros([4]), tf.zeros([2, 2])]), { name: 'RangeError', message: /Input y should have shape \(N,\) or \(N, 1\)/ });
    assert.throws(() => m.update([tf.scalar(1), tf.scalar(1)]), RangeError);
  });

  it('non-float tensors and malformed outputs are TypeErrors; nested arrays are converted to float32', () => {
    const m = new FractionalBias();
    assert.throws(() => m.update([tf.tensor1d([1, 2], 'int32'), tf.tensor1d([1, 2])]), { name: 'TypeError', message: /Input yPred dtype should be float32, but given int32/ });
    assert.throws(() => m.update([tf.tensor1d([1, 2]), tf.tensor1d([1, 2], 'int32')]), { name: 'TypeError', message: /Input y dtype/ });
    assert.throws(() => m.update(tf.zeros([2])), TypeError);
    assert.throws(() => m.update(['a', 'b']), TypeError);
    m.update([[[3], [1]], [[1], [3]]]);
    close(m.compute(), 0, 1e-7);
  });

  it('a failed update leaves no tensor behind and does not count the batch', () => {
    const y = tf.zeros([3, 1]);
    const m = new MeanError();
    const before = tf.memory().numTensors;
    assert.throws(() => m.update([[1, 2, 3], y]), RangeError);
    assert.equal(tf.memory().numTensors, before);
    assert.throws(() => m.compute(), NotComputableError);
    y.dispose();
  });
});
