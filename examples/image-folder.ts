// Your own photos: an ImageFolder tree (one sub-directory per class), decoded with sharp on access, resized,
// flipped at random, and loaded by 2 worker threads. Without DATA_DIR it writes a small tree of real PNG and JPEG
// files (three colour classes) first. Run: node --import tsx examples/image-folder.ts   (DATA_DIR=~/photos)
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { Accuracy, DataLoader, createSupervisedEvaluator, createSupervisedTrainer, crossEntropyLoss, manualSeed } from '../src/index.js';
import { installWorkerThreads } from '../src/node/index.js';
import { makeImageFolder } from './image-folder-dataset.js';

await tf.setBackend('cpu');
installWorkerThreads();
manualSeed(0);
const SIZE = 16;

async function writeTree(root: string, perClass: number): Promise<void> {
  const colours: Record<string, [number, number, number]> = { red: [200, 40, 40], green: [40, 190, 60], blue: [30, 60, 210] };
  for (const [name, [r, g, b]] of Object.entries(colours)) {
    mkdirSync(join(root, name));
    for (let i = 0; i < perClass; i += 1) {
      const [w, h] = [20 + (i % 5), 18 + (i % 7)]; // sizes vary, as photos do: Resize + CenterCrop make them 16x16
      const pixels = Buffer.alloc(w * h * 3);
      for (let p = 0; p < w * h; p += 1) pixels.set([r, g, b].map((v) => Math.max(0, Math.min(255, v + ((p * 37 + i * 11) % 41) - 20))), p * 3);
      const img = sharp(pixels, { raw: { width: w, height: h, channels: 3 } });
      await (i % 2 === 0 ? img.png() : img.jpeg({ quality: 90 })).toFile(join(root, name, `${i}.${i % 2 === 0 ? 'png' : 'jpg'}`));
    }
  }
}

const root = process.env['DATA_DIR'] ?? mkdtempSync(join(tmpdir(), 'image-folder-'));
if (process.env['DATA_DIR'] === undefined) await writeTree(root, Number(process.env['PER_CLASS'] ?? 30));
const dataset = makeImageFolder(root, SIZE);
console.log(`classes: ${dataset.classes.join(', ')} (${dataset.length} images)`);

const numWorkers = Number(process.env['WORKERS'] ?? 2);
const loader = new DataLoader(dataset, {
  batchSize: 16,
  shuffle: true,
  ...(numWorkers > 0 ? { numWorkers, workerDataset: { module: new URL('./image-folder-dataset.ts', import.meta.url), exportName: 'makeImageFolder', args: [root, SIZE] } } : {}),
});
const model = tfl.sequential({
  layers: [tfl.layers.flatten({ inputShape: [SIZE, SIZE, 3] }), tfl.layers.dense({ units: 32, activation: 'relu' }), tfl.layers.dense({ units: dataset.classes.length })],
});
const trainer = createSupervisedTrainer(model, tf.train.adam(1e-2), crossEntropyLoss);
await trainer.run(loader, { maxEpochs: Number(process.env['EPOCHS'] ?? 3) });
const evaluator = createSupervisedEvaluator(model, { metrics: { accuracy: new Accuracy() } });
const { metrics } = await evaluator.run(loader);
console.log(`training-set accuracy ${(metrics['accuracy'] as number).toFixed(4)} with ${numWorkers} loader workers`);
loader.dispose();
