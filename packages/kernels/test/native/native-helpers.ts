// Shared helpers of the native backend tests: whether to skip (addon not built, outside CI), running one
// computation on the native and the cpu backend, and comparing within float32 tolerance.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { nativeBackendStatus, registerNativeBackend, NATIVE_BACKEND_NAME } from '../../src/node.js';
import { assertClose, runOn } from '../wasm-helpers.js';

export { rand, randT, assertClose } from '../wasm-helpers.js';

/**
 * `skip` option of the suites: the unavailability reason when the addon is not built, except under CI (which
 * installs OpenBLAS), where the suites run and fail in `setUpNative`.
 */
export function skipReason(): string | false {
  const status = nativeBackendStatus();
  if (status.available || process.env.CI) return false;
  return `kindling-native unavailable: ${status.reason}`;
}

/** Registers the native backend (failing with the reason when it is unavailable) and turns the leak checks on. */
export async function setUpNative(): Promise<void> {
  assert.ok(registerNativeBackend(), `kindling-native must be available: ${nativeBackendStatus().reason}`);
  await tf.setBackend(NATIVE_BACKEND_NAME);
  tf.env().set('IS_TEST', true);
}

/** Restores the cpu backend and turns the leak checks off. */
export async function tearDownNative(): Promise<void> {
  tf.env().set('IS_TEST', false);
  await tf.setBackend('cpu');
}

/** Runs `f` on the native backend and on cpu and asserts equal shapes and values (relative tolerance `tol`). */
export async function assertNativeMatchesCpu(f: () => tf.Tensor | tf.Tensor[], what: string, tol = 2e-5): Promise<Float32Array[]> {
  const native = await runOn(NATIVE_BACKEND_NAME, f);
  const cpu = await runOn('cpu', f);
  await tf.setBackend(NATIVE_BACKEND_NAME);
  assert.deepEqual(native.shapes, cpu.shapes, `${what}: shapes`);
  native.values.forEach((v, i) => assertClose(v, cpu.values[i] as Float32Array, `${what} #${i}`, tol));
  return native.values;
}
