// Importing kindling changes nothing in TensorFlow.js (each test file runs in its own process, so this one sees a
// fresh TensorFlow.js); installing kindling's kernels does, and uninstalling puts every stock piece back.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';

function snapshot(): unknown[] {
  return [
    tf.fused.matMul, tf.fused.conv2d, tf.getGradient(tf.Relu), tf.getKernel(tf.BatchMatMul, 'wasm'),
    tf.getKernel('KindlingDense', 'wasm'), tf.getGradient('KindlingDense'), tf.findBackendFactory('kindling-native'),
  ];
}

describe('kindling and TensorFlow.js', () => {
  it('importing kindling (its Node entry, which includes every subpath) patches nothing', async () => {
    const before = snapshot();
    await import('../../src/index.node.js');
    await import('../../src/node/index.js');
    assert.deepEqual(snapshot(), before);
  });

  it('installKernels() installs the wasm kernels, gradients and fused routes; uninstallKernels() restores each', async () => {
    const before = snapshot();
    const { installKernels, uninstallKernels, kernelsInstalled } = await import('../../src/index.js');
    const status = installKernels();
    assert.deepEqual(status, { fusedPaths: true, wasm: true });
    assert.ok(kernelsInstalled());
    const after = snapshot();
    assert.notEqual(after[0], before[0], 'tf.fused.matMul routed');
    assert.notEqual(after[2], before[2], "kindling's Relu gradient");
    assert.notEqual(after[3], before[3], "kindling's wasm BatchMatMul");
    assert.ok(after[4] !== undefined && after[5] !== undefined, 'the fused dense kernel and its gradient');
    uninstallKernels();
    assert.ok(!kernelsInstalled());
    assert.deepEqual(snapshot(), before);
  });

  it('asking for a device installs the kernels (and, under Node, registers kindling-native when built)', async () => {
    const { resolveDevice, kernelsInstalled, uninstallKernels } = await import('../../src/index.node.js');
    assert.equal(resolveDevice('cpu'), 'cpu');
    assert.ok(kernelsInstalled());
    uninstallKernels();
  });
});
