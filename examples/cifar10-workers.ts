// CIFAR-10 (binary format) with a small CNN, random crop + flip augmentation, and 2 DataLoader worker threads that
// decode and augment while the main thread trains. Without DATA_DIR it writes small CIFAR-format files first.
// Run: node --import tsx examples/cifar10-workers.ts   (DATA_DIR=~/cifar-10-batches-bin for the real data set)
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Accuracy, DataLoader, Events, createSupervisedEvaluator, createSupervisedTrainer, crossEntropyLoss, manualSeed } from '../src/index.js';
import { installWorkerThreads } from '../src/node/index.js';
import { makeTestSet, makeTrainSet, writeFakeCifar } from './cifar10-dataset.js';

await tf.setBackend('cpu');
installWorkerThreads(); // once: DataLoaders with numWorkers > 0 run their workers on node:worker_threads
manualSeed(0);
const dir = process.env['DATA_DIR'] ?? mkdtempSync(join(tmpdir(), 'cifar-'));
if (process.env['DATA_DIR'] === undefined) writeFakeCifar(dir, Number(process.env['N_TRAIN'] ?? 1000), Number(process.env['N_TEST'] ?? 200));

const datasetModule = new URL('./cifar10-dataset.ts', import.meta.url); // what each worker imports
const train = new DataLoader(await makeTrainSet(dir), {
  batchSize: 64,
  shuffle: true,
  numWorkers: 2,
  persistentWorkers: true, // keep the workers (and their decoded files) between epochs
  workerDataset: { module: datasetModule, exportName: 'makeTrainSet', args: [dir] },
});
const test = new DataLoader(await makeTestSet(dir), { batchSize: 200 });

const model = tfl.sequential({
  layers: [
    tfl.layers.conv2d({ inputShape: [32, 32, 3], filters: 16, kernelSize: 3, activation: 'relu', padding: 'same' }),
    tfl.layers.maxPooling2d({ poolSize: 2 }),
    tfl.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', padding: 'same' }),
    tfl.layers.maxPooling2d({ poolSize: 2 }),
    tfl.layers.flatten(),
    tfl.layers.dense({ units: 10 }),
  ],
});
const trainer = createSupervisedTrainer(model, tf.train.adam(2e-3), crossEntropyLoss);
const evaluator = createSupervisedEvaluator(model, { metrics: { accuracy: new Accuracy() } });
trainer.on(Events.EPOCH_COMPLETED, async (e) => {
  const { metrics } = await evaluator.run(test);
  console.log(`epoch ${e.state.epoch}: test accuracy ${(metrics['accuracy'] as number).toFixed(4)} (${train.numWorkers} loader workers)`);
});
await trainer.run(train, { maxEpochs: Number(process.env['EPOCHS'] ?? 2) });
train.dispose(); // also stops the persistent workers
test.dispose();
