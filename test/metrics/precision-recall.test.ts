import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { NotComputableError } from '../../src/errors.js';
import { add, div, mul } from '../../src/metrics/metrics-lambda.js';
import { Fbeta, Precision, Recall, type AverageMode } from '../../src/metrics/precision-recall.js';
import {
  FC,
  argmax,
  binaryBatches,
  classCounts,
  close,
  multiclassBatches,
  multilabelBatches,
  multilabelCounts,
  prReference,
  useCpu,
} from './reference.js';

before(useCpu);

const AVERAGES = [false, null, 'micro', 'macro', 'weighted'] as const;
const KINDS = [
  ['precision', Precision],
  ['recall', Recall],
] as const;

describe('Precision / Recall against brute-force counts', () => {
  for (const [kind, Cls] of KINDS) {
    it(`${kind}: multiclass, every average mode`, () => {
      fc.assert(
        fc.property(multiclassBatches(), fc.constantFrom(...AVERAGES), ({ c, batches }, average) => {
          const m = new Cls({ average });
          const pairs: [number, number][] = [];
          for (const { scores, labels } of batches) {
            m.update([tf.tensor2d(scores), tf.tensor1d(labels, 'int32')]);
            scores.forEach((row, i) => pairs.push([argmax(row), labels[i]!]));
          }
          close(m.compute(), prReference(kind, classCounts(pairs, c), average === null ? false : average));
        }),
        FC,
      );
    });

    it(`${kind}: binary, average false gives the positive class only, null both classes`, () => {
      fc.assert(
        fc.property(binaryBatches(), fc.constantFrom(...AVERAGES), (batches, average) => {
          const m = new Cls({ average });
          const pairs: [number, number][] = [];
          for (const { pred, y } of batches) {
            m.update([tf.tensor1d(pred, 'int32'), tf.tensor1d(y, 'int32')]);
            pred.forEach((p, i) => pairs.push([p, y[i]!]));
          }
          const counts = classCounts(pairs, 2);
          const expected =
            average === false ? (prReference(kind, counts, false) as number[])[1] : prReference(kind, counts, average);
          close(m.compute(), expected);
        }),
        FC,
      );
    });

    it(`${kind}: multilabel, every average mode including samples`, () => {
      fc.assert(
        fc.property(multilabelBatches(), fc.constantFrom(...AVERAGES, 'samples' as const), ({ l, batches }, average) => {
          const m = new Cls({ average, isMultilabel: true });
          const rows: { pred: number[]; y: number[] }[] = [];
          for (const { pred, y } of batches) {
            m.update([tf.tensor2d(pred), tf.tensor2d(y)]);
            pred.forEach((p, i) => rows.push({ pred: p, y: y[i]! }));
          }
          let expected: number | number[];
          if (average === 'samples') {
            const per = rows.map(({ pred, y }) => {
              const tp = pred.reduce((s, p, j) => s + p * y[j]!, 0);
              const pos = (kind === 'precision' ? pred : y).reduce((s, v) => s + v, 0);
              return pos === 0 ? 0 : tp / pos;
            });
            expected = per.reduce((a, b) => a + b, 0) / per.length;
          } else {
            expected = prReference(kind, multilabelCounts(rows, l), average === null ? false : average);
          }
          close(m.compute(), expected);
        }),
        FC,
      );
    });
  }
});

