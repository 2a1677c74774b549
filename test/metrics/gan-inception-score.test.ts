import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { NotComputableError } from '../../src/errors.js';
import { InceptionScore } from '../../src/metrics/gan/inception-score.js';
import { countReads, fixtures, runEngine } from './fixtures/vision-gan-cases.js';
import { close, useCpu } from './reference.js';

before(useCpu);
const f = fixtures.inception_score;

describe('InceptionScore (reference: numpy exp(mean KL(p(y|x) || p(y))))', () => {
  it('softmax probabilities in batches of 4, 7 and 2 (identity extractor), leak-free', () => {
    const before = tf.memory().numTensors;
    const is = new InceptionScore({ numFeatures: f.num_features });
    for (const b of f.batches) {
      const p = tf.tensor2d(b as number[][]);
      is.update(p);
      p.dispose();
    }
    close(is.compute(), f.expected, 1e-5);
    const p = tf.tensor2d(f.batches[0] as number[][]);
    assert.equal(countReads(() => is.update(p)), 0, 'update() never reads tensor data back');
    p.dispose();
    is.reset();
    assert.equal(tf.memory().numTensors, before);
    assert.throws(() => is.compute(), NotComputableError);
  });

  it('known answers: Ignite\'s docstring (one feature gives 1), uniform rows give 1, distinct one-hot rows give D', () => {
    const one = new InceptionScore({ numFeatures: 1, featureExtractor: (x) => tf.add(tf.sum(x, 1, true), 0.3) });
    const zeros = tf.zeros([10, 4]);
    one.update(zeros);
    close(one.compute(), 1, 1e-6);
    const uniform = new InceptionScore({ numFeatures: 4 });
    const u = tf.fill([6, 4], 0.25);
    uniform.update([u]);
    close(uniform.compute(), 1, 1e-6);
    const distinct = new InceptionScore({ numFeatures: 4 });
    const eye = tf.eye(4);
    distinct.update(eye);
    close(distinct.compute(), 4, 1e-5);
    for (const m of [one, uniform, distinct]) m.reset();
    tf.dispose([zeros, u, eye]);
  });

  it('a model with predict() (softmax over a linear map) is accepted as feature extractor', () => {
    const w = tf.tensor2d([[1, -1, 0.5], [0.2, 0.3, -2]]);
    const model = { predict: (x: tf.Tensor) => tf.softmax(tf.matMul(x, w)) };
    const is = new InceptionScore({ numFeatures: 3, featureExtractor: model });
    const x = tf.tensor2d([[1, 2], [0, -1], [3, 0.5]]);
    is.update(x);
    const p = tf.softmax(tf.matMul(x, w)).arraySync() as number[][];
    const py = [0, 1, 2].map((j) => p.reduce((a, r) => a + r[j]!, 0) / p.length);
    const kl = p.map((r) => r.reduce((a, pj, j) => a + pj * Math.log(pj / py[j]!), 0));
    close(is.compute(), Math.exp(kl.reduce((a, b) => a + b, 0) / kl.length), 1e-5);
    is.reset();
    tf.dispose([w, x]);
  });

  it('errors: no extractor, wrong output width', () => {
    assert.throws(() => new InceptionScore(), /featureExtractor/);
    const is = new InceptionScore({ numFeatures: 5 });
    assert.throws(() => is.update(tf.zeros([2, 4])), /should be 5, got: 4/);
  });

  it('attached to an Engine (output = the image batch) gives the reference value', async () => {
    const data = f.batches.map((b) => tf.tensor2d(b as number[][]));
    const is = new InceptionScore({ numFeatures: f.num_features });
    close(await runEngine(is, data), f.expected, 1e-5);
    is.reset();
    tf.dispose(data);
  });
});
