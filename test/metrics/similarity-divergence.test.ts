import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { Engine, silentLogger } from '../../src/engine/index.js';
import { NotComputableError } from '../../src/errors.js';
import { JSDivergence, KLDivergence } from '../../src/metrics/similarity/index.js';
import { close, useCpu } from './reference.js';

before(useCpu);

type Nested = number | Nested[];
interface InformationCase {
  batches: [Nested, Nested][];
  kl: number;
  js: number;
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/similarity.json', import.meta.url), 'utf8')) as {
  information: InformationCase[];
};
const toBatch = ([a, b]: [Nested, Nested]): [tf.Tensor, tf.Tensor] => [tf.tensor(a), tf.tensor(b)];
const DOC_TRUE = [[0.0, -2.3026, -2.3026], [1.3863, 1.6094, 1.6094], [0.0, 0.6931, 1.0986]];
const DOC_PRED = [[0.0, 0.6931, 1.0986], [1.3863, 1.6094, 1.6094], [0.0, -2.3026, -2.3026]];

describe('KLDivergence and JSDivergence', () => {
  it('match scipy (stats.entropy(p, q), spatial.distance.jensenshannon²) for (B, C) and (B, C, H, W) logits (fixture)', () => {
    for (const { batches, kl, js } of fixture.information) {
      const klm = new KLDivergence();
      const jsm = new JSDivergence();
      for (const b of batches) {
        const out = toBatch(b);
        klm.update(out);
        jsm.update(out);
        tf.dispose(out);
      }
      close(klm.compute(), kl, 1e-5);
      close(jsm.compute(), js, 1e-5);
    }
  });

  it("Ignite's docstring examples (0.7220296859741211 and 0.16266516844431558), through an Engine", async () => {
    const engine = new Engine((_e, b: [tf.Tensor, tf.Tensor]) => b, { logger: silentLogger });
    new KLDivergence().attach(engine, 'kl-div');
    new JSDivergence().attach(engine, 'js-div');
    const yPred = tf.tensor2d(DOC_PRED);
    const yTrue = tf.tensor2d(DOC_TRUE);
    const state = await engine.run([[yPred, yTrue]], { maxEpochs: 1 });
    close(state.metrics['kl-div'], 0.7220296859741211, 1e-6);
    close(state.metrics['js-div'], 0.16266516844431558, 1e-6);
    tf.dispose([yPred, yTrue]);
  });

  it('KL is asymmetric and JS symmetric; both 0 for identical inputs', () => {
    const value = (M: typeof KLDivergence, a: number[][], b: number[][]): number => {
      const m = new M();
      m.update([a, b]);
      return m.compute();
    };
    close(value(KLDivergence, DOC_PRED, DOC_PRED), 0, 1e-6);
    close(value(JSDivergence, DOC_PRED, DOC_TRUE), value(JSDivergence, DOC_TRUE, DOC_PRED), 1e-6);
    assert.ok(Math.abs(value(KLDivergence, [[0, 3]], [[1, 0]]) - value(KLDivergence, [[1, 0]], [[0, 3]])) > 1e-3);
  });

  it('leak-free across engine runs', async () => {
    const { batches, js } = fixture.information[1]!;
    const data = batches.map(toBatch);
    const engine = new Engine((_e, b: [tf.Tensor, tf.Tensor]) => b, { logger: silentLogger });
    const metric = new JSDivergence();
    metric.attach(engine, 'js');
    const n = tf.memory().numTensors;
    for (let run = 0; run < 2; run++) {
      close((await engine.run(data, { maxEpochs: 2 })).metrics.js, js, 1e-5);
      metric.reset();
      assert.equal(tf.memory().numTensors, n);
    }
    tf.dispose(data.flat());
  });

  it("errors use Ignite's messages", () => {
    assert.throws(() => new KLDivergence().update([tf.zeros([2, 3]), tf.zeros([2, 4])]), /yPred and y must be in the same shape, got \[2,3\] != \[2,4\]/);
    assert.throws(() => new JSDivergence().update([tf.zeros([3]), tf.zeros([3])]), /yPred must be in the shape of \(B, C\) or \(B, C, \.\.\.\)/);
    assert.throws(() => new JSDivergence().compute(), /JSDivergence must have at least one example/);
    assert.throws(() => new KLDivergence().compute(), NotComputableError);
  });
});
