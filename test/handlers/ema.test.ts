// EMAHandler against a plain-TypeScript reference (float32 arithmetic through Math.fround) over 50 steps with
// momentum warmup, batch-norm statistics included, and resumed from a checkpoint half way with identical results.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { Engine, Events, silentLogger } from '../../src/engine/index.js';
import { Checkpoint } from '../../src/handlers/checkpoint/checkpoint.js';
import { EMAHandler } from '../../src/handlers/ema.js';

await tf.setBackend('cpu');

const f = Math.fround;
const OPTIONS = { momentum: 0.1, momentumWarmup: 0.01, warmupIters: 20 };

function makeModel(seed: number): tfl.LayersModel {
  return tfl.sequential({ layers: [
    tfl.layers.dense({ inputShape: [3], units: 4, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed }) }),
    tfl.layers.batchNormalization(),
    tfl.layers.dense({ units: 1, kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }) }),
  ] });
}

const batches = Array.from({ length: 5 }, (_, i) => [
  tf.tensor2d(Array.from({ length: 24 }, (_, j) => Math.sin(i * 24 + j)), [8, 3]),
  tf.tensor2d(Array.from({ length: 8 }, (_, j) => Math.cos(i * 8 + j)), [8, 1]),
] as const);

function makeTrainer(model: tfl.LayersModel, optimizer: tf.Optimizer): Engine<readonly [tf.Tensor, tf.Tensor], number> {
  return new Engine((_e, [x, y]: readonly [tf.Tensor, tf.Tensor]) => {
    tf.tidy(() => { optimizer.minimize(() => tf.losses.meanSquaredError<tf.Tensor, tf.Scalar>(y, model.apply(x, { training: true }) as tf.Tensor)); });
    return 0;
  }, { logger: silentLogger });
}

// Layer by layer (the EMA copy is frozen, and a frozen model lists its weights in another order).
const read = (model: tfl.LayersModel): Float32Array[] =>
  model.layers.flatMap((l) => l.getWeights()).map((w) => (w.dataSync() as Float32Array).slice());

function referenceMomentum(iter: number): number {
  const m = OPTIONS.momentumWarmup + ((OPTIONS.momentum - OPTIONS.momentumWarmup) * (iter - 1)) / (OPTIONS.warmupIters - 1);
  return Math.min(OPTIONS.momentum, m);
}

function referenceEma(initial: Float32Array[], steps: ReadonlyMap<number, Float32Array[]>): Float32Array[] {
  const ema = initial.map((w) => w.slice());
  for (const [iter, weights] of steps) {
    const m = referenceMomentum(iter);
    ema.forEach((e, i) => e.forEach((v, j) => { e[j] = f(f(v * f(1 - m)) + f((weights[i] as Float32Array)[j] as number * f(m))); }));
  }
  return ema;
}

async function trainWithEma(every: number) {
  const model = makeModel(1);
  const optimizer = tf.train.momentum(0.05, 0.9);
  const trainer = makeTrainer(model, optimizer);
  const ema = await EMAHandler.create(model, OPTIONS);
  const initial = read(ema.emaModel);
  const seen = new Map<number, Float32Array[]>();
  const momenta: number[] = [];
  trainer.on(Events.ITERATION_COMPLETED({ every }), (e) => void seen.set(e.state.iteration, read(model)));
  ema.attach(trainer, { event: Events.ITERATION_COMPLETED({ every }) });
  trainer.on(Events.ITERATION_COMPLETED({ every }), (e) => void momenta.push(e.state['ema_momentum'] as number));
  let tensors = 0; // counted after the first step, which creates the optimizer's momentum slots
  trainer.on(Events.ITERATION_COMPLETED({ once: 1 }), () => void (tensors = tf.memory().numTensors));
  await trainer.run(batches, { maxEpochs: 10 });
  assert.equal(tf.memory().numTensors, tensors, 'no tensor leaked by 49 steps and EMA updates');
  return { ema, initial, seen, momenta, model, optimizer, trainer };
}

