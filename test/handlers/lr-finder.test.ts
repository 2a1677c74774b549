// FastaiLRFinder on a small linear regression: the search records a curve, stops on divergence, restores the model,
// the optimizer (momentum slots included) and the trainer bit for bit, and its suggestion trains the model.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { Engine, Events, silentLogger } from '../../src/engine/index.js';
import { DataLoader, NdArray, TensorDataset, mnist } from '../../src/data/index.js';
import { optimizerParam } from '../../src/handlers/param-scheduler/target.js';
import { FastaiLRFinder, lrFinderPlotData, lrFinderSvg } from '../../src/handlers/lr-finder/index.js';
import { manualSeed } from '../../src/random/index.js';

await tf.setBackend('cpu');

const mseLoss = (yPred: tf.Tensor, y: tf.Tensor): tf.Scalar => tf.losses.meanSquaredError(y, yPred);

function makeData(n: number, seed: number): TensorDataset {
  let s = seed;
  const rand = (): number => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const x = new Float32Array(n * 2).map(rand);
  const y = Float32Array.from({ length: n }, (_, i) => 3 * (x[2 * i] as number) - 2 * (x[2 * i + 1] as number) + 0.5 + 0.05 * rand());
  return new TensorDataset(new NdArray(x, [n, 2]), new NdArray(y, [n, 1]));
}

function setup() {
  const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [2], units: 1, kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) })] });
  const optimizer = tf.train.momentum(1e-4, 0.9);
  // A plain supervised step (what createSupervisedTrainer builds), so the test depends on the engine only.
  const trainer = new Engine((_e, batch: unknown) => {
    const [x, y] = batch as [tf.Tensor, tf.Tensor];
    const loss = tf.tidy(() => optimizer.minimize(() => mseLoss(model.apply(x, { training: true }) as tf.Tensor, y), true) as tf.Scalar);
    const value = loss.dataSync()[0] as number;
    loss.dispose();
    return value;
  }, { logger: silentLogger });
  const loader = new DataLoader(makeData(256, 1), { batchSize: 16 });
  return { model, optimizer, trainer, loader };
}

async function bits(tensors: readonly tf.Tensor[]): Promise<number[][]> {
  return Promise.all(tensors.map(async (t) => Array.from(new Uint32Array((await t.data() as Float32Array).slice().buffer))));
}

async function optimizerBits(optimizer: tf.Optimizer): Promise<number[][]> {
  const weights = await optimizer.getWeights();
  const out = await bits(weights.map((w) => w.tensor));
  weights.filter((w) => w.name === 'iter').forEach((w) => w.tensor.dispose()); // a fresh scalar per call
  return out;
}

async function meanLoss(model: tfl.LayersModel, loader: DataLoader<unknown>): Promise<number> {
  let sum = 0;
  let n = 0;
  for (const batch of loader) {
    const [x, y] = batch as [tf.Tensor, tf.Tensor];
    const l = tf.tidy(() => mseLoss(model.apply(x) as tf.Tensor, y));
    sum += (await l.data())[0] as number;
    l.dispose();
    n++;
  }
  return sum / n;
}

