// installWasmFixes/uninstallWasmFixes: idempotent, restore the very same stock kernel configs, work when installed
// before the backend initialises; with the fixes a CNN (conv32-pool-conv64-pool-fc128-fc10) and an embedding model
// train on wasm, their gradients equal the cpu backend's, and training steps leak nothing.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { installWasmFixes, uninstallWasmFixes, wasmFixesInstalled, WASM_FIXED_KERNELS } from '../src/index.js';
import { assertWasmMatchesCpu, rand, randT } from './wasm-helpers.js';

function cnnLoss(params: tf.Tensor[], x: tf.Tensor4D, labels: tf.Tensor): tf.Scalar {
  const [c1, b1, c2, b2, w3, b3, w4, b4] = params as [tf.Tensor4D, tf.Tensor, tf.Tensor4D, tf.Tensor, tf.Tensor2D, tf.Tensor, tf.Tensor2D, tf.Tensor];
  const h1 = tf.maxPool(tf.relu<tf.Tensor4D>(tf.add<tf.Tensor4D>(tf.conv2d(x, c1, 1, 'valid'), b1)), 2, 2, 'valid');
  const h2 = tf.maxPool(tf.relu<tf.Tensor4D>(tf.add<tf.Tensor4D>(tf.conv2d(h1, c2, 1, 'valid'), b2)), 2, 2, 'valid');
  const flat = tf.reshape(h2, [x.shape[0], -1]);
  const h3 = tf.relu(tf.add(tf.matMul(flat, w3), b3));
  return tf.losses.softmaxCrossEntropy(labels, tf.add(tf.matMul(h3, w4), b4));
}

const CNN_SHAPES = [[3, 3, 1, 32], [32], [3, 3, 32, 64], [64], [5 * 5 * 64, 128], [128], [128, 10], [10]];

describe('installWasmFixes / uninstallWasmFixes', () => {
  before(() => tf.setBackend('wasm'));

  it('replaces the stock kernels, is idempotent, and uninstall restores the very same configs', () => {
    uninstallWasmFixes();
    const stock = WASM_FIXED_KERNELS.map((n) => tf.getKernel(n, 'wasm'));
    assert.equal(stock[WASM_FIXED_KERNELS.indexOf(tf.Conv2DBackpropFilter)], undefined, 'the stock wasm backend has no Conv2DBackpropFilter');
    assert.ok(stock[WASM_FIXED_KERNELS.indexOf(tf.BatchMatMul)] !== undefined);
    assert.ok(installWasmFixes());
    const fixed = WASM_FIXED_KERNELS.map((n) => tf.getKernel(n, 'wasm'));
    fixed.forEach((k, i) => assert.ok(k !== undefined && k !== stock[i], `${WASM_FIXED_KERNELS[i]} replaced`));
    assert.ok(installWasmFixes());
    WASM_FIXED_KERNELS.forEach((n, i) => assert.equal(tf.getKernel(n, 'wasm'), fixed[i], `${n} unchanged by a second install`));
    assert.ok(wasmFixesInstalled());
    uninstallWasmFixes();
    uninstallWasmFixes();
    assert.ok(!wasmFixesInstalled());
    WASM_FIXED_KERNELS.forEach((n, i) => assert.equal(tf.getKernel(n, 'wasm'), stock[i], `${n} restored`));
  });

  it('works when installed before the wasm backend initialises (stock setup functions kept)', () => {
    const script = [
      "import * as tf from '@tensorflow/tfjs-core';",
      "import '@tensorflow/tfjs-backend-wasm';",
      "import '@tensorflow/tfjs-layers';",
      `import { installWasmFixes } from '${new URL('../src/index.ts', import.meta.url).href}';`,
      'if (!installWasmFixes()) throw new Error("not installed");',
      "await tf.setBackend('wasm');",
      'const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);',
      'const f = tf.ones([2, 2, 1, 2]);',
      'const g = tf.grad((k) => tf.sum(tf.conv2d(tf.ones([1, 3, 3, 1]), k, 1, "valid")))(f);',
      'process.stdout.write(JSON.stringify([Array.from(tf.matMul(a, a, true).dataSync()), Array.from(g.dataSync())]));',
    ].join('\n');
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: process.cwd(), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').pop() ?? ''), [[35, 44, 44, 56], [4, 4, 4, 4, 4, 4, 4, 4]]);
  });

  it('Identity (tf.clone, the tensors a gradient saves) shares the data instead of copying it, reference-counted', async () => {
    installWasmFixes();
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { dataIdMap: { numDataIds(): number } };
    const x = tf.tensor2d(rand([300, 200], 3), [300, 200]);
    const expected = Float32Array.from(x.dataSync());
    const ids = backend.dataIdMap.numDataIds();
    const y = tf.clone(x);
    assert.equal(backend.dataIdMap.numDataIds(), ids, 'a clone allocated new data');
    x.dispose();
    assert.deepEqual(Float32Array.from(y.dataSync()), expected, 'the clone lost its values when the original was disposed');
    y.dispose();
    assert.equal(backend.dataIdMap.numDataIds(), ids - 1, 'the shared data was not freed with its last tensor');
    const s = tf.tensor1d(['a', 'b'], 'string');
    const sc = tf.clone(s);
    assert.deepEqual(sc.dataSync(), ['a', 'b']);
    tf.dispose([s, sc]);
    // gradients through saved (cloned) tensors are unchanged
    const w = randT([20, 30], 4), v = randT([30, 5], 5);
    await assertWasmMatchesCpu(() => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.matMul(a, b))))([w, v]), 'matmul gradients');
    tf.dispose([w, v]);
  });

  it('returns false and changes nothing when the wasm backend is not registered', () => {
    // Simulated by hiding the stock Transpose kernel the fixes build on.
    uninstallWasmFixes();
    const transpose = tf.getKernel(tf.Transpose, 'wasm');
    assert.ok(transpose !== undefined);
    tf.unregisterKernel(tf.Transpose, 'wasm');
    try {
      assert.equal(installWasmFixes(), false);
      assert.ok(!wasmFixesInstalled());
    } finally {
      tf.registerKernel(transpose);
    }
  });
});

