/**
 * Bad input never gives a silent wrong result (reliability issue): class labels out of range fail the loss with
 * the label and its position, as PyTorch's "Target 10 is out of bounds" does; PyTorch's ignore_index (-100) is
 * honoured; `detectAnomaly` names the first non-finite tensor of a step before the optimizer moves; TerminateOnNan
 * says when the data itself held the NaN. Expected values are computed by hand in plain TS.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Engine, Events, silentLogger } from '../../src/engine/index.js';
import { TerminateOnNan } from '../../src/handlers/index.js';
import { NonFiniteError, createSupervisedTrainer, crossEntropyLoss, mseLoss, nllLoss } from '../../src/training/index.js';
import { assertClose, linearModel, memory, uniqueName, useBackend } from './helpers.js';

const logSumExp = (row: number[]): number => {
  const m = Math.max(...row);
  return m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
};

/** A 2-input, 3-class linear classifier: logits = x @ W. */
function classifier(): { trainableWeights: tf.Variable[]; apply(x: unknown): tf.Tensor; weights(): number[]; dispose(): void } {
  const w = tf.variable(tf.tensor2d([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]]), true, uniqueName('clf'));
  return {
    trainableWeights: [w],
    apply: (x) => tf.matMul(tf.cast(x as tf.Tensor, 'float32'), w),
    weights: () => Array.from(w.dataSync()),
    dispose: () => w.dispose(),
  };
}

describe('class labels out of range', () => {
  before(async () => {
    await useBackend('cpu');
  });

  for (const [name, loss] of [['crossEntropyLoss', crossEntropyLoss], ['nllLoss', nllLoss]] as const) {
    it(`${name}: a label >= C or < 0 throws naming the label, its position and C`, () => {
      const start = memory();
      const logits = tf.tensor2d([[1, 2, 3], [0, 1, 0], [2, 2, 2]]);
      for (const [labels, bad, at] of [[[0, 1, 3], 3, 2], [[-1, 0, 1], -1, 0], [[2, 10, 0], 10, 1]] as const) {
        const y = tf.tensor1d([...labels], 'int32');
        assert.throws(() => loss(logits, y), (e: unknown) =>
          e instanceof RangeError && e.message.includes(`target ${bad} at position ${at} is out of bounds`) &&
          e.message.includes('[0, 3)'));
        y.dispose();
      }
      logits.dispose();
      assert.deepEqual(memory(), start);
    });
  }

  it('the trainer fails the run with that error and leaks nothing; the weights are untouched', async () => {
    const model = classifier();
    const before = model.weights();
    const optimizer = tf.train.sgd(0.1);
    const start = memory();
    const trainer = createSupervisedTrainer(model, optimizer, crossEntropyLoss);
    await assert.rejects(trainer.run([[[[1, 2], [3, 4]], [1, 3]]], { maxEpochs: 1 }),
      (e: unknown) => e instanceof RangeError && /target 3 at position 1 is out of bounds/.test(e.message));
    assert.deepEqual(memory(), start);
    assert.deepEqual(model.weights(), before);
    model.dispose();
  });

  it('ignoreIndex (default -100, as PyTorch): ignored samples count neither in the sum nor in the mean', () => {
    const rows = [[1, 2, 3], [0.5, -1, 2], [-0.3, 0.7, 0.1]];
    const per = (i: number, label: number): number => logSumExp(rows[i]!) - rows[i]![label]!;
    const logits = tf.tensor2d(rows);
    const y = tf.tensor1d([2, -100, 1], 'int32');
    const read = (t: tf.Tensor): number[] => {
      const v = Array.from(t.dataSync());
      t.dispose();
      return v;
    };
    assertClose(read(crossEntropyLoss(logits, y))[0]!, (per(0, 2) + per(2, 1)) / 2, 1e-6, 'mean over the 2 counted samples');
    assertClose(read(crossEntropyLoss(logits, y, { reduction: 'sum' }))[0]!, per(0, 2) + per(2, 1), 1e-6, 'sum');
    const none = read(crossEntropyLoss(logits, y, { reduction: 'none' }));
    assert.ok(none[1] === 0, `ignored sample: ${none[1]}`);
    assertClose(none[2]!, per(2, 1), 1e-6, 'none[2]');
    const custom = tf.tensor1d([2, 7, 1], 'int32');
    assertClose(read(crossEntropyLoss(logits, custom, { ignoreIndex: 7 }))[0]!, (per(0, 2) + per(2, 1)) / 2, 1e-6, 'ignoreIndex 7');
    assert.throws(() => crossEntropyLoss(logits, y, { ignoreIndex: 0 }), /target -100 at position 1 is out of bounds/);
    tf.dispose([logits, y, custom]);
  });
});

