/**
 * The models and data of `npm run bench:train`, built the same way as in bench/train/torch_bench.py: the MLP
 * 784-512-256-10 (ReLU) and the CNN conv(1→32,3x3)-ReLU-maxpool2-conv(32→64,3x3)-ReLU-maxpool2-fc128(ReLU)-fc10
 * on 28x28 inputs, and MNIST-shaped random batches (pixels uniform in [0, 1), labels uniform in 0..9) written to one
 * file that both sides read, so kindling and PyTorch train on the same bytes.
 */
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export type ModelKind = 'mlp' | 'cnn';

/** One benchmark configuration: a model and a batch size. */
export interface Workload {
  /** Short id used in flags and the results file, e.g. `mlp-b64`. */
  id: string;
  model: ModelKind;
  batch: number;
  /** Human description for the report. */
  title: string;
}

export const WORKLOADS: readonly Workload[] = [
  { id: 'mlp-b64', model: 'mlp', batch: 64, title: 'MLP 784-512-256-10, batch 64' },
  { id: 'mlp-b256', model: 'mlp', batch: 256, title: 'MLP 784-512-256-10, batch 256' },
  { id: 'cnn-b64', model: 'cnn', batch: 64, title: 'CNN conv32-pool-conv64-pool-fc128-fc10, 28x28, batch 64' },
];

/**
 * Training FLOPs per sample (2 per multiply-add): forward, weight gradients, and input gradients of every layer but
 * the first (nothing needs the gradient of the data). MLP: 2.4 MFLOP, CNN: 15.4 MFLOP.
 */
export function flopsPerSample(model: ModelKind): number {
  const first = model === 'mlp' ? 784 * 512 : 26 * 26 * 32 * 9;
  const rest = model === 'mlp' ? 512 * 256 + 256 * 10 : 11 * 11 * 64 * 32 * 9 + 1600 * 128 + 128 * 10;
  return 2 * (first + rest) * 2 + 2 * rest;
}

/** The MLP, on the active backend. */
export function mlp(): tfl.Sequential {
  return tfl.sequential({ layers: [
    tfl.layers.dense({ inputShape: [784], units: 512, activation: 'relu' }),
    tfl.layers.dense({ units: 256, activation: 'relu' }),
    tfl.layers.dense({ units: 10 }),
  ] });
}

/** The CNN (NHWC, 'valid' convolutions: 28 → 26 → 13 → 11 → 5), on the active backend. */
export function cnn(): tfl.Sequential {
  return tfl.sequential({ layers: [
    tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu' }),
    tfl.layers.maxPooling2d({ poolSize: 2 }),
    tfl.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
    tfl.layers.maxPooling2d({ poolSize: 2 }),
    tfl.layers.flatten(),
    tfl.layers.dense({ units: 128, activation: 'relu' }),
    tfl.layers.dense({ units: 10 }),
  ] });
}

export function buildModel(kind: ModelKind): tfl.Sequential {
  return kind === 'mlp' ? mlp() : cnn();
}

/** mulberry32: a small seeded PRNG, so every run trains on the same data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Host copies of `nbatches` MNIST-shaped batches. */
export interface HostBatches {
  batch: number;
  nbatches: number;
  /** nbatches * batch * 784 pixels, batch after batch. */
  x: Float32Array;
  /** nbatches * batch labels in 0..9. */
  y: Int32Array;
}

export function makeBatches(batch: number, nbatches: number, seed: number): HostBatches {
  const rand = prng(seed);
  const x = new Float32Array(nbatches * batch * 784);
  for (let i = 0; i < x.length; i++) x[i] = rand();
  const y = new Int32Array(nbatches * batch);
  for (let i = 0; i < y.length; i++) y[i] = Math.min(9, Math.floor(rand() * 10));
  return { batch, nbatches, x, y };
}

/** Writes the batches for torch_bench.py: all pixels (float32 LE), then all labels (int32 LE). */
export function writeBatches(path: string, data: HostBatches): void {
  const buf = Buffer.alloc(data.x.byteLength + data.y.byteLength);
  Buffer.from(data.x.buffer, data.x.byteOffset, data.x.byteLength).copy(buf, 0);
  Buffer.from(data.y.buffer, data.y.byteOffset, data.y.byteLength).copy(buf, data.x.byteLength);
  writeFileSync(path, buf);
}

/** The batches as [x, y] tensor pairs on the active backend (x: [B, 784] or [B, 28, 28, 1], y: int32 [B]). */
export function toTensors(kind: ModelKind, data: HostBatches): [tf.Tensor, tf.Tensor][] {
  const { batch } = data;
  const out: [tf.Tensor, tf.Tensor][] = [];
  for (let b = 0; b < data.nbatches; b++) {
    const px = data.x.subarray(b * batch * 784, (b + 1) * batch * 784);
    const shape = kind === 'mlp' ? [batch, 784] : [batch, 28, 28, 1];
    out.push([tf.tensor(px, shape, 'float32'), tf.tensor1d(data.y.subarray(b * batch, (b + 1) * batch), 'int32')]);
  }
  return out;
}
