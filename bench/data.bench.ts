/**
 * The data pipeline, side by side in one run, on real PNG files (32x32, written with sharp):
 * 1. images/s of decode (sharp) + RandomCrop(32, padding 4) + RandomHorizontalFlip + ToTensor + Normalize through a
 *    DataLoader with 0, 1 and 2 worker threads (rounds interleaved: 0, 1, 2, 0, 1, 2, ...; min and median);
 * 2. the CLI's CNN training step fed by that loader with 2 workers vs fed from pre-made tensors (the same number of
 *    steps, interleaved), as a step-time ratio (target: within 1.1x);
 * 3. PyTorch's DataLoader (torchvision ImageFolder, PIL decode, the same transforms) on the same files, when Debian's
 *    python3-torch and python3-torchvision are installed (/usr/bin/python3).
 * Run: npm run bench -- data   (env N_IMAGES, ROUNDS, STEPS)
 */
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { DataLoader, createSupervisedTrainer, crossEntropyLoss, manualSeed } from '../src/index.js';
import { installWorkerThreads } from '../src/node/index.js';
import { setupBackend } from '../src/cli/backends.js';
import { buildModel } from '../src/cli/models.js';
import { makeBenchSet, makeCifarBenchSet } from './data-bench-dataset.js';

const N = Number(process.env['N_IMAGES'] ?? 2048);
const ROUNDS = Number(process.env['ROUNDS'] ?? 3);
const STEPS = Number(process.env['STEPS'] ?? 24);
const BATCH = 64;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** Writes N PNG files (an ImageFolder tree in root/png) and the same images as a CIFAR-10 binary file (root/cifar). */
async function writeImages(root: string): Promise<void> {
  for (let c = 0; c < 10; c += 1) mkdirSync(join(root, 'png', `class${c}`), { recursive: true });
  mkdirSync(join(root, 'cifar'));
  const cifar = new Uint8Array(N * 3073);
  for (let i = 0; i < N; i += 1) {
    const px = Buffer.alloc(32 * 32 * 3);
    for (let p = 0; p < px.length; p += 1) px[p] = (i * 31 + p * 7 + ((p * p) % 13)) & 255;
    await sharp(px, { raw: { width: 32, height: 32, channels: 3 } }).png().toFile(join(root, 'png', `class${i % 10}`, `${i}.png`));
    cifar[i * 3073] = i % 10;
    for (let p = 0; p < 1024; p += 1) for (let c = 0; c < 3; c += 1) cifar[i * 3073 + 1 + c * 1024 + p] = px[p * 3 + c] ?? 0;
  }
  writeFileSync(join(root, 'cifar', 'data_batch_1.bin'), cifar);
  writeFileSync(join(root, 'cifar', 'test_batch.bin'), cifar.subarray(0, 3073 * 10));
}

type Kind = 'png' | 'cifar';

type Batch = [tf.Tensor, tf.Tensor];
const loaderFor = async (root: string, numWorkers: number, kind: Kind = 'png'): Promise<DataLoader<unknown, Batch>> =>
  new DataLoader(kind === 'png' ? makeBenchSet(root) : await makeCifarBenchSet(root), {
    batchSize: BATCH,
    shuffle: true,
    ...(numWorkers > 0
      ? {
          numWorkers,
          persistentWorkers: true,
          workerDataset: { module: new URL('./data-bench-dataset.ts', import.meta.url), exportName: kind === 'png' ? 'makeBenchSet' : 'makeCifarBenchSet', args: [root] },
        }
      : {}),
  });

async function epochMs(loader: DataLoader<unknown, Batch>): Promise<number> {
  const t = performance.now();
  let n = 0;
  for await (const [x] of loader) n += x.shape[0] ?? 0;
  if (n !== N) throw new Error(`epoch saw ${n} images, expected ${N}`);
  return performance.now() - t;
}

async function loaderThroughput(root: string, kind: Kind): Promise<Record<number, number[]>> {
  const loaders = await Promise.all([0, 1, 2].map((w) => loaderFor(root, w, kind)));
  for (const l of loaders) await epochMs(l); // warm-up: starts the workers, fills the page cache
  const times: Record<number, number[]> = { 0: [], 1: [], 2: [] };
  for (let r = 0; r < ROUNDS; r += 1) for (const [w, l] of loaders.entries()) times[w]?.push(await epochMs(l));
  loaders.forEach((l) => l.dispose());
  return times;
}

