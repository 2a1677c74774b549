import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { Engine, silentLogger } from '../../src/engine/index.js';
import { NotComputableError } from '../../src/errors.js';
import { MultiLabelConfusionMatrix } from '../../src/metrics/reports/index.js';
import { close, useCpu } from './reference.js';

before(useCpu);

type Nested = number | Nested[];
interface MlcmCase {
  numClasses: number;
  batches: [Nested, Nested][];
  expected: number[][][];
  expectedNormalized: number[][][];
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/reports.json', import.meta.url), 'utf8')) as {
  multiLabelConfusionMatrix: MlcmCase[];
};
const int = (v: Nested): tf.Tensor => tf.tensor(v, undefined, 'int32');

describe('MultiLabelConfusionMatrix', () => {
  it('matches sklearn multilabel_confusion_matrix for (N, C) and (N, C, L) inputs in batches (fixture)', () => {
    for (const { numClasses, batches, expected, expectedNormalized } of fixture.multiLabelConfusionMatrix) {
      const counts = new MultiLabelConfusionMatrix(numClasses);
      const rates = new MultiLabelConfusionMatrix(numClasses, { normalized: true });
      for (const [yPred, y] of batches) {
        const out = [int(yPred), int(y)];
        counts.update(out);
        rates.update(out);
        tf.dispose(out);
      }
      assert.deepEqual(counts.compute(), expected);
      close(rates.compute(), expectedNormalized, 1e-12);
    }
  });

  it("Ignite's docstring example, through an Engine", async () => {
    const engine = new Engine((_e, b: [tf.Tensor, tf.Tensor]) => b, { logger: silentLogger });
    new MultiLabelConfusionMatrix(3).attach(engine, 'mlcm');
    const yTrue = int([[0, 0, 1], [0, 0, 0], [0, 0, 0], [1, 0, 0], [0, 1, 1]]);
    const yPred = int([[1, 1, 0], [1, 0, 1], [1, 0, 0], [1, 0, 1], [1, 1, 0]]);
    const state = await engine.run([[yPred, yTrue]], { maxEpochs: 1 });
    assert.deepEqual(state.metrics.mlcm, [[[0, 4], [0, 1]], [[3, 1], [0, 1]], [[1, 2], [2, 0]]]);
    tf.dispose([yTrue, yPred]);
  });

  it('bool inputs and nested arrays work; leak-free across updates and runs', async () => {
    const m = new MultiLabelConfusionMatrix(2);
    m.update([tf.tensor2d([[1, 0]], undefined, 'bool'), tf.tensor2d([[1, 1]], undefined, 'bool')]);
    m.update([[[0, 1]], [[0, 1]]]);
    assert.deepEqual(m.compute(), [[[1, 0], [0, 1]], [[0, 0], [1, 1]]]);
    const data = fixture.multiLabelConfusionMatrix[0]!.batches.map(([p, y]) => [int(p), int(y)] as [tf.Tensor, tf.Tensor]);
    const engine = new Engine((_e, b: [tf.Tensor, tf.Tensor]) => b, { logger: silentLogger });
    const metric = new MultiLabelConfusionMatrix(3);
    metric.attach(engine, 'mlcm');
    const n = tf.memory().numTensors;
    for (let run = 0; run < 2; run++) {
      const state = await engine.run(data, { maxEpochs: 2 });
      assert.deepEqual(state.metrics.mlcm, fixture.multiLabelConfusionMatrix[0]!.expected);
      metric.reset();
      assert.equal(tf.memory().numTensors, n);
    }
    tf.dispose(data.flat());
  });

  it("errors use Ignite's messages", () => {
    assert.throws(() => new MultiLabelConfusionMatrix(1), /numClasses needs to be > 1/);
    const m = new MultiLabelConfusionMatrix(3);
    assert.throws(() => m.update([int([1, 0, 1]), int([[1, 0, 1]])]), /yPred must at least have shape \(batch_size, num_classes \(currently set to 3\), \.\.\.\)/);
    assert.throws(() => m.update([int([[1, 0, 1]]), int([[1, 0, 1], [0, 0, 0]])]), /different batch size: 1 vs 2/);
    assert.throws(() => m.update([int([[1, 0]]), int([[1, 0]])]), /yPred does not have correct number of classes: 2 vs 3/);
    assert.throws(() => m.update([int([[[1], [0], [1]]]), int([[1, 0, 1]])]), /y must at least have shape|shapes must match/);
    assert.throws(() => m.update([tf.tensor2d([[1, 0, 1]]), int([[1, 0, 1]])]), (e: unknown) => e instanceof TypeError && /integer type/.test(e.message));
    assert.throws(() => m.compute(), NotComputableError);
    m.update([int([[1, 2, 0]]), int([[1, 0, 0]])]);
    assert.throws(() => m.compute(), /yPred must be a binary tensor/);
    m.reset();
    m.update([int([[1, 0, 0]]), int([[1, 0, -1]])]);
    assert.throws(() => m.compute(), /y must be a binary tensor/);
  });
});
