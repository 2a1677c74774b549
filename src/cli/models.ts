/**
 * @module The models of `kindling train`: a multilayer perceptron and a small convolutional network, built with
 * tfjs-layers, sized for the data (28x28 grey digits with 10 classes by default; colour images; table rows for the
 * MLP). Both output logits (the loss applies the softmax).
 */

import * as tfl from '@tensorflow/tfjs-layers';

/** Model names accepted by `--model`. */
export const MODEL_NAMES = ['mlp', 'cnn'] as const;
/** A model name accepted by `--model`. */
export type ModelName = (typeof MODEL_NAMES)[number];

/** The input and output sizes of a CLI model. */
export interface ModelShape {
  /** One sample's shape: `[h, w]` (grey), `[h, w, c]` (colour) or `[features]` (a table). Default `[28, 28]`. */
  inputShape?: readonly number[];
  /** Number of classes (logits). Default 10. */
  numClasses?: number;
}

/**
 * Builds a classifier (MNIST-sized by default).
 *
 * @param name - `'mlp'`: flatten-256-128-classes with ReLU and dropout; `'cnn'`: conv16-pool-conv32-pool-fc64-classes.
 * @param shape - input shape and number of classes (default `[28, 28]` grey images, 10 classes).
 * @returns an uncompiled `tf.LayersModel` taking `[n, ...inputShape]` and giving logits `[n, numClasses]`.
 * @throws {@link RangeError} for the CNN on a 1-D (table) input.
 */
export function buildModel(name: ModelName, shape: ModelShape = {}): tfl.LayersModel {
  const inputShape = [...(shape.inputShape ?? [28, 28])];
  const classes = shape.numClasses ?? 10;
  const model = tfl.sequential({ name: `kindling_${name}` });
  if (name === 'mlp') {
    if (inputShape.length === 1) model.add(tfl.layers.dense({ inputShape, units: 256, activation: 'relu' }));
    else {
      model.add(tfl.layers.flatten({ inputShape }));
      model.add(tfl.layers.dense({ units: 256, activation: 'relu' }));
    }
    model.add(tfl.layers.dropout({ rate: 0.25 }));
    model.add(tfl.layers.dense({ units: 128, activation: 'relu' }));
    model.add(tfl.layers.dropout({ rate: 0.25 }));
    model.add(tfl.layers.dense({ units: classes }));
    return model;
  }
  if (inputShape.length < 2) {
    throw new RangeError(`The CNN needs images [h, w] or [h, w, c], but the data has samples of shape [${inputShape.join(', ')}]. Use --model mlp.`);
  }
  if (inputShape.length === 2) model.add(tfl.layers.reshape({ inputShape, targetShape: [...inputShape, 1] }));
  model.add(tfl.layers.conv2d({ ...(inputShape.length === 3 ? { inputShape } : {}), filters: 16, kernelSize: 3, activation: 'relu' }));
  model.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tfl.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu' }));
  model.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tfl.layers.flatten());
  model.add(tfl.layers.dense({ units: 64, activation: 'relu' }));
  model.add(tfl.layers.dense({ units: classes }));
  return model;
}
