/**
 * @module gradients/dense Once installed (`installKernels()`): a Dense layer (`tf.fused.matMul`, which tf.layers' Dense calls) runs as
 * one kernel while a gradient tape records, on backends that register kindling's dense kernel
 * (backends/fused-kernels.ts; 'kindling-native' does), and its gradient. No Ignite counterpart (PyTorch's `addmm`
 * plays this role). Deviations: none — bit-identical to TensorFlow.js's own path.
 *
 * Why it exists: TensorFlow.js fuses product, bias and ReLU only when no tape records (`shouldFuse` in its fused
 * ops), so in training every Dense layer runs `BatchMatMul`, `Add` and `Relu`, saves five tensors for the backward
 * pass and runs six kernels back (the bias gradient's `Sum` and two `Reshape`s among them). Here: one kernel
 * forward saving three tensors, and back one `KindlingDenseGrad` kernel (ReLU, bias and weight gradients in one call)
 * plus a product for the input's gradient where the backend registers it, else two products, one `Sum` and the
 * fused ReLU gradient. TensorFlow.js offers no
 * hook for this, so kindling routes `tf.fused.matMul` (see route.ts). The route hands every
 * other call (no tape, other activations, transposes, prelu, non-float32, tensor-likes, higher-order gradients,
 * backends without the kernel, and inside `autocast` on backends that did not opt in with
 * {@link allowDenseUnderAutocast}) to TensorFlow.js unchanged.
 *
 * Inside `autocast` (on a backend that opted in) the call runs the dense kernel with attribute `autocast: true`: the
 * kernel runs whatever `_FusedMatMul` kernel autocast has registered at that moment (the reduced-precision one:
 * operands and bias rounded, float32 accumulation, output rounded), so the forward pass has exactly the numerics of
 * autocast's fused product (the one it runs for Dense layers without a tape and for linear ones with a tape); for
 * ReLU layers TensorFlow.js's taped path rounds the product before adding the bias instead (BatchMatMul, Add,
 * Relu), a difference of one rounding step of the reduced dtype. The gradient then runs the ReLU and bias gradients
 * in one kernel where the backend has it and both products through `tf.matMul`, i.e. through autocast's wrapped
 * `BatchMatMul`, as the unfused gradient does.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_LAYER_KERNELS, autocastActiveOn } from '../contract.js';
import { reluGradient } from './relu.js';
import { fusedRoute } from './route.js';

const KERNEL = FUSED_LAYER_KERNELS.dense;

const GRAD_KERNEL = FUSED_LAYER_KERNELS.denseGrad;

const BIAS_ACT_GRAD_KERNEL = FUSED_LAYER_KERNELS.biasActGrad;

/** Backends whose dense kernel honours the `autocast` attribute (see {@link allowDenseUnderAutocast}). */
const autocastBackends = new Set<string>();

/**
 * Lets the fused Dense route run inside `autocast` on a backend whose dense kernel, given the attribute
 * `autocast: true`, runs the `_FusedMatMul` kernel registered at that moment (autocast's wrapper) instead of its own
 * float32 product. Called by the backends that do ('kindling-native').
 *
 * @param backendName - the backend's registered name.
 */
export function allowDenseUnderAutocast(backendName: string): void {
  autocastBackends.add(backendName);
}

