/**
 * Leak-freedom of the supervised trainer and evaluator: tf.memory().numTensors and numDataBuffers are unchanged
 * across iterations (at every ITERATION_COMPLETED) and across runs, in every mode, on cpu and wasm, with DataLoader
 * batches and with plain arrays.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-wasm';
import { DataLoader } from '../../src/data/index.js';
import { Events, type Engine } from '../../src/engine/index.js';
import { Accuracy, Loss } from '../../src/metrics/index.js';
import { createSupervisedEvaluator, createSupervisedTrainer, crossEntropyLoss, mseLoss, type SupervisedTrainerOptions } from '../../src/training/index.js';
import { memory, useBackend } from './helpers.js';

type Mem = ReturnType<typeof memory>;

const TRAINER_MODES: [string, SupervisedTrainerOptions<tfl.Sequential>][] = [
  ['plain', {}],
  ['accumulation (k=3)', { gradientAccumulationSteps: 3 }],
  ['amp (bfloat16)', { ampMode: 'amp', ampDtype: 'bfloat16' }],
  ['amp + scaler (float16)', { ampMode: 'amp', ampDtype: 'float16', scaler: true }],
  ['apex (float16, k=2)', { ampMode: 'apex', ampDtype: 'float16', gradientAccumulationSteps: 2 }],
];
const EVALUATOR_MODES: [string, { ampMode?: 'amp' }][] = [
  ['plain', {}],
  ['amp', { ampMode: 'amp' }],
];

/** 10 samples of 3 non-integral features and 1 target (non-integral, so collate makes float32). */
const SAMPLES: [number[], number[]][] = Array.from({ length: 10 }, (_, i) => [
  [0.1 * i + 0.05, -0.2 * i + 0.3, 0.25 * (i % 3) + 0.125],
  [0.5 * Math.sin(i) + 0.01],
]);
const ARRAY_BATCHES = [0, 1, 2, 3, 4].map((b) => [
  SAMPLES.slice(2 * b, 2 * b + 2).map((s) => s[0]),
  SAMPLES.slice(2 * b, 2 * b + 2).map((s) => s[1]),
]);

function makeModel(): tfl.Sequential {
  return tfl.sequential({
    layers: [tfl.layers.dense({ units: 4, activation: 'tanh', inputShape: [3] }), tfl.layers.dense({ units: 1 })],
  });
}

/**
 * Runs the engine 3 times and checks the memory invariants. An evaluator keeps its last output alive until its next
 * run (Ignite's `evaluator.state.output` after `run()`): runs must not grow memory, and disposing that output frees
 * everything.
 */
