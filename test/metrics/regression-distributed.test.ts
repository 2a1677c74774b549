/**
 * The regression and clustering metrics in a (fake) 2-process job: the fake MPI addon plays a second rank that saw
 * exactly the same batches, so all-reduced sums double, MAX keeps the value and all-gathered data is repeated.
 * Checks that each metric declares its state for reduction (or gathers its stored epoch) and that `compute()`
 * restores the local state afterwards. (Duplicating the data leaves the rank correlations and medians unchanged,
 * so for those the test counts the gathers; SilhouetteScore's value does change.)
 */
import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { afterEach, before, describe, it } from 'node:test';
import { finalize, initialize, setMpiLoader, type CollectiveArray, type MpiAddon, type ReduceOp } from '../../src/distributed/context.js';
import { SilhouetteScore } from '../../src/metrics/clustering/silhouette-score.js';
import { KendallRankCorrelation, PearsonCorrelation } from '../../src/metrics/regression/correlation.js';
import { ManhattanDistance, MaximumAbsoluteError } from '../../src/metrics/regression/distances.js';
import { MeanAbsoluteRelativeError, MeanError } from '../../src/metrics/regression/mean-errors.js';
import { MedianAbsoluteError } from '../../src/metrics/regression/median-errors.js';
import { kendall } from '../../src/metrics/regression/ranks.js';
import type { Metric } from '../../src/metrics/metric.js';
import { close, useCpu } from './reference.js';

before(useCpu);

const gathered: number[] = [];

const twin: MpiAddon = {
  init: () => ({ rank: 0, worldSize: 2, localRank: 0, localSize: 2, threadLevel: 0, library: 'twin rank' }),
  isInitialized: () => true,
  finalize: () => undefined,
  allReduce<T extends CollectiveArray>(array: T, op: ReduceOp): T {
    if (op === 'SUM') array.forEach((v, i) => { array[i] = v * 2; });
    if (op === 'PRODUCT') array.forEach((v, i) => { array[i] = v * v; });
    return array;
  },
  allGather<T extends CollectiveArray>(array: T): T {
    gathered.push(array.length);
    const out = new (array.constructor as new (n: number) => T)(array.length * 2);
    out.set(array);
    out.set(array, array.length);
    return out;
  },
  broadcast: <T extends CollectiveArray>(array: T): T => array,
  barrier: () => undefined,
  abort: () => undefined,
};

function distributed<T>(fn: () => T): T {
  setMpiLoader({ load: () => ({ addon: twin }), howToEnable: '' });
  initialize('mpi');
  try {
    return fn();
  } finally {
    finalize();
    setMpiLoader(null);
  }
}

afterEach(() => {
  finalize();
  setMpiLoader(null);
});

const p = [0.5, 2.8, 1.9, 1.3, 6.0, 4.1, 2.2];
const y = [1, 1, 2, 3, 4, 5, 2.5];

function fed<M extends Metric<unknown>>(metric: M): M {
  metric.update([tf.tensor1d(p.slice(0, 3)), tf.tensor1d(y.slice(0, 3))]);
  metric.update([tf.tensor1d(p.slice(3)), tf.tensor1d(y.slice(3))]);
  return metric;
}

describe('regression and clustering metrics reduce their state across ranks', () => {
  it('sums are all-reduced (mean unchanged, distance doubled), the maximum with MAX; local state restored', () => {
    const me = fed(new MeanError());
    const md = fed(new ManhattanDistance());
    const mare = fed(new MeanAbsoluteRelativeError());
    const maxAe = fed(new MaximumAbsoluteError());
    const pearson = fed(new PearsonCorrelation());
    const serial = [me, md, mare, maxAe, pearson].map((m) => m.compute());
    const n = tf.memory().numTensors;
    const reduced = distributed(() => [me, md, mare, maxAe, pearson].map((m) => m.compute()));
    assert.equal(tf.memory().numTensors, n);
    close(reduced, [serial[0]!, 2 * serial[1]!, serial[2]!, serial[3]!, serial[4]!], 1e-6);
    close([me, md, mare, maxAe, pearson].map((m) => m.compute()), serial, 1e-12);
  });

  it('a rank that saw a zero target makes MeanAbsoluteRelativeError fail on every rank', () => {
    const m = new MeanAbsoluteRelativeError();
    m.update([tf.tensor1d([1]), tf.tensor1d([0])]);
    assert.throws(() => distributed(() => m.compute()), /The ground truth has 0\./);
  });

  it('stored metrics gather the epoch of every rank before computing', () => {
    const kendallMetric = fed(new KendallRankCorrelation());
    const mdae = fed(new MedianAbsoluteError());
    const twice = (v: number[]): number[] => [...v, ...v];
    gathered.length = 0;
    const [tau, med] = distributed(() => [kendallMetric.compute(), mdae.compute()]);
    // 2 metrics x (predictions, targets): four gathers of the 7 local values (besides the shape and length gathers)
    assert.equal(gathered.filter((n) => n === p.length).length, 4);
    close(tau, kendall(twice(p), twice(y), 'b'), 1e-12);
    close(med, p.map((v, i) => Math.abs(y[i]! - v)).sort((a, b) => a - b)[3]!, 1e-6);
  });

  it('SilhouetteScore scores the gathered epoch', () => {
    const features = [[0, 0], [0, 1], [4, 4], [5, 4], [9, 0]];
    const labels = [0, 0, 1, 1, 1];
    const local = new SilhouetteScore();
    local.update([tf.tensor2d(features), tf.tensor1d(labels, 'int32')]);
    const doubled = new SilhouetteScore();
    doubled.update([tf.tensor2d([...features, ...features]), tf.tensor1d([...labels, ...labels], 'int32')]);
    const expected = doubled.compute();
    const serial = new SilhouetteScore();
    serial.update([tf.tensor2d(features), tf.tensor1d(labels, 'int32')]);
    assert.ok(Math.abs(serial.compute() - expected) > 0.05);
    close(distributed(() => local.compute()), expected, 1e-12);
  });
});
