import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Engine, Events, eventName, silentLogger } from '../../src/engine/index.js';
import { Accuracy } from '../../src/metrics/accuracy.js';
import { ConfusionMatrix, mIoU } from '../../src/metrics/confusion-matrix.js';
import { Loss } from '../../src/metrics/loss.js';
import { Metric, type MetricEngine } from '../../src/metrics/metric.js';
import { MetricsLambda, add, div, mul } from '../../src/metrics/metrics-lambda.js';
import { Precision, Recall } from '../../src/metrics/precision-recall.js';
import { MeanSquaredError } from '../../src/metrics/regression.js';
import { RunningAverage } from '../../src/metrics/running-average.js';
import {
  BatchFiltered,
  BatchWise,
  EpochWise,
  RunningBatchWise,
  RunningEpochWise,
  SingleEpochRunningBatchWise,
  type UsageLike,
} from '../../src/metrics/usage.js';
import { close, useCpu } from './reference.js';

before(useCpu);

/** Records which engine event each reset/update/compute happened on. */
class Spy extends Metric<number> {
  readonly trace: string[] = [];
  #engine: MetricEngine & { lastEventName: unknown };
  #count = 0;
  constructor(engine: MetricEngine & { lastEventName: unknown }) {
    super();
    this.#engine = engine;
  }
  #at(): string {
    const e = this.#engine.lastEventName as Parameters<typeof eventName>[0];
    return eventName(e);
  }
  reset(): void {
    this.trace.push(`reset@${this.#at()}`);
    this.#count = 0;
  }
  update(): void {
    this.trace.push(`update@${this.#at()}`);
    this.#count += 1;
  }
  compute(): number {
    this.trace.push(`compute@${this.#at()}`);
    return this.#count;
  }
}

/** Events fired by run(data of length 3, maxEpochs 2), from Ignite's run-loop rules. */
function firedEvents(epochs: number, iters: number): string[] {
  const out = ['started'];
  for (let e = 0; e < epochs; e++) {
    out.push('epoch_started');
    for (let i = 0; i < iters; i++) out.push('iteration_started', 'iteration_completed');
    out.push('epoch_completed');
  }
  out.push('completed');
  return out;
}

/** The usage table of Ignite's metric.py docstrings: [STARTED, ITERATION_COMPLETED, COMPLETED]. */
const TABLE: Record<string, [string, string, string]> = {
  epoch_wise: ['epoch_started', 'iteration_completed', 'epoch_completed'],
  running_epoch_wise: ['started', 'epoch_completed', 'epoch_completed'],
  batch_wise: ['iteration_started', 'iteration_completed', 'iteration_completed'],
  running_batch_wise: ['started', 'iteration_completed', 'iteration_completed'],
  single_epoch_running_batch_wise: ['epoch_started', 'iteration_completed', 'iteration_completed'],
};

function expectedTrace(usage: string): string[] {
  const [s, u, c] = TABLE[usage]!;
  return firedEvents(2, 3).flatMap((ev) => [
    ...(ev === s ? [`reset@${ev}`] : []),
    ...(ev === u ? [`update@${ev}`] : []),
    ...(ev === c ? [`compute@${ev}`] : []),
  ]);
}

const newEngine = <B, O>(fn: (batch: B) => O) => new Engine<B, O>((_e, b: B) => fn(b), { logger: silentLogger });

