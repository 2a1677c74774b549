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
import { createSupervisedEvaluator, createSupervisedTrainer, mseLoss, type SupervisedTrainerOptions } from '../../src/training/index.js';
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

/** Runs the engine 3 times and checks the memory invariants. */
async function checkLeaks(engine: Engine<unknown, unknown>, useLoader: boolean): Promise<void> {
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
  if (loader === null) {
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
          await checkLeaks(evaluator, useLoader);
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
