/**
 * Losses against hand computations in plain TS (PyTorch's definitions), batch conversion, and bad input: errors
 * name what was expected and what was received.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  binaryCrossEntropyWithLogits,
  convertTensor,
  createSupervisedEvaluator,
  createSupervisedTrainer,
  crossEntropyLoss,
  l1Loss,
  mseLoss,
  nllLoss,
  prepareBatch,
} from '../../src/training/index.js';
import { assertClose, linearModel, memory, useBackend } from './helpers.js';

const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
const sum = (v: number[]): number => v.reduce((a, b) => a + b, 0);
const logSumExp = (row: number[]): number => {
  const m = Math.max(...row);
  return m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
};

function values(t: tf.Tensor): number[] {
  const out = Array.from(t.dataSync());
  t.dispose();
  return out;
}

function closeAll(actual: number[], expected: number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  expected.forEach((e, i) => assertClose(actual[i]!, e, tol, `${what}[${i}]`));
}

describe('losses (PyTorch semantics) vs hand computations', () => {
  before(async () => {
    await useBackend('cpu');
  });

  const LOGITS = [[1, 2, 3], [0.5, -1, 2], [-0.3, 0.7, 0.1], [4, -2, 0]];
  const LABELS = [2, 0, 1, 1];
  const perSampleCe = LOGITS.map((row, i) => logSumExp(row) - row[LABELS[i]!]!);

  it('crossEntropyLoss with int32 class indices: mean, sum and none', () => {
    const run = (reduction?: 'mean' | 'sum' | 'none'): number[] => {
      const x = tf.tensor2d(LOGITS);
      const y = tf.tensor1d(LABELS, 'int32');
      const out = values(crossEntropyLoss(x, y, reduction === undefined ? {} : { reduction }));
      tf.dispose([x, y]);
      return out;
    };
    closeAll(run(), [mean(perSampleCe)], 1e-6, 'default (mean)');
    closeAll(run('mean'), [mean(perSampleCe)], 1e-6, 'mean');
    closeAll(run('sum'), [sum(perSampleCe)], 1e-6, 'sum');
    closeAll(run('none'), perSampleCe, 1e-6, 'none');
  });

  it('crossEntropyLoss with one-hot and soft (probability) targets', () => {
    const x = tf.tensor2d(LOGITS);
    const oneHot = tf.tensor2d(LABELS.map((l) => [0, 1, 2].map((c) => (c === l ? 1 : 0))));
    closeAll(values(crossEntropyLoss(x, oneHot)), [mean(perSampleCe)], 1e-6, 'one-hot');
    const soft = [[0.2, 0.3, 0.5], [1, 0, 0], [0.1, 0.1, 0.8], [0.25, 0.25, 0.5]];
    const ref = LOGITS.map((row, i) => -soft[i]!.reduce((s, p, c) => s + p * (row[c]! - logSumExp(row)), 0));
    const p = tf.tensor2d(soft);
    closeAll(values(crossEntropyLoss(x, p, { reduction: 'none' })), ref, 1e-6, 'soft targets');
    tf.dispose([x, oneHot, p]);
  });

  it('nllLoss picks -input[i, target[i]] of log-probabilities', () => {
    const logp = LOGITS.map((row) => row.map((v) => v - logSumExp(row)));
    const x = tf.tensor2d(logp);
    const y = tf.tensor1d(LABELS, 'int32');
    const picked = logp.map((row, i) => -row[LABELS[i]!]!);
    closeAll(values(nllLoss(x, y)), [mean(picked)], 1e-6, 'mean');
    closeAll(values(nllLoss(x, y, { reduction: 'sum' })), [sum(picked)], 1e-6, 'sum');
    closeAll(values(nllLoss(x, y, { reduction: 'none' })), picked, 1e-6, 'none');
    // nll(logSoftmax(z)) == crossEntropy(z)
    const z = tf.tensor2d(LOGITS);
    const ls = tf.logSoftmax(z);
    closeAll(values(nllLoss(ls, y)), values(crossEntropyLoss(z, y)), 1e-6, 'nll(logSoftmax) vs ce');
    tf.dispose([x, y, z, ls]);
  });

  it('binaryCrossEntropyWithLogits matches -[t log s(x) + (1-t) log(1-s(x))], and is stable for large logits', () => {
    const xs = [-2, 0, 0.5, 3, -1.5];
    const ts = [0, 1, 0.25, 1, 1];
    const sig = (v: number): number => 1 / (1 + Math.exp(-v));
    const ref = xs.map((x, i) => -(ts[i]! * Math.log(sig(x)) + (1 - ts[i]!) * Math.log(1 - sig(x))));
    const x = tf.tensor1d(xs);
    const t = tf.tensor1d(ts);
    closeAll(values(binaryCrossEntropyWithLogits(x, t, { reduction: 'none' })), ref, 1e-6, 'none');
    closeAll(values(binaryCrossEntropyWithLogits(x, t)), [mean(ref)], 1e-6, 'mean');
    closeAll(values(binaryCrossEntropyWithLogits(x, t, { reduction: 'sum' })), [sum(ref)], 1e-6, 'sum');
    // Large logits: log(sigmoid(x)) would overflow/underflow naively. Exact values: 100, 100, ~0, ~0.
    const big = tf.tensor1d([100, -100, 100, -100, 1000]);
    const bt = tf.tensor1d([0, 1, 1, 0, 0]);
    const out = values(binaryCrossEntropyWithLogits(big, bt, { reduction: 'none' }));
    assert.ok(out.every(Number.isFinite), `finite: ${out.join(', ')}`);
    closeAll(out, [100, 100, 0, 0, 1000], 1e-6, 'large logits');
    tf.dispose([x, t, big, bt]);
  });

  it('mseLoss and l1Loss with every reduction', () => {
    const a = [[1.5, -2], [0.25, 4]];
    const b = [[1, 1], [-0.75, 2.5]];
    const d = a.flat().map((v, i) => v - b.flat()[i]!);
    const x = tf.tensor2d(a);
    const y = tf.tensor2d(b);
    closeAll(values(mseLoss(x, y)), [mean(d.map((v) => v * v))], 1e-6, 'mse mean');
    closeAll(values(mseLoss(x, y, { reduction: 'sum' })), [sum(d.map((v) => v * v))], 1e-6, 'mse sum');
    closeAll(values(mseLoss(x, y, { reduction: 'none' })), d.map((v) => v * v), 1e-6, 'mse none');
    closeAll(values(l1Loss(x, y)), [mean(d.map(Math.abs))], 1e-6, 'l1 mean');
    closeAll(values(l1Loss(x, y, { reduction: 'sum' })), [sum(d.map(Math.abs))], 1e-6, 'l1 sum');
    closeAll(values(l1Loss(x, y, { reduction: 'none' })), d.map(Math.abs), 1e-6, 'l1 none');
    assert.throws(() => mseLoss(x, y, { reduction: 'avg' as never }), /reduction should be 'mean', 'sum' or 'none', got 'avg'/);
    tf.dispose([x, y]);
  });

  it('shape and dtype errors name the expected and the received shapes', () => {
    const p = tf.zeros([2, 1]);
    const q = tf.zeros([2]);
    for (const fn of [mseLoss, l1Loss, binaryCrossEntropyWithLogits]) {
      assert.throws(() => fn(p, q), (e: unknown) => e instanceof RangeError && e.message.includes('input [2, 1]') && e.message.includes('target [2]'));
    }
    const logits = tf.zeros([4, 3]);
    assert.throws(() => crossEntropyLoss(logits, tf.zeros([5], 'int32')),
      (e: unknown) => e instanceof RangeError && /\[4\].*\[4, 3\].*got \[5\]/.test(e.message));
    assert.throws(() => crossEntropyLoss(logits, tf.zeros([4], 'float32')), (e: unknown) => e instanceof TypeError && /int32.*got float32/.test(e.message));
    assert.throws(() => nllLoss(tf.zeros([4]), tf.zeros([4], 'int32')), /shape \[N, C\].*got \[4\]/);
    assert.throws(() => mseLoss([1] as never, q), /expects two tensors/);
    tf.dispose([p, q, logits]);
  });
});

describe('bad input to the trainer and the evaluator', () => {
  before(async () => {
    await useBackend('cpu');
  });

  for (const [name, options] of [['plain', {}], ['amp', { ampMode: 'amp' }], ['apex, k=2', { ampMode: 'apex', gradientAccumulationSteps: 2 }]] as const) {
    it(`${name}: a yPred/y shape mismatch fails the run with both shapes, and leaks nothing`, async () => {
      const model = linearModel(0);
      const optimizer = tf.train.sgd(0.1);
      const start = memory();
      const trainer = createSupervisedTrainer(model, optimizer, mseLoss, options);
      await assert.rejects(trainer.run([[[[0.5]], [0.5, 1.5]]], { maxEpochs: 1 }), (e: unknown) =>
        e instanceof RangeError && /input \[1, 1\] and target \[2\]/.test(e.message));
      assert.deepEqual(memory(), start);
      // The trainer is usable afterwards (two batches: one step also with k=2).
      await trainer.run([[[[0.5]], [[1.5]]], [[[0.5]], [[1.5]]]], { maxEpochs: 1 });
      assert.notEqual(model.weight(), 0);
      model.dispose();
    });
  }

  it('a non-scalar loss from a custom lossFn fails with its shape', async () => {
    const model = linearModel(0);
    const optimizer = tf.train.sgd(0.1);
    const start = memory();
    const lossFn = (yPred: tf.Tensor, y: tf.Tensor): tf.Tensor => tf.squaredDifference(yPred, y);
    const trainer = createSupervisedTrainer(model, optimizer, lossFn);
    await assert.rejects(trainer.run([[[[0.5], [1.5]], [[1], [2]]]], { maxEpochs: 1 }),
      (e: unknown) => e instanceof RangeError && /scalar tensor, got shape \[2, 1\]/.test(e.message));
    assert.deepEqual(memory(), start);
    const notATensor = createSupervisedTrainer(model, optimizer, (() => 3) as never);
    await assert.rejects(notATensor.run([[[[0.5]], [[1]]]], { maxEpochs: 1 }), /scalar tensor, got number/);
    model.dispose();
  });

  it('a batch that is not a pair says what it expected and what it received', async () => {
    const model = linearModel(0);
    const trainer = createSupervisedTrainer(model, tf.train.sgd(0.1), mseLoss);
    await assert.rejects(trainer.run([[[[1.5]], [[1.5]], [[2.5]]]], { maxEpochs: 1 }),
      (e: unknown) => e instanceof TypeError && /expects a batch \[x, y\] or \{ x, y \}, got an array of length 3/.test(e.message));
    await assert.rejects(trainer.run([7], { maxEpochs: 1 }), /\[x, y\] or \{ x, y \}, got number/);
    const evaluator = createSupervisedEvaluator(model);
    await assert.rejects(evaluator.run([{ inputs: [1.5], targets: [2.5] }]), /got an object with keys \[inputs, targets\]/);
    const tensorBatch = tf.zeros([2, 2]);
    const start = memory();
    await assert.rejects(evaluator.run([tensorBatch]), { message: /got a tensor of shape \[2, 2\]/ });
    assert.deepEqual(memory(), start);
    tensorBatch.dispose();
    model.dispose();
  });
});

describe('convertTensor and the default prepareBatch', () => {
  before(async () => {
    await useBackend('cpu');
  });

  it('converts numbers, nested arrays, typed arrays and nested structures, keeping tensors as they are', () => {
    const t = tf.tensor1d([1, 2]);
    const out = convertTensor({ a: [[1, 2], [3, 4]], b: [0.5, 1.5], c: 3, d: Int32Array.of(1, 2), e: Float32Array.of(0.5), f: t, g: [t, 2.5] }) as
      Record<string, tf.Tensor | tf.Tensor[]>;
    const a = out['a'] as tf.Tensor;
    assert.deepEqual([a.shape, a.dtype, Array.from(a.dataSync())], [[2, 2], 'int32', [1, 2, 3, 4]]);
    assert.equal((out['b'] as tf.Tensor).dtype, 'float32');
    assert.deepEqual([(out['c'] as tf.Tensor).rank, (out['c'] as tf.Tensor).dataSync()[0]], [0, 3]);
    assert.equal((out['d'] as tf.Tensor).dtype, 'int32');
    assert.equal((out['e'] as tf.Tensor).dtype, 'float32');
    assert.equal(out['f'], t);
    assert.equal((out['g'] as tf.Tensor[])[0], t);
    assert.throws(() => convertTensor({ a: ['x'] }), (e: unknown) => e instanceof TypeError && e.message.includes('input.a[0]') && e.message.includes('string'));
    for (const v of Object.values(out)) tf.dispose(v);
    t.dispose();
  });

  it('prepareBatch accepts [x, y] pairs and { x, y } objects', () => {
    const [x1, y1] = prepareBatch([[[0.5, 1.5]], [2]]) as [tf.Tensor, tf.Tensor];
    const [x2, y2] = prepareBatch({ x: [[0.5, 1.5]], y: [2] }, 'cpu', true) as [tf.Tensor, tf.Tensor];
    assert.deepEqual([x1.shape, Array.from(x1.dataSync()), Array.from(y1.dataSync())], [[1, 2], [0.5, 1.5], [2]]);
    assert.deepEqual([x2.shape, Array.from(x2.dataSync()), Array.from(y2.dataSync())], [[1, 2], [0.5, 1.5], [2]]);
    tf.dispose([x1, y1, x2, y2]);
  });
});
