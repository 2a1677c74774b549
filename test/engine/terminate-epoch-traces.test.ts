// The FULL event trace of terminate() and terminateEpoch() from every dataset-loop event, against a reference
// simulation of Ignite's loop (`_internal_run_as_gen` / `_run_once_on_dataset_as_gen` and their terminate rules)
// written in plain TS, independent of src/engine. Sync and async variants must agree.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Engine, Events, silentLogger, type CallableEvent, type FilteredEvent } from '../../src/index.js';
import { range, recordTrace, type Trace } from './helpers.js';

type Action = 'terminate' | 'terminateSkip' | 'terminateEpoch' | 'terminateEpochSkip';

/** Reference of Ignite's run loop for a re-iterable sized source of `len` items; `action` runs whenever `event` fires at value `at`. */
function simulate(len: number, maxEpochs: number, event: string, at: number, action: Action): { trace: Trace; counters: number[] } {
  const trace: Trace = [];
  const counters: number[] = [];
  let epoch = 0;
  let iteration = 0;
  let term = false;
  let termEpoch = false;
  let last = '';
  const value = (name: string): number => (name.includes('epoch') ? epoch : iteration);
  const emit = (name: string): void => {
    trace.push([name, epoch, iteration]);
    last = name;
    // Ignite's once=n filter is `value == n`: it matches again if the event recurs at the same value
    // (e.g. GET_BATCH_STARTED at iteration 12 in the epoch after a terminateEpoch at iteration 12).
    if (name === event && value(name) === at) {
      if (action.startsWith('terminateEpoch')) termEpoch = true;
      else term = true;
    }
  };
  const check = (): void => {
    if (term) throw new Error('T');
    if (termEpoch) throw new Error('TE');
  };
  let pos = 0;
  try {
    emit('started');
    check();
    while (epoch < maxEpochs && !term) {
      epoch++;
      emit('epoch_started');
      check();
      let iterCounter = 0;
      try {
        for (;;) {
          if (last !== 'dataloader_stop_iteration') {
            emit('get_batch_started');
            check();
          }
          if (pos === len) {
            emit('dataloader_stop_iteration');
            check();
            pos = 0;
            continue;
          }
          pos++;
          emit('get_batch_completed');
          check();
          iterCounter++;
          iteration++;
          emit('iteration_started');
          check();
          emit('iteration_completed');
          check();
          if (iterCounter === len) break;
        }
      } catch (e) {
        if ((e as Error).message !== 'TE') throw e;
        counters.push(iterCounter);
        emit('terminate_single_epoch');
        pos = 0;
      }
      if (action !== 'terminateEpochSkip' || !termEpoch) emit('epoch_completed');
      termEpoch = false;
      check();
    }
  } catch (e) {
    if ((e as Error).message !== 'T') throw e;
    emit('terminate');
  }
  if (action !== 'terminateSkip') emit('completed');
  return { trace, counters };
}

function act(e: Engine<unknown, unknown>, action: Action): void {
  if (action === 'terminate') e.terminate();
  else if (action === 'terminateSkip') e.terminate({ skipCompleted: true });
  else if (action === 'terminateEpoch') e.terminateEpoch();
  else e.terminateEpoch({ skipEpochCompleted: true });
}

/** A re-iterable async source (for-await) of 0..n-1. */
function asyncSource(n: number): AsyncIterable<number> & { length: number } {
  return {
    length: n,
    async *[Symbol.asyncIterator]() {
      for (let i = 0; i < n; i++) {
        await Promise.resolve();
        yield i;
      }
    },
  };
}

const points: [string, (o: { once: number }) => CallableEvent | FilteredEvent, number][] = [
  ['get_batch_started', (o) => Events.GET_BATCH_STARTED(o), 12],
  ['get_batch_completed', (o) => Events.GET_BATCH_COMPLETED(o), 12],
  ['iteration_started', (o) => Events.ITERATION_STARTED(o), 14],
  ['iteration_completed', (o) => Events.ITERATION_COMPLETED(o), 14],
  ['epoch_completed', (o) => Events.EPOCH_COMPLETED(o), 2],
];
const actions: Action[] = ['terminate', 'terminateSkip', 'terminateEpoch', 'terminateEpochSkip'];

describe('full traces of terminate() / terminateEpoch() from every event', () => {
  it('the reference simulation without a trigger is the helper\'s uninterrupted trace', async () => {
    const { trace } = simulate(10, 3, 'none', -1, 'terminate');
    const engine = new Engine<unknown, unknown>((_e, b) => b, { logger: silentLogger });
    const actual = recordTrace(engine);
    await engine.run(range(10), { maxEpochs: 3 });
    assert.deepEqual(actual, trace);
  });

  for (const asyncMode of [false, true]) {
    for (const [name, make, at] of points) {
      for (const action of actions) {
        it(`test_terminate${action.startsWith('terminateEpoch') ? '_epoch' : ''}_events_sequence: ${action} at ${name}(once=${at})${asyncMode ? ' (async handler, process fn and data)' : ''}`, async () => {
          const expected = simulate(10, 3, name, at, action);
          const engine = new Engine<unknown, unknown>(
            asyncMode ? async (_e, b) => { await Promise.resolve(); return b; } : (_e, b) => b,
            { logger: silentLogger },
          );
          const trace = recordTrace(engine);
          const counters: unknown[] = [];
          engine.on(Events.TERMINATE_SINGLE_EPOCH, (_e, c: unknown) => counters.push(c));
          const ev: CallableEvent | FilteredEvent = make({ once: at });
          if (asyncMode) engine.on(ev, async (e) => { await Promise.resolve(); act(e, action); });
          else engine.on(ev, (e) => act(e, action));
          await engine.run(asyncMode ? asyncSource(10) : range(10), { maxEpochs: 3 });
          assert.deepEqual(trace, expected.trace);
          assert.deepEqual(counters, expected.counters);
        });
      }
    }
  }
});