async function checkLeaks(engine: Engine<unknown, unknown>, useLoader: boolean, keepsOutput = false): Promise<void> {
  const loader = useLoader ? new DataLoader(SAMPLES, { batchSize: 2 }) : null;
  const perIteration: Mem[] = [];
  engine.on(Events.ITERATION_COMPLETED, () => perIteration.push(memory()));
  const start = memory();
  const afterRuns: Mem[] = [];
  for (let run = 0; run < 3; run++) {
    await engine.run(loader ?? ARRAY_BATCHES, { maxEpochs: 1 });
    afterRuns.push(memory());
  }
  assert.equal(perIteration.length, 15);
  for (const [i, m] of perIteration.entries()) assert.deepEqual(m, perIteration[0], `ITERATION_COMPLETED #${i + 1}`);
  if (keepsOutput) {
    afterRuns.forEach((m, i) => assert.deepEqual(m, afterRuns[0], `after run ${i + 1} vs after run 1`));
    tf.dispose(engine.state.output as tf.Tensor[]);
    loader?.dispose();
    assert.deepEqual(memory(), start, 'after disposing the last output (and the loader)');
  } else if (loader === null) {
    afterRuns.forEach((m, i) => assert.deepEqual(m, start, `after run ${i + 1}`));
  } else {
    // The loader owns its last batch until a new iteration starts or it is disposed.
    afterRuns.forEach((m, i) => assert.deepEqual(m, afterRuns[0], `after run ${i + 1} vs after run 1`));
    loader.dispose();
    assert.deepEqual(memory(), start, 'after loader.dispose()');
  }
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`no tensor leaks on ${backend}`, () => {
    before(async () => {
      await useBackend(backend);
    });
    after(async () => {
      await useBackend('cpu');
    });

    for (const useLoader of [true, false]) {
      const source = useLoader ? 'DataLoader batches' : 'plain arrays';
      for (const [name, options] of TRAINER_MODES) {
        it(`trainer, ${name}, ${source}`, async () => {
          const model = makeModel();
          const trainer = createSupervisedTrainer(model, tf.train.sgd(0.05), mseLoss, { ...options, device: backend });
          await checkLeaks(trainer, useLoader);
          model.dispose();
        });
      }
      for (const [name, options] of EVALUATOR_MODES) {
        it(`evaluator, ${name}, ${source}`, async () => {
          const model = makeModel();
          const evaluator = createSupervisedEvaluator(model, { ...options, device: backend });
          await checkLeaks(evaluator, useLoader, true);
          model.dispose();
        });
      }
    }

    it('output tensors are released at COMPLETED (trainer with outputTransform, evaluator default)', async () => {
      const model = makeModel();
      const optimizer = tf.train.sgd(0.05);
      const start = memory();
      const trainer = createSupervisedTrainer(model, optimizer, mseLoss, {
        outputTransform: (x, y, yPred, loss) => ({ x, y, yPred, loss }),
      });
      const outputs: tf.Tensor[] = [];
      trainer.on(Events.ITERATION_COMPLETED, (e) => {
        const o = e.state.output as Record<string, tf.Tensor>;
        for (const t of Object.values(o)) assert.equal(t.isDisposed, false);
        outputs.push(...Object.values(o));
      });
      let atCompleted = false;
      trainer.on(Events.COMPLETED, (e) => {
        // User COMPLETED handlers still see a valid output.
        atCompleted = Object.values(e.state.output as Record<string, tf.Tensor>).every((t) => !t.isDisposed);
      });
      await trainer.run(ARRAY_BATCHES, { maxEpochs: 1 });
      assert.ok(atCompleted);
      assert.ok(outputs.every((t) => t.isDisposed));
      assert.deepEqual(memory(), start);
      model.dispose();
    });
  });
}

/** A 3-feature, 10-class classifier (logits) and batches of [features, labels]; `badLabel` replaces one label. */
function classifier(): tfl.Sequential {
  return tfl.sequential({ layers: [tfl.layers.dense({ units: 10, inputShape: [3] })] });
}
const classBatches = (badLabel?: number): [number[][], number[]][] =>
  [0, 1, 2].map((b) => [SAMPLES.slice(2 * b, 2 * b + 2).map((s) => s[0]), [b, b === 1 && badLabel !== undefined ? badLabel : b + 1]]);

