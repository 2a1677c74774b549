// The PyTorch-Ignite quickstart in TypeScript: MNIST digits, a small network, trainer + evaluator, metrics,
// a progress bar, validation every epoch, and a checkpoint of the best model.
// Run: node --import tsx examples/mnist.ts   (users import from 'kindling' and 'kindling/node')
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { Accuracy, DataLoader, Events, Loss, createSupervisedEvaluator, createSupervisedTrainer, crossEntropyLoss, globalStepFromEngine, mnist, manualSeed } from '../src/index.js';
import { ModelCheckpoint, ProgressBar } from '../src/node/index.js';

const epochs = Number(process.env['EPOCHS'] ?? 3);
const perDigit = process.env['PER_DIGIT'] !== undefined ? Number(process.env['PER_DIGIT']) : undefined;

await tf.ready(); // initialise the best registered backend (wasm here) before creating weights
manualSeed(42);
const { train, test } = await mnist(perDigit !== undefined ? { maxPerDigit: perDigit } : {});
const trainLoader = new DataLoader(train, { batchSize: 64, shuffle: true });
const valLoader = new DataLoader(test, { batchSize: 256 });

const model = tfl.sequential({
  layers: [
    tfl.layers.flatten({ inputShape: [28, 28] }),
    tfl.layers.dense({ units: 128, activation: 'relu' }),
    tfl.layers.dense({ units: 10 }),
  ],
});
const optimizer = tf.train.adam(1e-3);
const trainer = createSupervisedTrainer(model, optimizer, crossEntropyLoss, { device: 'auto' });
const evaluator = createSupervisedEvaluator(model, {
  metrics: { accuracy: new Accuracy(), nll: new Loss(crossEntropyLoss) },
});

new ProgressBar({ persist: true }).attach(trainer, { outputTransform: (loss) => ({ loss }) });

trainer.on(Events.EPOCH_COMPLETED, async (engine) => {
  const { metrics } = await evaluator.run(valLoader);
  console.log(`Validation Results - Epoch: ${engine.state.epoch}  Avg accuracy: ${(metrics['accuracy'] as number).toFixed(3)} Avg loss: ${(metrics['nll'] as number).toFixed(3)}`);
});

const checkpoint = new ModelCheckpoint(process.env['CHECKPOINT_DIR'] ?? 'runs/mnist-example', 'best', {
  nSaved: 1, requireEmpty: false, scoreName: 'accuracy', globalStepTransform: globalStepFromEngine(trainer),
});
evaluator.on(Events.COMPLETED, checkpoint, { model });

await trainer.run(trainLoader, { maxEpochs: epochs });
console.log(`backend ${tf.getBackend()}, best checkpoint: ${checkpoint.lastCheckpoint ?? 'none'}`);
trainLoader.dispose();
valLoader.dispose();
