/**
 * @module Training-time augmentation of the CLI: random translations of up to 2 pixels per image (a standard
 * MNIST augmentation that lets a small model generalise from the 8,000 training digits).
 */

import * as tf from '@tensorflow/tfjs-core';
import { globalGenerator } from '../random/index.js';
import { prepareBatch, type PrepareBatchFn } from '../training/index.js';

const PAD = 2;

/**
 * Shifts every image of a batch `[n, h, w]` by a random offset in [-2, 2] pixels (zero fill). Offsets come from
 * kindling's global generator, so `--seed` and `--deterministic` make them reproducible.
 *
 * @param images - a batch of grey images `[n, h, w]`.
 * @returns the shifted batch (a new tensor).
 */
export function randomShift(images: tf.Tensor): tf.Tensor {
  const [n, h, w] = images.shape as [number, number, number];
  const H = h + 2 * PAD;
  const W = w + 2 * PAD;
  // One gather with per-pixel source indices (backend-agnostic and exact; the wasm backend's cropAndResize
  // ignores horizontal box offsets, which would shift every image the same way).
  const indices = new Int32Array(n * h * w);
  for (let i = 0; i < n; i++) {
    const dy = Math.floor(globalGenerator.random() * (2 * PAD + 1));
    const dx = Math.floor(globalGenerator.random() * (2 * PAD + 1));
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w; c++) indices[(i * h + r) * w + c] = i * H * W + (r + dy) * W + (c + dx);
    }
  }
  return tf.tidy(() => {
    const padded = tf.pad(tf.reshape(images, [n, h, w]), [[0, 0], [PAD, PAD], [PAD, PAD]]);
    return tf.reshape(tf.gather(tf.reshape(padded, [-1]), tf.tensor1d(indices, 'int32')), [n, h, w]);
  });
}

/**
 * The default `prepareBatch` followed by {@link randomShift} of the images.
 *
 * @returns a `prepareBatch` function for the trainer.
 */
export function shiftingPrepareBatch(): PrepareBatchFn {
  return (batch, device, nonBlocking) => {
    const [x, y] = prepareBatch(batch, device, nonBlocking);
    return [randomShift(x as tf.Tensor), y];
  };
}
