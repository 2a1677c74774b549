import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initialize } from '../../src/distributed/context.js';
import { NotComputableError } from '../../src/errors.js';
import {
  ObjectDetectionAvgPrecisionRecall,
  cocoTensorListToDictList,
  type ObjectDetectionOptions,
} from '../../src/metrics/vision/object-detection.js';
import { fixtures, runEngine, type DetectionBatch } from './fixtures/vision-gan-cases.js';
import { fakeAddon, withAddon } from '../distributed/fake-mpi.js';
import { close, useCpu } from './reference.js';

before(useCpu);
const f = fixtures.object_detection;

/** The fixture batch as per-image tensors: predictions (N, 6) and targets (M, 6) with the crowd flag. */
function tensorBatch(b: DetectionBatch): [tf.Tensor2D[], tf.Tensor2D[]] {
  const preds = b.y_pred.map((p) => tf.tensor2d(p.bbox.map((box, i) => [...box, p.scores[i]!, p.labels[i]!]), [p.bbox.length, 6]));
  const gts = b.y.map((g) => tf.tensor2d(g.bbox.map((box, i) => [...box, g.labels[i]!, g.iscrowd[i]!]), [g.bbox.length, 6]));
  return [preds, gts];
}

describe('ObjectDetectionAvgPrecisionRecall (reference: numpy re-implementation of pycocotools COCOeval)', () => {
  for (const c of f.cases) {
    it(`options ${JSON.stringify(c.options)}: 10 images in batches of 2, 3, 1 and 4 give COCO's [AP, AR]`, () => {
      const metric = new ObjectDetectionAvgPrecisionRecall(c.options);
      for (const b of f.batches) metric.update([b.y_pred, b.y]);
      close(metric.compute(), c.expected, 1e-9);
      metric.reset();
      assert.throws(() => metric.compute(), NotComputableError);
    });
  }

  it('known answers: a perfect detection, a false positive ranked first, and no ground truth at all', () => {
    const box = [10, 10, 60, 60];
    const perfect = new ObjectDetectionAvgPrecisionRecall({ numClasses: 2 });
    perfect.update([[{ bbox: [box], scores: [0.9], labels: [1] }], [{ bbox: [box], labels: [1] }]]);
    assert.deepEqual(perfect.compute(), [1, 1]);
    // Precision is 0 then 1/2 at recall 0 then 1; COCO's envelope makes it 1/2 at every recall threshold.
    const fpFirst = new ObjectDetectionAvgPrecisionRecall({ numClasses: 2 });
    fpFirst.update([[{ bbox: [[100, 100, 150, 150], box], scores: [0.9, 0.8], labels: [1, 1] }], [{ bbox: [box], labels: [1] }]]);
    close(fpFirst.compute(), [0.5, 1], 1e-12);
    const none = new ObjectDetectionAvgPrecisionRecall({ numClasses: 2 });
    none.update([[{ bbox: [box], scores: [0.9], labels: [0] }], [{ bbox: [], labels: [] }]]);
    assert.deepEqual(none.compute(), [-1, -1]);
  });

  it('cocoTensorListToDictList: (N, 6) predictions and (M, 5) / (M, 6) targets become plain objects, leak-free', () => {
    const before = tf.memory().numTensors;
    const pred = tf.tensor2d([[1, 2, 3, 4, 0.5, 2]]);
    const gt5 = tf.tensor2d([[1, 2, 3, 4, 2]]);
    const gt6 = tf.tensor2d([[1, 2, 3, 4, 2, 1]]);
    const [preds, targets] = cocoTensorListToDictList([[pred], [gt5, gt6]]);
    assert.deepEqual(preds, [{ bbox: [[1, 2, 3, 4]], scores: [0.5], labels: [2] }]);
    assert.deepEqual(targets, [{ bbox: [[1, 2, 3, 4]], labels: [2] }, { bbox: [[1, 2, 3, 4]], labels: [2], iscrowd: [1] }]);
    const objects = [{ bbox: [[0, 0, 1, 1]], scores: [1], labels: [0] }];
    assert.equal(cocoTensorListToDictList([objects, []])[0][0], objects[0]);
    const wrong = tf.zeros([2, 4]);
    assert.throws(() => cocoTensorListToDictList([[wrong], []]), RangeError);
    tf.dispose([pred, gt5, gt6, wrong]);
    assert.equal(tf.memory().numTensors, before);
  });

  it('errors: Ignite\'s input checks and option checks', () => {
    const m = new ObjectDetectionAvgPrecisionRecall({ numClasses: 2 });
    const p = { bbox: [[0, 0, 1, 1]], scores: [1], labels: [0] };
    const g = { bbox: [[0, 0, 1, 1]], labels: [0] };
    assert.throws(() => m.update([[p], [g, g]]), /same number of samples, given 1 and 2/);
    assert.throws(() => m.update([[], []]), /at least one sample/);
    assert.throws(() => m.update([[{ bbox: [], confidence: [], class: [] }], [g]]), /'bbox', 'scores' and 'labels' keys/);
    assert.throws(() => m.update([[p], [{ bbox: [] }]]), /'bbox', 'labels'/);
    assert.throws(() => m.update('boxes'), TypeError);
    assert.throws(() => m.update([[p], [{ bbox: [[0, 0, 1, 1]], labels: [2] }]]), /class indices in \[0, 2\)/);
    assert.throws(() => new ObjectDetectionAvgPrecisionRecall({ areaRange: 'huge' as 'all' }), RangeError);
    assert.throws(() => new ObjectDetectionAvgPrecisionRecall({ iouThresholds: [0.5, 1.2] }), /iouThresholds values should be between 0 and 1/);
    assert.throws(() => new ObjectDetectionAvgPrecisionRecall({ recThresholds: tf.zeros([2, 2]) }), /one-dimensional/);
    assert.throws(() => new ObjectDetectionAvgPrecisionRecall({ maxDetectionsPerImagePerClass: 0 }), RangeError);
  });

  it('two ranks (a stand-in MPI whose ranks hold the same images): matches and counts are gathered / summed', async () => {
    const serial = new ObjectDetectionAvgPrecisionRecall({ numClasses: 3 });
    for (const b of [...f.batches, ...f.batches]) serial.update([b.y_pred, b.y]);
    const expected = serial.compute();
    await withAddon(fakeAddon(), () => {
      initialize('mpi');
      const m = new ObjectDetectionAvgPrecisionRecall({ numClasses: 3 });
      for (const b of f.batches) m.update([b.y_pred, b.y]);
      close(m.compute(), expected, 1e-12);
    });
  });

  it('attached to an Engine with outputTransform cocoTensorListToDictList: same [AP, AR] as the reference', async () => {
    const data = f.batches.map(tensorBatch);
    const before = tf.memory().numTensors;
    const c = f.cases[0]!;
    const metric = new ObjectDetectionAvgPrecisionRecall({ ...(c.options as ObjectDetectionOptions), outputTransform: cocoTensorListToDictList });
    close(await runEngine(metric, data), c.expected, 1e-6);
    assert.equal(tf.memory().numTensors, before);
    tf.dispose(data.flat(2));
  });
});
