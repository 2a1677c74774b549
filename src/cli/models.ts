/**
 * @module The models of `kindling train`: a multilayer perceptron and a small convolutional network for 28x28
 * grey images with 10 classes, built with tfjs-layers. Both output logits (the loss applies the softmax).
 */

import * as tfl from '@tensorflow/tfjs-layers';

/** Model names accepted by `--model`. */
export const MODEL_NAMES = ['mlp', 'cnn'] as const;
/** A model name accepted by `--model`. */
export type ModelName = (typeof MODEL_NAMES)[number];

/**
 * Builds a classifier for 28x28 images.
 *
 * @param name - `'mlp'`: 784-256-128-10 with ReLU; `'cnn'`: conv16-pool-conv32-pool-fc64-fc10 with ReLU.
 * @returns an uncompiled `tf.LayersModel` taking images `[n, 28, 28]` and giving logits `[n, 10]`.
 * @example
 * ```ts
 * const model = buildModel('mlp');
 * model.summary();
 * ```
 */
export function buildModel(name: ModelName): tfl.LayersModel {
  const model = tfl.sequential({ name: `kindling_${name}` });
  if (name === 'mlp') {
    model.add(tfl.layers.flatten({ inputShape: [28, 28] }));
    model.add(tfl.layers.dense({ units: 256, activation: 'relu' }));
    model.add(tfl.layers.dropout({ rate: 0.25 }));
    model.add(tfl.layers.dense({ units: 128, activation: 'relu' }));
    model.add(tfl.layers.dropout({ rate: 0.25 }));
    model.add(tfl.layers.dense({ units: 10 }));
  } else {
    model.add(tfl.layers.reshape({ inputShape: [28, 28], targetShape: [28, 28, 1] }));
    model.add(tfl.layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu' }));
    model.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
    model.add(tfl.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu' }));
    model.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
    model.add(tfl.layers.flatten());
    model.add(tfl.layers.dense({ units: 64, activation: 'relu' }));
    model.add(tfl.layers.dense({ units: 10 }));
  }
  return model;
}
