import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { Engine, Events, silentLogger, type Logger } from '../../src/engine/index.js';
import { NotComputableError } from '../../src/errors.js';
import { CalinskiHarabaszScore } from '../../src/metrics/clustering/calinski-harabasz-score.js';
import { DaviesBouldinScore } from '../../src/metrics/clustering/davies-bouldin-score.js';
import { SilhouetteScore, type SilhouetteDistance } from '../../src/metrics/clustering/silhouette-score.js';
import { ClusteringMetric, type ClusterData } from '../../src/metrics/clustering/base.js';
import { runEngine } from './fixtures/regression-cases.js';
import { close, useCpu } from './reference.js';

before(useCpu);

interface ClusteringCase {
  name: string;
  batches: { features: number[][]; labels: number[] }[];
  expected: Record<string, number>;
}

const cases = (
  JSON.parse(readFileSync(new URL('./fixtures/clustering.json', import.meta.url), 'utf8')) as { cases: ClusteringCase[] }
).cases;

function feed(metric: ClusteringMetric, c: ClusteringCase): void {
  for (const b of c.batches) {
    const pair = [tf.tensor2d(b.features, undefined, 'float32'), tf.tensor1d(b.labels, 'int32')];
    metric.update(pair);
    tf.dispose(pair);
  }
}

describe('clustering scores against sklearn.metrics (clustering.json)', () => {
  const metrics: Record<string, () => ClusteringMetric> = {
    SilhouetteScore: () => new SilhouetteScore(),
    DaviesBouldinScore: () => new DaviesBouldinScore(),
    CalinskiHarabaszScore: () => new CalinskiHarabaszScore(),
  };
  for (const distance of ['manhattan', 'cosine', 'sqeuclidean', 'chebyshev'] as SilhouetteDistance[]) {
    metrics[`SilhouetteScore_${distance}`] = () => new SilhouetteScore({ silhouetteKwargs: { metric: distance } });
  }
  for (const [key, make] of Object.entries(metrics)) {
    it(`${key} over batches of different sizes, leak-free`, () => {
      for (const c of cases) {
        const n = tf.memory().numTensors;
        const metric = make();
        feed(metric, c);
        close(metric.compute(), c.expected[key], 1e-9, `${key} on ${c.name}`);
        metric.reset();
        assert.equal(tf.memory().numTensors, n, `${key} leaks on ${c.name}`);
      }
    });
  }
});

describe("clustering scores: Ignite's documented example, through an Engine with { features, labels } outputs", () => {
  const X = [
    [-1.04, -0.71, -1.42, -0.28, -0.43],
    [0.47, 0.96, -0.43, 1.57, -2.24],
    [-0.62, -0.29, 0.1, -0.72, -1.69],
    [0.96, -0.77, 0.6, -0.89, 0.49],
    [-1.33, -1.53, 0.25, -1.6, -2.0],
    [-0.63, -0.55, -1.03, -0.89, -0.77],
    [-0.26, -1.67, -0.24, -1.33, -0.4],
    [-0.2, -1.34, -0.52, -1.55, -1.5],
    [2.68, 1.13, 2.51, 0.8, 0.92],
    [0.33, 2.88, 1.35, -0.56, 1.71],
  ];
  const Y = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2];
  const data = (): { features: tf.Tensor; labels: tf.Tensor }[] => [{ features: tf.tensor2d(X), labels: tf.tensor1d(Y, 'int32') }];

  it('SilhouetteScore 0.1260736584663391', async () => {
    close(await runEngine(new SilhouetteScore(), data()), 0.1260736584663391, 1e-6);
  });

  it('DaviesBouldinScore 1.3838673743829881', async () => {
    close(await runEngine(new DaviesBouldinScore(), data()), 1.3838673743829881, 1e-6);
  });

  it('CalinskiHarabaszScore 5.733935832977295', async () => {
    close(await runEngine(new CalinskiHarabaszScore(), data()), 5.733935832977295, 1e-6);
  });
});

