/**
 * @module Loss functions with PyTorch's argument order and semantics: `loss(input, target)`, reduction `'mean'`
 * (default), `'sum'` or `'none'`. Each checks shapes and dtypes and names what it expected and received.
 * Port of torch.nn.functional's cross_entropy, nll_loss, binary_cross_entropy_with_logits, mse_loss, l1_loss.
 */

import * as tf from '@tensorflow/tfjs-core';
import { canFuseCrossEntropy, fusedSparseSoftmaxCrossEntropy } from '../backends/fused-losses.js';

/** How per-element losses are combined. @defaultValue `'mean'` */
export type Reduction = 'mean' | 'sum' | 'none';

/** Options of the losses. */
export interface LossOptions {
  /** `'mean'` (default), `'sum'` or `'none'` (per-sample losses). */
  reduction?: Reduction;
  /**
   * Class-index losses (`crossEntropyLoss`, `nllLoss`): samples whose target equals it contribute nothing, and the
   * mean is over the other samples (PyTorch's `ignore_index`). @defaultValue -100
   */
  ignoreIndex?: number;
}

/** Backends whose tensors live in host memory: reading a few labels there is a copy, not a GPU pipeline stall. */
const GPU_BACKENDS = new Set(['webgl', 'webgpu']);

/** A loss function as the trainer calls it: `lossFn(yPred, y)` returning a scalar tensor. */
export type LossFn = (yPred: tf.Tensor, y: tf.Tensor) => tf.Tensor;

function shape(t: tf.Tensor): string {
  return `[${t.shape.join(', ')}]`;
}

function reduce(values: tf.Tensor, reduction: Reduction): tf.Tensor {
  if (reduction === 'mean') return tf.mean(values);
  if (reduction === 'sum') return tf.sum(values);
  if (reduction === 'none') return values;
  throw new RangeError(`reduction should be 'mean', 'sum' or 'none', got '${String(reduction)}'`);
}

function checkTensors(name: string, input: unknown, target: unknown): asserts input is tf.Tensor {
  if (!(input instanceof tf.Tensor) || !(target instanceof tf.Tensor)) {
    throw new TypeError(`${name}(input, target) expects two tensors, got ${typeof input} and ${typeof target}`);
  }
}

interface ClassTargets {
  /** Target probabilities [N, C] (one-hot rows for indices; zero rows for ignored samples); null when not asked for. */
  probs: tf.Tensor | null;
  /** Sample weights: 1 counted, 0 ignored, NaN out of range (GPU backends); null when every sample counts. */
  weight: tf.Tensor | null;
}

/**
 * Checks that class indices are in [0, C) or equal to ignoreIndex, as PyTorch does ("Target 10 is out of bounds"):
 * tf.oneHot would silently turn an out-of-range label into a zero row and a zero loss. On host-memory backends the
 * labels (N int32 values) are read and checked; on GPU backends a read would stall the pipeline every step, so the
 * sample's weight becomes NaN instead and the loss is NaN (which TerminateOnNan or `detectAnomaly` report).
 *
 * @returns how many samples are ignored, or null when the labels were not read (GPU backends).
 */
function checkIndices(name: string, target: tf.Tensor, c: number, ignoreIndex: number): number | null {
  if (GPU_BACKENDS.has(tf.getBackend())) return null;
  const ids = target.dataSync();
  let ignored = 0;
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i] as number;
    if (v === ignoreIndex) ignored++;
    else if (v < 0 || v >= c) {
      throw new RangeError(
        `${name}: target ${v} at position ${i} is out of bounds: class indices should be in [0, ${c}) for input of ` +
          `shape [${target.shape[0] ?? 0}, ${c}] (or ${ignoreIndex}, the ignoreIndex, to skip a sample). Check the labels, ` +
          "or that the model's last layer has one unit per class.",
      );
    }
  }
  return ignored;
}

function classTargets(name: string, input: tf.Tensor, target: tf.Tensor, ignoreIndex: number, withProbs = true): ClassTargets {
  if (input.rank !== 2) {
    throw new RangeError(`${name} expects input of shape [N, C] (logits or log-probabilities), got ${shape(input)}`);
  }
  const [n, c] = input.shape as [number, number];
  if (target.rank === 1 && target.shape[0] === n) {
    if (target.dtype !== 'int32') {
      throw new TypeError(`${name} expects class indices as an int32 tensor of shape [${n}], got ${target.dtype}; use tf.cast(y, 'int32') or one-hot targets of shape [${n}, ${c}]`);
    }
    const ignored = checkIndices(name, target, c, ignoreIndex);
    const probs = withProbs ? tf.oneHot(target, c) : null;
    // Checked labels, none ignored (the usual case): no weights, no extra kernels in the training step.
    if (ignored === 0) return { probs, weight: null };
    const counted = tf.cast(tf.notEqual(target, ignoreIndex), 'float32');
    if (ignored !== null) return { probs, weight: counted };
    const valid = tf.logicalOr(tf.logicalAnd(tf.greaterEqual(target, 0), tf.less(target, c)), tf.equal(target, ignoreIndex));
    return { probs, weight: tf.where(valid, counted, tf.fill([n], NaN)) };
  }
  if (target.rank === 2 && target.shape[0] === n && target.shape[1] === c) return { probs: tf.cast(target, 'float32'), weight: null };
  throw new RangeError(`${name}: target should be class indices of shape [${n}] or probabilities of shape [${n}, ${c}] for input ${shape(input)}, got ${shape(target)}`);
}

