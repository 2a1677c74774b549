/**
 * @module Port of ignite/metrics/gan/utils.py `_BaseInceptionMetric`: the feature extractor shared by FID and
 * InceptionScore, and the checks on what it returns.
 * Deviations: Ignite downloads an ImageNet InceptionV3 when neither `num_features` nor `feature_extractor` is
 * given; kindling cannot download weights at run time, so that case is an error that says how to pass a model the
 * user has (a function, or a TF.js `LayersModel` / `GraphModel` with `predict`). As in Ignite, `numFeatures`
 * alone means the identity extractor (the inputs already are features). Extraction runs inside `tf.tidy`, so the
 * extractor's intermediate tensors are freed; features are float32 (Ignite: float64).
 */

import * as tf from '@tensorflow/tfjs-core';
import { Metric, type MetricOptions } from '../metric.js';
import { describeValue, fmtShape, isTensor, toTensor } from '../internal/tensors.js';

/**
 * A model with a TF.js-style `predict` (a `tf.LayersModel`, a `tf.GraphModel`, or any object like them).
 *
 */
export interface PredictModel {
  /** Maps an image batch to a `(N, numFeatures)` tensor. */
  predict(x: tf.Tensor): unknown;
}

/**
 * What FID and InceptionScore accept as a feature extractor: a function from an image batch to a `(N, D)` tensor,
 * or a model with `predict`.
 *
 */
export type FeatureExtractor = ((images: tf.Tensor) => tf.Tensor) | PredictModel;

/**
 * Options shared by FID and InceptionScore.
 *
 */
export interface InceptionMetricOptions extends MetricOptions {
  /** Number of features (FID) or classes (InceptionScore) the extractor returns per image. Required. */
  numFeatures?: number;
  /**
   * Maps an image batch to `(N, numFeatures)` features (FID) or class probabilities (InceptionScore).
   * @defaultValue the identity (inputs already are `(N, numFeatures)` features) when `numFeatures` is given
   */
  featureExtractor?: FeatureExtractor;
}

/**
 * Base of FID and InceptionScore: resolves the feature extractor and validates its output.
 *
 */
export abstract class InceptionMetric<TResult> extends Metric<TResult> {
  /** Number of features per image. */
  protected readonly numFeatures: number;
  readonly #extract: (images: tf.Tensor) => unknown;

  /**
   * @param options - `numFeatures`, `featureExtractor` and the common metric options.
   * @throws TypeError when neither is given (no default InceptionV3 in kindling) or the extractor is not callable;
   *   RangeError when `featureExtractor` is given without `numFeatures`, or `numFeatures <= 0`.
   */
  constructor(options: InceptionMetricOptions) {
    const { numFeatures, featureExtractor, ...rest } = options;
    super(rest);
    const name = new.target.name;
    if (numFeatures === undefined && featureExtractor === undefined) {
      throw new TypeError(
        `${name} needs { numFeatures, featureExtractor }: kindling cannot download Ignite's default InceptionV3. ` +
          'Pass featureExtractor as a function (images) => features or a TF.js model with predict(), e.g. ' +
          "await tf.loadLayersModel('file://path/to/model.json') with @tensorflow/tfjs-node, or " +
          "tf.loadLayersModel(kindlingFileHandler('model.ckpt')) from kindling/node, and numFeatures as the size of " +
          'its output (2048 for InceptionV3 pool features, 1000 for its class probabilities).',
      );
    }
    if (numFeatures === undefined) {
      throw new RangeError('Argument numFeatures must be provided, if featureExtractor is specified.');
    }
    if (!Number.isInteger(numFeatures) || numFeatures <= 0) {
      throw new RangeError(`Argument numFeatures must be greater to zero, got: ${numFeatures}`);
    }
    this.numFeatures = numFeatures;
    this.#extract = resolveExtractor(featureExtractor);
  }

  /**
   * Runs the extractor on one batch and checks its output (call inside `tf.tidy`).
   *
   * @param inputs - the image batch (or features, with the identity extractor).
   * @param role - the argument's name for errors.
   * @returns float32 features of shape `(N, numFeatures)`.
   * @throws TypeError when the extractor does not return a tensor; RangeError for a wrong output shape.
   */
  protected extractFeatures(inputs: unknown, role: string): tf.Tensor2D {
    const out = this.#extract(toTensor(inputs, role));
    if (!isTensor(out)) {
      throw new TypeError(`featureExtractor should return a tf.Tensor of shape (N, numFeatures), got ${describeValue(out)}`);
    }
    if (out.rank !== 2) throw new RangeError(`featureExtractor output must be a tensor of dim 2, got: ${out.rank}`);
    if (out.shape[0] === 0) throw new RangeError(`Batch size should be greater than one, got: ${out.shape[0]}`);
    if (out.shape[1] !== this.numFeatures) {
      throw new RangeError(
        `numFeatures returned by featureExtractor should be ${this.numFeatures}, got: ${out.shape[1]} ` +
          `(output shape ${fmtShape(out.shape)})`,
      );
    }
    return tf.cast(out, 'float32') as tf.Tensor2D;
  }
}

function resolveExtractor(extractor: FeatureExtractor | undefined): (images: tf.Tensor) => unknown {
  if (extractor === undefined) return (x) => x;
  if (typeof extractor === 'function') return extractor;
  if (typeof extractor === 'object' && extractor !== null && typeof extractor.predict === 'function') {
    return (x) => extractor.predict(x);
  }
  throw new TypeError(
    `Argument featureExtractor must be a function (images) => features or a model with predict(), got ${describeValue(extractor)}`,
  );
}
