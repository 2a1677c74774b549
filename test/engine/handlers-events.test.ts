// Ported from Ignite's tests/ignite/engine (test_event_handlers.py, test_custom_events.py): handlers, handles,
// filters, custom events.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Engine, Events, InvalidEventError, defineEvents, sameEvent, type FilterOptions } from '../../src/index.js';
import { makeEngine, range } from './helpers.js';

describe('Handlers', () => {
  it('registering on an unknown event throws "is not a valid event for this Engine"', () => {
    const engine = makeEngine();
    assert.throws(() => engine.on('no_such_event', () => {}), (e: unknown) => e instanceof InvalidEventError && /Event no_such_event is not a valid event for this Engine/.test(String(e)));
    assert.throws(() => engine.addEventHandler('no_such_event', () => {}), /is not a valid event/);
  });

  it('test_args_and_kwargs_are_passed_to_event: extra args come after the engine; too few is rejected', async () => {
    const engine = makeEngine();
    const got: unknown[][] = [];
    engine.on(Events.STARTED, (e: unknown, a: unknown, b: unknown, c: unknown) => got.push([e === engine, a, b, c]), 1, 2, 3);
    engine.on(Events.EXCEPTION_RAISED, (_e: unknown, err: unknown, tag: unknown) => got.push([err instanceof Error, tag]), 'tag');
    assert.throws(() => engine.on(Events.COMPLETED, (_e: unknown, _a: unknown) => {}), /takes parameters \[_e, _a\] but will be called with \[engine\]/);
    assert.throws(() => engine.on(Events.EXCEPTION_RAISED, (_e: unknown, _x: unknown, _y: unknown) => {}), /will be called with \[engine, error\]/);
    await engine.run([1]);
    assert.deepEqual(got, [[true, 1, 2, 3]]);
  });

  it('object handlers with handle() and several handlers run in registration order, once per firing', async () => {
    const engine = makeEngine();
    const order: string[] = [];
    const obj = { name: 'obj', handle(this: { name: string }): void { order.push(this.name); } };
    engine.on(Events.EPOCH_COMPLETED, () => order.push('a'));
    engine.on(Events.EPOCH_COMPLETED, obj);
    engine.on(Events.EPOCH_COMPLETED({ every: 1 }), () => order.push('c'));
    const bound = function (this: { tag: string }): void { order.push(this.tag); }.bind({ tag: 'bound' });
    engine.on(Events.EPOCH_COMPLETED({ every: 2 }), bound);
    await engine.run([1], { maxEpochs: 2 });
    assert.deepEqual(order, ['a', 'obj', 'c', 'a', 'obj', 'c', 'bound']);
  });

  it('test_remove_event_handler_on_callable_events and handles: remove, using, OR-lists, repeated removal', async () => {
    const engine = makeEngine();
    const calls: string[] = [];
    const h = (): number => calls.push('h');
    const handle = engine.on([Events.STARTED, Events.COMPLETED({ once: 1 })], h);
    assert.ok(engine.hasEventHandler(h, Events.STARTED));
    assert.ok(engine.hasEventHandler(h, Events.COMPLETED));
    handle.remove();
    handle.remove();
    assert.ok(!engine.hasEventHandler(h));
    {
      using _scoped = engine.on(Events.EPOCH_STARTED, () => calls.push('scoped'));
      await engine.run([1]);
    }
    await engine.run([1]);
    assert.deepEqual(calls, ['scoped']);
    const other = engine.on(Events.STARTED, h);
    engine.on(Events.COMPLETED, h);
    other.remove();
    assert.ok(engine.hasEventHandler(h, Events.COMPLETED), 'removing one registration keeps the other event\'s');
  });

  it('has/remove: any event, filtered events, unknown event and unknown handler errors', () => {
    const engine = makeEngine();
    const h = (): void => {};
    engine.on(Events.ITERATION_COMPLETED({ every: 3 }), h);
    assert.ok(engine.hasEventHandler(h));
    assert.ok(engine.hasEventHandler(h, Events.ITERATION_COMPLETED({ every: 3 })));
    assert.ok(engine.hasEventHandler(h, Events.ITERATION_COMPLETED));
    assert.ok(!engine.hasEventHandler(h, Events.STARTED));
    engine.registerEvents('custom_a');
    assert.throws(() => engine.removeEventHandler(h, 'custom_a'), /Input event name 'custom_a' does not exist/);
    assert.throws(() => engine.removeEventHandler(() => {}, Events.ITERATION_COMPLETED), /Input handler .* is not found among registered event handlers/);
    engine.removeEventHandler(h, Events.ITERATION_COMPLETED);
    assert.ok(!engine.hasEventHandler(h));
  });

  it('a handle does not keep the engine alive', async () => {
    if (typeof globalThis.gc !== 'function') {
      // WeakRef semantics: the handle only holds WeakRefs; check that remove() after the engine is unreachable is a no-op.
      const handle = makeEngine().on(Events.STARTED, () => {});
      assert.doesNotThrow(() => handle.remove());
      return;
    }
    let engine: Engine<unknown, unknown> | null = makeEngine<unknown>();
    const ref = new WeakRef(engine);
    const handle = engine.on(Events.STARTED, () => {});
    engine = null;
    await new Promise((r) => setTimeout(r, 0));
    globalThis.gc();
    assert.equal(ref.deref(), undefined);
    assert.doesNotThrow(() => handle.remove());
  });
});