/** Reduces per-sample losses of index targets: ignored samples count neither in the sum nor in the mean's count. */
function reduceWeighted(perSample: tf.Tensor, weight: tf.Tensor | null, reduction: Reduction): tf.Tensor {
  if (weight === null) return reduce(perSample, reduction);
  const weighted = tf.mul(perSample, weight);
  if (reduction === 'mean') return tf.div(tf.sum(weighted), tf.sum(weight));
  return reduce(weighted, reduction);
}

/**
 * Cross-entropy between logits and targets (PyTorch's `F.cross_entropy`): targets are int32 class indices `[N]`
 * or class probabilities / one-hot `[N, C]`.
 *
 * @param input - logits `[N, C]`.
 * @param target - int32 indices `[N]` or probabilities `[N, C]`.
 * @param options - reduction.
 * @returns the loss (a scalar unless `reduction: 'none'`).
 * @throws RangeError / TypeError naming expected and received shapes and dtypes.
 */
export function crossEntropyLoss(input: tf.Tensor, target: tf.Tensor, options: LossOptions = {}): tf.Tensor {
  checkTensors('crossEntropyLoss', input, target);
  return tf.tidy(() => {
    // Class indices on a backend with the fused kernel: one kernel forward, one backward (no one-hot, no
    // log-softmax ops). Ignored labels give 0 there, and are weighted out below like in the unfused path.
    const fused = canFuseCrossEntropy(input, target);
    const reduction = options.reduction ?? 'mean';
    const { probs, weight } = classTargets('crossEntropyLoss', input, target, options.ignoreIndex ?? -100, !fused);
    // No sample ignored: the kernel reduces too (the Mean / Sum kernels' values, three fewer kernels each way).
    if (fused && weight === null && (reduction === 'mean' || reduction === 'sum')) return fusedSparseSoftmaxCrossEntropy(input, target, reduction);
    const perSample = fused ? fusedSparseSoftmaxCrossEntropy(input, target) : tf.neg(tf.sum(tf.mul(probs!, tf.logSoftmax(input)), 1));
    return reduceWeighted(perSample, weight, reduction);
  });
}

/**
 * Negative log-likelihood of log-probabilities (PyTorch's `F.nll_loss`): `-input[i, target[i]]`.
 *
 * @param input - log-probabilities `[N, C]` (e.g. from `tf.logSoftmax`).
 * @param target - int32 class indices `[N]` (or one-hot `[N, C]`).
 * @param options - reduction.
 * @returns the loss.
 * @throws RangeError / TypeError for wrong shapes or dtypes.
 */
export function nllLoss(input: tf.Tensor, target: tf.Tensor, options: LossOptions = {}): tf.Tensor {
  checkTensors('nllLoss', input, target);
  return tf.tidy(() => {
    const { probs, weight } = classTargets('nllLoss', input, target, options.ignoreIndex ?? -100);
    return reduceWeighted(tf.neg(tf.sum(tf.mul(probs!, input), 1)), weight, options.reduction ?? 'mean');
  });
}

function sameShape(name: string, input: tf.Tensor, target: tf.Tensor): void {
  if (!tf.util.arraysEqual(input.shape, target.shape)) {
    throw new RangeError(`${name}: input and target should have the same shape, got input ${shape(input)} and target ${shape(target)}`);
  }
}

/**
 * Binary cross-entropy on logits (PyTorch's `F.binary_cross_entropy_with_logits`), computed stably as
 * `max(x, 0) - x * t + log(1 + exp(-|x|))`.
 *
 * @param input - logits, any shape.
 * @param target - probabilities in [0, 1], same shape.
 * @param options - reduction.
 * @returns the loss.
 * @throws RangeError when the shapes differ.
 */
export function binaryCrossEntropyWithLogits(input: tf.Tensor, target: tf.Tensor, options: LossOptions = {}): tf.Tensor {
  checkTensors('binaryCrossEntropyWithLogits', input, target);
  sameShape('binaryCrossEntropyWithLogits', input, target);
  return tf.tidy(() => {
    const t = tf.cast(target, 'float32');
    const values = tf.add(tf.sub(tf.relu(input), tf.mul(input, t)), tf.log1p(tf.exp(tf.neg(tf.abs(input)))));
    return reduce(values, options.reduction ?? 'mean');
  });
}

/**
 * Mean squared error (PyTorch's `F.mse_loss`).
 *
 * @param input - predictions.
 * @param target - targets of the same shape.
 * @param options - reduction.
 * @returns the loss.
 * @throws RangeError when the shapes differ.
 */
export function mseLoss(input: tf.Tensor, target: tf.Tensor, options: LossOptions = {}): tf.Tensor {
  checkTensors('mseLoss', input, target);
  sameShape('mseLoss', input, target);
  return tf.tidy(() => reduce(tf.squaredDifference(input, tf.cast(target, input.dtype)), options.reduction ?? 'mean'));
}

/**
 * Mean absolute error (PyTorch's `F.l1_loss`).
 *
 * @param input - predictions.
 * @param target - targets of the same shape.
 * @param options - reduction.
 * @returns the loss.
 * @throws RangeError when the shapes differ.
 */
export function l1Loss(input: tf.Tensor, target: tf.Tensor, options: LossOptions = {}): tf.Tensor {
  checkTensors('l1Loss', input, target);
  sameShape('l1Loss', input, target);
  return tf.tidy(() => reduce(tf.abs(tf.sub(input, tf.cast(target, input.dtype))), options.reduction ?? 'mean'));
}