describe('EMAHandler', () => {
  it('test_ema_model / test_ema_momentum_warmup: 50 steps equal the float32 reference, buffers included', async () => {
    const { ema, initial, seen, momenta, model } = await trainWithEma(1);
    assert.equal(seen.size, 50);
    assert.deepEqual(momenta, [...seen.keys()].map(referenceMomentum));
    assert.equal(momenta[0], 0.01);
    assert.equal(momenta[49], 0.1);
    assert.deepEqual(read(ema.emaModel), referenceEma(initial, seen));
    const movingMean = read(ema.emaModel)[4]; // batch-norm moving mean: non-trainable, averaged too
    assert.notDeepEqual(movingMean, initial[4]);
    assert.notDeepEqual(read(ema.emaModel), read(model));
  });

  it('test_ema_update_ema_model interval: updates only on the filtered event', async () => {
    const { ema, initial, seen } = await trainWithEma(5);
    assert.deepEqual([...seen.keys()], [5, 10, 15, 20, 25, 30, 35, 40, 45, 50]);
    assert.deepEqual(read(ema.emaModel), referenceEma(initial, seen));
  });

  it('resumes from a checkpoint half way with bit-identical EMA weights', async () => {
    const full = await trainWithEma(1);
    const store = new Map<string, unknown>();
    const saveHandler = { save: (ckpt: unknown, name: string) => void store.set(name, ckpt) };

    const model = makeModel(1);
    const optimizer = tf.train.momentum(0.05, 0.9);
    const trainer = makeTrainer(model, optimizer);
    const ema = await EMAHandler.create(model, OPTIONS);
    ema.attach(trainer);
    trainer.on(Events.COMPLETED, new Checkpoint({ toSave: { trainer, model, optimizer, ema }, saveHandler }));
    await trainer.run(batches, { maxEpochs: 5 });
    const [name, checkpoint] = [...store][0] as [string, unknown];
    assert.match(name, /_25\.ckpt$/);

    const model2 = makeModel(7);
    const optimizer2 = tf.train.momentum(0.05, 0.9);
    const trainer2 = makeTrainer(model2, optimizer2);
    const ema2 = await EMAHandler.create(model2, OPTIONS);
    ema2.attach(trainer2);
    await Checkpoint.loadObjects({ toLoad: { trainer: trainer2, model: model2, optimizer: optimizer2, ema: ema2 }, checkpoint });
    assert.equal(trainer2.state.iteration, 25);
    await trainer2.run(batches, { maxEpochs: 10 });
    assert.equal(trainer2.state['ema_momentum'], 0.1);
    assert.deepEqual(read(ema2.emaModel), read(full.ema.emaModel));
    assert.deepEqual(read(model2), read(full.model));
  });

  it('validates its arguments like Ignite', async () => {
    const model = makeModel(1);
    await assert.rejects(EMAHandler.create(model, { momentum: 1 }), /Invalid momentum/);
    await assert.rejects(EMAHandler.create(model, { momentumWarmup: 0 }), /Invalid momentumWarmup/);
    await assert.rejects(EMAHandler.create(model, { momentum: 0.1, momentumWarmup: 0.2 }), /less than or equal/);
    await assert.rejects(EMAHandler.create(model, { warmupIters: 1.5 }), /Invalid warmupIters/);
    const other = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2 })] });
    assert.throws(() => new EMAHandler(model, other), /same architecture/);
    const ema = await EMAHandler.create(model);
    assert.throws(() => ema.getMomentum(0), RangeError);
    assert.equal(ema.getMomentum(1000), 0.0002);
    const engine = new Engine(() => 0, { logger: silentLogger });
    ema.attach(engine);
    assert.throws(() => ema.attach(engine), /already in Engine.state/);
    ema.attach(engine, { name: 'ema2' });
  });
});
