// Ported from Ignite's tests/ignite/engine/test_engine.py: terminate, terminateEpoch and interrupt, with exact event traces.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Engine, Events, type CallableEvent, type FilteredEvent } from '../../src/index.js';
import { expectedTrace, makeEngine, range, recordTrace, type Trace } from './helpers.js';

describe('terminate()', () => {
  it('terminate sets shouldTerminate (true / "skip_completed"), which stays set; the iterator is released', async () => {
    const engine = makeEngine();
    engine.on(Events.ITERATION_COMPLETED({ once: 3 }), (e) => e.terminate());
    await engine.run(range(10));
    assert.equal(engine.shouldTerminate, true);
    const other = makeEngine();
    other.on(Events.ITERATION_COMPLETED({ once: 3 }), (e) => e.terminate({ skipCompleted: true }));
    await other.run(range(10));
    assert.equal(other.shouldTerminate, 'skip_completed');
  });

  const points: [string, CallableEvent | FilteredEvent, number, number][] = [
    ['STARTED', Events.STARTED, 0, 0],
    ['EPOCH_STARTED(once=2)', Events.EPOCH_STARTED({ once: 2 }), 2, 10],
    ['EPOCH_COMPLETED(once=2)', Events.EPOCH_COMPLETED({ once: 2 }), 2, 20],
    ['GET_BATCH_STARTED(once=12)', Events.GET_BATCH_STARTED({ once: 12 }), 2, 12],
    ['GET_BATCH_COMPLETED(once=12)', Events.GET_BATCH_COMPLETED({ once: 12 }), 2, 12],
    ['ITERATION_STARTED(once=14)', Events.ITERATION_STARTED({ once: 14 }), 2, 14],
    ['ITERATION_COMPLETED(once=14)', Events.ITERATION_COMPLETED({ once: 14 }), 2, 14],
  ];
  for (const skip of [false, true]) {
    for (const [label, event, epoch, iteration] of points) {
      it(`test_terminate_events_sequence: terminate(${skip ? 'skipCompleted' : ''}) at ${label} ends with X, TERMINATE${skip ? '' : ', COMPLETED'} at (${epoch}, ${iteration})`, async () => {
        const engine = makeEngine();
        const trace = recordTrace(engine);
        engine.on(event, (e) => e.terminate({ skipCompleted: skip }));
        await engine.run(range(10), { maxEpochs: 5 });
        const name = event.name;
        const tail: Trace = [[name, epoch, iteration], ['terminate', epoch, iteration]];
        if (!skip) tail.push(['completed', epoch, iteration]);
        assert.deepEqual(trace.slice(-tail.length), tail);
        assert.ok(!trace.some((t) => t[0] === 'exception_raised'));
        // Everything before X is an uninterrupted run's prefix.
        const full = expectedTrace(10, 5);
        assert.deepEqual(trace.slice(0, -tail.length + 1), full.slice(0, trace.length - tail.length + 1));
      });
    }
  }

  it('terminate at ITERATION_STARTED(13): no process call for 13; a second run continues at 14 from data[0] to 43', async () => {
    const calls: [number, number][] = [];
    const engine = makeEngine((e, b: number) => calls.push([e.state.iteration, b]));
    const handle = engine.on(Events.ITERATION_STARTED({ once: 13 }), (e) => e.terminate());
    let started: [number, number] | null = null;
    engine.on(Events.STARTED, (e) => {
      started = [e.state.epoch, e.state.iteration];
    });
    let state = await engine.run(range(10), { maxEpochs: 5 });
    assert.equal(state.iteration, 13);
    assert.equal(state.epoch, 2);
    assert.ok(!calls.some(([i]) => i === 13));
    handle.remove();
    calls.length = 0;
    state = await engine.run(range(10));
    assert.deepEqual(started, [2, 13]);
    assert.deepEqual(calls[0], [14, 0]);
    assert.equal(state.iteration, 43);
    assert.equal(state.epoch, 5);
  });

  it('terminate at EPOCH_STARTED of epoch 3: state (3, 20); re-running ends at (5, 40)', async () => {
    const engine = makeEngine();
    const h = engine.on(Events.EPOCH_STARTED({ once: 3 }), (e) => e.terminate());
    let state = await engine.run(range(10), { maxEpochs: 5 });
    assert.deepEqual([state.epoch, state.iteration], [3, 20]);
    h.remove();
    state = await engine.run(range(10));
    assert.deepEqual([state.epoch, state.iteration], [5, 40]);
  });

  it('terminate at iteration 10 of a 20-item 1-epoch run: done; running again restarts and stops at 10 again', async () => {
    const engine = makeEngine();
    engine.on(Events.ITERATION_COMPLETED({ every: 10 }), (e) => e.terminate());
    let state = await engine.run(range(20));
    assert.equal(state.iteration, 10);
    state = await engine.run(range(20));
    assert.equal(state.iteration, 10);
    assert.equal(state.epoch, 1);
  });
});

