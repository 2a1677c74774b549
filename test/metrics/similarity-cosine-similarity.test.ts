import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { Engine, silentLogger } from '../../src/engine/index.js';
import { NotComputableError } from '../../src/errors.js';
import { CosineSimilarity } from '../../src/metrics/similarity/index.js';
import { close, useCpu } from './reference.js';

before(useCpu);

type Nested = number | Nested[];
interface CosineCase {
  eps: number;
  batches: [Nested, Nested][];
  expected: number;
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/similarity.json', import.meta.url), 'utf8')) as {
  cosineSimilarity: CosineCase[];
};
const toBatch = ([a, b]: [Nested, Nested]): [tf.Tensor, tf.Tensor] => [tf.tensor(a), tf.tensor(b)];

describe('CosineSimilarity', () => {
  it('matches the numpy reference for (B, D) and (B, 2, 3) inputs in batches of different sizes (fixture)', () => {
    for (const { eps, batches, expected } of fixture.cosineSimilarity) {
      const m = new CosineSimilarity({ eps });
      for (const b of batches) {
        const out = toBatch(b);
        m.update(out);
        tf.dispose(out);
      }
      close(m.compute(), expected, 1e-5);
    }
  });

  it("Ignite's docstring example: 0.5080491304397583, through an Engine", async () => {
    const engine = new Engine((_e, b: [tf.Tensor, tf.Tensor]) => b, { logger: silentLogger });
    new CosineSimilarity().attach(engine, 'cosine_similarity');
    const preds = tf.tensor2d([[1, 2, 4, 1], [2, 3, 1, 5], [1, 3, 5, 1], [1, 5, 1, 11]]);
    const target = tf.tensor2d([[1, 5, 1, 11], [1, 3, 5, 1], [2, 3, 1, 5], [1, 2, 4, 1]]);
    const state = await engine.run([[preds, target]], { maxEpochs: 1 });
    close(state.metrics.cosine_similarity, 0.5080491304397583, 1e-6);
    tf.dispose([preds, target]);
  });

  it('a zero vector has similarity 0 (the norm is clamped at eps)', () => {
    const m = new CosineSimilarity();
    m.update([[[0, 0], [1, 0]], [[1, 1], [2, 0]]]);
    close(m.compute(), 0.5, 1e-7);
  });

  it('leak-free across engine runs', async () => {
    const { batches, expected } = fixture.cosineSimilarity[1]!;
    const data = batches.map(toBatch);
    const engine = new Engine((_e, b: [tf.Tensor, tf.Tensor]) => b, { logger: silentLogger });
    const metric = new CosineSimilarity();
    metric.attach(engine, 'cos');
    const n = tf.memory().numTensors;
    for (let run = 0; run < 2; run++) {
      close((await engine.run(data, { maxEpochs: 2 })).metrics.cos, expected, 1e-5);
      metric.reset();
      assert.equal(tf.memory().numTensors, n);
    }
    tf.dispose(data.flat());
  });

  it('errors: shapes, 1-D input, bad output, eps, no data', () => {
    const m = new CosineSimilarity();
    assert.throws(() => m.update([tf.zeros([2, 3]), tf.zeros([2, 4])]), /same shape, got \[2,3\] != \[2,4\]/);
    assert.throws(() => m.update([tf.zeros([3]), tf.zeros([3])]), /shape of \(B, \.\.\.\)/);
    assert.throws(() => m.update('nope'), TypeError);
    assert.throws(() => new CosineSimilarity({ eps: -1 }), RangeError);
    assert.throws(() => m.compute(), NotComputableError);
  });
});
