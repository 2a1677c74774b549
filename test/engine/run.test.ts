// Ported from Ignite's tests/ignite/engine/test_engine.py: construction, run arguments, event counts, state after a run.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Engine, Events, EngineStateError, defineEvents, silentLogger } from '../../src/index.js';
import { countEvents, expectedTrace, infinite, makeEngine, range, recordTrace } from './helpers.js';

describe('Engine construction and run arguments', () => {
  it('test_engine_no_process_function: Engine(null) throws', () => {
    assert.throws(() => new Engine(null as never), /Engine must be given a processing function/);
  });

  it('a process function requiring more than (engine, batch) is rejected with the signature message', () => {
    assert.throws(
      () => new Engine(((_e: unknown, _b: unknown, _c: unknown) => 0) as never),
      /Error adding .* takes parameters \[_e, _b, _c\] but will be called with \[engine, batch\]/,
    );
  });

  it('test_run_asserts: non-iterable data, empty data, no data and no epochLength', async () => {
    const engine = makeEngine();
    await assert.rejects(engine.run(42 as never), (e: unknown) => e instanceof TypeError && /Argument data should be iterable/.test(String(e)));
    await assert.rejects(engine.run([]), /Input data has zero size/);
    await assert.rejects(engine.run(null, { maxEpochs: 10 }), /epochLength should be provided if data is null/);
    await assert.rejects(engine.run([1], { maxEpochs: 0 }), /Argument maxEpochs is invalid/);
    await assert.rejects(engine.run([1], { maxEpochs: 2, maxIters: 3 }), /mutually exclusive/);
  });

  it('test_run_with_data_none: batch is null, no GET_BATCH / DATALOADER_STOP_ITERATION, resume to 200', async () => {
    const batches: unknown[] = [];
    const engine = makeEngine((_e, b) => batches.push(b));
    const counts = countEvents(engine);
    await engine.run(null, { maxEpochs: 10, epochLength: 10 });
    assert.equal(batches.length, 100);
    assert.ok(batches.every((b) => b === null));
    for (const ev of ['get_batch_started', 'get_batch_completed', 'dataloader_stop_iteration']) assert.equal(counts.get(ev), undefined);
    const state = await engine.run(null, { maxEpochs: 20 });
    assert.equal(state.iteration, 200);
    assert.equal(state.epoch, 20);
  });
});