describe('Events and filters', () => {
  it('test_callable_events: filtered events share the name, the base event is unchanged', () => {
    const f = Events.ITERATION_COMPLETED({ every: 2 });
    assert.ok(sameEvent(Events.ITERATION_COMPLETED, f));
    assert.equal(f.name, 'iteration_completed');
    assert.ok(!sameEvent(Events.ITERATION_COMPLETED, Events.ITERATION_STARTED));
    assert.equal(Events.ITERATION_COMPLETED({ every: 1 }), Events.ITERATION_COMPLETED);
    assert.equal(typeof Events.ITERATION_COMPLETED, 'function');
    assert.equal(String(Events.COMPLETED), 'completed');
  });

  it('test_callable_events_with_wrong_inputs: argument groups and values are validated', () => {
    const bad: [FilterOptions, RegExp][] = [
      [{}, /Only one of the input arguments should be specified/],
      [{ every: 2, once: 2 }, /Only one of the input arguments/],
      [{ once: 2, filter: () => true }, /Only one of the input arguments/],
      [{ every: 2, filter: () => true }, /Only one of the input arguments/],
      [{ before: 3, once: 2 }, /Only one of the input arguments/],
      [{ every: -1 }, /Argument every should be integer and greater than zero/],
      [{ every: 1.5 }, /Argument every should be integer/],
      [{ once: -1 }, /Argument once should either be a positive integer or a list of positive integers/],
      [{ once: [] }, /Argument once should either be a positive integer or a list/],
      [{ once: [1, 10, 'x' as unknown as number] }, /Argument once should either be a positive integer or a list/],
      [{ before: -1 }, /Argument before should be integer and greater or equal to zero/],
      [{ after: -1 }, /Argument after should be integer and greater or equal to zero/],
      [{ filter: 'x' as unknown as () => boolean }, /Argument filter should be a callable/],
    ];
    for (const [options, message] of bad) assert.throws(() => Events.ITERATION_STARTED(options), message, JSON.stringify(options));
  });

  it('test_callable_events_with_wrong_inputs: conflicting groups raise RangeError (Ignite\'s ValueError), not TypeError', () => {
    const groups: FilterOptions[] = [{}, { once: 2, every: 3 }, { filter: () => true, every: 3 }, { once: 2, before: 1 }];
    for (const options of groups) {
      assert.throws(() => Events.ITERATION_STARTED(options), (e: unknown) => e instanceof RangeError && /Only one of the input/.test(e.message));
    }
    assert.throws(() => Events.ITERATION_STARTED({ filter: 'x' as unknown as () => boolean }), TypeError);
  });

  const countCalls = async (event: Parameters<Engine['on']>[0], n: number, epochs = 1): Promise<number[]> => {
    const engine = makeEngine();
    const at: number[] = [];
    engine.on(event, (e) => at.push(e.state.iteration));
    await engine.run(range(n), { maxEpochs: epochs });
    return at;
  };

  it('test_every_event_filter: every=10 over 100 x 5 gives 50 calls at multiples of 10; EPOCH every=2 over 5 gives 2', async () => {
    const at = await countCalls(Events.ITERATION_COMPLETED({ every: 10 }), 100, 5);
    assert.equal(at.length, 50);
    assert.ok(at.every((i) => i % 10 === 0));
    const engine = makeEngine();
    const epochs: number[] = [];
    engine.on(Events.EPOCH_STARTED({ every: 2 }), (e) => epochs.push(e.state.epoch));
    engine.on(Events.EPOCH_COMPLETED({ every: 2 }), (e) => epochs.push(e.state.epoch));
    await engine.run(range(3), { maxEpochs: 5 });
    assert.deepEqual(epochs, [2, 2, 4, 4]);
  });

  it('test_before_and_after_event_filter: boundary counts over 500 iterations', async () => {
    assert.equal((await countCalls(Events.ITERATION_STARTED({ before: 300 }), 500)).length, 299);
    assert.equal((await countCalls(Events.ITERATION_STARTED({ before: 0 }), 500)).length, 0);
    assert.equal((await countCalls(Events.ITERATION_STARTED({ after: 300 }), 500)).length, 200);
    assert.equal((await countCalls(Events.ITERATION_STARTED({ after: 0 }), 500)).length, 500);
    assert.equal((await countCalls(Events.ITERATION_STARTED({ before: 300, after: 100 }), 500)).length, 199);
    const engine = makeEngine();
    const epochs: number[] = [];
    engine.on(Events.EPOCH_COMPLETED({ before: 4, after: 1 }), (e) => epochs.push(e.state.epoch));
    await engine.run(range(2), { maxEpochs: 5 });
    assert.deepEqual(epochs, [2, 3]);
  });

  it('test_every_before_and_after_event_filter and once: 9, 14, 19, 24; once=2; once=[1,5]', async () => {
    assert.deepEqual(await countCalls(Events.ITERATION_STARTED({ every: 5, before: 25, after: 8 }), 100), [9, 14, 19, 24]);
    assert.deepEqual(await countCalls(Events.ITERATION_STARTED({ once: 2 }), 10), [2]);
    assert.deepEqual(await countCalls(Events.ITERATION_STARTED({ once: [1, 5] }), 10), [1, 5]);
  });

  it('test_custom_event_filter: fires exactly at the listed values (50 items x 25 epochs)', async () => {
    const wanted = [1, 2, 5, 7, 17, 20];
    const engine = makeEngine();
    const seen: number[] = [];
    engine.on(Events.EPOCH_STARTED({ filter: (_e, epoch) => wanted.includes(epoch) }), (e) => seen.push(e.state.epoch));
    await engine.run(range(50), { maxEpochs: 25 });
    assert.deepEqual(seen, wanted);
  });

  it('test_events_list: OR-combinations of filtered events', async () => {
    assert.deepEqual(await countCalls([Events.ITERATION_COMPLETED({ once: 1 }), Events.ITERATION_COMPLETED({ once: 1 })], 15), [1, 1]);
    assert.deepEqual(await countCalls([Events.ITERATION_COMPLETED({ once: 1 }), Events.ITERATION_COMPLETED({ every: 3 })], 15), [1, 3, 6, 9, 12, 15]);
    assert.deepEqual(await countCalls([Events.ITERATION_COMPLETED({ once: 8 }), Events.ITERATION_COMPLETED({ before: 3 })], 15), [1, 2, 8]);
    assert.deepEqual(await countCalls([Events.ITERATION_COMPLETED({ once: 1 }), Events.ITERATION_COMPLETED({ after: 12 })], 15), [1, 13, 14, 15]);
  });

  it('filters read iteration for ITERATION_* / GET_BATCH_* and epoch for STARTED / EPOCH_* / COMPLETED; others are rejected', async () => {
    const engine = makeEngine();
    const seen: string[] = [];
    engine.on(Events.GET_BATCH_STARTED({ once: 3 }), (e) => seen.push(`gbs@${e.state.iteration}`));
    engine.on(Events.COMPLETED({ once: 2 }), (e) => seen.push(`completed@${e.state.epoch}`));
    engine.on(Events.STARTED({ once: 1 }), () => seen.push('never: STARTED reads epoch, 0 in a new run'));
    await engine.run(range(5), { maxEpochs: 2 });
    assert.deepEqual(seen, ['gbs@3', 'completed@2']);
    assert.throws(() => engine.on(Events.EXCEPTION_RAISED({ every: 2 }), () => {}), /Unknown event name 'exception_raised'/);
  });
});

