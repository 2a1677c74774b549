import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Engine, Events, silentLogger } from '../../src/engine/index.js';
import { NotComputableError } from '../../src/errors.js';
import { Accuracy } from '../../src/metrics/accuracy.js';
import { Frequency } from '../../src/metrics/frequency.js';
import { RunningAverage } from '../../src/metrics/running-average.js';
import { RunningEpochWise, SingleEpochRunningBatchWise, type UsageLike } from '../../src/metrics/usage.js';
import { FC, close, useCpu } from './reference.js';

before(useCpu);

const newEngine = <B, O>(fn: (batch: B) => O) => new Engine<B, O>((_e, b: B) => fn(b), { logger: silentLogger });

/** Runs an engine and records state.metrics[name] after each iteration. */
async function recordPerIteration<B>(engine: Engine<B, unknown>, name: string, data: B[], maxEpochs: number) {
  const seen: unknown[] = [];
  engine.on(Events.ITERATION_COMPLETED, (e: Engine<B, unknown>) => {
    seen.push(e.state.metrics[name]);
  });
  await engine.run(data, { maxEpochs });
  return seen;
}

/** Reference EMA: first value as is, then v = v * alpha + (1 - alpha) * x; `resetAt` marks restarts. */
function ema(xs: number[], alpha: number, resetAt: (i: number) => boolean): number[] {
  let v: number | null = null;
  return xs.map((x, i) => {
    if (resetAt(i)) v = null;
    v = v === null ? x : v * alpha + (1 - alpha) * x;
    return v;
  });
}