describe('no tensors held after a rejected run()', () => {
  before(async () => {
    await useBackend('cpu');
  });

  // A failed run is resumed by the next run() call (Ignite's rule), so the handlers fail every other iteration.
  const everyOther = (): (() => boolean) => {
    let n = 0;
    return () => ++n % 2 === 0;
  };
  const failures: [string, (e: Engine<unknown, unknown>) => void][] = [
    ['a handler throws', (e) => e.on(Events.ITERATION_COMPLETED({ filter: everyOther() }), () => {
      throw new Error('handler failed');
    })],
    ['an async handler rejects', (e) => e.on(Events.ITERATION_COMPLETED({ filter: everyOther() }), async () => {
      await Promise.resolve();
      throw new Error('handler failed');
    })],
    ['an EPOCH_COMPLETED handler throws', (e) => e.on(Events.EPOCH_COMPLETED, () => {
      throw new Error('handler failed');
    })],
  ];
  for (const [name, arm] of failures) {
    for (const options of [{}, { gradientAccumulationSteps: 2 }, { ampMode: 'amp', scaler: true }] as SupervisedTrainerOptions<tfl.Sequential>[]) {
      it(`trainer: ${name} (${JSON.stringify(options)})`, async () => {
        const model = makeModel();
        const optimizer = tf.train.sgd(0.05);
        const trainer = createSupervisedTrainer(model, optimizer, mseLoss, options);
        arm(trainer);
        await trainer.run(ARRAY_BATCHES.slice(0, 1), { maxEpochs: 1 }).catch(() => undefined); // builds the model
        const start = memory();
        for (let i = 0; i < 3; i++) await assert.rejects(trainer.run(ARRAY_BATCHES, { maxEpochs: 2 }), /handler failed/);
        assert.deepEqual(memory(), start);
        model.dispose();
      });
    }
  }

  it('trainer: an EXCEPTION_RAISED handler handles the error (run resolves without COMPLETED)', async () => {
    const model = makeModel();
    const trainer = createSupervisedTrainer(model, tf.train.sgd(0.05), mseLoss, { gradientAccumulationSteps: 3 });
    trainer.on(Events.ITERATION_COMPLETED({ once: 2 }), () => {
      throw new Error('handler failed');
    });
    const seen: unknown[] = [];
    trainer.on(Events.EXCEPTION_RAISED, (_e, error: unknown) => void seen.push(error));
    await trainer.run(ARRAY_BATCHES.slice(0, 1), { maxEpochs: 1 });
    const start = memory();
    await trainer.run(ARRAY_BATCHES, { maxEpochs: 1 });
    assert.equal(seen.length, 1);
    assert.deepEqual(memory(), start);
    model.dispose();
  });

  it('trainer: a bad batch (wrong number of features) rejects and holds nothing', async () => {
    const model = makeModel();
    const trainer = createSupervisedTrainer(model, tf.train.sgd(0.05), mseLoss);
    await trainer.run(ARRAY_BATCHES.slice(0, 1), { maxEpochs: 1 });
    const start = memory();
    const bad = [...ARRAY_BATCHES.slice(0, 2), [[[1, 2, 3, 4, 5.5]], [[0.5]]]];
    for (let i = 0; i < 3; i++) await assert.rejects(trainer.run(bad, { maxEpochs: 1 }));
    assert.deepEqual(memory(), start);
    model.dispose();
  });

  for (const metricName of ['accuracy', 'loss']) {
    it(`evaluator: a metric error (label 42 of 10 classes, ${metricName}) rejects and holds nothing`, async () => {
      const model = classifier();
      const metrics = metricName === 'accuracy' ? { accuracy: new Accuracy() } : { loss: new Loss(crossEntropyLoss) };
      const evaluator = createSupervisedEvaluator(model, { metrics });
      await evaluator.run(classBatches(), { maxEpochs: 1 });
      tf.dispose(evaluator.state.output as tf.Tensor[]); // the last output of a run is the user's until the next run
      const start = memory();
      for (let i = 0; i < 3; i++) await assert.rejects(evaluator.run(classBatches(42), { maxEpochs: 1 }), /42|outside \[0, 10\)/);
      assert.deepEqual(memory(), start);
      await evaluator.run(classBatches(), { maxEpochs: 1 });
      tf.dispose(evaluator.state.output as tf.Tensor[]);
      assert.deepEqual(memory(), start, 'a later good run is still leak-free');
      model.dispose();
    });
  }

  it('evaluator: a handler throws at ITERATION_COMPLETED', async () => {
    const model = classifier();
    const evaluator = createSupervisedEvaluator(model, { metrics: { accuracy: new Accuracy() } });
    let fail = false;
    evaluator.on(Events.ITERATION_COMPLETED({ once: 2 }), () => {
      if (fail) throw new Error('handler failed');
    });
    await evaluator.run(classBatches().slice(0, 1), { maxEpochs: 1 });
    tf.dispose(evaluator.state.output as tf.Tensor[]);
    fail = true;
    const start = memory();
    for (let i = 0; i < 3; i++) await assert.rejects(evaluator.run(classBatches(), { maxEpochs: 1 }), /handler failed/);
    assert.deepEqual(memory(), start);
    model.dispose();
  });
});
