// createLrSchedulerWithWarmup: the warm-up ramp, the junction with the scheduler (no repeated or skipped value, so
// the first learning rate after warm-up is the scheduler's first value) and pytorch/ignite#2441 (the optimizer holds
// warmupStartValue before the first event). Real tf.js optimizers on the cpu backend, real Engine.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Engine, Events, silentLogger } from '../../../src/engine/index.js';
import {
  CosineAnnealingScheduler,
  ConcatScheduler,
  PiecewiseLinear,
  createLrSchedulerWithWarmup,
  optimizerParam,
  type ParamScheduler,
} from '../../../src/handlers/param-scheduler/index.js';

before(async () => {
  await tf.setBackend('cpu');
});

const cosineValue = (s: number, e: number, size: number, i: number): number =>
  e + ((s - e) / 2) * (1 + Math.cos((Math.PI * (i % size)) / size));

/** Reference: a linear ramp of `wd` events from ws to we, then the scheduler's values; the junction value is not repeated. */
function expectedWithWarmup(ws: number, we: number, wd: number, after: (i: number) => number, n: number): number[] {
  const ramp = Array.from({ length: wd }, (_, k) => ws + ((we - ws) * k) / (wd - 1));
  const head = after(0) === we ? ramp.slice(0, -1) : ramp;
  return Array.from({ length: n }, (_, i) => (i < head.length ? (head[i] as number) : after(i - head.length)));
}

function run(scheduler: ParamScheduler, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    scheduler.handle(null);
    out.push(scheduler.target.get());
  }
  return out;
}

function assertClose(actual: readonly number[], expected: readonly number[], tol = 1e-9): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((v, i) => assert.ok(Math.abs(v - (expected[i] as number)) <= tol, `event ${i}: ${v} vs ${expected[i]}`));
}