describe('Event counts and order', () => {
  const cases: [number, number, number, number][] = [
    [10, 10, 4, 3],
    [100, 50, 5, 2],
    [100, 150, 5, 7],
  ];
  for (const [L, E, M, stops] of cases) {
    it(`test_epoch_length_and_dataloader_stop_iteration: L=${L} E=${E} M=${M} gives ${stops} DATALOADER_STOP_ITERATION`, async () => {
      const engine = makeEngine();
      const counts = countEvents(engine);
      await engine.run(range(L), { maxEpochs: M, epochLength: E });
      assert.equal(counts.get('started'), 1);
      assert.equal(counts.get('completed'), 1);
      assert.equal(counts.get('epoch_started'), M);
      assert.equal(counts.get('epoch_completed'), M);
      for (const ev of ['iteration_started', 'iteration_completed', 'get_batch_started', 'get_batch_completed']) {
        assert.equal(counts.get(ev), M * E, ev);
      }
      assert.equal(counts.get('dataloader_stop_iteration') ?? 0, Math.ceil((M * E) / L) - 1);
      assert.equal(stops, Math.ceil((M * E) / L) - 1);
    });
  }

  it('an infinite iterator with epochLength fires no DATALOADER_STOP_ITERATION', async () => {
    const engine = makeEngine();
    const counts = countEvents(engine);
    const state = await engine.run(infinite(), { maxEpochs: 3, epochLength: 5 });
    assert.equal(state.iteration, 15);
    assert.equal(counts.get('dataloader_stop_iteration'), undefined);
  });

  it('the full event trace of a run equals Ignite\'s loop (built independently)', async () => {
    const engine = makeEngine();
    const trace = recordTrace(engine);
    await engine.run([1, 2, 3], { maxEpochs: 3 });
    assert.deepEqual(trace, expectedTrace(3, 3));
  });

  it('test_iteration_events_are_fired: ITERATION_STARTED and ITERATION_COMPLETED alternate', async () => {
    const seq: string[] = [];
    const engine = makeEngine();
    engine.on(Events.ITERATION_STARTED, (...args: unknown[]) => seq.push(`s${args.length}`));
    engine.on(Events.ITERATION_COMPLETED, (...args: unknown[]) => seq.push(`c${args.length}`));
    await engine.run(range(5), { maxEpochs: 2 });
    assert.deepEqual(seq, range(10).flatMap(() => ['s1', 'c1']));
  });

  it('test_state_after_run: counters, last output and batch, same dataloader, empty metrics', async () => {
    const data = [1, 2, 3];
    const engine = makeEngine((_e, b: number) => b * 10);
    const state = await engine.run(data, { maxEpochs: 3 });
    assert.equal(state.iteration, 9);
    assert.equal(state.epoch, 3);
    assert.equal(state.output, 30);
    assert.equal(state.batch, 3);
    assert.equal(state.dataloader, data);
    assert.deepEqual(state.metrics, {});
    assert.equal(state.maxEpochs, 3);
    assert.equal(state.epochLength, 3);
  });

  it('test_last_event_name: null before, the current event inside handlers, COMPLETED after', async () => {
    const engine = makeEngine();
    assert.equal(engine.lastEventName, null);
    const seen: boolean[] = [];
    for (const ev of [Events.STARTED, Events.EPOCH_STARTED, Events.ITERATION_STARTED, Events.ITERATION_COMPLETED, Events.EPOCH_COMPLETED]) {
      engine.on(ev, (e) => seen.push(e.lastEventName === ev));
    }
    await engine.run([1, 2]);
    assert.ok(seen.length > 0 && seen.every(Boolean));
    assert.equal(engine.lastEventName, Events.COMPLETED);
    assert.ok(engine.lastEventName == 'completed', 'converts to its name');
  });

  it('the process function receives data[(iteration - 1) % len] across epochs', async () => {
    const data = [10, 20, 30, 40];
    const got: [number, number][] = [];
    const engine = makeEngine((e, b: number) => got.push([e.state.iteration, b]));
    await engine.run(data, { maxEpochs: 3, epochLength: 3 });
    assert.deepEqual(got, range(9).map((i) => [i + 1, data[i % 4] as number]));
  });
});

describe('Batch replacement, setData, times', () => {
  it('test_alter_batch: a batch assigned at ITERATION_STARTED reaches the process function', async () => {
    const got: unknown[] = [];
    const engine = makeEngine((_e, b) => got.push(b));
    engine.on(Events.ITERATION_STARTED, (e) => {
      e.state.batch = `altered-${String(e.state.batch)}`;
    });
    await engine.run([1, 2]);
    assert.deepEqual(got, ['altered-1', 'altered-2']);
  });

  it('test_set_data: setData at ITERATION_COMPLETED(once=35) switches the source for iterations >= 36', async () => {
    const data1 = range(10).map((i) => `a${i}`);
    const data2 = range(10).map((i) => `b${i}`);
    const got: [number, string][] = [];
    const engine = makeEngine((e, b: string) => got.push([e.state.iteration, b]));
    engine.on(Events.ITERATION_COMPLETED({ once: 35 }), (e) => e.setData(data2));
    const state = await engine.run(data1, { maxEpochs: 6 });
    assert.equal(state.epochLength, 10);
    assert.ok(got.filter(([i]) => i <= 35).every(([, b]) => b.startsWith('a')));
    assert.ok(got.filter(([i]) => i > 35).every(([, b]) => b.startsWith('b')));
    assert.equal(got.find(([i]) => i === 36)?.[1], 'b0');
  });

  it('test_time_stored_in_state: times include handler time afterwards', async () => {
    const busy = (ms: number): void => {
      const end = performance.now() + ms;
      while (performance.now() < end) { /* busy wait */ }
    };
    const engine = makeEngine(() => busy(2));
    const seenEpoch: number[] = [];
    const seenCompleted: number[] = [];
    engine.on(Events.EPOCH_COMPLETED, (e) => {
      seenEpoch.push(e.state.times.EPOCH_COMPLETED as number);
      busy(10);
    });
    engine.on(Events.COMPLETED, (e) => {
      seenCompleted.push(e.state.times.COMPLETED as number);
      busy(10);
    });
    assert.equal(engine.state.times.EPOCH_COMPLETED, null);
    const state = await engine.run(range(3), { maxEpochs: 2 });
    assert.ok((seenEpoch[0] as number) >= 0.006, 'epoch time covers the process function');
    assert.ok((state.times.EPOCH_COMPLETED as number) >= (seenEpoch[1] as number) + 0.009, 'updated with handler time');
    assert.ok((state.times.COMPLETED as number) >= (seenCompleted[0] as number) + 0.009);
    assert.ok((seenCompleted[0] as number) >= 2 * 0.006 + 0.009 * 2);
  });
});

