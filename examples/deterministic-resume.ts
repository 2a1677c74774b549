// Deterministic training and exact resume: train 2 epochs in one go; separately train 1 epoch, checkpoint trainer,
// model and optimizer to disk, restore them into fresh objects and finish. The final weights are bitwise identical.
// Run: node --import tsx examples/deterministic-resume.ts   (users import from 'kindling' and 'kindling/node')
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { Checkpoint, DataLoader, Events, createSupervisedTrainer, crossEntropyLoss, manualSeed, mnist } from '../src/index.js';
import { DiskSaver } from '../src/node/index.js';

await tf.setBackend('cpu');
const { train } = await mnist({ maxPerDigit: Number(process.env['PER_DIGIT'] ?? 40) });

function setup(): { trainer: ReturnType<typeof createSupervisedTrainer>; model: tfl.LayersModel; optimizer: tf.Optimizer; loader: DataLoader } {
  manualSeed(123); // same seed before building: same initial weights, same data order, same dropout masks
  const model = tfl.sequential({ layers: [
    tfl.layers.flatten({ inputShape: [28, 28] }), tfl.layers.dense({ units: 32, activation: 'relu' }),
    tfl.layers.dropout({ rate: 0.2 }), tfl.layers.dense({ units: 10 }),
  ] });
  const optimizer = tf.train.adam(1e-3);
  const trainer = createSupervisedTrainer(model, optimizer, crossEntropyLoss, { deterministic: true });
  return { trainer, model, optimizer, loader: new DataLoader(train, { batchSize: 32, shuffle: true }) };
}
const weights = (m: tfl.LayersModel): Float32Array[] => m.getWeights().map((w) => w.dataSync() as Float32Array);

// 1. Uninterrupted: 2 epochs.
const a = setup();
await a.trainer.run(a.loader, { maxEpochs: 2 });
const reference = weights(a.model);

// 2. Interrupted after epoch 1 with a checkpoint, then resumed into fresh objects.
const dir = mkdtempSync(join(tmpdir(), 'kindling-resume-'));
const b = setup();
const checkpoint = new Checkpoint({ toSave: { trainer: b.trainer, model: b.model, optimizer: b.optimizer }, saveHandler: new DiskSaver(dir) });
b.trainer.on(Events.EPOCH_COMPLETED({ once: 1 }), async (e) => {
  await checkpoint.handle(e);
  e.terminate();
});
await b.trainer.run(b.loader, { maxEpochs: 2 });
console.log(`checkpoint written: ${checkpoint.lastCheckpoint ?? ''}`);

const c = setup();
await Checkpoint.loadObjects({ toLoad: { trainer: c.trainer, model: c.model, optimizer: c.optimizer }, checkpoint: checkpoint.lastCheckpoint, handler: new DiskSaver(dir, { requireEmpty: false }) });
await c.trainer.run(c.loader);
const resumed = weights(c.model);
const identical = reference.every((w, i) => w.length === resumed[i]?.length && w.every((v, j) => Object.is(v, resumed[i]?.[j])));
console.log(`resumed at epoch ${c.trainer.state.epoch}, iteration ${c.trainer.state.iteration}; final weights identical: ${identical}`);
process.exitCode = identical ? 0 : 1;
