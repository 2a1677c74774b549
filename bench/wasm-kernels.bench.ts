/**
 * Training step of the MLP 784-512-256-10 (batch 64 and 256, Adam, softmax cross-entropy) on the wasm backend with
 * and without kindling's transposed-matmul fix, interleaved in one run, medians and ratios; the cpu backend for
 * scale (fewer steps: it is about 20x slower). See ../shared/benchmarks.md for PyTorch's numbers on this machine.
 * Run: npm run bench -- wasm-kernels
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { installWasmFixes, uninstallWasmFixes } from '../src/backends/index.js';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

function makeStep(batch: number): () => void {
  const model = tfl.sequential({ layers: [
    tfl.layers.dense({ inputShape: [784], units: 512, activation: 'relu' }),
    tfl.layers.dense({ units: 256, activation: 'relu' }),
    tfl.layers.dense({ units: 10 }),
  ] });
  const opt = tf.train.adam(1e-3);
  const x = tf.randomNormal([batch, 784]);
  const y = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32'), 10);
  return () => {
    const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(y, model.apply(x, { training: true }) as tf.Tensor), true);
    loss?.dataSync();
    loss?.dispose();
  };
}

function timeSteps(step: () => void, n: number): number {
  step();
  const t = performance.now();
  for (let i = 0; i < n; i++) step();
  return (performance.now() - t) / n;
}

await tf.setBackend('wasm');
await tf.ready();
for (const batch of [64, 256]) {
  const step = makeStep(batch);
  const stock: number[] = [];
  const fixed: number[] = [];
  for (let r = 0; r < 5; r++) {
    uninstallWasmFixes();
    stock.push(timeSteps(step, 10));
    installWasmFixes();
    fixed.push(timeSteps(step, 10));
  }
  const s = median(stock);
  const f = median(fixed);
  console.log(`MLP batch ${batch}: wasm stock ${s.toFixed(1)} ms/step, wasm + kindling fix ${f.toFixed(1)} ms/step (${(s / f).toFixed(2)}x), ${Math.round((batch * 1000) / f)} samples/s`);
}
await tf.setBackend('cpu');
const cpu = timeSteps(makeStep(64), 3);
console.log(`MLP batch 64 on cpu: ${cpu.toFixed(0)} ms/step (for scale; PyTorch on this machine: about 2-2.6 ms/step)`);
