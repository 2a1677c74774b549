/**
 * createSupervisedEvaluator (spec 1.4, checklist item 12): default output `[yPred, y]`, weights unchanged, metrics
 * attached, output tensors owned by the engine (valid until the next iteration; the last one until the next run()),
 * no growth across runs.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Engine, Events } from '../../src/engine/index.js';
import { createSupervisedEvaluator, supervisedEvaluationStep } from '../../src/training/index.js';
import { linearModel, memory, useBackend } from './helpers.js';

before(async () => useBackend('cpu'));

/** A tiny metric written for this file: mean squared error from `[yPred, y]` outputs, read at ITERATION_COMPLETED. */
function mseMetric() {
  let sum = 0;
  let n = 0;
  return {
    attach(engine: Engine<unknown, unknown>, name: string) {
      engine.on(Events.STARTED, () => {
        sum = 0;
        n = 0;
      });
      engine.on(Events.ITERATION_COMPLETED, (e) => {
        const [yPred, y] = e.state.output as [tf.Tensor, tf.Tensor];
        const p = yPred.dataSync();
        const t = y.dataSync();
        p.forEach((v, i) => {
          sum += (v - (t[i] as number)) ** 2;
          n += 1;
        });
      });
      engine.on(Events.COMPLETED, (e) => {
        e.state.metrics[name] = sum / n;
      });
    },
  };
}

describe('createSupervisedEvaluator', () => {
  it('test_create_supervised_evaluator: output is [yPred, y], weights unchanged, mse 12.5 (item 12)', async () => {
    const model = linearModel(0);
    const evaluator = createSupervisedEvaluator(model, { metrics: { mse: mseMetric() } });
    const seen: number[][][] = [];
    evaluator.on(Events.ITERATION_COMPLETED, (e) => {
      const out = e.state.output as tf.Tensor[];
      assert.equal(out.length, 2);
      seen.push(out.map((t) => Array.from(t.dataSync())));
    });
    const state = await evaluator.run([[[[1.0], [2.0]], [[3.0], [4.0]]]]);
    assert.deepEqual(seen, [[[0, 0], [3, 4]]]);
    assert.equal(model.weight(), 0);
    assert.equal(state.metrics['mse'], 12.5);
    assert.deepEqual(model.calls, [{ training: false }]);
    model.dispose();
  });

  it('with the MeanSquaredError metric of src/metrics the result is 12.5 too', async () => {
    const metrics = (await import('../../src/metrics/index.js')) as unknown as Record<string, unknown>;
    const Mse = metrics['MeanSquaredError'] as (new () => { attach(e: Engine<unknown, unknown>, n: string): unknown }) | undefined;
    if (Mse === undefined) return assert.fail('src/metrics exports no MeanSquaredError');
    const model = linearModel(0);
    const evaluator = createSupervisedEvaluator(model, { metrics: { mse: new Mse() } });
    const state = await evaluator.run([[[[1.0], [2.0]], [[3.0], [4.0]]]]);
    assert.ok(Math.abs((state.metrics['mse'] as number) - 12.5) < 1e-6);
    model.dispose();
  });

  it('output tensors stay valid during ITERATION_COMPLETED, are disposed at the next iteration, and the last one at the next run', async () => {
    const model = linearModel(2);
    const evaluator = createSupervisedEvaluator(model);
    const outputs: tf.Tensor[][] = [];
    evaluator.on(Events.ITERATION_COMPLETED, (e) => {
      const out = e.state.output as tf.Tensor[];
      assert.ok(out.every((t) => !t.isDisposed));
      if (outputs.length > 0) assert.ok(outputs.at(-1)!.every((t) => t.isDisposed), 'previous output not disposed');
      outputs.push(out);
    });
    const data = [1.5, 2.5, 3.5].map((v) => [[[v]], [[v * 2]]]);
    const start = memory();
    await evaluator.run(data, { maxEpochs: 2 });
    assert.equal(outputs.length, 6);
    assert.ok(outputs.slice(0, -1).flat().every((t) => t.isDisposed));
    assert.ok(outputs.at(-1)!.every((t) => !t.isDisposed), 'the last output outlives run()');
    const afterFirst = memory();
    await evaluator.run(data);
    assert.ok(outputs.slice(0, -1).flat().every((t) => t.isDisposed));
    assert.deepEqual(memory(), afterFirst, 'no growth across runs');
    tf.dispose(evaluator.state.output as tf.Tensor[]);
    assert.deepEqual(memory(), start, 'an explicit dispose frees the last output');
    model.dispose();
  });

  it('test_create_supervised_evaluator: `[yPred, y] = evaluator.state.output` after run() is readable', async () => {
    const model = linearModel(2);
    const evaluator = createSupervisedEvaluator(model);
    const start = memory();
    for (let run = 0; run < 3; run++) {
      const state = await evaluator.run([[[[1.0], [2.0]], [[3.0], [4.0]]]]);
      const [yPred, y] = state.output as [tf.Tensor, tf.Tensor];
      assert.deepEqual(yPred.arraySync(), [[2], [4]]);
      assert.deepEqual(y.arraySync(), [[3], [4]]);
    }
    tf.dispose(evaluator.state.output as tf.Tensor[]);
    assert.deepEqual(memory(), start);
    model.dispose();
  });

  it('test_create_supervised_trainer / evaluator with a logger option: the engines log through it', async () => {
    const lines: string[] = [];
    const logger = { debug() {}, info: (m: string) => void lines.push(m), warn() {}, error() {} };
    const model = linearModel(1);
    const evaluator = createSupervisedEvaluator(model, { logger });
    assert.equal(evaluator.logger, logger);
    await evaluator.run([[[[1.0]], [[1.0]]]]);
    assert.ok(lines.some((l) => /Engine run starting/.test(l)));
    tf.dispose(evaluator.state.output as tf.Tensor[]);
    model.dispose();
  });

  it('tensors that come with the batch are left to their owner', async () => {
    const model = linearModel(1);
    const x = tf.tensor2d([[1.5]]);
    const y = tf.tensor2d([[2.5]]);
    const evaluator = createSupervisedEvaluator(model);
    const state = await evaluator.run([[x, y]]);
    assert.ok(!x.isDisposed && !y.isDisposed);
    assert.equal(state.iteration, 1);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('a custom outputTransform(x, y, yPred) sets state.output; created tensors not in it are freed', async () => {
    const model = linearModel(3);
    const evaluator = createSupervisedEvaluator(model, {
      outputTransform: (x, y, yPred) => ({ x: (x as tf.Tensor).arraySync(), y: (y as tf.Tensor).arraySync(), p: (yPred as tf.Tensor).arraySync() }),
    });
    const start = memory();
    const state = await evaluator.run([[[[0.5]], [[1.25]]]]);
    assert.deepEqual(state.output, { x: [[0.5]], y: [[1.25]], p: [[1.5]] });
    assert.deepEqual(memory(), start);
    model.dispose();
  });

  it('supervisedEvaluationStep works in a plain Engine (caller owns the last output)', async () => {
    const model = linearModel(2);
    const engine = new Engine(supervisedEvaluationStep(model));
    const state = await engine.run([[[[1.5]], [[0]]]]);
    const [yPred, y] = state.output as tf.Tensor[];
    assert.deepEqual(yPred!.arraySync(), [[3]]);
    assert.deepEqual(y!.arraySync(), [[0]]);
    tf.dispose([yPred!, y!]);
    model.dispose();
  });
});
