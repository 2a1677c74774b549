// End to end on the fixed wasm backend (performance issue, part 2): a CNN (conv, max-pool, dense) and an embedding
// model (gather, whose gradient is UnsortedSegmentSum) train with kindling's trainer on wasm, give the same weights
// as on the cpu backend after several SGD steps, and leak no tensor across iterations and runs.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Engine} from '../../../src/engine/index.js';
import { Events } from '../../../src/engine/index.js';
import { createSupervisedTrainer, crossEntropyLoss } from '../../../src/training/index.js';
import { uninstallWasmFixes } from '../src/index.js';
import { assertClose, rand } from './wasm-helpers.js';

type Batch = [number[][] | number[][][][], number[]];

function cnn(): tfl.LayersModel {
  return tfl.sequential({ layers: [
    tfl.layers.conv2d({ inputShape: [10, 10, 2], filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: 'glorotUniform', biasInitializer: 'zeros' }),
    tfl.layers.maxPooling2d({ poolSize: 2 }),
    tfl.layers.conv2d({ filters: 5, kernelSize: 2, strides: 2, padding: 'same', activation: 'relu' }),
    tfl.layers.flatten(),
    tfl.layers.dense({ units: 3 }),
  ] });
}

function embedding(): tfl.LayersModel {
  return tfl.sequential({ layers: [
    tfl.layers.embedding({ inputDim: 20, outputDim: 6, inputLength: 5 }),
    tfl.layers.flatten(),
    tfl.layers.dense({ units: 3 }),
  ] });
}

function cnnBatches(): Batch[] {
  return [0, 1, 2, 3].map((b) => {
    const v = rand([6 * 10 * 10 * 2], 10 + b);
    const images = Array.from({ length: 6 }, (_, n) => Array.from({ length: 10 }, (_, h) => Array.from({ length: 10 }, (_, w) =>
      [v[((n * 10 + h) * 10 + w) * 2] as number, v[((n * 10 + h) * 10 + w) * 2 + 1] as number])));
    return [images, [0, 1, 2, 0, 1, 2].map((c) => (c + b) % 3)];
  });
}

function tokenBatches(): Batch[] {
  // repeated token ids in a batch: their embedding gradients must add up
  return [0, 1, 2, 3].map((b) => [Array.from({ length: 6 }, (_, n) => Array.from({ length: 5 }, (_, t) => (n * 7 + t * 3 + b) % 20)),
    [0, 1, 2, 2, 1, 0].map((c) => (c + b) % 3)]);
}

/** Trains a freshly built model (same initial weights on both backends) and returns its weights and tensor counts. */
async function train(backend: 'cpu' | 'wasm', make: () => tfl.LayersModel, init: Float32Array[], data: Batch[]): Promise<{ weights: Float32Array[]; counts: number[]; afterRuns: number[] }> {
  await tf.setBackend(backend);
  await tf.ready();
  const model = make();
  model.setWeights(init.map((w, i) => tf.tensor(w, model.getWeights()[i]?.shape)));
  const optimizer = tf.train.momentum(0.05, 0.9);
  const trainer = createSupervisedTrainer(model, optimizer, crossEntropyLoss, { device: backend });
  const counts: number[] = [];
  trainer.on(Events.ITERATION_COMPLETED, (e: Engine<unknown, unknown>) => {
    if (e.state.iteration > 1) counts.push(tf.memory().numTensors);
  });
  const afterRuns: number[] = [];
  await trainer.run(data, { maxEpochs: 2 });
  afterRuns.push(tf.memory().numTensors);
  await trainer.run(data, { maxEpochs: 3 });
  afterRuns.push(tf.memory().numTensors);
  const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
  model.dispose();
  optimizer.dispose();
  return { weights, counts, afterRuns };
}

describe('training on the fixed wasm backend matches the cpu backend', () => {
  after(() => {
    uninstallWasmFixes();
  });

  for (const [name, make, data] of [['CNN (conv, max-pool, strided same conv)', cnn, cnnBatches()], ['embedding model', embedding, tokenBatches()]] as const) {
    it(`${name}: weights after 12 momentum steps equal the cpu backend's, no leak`, async () => {
      await tf.setBackend('cpu');
      const seedModel = make();
      const init = seedModel.getWeights().map((w) => w.dataSync() as Float32Array);
      seedModel.dispose();
      const cpu = await train('cpu', make, init, data);
      const wasm = await train('wasm', make, init, data);
      assert.equal(wasm.weights.length, cpu.weights.length);
      wasm.weights.forEach((w, i) => {
        assert.ok(cpu.weights[i]!.some((v, j) => v !== init[i]![j]), `weight ${i} moved on cpu`);
        assertClose(w, cpu.weights[i]!, `${name}: weight ${i}`, 2e-4);
      });
      // flat across iterations and across runs
      assert.ok(wasm.counts.length >= 10 && wasm.counts.every((c) => c === wasm.counts[0]), `tensors per iteration on wasm: ${wasm.counts.join(', ')}`);
      assert.equal(wasm.afterRuns[1], wasm.afterRuns[0], 'tensors after each run');
    });
  }
});
