import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { Engine, Events } from '../../../src/engine/index.js';
import { CheckpointError } from '../../../src/errors.js';
import { Checkpoint } from '../../../src/handlers/checkpoint/checkpoint.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../../src/handlers/checkpoint/format.js';
import { captureState, restoreState, type OptimizerState } from '../../../src/handlers/checkpoint/tf-state.js';
import { DiskSaver } from '../../../src/node/disk-saver.js';
import { kindlingFileHandler } from '../../../src/node/file-io-handler.js';

await tf.setBackend('cpu');

function makeModel(seed: number): tfl.Sequential {
  const model = tfl.sequential();
  model.add(tfl.layers.dense({ units: 4, inputShape: [3], activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed }) }));
  model.add(tfl.layers.batchNormalization());
  model.add(tfl.layers.dense({ units: 1, kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }) }));
  return model;
}

function weightBits(model: tfl.LayersModel): number[][] {
  return model.getWeights().map((w) => Array.from(new Uint8Array((w.dataSync() as Float32Array).slice().buffer)));
}

const xs = tf.tensor2d([[0.1, -0.2, 0.3], [0.5, 0.4, -0.6], [-1, 2, 0.25], [0.3, 0.3, 0.3]]);
const ys = tf.tensor2d([[1], [-1], [0.5], [0]]);

function step(model: tfl.LayersModel, opt: tf.Optimizer): void {
  tf.tidy(() => {
    opt.minimize(() => tf.losses.meanSquaredError<tf.Tensor, tf.Scalar>(ys, model.apply(xs, { training: true }) as tf.Tensor));
  });
}

async function roundTrip(value: unknown): Promise<unknown> {
  return decodeCheckpoint(await encodeCheckpoint(value), 'mem');
}

const OPTIMIZERS: Array<[string, () => tf.Optimizer]> = [
  ['sgd', () => tf.train.sgd(0.05)],
  ['momentum (nesterov)', () => tf.train.momentum(0.05, 0.9, true)],
  ['adam', () => tf.train.adam(0.01)],
  ['adagrad', () => tf.train.adagrad(0.05)],
  ['adadelta', () => tf.train.adadelta(0.5)],
  ['rmsprop (centered, momentum)', () => tf.train.rmsprop(0.01, 0.9, 0.5, 1e-7, true)],
];

