import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Engine, Events, defineEvents, silentLogger, type Logger } from '../../../src/engine/index.js';
import { InvalidEventError } from '../../../src/errors.js';
import { ProgressBar } from '../../../src/node/progress-bar/index.js';
import { FakeStream } from './fake-terminal.js';

// Ignite's tests compare the last tqdm frame; here every frame drawn on a fake terminal is kept (mininterval: 0) and
// the lines of Ignite's tests must be among them. Timing fields depend on the machine, so `norm` replaces them and the bar
// (whose width follows from the timing field's width); lines whose remaining time is `?` are compared exactly.
const BAR = /\|[ ▏▎▍▌▋▊▉█]*(?=, | \[)/;
const TIME = /\[\d\d:\d\d<(?:\d\d:\d\d|\?)\]$/;
const norm = (line: string): string => line.replace(BAR, '|<bar>').replace(TIME, '[<time>]');

await tf.setBackend('cpu');

function updateFn(engine: Engine<unknown, number>): number {
  engine.state.metrics['a'] = 1;
  return 1;
}

function tty(columns?: number): FakeStream {
  return new FakeStream(true, columns);
}

function assertSeen(stream: FakeStream, expected: string): void {
  assert.ok(stream.seen.includes(expected), `expected frame\n  ${expected}\namong\n  ${stream.seen.join('\n  ')}`);
}

function assertSeenNorm(stream: FakeStream, expected: string): void {
  const seen = stream.seen.map(norm);
  assert.ok(seen.includes(norm(expected)), `expected frame like\n  ${norm(expected)}\namong\n  ${seen.join('\n  ')}`);
}

function warnings(): { logger: Logger; messages: string[] } {
  const messages: string[] = [];
  return { logger: { ...silentLogger, warn: (m) => messages.push(m) }, messages };
}

describe('ProgressBar rendering (ported from tests/ignite/handlers/test_tqdm_logger.py)', () => {
  it('test_pbar: TTY frames, bar cleared at the closing event', async () => {
    const s = tty();
    const engine = new Engine(updateFn);
    new ProgressBar({ ncols: 80, stream: s, mininterval: 0 }).attach(engine, { metricNames: ['a'] });
    await engine.run([1, 2], { maxEpochs: 2 });
    assertSeen(s, 'Epoch [2/2]: [1/2]  50%|████████████████████▌                    , a=1 [00:00<?]');
    assertSeenNorm(s, 'Epoch [2/2]: [2/2] 100%|█████████████████████████████████████, a=1 [00:00<00:00]');
    for (const line of s.seen) assert.equal(Array.from(line).length, 80, line);
    assert.deepEqual(s.screen(), []);
    assert.deepEqual(s.cursor(), [0, 0]);
  });

  it('test_pbar_file: a non-TTY stream gets one line per epoch', async () => {
    const s = new FakeStream(false);
    const engine = new Engine(updateFn);
    new ProgressBar({ ncols: 80, stream: s }).attach(engine, { metricNames: ['a'] });
    await engine.run([1, 2], { maxEpochs: 2 });
    const lines = s.textLines().map(norm);
    assert.deepEqual(lines, [
      'Epoch [1/2]: [2/2] 100%|<bar>, a=1 [<time>]',
      'Epoch [2/2]: [2/2] 100%|<bar>, a=1 [<time>]',
    ]);
    assert.ok(!s.raw.includes('\r') && !s.raw.includes('\x1B'));
  });

  it('test_pbar_log_message: prints on both kinds of stream', () => {
    const file = new FakeStream(false);
    new ProgressBar({ stream: file }).logMessage('test');
    assert.equal(file.raw, 'test\n');
    const term = tty();
    new ProgressBar({ stream: term }).logMessage('test');
    assert.deepEqual(term.screen(), ['test']);
  });

  it('test_attach_fail_with_string and test_pbar_fail_with_non_callable_transform', () => {
    const engine = new Engine(updateFn);
    const pbar = new ProgressBar({ ncols: 80, stream: tty() });
    assert.throws(() => pbar.attach(engine, { metricNames: 'a' as unknown as 'all' }), TypeError);
    assert.throws(() => pbar.attach(engine, { outputTransform: 1 as unknown as () => number }), TypeError);
  });

  it('test_pbar_batch_indeces: every position 1..4 is drawn', async () => {
    const s = tty();
    const engine = new Engine((_e: Engine, _b: number) => null);
    new ProgressBar({ persist: true, ncols: 80, stream: s, mininterval: 0 }).attach(engine);
    await engine.run([0, 1, 2, 3], { maxEpochs: 1 });
    const positions = new Set(s.seen.map((l) => /\[(\d)\/4\]/.exec(l)?.[1]).filter((x) => x !== undefined));
    assert.deepEqual([...positions].sort(), ['1', '2', '3', '4']);
    assert.deepEqual(s.screen().map(norm), ['Iteration: [4/4] 100%|<bar> [<time>]']);
  });

  it('test_pbar_with_metric / test_pbar_with_all_metric (running average with alpha=0.5)', async () => {
    const s = tty();
    const losses = [0, 1];
    const trainer = new Engine((e: Engine<unknown, [number, number]>) => {
      const i = e.state.iteration - 1;
      return [losses[i] ?? 0, (losses[i] ?? 0) + 1] as [number, number];
    });
    // RunningAverage(alpha=0.5): first value as is, then 0.5 * previous + 0.5 * value.
    trainer.on(Events.ITERATION_COMPLETED, (e) => {
      const [l, m] = e.state.output ?? [0, 0];
      const prev = e.state.metrics as { batchloss?: number; 'another batchloss'?: number };
      e.state.metrics['batchloss'] = prev.batchloss === undefined ? l : 0.5 * prev.batchloss + 0.5 * l;
      e.state.metrics['another batchloss'] = prev['another batchloss'] === undefined ? m : 0.5 * prev['another batchloss'] + 0.5 * m;
    });
    new ProgressBar({ ncols: 80, stream: s, mininterval: 0 }).attach(trainer, { metricNames: 'all' });
    await trainer.run([0, 1], { maxEpochs: 1 });
    // Ignite's expected string shows position 1 with the value of iteration 2 (tqdm draws in set_postfix, before
    // update()); kindling draws after updating the position, so each position shows its own value.
    // 22 + 44 characters around the bar leave 14 for it: 7 full blocks at 50%.
    assertSeen(s, 'Iteration: [1/2]  50%|███████       , batchloss=0, another batchloss=1 [00:00<?]');
    assertSeenNorm(s, 'Iteration: [2/2] 100%|█████, batchloss=0.5, another batchloss=1.5 [00:00<00:00]');
  });

  it('test_pbar_with_state_attrs: numbers, 0-d and 1-D values, trimmed to ncols', async () => {
    for (const ncols of [80, 120]) {
      const s = tty(ncols);
      const trainer = new Engine((e: Engine) => e.state.iteration - 1);
      trainer.state['alpha'] = 3.899;
      trainer.state['beta'] = new Float32Array([12.21])[0];
      trainer.state['gamma'] = [21.0, 6.0];
      trainer.on(Events.ITERATION_COMPLETED, (e) => {
        e.state.metrics['batchloss'] = e.state.iteration === 1 ? 0 : 0.5;
      });
      new ProgressBar({ ncols, stream: s, mininterval: 0 }).attach(trainer, {
        metricNames: ['batchloss'],
        stateAttributes: ['alpha', 'beta', 'gamma'],
      });
      await trainer.run([0, 1], { maxEpochs: 1 });
      if (ncols === 80) assertSeen(s, 'Iteration: [2/2] 100%|█, batchloss=0.5, alpha=3.9, beta=12.2, gamma_0=21, gamma_');
      else assertSeenNorm(s, 'Iteration: [2/2] 100%|█, batchloss=0.5, alpha=3.9, beta=12.2, gamma_0=21, gamma_1=6 [00:00<00:00]');
    }
  });

  it('test_pbar_no_metric_names, test_pbar_with_output, scalar and string outputs', async () => {
    const cases: [Parameters<ProgressBar['attach']>[1], string][] = [
      [{}, 'Epoch [2/2]: [1/2]  50%|███████████████████████                        [00:00<?]'],
      [{ outputTransform: (x: unknown) => ({ a: x }) }, 'Epoch [2/2]: [1/2]  50%|████████████████████▌                    , a=1 [00:00<?]'],
      [{ outputTransform: (x: unknown) => x }, 'Epoch [2/2]: [1/2]  50%|██████████████████                  , output=1 [00:00<?]'],
      [{ outputTransform: () => 'red' }, 'Epoch [2/2]: [1/2]  50%|█████████████████                 , output=red [00:00<?]'],
    ];
    for (const [options, expected] of cases) {
      const s = tty();
      const engine = new Engine(updateFn);
      new ProgressBar({ ncols: 80, stream: s, mininterval: 0 }).attach(engine, options);
      await engine.run([1, 2], { maxEpochs: 2 });
      assertSeen(s, expected);
    }
  });

  it('test_pbar_with_tqdm_kwargs and test_pbar_for_validation: desc', async () => {
    const s = tty();
    const engine = new Engine(updateFn);
    new ProgressBar({ desc: 'My description: ', ncols: 80, stream: s, mininterval: 0 }).attach(engine, { outputTransform: (x) => x });
    await engine.run([1, 2, 3, 4, 5], { maxEpochs: 10 });
    assertSeenNorm(s, 'My description:  [10/10]: [4/5]  80%|███████████████▏   , output=1 [00:00<00:00]');
    const v = tty();
    const evaluator = new Engine(updateFn);
    new ProgressBar({ desc: 'Validation', ncols: 80, stream: v, mininterval: 0 }).attach(evaluator);
    await evaluator.run([1, 2, 3, 4, 5], { maxEpochs: 1 });
    assertSeenNorm(v, 'Validation: [4/5]  80%|██████████████████████████████████▍         [00:00<00:00]');
  });

  it('test_pbar_with_max_epochs_set_to_one and description suffix only for repeated closing events', async () => {
    const s = tty();
    const engine = new Engine(updateFn);
    new ProgressBar({ ncols: 80, stream: s, mininterval: 0 }).attach(engine, { metricNames: ['a'] });
    await engine.run([1, 2], { maxEpochs: 1 });
    assertSeen(s, 'Iteration: [1/2]  50%|█████████████████████▌                     , a=1 [00:00<?]');
    assert.ok(s.seen.every((l) => l.startsWith('Iteration: [')));
  });
});

describe('ProgressBar events (ported)', () => {
  it('test_pbar_output_tensor: 1-D, int and float 0-d tensors; no tensor leak', async () => {
    const cases: [tf.Tensor, string][] = [
      [tf.tensor1d([5, 0], 'int32'), '80%|████████████▊   , output_0=5, output_1=0'],
      [tf.scalar(123, 'int32'), '80%|██████████████████████▍     , output=123'],
      [tf.scalar(1.234), '80%|█████████████████████▌     , output=1.23'],
    ];
    const before = tf.memory().numTensors;
    for (const [tensor, msg] of cases) {
      const s = tty();
      const engine = new Engine(() => tensor);
      new ProgressBar({ desc: 'Output tensor', ncols: 80, stream: s, mininterval: 0 }).attach(engine, { outputTransform: (x) => x });
      await engine.run([1, 2, 3, 4, 5], { maxEpochs: 1 });
      assertSeenNorm(s, `Output tensor: [4/5]  ${msg} [00:00<00:00]`);
    }
    assert.equal(tf.memory().numTensors, before);
    tf.dispose(cases.map(([t]) => t));
  });

  it('test_pbar_output_warning: a rank-4 output warns through engine.logger, once', async () => {
    const big = tf.zeros([1, 2, 3, 4]);
    const { logger, messages } = warnings();
    const engine = new Engine(() => big, { logger });
    new ProgressBar({ desc: 'Output tensor', ncols: 80, stream: tty(), mininterval: 0 }).attach(engine, { outputTransform: (x) => x });
    await engine.run([1, 2, 3, 4, 5], { maxEpochs: 1 });
    assert.equal(messages.length, 1);
    assert.match(messages[0] ?? '', /^Logger output_handler can not log metrics value type Tensor \(rank 4/);
    big.dispose();
  });

  it('warns once about a missing metric and still draws', async () => {
    const { logger, messages } = warnings();
    const s = tty();
    const engine = new Engine(updateFn, { logger });
    new ProgressBar({ ncols: 80, stream: s, mininterval: 0 }).attach(engine, { metricNames: ['a', 'nope'] });
    await engine.run([1, 2, 3], { maxEpochs: 2 });
    assert.deepEqual(messages, ["Provided metric name 'nope' is missing in engine's state metrics: ['a']"]);
    assertSeenNorm(s, 'Epoch [1/2]: [2/3]  67%|<bar>, a=1 [00:00<00:00]');
  });

  it('test_pbar_on_epochs: EPOCH_STARTED with closing COMPLETED', async () => {
    const s = tty();
    const engine = new Engine(updateFn);
    new ProgressBar({ ncols: 80, stream: s, mininterval: 0 }).attach(engine, {
      eventName: Events.EPOCH_STARTED,
      closingEventName: Events.COMPLETED,
    });
    await engine.run([1, 2, 3, 4, 5], { maxEpochs: 10 });
    assertSeenNorm(s, 'Epoch: [9/10]  90%|██████████████████████████████████████████▎     [00:00<00:00]');
  });

  it('test_pbar_wrong_events_order', () => {
    const engine = new Engine(updateFn);
    const pbar = new ProgressBar({ ncols: 80, stream: tty() });
    const wrong: [typeof Events.COMPLETED, typeof Events.COMPLETED][] = [
      [Events.COMPLETED, Events.COMPLETED],
      [Events.COMPLETED, Events.EPOCH_COMPLETED],
      [Events.COMPLETED, Events.ITERATION_COMPLETED],
      [Events.EPOCH_COMPLETED, Events.EPOCH_COMPLETED],
      [Events.ITERATION_COMPLETED, Events.ITERATION_STARTED],
    ];
    for (const [eventName, closingEventName] of wrong) {
      assert.throws(() => pbar.attach(engine, { eventName, closingEventName }), {
        name: 'InvalidEventError',
        message: new RegExp(`^Logging event ${eventName.name} should be called before closing event ${closingEventName.name}`),
      });
    }
    assert.throws(
      () => pbar.attach(engine, { eventName: Events.ITERATION_STARTED, closingEventName: Events.EPOCH_COMPLETED({ every: 10 }) }),
      (e: unknown) => e instanceof InvalidEventError && /^Closing Event should not be a filtered event/.test(e.message),
    );
  });

  it('test_pbar_errors: an event the engine does not know', () => {
    const engine = new Engine(updateFn);
    const pbar = new ProgressBar({ ncols: 80, stream: tty() });
    assert.throws(() => pbar.attach(engine, { eventName: 'abc' }), {
      name: 'InvalidEventError',
      message: 'Logging event abc is not in allowed events for this engine',
    });
    const Custom = defineEvents({ STEP: 'custom_step' });
    engine.registerEvents(Custom);
    assert.throws(() => pbar.attach(engine, { eventName: Custom.STEP }), { name: 'InvalidEventError', message: /can only use the events/ });
  });

  it('test_pbar_with_nan_input: terminate on NaN, epoch-level bar', async () => {
    for (const [data, iterations] of [[[NaN, NaN, NaN], 1], [[...Array<number>(1000).fill(1), ...Array<number>(25).fill(NaN)], 1001]] as const) {
      const s = new FakeStream(false);
      const engine = new Engine((_e: Engine, x: number) => x);
      engine.on(Events.ITERATION_COMPLETED, (e) => {
        if (Number.isNaN(e.state.output)) e.terminate();
      });
      new ProgressBar({ ncols: 80, stream: s }).attach(engine, { eventName: Events.EPOCH_COMPLETED, closingEventName: Events.COMPLETED });
      await engine.run([...data]);
      assert.equal(engine.shouldTerminate, true);
      assert.equal(engine.state.iteration, iterations);
      assert.equal(engine.state.epoch, 1);
    }
  });

  it('test_pbar_on_callable_events: ITERATION_STARTED({ every: 10 })', async () => {
    const s = tty();
    const engine = new Engine(updateFn);
    new ProgressBar({ ncols: 80, stream: s, mininterval: 0 }).attach(engine, {
      eventName: Events.ITERATION_STARTED({ every: 10 }),
      closingEventName: Events.EPOCH_COMPLETED,
    });
    await engine.run(Array.from({ length: 100 }, (_, i) => i), { maxEpochs: 1 });
    assertSeenNorm(s, 'Iteration: [90/100]  90%|████████████████████████████████████▉     [00:00<00:00]');
    const positions = s.seen.map((l) => /\[(\d+)\/100\]/.exec(l)?.[1]);
    assert.deepEqual(positions, ['10', '20', '30', '40', '50', '60', '70', '80', '90', '100']);
  });

  it('test_tqdm_logger_epoch_length: persisted final line', async () => {
    const s = tty();
    const engine = new Engine(updateFn);
    new ProgressBar({ persist: true, ncols: 80, stream: s }).attach(engine);
    await engine.run(Array.from({ length: 100 }, (_, i) => i), { epochLength: 50 });
    assert.deepEqual(s.screen().map(norm), [norm('Iteration: [50/50] 100%|██████████████████████████████████████████ [00:00<00:00]')]);
  });

  it('test_tqdm_logger_iter_without_epoch_length: unknown length, then known', async () => {
    const size = 11;
    function* finite(): Generator<number> {
      for (let i = 0; i < size; i += 1) yield i;
    }
    const s = new FakeStream(false);
    const trainer = new Engine((_e: Engine, _b: number) => null);
    trainer.on(Events.ITERATION_COMPLETED({ every: size }), (e) => {
      e.state.dataloader = finite();
    });
    new ProgressBar({ persist: true, ncols: 80, stream: s }).attach(trainer);
    await trainer.run(finite(), { maxEpochs: 5 });
    const lines = s.textLines().map(norm);
    assert.equal(lines.length, 5);
    assert.equal(lines[4], norm('Epoch [5/5]: [11/11] 100%|████████████████████████████████████████ [00:00<00:00]'));
  });
});
