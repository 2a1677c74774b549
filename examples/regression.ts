// Regression: fit y = 3x0 - 2x1 + 0.5 + noise with a linear model, MSE loss, and MAE / R2 metrics on held-out data.
// Run: node --import tsx examples/regression.ts   (users import from 'kindling')
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { DataLoader, Events, MeanAbsoluteError, NdArray, R2Score, TensorDataset, createSupervisedEvaluator, createSupervisedTrainer, manualSeed, mseLoss } from '../src/index.js';

await tf.setBackend('cpu');
manualSeed(0);
function makeData(n: number, seed: number): TensorDataset {
  let s = seed;
  const rand = (): number => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const x = new Float32Array(n * 2).map(rand);
  const y = Float32Array.from({ length: n }, (_, i) => 3 * (x[2 * i] as number) - 2 * (x[2 * i + 1] as number) + 0.5 + 0.05 * rand());
  return new TensorDataset(new NdArray(x, [n, 2]), new NdArray(y, [n, 1]));
}
const train = new DataLoader(makeData(512, 1), { batchSize: 32, shuffle: true });
const test = new DataLoader(makeData(128, 2), { batchSize: 128 });

const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [2], units: 1 })] });
const trainer = createSupervisedTrainer(model, tf.train.sgd(0.1), mseLoss);
const evaluator = createSupervisedEvaluator(model, { metrics: { mae: new MeanAbsoluteError(), r2: new R2Score() } });

trainer.on(Events.EPOCH_COMPLETED({ every: 5 }), async (e) => {
  const { metrics } = await evaluator.run(test);
  console.log(`epoch ${e.state.epoch}: train MSE ${(e.state.output as number).toFixed(4)}, test MAE ${(metrics['mae'] as number).toFixed(4)}, R2 ${(metrics['r2'] as number).toFixed(4)}`);
});
await trainer.run(train, { maxEpochs: Number(process.env['EPOCHS'] ?? 20) });
const [w, b] = model.getWeights().map((t) => Array.from(t.dataSync()).map((v) => v.toFixed(2)));
console.log(`learned weights [${w?.join(', ')}], bias ${b?.join(', ')} (true: [3, -2], 0.5)`);
train.dispose();
test.dispose();
