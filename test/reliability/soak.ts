// A long training run with metrics, a progress bar, a logger and checkpoints attached, measuring tensors, data
// buffers and process memory after warm-up. Used by the CI soak test (5,000 iterations) and `npm run soak`
// (100,000 iterations): `node --import tsx test/reliability/soak.ts [iterations]`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { Accuracy, Checkpoint, DataLoader, Events, Loss, NdArray, RunningAverage, TensorDataset, createSupervisedEvaluator, createSupervisedTrainer, crossEntropyLoss, manualSeed } from '../../src/index.js';
import { DiskSaver, JsonlLogger, ProgressBar } from '../../src/node/index.js';

export interface SoakResult {
  iterations: number;
  tensors: number[];
  buffers: number[];
  rssMiB: number[];
  /** JS heap after a full collection (when run with --expose-gc), MiB. */
  heapMiB: number[];
}

/** Runs the soak and samples memory every `iterations / 20` iterations (after a warm-up of 20%). */
export async function soak(iterations: number): Promise<SoakResult> {
  await tf.setBackend('cpu');
  manualSeed(0);
  const n = 256;
  const x = new Float32Array(n * 16).map((_, i) => Math.sin(i));
  const y = Int32Array.from({ length: n }, (_, i) => i % 4);
  const data = new TensorDataset(new NdArray(x, [n, 16]), new NdArray(y, [n]));
  const loader = new DataLoader(data, { batchSize: 8, shuffle: true });
  const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [16], units: 8, activation: 'relu' }), tfl.layers.dense({ units: 4 })] });
  const optimizer = tf.train.adam(1e-3);
  const trainer = createSupervisedTrainer(model, optimizer, crossEntropyLoss);
  const evaluator = createSupervisedEvaluator(model, { metrics: { accuracy: new Accuracy(), loss: new Loss(crossEntropyLoss) } });
  new RunningAverage({ outputTransform: (o: unknown) => o }).attach(trainer, 'loss');
  const sink = { write: (): boolean => true, isTTY: false };
  new ProgressBar({ stream: sink }).attach(trainer, { metricNames: ['loss'] });
  const dir = mkdtempSync(join(tmpdir(), 'kindling-soak-'));
  const logger = new JsonlLogger(dir);
  logger.attachOutputHandler(trainer, { tag: 'training', metricNames: ['loss'], event: Events.ITERATION_COMPLETED({ every: 50 }) });
  const every = Math.max(1, Math.floor(iterations / 20));
  trainer.on(Events.ITERATION_COMPLETED({ every }), new Checkpoint({ toSave: { trainer, model, optimizer }, saveHandler: new DiskSaver(dir), nSaved: 2 }));
  const evalLoader = new DataLoader(data, { batchSize: 64 });
  trainer.on(Events.EPOCH_COMPLETED({ every: 4 }), async () => {
    await evaluator.run(evalLoader);
  });
  const result: SoakResult = { iterations, tensors: [], buffers: [], rssMiB: [], heapMiB: [] };
  trainer.on(Events.ITERATION_COMPLETED({ every }), (e) => {
    if (e.state.iteration < iterations * 0.2) return;
    const m = tf.memory();
    result.tensors.push(m.numTensors);
    result.buffers.push(m.numDataBuffers);
    if (typeof globalThis.gc === 'function') globalThis.gc();
    const mem = process.memoryUsage();
    result.rssMiB.push(mem.rss / 2 ** 20);
    result.heapMiB.push(mem.heapUsed / 2 ** 20);
  });
  await trainer.run(loader, { maxIters: iterations });
  await logger.close();
  loader.dispose();
  evalLoader.dispose();
  rmSync(dir, { recursive: true, force: true });
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const iterations = Number(process.argv[2] ?? 100_000);
  const r = await soak(iterations);
  const growth = ((r.rssMiB.at(-1) ?? 0) / (r.rssMiB[0] ?? 1) - 1) * 100;
  console.log(`soak: ${iterations} iterations; tensors ${[...new Set(r.tensors)].join(',')}; buffers ${[...new Set(r.buffers)].join(',')}; RSS ${r.rssMiB[0]?.toFixed(1)} -> ${r.rssMiB.at(-1)?.toFixed(1)} MiB (${growth.toFixed(2)}%)`);
  process.exitCode = new Set(r.tensors).size === 1 && growth < 5 ? 0 : 1;
}