describe('Re-entry and cancellation (JavaScript additions)', () => {
  it('run() while a run is pending rejects with EngineStateError', async () => {
    const engine = new Engine(async (_e, b: number) => {
      await new Promise((r) => setTimeout(r, 1));
      return b;
    }, { logger: silentLogger });
    const first = engine.run(range(5));
    await assert.rejects(engine.run(range(5)), (e: unknown) => e instanceof EngineStateError && /still pending/.test(String(e)));
    const state = await first;
    assert.equal(state.iteration, 5);
  });

  it('an aborted AbortSignal terminates the run', async () => {
    const controller = new AbortController();
    const engine = makeEngine();
    engine.on(Events.ITERATION_COMPLETED({ once: 4 }), () => controller.abort());
    const trace = recordTrace(engine);
    const state = await engine.run(range(10), { maxEpochs: 3, signal: controller.signal });
    assert.equal(state.iteration, 4);
    assert.deepEqual(trace.slice(-2).map((t) => t[0]), ['terminate', 'completed']);
  });
});

describe('State.getEventAttribValue and state.times', () => {
  it('test_state_get_event_attrib_value: iteration events read iteration, epoch events read epoch, custom ones their attribute', async () => {
    const engine = makeEngine();
    const MyEvents = defineEvents({ BACKWARD: 'backward' });
    engine.registerEvents(MyEvents, { eventToAttr: { backward: 'backwardCount' } });
    engine.state.backwardCount = 3;
    const seen: [unknown, unknown][] = [];
    engine.on(Events.ITERATION_COMPLETED({ once: 4 }), (e) => {
      seen.push([e.state.getEventAttribValue(Events.ITERATION_COMPLETED), e.state.getEventAttribValue(Events.EPOCH_STARTED)]);
    });
    await engine.run(range(3), { maxEpochs: 2 });
    assert.deepEqual(seen, [[4, 2]]);
    assert.equal(engine.state.getEventAttribValue(MyEvents.BACKWARD), 3);
    assert.equal(engine.state.getEventAttribValue('completed'), 2);
    assert.throws(() => engine.state.getEventAttribValue(Events.TERMINATE), /Unknown event name 'terminate'/);
  });

  it('test_time_stored_in_state: state.times is keyed by event.name, so times[lastEventName.name] is the duration', async () => {
    const engine = makeEngine();
    const read: (number | null | undefined)[] = [];
    engine.on([Events.EPOCH_COMPLETED, Events.COMPLETED], (e) => {
      const last = e.lastEventName;
      read.push(typeof last === 'string' || last === null ? undefined : e.state.times[last.name]);
    });
    const state = await engine.run(range(4), { maxEpochs: 2 });
    assert.equal(read.length, 3);
    for (const t of read) assert.ok(typeof t === 'number' && t >= 0, String(t));
    assert.deepEqual(Object.keys(state.times).sort(), ['completed', 'epoch_completed']);
    assert.equal(state.times.EPOCH_COMPLETED, state.times.epoch_completed);
  });
});
