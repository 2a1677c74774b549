// TerminateOnNan: numbers, tensors and nested outputs; real engine; no tensor leak.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Engine, Events, silentLogger } from '../../src/engine/index.js';
import { TerminateOnNan } from '../../src/handlers/terminate-on-nan.js';

before(async () => {
  await tf.setBackend('cpu');
});

/** Runs the handler once on an engine whose state.output is `output`; returns whether it terminated. */
async function check(output: unknown, handler = new TerminateOnNan()): Promise<boolean> {
  const engine = new Engine((_e, _b: number) => null, { logger: silentLogger });
  engine.state.output = output;
  await handler.handle(engine);
  return engine.shouldTerminate !== false;
}

describe('TerminateOnNan', () => {
  it('test_terminate_on_nan_and_inf: numbers', async () => {
    assert.equal(await check(1.0), false);
    assert.equal(await check(Number.NaN), true);
    assert.equal(await check(Number.POSITIVE_INFINITY), true);
    assert.equal(await check(Number.NEGATIVE_INFINITY), true);
    assert.equal(await check([1, 2, { a: 3, b: [4] }]), false);
    assert.equal(await check([1, { a: [2, Number.NaN] }]), true);
    assert.equal(await check('not a number'), false);
  });

  it('test_terminate_on_nan_and_inf: tensors, alone or nested; int tensors are always finite', async () => {
    const ok = tf.tensor2d([[1, 2], [3, 4]]);
    const nan = tf.tensor1d([0, Number.NaN, 1]);
    const inf = tf.scalar(Number.POSITIVE_INFINITY);
    const ints = tf.tensor1d([1, 2], 'int32');
    const n = tf.memory().numTensors;
    assert.equal(await check(ok), false);
    assert.equal(await check(nan), true);
    assert.equal(await check(inf), true);
    assert.equal(await check(ints), false);
    assert.equal(await check([1.5, ok, { loss: ints }]), false);
    assert.equal(await check([1.5, ok, { y: nan }]), true);
    assert.equal(await check(tf.tensor1d([])), false);
    assert.equal(tf.memory().numTensors, n + 1); // only the empty tensor created above; the checks leak nothing
    tf.dispose([ok, nan, inf, ints]);
  });

  it('test_with_terminate_on_nan: stops the run at the first NaN output and warns on engine.logger', async () => {
    const warnings: string[] = [];
    const losses = [1, 0.5, Number.NaN, 0.1, 0.1];
    const engine = new Engine((e, _b: number) => losses[e.state.iteration - 1], {
      logger: { ...silentLogger, warn: (m) => warnings.push(m) },
    });
    engine.on(Events.ITERATION_COMPLETED, new TerminateOnNan());
    const state = await engine.run([0, 0, 0, 0, 0], { maxEpochs: 3 });
    assert.equal(state.iteration, 3);
    assert.deepEqual(warnings, ["TerminateOnNan: Output 'NaN' contains NaN or Inf. Stop training"]);
  });

  it('test_with_terminate_on_nan with tensor outputs and an outputTransform; memory stays flat', async () => {
    const engine = new Engine(
      (e, _b: number) => ({ loss: tf.scalar(e.state.iteration === 4 ? Number.POSITIVE_INFINITY : 1 / e.state.iteration), step: e.state.iteration }),
      { logger: silentLogger },
    );
    const counts: number[] = [];
    engine.on(Events.ITERATION_COMPLETED, new TerminateOnNan({ outputTransform: (o) => (o as { loss: tf.Tensor }).loss }));
    engine.on(Events.ITERATION_COMPLETED, (e) => {
      (e.state.output as { loss: tf.Tensor }).loss.dispose();
      counts.push(tf.memory().numTensors);
    });
    const state = await engine.run(new Array<number>(10).fill(0), { maxEpochs: 1 });
    assert.equal(state.iteration, 4);
    assert.equal(new Set(counts).size, 1);
  });
});
