import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initialize } from '../../src/distributed/context.js';
import { NotComputableError } from '../../src/errors.js';
import { FID } from '../../src/metrics/gan/fid.js';
import { countReads, feedPairs, fixtures, pairTensors, runEngine } from './fixtures/vision-gan-cases.js';
import { fakeAddon, withAddon } from '../distributed/fake-mpi.js';
import { close, useCpu } from './reference.js';

before(useCpu);
const cases = fixtures.fid;

/** The fixture's linear feature extractor: (N, 4, 4, 1) images -> flatten -> (N, D) features. */
function linearExtractor(weights: number[][]): (x: tf.Tensor) => tf.Tensor {
  const w = tf.keep(tf.tensor2d(weights));
  return (x) => tf.matMul(tf.reshape(x, [-1, 16]), w);
}

describe('FID (reference: numpy mean / np.cov and scipy.linalg.sqrtm, as Ignite\'s fid_score)', () => {
  cases.forEach((c, k) => {
    const what = c.weights ? 'a linear feature extractor on images' : 'the identity extractor (inputs are features)';
    it(`case ${k}: ${c.num_features} features, ${what}, several batches, leak-free`, () => {
      const extractor = c.weights ? { featureExtractor: linearExtractor(c.weights) } : {};
      const before = tf.memory().numTensors;
      const fid = new FID({ numFeatures: c.num_features, ...extractor });
      feedPairs(fid, c.batches);
      close(fid.compute(), c.expected, 1e-4);
      close(fid.compute(), c.expected, 1e-4);
      fid.reset();
      assert.equal(tf.memory().numTensors, before);
    });
  });

  it('update() never reads tensor data back (moments stay on the device until compute)', () => {
    const c = cases[0]!;
    const fid = new FID({ numFeatures: c.num_features });
    assert.equal(countReads(() => feedPairs(fid, c.batches)), 0);
    fid.reset();
  });

  it('features far from 0 (mean 1000, std 1): the shifted sums keep float32 from cancelling the covariance', () => {
    const c = cases[2]!;
    const fid = new FID({ numFeatures: c.num_features });
    feedPairs(fid, c.batches);
    close(fid.compute(), c.expected, 1e-4);
    fid.reset();
  });

  it('a tf.LayersModel as feature extractor (Dense layer with the fixture weights) gives the same value', () => {
    const c = cases[3]!;
    const model = tfl.sequential({ layers: [tfl.layers.flatten({ inputShape: [4, 4, 1] }), tfl.layers.dense({ units: c.num_features, useBias: false })] });
    const kernel = tf.tensor2d(c.weights!);
    model.layers[1]!.setWeights([kernel]);
    kernel.dispose();
    const fid = new FID({ numFeatures: c.num_features, featureExtractor: model });
    feedPairs(fid, c.batches);
    close(fid.compute(), c.expected, 1e-4);
    fid.reset();
    model.dispose();
  });

  it("Ignite's docstring example: identical inputs give 0", () => {
    // Ignite's default_model is a small Linear stack from 4 inputs to 1 feature; any linear map gives 0 here.
    const fid = new FID({ numFeatures: 1, featureExtractor: (x) => tf.matMul(x, tf.tensor2d([[0.5], [-1], [2], [0.25]])) });
    const ones = tf.ones([10, 4]);
    fid.update([ones, ones]);
    close(fid.compute(), 0, 1e-9);
    ones.dispose();
    fid.reset();
  });

  it('errors: no extractor (how to provide one), numFeatures checks, extractor output, shapes, too few examples', () => {
    assert.throws(() => new FID(), (e: unknown) => e instanceof TypeError && /cannot download/.test(e.message) && /tf\.loadLayersModel/.test(e.message));
    assert.throws(() => new FID({ featureExtractor: (x) => x }), /numFeatures must be provided/);
    assert.throws(() => new FID({ numFeatures: 0 }), /greater to zero/);
    assert.throws(() => new FID({ numFeatures: 2, featureExtractor: 42 as unknown as (x: tf.Tensor) => tf.Tensor }), TypeError);
    const fid = new FID({ numFeatures: 3 });
    assert.throws(() => fid.update([tf.zeros([2, 4]), tf.zeros([2, 4])]), /should be 3, got: 4/);
    assert.throws(() => fid.update([tf.zeros([2, 3, 1]), tf.zeros([2, 3, 1])]), /dim 2, got: 3/);
    assert.throws(() => fid.update([tf.zeros([2, 3]), tf.zeros([3, 3])]), /Training Features and Testing Features should be equal/);
    assert.throws(() => new FID({ numFeatures: 3, featureExtractor: () => 'x' as unknown as tf.Tensor }).update([tf.zeros([2, 3]), tf.zeros([2, 3])]), TypeError);
    assert.throws(() => fid.update([tf.zeros([2, 3])]), TypeError);
    assert.throws(() => fid.compute(), NotComputableError);
    fid.update([tf.zeros([1, 3]), tf.zeros([1, 3])]);
    assert.throws(() => fid.compute(), /at least two examples/);
    fid.reset();
  });

  it('two ranks (a stand-in MPI whose ranks hold the same data): compute() all-reduces float64 moments', async () => {
    const c = cases[0]!;
    const serial = new FID({ numFeatures: c.num_features });
    feedPairs(serial, [...c.batches, ...c.batches]); // what two identical ranks hold together
    const expected = serial.compute();
    serial.reset();
    const addon = fakeAddon();
    await withAddon(addon, () => {
      initialize('mpi');
      const fid = new FID({ numFeatures: c.num_features });
      feedPairs(fid, c.batches);
      close(fid.compute(), expected, 1e-6);
      fid.reset();
    });
    assert.deepEqual(addon.calls.filter((call) => call.startsWith('allReduce')), ['allReduce SUM']);
  });

  it('attached to an Engine gives the reference value', async () => {
    const c = cases[0]!;
    const data = c.batches.map((b) => pairTensors(b));
    const fid = new FID({ numFeatures: c.num_features });
    close(await runEngine(fid, data), c.expected, 1e-4);
    fid.reset();
    tf.dispose(data);
  });
});