describe('Precision / Recall hand-checked cases (Ignite docstring examples)', () => {
  it('binary: 0.75, weighted 0.6667, per class [0.5, 0.75]', () => {
    const yTrue = [1, 0, 1, 1, 0, 1];
    const yPred = [1, 0, 1, 0, 1, 1];
    const run = (average: AverageMode) => {
      const p = new Precision({ average });
      p.update([yPred, yTrue]);
      return p.compute();
    };
    close(run(false), 0.75, 1e-9);
    close(run('weighted'), 2 / 3, 1e-6);
    close(run(null), [0.5, 0.75], 1e-9);
  });

  it('multiclass: per class [0.5, 0, 0.3333], macro 0.2778, weighted 0.3333', () => {
    const yTrue = [2, 0, 2, 1, 0];
    const yPred = [
      [0.0266, 0.1719, 0.3055],
      [0.6886, 0.3978, 0.8176],
      [0.923, 0.0197, 0.8395],
      [0.1785, 0.267, 0.6084],
      [0.8448, 0.7177, 0.7288],
    ];
    const run = (average: AverageMode) => {
      const p = new Precision({ average });
      p.update([yPred, yTrue]);
      return p.compute();
    };
    close(run(false), [0.5, 0, 1 / 3], 1e-6);
    close(run(true), 0.2777777, 1e-6);
    close(run('weighted'), 1 / 3, 1e-6);
  });

  it('multilabel: [0.2, 0.5, 0], micro 0.2222, macro 0.2333, weighted 0.175, samples 0.2', () => {
    const yTrue = [[0, 0, 1], [0, 0, 0], [0, 0, 0], [1, 0, 0], [0, 1, 1]];
    const yPred = [[1, 1, 0], [1, 0, 1], [1, 0, 0], [1, 0, 1], [1, 1, 0]];
    const run = (average: AverageMode) => {
      const p = new Precision({ average, isMultilabel: true });
      p.update([yPred, yTrue]);
      return p.compute();
    };
    close(run(false), [0.2, 0.5, 0], 1e-6);
    close(run('micro'), 2 / 9, 1e-6);
    close(run('macro'), 0.7 / 3, 1e-6);
    close(run('weighted'), 0.175, 1e-6);
    close(run('samples'), 0.2, 1e-6);
  });

  it('errors: invalid average, samples with multiclass data, no update', () => {
    assert.throws(() => new Precision({ average: 'bogus' as unknown as AverageMode }), RangeError);
    const p = new Recall({ average: 'samples' });
    assert.throws(() => p.update([tf.zeros([2, 3]), tf.zeros([2], 'int32')]), /incompatible with binary and multiclass/);
    assert.throws(() => new Precision().compute(), NotComputableError);
  });
});

describe('Fbeta and arithmetic composition', () => {
  it('Fbeta(beta) matches (1+b²)PR/(b²P+R) from brute-force P and R, averaged and per class', () => {
    fc.assert(
      fc.property(multiclassBatches(), fc.constantFrom(0.5, 1, 2), fc.boolean(), ({ c, batches }, beta, average) => {
        const f = new Fbeta(beta, { average });
        const pairs: [number, number][] = [];
        for (const { scores, labels } of batches) {
          f.update([tf.tensor2d(scores), tf.tensor1d(labels, 'int32')]);
          scores.forEach((row, i) => pairs.push([argmax(row), labels[i]!]));
        }
        const counts = classCounts(pairs, c);
        const p = prReference('precision', counts, false) as number[];
        const r = prReference('recall', counts, false) as number[];
        const b2 = beta * beta;
        const per = p.map((pi, i) => ((1 + b2) * pi * r[i]!) / (b2 * pi + r[i]! + 1e-15));
        close(f.compute(), average ? per.reduce((a, b) => a + b, 0) / per.length : per);
      }),
      FC,
    );
  });

  it('F1 = 2PR/(P+R) in one line with div/mul/add equals Fbeta(1) on binary data', () => {
    fc.assert(
      fc.property(binaryBatches(), (batches) => {
        const p = new Precision();
        const r = new Recall();
        const f1 = div(mul(2, mul(p, r)), add(p, r));
        const fb = new Fbeta(1);
        for (const { pred, y } of batches) {
          f1.update([pred, y]);
          fb.update([pred, y]);
        }
        const expected = fb.compute() as number;
        const got = f1.compute() as number;
        if (Number.isNaN(got)) assert.ok(expected < 1e-9); // P + R = 0: the bare formula divides 0 by 0
        else close(got, expected, 1e-6);
      }),
      FC,
    );
  });

  it('Fbeta argument errors', () => {
    assert.throws(() => new Fbeta(0), /Beta should be a positive/);
    assert.throws(() => new Fbeta(1, { precision: new Precision({ average: 'macro' }) }), /average=false/);
    assert.throws(
      () => new Fbeta(1, { precision: new Precision(), outputTransform: (x) => x }),
      /outputTransform should be undefined/,
    );
  });
});
