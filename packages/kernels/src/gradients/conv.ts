/**
 * @module gradients/conv Once installed (`installKernels()`): a Conv2D layer (`tf.fused.conv2d`, which tf.layers' Conv2D calls) runs as
 * one kernel while a gradient tape records, on backends that register kindling's conv kernel
 * (backends/fused-kernels.ts; 'kindling-native' does), and its gradient. No Ignite counterpart (PyTorch's
 * `convolution` with bias plays this role). Deviations: none — bit-identical to TensorFlow.js's own path.
 *
 * Why it exists: as for Dense layers (dense.ts), TensorFlow.js fuses the convolution, bias and ReLU only
 * when no tape records, so in training every Conv2D layer runs `Conv2D`, a broadcast `Add` and `Relu`, three passes
 * over its output, and back `Relu`'s gradient, the bias `Sum` (one thread) and a `Reshape` before the two convolution
 * backprops. Here: one kernel forward saving three tensors, and back one `KindlingBiasActGrad` (ReLU and bias
 * gradients in one pass) then the same backprop kernels. Calls it does not handle (no tape, other activations,
 * dilations, NCHW, rounding modes, non-float32, higher-order gradients, backends without the kernels, and inside
 * `autocast` on backends that did not opt in with {@link allowConvUnderAutocast}) run TensorFlow.js's path unchanged.
 *
 * Inside `autocast` (on a backend that opted in) the call runs the conv kernel with attribute `autocast: true`: the
 * kernel runs whatever `FusedConv2D` kernel autocast has registered at that moment (the reduced-precision one:
 * operands and bias rounded, float32 accumulation, output rounded), the numerics of autocast's fused convolution;
 * TensorFlow.js's taped path rounds the convolution before adding the bias instead (Conv2D, Add, Relu), a difference
 * of one rounding step of the reduced dtype. The gradient is unchanged: the ReLU's and bias's gradients in float32
 * (as Relu's gradient and Sum), then `Conv2DBackpropInput` / `Conv2DBackpropFilter` through the engine, i.e. through
 * autocast's wrapped kernels, as the unfused gradient does.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_LAYER_KERNELS, autocastActiveOn } from '../contract.js';
import { fusedRoute } from './route.js';

const KERNEL = FUSED_LAYER_KERNELS.conv2d;
const GRAD_KERNEL = FUSED_LAYER_KERNELS.biasActGrad;

/** Backends whose conv kernel honours the `autocast` attribute (see {@link allowConvUnderAutocast}). */
const autocastBackends = new Set<string>();

/**
 * Lets the fused Conv2D route run inside `autocast` on a backend whose conv kernel, given the attribute
 * `autocast: true`, runs the `FusedConv2D` kernel registered at that moment (autocast's wrapper) instead of its own
 * float32 convolution. Called by the backends that do ('kindling-native').
 *
 * @param backendName - the backend's registered name.
 */
export function allowConvUnderAutocast(backendName: string): void {
  autocastBackends.add(backendName);
}

// Saved: input and filter (for the backprops) and the output (y > 0 exactly where the pre-activation is, as for
// Dense). The gradients are those TensorFlow.js's Conv2D, Add and Relu gradients compute, kernel for kernel.
/** The conv kernel's gradient (registered by `installKernels()`). */
export const CONV_GRADIENT: tf.GradConfig = {
  kernelName: KERNEL,
  inputsToSave: ['x', 'filter'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter, y] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
    const relu = attrs['activation'] === 'relu';
    // Run now, in the tape's backward scope, which disposes what no input uses (e.g. frozen layers' gradients).
    const [dBias, g] = tf.engine().runKernel<tf.Tensor[]>(GRAD_KERNEL, relu ? { dy: dy as tf.Tensor, y } : { dy: dy as tf.Tensor }, { activation: relu ? 'relu' : 'linear' });
    const grad = g ?? (dy as tf.Tensor);
    const conv = { strides: attrs['strides'], pad: attrs['pad'], dataFormat: 'NHWC' } as unknown as tf.NamedAttrMap;
    return {
      x: () => tf.engine().runKernel<tf.Tensor>(tf.Conv2DBackpropInput, { dy: grad, filter }, { ...conv, inputShape: x.shape }),
      filter: () => tf.engine().runKernel<tf.Tensor>(tf.Conv2DBackpropFilter, { x, dy: grad }, { ...conv, filterShape: filter.shape }),
      bias: () => dBias as tf.Tensor,
    };
  },
};

type FusedConv2DArgs = Parameters<typeof tf.fused.conv2d>[0];

let enabled = true;

const ones = (v: unknown): boolean => v === undefined || v === 1 || (Array.isArray(v) && v.every((d) => d === 1));

/** The call as the conv kernel's inputs and attributes, or null when TensorFlow.js's own path must run it. */
function convCall(args: FusedConv2DArgs): { inputs: tf.NamedTensorMap; attrs: tf.NamedAttrMap } | null {
  if (!enabled || tf.engine().state.gradientDepth !== 1) return null;
  const { x, filter, strides, pad, dataFormat = 'NHWC', dilations, dimRoundingMode, bias, preluActivationWeights } = args;
  const activation = args.activation ?? 'linear'; // tf.layers passes null for "apply the activation afterwards"
  if (dataFormat !== 'NHWC' || !ones(dilations) || dimRoundingMode != null || preluActivationWeights != null) return null;
  if ((activation !== 'linear' && activation !== 'relu') || bias == null) return null; // nothing to fuse without a bias
  if (!(x instanceof tf.Tensor) || !(filter instanceof tf.Tensor) || !(bias instanceof tf.Tensor)) return null;
  if (x.rank !== 4 || filter.rank !== 4 || x.dtype !== 'float32' || filter.dtype !== 'float32' || x.size === 0) return null;
  if (x.shape[3] !== filter.shape[2] || bias.rank !== 1 || bias.dtype !== 'float32' || bias.shape[0] !== filter.shape[3]) return null;
  if (typeof pad !== 'number' && pad !== 'valid' && pad !== 'same') return null;
  const backend = tf.getBackend();
  if (tf.getKernel(KERNEL, backend) === undefined || tf.getKernel(GRAD_KERNEL, backend) === undefined) return null;
  const autocasting = autocastActiveOn(backend);
  if (autocasting && !autocastBackends.has(backend)) return null;
  const attrs = { strides, pad, dataFormat: 'NHWC', dilations: [1, 1], activation } as unknown as tf.NamedAttrMap;
  if (autocasting) attrs['autocast'] = true;
  return { inputs: { x, filter, bias }, attrs };
}

/** The route of `tf.fused.conv2d` to the conv kernel (installed by `installKernels()`). */
export const convRoute = fusedRoute<FusedConv2DArgs>('conv2d', KERNEL, convCall);

/**
 * Turns kindling's fused Conv2D layer under a gradient tape on or off (on by default). Off, tf.layers' Conv2D layers
 * train through TensorFlow.js's unfused `Conv2D`, `Add` and `Relu`, which give the same values with more kernel calls
 * and passes: a switch for debugging and for comparing the two.
 *
 * @param on - true to fuse (the default), false for TensorFlow.js's own path.
 * @returns whether the fused path can run in this build (false where `tf.fused.conv2d` cannot be wrapped, e.g. an ES
 *   module namespace in a browser bundle).
 */
export function setConvFusion(on: boolean): boolean {
  enabled = on;
  return convRoute.routable;
}