describe('terminateEpoch()', () => {
  for (const skip of [false, true]) {
    it(`test_terminate_epoch_stops_mid_epoch${skip ? ' (skipEpochCompleted)' : ''}: ends at (3, 24)`, async () => {
      const engine = makeEngine();
      const trace = recordTrace(engine);
      const counters: unknown[] = [];
      engine.on(Events.TERMINATE_SINGLE_EPOCH, (_e, iterCounter: unknown) => counters.push(iterCounter));
      engine.on(Events.ITERATION_COMPLETED({ once: 14 }), (e) => e.terminateEpoch({ skipEpochCompleted: skip }));
      const flags: unknown[] = [];
      engine.on(Events.EPOCH_STARTED, (e) => flags.push(e.shouldTerminateSingleEpoch));
      const state = await engine.run(range(10), { maxEpochs: 3 });
      assert.deepEqual([state.epoch, state.iteration], [3, 24]);
      assert.equal(trace.filter((t) => t[0] === 'epoch_completed').length, skip ? 2 : 3);
      const i = trace.findIndex((t) => t[0] === 'terminate_single_epoch');
      assert.deepEqual(trace.slice(i - 1, i + (skip ? 2 : 3)), [
        ['iteration_completed', 2, 14],
        ['terminate_single_epoch', 2, 14],
        ...(skip ? [] : [['epoch_completed', 2, 14] as [string, number, number]]),
        ['epoch_started', 3, 14],
      ]);
      assert.deepEqual(counters, [4]);
      assert.deepEqual(flags, [false, false, false]);
      // The epoch after restarts the data: iteration 15 gets data[0].
    });
  }

  it('terminateEpoch() in STARTED or EPOCH_STARTED makes run() reject', async () => {
    for (const ev of [Events.STARTED, Events.EPOCH_STARTED]) {
      const engine = makeEngine();
      engine.on(ev, (e) => e.terminateEpoch());
      await assert.rejects(engine.run(range(5)), /terminateEpoch\(\) should not be called on Events\.STARTED or Events\.EPOCH_STARTED/);
    }
  });
});

