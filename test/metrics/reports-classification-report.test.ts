import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { Engine, silentLogger } from '../../src/engine/index.js';
import { NotComputableError } from '../../src/errors.js';
import { ClassificationReport, type ClassificationReportDict } from '../../src/metrics/reports/index.js';
import { close, useCpu } from './reference.js';

before(useCpu);

interface ReportCase {
  beta: number;
  isMultilabel: boolean;
  labels: string[] | null;
  batches: [number[][], number[] | number[][]][];
  expected: ClassificationReportDict;
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/reports.json', import.meta.url), 'utf8')) as {
  classificationReport: ReportCase[];
};

function closeReport(actual: unknown, expected: ClassificationReportDict, tol: number): void {
  const report = actual as ClassificationReportDict;
  assert.deepEqual(Object.keys(report), Object.keys(expected));
  for (const [label, entry] of Object.entries(expected)) {
    assert.deepEqual(Object.keys(report[label]!), Object.keys(entry), label);
    for (const [k, v] of Object.entries(entry)) close(report[label]![k], v, tol, `${label}.${k}`);
  }
}

describe('ClassificationReport', () => {
  it('matches sklearn precision_recall_fscore_support (multiclass, beta 1 and 2, labels; multilabel) in batches (fixture)', () => {
    for (const { beta, isMultilabel, labels, batches, expected } of fixture.classificationReport) {
      const m = new ClassificationReport({ beta, isMultilabel, outputDict: true, ...(labels ? { labels } : {}) });
      for (const [yPred, y] of batches) {
        const out = [tf.tensor(yPred), tf.tensor(y, undefined, 'int32')];
        m.update(out);
        tf.dispose(out);
      }
      closeReport(m.compute(), expected, 1e-9);
    }
  });

  it("Ignite's docstring examples (multiclass and multilabel), through an Engine", async () => {
    const engine = new Engine((_e, b: [tf.Tensor, tf.Tensor]) => b, { logger: silentLogger });
    new ClassificationReport({ outputDict: true }).attach(engine, 'cr');
    const yTrue = tf.tensor1d([2, 0, 2, 1, 0, 1], 'int32');
    const yPred = tf.tensor2d([
      [0.0266, 0.1719, 0.3055], [0.6886, 0.3978, 0.8176], [0.923, 0.0197, 0.8395],
      [0.1785, 0.267, 0.6084], [0.8448, 0.7177, 0.7288], [0.7748, 0.9542, 0.8573],
    ]);
    const state = await engine.run([[yPred, yTrue]], { maxEpochs: 1 });
    closeReport(state.metrics.cr, {
      '0': { precision: 0.5, recall: 0.5, 'f1-score': 0.5 },
      '1': { precision: 1.0, recall: 0.5, 'f1-score': 0.6667 },
      '2': { precision: 0.3333, recall: 0.5, 'f1-score': 0.4 },
      'macro avg': { precision: 0.6111, recall: 0.5, 'f1-score': 0.5222 },
    }, 1e-4);
    assert.deepEqual((state.metrics['macro avg'] as Record<string, number>).recall, 0.5); // flattened too ('both')

    const ml = new ClassificationReport({ outputDict: true, isMultilabel: true });
    ml.update([
      [[1, 1, 0], [1, 0, 1], [1, 0, 0], [1, 0, 1], [1, 1, 0]],
      [[0, 0, 1], [0, 0, 0], [0, 0, 0], [1, 0, 0], [0, 1, 1]],
    ]);
    closeReport(ml.compute(), {
      '0': { precision: 0.2, recall: 1.0, 'f1-score': 0.3333 },
      '1': { precision: 0.5, recall: 1.0, 'f1-score': 0.6667 },
      '2': { precision: 0.0, recall: 0.0, 'f1-score': 0.0 },
      'macro avg': { precision: 0.2333, recall: 0.6667, 'f1-score': 0.3333 },
    }, 1e-4);
    tf.dispose([yTrue, yPred]);
  });

  it('outputDict false gives the JSON text of the same report; binary data has classes "0" and "1"', () => {
    const text = new ClassificationReport();
    const dict = new ClassificationReport({ outputDict: true, labels: ['neg', 'pos'] });
    for (const m of [text, dict]) m.update([[1, 0, 1, 1], [1, 0, 0, 1]]);
    const parsed = JSON.parse(text.compute() as string) as ClassificationReportDict;
    assert.deepEqual(Object.keys(parsed), ['0', '1', 'macro avg']);
    assert.deepEqual(Object.values(parsed), Object.values(dict.compute() as ClassificationReportDict));
    close(parsed['1']!.precision, 2 / 3, 1e-12);
    close(parsed['0']!.recall, 1 / 2, 1e-12);
  });

  it('leak-free across engine runs', async () => {
    const { batches, expected } = fixture.classificationReport[0]!;
    const data = batches.map(([p, y]) => [tf.tensor(p), tf.tensor(y as number[], undefined, 'int32')] as [tf.Tensor, tf.Tensor]);
    const engine = new Engine((_e, b: [tf.Tensor, tf.Tensor]) => b, { logger: silentLogger });
    const metric = new ClassificationReport({ outputDict: true, outputTransform: (o) => o });
    metric.attach(engine, 'report', { usage: 'epoch_wise' });
    const n = tf.memory().numTensors;
    for (let run = 0; run < 2; run++) {
      const state = await engine.run(data, { maxEpochs: 2 });
      closeReport(state.metrics.report, expected, 1e-9);
      metric.reset();
      assert.equal(tf.memory().numTensors, n);
    }
    tf.dispose(data.flat());
  });

  it('errors: beta, labels, too few labels, no data', () => {
    assert.throws(() => new ClassificationReport({ beta: 0 }), /Beta should be a positive integer/);
    assert.throws(() => new ClassificationReport({ labels: [1, 2] as unknown as string[] }), TypeError);
    const m = new ClassificationReport({ labels: ['a'] });
    assert.throws(() => m.compute(), NotComputableError);
    m.update([[[0.1, 0.9], [0.8, 0.2]], [1, 0]]);
    assert.throws(() => m.compute(), /labels has 1 names, but the data has 2 classes/);
  });
});