describe('usages: which events reset, update and compute', () => {
  const usages: [string, () => UsageLike][] = [
    ['epoch_wise', () => new EpochWise()],
    ['running_epoch_wise', () => new RunningEpochWise()],
    ['batch_wise', () => new BatchWise()],
    ['running_batch_wise', () => new RunningBatchWise()],
    ['single_epoch_running_batch_wise', () => new SingleEpochRunningBatchWise()],
  ];
  for (const [name, make] of usages) {
    for (const form of ['object', 'string'] as const) {
      it(`${name} (${form})`, async () => {
        const engine = newEngine(() => 0);
        const spy = new Spy(engine);
        const usage = form === 'object' ? make() : (name as UsageLike);
        spy.attach(engine, 'spy', { usage });
        assert.ok(spy.isAttached(engine, { usage }));
        await engine.run([1, 2, 3], { maxEpochs: 2 });
        assert.deepEqual(spy.trace, expectedTrace(name));
      });
    }
  }

  it('EpochWise is the default and matches the hand-written trace', async () => {
    const engine = newEngine(() => 0);
    const spy = new Spy(engine);
    spy.attach(engine, 'spy');
    await engine.run([1, 2], { maxEpochs: 1 });
    assert.deepEqual(spy.trace, [
      'reset@epoch_started',
      'update@iteration_completed',
      'update@iteration_completed',
      'compute@epoch_completed',
    ]);
    assert.equal(engine.state.metrics['spy'], 2);
  });

  it('BatchFiltered({ every: 2 }) updates on even iterations only, epoch-wise otherwise', async () => {
    const engine = newEngine((b: number) => b);
    const seen: number[] = [];
    class Collect extends Metric<number[]> {
      #xs: number[] = [];
      reset(): void { this.#xs = []; }
      update(o: unknown): void { this.#xs.push(o as number); seen.push(o as number); }
      compute(): number[] { return [...this.#xs]; }
    }
    new Collect().attach(engine, 'c', { usage: new BatchFiltered({ every: 2 }) });
    await engine.run([1, 2, 3, 4, 5], { maxEpochs: 2 });
    assert.deepEqual(seen, [2, 4, 1, 3, 5]); // global iterations 2,4,6,8,10 -> data[(it-1) % 5]
    assert.deepEqual(engine.state.metrics['c'], [1, 3, 5]);
  });

  it('unknown usage names and types are rejected', () => {
    const engine = newEngine(() => 0);
    assert.throws(() => new Accuracy().attach(engine, 'a', { usage: 'sometimes' as UsageLike }), RangeError);
    assert.throws(() => new Accuracy().attach(engine, 'a', { usage: 3 as unknown as UsageLike }), TypeError);
  });
});

describe('values in state.metrics per usage (Accuracy on a real Engine)', () => {
  // batches of (yPred, y) binary data; per-batch correct counts 2/2, 0/2, 1/2, 2/2
  const batches = [
    [[1, 0], [1, 0]],
    [[1, 1], [0, 0]],
    [[0, 1], [0, 0]],
    [[1, 1], [1, 1]],
  ];
  const correct = [2, 0, 1, 2];
  const run = async (usage: UsageLike) => {
    const engine = newEngine((b: number[][]) => [tf.tensor1d(b[0]!), tf.tensor1d(b[1]!, 'int32')]);
    const values: number[] = [];
    new Accuracy().attach(engine, 'acc', { usage });
    engine.on(Events.ITERATION_COMPLETED, (e: typeof engine) => {
      tf.dispose(e.state.output as tf.Tensor[]);
      values.push(e.state.metrics['acc'] as number);
    });
    await engine.run(batches, { maxEpochs: 2, epochLength: 2 });
    return { values, final: engine.state.metrics['acc'] };
  };

  it('BatchWise: the accuracy of each batch', async () => {
    const { values } = await run('batch_wise');
    assert.deepEqual(values, correct.map((c) => c / 2));
  });

  it('RunningBatchWise: cumulative since the run started', async () => {
    const { values } = await run('running_batch_wise');
    let s = 0;
    assert.deepEqual(values, correct.map((c, i) => ((s += c), s / (2 * (i + 1)))));
  });

  it('SingleEpochRunningBatchWise: cumulative within each epoch', async () => {
    const { values } = await run('single_epoch_running_batch_wise');
    assert.deepEqual(values, [1, 0.5, 0.5, 0.75]);
  });

  it('EpochWise: the last epoch accuracy', async () => {
    const { final } = await run('epoch_wise');
    assert.equal(final, 0.75);
  });
});

describe('attach / detach / isAttached', () => {
  it('test_detach: no handlers left and no value written after detach', async () => {
    const engine = newEngine(() => [tf.tensor1d([1]), tf.tensor1d([1], 'int32')]);
    const acc = new Accuracy();
    acc.attach(engine, 'acc');
    assert.ok(acc.isAttached(engine));
    acc.detach(engine);
    assert.ok(!acc.isAttached(engine));
    assert.ok(!engine.hasEventHandler(acc.started));
    assert.ok(!engine.hasEventHandler(acc.iterationCompleted));
    assert.ok(!engine.hasEventHandler(acc.completed));
    await engine.run([0], { maxEpochs: 1 });
    assert.deepEqual(engine.state.metrics, {});
    acc.detach(engine); // idempotent
  });

  it('isAttached is per usage', () => {
    const engine = newEngine(() => 0);
    const acc = new Accuracy();
    acc.attach(engine, 'acc', { usage: 'batch_wise' });
    assert.ok(acc.isAttached(engine, { usage: 'batch_wise' }));
    assert.ok(acc.isAttached(engine, 'batch_wise')); // the usage may be passed directly
    assert.ok(!acc.isAttached(engine));
    acc.detach(engine, new BatchWise());
    assert.ok(!acc.isAttached(engine, 'batch_wise'));
  });

  it('spec item 12: an evaluator with w=0 on x=[[1],[2]], y=[[3],[4]] gives mse 12.5 and state.output (yPred, y)', async () => {
    const w = tf.scalar(0);
    const evaluator = newEngine((b: { x: number[][]; y: number[][] }) => [tf.mul(tf.tensor2d(b.x), w), tf.tensor2d(b.y)]);
    new MeanSquaredError().attach(evaluator, 'mse');
    const state = await evaluator.run([{ x: [[1]], y: [[3]] }, { x: [[2]], y: [[4]] }]);
    assert.equal(state.metrics['mse'], 12.5);
    assert.deepEqual((state.output as tf.Tensor[]).map((t) => t.arraySync()), [[[0]], [[4]]]);
    assert.equal(w.arraySync(), 0);
  });
});

describe('output formats', () => {
  it('object outputs are mapped by requiredOutputKeys; missing keys are a clear error', async () => {
    const engine = newEngine(() => ({ yPred: [1, 0], y: [1, 1], extra: 1 }));
    new Accuracy().attach(engine, 'acc');
    await engine.run([0], { maxEpochs: 1 });
    assert.equal(engine.state.metrics['acc'], 0.5);
    const bad = newEngine(() => ({ pred: [1], y: [1] }));
    new Accuracy().attach(bad, 'acc');
    await assert.rejects(bad.run([0], { maxEpochs: 1 }), /should contain \[yPred, y\] keys, but given \[pred, y\]/);
  });

  it('test_output_as_mapping_keys_is_none: an object output is a TypeError when requiredOutputKeys is null', async () => {
    const engine = newEngine(() => ({ loss: 1 }));
    new RunningAverage({ outputTransform: (x) => x }).attach(engine, 'ra');
    await assert.rejects(engine.run([0], { maxEpochs: 1 }), (e: unknown) => e instanceof TypeError && /should be a tuple\/list/.test(e.message));
  });

  it('outputTransform and metricsResultMode are validated', () => {
    assert.throws(() => new Accuracy({ outputTransform: 3 as unknown as (x: unknown) => unknown }), /outputTransform should be callable/);
    assert.throws(() => new Accuracy({ metricsResultMode: 'all' as 'both' }), RangeError);
  });

  it('custom requiredOutputKeys pass extra keys to update in order', () => {
    class WithX extends Metric<number> {
      override requiredOutputKeys = ['yPred', 'y', 'x'];
      last: unknown;
      reset(): void {}
      update(o: unknown): void { this.last = o; }
      compute(): number { return 0; }
    }
    const m = new WithX();
    m.iterationCompleted({ state: { output: { x: 3, y: 2, yPred: 1 }, metrics: {} }, on: () => 0, off: () => 0, hasEventHandler: () => false } as unknown as MetricEngine);
    assert.deepEqual(m.last, [1, 2, 3]);
  });

  it('[yPreds[], ys[]] lists of tensors are unrolled into one update per sample', async () => {
    const engine = newEngine(() => [
      [tf.tensor1d([0.2, 0.8]), tf.tensor1d([0.9, 0.1]), tf.tensor1d([0.3, 0.7])],
      [tf.scalar(1, 'int32'), tf.scalar(1, 'int32'), tf.scalar(1, 'int32')],
    ]);
    new Accuracy().attach(engine, 'acc');
    await engine.run([0], { maxEpochs: 1 });
    close(engine.state.metrics['acc'], 2 / 3, 1e-9);
  });

  it('object results are flattened (both / flatten / named) and a conflicting name is an error', () => {
    class Pair extends Metric<Record<string, number>> {
      reset(): void {}
      update(): void {}
      compute(): Record<string, number> { return { a: 1, b: 2 }; }
    }
    const state = (): MetricEngine => ({ state: { output: null, metrics: {} }, on: () => 0, off: () => 0, hasEventHandler: () => false }) as unknown as MetricEngine;
    const both = state();
    new Pair().completed(both, 'pair');
    assert.deepEqual(both.state.metrics, { a: 1, b: 2, pair: { a: 1, b: 2 } });
    const flat = state();
    new Pair({ metricsResultMode: 'flatten' }).completed(flat, 'pair');
    assert.deepEqual(flat.state.metrics, { a: 1, b: 2 });
    const named = state();
    new Pair({ metricsResultMode: 'named' }).completed(named, 'pair');
    assert.deepEqual(named.state.metrics, { pair: { a: 1, b: 2 } });
    assert.throws(() => new Pair().completed(state(), 'a'), /conflicting with mapping keys/);
  });

  it('a tensor returned by compute() becomes a number (rank 0) or arrays, and is disposed', () => {
    class T extends Metric<tf.Tensor> {
      constructor(readonly make: () => tf.Tensor) { super(); }
      reset(): void {}
      update(): void {}
      compute(): tf.Tensor { return this.make(); }
    }
    const eng = { state: { output: null, metrics: {} }, on: () => 0, off: () => 0, hasEventHandler: () => false } as unknown as MetricEngine;
    const n = tf.memory().numTensors;
    new T(() => tf.scalar(2.5)).completed(eng, 's');
    new T(() => tf.tensor2d([[1, 2]])).completed(eng, 'm');
    assert.deepEqual(eng.state.metrics, { s: 2.5, m: [[1, 2]] });
    assert.equal(tf.memory().numTensors, n);
  });
});

describe('MetricsLambda on an engine', () => {
  it('F1 = 2PR/(P+R) in one line; dependencies are attached partially; detach removes the lambda', async () => {
    const engine = newEngine((b: number[][]) => [b[0]!, b[1]!]);
    const p = new Precision();
    const r = new Recall();
    const f1 = div(mul(2, mul(p, r)), add(p, r));
    f1.attach(engine, 'f1');
    assert.ok(f1.isAttached(engine));
    assert.ok(engine.hasEventHandler(p.iterationCompleted, Events.ITERATION_COMPLETED));
    assert.ok(!p.isAttached(engine)); // not written to state.metrics itself
    await engine.run([[[1, 0, 1, 1], [1, 1, 0, 1]]], { maxEpochs: 1 });
    // P = 2/3, R = 2/3 -> F1 = 2/3
    close(engine.state.metrics['f1'], 2 / 3, 1e-6);
    assert.deepEqual(Object.keys(engine.state.metrics), ['f1']);
    f1.detach(engine);
    assert.ok(!f1.isAttached(engine));
  });

  it('a metric used several times in an expression is reset and updated once per batch', () => {
    let updates = 0;
    class Counter extends Metric<number> {
      #n = 0;
      reset(): void { this.#n = 0; }
      update(): void { updates += 1; this.#n += 1; }
      compute(): number { return this.#n; }
    }
    const c = new Counter();
    const expr = div(mul(2, mul(c, c)), add(c, c)); // 2c²/(2c) = c
    expr.update(null);
    expr.update(null);
    assert.equal(updates, 2);
    assert.equal(expr.compute(), 2);
  });

  it('update() is refused while attached, attach() is refused after manual updates', () => {
    const engine = newEngine(() => 0);
    const lam = new MetricsLambda((a: number) => a * 2, new Accuracy());
    lam.attach(engine, 'x');
    assert.throws(() => lam.update([[1], [1]]), /already attached/);
    const manual = new MetricsLambda((a: number) => a, new Accuracy());
    manual.update([[1], [1]]);
    assert.equal(manual.compute(), 1);
    assert.throws(() => manual.attach(engine, 'y'), /already updated/);
  });
});

describe('memory: leak-free across epochs and runs', () => {
  it('tf.memory().numTensors is flat across repeated engine runs with many metrics attached', async () => {
    const yp = tf.tensor2d([[0.1, 0.9, 0], [0.8, 0.1, 0.1], [0.2, 0.3, 0.5]]);
    const y = tf.tensor1d([1, 0, 1], 'int32');
    const engine = newEngine(() => [yp, y]);
    new Accuracy().attach(engine, 'acc');
    new Precision({ average: 'weighted' }).attach(engine, 'p');
    new Recall({ average: false }).attach(engine, 'r');
    const cm = new ConfusionMatrix(3);
    mIoU(cm).attach(engine, 'miou');
    new Loss((a, b) => tf.losses.softmaxCrossEntropy(tf.oneHot(b as tf.Tensor1D, 3), a)).attach(engine, 'loss');
    new RunningAverage(new Accuracy()).attach(engine, 'running_acc');
    await engine.run([0, 1, 2], { maxEpochs: 2 });
    const after1 = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      engine.state.maxEpochs = null;
      await engine.run([0, 1, 2], { maxEpochs: 2 });
      assert.equal(tf.memory().numTensors, after1, `run ${i + 2}`);
    }
    close(engine.state.metrics['acc'], 2 / 3, 1e-9);
    tf.dispose([yp, y]);
  });
});