describe('training on wasm with the fixes', () => {
  before(async () => {
    await tf.setBackend('wasm');
    installWasmFixes();
  });
  after(() => uninstallWasmFixes());

  it('a CNN training step (conv32-pool-conv64-pool-fc128-fc10, 28x28) equals the cpu backend', async () => {
    const step = (): tf.Tensor[] => {
      const params = CNN_SHAPES.map((s, i) => tf.mul(randT(s, 20 + i), i % 2 === 0 ? 0.2 : 0.05));
      const x = randT([3, 28, 28, 1], 30) as tf.Tensor4D;
      const labels = tf.oneHot(tf.tensor1d([3, 7, 0], 'int32'), 10);
      const { value, grads } = tf.valueAndGrads((...ps: tf.Tensor[]) => cnnLoss(ps, x, labels))(params);
      return [value, ...grads];
    };
    await assertWasmMatchesCpu(step, 'CNN loss and gradients', 1e-4);
  });

  it('an embedding model (tfjs-layers, Adam) takes the same step as on cpu, without leaks', async () => {
    const train = (steps: number) => (): tf.Tensor[] => {
      const model = tfl.sequential({ layers: [
        tfl.layers.embedding({ inputDim: 50, outputDim: 8, inputLength: 6, embeddingsInitializer: 'zeros' }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 4, kernelInitializer: 'zeros' }),
      ] });
      model.setWeights([tf.tensor(rand([50, 8], 40), [50, 8]), tf.tensor(rand([48, 4], 41), [48, 4]), tf.zeros([4])]);
      const opt = tf.train.adam(0.01);
      const ids = tf.tensor2d(Array.from({ length: 24 }, (_, i) => (i * 13) % 50), [4, 6], 'int32');
      const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 4);
      const lossFn = (): tf.Scalar => tf.losses.softmaxCrossEntropy(y, model.apply(ids) as tf.Tensor);
      tf.dispose(opt.minimize(lossFn) ?? []);
      const n = tf.memory().numTensors;
      for (let i = 1; i < steps; i++) tf.dispose(opt.minimize(lossFn) ?? []);
      assert.equal(tf.memory().numTensors, n, 'no tensor leaked by a training step');
      const out = model.getWeights().map((w) => tf.clone(w));
      opt.dispose();
      model.dispose();
      return out;
    };
    await assertWasmMatchesCpu(train(3), 'embedding model weights after 3 Adam steps', 1e-4);
  });

  it('tfjs-layers CNN trains (loss decreases) with a constant tensor count', async () => {
    await tf.setBackend('wasm');
    const model = tfl.sequential({ layers: [
      tfl.layers.conv2d({ inputShape: [12, 12, 1], filters: 8, kernelSize: 3, activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 3 }),
    ] });
    const x = randT([6, 12, 12, 1], 50);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32'), 3);
    const opt = tf.train.sgd(0.1);
    const lossFn = (): tf.Scalar => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor);
    const losses: number[] = [];
    let n = 0;
    for (let i = 0; i < 6; i++) {
      const loss = opt.minimize(lossFn, true);
      losses.push(loss?.dataSync()[0] ?? NaN);
      tf.dispose(loss ?? []);
      if (i === 1) n = tf.memory().numTensors;
      if (i > 1) assert.equal(tf.memory().numTensors, n);
    }
    assert.ok((losses.at(-1) ?? NaN) < (losses[0] ?? NaN), `loss decreases: ${losses.join(', ')}`);
    tf.dispose([x, y]);
    opt.dispose();
    model.dispose();
  });
});