describe('clustering scores: errors and edge cases', () => {
  it("bad shapes give Ignite's messages; object outputs need features and labels", () => {
    const m = new SilhouetteScore();
    assert.throws(() => m.update([tf.zeros([4]), tf.zeros([4], 'int32')]), { name: 'RangeError', message: /Features should be of shape \(batchSize, nTargets\)/ });
    assert.throws(() => m.update([tf.zeros([4, 2]), tf.zeros([4, 1], 'int32')]), { name: 'RangeError', message: /Labels should be of shape \(batchSize, \)/ });
    assert.throws(() => m.update([tf.zeros([4, 2]), tf.zeros([3], 'int32')]), { name: 'RangeError', message: /same batch size/ });
    assert.throws(() => m.update('x'), TypeError);
    assert.throws(() => m.update([tf.zeros([1, 2]), ['a']]), TypeError);
    assert.deepEqual(m.requiredOutputKeys, ['features', 'labels']);
  });

  it('a dtype change between batches is a TypeError naming features or labels', () => {
    const m = new CalinskiHarabaszScore({ checkComputeFn: false });
    m.update([tf.zeros([2, 2]), tf.tensor1d([0, 1], 'int32')]);
    assert.throws(() => m.update([tf.zeros([2, 2], 'int32'), tf.tensor1d([0, 1], 'int32')]), { name: 'TypeError', message: /Incoherent types between input features and stored features: float32 vs int32/ });
    assert.throws(() => m.update([tf.zeros([2, 2]), tf.tensor1d([0, 1])]), { name: 'TypeError', message: /input labels and stored labels/ });
    m.reset();
  });

  it('nested arrays are accepted: integer-valued features are read as float32', () => {
    const m = new CalinskiHarabaszScore();
    m.update([[[0, 0], [0, 1]], [0, 0]]);
    m.update([[[5.5, 5], [5, 6]], [1, 1]]);
    // centroids (0, 0.5) and (5.25, 5.5), overall mean (2.625, 3); B = 2·2·(2.625² + 2.5²), W = 0.5 + 0.625
    close(m.compute(), (4 * (2.625 ** 2 + 2.5 ** 2) * (4 - 2)) / (1.125 * (2 - 1)), 1e-9);
    m.reset();
  });

  it('compute() before any update raises NotComputableError naming the metric', () => {
    for (const m of [new SilhouetteScore(), new DaviesBouldinScore(), new CalinskiHarabaszScore()]) {
      assert.throws(() => m.compute(), (e: unknown) => e instanceof NotComputableError && e.message.startsWith(`${m.constructor.name} must have`));
    }
  });

  it('fewer than 2 labels, or one label per sample: Silhouette NaN, Davies-Bouldin NaN with a warning, Calinski-Harabasz RangeError', () => {
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (msg: string) => warnings.push(msg) };
    const one = (): tf.Tensor[] => [tf.tensor2d([[0, 1], [2, 3], [4, 4]]), tf.tensor1d([3, 3, 3], 'int32')];
    const each = (): tf.Tensor[] => [tf.tensor2d([[0, 1], [2, 3]]), tf.tensor1d([0, 1], 'int32')];
    for (const batch of [one(), each()]) {
      const s = new SilhouetteScore();
      const db = new DaviesBouldinScore({ logger, checkComputeFn: false });
      const ch = new CalinskiHarabaszScore({ checkComputeFn: false });
      for (const m of [s, db, ch]) m.update(batch);
      assert.ok(Number.isNaN(s.compute()));
      assert.ok(Number.isNaN(db.compute()));
      assert.throws(() => ch.compute(), { name: 'RangeError', message: /Number of labels is \d\. Valid values are 2 to nSamples - 1 \(inclusive\)/ });
      for (const m of [s, db, ch]) m.reset();
    }
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]!, /DaviesBouldinScore requires the number of unique labels to be between 2 and nSamples - 1/);
  });

  it('Davies-Bouldin is 0 when every cluster is a single repeated point', () => {
    const m = new DaviesBouldinScore();
    m.update([tf.tensor2d([[0, 0], [0, 0], [3, 4], [3, 4]]), tf.tensor1d([0, 0, 1, 1], 'int32')]);
    assert.equal(m.compute(), 0);
    m.reset();
  });

  it('a custom ClusteringMetric receives the epoch with labels encoded as 0..k-1 in sorted order', () => {
    let seen: ClusterData | null = null;
    class Probe extends ClusteringMetric {
      constructor() {
        super((data) => {
          seen = data;
          return data.k;
        }, { checkComputeFn: false });
      }
    }
    const m = new Probe();
    m.update([[[1, 2], [3, 4]], [9, -3]]);
    m.update([[[5, 6]], [9]]);
    assert.equal(m.compute(), 2);
    const data = seen as unknown as ClusterData;
    assert.deepEqual([data.n, data.d, Array.from(data.labels), data.sizes, Array.from(data.x)], [3, 2, [1, 0, 1], [1, 2], [1, 2, 3, 4, 5, 6]]);
    m.reset();
  });

  it('silhouetteKwargs: only a known metric is accepted', () => {
    assert.throws(() => new SilhouetteScore({ silhouetteKwargs: { metric: 'hamming' as SilhouetteDistance } }), { name: 'RangeError', message: /silhouetteKwargs.metric should be one of/ });
    assert.throws(() => new SilhouetteScore({ silhouetteKwargs: { sampleSize: 10 } as { metric?: SilhouetteDistance } }), { name: 'RangeError', message: /supports only 'metric'/ });
  });

  it('batch_wise usage scores each batch on its own', async () => {
    const batches = [
      [tf.tensor2d([[0], [0.5], [10], [10.5]]), tf.tensor1d([0, 0, 1, 1], 'int32')],
      [tf.tensor2d([[0], [10], [0.5], [10.5]]), tf.tensor1d([0, 0, 1, 1], 'int32')],
    ];
    const engine = new Engine((_e, b: tf.Tensor[]) => b, { logger: silentLogger });
    new SilhouetteScore().attach(engine, 's', { usage: 'batch_wise' });
    const seen: number[] = [];
    engine.on(Events.ITERATION_COMPLETED, (e) => {
      seen.push(e.state.metrics['s'] as number);
    });
    await engine.run(batches, { maxEpochs: 1 });
    assert.equal(seen.length, 2);
    assert.ok(seen[0]! > 0.9, `well separated: ${seen[0]}`);
    assert.ok(seen[1]! < 0, `mixed up: ${seen[1]}`);
  });
});