describe('detectAnomaly', () => {
  before(async () => {
    await useBackend('cpu');
  });

  it('NaN in the input batch: NonFiniteError naming x and the position, optimizer not stepped, no leak', async () => {
    const model = linearModel(0.5);
    const optimizer = tf.train.sgd(0.1);
    const start = memory();
    const trainer = createSupervisedTrainer(model, optimizer, mseLoss, { detectAnomaly: true });
    const data = [[[[1], [2]], [[1], [2]]], [[[1], [NaN]], [[1], [2]]]];
    let caught: unknown;
    trainer.on(Events.EXCEPTION_RAISED, (_e: unknown, err: unknown) => {
      caught = err;
    });
    await trainer.run(data, { maxEpochs: 1 });
    assert.ok(caught instanceof NonFiniteError, `got ${String(caught)}`);
    assert.equal(caught.tensorName, 'x');
    assert.deepEqual(caught.position, [1, 0]);
    assert.ok(Number.isNaN(caught.value));
    assert.match(caught.message, /iteration 2/);
    assert.match(caught.message, /data source/);
    assert.equal(trainer.state.iteration, 2);
    // one SGD step on the first batch only: w = 0.5 - 0.1 * mean(2 * (0.5x - x) * x) over x in {1, 2}
    assertClose(model.weight(), 0.5 - 0.1 * ((2 * (0.5 - 1) * 1 + 2 * (1 - 2) * 2) / 2), 1e-6, 'weight after step 1');
    // (tensors only: the fixture's initial weight tensor keeps its buffer once the variable is assigned a new one)
    assert.equal(memory().numTensors, start.numTensors);
    model.dispose();
  });

  it('Infinity in the targets is reported as y; a non-finite loss from finite data as loss', async () => {
    const model = linearModel(0.5);
    const trainer = createSupervisedTrainer(model, tf.train.sgd(0.1), mseLoss, { detectAnomaly: true });
    await assert.rejects(trainer.run([[[[1]], [[Infinity]]]], { maxEpochs: 1 }),
      (e: unknown) => e instanceof NonFiniteError && e.tensorName === 'y' && e.value === Infinity);
    const logOfZero = (yPred: tf.Tensor): tf.Tensor => tf.mean(tf.log(tf.sub(yPred, yPred)));
    const bad = createSupervisedTrainer(model, tf.train.sgd(0.1), logOfZero, { detectAnomaly: true });
    await assert.rejects(bad.run([[[[1]], [[1]]]], { maxEpochs: 1 }),
      (e: unknown) => e instanceof NonFiniteError && e.tensorName === 'loss' && e.value === -Infinity);
    assertClose(model.weight(), 0.5, 0, 'weight unchanged');
    model.dispose();
  });

  it('off by default: the same NaN batch trains on and yields a NaN loss', async () => {
    const model = linearModel(0.5);
    const trainer = createSupervisedTrainer(model, tf.train.sgd(0.1), mseLoss);
    await trainer.run([[[[NaN]], [[1]]]], { maxEpochs: 1 });
    assert.ok(Number.isNaN(trainer.state.output));
    model.dispose();
  });
});

describe('TerminateOnNan names the data as the cause', () => {
  it('a NaN in the batch gives a second warning naming where it is; a NaN made by the step does not', async () => {
    const run = async (batches: number[][]): Promise<string[]> => {
      const warnings: string[] = [];
      const logger = { ...silentLogger, warn: (m: string): void => {
        warnings.push(m);
      } };
      const engine = new Engine((_e, b: number[]) => (b[0] ?? 0) / (b[1] ?? 1), { logger });
      engine.on(Events.ITERATION_COMPLETED, new TerminateOnNan());
      await engine.run(batches, { maxEpochs: 1 });
      return warnings;
    };
    const fromData = await run([[1, 2], [NaN, 1], [3, 1]]);
    assert.equal(fromData.length, 2);
    assert.match(fromData[0]!, /Output 'NaN' contains NaN or Inf. Stop training/);
    assert.match(fromData[1]!, /batch of iteration 2 already contains NaN at batch\[0\]/);
    const fromStep = await run([[1, 2], [0, 0]]);
    assert.equal(fromStep.length, 1);
  });
});
