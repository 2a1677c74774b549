/**
 * Every parameter of createSupervisedTrainer / createSupervisedEvaluator has an observable effect (spec 1.1, 1.3, 1.4
 * and section 5 items 2, 6, 7, 9-12): device, nonBlocking, prepareBatch, modelFn, modelTransform, outputTransform,
 * deterministic, ampMode, ampDtype, scaler, gradientAccumulationSteps; plus the named step factories.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-wasm';
import { GradScaler, roundToDtype, type AmpDtype } from '../../src/amp/index.js';
import { DeterministicEngine } from '../../src/deterministic/index.js';
import { Engine, Events } from '../../src/engine/index.js';
import { MeanSquaredError } from '../../src/metrics/index.js';
import {
  createSupervisedEvaluator,
  createSupervisedTrainer,
  mseLoss,
  supervisedEvaluationStep,
  supervisedEvaluationStepAmp,
  supervisedTrainingStep,
  supervisedTrainingStepAmp,
  supervisedTrainingStepApex,
  type SupervisedTrainerOptions,
} from '../../src/training/index.js';
import { SAMPLES, assertClose, batchOf, linearModel, referenceRun, useBackend, type LinearModel } from './helpers.js';

const K_MESSAGE = 'Gradient_accumulation_steps must be strictly positive. No gradient accumulation if the value set to one (default).';
const data = SAMPLES.slice(0, 4).map(batchOf);
const round = (v: number, dtype: AmpDtype): number => roundToDtype(Float32Array.of(v), dtype)[0] as number;

describe('createSupervisedTrainer / createSupervisedEvaluator: every parameter has an effect', () => {
  before(async () => {
    await useBackend('cpu');
  });
  after(async () => {
    await useBackend('cpu');
  });

  describe('device', () => {
    it('activates the requested backend at STARTED: a trainer created on cpu runs on wasm, with the same numbers', async () => {
      await useBackend('cpu');
      const model = linearModel(0);
      const trainer = createSupervisedTrainer(model, tf.train.sgd(0.1), mseLoss, { device: 'wasm' });
      assert.equal(tf.getBackend(), 'cpu', 'construction does not switch the backend');
      const seen: string[] = [];
      trainer.on(Events.STARTED, () => seen.push(tf.getBackend()));
      trainer.on(Events.ITERATION_COMPLETED, () => seen.push(tf.getBackend()));
      await trainer.run(data, { maxEpochs: 1 });
      assert.deepEqual(seen, ['wasm', 'wasm', 'wasm', 'wasm', 'wasm']);
      const ref = referenceRun(SAMPLES.slice(0, 4), 4, 1, 0.1);
      assertClose(model.weight(), ref[3]!.wAfter, 1e-5, 'weight after the wasm run');
      model.dispose();
      await useBackend('cpu');
    });

    it('the evaluator activates its device at STARTED too', async () => {
      await useBackend('cpu');
      const model = linearModel(0.5);
      const evaluator = createSupervisedEvaluator(model, { device: 'wasm' });
      let backend = '';
      evaluator.on(Events.ITERATION_COMPLETED, () => (backend = tf.getBackend()));
      await evaluator.run(data.slice(0, 1));
      assert.equal(backend, 'wasm');
      model.dispose();
      await useBackend('cpu');
    });

    it("'auto' picks the fastest registered backend (wasm before cpu)", async () => {
      await useBackend('cpu');
      const model = linearModel(0);
      const trainer = createSupervisedTrainer(model, tf.train.sgd(0.1), mseLoss, { device: 'auto' });
      let backend = '';
      trainer.on(Events.STARTED, () => (backend = tf.getBackend()));
      await trainer.run(data.slice(0, 1));
      assert.equal(backend, 'wasm');
      model.dispose();
      await useBackend('cpu');
    });

    it("'gpu' without a GPU backend, and an unregistered backend, fail with a list of the available ones", () => {
      const model = linearModel(0);
      for (const device of ['gpu', 'webgl']) {
        assert.throws(
          () => createSupervisedTrainer(model, tf.train.sgd(0.1), mseLoss, { device }),
          (e: unknown) => e instanceof RangeError && e.message.includes(device) && /Available: .*cpu/.test(e.message) &&
            e.message.includes('wasm'),
        );
        assert.throws(() => createSupervisedEvaluator(model, { device }), /Available: /);
      }
      model.dispose();
    });

    it("'xla' and 'tpu' say that TensorFlow.js has no such backend; amp on mps gets Ignite's message", () => {
      const model = linearModel(0);
      for (const device of ['xla', 'tpu', 'xla:0']) {
        assert.throws(() => createSupervisedTrainer(model, tf.train.sgd(0.1), mseLoss, { device }),
          (e: unknown) => e instanceof RangeError && e.message.includes(`TensorFlow.js has no '${device}' backend`));
      }
      // Ignite checks "TPU without XLA support" (check 2) before "amp on xla" (check 3); TF.js never has XLA.
      assert.throws(() => createSupervisedTrainer(model, tf.train.sgd(0.1), mseLoss, { device: 'xla', ampMode: 'amp' }),
        /TensorFlow.js has no 'xla' backend/);
      assert.throws(() => createSupervisedEvaluator(model, { device: 'tpu', ampMode: 'amp' }), /TensorFlow.js has no 'tpu' backend/);
      assert.throws(() => createSupervisedTrainer(model, tf.train.sgd(0.1), mseLoss, { device: 'mps', ampMode: 'amp' }),
        /ampMode cannot be used with mps device/);
      model.dispose();
    });
  });

  describe('nonBlocking', () => {
    const modes: [string, SupervisedTrainerOptions<LinearModel>][] = [
      ['plain', {}],
      ['accumulation', { gradientAccumulationSteps: 2 }],
      ['amp + scaler', { ampMode: 'amp', scaler: true }],
      ['apex', { ampMode: 'apex' }],
    ];
    for (const [name, opts] of modes) {
      it(`${name}: nonBlocking reads nothing synchronously (no dataSync/arraySync) and gives the same outputs`, async () => {
        const run = async (nonBlocking: boolean): Promise<{ outputs: number[]; syncReads: number; w: number }> => {
          const model = linearModel(0);
          const trainer = createSupervisedTrainer(model, tf.train.sgd(0.1), mseLoss, { ...opts, nonBlocking });
          const outputs: number[] = [];
          trainer.on(Events.ITERATION_COMPLETED, (e) => outputs.push(e.state.output as number));
          const proto = tf.Tensor.prototype;
          const dataSync = Reflect.get(proto, 'dataSync') as (this: tf.Tensor) => tf.TypedArray;
          const arraySync = Reflect.get(proto, 'arraySync') as (this: tf.Tensor) => unknown;
          let syncReads = 0;
          proto.dataSync = function (this: tf.Tensor) {
            syncReads++;
            return dataSync.call(this);
          } as typeof proto.dataSync;
          proto.arraySync = function (this: tf.Tensor) {
            syncReads++;
            return arraySync.call(this);
          } as typeof proto.arraySync;
          try {
            await trainer.run(data, { maxEpochs: 1 });
          } finally {
            proto.dataSync = dataSync as typeof proto.dataSync;
            proto.arraySync = arraySync as typeof proto.arraySync;
          }
          const w = model.weight();
          model.dispose();
          return { outputs, syncReads, w };
        };
        const blocking = await run(false);
        const nonBlocking = await run(true);
        assert.equal(nonBlocking.syncReads, 0);
        assert.ok(blocking.syncReads >= 4, `the blocking step reads the loss synchronously (${blocking.syncReads})`);
        assert.deepEqual(nonBlocking.outputs, blocking.outputs);
        assert.equal(nonBlocking.w, blocking.w);
        assert.ok(blocking.outputs.every((o) => typeof o === 'number' && Number.isFinite(o)));
      });
    }
  });

  it('prepareBatch: a custom async function gets (batch, device, nonBlocking) and its [x, y] is used', async () => {
    const model = linearModel(0);
    const calls: unknown[][] = [];
    const prepareBatch = async (batch: unknown, device: string | null, nonBlocking: boolean): Promise<[tf.Tensor, tf.Tensor]> => {
      calls.push([device, nonBlocking]);
      await new Promise((r) => setTimeout(r, 1));
      const b = batch as { features: number; label: number };
      return [tf.tensor2d([[b.features]]), tf.tensor2d([[b.label]])];
    };
    const samples = SAMPLES.slice(0, 3);
    const trainer = createSupervisedTrainer(model, tf.train.sgd(0.1), mseLoss, { prepareBatch, device: 'cpu', nonBlocking: true });
    await trainer.run(samples.map(([features, label]) => ({ features, label })), { maxEpochs: 1 });
    assert.deepEqual(calls, [['cpu', true], ['cpu', true], ['cpu', true]]);
    assertClose(model.weight(), referenceRun(samples, 3, 1, 0.1)[2]!.wAfter, 1e-5, 'weight');
    const evaluator = createSupervisedEvaluator(model, { prepareBatch });
    await evaluator.run([{ features: 2, label: 0 }]);
    assert.deepEqual(calls[3], [null, false]);
    model.dispose();
  });

  it('test_create_supervised_trainer_model_fn: modelFn passes extra arguments; training is true (trainer), false (evaluator)', async () => {
    const base = linearModel(0);
    const flags: boolean[] = [];
    const model = {
      trainableWeights: base.trainableWeights,
      apply: (x: unknown) => base.apply(x),
      forward(x: tf.Tensor, scale: number, training: boolean): tf.Tensor {
        flags.push(training);
        return tf.mul(base.apply(x), scale);
      },
    };
    const modelFn = (m: typeof model, x: unknown, kw: { training: boolean }): unknown => m.forward(x as tf.Tensor, 3, kw.training);
    await createSupervisedTrainer(model, tf.train.sgd(0.01), mseLoss, { modelFn }).run(data.slice(0, 1), { maxEpochs: 1 });
    // yPred = 3 w x, L = (3 w x - y)^2, dL/dw at w=0 is -6 x y.
    const [x, y] = SAMPLES[0]!;
    assertClose(base.weight(), 0.01 * 6 * x * y, 1e-5, 'weight after a step through modelFn');
    await createSupervisedEvaluator(model, { modelFn }).run(data.slice(0, 1));
    assert.deepEqual(flags, [true, false]);
    base.dispose();
  });

  it('the default modelFn calls model.apply(x, { training }) with training true (trainer) / false (evaluator)', async () => {
    const model = linearModel(0);
    await createSupervisedTrainer(model, tf.train.sgd(0.1), mseLoss).run(data.slice(0, 2), { maxEpochs: 1 });
    await createSupervisedEvaluator(model).run(data.slice(0, 1));
    assert.deepEqual(model.calls.map((c) => c.training), [true, true, false]);
    model.dispose();
  });

  it('test_create_supervised_trainer_model_transform: a model returning a tuple, the loss uses modelTransform(output)', async () => {
    const base = linearModel(0);
    const model = {
      trainableWeights: base.trainableWeights,
      apply: (x: unknown, kw?: { training: boolean }): [tf.Tensor, tf.Tensor] => {
        const out = base.apply(x, kw);
        return [out, tf.mul(out, 100)];
      },
    };
    const optimizer = tf.train.sgd(0.1); // holds its learning rate as a kept scalar
    const before = tf.memory().numTensors;
    const trainer = createSupervisedTrainer(model, optimizer, mseLoss, { modelTransform: (o) => (o as tf.Tensor[])[0] });
    await trainer.run(data, { maxEpochs: 1 });
    assertClose(base.weight(), referenceRun(SAMPLES.slice(0, 4), 4, 1, 0.1)[3]!.wAfter, 1e-5, 'weight');
    assert.equal(tf.memory().numTensors, before, 'the unused tuple element is disposed');
    // Without the transform the loss receives the tuple and says so.
    await assert.rejects(createSupervisedTrainer(model, optimizer, mseLoss).run(data, { maxEpochs: 1 }), /expects two tensors/);
    const evaluator = createSupervisedEvaluator(model, { modelTransform: (o) => (o as tf.Tensor[])[1] });
    let yPred = Number.NaN;
    evaluator.on(Events.ITERATION_COMPLETED, (e) => (yPred = ((e.state.output as tf.Tensor[])[0]!).dataSync()[0]!));
    await evaluator.run(data.slice(0, 1));
    assertClose(yPred, 100 * base.weight() * SAMPLES[0]![0], 1e-5, 'evaluator yPred through modelTransform');
    base.dispose();
  });

  it('test_create_supervised_trainer_output_transform: receives prepared x, y, yPred and the undivided loss (k=2)', async () => {
    const model = linearModel(0);
    const ref = referenceRun(SAMPLES.slice(0, 4), 4, 2, 0.1);
    const seen: number[][] = [];
    const outputTransform = (x: unknown, y: unknown, yPred: unknown, loss: tf.Scalar): unknown => {
      const values = [x, y, yPred, loss].map((t) => (t as tf.Tensor).dataSync()[0]!);
      seen.push(values);
      return [yPred, values[3]];
    };
    const trainer = createSupervisedTrainer(model, tf.train.sgd(0.1), mseLoss, { gradientAccumulationSteps: 2, outputTransform });
    const held: tf.Tensor[] = [];
    trainer.on(Events.ITERATION_COMPLETED, (e) => {
      const [yPred, loss] = e.state.output as [tf.Tensor, number];
      assert.equal(yPred.isDisposed, false, 'output tensors are valid in ITERATION_COMPLETED handlers');
      assert.equal(loss, seen[seen.length - 1]![3]);
      held.push(yPred);
    });
    await trainer.run(data, { maxEpochs: 1 });
    ref.forEach((r, i) => {
      const [x, y] = SAMPLES[i]!;
      const [sx, sy, sPred, sLoss] = seen[i]!;
      assert.equal(sx, Math.fround(x));
      assert.equal(sy, Math.fround(y));
      assertClose(sPred!, r.wBefore * x, 1e-5, `yPred ${i + 1}`);
      assertClose(sLoss!, r.loss, 1e-5, `undivided loss ${i + 1}`);
    });
    assert.ok(held.every((t) => t.isDisposed), 'output tensors are released by the next iteration / at COMPLETED');
    model.dispose();
  });

  it('deterministic: true returns a DeterministicEngine, false a plain Engine', async () => {
    const model = linearModel(0);
    const det = createSupervisedTrainer(model, tf.train.sgd(0.1), mseLoss, { deterministic: true });
    const plain = createSupervisedTrainer(model, tf.train.sgd(0.1), mseLoss);
    assert.ok(det instanceof DeterministicEngine);
    assert.ok(!(plain instanceof DeterministicEngine));
    assert.ok(plain instanceof Engine);
    await det.run(data, { maxEpochs: 1 });
    assertClose(model.weight(), referenceRun(SAMPLES.slice(0, 4), 4, 1, 0.1)[3]!.wAfter, 1e-5, 'deterministic trainer trains');
    assert.ok('rngStates' in det.stateDict());
    model.dispose();
  });

  describe('ampMode and ampDtype', () => {
    const x = 1.2345678;
    const w0 = 0.1234567;
    /** Autocast matmul reference: operands and output rounded to dtype (spec: round-to-nearest-even). */
    const amped = (dtype: AmpDtype): number => round(Math.fround(round(x, dtype) * round(w0, dtype)), dtype);
    const yPredOf = async (options: { ampMode?: 'amp' | 'apex' | null; ampDtype?: AmpDtype }, evaluate: boolean): Promise<number> => {
      const model = linearModel(w0);
      let yPred = Number.NaN;
      const outputTransform = (_x: unknown, _y: unknown, p: unknown): number => (yPred = (p as tf.Tensor).dataSync()[0]!);
      const engine = evaluate
        ? createSupervisedEvaluator(model, { ...options, outputTransform })
        : createSupervisedTrainer(model, tf.train.sgd(0), mseLoss, { ...options, outputTransform });
      await engine.run([[[[x]], [[0.5]]]]);
      model.dispose();
      return yPred;
    };

    for (const evaluate of [false, true]) {
      const who = evaluate ? 'evaluator' : 'trainer';
      it(`${who}: ampMode 'amp' rounds yPred to ampDtype (float16, bfloat16); the default on cpu is bfloat16`, async () => {
        const plain = await yPredOf({}, evaluate);
        assertClose(plain, Math.fround(x) * Math.fround(w0), 1e-7, 'float32 yPred');
        const f16 = await yPredOf({ ampMode: 'amp', ampDtype: 'float16' }, evaluate);
        const b16 = await yPredOf({ ampMode: 'amp', ampDtype: 'bfloat16' }, evaluate);
        const dflt = await yPredOf({ ampMode: 'amp' }, evaluate);
        assert.equal(f16, amped('float16'));
        assert.equal(b16, amped('bfloat16'));
        assert.equal(dflt, amped('bfloat16'));
        assert.notEqual(f16, plain);
        assert.notEqual(b16, plain);
        assert.notEqual(f16, b16);
      });
    }

    it("the trainer's 'apex' mode autocasts too; the evaluator's 'apex' is the plain step (as in Ignite)", async () => {
      assert.equal(await yPredOf({ ampMode: 'apex', ampDtype: 'float16' }, false), amped('float16'));
      assertClose(await yPredOf({ ampMode: 'apex', ampDtype: 'float16' }, true), Math.fround(x) * Math.fround(w0), 1e-7, 'evaluator apex');
    });

    it('an unknown ampMode is rejected (Ignite silently uses the plain step)', () => {
      const model = linearModel(0);
      assert.throws(() => createSupervisedTrainer(model, tf.train.sgd(0.1), mseLoss, { ampMode: 'O1' as never }), /ampMode should be 'amp', 'apex' or null, got "O1"/);
      assert.throws(() => createSupervisedEvaluator(model, { ampMode: 'fp16' as never }), /ampMode/);
      model.dispose();
    });
  });

  describe('scaler', () => {
    it('test_create_supervised_trainer_scaler: true creates trainer.state.scaler (a GradScaler); an instance is used as given', async () => {
      const model = linearModel(0);
      const withTrue = createSupervisedTrainer(model, tf.train.sgd(0.1), mseLoss, { ampMode: 'amp', scaler: true });
      assert.ok(withTrue.state['scaler'] instanceof GradScaler);
      assert.equal((withTrue.state['scaler']).getScale(), 2 ** 16);
      const mine = new GradScaler({ initScale: 4, growthInterval: 1 });
      const withInstance = createSupervisedTrainer(model, tf.train.sgd(0.1), mseLoss, { ampMode: 'amp', scaler: mine });
      assert.equal(withInstance.state['scaler'], undefined);
      await withInstance.run(data.slice(0, 3), { maxEpochs: 1 });
      assert.equal(mine.getScale(), 32, 'three clean steps grew the given scaler 4 -> 32');
      model.dispose();
    });

    it("test_create_supervised_trainer_scaler_not_amp: a scaler without ampMode 'amp' raises Ignite's message", () => {
      const model = linearModel(0);
      const opt = tf.train.sgd(0.1);
      assert.throws(() => createSupervisedTrainer(model, opt, mseLoss, { scaler: true }),
        /^RangeError: scaler argument is true, but ampMode is null\. Consider using ampMode='amp'\.$/);
      assert.throws(() => createSupervisedTrainer(model, opt, mseLoss, { ampMode: null, scaler: true }), /scaler argument is true, but ampMode is null/);
      assert.throws(() => createSupervisedTrainer(model, opt, mseLoss, { ampMode: 'apex', scaler: true }), /scaler argument is true, but ampMode is ["']apex["']/);
      assert.throws(() => createSupervisedTrainer(model, opt, mseLoss, { ampMode: 'apex', scaler: new GradScaler() }),
        /scaler argument is a GradScaler, but ampMode is ["']apex["']/);
      assert.doesNotThrow(() => createSupervisedTrainer(model, opt, mseLoss, { scaler: false }));
      model.dispose();
    });

    describe('float16 gradients of ~1e-8 underflow without loss scaling and survive with it', () => {
      // yPred = x @ W, loss = sum(yPred * c): dL/dW[i][j] = x[i] c[j] ~ 1e-8, below float16's smallest subnormal.
      const X = [1e-4, 2e-4, 1.5e-4];
      const C = [1e-4, 1.2e-4];
      const LR = 1e4;
      const sumLoss = (yPred: tf.Tensor, c: tf.Tensor): tf.Tensor => tf.sum(tf.mul(yPred, c));
      const train = async (options: SupervisedTrainerOptions<{ trainableWeights: tf.Variable[]; apply(x: unknown): tf.Tensor }>): Promise<number[]> => {
        const W = tf.variable(tf.fill([3, 2], 0.5), true, `W_${Math.random()}`);
        const model = { trainableWeights: [W], apply: (x: unknown): tf.Tensor => tf.matMul(x as tf.Tensor2D, W) };
        const trainer = createSupervisedTrainer(model, tf.train.sgd(LR), sumLoss, { ampDtype: 'float16', ...options });
        await trainer.run([[[X], [C]]], { maxEpochs: 1 });
        const w = Array.from(W.dataSync());
        W.dispose();
        return w;
      };
      const expected = X.flatMap((xi) => C.map((cj) => 0.5 - LR * xi * cj));

      it("ampMode 'amp' without a scaler: every gradient is zero, the weights do not move", async () => {
        assert.deepEqual(await train({ ampMode: 'amp' }), [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
      });
      it('plain float32 moves them by lr x grad (the reference)', async () => {
        (await train({})).forEach((v, i) => assertClose(v, expected[i]!, 2e-6, `w[${i}]`));
      });
      for (const [name, options] of [['amp + scaler: true', { ampMode: 'amp', scaler: true }], ["apex (the trainer's own loss scaling)", { ampMode: 'apex' }]] as const) {
        it(`${name}: the gradients survive and the weights move by lr x grad`, async () => {
          const w = await train(options);
          w.forEach((v, i) => {
            const want = 0.5 - expected[i]!;
            assert.notEqual(v, 0.5, `w[${i}] moved`);
            assert.ok(Math.abs((0.5 - v) - want) <= 2 ** -9 * want + 1e-7, `w[${i}] = ${v}, expected ${expected[i]}`);
          });
        });
      }
    });
  });

  it("test_create_supervised_trainer_with_gradient_accumulation_steps_0: k <= 0 raises Ignite's message at construction", () => {
    const model = linearModel(0);
    for (const k of [0, -1]) {
      assert.throws(() => createSupervisedTrainer(model, tf.train.sgd(0.1), mseLoss, { gradientAccumulationSteps: k }),
        (e: unknown) => e instanceof RangeError && e.message.startsWith(K_MESSAGE));
      assert.throws(() => supervisedTrainingStep(model, tf.train.sgd(0.1), mseLoss, { gradientAccumulationSteps: k }), /strictly positive/);
    }
    model.dispose();
  });

  it('test_create_supervised_evaluator: output [yPred, y], weights unchanged, MeanSquaredError 12.5', async () => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 1, useBias: false, kernelInitializer: 'zeros', inputShape: [1] })] });
    const evaluator = createSupervisedEvaluator(model, { metrics: { mse: new MeanSquaredError() } });
    let output: number[][] = [];
    evaluator.on(Events.ITERATION_COMPLETED, (e) => {
      const [yPred, y] = e.state.output as [tf.Tensor, tf.Tensor];
      output = [Array.from(yPred.dataSync()), Array.from(y.dataSync())];
    });
    const state = await evaluator.run([[[[1], [2]], [[3], [4]]]]);
    assert.deepEqual(output, [[0, 0], [3, 4]]);
    assert.equal(state.metrics['mse'], 12.5);
    assert.deepEqual(Array.from(model.getWeights()[0]!.dataSync()), [0]);
    model.dispose();
  });

  describe('named step factories (for custom engines)', () => {
    it('supervisedTrainingStep / Amp / Apex in a plain Engine follow the reference (k=2)', async () => {
      const ref = referenceRun(SAMPLES.slice(0, 4), 4, 2, 0.1);
      for (const factory of [supervisedTrainingStep, supervisedTrainingStepAmp, supervisedTrainingStepApex]) {
        const model = linearModel(0);
        const engine = new Engine(factory(model, tf.train.sgd(0.1), mseLoss, { gradientAccumulationSteps: 2 }));
        await engine.run(data, { maxEpochs: 1 });
        // amp/apex round matmul operands to bfloat16 on cpu (8 significant bits): a looser tolerance.
        assertClose(model.weight(), ref[3]!.wAfter, factory === supervisedTrainingStep ? 1e-5 : 2e-2, factory.name);
        assert.equal(typeof engine.state.output, 'number');
        model.dispose();
      }
    });

    it('supervisedEvaluationStep / Amp in a plain Engine return [yPred, y]; Amp rounds yPred', async () => {
      const model = linearModel(0.1234567);
      const x = 1.2345678;
      const cases = [
        [supervisedEvaluationStep, Math.fround(x) * Math.fround(0.1234567)],
        [supervisedEvaluationStepAmp, round(Math.fround(round(x, 'float16') * round(0.1234567, 'float16')), 'float16')],
      ] as const;
      for (const [factory, want] of cases) {
        const engine = new Engine(factory(model, { ampDtype: 'float16' }));
        let got = Number.NaN;
        engine.on(Events.ITERATION_COMPLETED, (e) => (got = ((e.state.output as tf.Tensor[])[0]!).dataSync()[0]!));
        await engine.run([[[[x]], [[0]]]]);
        if (factory === supervisedEvaluationStepAmp) assert.equal(got, want);
        else assertClose(got, want, 1e-7, factory.name);
      }
      model.dispose();
    });
  });
});
