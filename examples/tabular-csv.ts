// A table: a CSV file read lazily by CsvDataset (a byte-offset index of the rows, rows parsed on access), a
// categorical label column, an MLP. Without DATA_FILE it writes a small CSV first (three classes of points).
// Run: node --import tsx examples/tabular-csv.ts   (DATA_FILE=rows.csv LABEL=species for your own table)
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Accuracy, DataLoader, createSupervisedEvaluator, createSupervisedTrainer, crossEntropyLoss, manualSeed } from '../src/index.js';
import { CsvDataset } from '../src/node/data/csv.js';

await tf.setBackend('cpu');
manualSeed(0);

function writeCsv(path: string, n: number): void {
  const species = ['setosa', 'versicolor', 'virginica'];
  const lines = ['sepal_length,sepal_width,petal_length,petal_width,species'];
  for (let i = 0; i < n; i += 1) {
    const k = i % 3;
    const jitter = (j: number): string => (Math.sin(i * 12.9898 + j * 78.233) * 0.3).toFixed(3);
    const row = [5 + k * 0.8, 3.4 - k * 0.3, 1.5 + k * 2, 0.2 + k * 0.9].map((v, j) => (v + Number(jitter(j))).toFixed(3));
    lines.push(`${row.join(',')},${species[k] ?? ''}`);
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}

const file = process.env['DATA_FILE'] ?? join(mkdtempSync(join(tmpdir(), 'csv-')), 'flowers.csv');
if (process.env['DATA_FILE'] === undefined) writeCsv(file, Number(process.env['ROWS'] ?? 300));
const dataset = new CsvDataset(file, { label: process.env['LABEL'] ?? 'species', labelType: 'category' });
console.log(`${dataset.length} rows, features ${dataset.featureNames.join(', ')}, classes ${(dataset.classes ?? []).join(', ')}`);

const loader = new DataLoader(dataset, { batchSize: 32, shuffle: true });
const model = tfl.sequential({
  layers: [tfl.layers.dense({ inputShape: [dataset.featureNames.length], units: 16, activation: 'relu' }), tfl.layers.dense({ units: (dataset.classes ?? []).length })],
});
const trainer = createSupervisedTrainer(model, tf.train.adam(3e-2), crossEntropyLoss);
await trainer.run(loader, { maxEpochs: Number(process.env['EPOCHS'] ?? 20) });
const evaluator = createSupervisedEvaluator(model, { metrics: { accuracy: new Accuracy() } });
const { metrics } = await evaluator.run(new DataLoader(dataset, { batchSize: 100 }));
console.log(`accuracy ${(metrics['accuracy'] as number).toFixed(4)}`);
loader.dispose();