describe('FastaiLRFinder', () => {
  it('test_model_optimizer_reset / test_lr_suggestion: state restored bit-exactly, the suggestion trains', async () => {
    const { model, optimizer, trainer, loader } = setup();
    await trainer.run(loader, { maxEpochs: 1 }); // momentum slots and trainer counters are non-trivial now
    const before = { weights: await bits(model.getWeights()), opt: await optimizerBits(optimizer), lr: optimizerParam(optimizer).get() };
    const trainerState = trainer.stateDict();
    const tensors = tf.memory().numTensors;

    const finder = new FastaiLRFinder();
    {
      await using attached = await finder.attach(trainer, { model, optimizer }, { startLr: 1e-4, endLr: 10, numIter: 100 });
      await attached.trainer.run(loader, { maxEpochs: 1 });
      assert.notDeepEqual(await bits(model.getWeights()), before.weights);
    }
    assert.deepEqual(await bits(model.getWeights()), before.weights);
    assert.deepEqual(await optimizerBits(optimizer), before.opt);
    assert.equal(optimizerParam(optimizer).get(), before.lr);
    assert.deepEqual(trainer.stateDict(), trainerState);
    assert.equal(tf.memory().numTensors, tensors);

    const { lr, loss } = finder.getResults();
    assert.equal(lr.length, loss.length);
    assert.ok(lr.length > 10 && lr.length <= 101, `recorded ${lr.length} points`);
    assert.equal(lr[0], 1e-4);
    for (let i = 1; i < lr.length; i++) assert.ok((lr[i] as number) > (lr[i - 1] as number));
    assert.ok(Math.abs((lr[1] as number) / (lr[0] as number) - (1e5) ** (1 / 100)) < 1e-9, 'exponential steps');

    const suggestion = finder.lrSuggestion();
    assert.ok(suggestion > 1e-4 && suggestion < 10, `suggestion ${suggestion}`);
    finder.applySuggestedLr(optimizer);
    assert.equal(optimizerParam(optimizer).get(), suggestion);
    const start = await meanLoss(model, loader);
    await trainer.run(loader, { maxEpochs: 3 });
    const end = await meanLoss(model, loader);
    assert.ok(end < start * 0.05, `the suggested lr trains: ${start} -> ${end}`);
    loader.dispose();
  });

  it('on MNIST: the suggestion of a 60-iteration search trains an MLP, and the search left no trace', async () => {
    manualSeed(3); // the loader's shuffle: the search and the training see the same batches on every run
    const { train, test } = await mnist({ maxPerDigit: 250 });
    const loader = new DataLoader(train, { batchSize: 32, shuffle: true });
    const model = tfl.sequential({ layers: [
      tfl.layers.flatten({ inputShape: [28, 28] }),
      tfl.layers.dense({ units: 32, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 5 }) }),
      tfl.layers.dense({ units: 10, kernelInitializer: tfl.initializers.glorotUniform({ seed: 6 }) }),
    ] });
    const optimizer = tf.train.adam(1e-3);
    const trainer = new Engine((_e, batch: unknown) => {
      const [x, y] = batch as [tf.Tensor, tf.Tensor];
      const loss = tf.tidy(() => optimizer.minimize(() => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.cast(y, 'int32') as tf.Tensor1D, 10), model.apply(x, { training: true }) as tf.Tensor), true) as tf.Scalar);
      const value = loss.dataSync()[0] as number;
      loss.dispose();
      return value;
    }, { logger: silentLogger });
    const before = await bits(model.getWeights());
    const finder = new FastaiLRFinder();
    {
      await using attached = await finder.attach(trainer, { model, optimizer }, { startLr: 1e-6, endLr: 10, numIter: 60 });
      await attached.trainer.run(loader, { maxEpochs: 1 });
    }
    assert.deepEqual(await bits(model.getWeights()), before);
    const suggestion = finder.lrSuggestion();
    assert.ok(suggestion > 1e-5 && suggestion < 1, `suggestion ${suggestion}`);
    finder.applySuggestedLr(optimizer);
    await trainer.run(loader, { maxEpochs: 2 });
    const testLoader = new DataLoader(test, { batchSize: 500 });
    let correct = 0;
    let total = 0;
    for (const batch of testLoader) {
      const [x, y] = batch as [tf.Tensor, tf.Tensor];
      const hits = tf.tidy(() => tf.sum(tf.equal(tf.argMax(model.apply(x) as tf.Tensor, -1), tf.cast(y, 'int32'))));
      correct += (await hits.data())[0] as number;
      hits.dispose();
      total += x.shape[0];
    }
    assert.ok(correct / total > 0.8, `test accuracy ${correct / total} with lr ${suggestion}`);
    loader.dispose();
    testLoader.dispose();
  });

  it('test_detach_terminates / divergence: stops when loss > divergeTh * best, warns otherwise', async () => {
    const losses = [4, 3, 2, 1, 0.5, 0.4, 0.6, 5, 50, 500];
    const optimizer = tf.train.sgd(0.01);
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (m: string): void => void warnings.push(m) };
    const trainer = new Engine((e) => losses[e.state.iteration - 1], { logger });
    const finder = new FastaiLRFinder();
    const attached = await finder.attach(trainer, { optimizer }, { smoothF: 0, divergeTh: 2, stepMode: 'linear', endLr: 1 });
    await trainer.run([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], { maxEpochs: 1 });
    await attached.detach();
    assert.deepEqual(finder.getResults().loss, [4, 3, 2, 1, 0.5, 0.4, 0.6, 5]);
    const lr = finder.getResults().lr;
    assert.ok(Math.abs((lr[1] as number) - (0.01 + 0.99 / 10)) < 1e-12, 'linear steps over numIter = epochLength * maxEpochs');
    assert.deepEqual(warnings, []);
    assert.equal(finder.lrSuggestion(), lr[1]); // first steepest central difference (-1) before the minimum (index 5)
    assert.equal(optimizerParam(optimizer).get(), 0.01);
    assert.equal(trainer.hasEventHandler(finder), false);

    const flat = new Engine(() => 1, { logger });
    await using again = await finder.attach(flat, { optimizer }, { endLr: 1 });
    await again.trainer.run([0, 1, 2], { maxEpochs: 1 });
    assert.match(warnings[0] ?? '', /Run completed without loss diverging/);
  });

  it('test_num_iter_is_not_enough / handlers removed after the search', async () => {
    const optimizer = tf.train.sgd(0.01);
    const trainer = new Engine((e) => 1 / e.state.iteration, { logger: silentLogger });
    const finder = new FastaiLRFinder();
    const seen: number[] = [];
    {
      await using attached = await finder.attach(trainer, { optimizer }, { numIter: 7, endLr: 1 });
      const state = await attached.trainer.run([0, 1, 2], { maxEpochs: 1 });
      seen.push(state.iteration, state.maxEpochs ?? 0);
    }
    assert.deepEqual(seen, [8, 3], 'maxEpochs raised to ceil(7 / 3); stops after iteration numIter + 1');
    const lrBefore = optimizerParam(optimizer).get();
    await trainer.run([0, 1, 2], { maxEpochs: 1 });
    assert.equal(optimizerParam(optimizer).get(), lrBefore, 'nothing left attached');
    assert.equal(finder.getResults().lr.length, 8);
  });

  it('validates like Ignite', async () => {
    const trainer = new Engine(() => 0, { logger: silentLogger });
    const optimizer = tf.train.sgd(0.1);
    const finder = new FastaiLRFinder();
    await assert.rejects(finder.attach(trainer, { model: 1 }), TypeError);
    await assert.rejects(finder.attach(trainer, {}), /should contain 'optimizer' key/);
    await assert.rejects(finder.attach(trainer, { optimizer }, { smoothF: 1 }), RangeError);
    await assert.rejects(finder.attach(trainer, { optimizer }, { divergeTh: 0.5 }), RangeError);
    await assert.rejects(finder.attach(trainer, { optimizer }, { stepMode: 'cos' as never }), RangeError);
    await assert.rejects(finder.attach(trainer, { optimizer }, { numIter: 0 }), RangeError);
    await assert.rejects(finder.attach(trainer, { optimizer }, { numIter: 1.5 }), TypeError);
    await assert.rejects(finder.attach(trainer, { optimizer }, { startLr: 10, endLr: 1 }), /startLr must be less than endLr/);
    assert.throws(() => finder.lrSuggestion(), /didn't run yet/);
    assert.throws(() => finder.plot(), /didn't run yet/);
    void Events;
  });

  it('plot(): trimmed curve, suggestion marker, SVG', () => {
    const history = { lr: [1, 2, 3, 4, 5, 6, 7], loss: [5, 4, 2, 1.5, 1, 2, 9] };
    const data = lrFinderPlotData(history, 3, { skipStart: 1, skipEnd: 2 });
    assert.deepEqual(data.lrs, [2, 3, 4, 5]);
    assert.deepEqual(data.losses, [4, 2, 1.5, 1]);
    assert.deepEqual(data.xLim, [2, 5]);
    assert.deepEqual(data.suggestion, { lr: 3, loss: 2 });
    assert.equal(data.warning, undefined);
    assert.match(lrFinderPlotData(history, 3, { skipStart: 2 }).warning ?? '', /skipStart is larger/);
    assert.throws(() => lrFinderPlotData(history, 3, { skipStart: -1 }), RangeError);
    const svg = lrFinderSvg(data);
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.equal((svg.match(/<polyline[^>]*points="([^"]*)"/)?.[1] ?? '').split(' ').length, 4);
    assert.match(svg, /<circle[^>]*fill="red"/);
  });
});