describe('createLrSchedulerWithWarmup', () => {
  for (const wd of [2, 3, 5, 10]) {
    it(`test_create_lr_scheduler_with_warmup_on_combined_scheduler: continuous junction, warmupDuration=${wd}`, () => {
      const optimizer = tf.train.sgd(0.1);
      const cosine = new CosineAnnealingScheduler(optimizer, 'lr', { startValue: 0.1, endValue: 0.001, cycleSize: 10 });
      const scheduler = createLrSchedulerWithWarmup(cosine, { warmupStartValue: 0, warmupDuration: wd });
      const expected = expectedWithWarmup(0, 0.1, wd, (i) => cosineValue(0.1, 0.001, 10, i), 40);
      const got = run(scheduler, 40);
      assertClose(got, expected);
      // the ramp reaches warmupEndValue exactly at event wd - 1, which is the cosine's first value; event wd is its second
      assert.equal(got[wd - 1], 0.1);
      assert.ok(Math.abs((got[wd] as number) - cosineValue(0.1, 0.001, 10, 1)) < 1e-12);
      optimizer.dispose();
    });
  }

  it('discontinuous junction: the ramp ends at warmupEndValue, then the scheduler starts at its own first value', () => {
    const optimizer = tf.train.adam(0.1);
    const cosine = new CosineAnnealingScheduler(optimizer, 'lr', { startValue: 0.1, endValue: 0.001, cycleSize: 10 });
    const scheduler = createLrSchedulerWithWarmup(cosine, { warmupStartValue: 0, warmupEndValue: 0.2, warmupDuration: 5 });
    const got = run(scheduler, 30);
    assertClose(got.slice(0, 7), [0, 0.05, 0.1, 0.15, 0.2, 0.1, cosineValue(0.1, 0.001, 10, 1)]);
    assertClose(got, expectedWithWarmup(0, 0.2, 5, (i) => cosineValue(0.1, 0.001, 10, i), 30));
    optimizer.dispose();
  });

  it('pytorch/ignite#2441: the optimizer holds warmupStartValue as soon as the scheduler exists', async () => {
    const optimizer = tf.train.sgd(1e-3);
    const piecewise = new PiecewiseLinear(optimizer, 'lr', { milestonesValues: [[0, 1e-3], [10, 1e-4]] });
    const scheduler = createLrSchedulerWithWarmup(piecewise, { warmupStartValue: 1e-5, warmupDuration: 3 });
    assert.equal(optimizerParam(optimizer).get(), 1e-5);
    // Attached to ITERATION_COMPLETED (the case of the issue), the first iteration trains at the warm-up start.
    const used: number[] = [];
    const trainer = new Engine((_e, _b: number) => used.push(optimizerParam(optimizer).get()), { logger: silentLogger });
    trainer.on(Events.ITERATION_COMPLETED, scheduler);
    await trainer.run([0, 0, 0, 0], { maxEpochs: 1 });
    assert.equal(used[0], 1e-5);
    optimizer.dispose();
  });

  it('on ITERATION_STARTED, iteration k trains with the value of event k - 1 (optimizer read in the process function)', async () => {
    const optimizer = tf.train.momentum(0.05, 0.9);
    const cosine = new CosineAnnealingScheduler(optimizer, 'lr', { startValue: 0.05, endValue: 0, cycleSize: 6 });
    const scheduler = createLrSchedulerWithWarmup(cosine, { warmupStartValue: 0.01, warmupDuration: 4, saveHistory: true });
    const used: number[] = [];
    const trainer = new Engine((_e, _b: number) => used.push(optimizerParam(optimizer).get()), { logger: silentLogger });
    scheduler.attach(trainer);
    await trainer.run(new Array<number>(12).fill(0), { maxEpochs: 1 });
    const expected = expectedWithWarmup(0.01, 0.05, 4, (i) => cosineValue(0.05, 0, 6, i), 12);
    assertClose(used, expected);
    assertClose(trainer.state['paramHistory'] ? (trainer.state['paramHistory'] as Record<string, number[]>)['lr'] ?? [] : [], expected);
    optimizer.dispose();
  });

  it('fills outputSimulatedValues without disturbing the scheduler', () => {
    const optimizer = tf.train.sgd(0.1);
    const cosine = new CosineAnnealingScheduler(optimizer, 'lr', { startValue: 0.1, endValue: 0.001, cycleSize: 10 });
    const simulated: unknown[] = new Array<unknown>(25).fill(null);
    const scheduler = createLrSchedulerWithWarmup(cosine, { warmupStartValue: 0, warmupDuration: 5, outputSimulatedValues: simulated });
    assert.equal(optimizerParam(optimizer).get(), 0);
    const expected = expectedWithWarmup(0, 0.1, 5, (i) => cosineValue(0.1, 0.001, 10, i), 25);
    assertClose((simulated as [number, number][]).map(([, v]) => v), expected);
    assert.deepEqual((simulated as [number, number][]).map(([i]) => i), [...Array(25).keys()]);
    assertClose(run(scheduler, 25), expected);
    assert.ok(scheduler instanceof ConcatScheduler);
    optimizer.dispose();
  });

  it('validates its arguments with Ignite messages', () => {
    const optimizer = tf.train.sgd(0.1);
    const cosine = new CosineAnnealingScheduler(optimizer, 'lr', { startValue: 0.1, endValue: 0.001, cycleSize: 10 });
    assert.throws(() => createLrSchedulerWithWarmup(cosine, { warmupStartValue: 0, warmupDuration: 1 }), /at least 2 events, but given 1/);
    assert.throws(() => createLrSchedulerWithWarmup(cosine, { warmupStartValue: 0, warmupDuration: 2.5 }), TypeError);
    assert.throws(
      () => createLrSchedulerWithWarmup({} as unknown as ParamScheduler, { warmupStartValue: 0, warmupDuration: 3 }),
      /Argument lrScheduler should be a ParamScheduler/,
    );
    optimizer.dispose();
  });
});