// Saved: both operands (for the products) and the output (for the ReLU gradient: y > 0 exactly where the
// pre-activation is, so it gives the same values as Relu's gradient on its input). The bias gradient is the column
// sum of the activation's gradient, as Add's gradient reduces the broadcast bias.
/** The dense kernel's gradient (registered by `installKernels()`). */
export const DENSE_GRADIENT: tf.GradConfig = {
  kernelName: KERNEL,
  inputsToSave: ['a', 'b'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [a, b, y] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const relu = attrs['activation'] === 'relu';
    const d = dy as tf.Tensor;
    const backend = tf.getBackend();
    if (autocastActiveOn(backend)) {
      // Under autocast both products go through tf.matMul (autocast's BatchMatMul, as in the unfused gradient); the
      // ReLU's and the bias's gradients (float32, as Relu's gradient and Sum) in one kernel where there is one.
      let g: tf.Tensor = d, dBias: tf.Tensor | null = null;
      if (tf.getKernel(BIAS_ACT_GRAD_KERNEL, backend) !== undefined && d.dtype === 'float32' && d.size > 0) {
        const out = tf.engine().runKernel<tf.Tensor[]>(BIAS_ACT_GRAD_KERNEL, relu ? { dy: d, y } : { dy: d }, { activation: relu ? 'relu' : 'linear' });
        dBias = out[0]!;
        g = out[1] ?? d;
      } else if (relu) {
        g = reluGradient(d, y);
      }
      const grad = g, bias = dBias;
      return {
        a: () => tf.matMul(grad, b, false, true),
        b: () => tf.matMul(a, grad, true, false),
        bias: () => bias ?? tf.sum(grad, 0),
      };
    }
    if (tf.getKernel(GRAD_KERNEL, backend) !== undefined && d.dtype === 'float32' && d.size > 0 && a.size > 0) {
      // One kernel for the ReLU's, the bias's and b's gradients, run now (the tape calls this function inside its
      // backward scope, which disposes what no input ends up using, e.g. the bias gradient of a layer without
      // bias); a's gradient, a product, only if the tape asks for it (not for the first layer's input).
      const [dB, dBias, g] = tf.engine().runKernel<tf.Tensor[]>(GRAD_KERNEL, relu ? { dy: d, a, y } : { dy: d, a }, { activation: relu ? 'relu' : 'linear' });
      const grad = g ?? d;
      return { a: () => tf.matMul(grad, b, false, true), b: () => dB as tf.Tensor, bias: () => dBias as tf.Tensor };
    }
    const g = relu ? reluGradient(d, y) : d;
    return {
      a: () => tf.matMul(g, b, false, true),
      b: () => tf.matMul(a, g, true, false),
      bias: () => tf.sum(g, 0),
    };
  },
};

type FusedMatMulArgs = Parameters<typeof tf.fused.matMul>[0];

let enabled = true;

/** The call as the dense kernel's inputs and attributes, or null when TensorFlow.js's own path must run it. */
function denseCall(args: FusedMatMulArgs): { inputs: tf.NamedTensorMap; attrs: tf.NamedAttrMap } | null {
  if (!enabled) return null;
  // Recording one tape: a higher-order gradient (depth > 1) differentiates the gradient itself, left to TF.js.
  if (tf.engine().state.gradientDepth !== 1) return null;
  const { a, b, bias, activation = 'linear', transposeA = false, transposeB = false, preluActivationWeights } = args;
  if (transposeA || transposeB || preluActivationWeights != null || (activation !== 'linear' && activation !== 'relu')) return null;
  if (!(a instanceof tf.Tensor) || !(b instanceof tf.Tensor) || a.rank !== 2 || b.rank !== 2) return null;
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape[1] !== b.shape[0]) return null;
  if (bias != null && !(bias instanceof tf.Tensor && bias.rank === 1 && bias.dtype === 'float32' && bias.shape[0] === b.shape[1])) return null;
  const backend = tf.getBackend();
  if (tf.getKernel(KERNEL, backend) === undefined) return null;
  const autocasting = autocastActiveOn(backend);
  if (autocasting && !autocastBackends.has(backend)) return null;
  const attrs: tf.NamedAttrMap = { transposeA: false, transposeB: false, activation };
  if (autocasting) attrs['autocast'] = true;
  return { inputs: bias == null ? { a, b } : { a, b, bias }, attrs };
}

/** The route of `tf.fused.matMul` to the dense kernel (installed by `installKernels()`). */
export const denseRoute = fusedRoute<FusedMatMulArgs>('matMul', KERNEL, denseCall);

/**
 * Turns kindling's fused Dense layer under a gradient tape on or off (on by default). Off, tf.layers' Dense layers
 * train through TensorFlow.js's unfused `BatchMatMul`, `Add` and `Relu`, which give the same values with more kernel
 * calls: a switch for debugging and for comparing the two.
 *
 * @param on - true to fuse (the default), false for TensorFlow.js's own path.
 * @returns whether the fused path can run in this build (false where `tf.fused.matMul` cannot be wrapped, e.g. an ES
 *   module namespace in a browser bundle).
 */
export function setDenseFusion(on: boolean): boolean {
  enabled = on;
  return denseRoute.routable;
}