describe('interrupt()', () => {
  const points: [string, CallableEvent | FilteredEvent][] = [
    ['STARTED', Events.STARTED],
    ['EPOCH_STARTED(once=2)', Events.EPOCH_STARTED({ once: 2 })],
    ['GET_BATCH_STARTED(once=12)', Events.GET_BATCH_STARTED({ once: 12 })],
    ['GET_BATCH_COMPLETED(once=12)', Events.GET_BATCH_COMPLETED({ once: 12 })],
    ['ITERATION_STARTED(once=14)', Events.ITERATION_STARTED({ once: 14 })],
    ['ITERATION_COMPLETED(once=14)', Events.ITERATION_COMPLETED({ once: 14 })],
    ['EPOCH_COMPLETED(once=2)', Events.EPOCH_COMPLETED({ once: 2 })],
    ['DATALOADER_STOP_ITERATION(once)', Events.DATALOADER_STOP_ITERATION],
  ];
  for (const [label, event] of points) {
    it(`test_interrupt_and_resume at ${label}: returns after X then INTERRUPT; the resumed trace equals an uninterrupted run's`, async () => {
      const engine = makeEngine();
      const trace = recordTrace(engine);
      let fired = false;
      engine.on(event, (e) => {
        if (!fired) e.interrupt();
        fired = true;
      });
      const state = await engine.run(range(10), { maxEpochs: 3 });
      const last = trace.slice(-2);
      assert.equal(last[0]?.[0], event.name);
      assert.equal(last[1]?.[0], 'interrupt');
      assert.deepEqual(last[1]?.slice(1), [state.epoch, state.iteration]);
      assert.equal(engine.shouldInterrupt, false);
      await engine.run(range(10));
      assert.equal(trace.filter((t) => t[0] === 'started').length, 1);
      const expected = expectedTrace(10, 3);
      if (event === Events.DATALOADER_STOP_ITERATION) {
        // Ignite fires GET_BATCH_STARTED again on resume: its check is `last_event_name != DATALOADER_STOP_ITERATION`,
        // and the last event before the pause was INTERRUPT.
        const at = expected.findIndex((t) => t[0] === 'dataloader_stop_iteration');
        expected.splice(at + 1, 0, ['get_batch_started', ...(expected[at]!.slice(1) as [number, number])]);
      }
      assert.deepEqual(trace.filter((t) => t[0] !== 'interrupt'), expected);
    });
  }

  it('test_interrupt_every: interrupting every 6 iterations returns at (1,6) (2,12) (2,18) (3,24) (3,30), then completes at 30', async () => {
    const engine = makeEngine();
    engine.on(Events.ITERATION_COMPLETED({ every: 6 }), (e) => e.interrupt());
    const stops: [number, number][] = [];
    let state = await engine.run(range(10), { maxEpochs: 3 });
    stops.push([state.epoch, state.iteration]);
    while (engine.lastEventName !== Events.COMPLETED) {
      state = await engine.run(range(10));
      stops.push([state.epoch, state.iteration]);
    }
    // Iteration 30 is a multiple of 6 too: the run pauses there once more, then the next run() completes.
    assert.deepEqual(stops, [[1, 6], [2, 12], [2, 18], [3, 24], [3, 30], [3, 30]]);
    let restarted: [number, number] | null = null;
    engine.on(Events.STARTED, (e) => {
      restarted = [e.state.epoch, e.state.iteration];
    });
    await engine.run(range(10));
    assert.deepEqual(restarted, [0, 0]);
  });

  it('interrupt, then state.maxEpochs = null, then run() restarts from (0, 0)', async () => {
    const engine = makeEngine();
    const h = engine.on(Events.ITERATION_COMPLETED({ once: 5 }), (e) => e.interrupt());
    await engine.run(range(10), { maxEpochs: 3 });
    h.remove();
    engine.state.maxEpochs = null;
    const trace = recordTrace(engine);
    const state = await engine.run(range(10), { maxEpochs: 2 });
    assert.deepEqual(trace, expectedTrace(10, 2));
    assert.equal(state.iteration, 20);
  });

  it('interrupt works with async handlers, an async process function and async data', async () => {
    async function* agen(): AsyncGenerator<number> {
      for (const x of range(10)) {
        await Promise.resolve();
        yield x;
      }
    }
    const engine = new Engine(async (_e, b: number) => {
      await Promise.resolve();
      return b;
    });
    engine.on(Events.ITERATION_COMPLETED({ every: 7 }), async (e) => {
      await Promise.resolve();
      e.interrupt();
    });
    const data = { length: 10, [Symbol.asyncIterator]: agen };
    const stops: number[] = [];
    let state = await engine.run(data, { maxEpochs: 2 });
    stops.push(state.iteration);
    while (state.iteration < 20) {
      state = await engine.run(data);
      stops.push(state.iteration);
    }
    assert.deepEqual(stops, [7, 14, 20]);
  });
});

describe('interrupt() at DATALOADER_STOP_ITERATION', () => {
  it('test_engine_run_interrupt_resume: resuming after an interrupt at DATALOADER_STOP_ITERATION fires GET_BATCH_STARTED again', async () => {
    const engine = makeEngine();
    engine.on(Events.DATALOADER_STOP_ITERATION, (e) => e.interrupt());
    const trace = recordTrace(engine);
    let state = await engine.run(range(2), { maxEpochs: 2 });
    assert.equal(state.iteration, 2);
    assert.deepEqual(trace.slice(-4), [
      ['epoch_started', 2, 2],
      ['get_batch_started', 2, 2],
      ['dataloader_stop_iteration', 2, 2],
      ['interrupt', 2, 2],
    ]);
    const before = trace.length;
    state = await engine.run(range(2));
    assert.equal(state.iteration, 4);
    // Ignite checks `last_event_name != DATALOADER_STOP_ITERATION`; after the pause the last event is INTERRUPT.
    assert.deepEqual(trace.slice(before).map((t) => t[0]).slice(0, 4), [
      'get_batch_started',
      'get_batch_completed',
      'iteration_started',
      'iteration_completed',
    ]);
    const counts = trace.reduce((m, t) => m.set(t[0], (m.get(t[0]) ?? 0) + 1), new Map<string, number>());
    assert.equal(counts.get('get_batch_started'), 5);
    assert.equal(counts.get('get_batch_completed'), 4);
  });
});
