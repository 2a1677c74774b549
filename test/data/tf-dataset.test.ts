import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfd from '@tensorflow/tfjs-data';
import { fromTfDataset } from '../../src/data/index.js';
import { Engine } from '../../src/engine/index.js';

/** A real tf.data pipeline: 10 samples zipped as { xs, ys }, batched by 4 (batches of 4, 4, 2). */
function pipeline(): tfd.Dataset<tf.TensorContainer> {
  const xs = tfd.array(Array.from({ length: 10 }, (_, i) => [i, i + 0.5]));
  const ys = tfd.array(Array.from({ length: 10 }, (_, i) => i % 3));
  return tfd.zip({ xs, ys }).batch(4);
}

describe('fromTfDataset', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('runs an Engine over a real tf.data.Dataset: { xs, ys } become [xs, ys], every epoch re-iterates', async () => {
    const seen: number[][] = [];
    const engine = new Engine((_e, [x, y]: [tf.Tensor, tf.Tensor]) => {
      seen.push([x.shape[0] ?? 0, ...Array.from(y.dataSync())]);
    });
    const source = fromTfDataset<tf.TensorContainer, [tf.Tensor, tf.Tensor]>(pipeline());
    assert.equal(source.length, 3);
    const before = tf.memory().numTensors;
    const state = await engine.run(source, { maxEpochs: 2 });
    assert.equal(state.epochLength, 3);
    assert.deepEqual(seen.slice(0, 3), [[4, 0, 1, 2, 0], [4, 1, 2, 0, 1], [2, 2, 0]]);
    assert.deepEqual(seen.slice(3), seen.slice(0, 3));
    assert.equal(tf.memory().numTensors, before, 'each element is disposed after its step');
  });

  it('disposes the current element when the iteration stops early; dispose: false leaves them to the caller', async () => {
    const before = tf.memory().numTensors;
    for await (const batch of fromTfDataset(pipeline())) {
      assert.ok(Array.isArray(batch));
      break;
    }
    assert.equal(tf.memory().numTensors, before);
    const kept: { xs: tf.Tensor; ys: tf.Tensor }[] = [];
    for await (const el of fromTfDataset(pipeline(), { dispose: false, toBatch: (e) => e as { xs: tf.Tensor; ys: tf.Tensor } })) kept.push(el);
    assert.deepEqual(kept.map((e) => e.xs.shape), [[4, 2], [4, 2], [2, 2]]);
    assert.equal(tf.memory().numTensors, before + 6);
    tf.dispose(kept.flatMap((e) => [e.xs, e.ys]));
    assert.equal(tf.memory().numTensors, before);
  });

  it('an unsized dataset has no length; a non-dataset is a TypeError', () => {
    assert.equal(fromTfDataset(pipeline().repeat()).length, undefined);
    assert.throws(() => fromTfDataset({} as never), /expects a tf.data.Dataset/);
  });
});
