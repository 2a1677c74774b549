import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initialize } from '../../src/distributed/context.js';
import { NotComputableError } from '../../src/errors.js';
import { MeanAveragePrecision } from '../../src/metrics/vision/mean-average-precision.js';
import { countReads, feedPairs, fixtures, pairTensors, runEngine } from './fixtures/vision-gan-cases.js';
import { fakeAddon, withAddon } from '../distributed/fake-mpi.js';
import { close, useCpu } from './reference.js';

before(useCpu);
const f = fixtures.mean_average_precision;

function leakFree(make: () => MeanAveragePrecision, feed: (m: MeanAveragePrecision) => void, expected: number | number[]): void {
  const before = tf.memory().numTensors;
  const metric = make();
  feed(metric);
  close(metric.compute(), expected, 1e-6);
  metric.reset();
  assert.equal(tf.memory().numTensors, before);
  assert.throws(() => metric.compute(), NotComputableError);
}

describe('MeanAveragePrecision (reference: sklearn.metrics.average_precision_score)', () => {
  it('binary scores with ties, in batches of 5, 3 and 8', () => {
    leakFree(() => new MeanAveragePrecision(), (m) => feedPairs(m, f.binary.batches), f.binary.expected);
    leakFree(() => new MeanAveragePrecision({ recThresholds: f.binary.thresholds }), (m) => feedPairs(m, f.binary.batches), f.binary.expected_thresholds);
  });

  it('multiclass: macro, weighted, micro, per class (classMean null) and recall thresholds', () => {
    const mc = f.multiclass;
    const feed = (m: MeanAveragePrecision): void => feedPairs(m, mc.batches, true);
    leakFree(() => new MeanAveragePrecision(), feed, mc.macro);
    leakFree(() => new MeanAveragePrecision({ classMean: 'weighted' }), feed, mc.weighted);
    leakFree(() => new MeanAveragePrecision({ classMean: 'micro' }), feed, mc.micro);
    leakFree(() => new MeanAveragePrecision({ classMean: null }), feed, mc.none);
    leakFree(() => new MeanAveragePrecision({ recThresholds: [...mc.thresholds].reverse() }), feed, mc.macro_thresholds);
  });

  it('update() never reads tensor data back; checks and the curve run in compute()', () => {
    const m = new MeanAveragePrecision();
    assert.equal(countReads(() => feedPairs(m, f.multiclass.batches, true)), 0);
    m.reset();
  });

  it('multilabel: macro and micro', () => {
    const feed = (m: MeanAveragePrecision): void => feedPairs(m, f.multilabel.batches);
    leakFree(() => new MeanAveragePrecision({ isMultilabel: true }), feed, f.multilabel.macro);
    leakFree(() => new MeanAveragePrecision({ isMultilabel: true, classMean: 'micro' }), feed, f.multilabel.micro);
  });

  it('known answer: perfectly ranked scores give 1; the only positive ranked last of 4 gives 1/4', () => {
    const m = new MeanAveragePrecision();
    m.update([tf.tensor2d([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.2, 0.5, 0.3]]), tf.tensor1d([0, 2, 1], 'int32')]);
    close(m.compute(), 1, 1e-12);
    const b = new MeanAveragePrecision();
    b.update([tf.tensor1d([0.9, 0.8, 0.7, 0.1]), tf.tensor1d([0, 0, 0, 1])]);
    close(b.compute(), 0.25, 1e-12);
  });

  it('errors: integer scores, bad shapes, unknown classMean, thresholds, bad labels, type changes', () => {
    assert.throws(() => new MeanAveragePrecision().update([tf.tensor1d([1, 0], 'int32'), tf.tensor1d([1, 0])]), /should be a float tensor/);
    assert.throws(() => new MeanAveragePrecision().update([tf.zeros([4, 3]), tf.zeros([5], 'int32')]), RangeError);
    assert.throws(() => new MeanAveragePrecision({ classMean: 'samples' as 'macro' }), /Wrong `classMean`/);
    assert.throws(() => new MeanAveragePrecision({ recThresholds: [0.5, 1.5] }), /between 0 and 1/);
    assert.throws(() => new MeanAveragePrecision({ recThresholds: 'all' as unknown as number[] }), TypeError);
    const bad = new MeanAveragePrecision();
    bad.update([tf.zeros([2, 3]), tf.tensor1d([0, 3], 'int32')]);
    assert.throws(() => bad.compute(), /fewer classes than y/);
    const notBinary = new MeanAveragePrecision();
    notBinary.update([tf.zeros([2]), tf.tensor1d([0, 2])]);
    assert.throws(() => notBinary.compute(), /comprised of 0's and 1's/);
    const changed = new MeanAveragePrecision();
    changed.update([tf.zeros([2, 3]), tf.tensor1d([0, 1], 'int32')]);
    assert.throws(() => changed.update([tf.zeros([2, 4]), tf.tensor1d([0, 1], 'int32')]), /number of classes has changed/);
  });

  it('two ranks (a stand-in MPI whose ranks hold the same data): compute() gathers every rank\'s batches', async () => {
    const mc = f.multiclass;
    const serial = new MeanAveragePrecision({ classMean: null });
    feedPairs(serial, [...mc.batches, ...mc.batches], true);
    const expected = serial.compute();
    serial.reset();
    await withAddon(fakeAddon(), () => {
      initialize('mpi');
      const m = new MeanAveragePrecision({ classMean: null });
      feedPairs(m, mc.batches, true);
      close(m.compute(), expected, 1e-9);
      m.reset();
    });
  });

  it('attached to an Engine gives the reference value', async () => {
    const data = f.multiclass.batches.map((b) => pairTensors(b, true));
    const m = new MeanAveragePrecision();
    close(await runEngine(m, data), f.multiclass.macro, 1e-6);
    m.reset();
    tf.dispose(data);
  });
});