describe('RunningAverage', () => {
  it('docstring example 2: running average of the output 0,1,0,1,0,1', async () => {
    const engine = newEngine((b: number) => b);
    new RunningAverage({ outputTransform: (x) => x }).attach(engine, 'ra');
    const seen = await recordPerIteration(engine, 'ra', [0, 1, 0, 1, 0, 1], 1);
    close(seen, [0, 0.02, 0.0196, 0.039208, 0.03842384, 0.0576553632], 1e-9);
  });

  it('docstring example 1: running average of Accuracy (src reset every batch)', async () => {
    const yTrue = [[0], [1], [0], [1], [0], [1]];
    const yPred = [[0], [0], [0], [1], [1], [1]];
    const engine = newEngine((i: number) => [yPred[i]!, yTrue[i]!]);
    new RunningAverage(new Accuracy()).attach(engine, 'running_avg_accuracy');
    const seen = await recordPerIteration(engine, 'running_avg_accuracy', [0, 1, 2, 3, 4, 5], 1);
    close(seen, [1.0, 0.98, 0.9804, 0.980792, 0.96117616, 0.9619526368], 1e-6);
  });

  it('RunningBatchWise (default) keeps averaging across epochs; SingleEpochRunningBatchWise restarts each epoch', () =>
    fc.assert(
      fc.asyncProperty(
        fc.array(fc.float({ min: -5, max: 5, noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom(0.5, 0.9, 0.98, 1),
        fc.boolean(),
        async (data, epochs, alpha, single) => {
          const engine = newEngine((b: number) => ({ loss: b }));
          const usage: UsageLike | undefined = single ? new SingleEpochRunningBatchWise() : undefined;
          const ra = new RunningAverage({ outputTransform: (o) => (o as { loss: number }).loss, alpha });
          ra.attach(engine, 'loss', usage ? { usage } : {});
          const seen = await recordPerIteration(engine, 'loss', data, epochs);
          const xs = Array.from({ length: epochs }, () => data).flat();
          const expected = ema(xs, alpha, (i) => i === 0 || (single && i % data.length === 0));
          close(seen, expected, 1e-9);
        },
      ),
      { ...FC, numRuns: 30 },
    ));

  it('RunningEpochWise with a src metric: EMA of the per-epoch accuracy, src accumulating every iteration', async () => {
    // epoch 1: 3/4 correct, epoch 2: 2/4, epoch 3: 4/4
    const epochs = [
      [[1, 1], [0, 1], [1, 1], [1, 1]],
      [[1, 0], [0, 0], [1, 1], [0, 1]],
      [[1, 1], [0, 0], [1, 1], [0, 0]],
    ];
    const data = epochs.flat();
    const engine = newEngine((b: number[]) => [[b[0]!], [b[1]!]]);
    const seen: number[] = [];
    new RunningAverage({ src: new Accuracy(), alpha: 0.5 }).attach(engine, 'acc', { usage: new RunningEpochWise() });
    engine.on(Events.EPOCH_COMPLETED, (e: typeof engine) => {
      seen.push(e.state.metrics['acc'] as number);
    });
    await engine.run(data, { maxEpochs: 3, epochLength: 4 });
    close(seen, ema([0.75, 0.5, 1], 0.5, (i) => i === 0), 1e-9);
  });

  it('detach removes every handler', async () => {
    const engine = newEngine((b: number) => b);
    const src = new Accuracy();
    const ra = new RunningAverage(src);
    ra.attach(engine, 'ra');
    assert.ok(ra.isAttached(engine));
    ra.detach(engine);
    assert.ok(!ra.isAttached(engine));
    assert.ok(!engine.hasEventHandler(src.iterationCompleted));
    assert.ok(!engine.hasEventHandler(ra.started));
    await engine.run([1], { maxEpochs: 1 });
    assert.deepEqual(engine.state.metrics, {});
  });

  it('argument errors (Ignite wording) and NotComputableError', () => {
    assert.throws(() => new RunningAverage({ outputTransform: (x) => x, alpha: 0 }), /alpha should be a float between 0.0 and 1.0/);
    assert.throws(() => new RunningAverage({ outputTransform: (x) => x, alpha: 1.5 }), RangeError);
    assert.throws(() => new RunningAverage(), /outputTransform should not be undefined/);
    assert.throws(() => new RunningAverage({ src: new Accuracy(), outputTransform: (x) => x }), /should be undefined if src is a Metric/);
    assert.throws(() => new RunningAverage({ src: 3 as unknown as Accuracy }), TypeError);
    assert.throws(() => new RunningAverage({ outputTransform: (x) => x }).compute(), NotComputableError);
  });

  it('a scalar tensor output is read back; vector outputs are averaged elementwise', () => {
    const ra = new RunningAverage({ outputTransform: (x) => x, alpha: 0.5 });
    ra.update(tf.scalar(2));
    ra.update(4);
    assert.equal(ra.compute(), 3);
    const rv = new RunningAverage({ outputTransform: (x) => x, alpha: 0.5 });
    rv.update([2, 4]);
    rv.update([4, 8]);
    assert.deepEqual(rv.compute(), [3, 6]);
  });
});

describe('Frequency', () => {
  it('items per second since the epoch started (fake clock), reset each epoch', async () => {
    let now = 100;
    const engine = newEngine((b: number) => {
      now += 0.5; // each iteration takes half a second
      return b;
    });
    new Frequency({ now: () => now, outputTransform: (x) => x }).attach(engine, 'ips');
    const seen = await recordPerIteration(engine, 'ips', [10, 20, 30], 2);
    // epoch 1: 10/0.5, 30/1.0, 60/1.5; epoch 2 restarts the timer at EPOCH_STARTED
    close(seen, [20, 30, 40, 20, 30, 40], 1e-9);
  });

  it('eventName: update and compute on a filtered event', async () => {
    let now = 0;
    const engine = newEngine((b: number) => {
      now += 1;
      return b;
    });
    const f = new Frequency({ now: () => now, outputTransform: (x) => x });
    f.attach(engine, 'ips', { eventName: Events.ITERATION_COMPLETED({ every: 2 }) });
    const seen = await recordPerIteration(engine, 'ips', [5, 5, 5, 5], 1);
    assert.deepEqual(seen, [undefined, 2.5, 2.5, 2.5]); // counted at iterations 2 and 4 only: 5 / 2 s, then 10 / 4 s
    f.detach(engine, { eventName: Events.ITERATION_COMPLETED({ every: 2 }) });
    assert.ok(!engine.hasEventHandler(f.completed));
    assert.throws(() => new Frequency().compute(), NotComputableError);
  });
});