describe('Custom events', () => {
  it('never fired: never called; fired from the process function: called, with eventToAttr filters', async () => {
    const Custom = defineEvents({ BACKWARD: 'backward', UNUSED: 'unused' });
    const engine = new Engine(async (e, _b: number) => {
      e.state['backwardCount'] = (e.state['backwardCount'] as number) + 1;
      await e.fireEvent(Custom.BACKWARD);
    });
    engine.registerEvents(Custom, { eventToAttr: { backward: 'backwardCount' } });
    assert.equal(engine.state['backwardCount'], 0);
    const calls: number[] = [];
    let unused = 0;
    engine.on(Custom.BACKWARD({ every: 3 }), (e) => calls.push(e.state['backwardCount'] as number));
    engine.on(Custom.UNUSED, () => unused++);
    engine.on(Custom.BACKWARD({ once: [2, 4] }), async () => {
      await Promise.resolve();
      calls.push(-1);
    });
    await engine.run(range(10));
    assert.deepEqual(calls, [-1, 3, -1, 6, 9]);
    assert.equal(unused, 0);
    assert.ok(engine.hasRegisteredEvents(Custom.BACKWARD));
    assert.ok(engine.hasRegisteredEvents('backward'));
  });

  it('string events; registerEvents validation; firing an unregistered event throws', () => {
    const engine = makeEngine();
    engine.registerEvents('a', 'b');
    let n = 0;
    engine.on('a', () => n++);
    void engine.fireEvent('a');
    assert.equal(n, 1);
    for (const bad of [null, 1, {}] as unknown[]) {
      assert.throws(() => engine.registerEvents(bad as string), TypeError);
    }
    assert.throws(() => engine.registerEvents('c', { eventToAttr: 5 as never }), /Expected eventToAttr to be dictionary/);
    assert.throws(() => engine.fireEvent('zzz'), /is not a valid event/);
    assert.throws(() => engine.on('a', () => {}, ...[]) && engine.on(Events.STARTED, 5 as never), /handler should be a function or an object with a handle/);
  });

  it('terminate() in a custom-event handler takes effect at the next built-in check', async () => {
    const engine = makeEngine((e) => {
      void e.fireEvent('stop_now');
      return e.state.iteration;
    });
    engine.registerEvents('stop_now');
    const after: number[] = [];
    engine.on('stop_now', (e) => {
      if (e.state.iteration === 3) e.terminate();
    });
    engine.on(Events.ITERATION_COMPLETED, (e) => after.push(e.state.iteration));
    const state = await engine.run(range(10));
    assert.equal(state.iteration, 3);
    assert.deepEqual(after, [1, 2, 3]);
  });
});
