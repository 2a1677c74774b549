// A custom training loop written directly on Engine: a GAN-style step with two optimizers (a generator learns to
// imitate samples of N(3, 0.5), a discriminator tells real from fake) and a custom event fired from the process
// function, with a filtered handler on it.
// Run: node --import tsx examples/custom-loop.ts   (users import from 'kindling')
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { Engine, Events, binaryCrossEntropyWithLogits, defineEvents, manualSeed } from '../src/index.js';

await tf.setBackend('cpu');
manualSeed(1);
const GanEvents = defineEvents({ DISCRIMINATOR_STEPPED: 'discriminator_stepped' });
const gen = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [4], units: 16, activation: 'relu' }), tfl.layers.dense({ units: 1 })] });
const disc = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [1], units: 16, activation: 'relu' }), tfl.layers.dense({ units: 1 })] });
const optG = tf.train.adam(1e-2);
const optD = tf.train.adam(1e-2);
const vars = (m: tfl.LayersModel): tf.Variable[] => m.trainableWeights.map((w) => w.read() as tf.Variable);

const trainer = new Engine(async (engine, real: tf.Tensor) => {
  const n = real.shape[0];
  const losses = tf.tidy(() => {
    const noise = tf.randomNormal([n, 4]);
    const dLoss = optD.minimize(() => {
      const fake = gen.apply(noise) as tf.Tensor;
      const realLogits = disc.apply(real) as tf.Tensor;
      const fakeLogits = disc.apply(fake) as tf.Tensor;
      return tf.add<tf.Scalar>(binaryCrossEntropyWithLogits(realLogits, tf.onesLike(realLogits)), binaryCrossEntropyWithLogits(fakeLogits, tf.zerosLike(fakeLogits)));
    }, true, vars(disc)) as tf.Scalar;
    const gLoss = optG.minimize(() => {
      const fakeLogits = disc.apply(gen.apply(noise)) as tf.Tensor;
      return binaryCrossEntropyWithLogits(fakeLogits, tf.onesLike(fakeLogits)) as tf.Scalar;
    }, true, vars(gen)) as tf.Scalar;
    return tf.stack([dLoss, gLoss]);
  });
  engine.state['dLoss'] = (await losses.data())[0];
  losses.dispose();
  engine.state['dSteps'] = (engine.state['dSteps'] as number) + 1;
  await engine.fireEvent(GanEvents.DISCRIMINATOR_STEPPED);
  return engine.state['dLoss'];
});
trainer.registerEvents(GanEvents, { eventToAttr: { discriminator_stepped: 'dSteps' } });
trainer.on(GanEvents.DISCRIMINATOR_STEPPED({ every: 100 }), (e) => {
  console.log(`discriminator step ${String(e.state['dSteps'])}: loss ${(e.state['dLoss'] as number).toFixed(3)}`);
});
trainer.on(Events.COMPLETED, () => {
  const samples = tf.tidy(() => gen.apply(tf.randomNormal([1000, 4])) as tf.Tensor);
  const { mean, variance } = tf.moments(samples);
  console.log(`generated mean ${mean.dataSync()[0]?.toFixed(2)}, std ${Math.sqrt(variance.dataSync()[0] ?? 0).toFixed(2)} (target 3.00, 0.50)`);
  tf.dispose([samples, mean, variance]);
});

const batches = { length: 50, *[Symbol.iterator]() { for (let i = 0; i < 50; i++) yield tf.tidy(() => tf.add(tf.mul(tf.randomNormal([64, 1]), 0.5), 3)); } };
trainer.on(Events.ITERATION_COMPLETED, (e) => (e.state.batch as tf.Tensor).dispose());
await trainer.run(batches, { maxEpochs: Number(process.env['EPOCHS'] ?? 8) });