describe('tf.LayersModel and optimizer state', () => {
  let dir = '';
  before(() => { dir = mkdtempSync(join(tmpdir(), 'kindling-tfstate-')); });
  after(() => { rmSync(dir, { recursive: true, force: true }); });

  it('restores model weights bit for bit into a rebuilt model (new layer names)', async () => {
    const a = makeModel(1);
    const b = makeModel(7);
    assert.notDeepEqual(weightBits(a), weightBits(b));
    assert.notEqual(a.weights[0]?.originalName, b.weights[0]?.originalName);
    const state = await roundTrip(await captureState(a));
    const before = tf.memory().numTensors;
    await restoreState(b, state, 'model');
    assert.equal(tf.memory().numTensors, before, 'restoring must not leak tensors');
    assert.deepEqual(weightBits(b), weightBits(a));
    await restoreState(a, state, 'model'); // same names: matched by name
    assert.deepEqual(weightBits(a), weightBits(b));
    a.dispose();
    b.dispose();
  });

  it('rejects a model state that does not fit the architecture', async () => {
    const a = makeModel(1);
    const other = tfl.sequential({ layers: [tfl.layers.dense({ units: 2, inputShape: [3] })] });
    const state = await captureState(a);
    await assert.rejects(restoreState(other, state, 'model'), CheckpointError);
    await assert.rejects(restoreState(other, { w: 1 }, 'model'), /expects a tf.LayersModel state, but the checkpoint holds a plain state dict/);
    a.dispose();
    other.dispose();
  });

  for (const [label, make] of OPTIMIZERS) {
    it(`${label}: restored optimizer continues training exactly like the original`, async () => {
      const modelA = makeModel(3);
      const optA = make();
      for (let i = 0; i < 3; i++) step(modelA, optA);
      const state = await roundTrip({ model: await captureState(modelA), optimizer: await captureState(optA) }) as Record<string, unknown>;
      assert.equal((state['optimizer'] as OptimizerState).iterations, 3);
      const modelB = makeModel(11);
      const optB = make();
      step(modelB, optB); // give B some stale slot variables that loading must replace (and dispose)
      const before = tf.memory().numTensors;
      await Checkpoint.loadObjects({ toLoad: { model: modelB, optimizer: optB }, checkpoint: state });
      assert.equal(tf.memory().numTensors - before, 0, 'loading must not leak tensors');
      assert.equal(optB.iterations, 3);
      for (let i = 0; i < 2; i++) {
        step(modelA, optA);
        step(modelB, optB);
      }
      assert.deepEqual(weightBits(modelB), weightBits(modelA));
      modelA.dispose(); modelB.dispose(); optA.dispose(); optB.dispose();
    });
  }

  it('test_checkpoint_load_objects: Adam resumed after 1 to 6 steps is bit-exact with no replay recipe', async () => {
    // TF.js Adam.setWeights() rebuilds accBeta2 as pow(0.999, t + 1), one ulp off the trained running product for
    // some t (t = 2 among them): loadObjects must restore the exact bits itself.
    for (let t = 1; t <= 6; t++) {
      const modelA = makeModel(5);
      const optA = tf.train.adam(0.01);
      for (let i = 0; i < t; i++) step(modelA, optA);
      const state = await roundTrip({ model: await captureState(modelA), optimizer: await captureState(optA) });
      const modelB = makeModel(9);
      const optB = tf.train.adam(0.01);
      await Checkpoint.loadObjects({ toLoad: { model: modelB, optimizer: optB }, checkpoint: state });
      for (let i = 0; i < 3; i++) {
        step(modelA, optA);
        step(modelB, optB);
      }
      assert.deepEqual(weightBits(modelB), weightBits(modelA), `resumed after ${t} steps`);
      modelA.dispose(); modelB.dispose(); optA.dispose(); optB.dispose();
    }
  });

  it('restores the learning rate and refuses another optimizer class', async () => {
    const sgd = tf.train.sgd(0.1);
    const state = await captureState(sgd);
    const target = tf.train.sgd(0.5);
    await restoreState(target, state, 'optimizer');
    assert.equal((target.getConfig() as { learningRate: number }).learningRate, 0.1);
    const adam = tf.train.adam(0.5);
    await restoreState(adam, { ...(await captureState(tf.train.adam(0.02)) as object) }, 'optimizer');
    assert.equal((adam.getConfig() as { learningRate: number }).learningRate, 0.02);
    await assert.rejects(restoreState(tf.train.adam(), state, 'optimizer'), /state of a SGD optimizer, but the target is Adam/);
    [sgd, target, adam].forEach((o) => o.dispose());
  });

  it('gives a clear error for optimizers TF.js cannot export (Adamax)', () => {
    assert.throws(() => new Checkpoint({ toSave: { optimizer: tf.train.adamax(0.1) }, saveHandler: () => undefined }),
      { name: 'TypeError', message: /Optimizer 'optimizer' \(Adamax\) cannot be checkpointed/ });
  });

  it('does not leak tensors when capturing state', async () => {
    const model = makeModel(2);
    const opt = tf.train.adam(0.01);
    step(model, opt);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      await captureState(model);
      await captureState(opt);
    }
    assert.equal(tf.memory().numTensors, before);
    model.dispose();
    opt.dispose();
  });

  it('a Checkpoint saving model + optimizer every iteration of a real run leaks no tensors', async () => {
    const model = makeModel(4);
    const opt = tf.train.adam(0.01);
    const trainer = new Engine<number, null>(() => { step(model, opt); return null; });
    let saves = 0;
    trainer.on(Events.ITERATION_COMPLETED, new Checkpoint({ toSave: { trainer, model, optimizer: opt }, nSaved: null,
      saveHandler: async (c) => { await encodeCheckpoint(c); saves++; } }));
    await trainer.run([1, 2], { maxEpochs: 1 }); // the first step allocates Adam's slots
    const before = tf.memory().numTensors;
    trainer.state.maxEpochs = null; // a fresh run of 3 epochs x 3 iterations
    await trainer.run([1, 2, 3], { maxEpochs: 3 });
    assert.equal(saves, 2 + 9);
    assert.equal(tf.memory().numTensors, before);
    model.dispose();
    opt.dispose();
  });

  it('loads a checkpointed model with tf.loadLayersModel through kindlingFileHandler', async () => {
    const model = makeModel(5);
    const opt = tf.train.adam(0.01);
    step(model, opt);
    const saver = new DiskSaver(join(dir, 'io'), { requireEmpty: false });
    const trainerState = { iteration: 1, epochLength: 1, maxEpochs: 1 };
    const checkpointer = new Checkpoint({ toSave: { trainer: { stateDict: () => trainerState }, model, optimizer: opt }, saveHandler: saver });
    await checkpointer.handle({ state: { iteration: 1 }, lastEventName: null, hasRegisteredEvents: () => true,
      registerEvents: () => undefined, fireEvent: () => undefined } as never);
    const path = checkpointer.lastCheckpoint ?? '';
    assert.equal(path, join(dir, 'io', 'checkpoint_1.ckpt'));
    const loaded = await tfl.loadLayersModel(kindlingFileHandler(path));
    assert.deepEqual(weightBits(loaded), weightBits(model));
    const pa = model.predict(xs) as tf.Tensor;
    const pb = loaded.predict(xs) as tf.Tensor;
    assert.deepEqual(Array.from(pb.dataSync()), Array.from(pa.dataSync()));
    // And the other direction: model.save() through the same handler, then load it back.
    const exported = join(dir, 'io', 'exported.ckpt');
    await loaded.save(kindlingFileHandler(exported));
    const again = await tfl.loadLayersModel(kindlingFileHandler(exported));
    assert.deepEqual(weightBits(again), weightBits(model));
    await assert.rejects(tfl.loadLayersModel(kindlingFileHandler(path, { key: 'trainer' })), /has no tf.LayersModel under key 'trainer'/);
    tf.dispose([pa, pb]);
    [model, loaded, again, opt].forEach((m) => m.dispose());
  });
});
