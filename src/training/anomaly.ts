/**
 * @module `detectAnomaly`: the trainer's opt-in check that a step's inputs, targets, predictions, loss and gradients
 * are finite (in the spirit of `torch.autograd.set_detect_anomaly`). No Ignite counterpart. Deviations: none
 * (off by default, as in PyTorch).
 *
 * The check costs one device read per iteration (a boolean per tensor), so it is opt-in; without it, a NaN or Inf
 * in the data shows up as a non-finite loss, which {@link TerminateOnNan} catches and explains.
 */

import * as tf from '@tensorflow/tfjs-core';

/**
 * Thrown by a training step with `detectAnomaly: true` when a tensor holds NaN or ±Infinity. The optimizer has not
 * been stepped with that iteration's gradients.
 *
 * @example
 * ```ts
 * trainer.on(Events.EXCEPTION_RAISED, (engine, e) => {
 *   if (e instanceof NonFiniteError) console.error(e.tensorName, e.position);
 * });
 * ```
 */
export class NonFiniteError extends RangeError {
  override readonly name = 'NonFiniteError';

  /**
   * @param message - the full message.
   * @param tensorName - which tensor: `'x'`, `'y'`, `'yPred'`, `'loss'` or `'gradient of <variable>'`.
   * @param position - the index of the first non-finite element (empty for a scalar).
   * @param value - that element: NaN, Infinity or -Infinity.
   */
  constructor(message: string, readonly tensorName: string, readonly position: number[], readonly value: number) {
    super(message);
  }
}

/** Float tensors in a value (tensor, array or plain object of tensors), with a path for messages. */
function floatTensors(name: string, value: unknown, out: [string, tf.Tensor][]): void {
  if (value instanceof tf.Tensor) {
    if (value.dtype === 'float32' && value.size > 0 && !value.isDisposed) out.push([name, value as tf.Tensor]);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => floatTensors(`${name}[${i}]`, v, out));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) floatTensors(`${name}.${k}`, v, out);
  }
}

const HINTS: Record<string, string> = {
  x: 'the input batch has it: check the data source (missing values, division by zero in preprocessing)',
  y: 'the targets have it: check the data source',
  yPred: 'the model output has it with finite inputs: the weights diverged (lower the learning rate) or an op overflowed',
  loss: 'the loss has it with a finite model output: check the loss function (log of 0, targets outside its domain)',
  grad: 'a gradient has it with a finite loss: an op has an undefined derivative here (sqrt or log at 0) or overflowed',
};

/**
 * Checks the tensors of one step, in order, with one device read; throws for the first one with a NaN or Infinity.
 *
 * @param named - [name, value] pairs: `x`, `y`, `yPred`, `loss`, then `gradient of <variable>` entries.
 * @param iteration - the engine's iteration, for the message.
 * @throws {@link NonFiniteError} naming the tensor, the position and the likely cause.
 */
export function assertFinite(named: [string, unknown][], iteration: number): void {
  const tensors: [string, tf.Tensor][] = [];
  for (const [name, value] of named) floatTensors(name, value, tensors);
  if (tensors.length === 0) return;
  const flags = tf.tidy(() => tf.stack(tensors.map(([, t]) => tf.all(tf.isFinite(t)))));
  const ok = flags.dataSync();
  flags.dispose();
  const bad = ok.findIndex((v) => v !== 1);
  if (bad < 0) return;
  const [name, tensor] = tensors[bad] as [string, tf.Tensor];
  const values = tensor.dataSync();
  let flat = 0;
  while (flat < values.length && Number.isFinite(values[flat])) flat++;
  const position = tensor.rank === 0 ? [] : tf.util.indexToLoc(flat, tensor.rank, tensor.strides);
  const value = values[flat] as number;
  const key = name.startsWith('gradient') ? 'grad' : (name.split(/[[.]/)[0] ?? name);
  throw new NonFiniteError(
    `detectAnomaly: ${name} contains ${String(value)} at position [${position.join(', ')}] of shape [${tensor.shape.join(', ')}] ` +
      `(iteration ${iteration}); ${HINTS[key] ?? 'check where it comes from'}. The optimizer was not stepped.`,
    name, position, value);
}

/**
 * The trainer's `detectAnomaly` check of one step: x, y, the prediction, the loss and (without a loss scaler) the
 * gradients. On failure the gradients are disposed before the error is thrown.
 *
 * @param parts - the step's tensors.
 * @param iteration - the engine's iteration.
 * @throws {@link NonFiniteError} for the first non-finite tensor.
 */
export function assertStepFinite(
  parts: { x: unknown; y: unknown; yPred: unknown; loss: unknown; grads: tf.NamedTensorMap; checkGrads: boolean },
  iteration: number,
): void {
  const { x, y, yPred, loss, grads, checkGrads } = parts;
  const named: [string, unknown][] = [['x', x], ['y', y], ['yPred', yPred], ['loss', loss]];
  if (checkGrads) for (const [n, g] of Object.entries(grads)) named.push([`gradient of ${n}`, g]);
  try {
    assertFinite(named, iteration);
  } catch (e) {
    tf.dispose(grads);
    throw e;
  }
}