async function stepTimes(root: string, kind: Kind): Promise<{ loader: number[]; premade: number[] }> {
  const model = buildModel('cnn', { inputShape: [32, 32, 3], numClasses: 10 });
  const trainer = createSupervisedTrainer(model, tf.train.adam(1e-3), crossEntropyLoss);
  const source = await loaderFor(root, 0, kind);
  const premade: Batch[] = [];
  for await (const [x, y] of source) {
    premade.push([tf.clone(x), tf.clone(y)]);
    if (premade.length === STEPS) break;
  }
  source.dispose();
  const fed = await loaderFor(root, 2, kind);
  await trainer.run(premade, { maxEpochs: 1 }); // warm-up: kernels, weights
  await trainer.run(fed, { maxEpochs: 1, epochLength: STEPS });
  const out = { loader: [] as number[], premade: [] as number[] };
  for (let r = 0; r < ROUNDS; r += 1) {
    let t = performance.now();
    await trainer.run(premade, { maxEpochs: 1 });
    out.premade.push((performance.now() - t) / STEPS);
    t = performance.now();
    await trainer.run(fed, { maxEpochs: 1, epochLength: STEPS });
    out.loader.push((performance.now() - t) / STEPS);
  }
  fed.dispose();
  tf.dispose(premade.flat());
  model.dispose();
  return out;
}

function torchThroughput(root: string): Record<string, unknown> | string {
  const r = spawnSync('/usr/bin/python3', [join(import.meta.dirname, 'data_torch.py'), join(root, 'png'), String(ROUNDS)], { encoding: 'utf8', timeout: 900_000 });
  if (r.status !== 0) return `not run (${(r.stderr || r.error?.message || '').trim().split('\n').at(-1) ?? ''}); apt-get install python3-torchvision`;
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
}

const root = mkdtempSync(join(tmpdir(), 'kindling-data-bench-'));
try {
  installWorkerThreads();
  manualSeed(0);
  const backend = await setupBackend('auto', ['Conv2DBackpropFilter', 'Conv2DBackpropInput']);
  await writeImages(root);
  const load = { png: await loaderThroughput(root, 'png'), cifar: await loaderThroughput(root, 'cifar') };
  const steps = { png: await stepTimes(root, 'png'), cifar: await stepTimes(root, 'cifar') };
  const torch = torchThroughput(root);
  console.log(`data pipeline, ${N} images 32x32, batch ${BATCH}, ${ROUNDS} interleaved rounds; ${cpus()[0]?.model ?? '?'} x ${cpus().length}, node ${process.version}, backend ${backend}`);
  console.log('RandomCrop(32, padding 4) + flip + ToTensor + Normalize, images/s (best / median):');
  const torchRates = typeof torch === 'string' ? null : (torch['images_per_s'] as Record<string, { max: number; median: number }>);
  const rate = (ts: number[]): string => `${(N / (Math.min(...ts) / 1000)).toFixed(0)} / ${(N / (median(ts) / 1000)).toFixed(0)}`;
  for (const w of [0, 1, 2]) {
    const t = torchRates?.[String(w)];
    const torchText = t !== undefined ? ` | PyTorch DataLoader(num_workers=${w}) PNG: ${t.max.toFixed(0)} / ${t.median.toFixed(0)}` : '';
    console.log(`  numWorkers ${w}: kindling PNG (sharp decode) ${rate(load.png[w] ?? [])}, CIFAR binary ${rate(load.cifar[w] ?? [])}${torchText}`);
  }
  if (typeof torch === 'string') console.log(`  PyTorch: ${torch}`);
  for (const kind of ['png', 'cifar'] as const) {
    const s = steps[kind];
    const ratio = median(s.loader) / median(s.premade);
    console.log(
      `CNN step, ${kind === 'png' ? 'PNG files' : 'CIFAR binary'} (median ms): fed by the loader with 2 workers ${median(s.loader).toFixed(1)}, ` +
        `from pre-made tensors ${median(s.premade).toFixed(1)}; ratio ${ratio.toFixed(2)}x (target <= 1.1x: ${ratio <= 1.1 ? 'met' : 'NOT met'})`,
    );
  }
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/data.json', JSON.stringify({ date: new Date().toISOString(), N, ROUNDS, STEPS, backend, load, steps, torch }, null, 2));
} finally {
  rmSync(root, { recursive: true, force: true });
}
