// Ported from Ignite's tests/ignite/engine (test_engine_state_dict.py: stateDict / loadStateDict; test_engine.py:
// EXCEPTION_RAISED handlers and the error re-raised without one), plus the async contract.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Engine, Events, silentLogger } from '../../src/index.js';
import { gen, makeEngine, range, recordTrace } from './helpers.js';

describe('stateDict / loadStateDict', () => {
  it('test_state_dict: a fresh engine has 3 keys; after a run the counters; maxIters runs store maxIters', async () => {
    const engine = makeEngine();
    assert.deepEqual(engine.stateDict(), { epochLength: null, iteration: 0, maxEpochs: null });
    await engine.run(range(100), { maxEpochs: 10 });
    assert.deepEqual(engine.stateDict(), { epochLength: 100, iteration: 1000, maxEpochs: 10 });
    assert.deepEqual(JSON.parse(JSON.stringify(engine.stateDict())), engine.stateDict());
    const other = makeEngine();
    await other.run(range(10), { maxIters: 25 });
    assert.deepEqual(other.stateDict(), { epochLength: 10, iteration: 25, maxIters: 25 });
  });

  it('test_load_state_dict_asserts: every invalid dict is rejected with Ignite\'s message', () => {
    const engine = makeEngine();
    engine.stateDictUserKeys.push('alpha');
    const cases: [unknown, RegExp][] = [
      [5, /Argument stateDict should be a dictionary/],
      [{ iteration: 10, maxEpochs: 100, alpha: 1 }, /epochLength must be a positive integer|Required state attribute 'epochLength'/],
      [{ epochLength: 10, maxEpochs: 100, alpha: 1 }, /Required state attribute 'iteration' is absent/],
      [{ iteration: 1, epoch: 1, epochLength: 10, maxEpochs: 100, alpha: 1 }, /only one of 'iteration' or 'epoch'/],
      [{ iteration: 1, epochLength: 10, maxEpochs: 100, maxIters: 200, alpha: 1 }, /exactly one of '\(maxEpochs, maxIters\)'/],
      [{ iteration: 1, epochLength: 10, alpha: 1 }, /exactly one of '\(maxEpochs, maxIters\)'/],
      [{ epoch: 3, epochLength: 10, maxEpochs: 2, alpha: 1 }, /Argument maxEpochs should be greater than or equal to the start epoch/],
      [{ iteration: 30, epochLength: 10, maxIters: 20, alpha: 1 }, /Argument maxIters should be greater than or equal to the start iteration/],
      [{ iteration: 1, epochLength: 10, maxEpochs: 100 }, /Required user state attribute 'alpha' is absent/],
      [{ epoch: 1, epochLength: 0, maxEpochs: 100, alpha: 1 }, /epochLength must be a positive integer to calculate missing 'iteration' or 'epoch' key/],
      [{ epoch: 1, epochLength: null, maxEpochs: 100, alpha: 1 }, /epochLength must be a positive integer/],
    ];
    for (const [sd, message] of cases) assert.throws(() => engine.loadStateDict(sd as never), message, JSON.stringify(sd));
  });

  it('test_load_state_dict_with_params: epoch -> iteration and iteration -> epoch', () => {
    const engine = makeEngine();
    engine.loadStateDict({ epoch: 2, maxEpochs: 5, epochLength: 100 });
    assert.deepEqual([engine.state.iteration, engine.state.epoch], [200, 2]);
    engine.loadStateDict({ iteration: 150, maxIters: 250, epochLength: 100 });
    assert.deepEqual([engine.state.iteration, engine.state.epoch, engine.state.maxIters, engine.state.maxEpochs], [150, 1, 250, null]);
    engine.loadStateDict({ epoch: 0, maxEpochs: 5, epochLength: null });
    assert.deepEqual([engine.state.iteration, engine.state.epoch], [0, 0]);
  });

  it('test_load_state_dict_integration: resume from epoch 5 of 120-item epochs', async () => {
    const engine = makeEngine();
    engine.loadStateDict({ epoch: 5, maxEpochs: 100, epochLength: 120 });
    let firstIter = 0;
    let firstEpoch = 0;
    engine.on(Events.ITERATION_COMPLETED({ once: 601 }), (e) => {
      firstIter = e.state.iteration;
    });
    engine.on(Events.EPOCH_COMPLETED, (e) => {
      if (firstEpoch === 0) firstEpoch = e.state.epoch;
    });
    const probe = makeEngine();
    probe.loadStateDict({ epoch: 5, maxEpochs: 100, epochLength: 120 });
    await assert.rejects(probe.run(range(120), { epochLength: 90 }), /Argument epochLength should be same as in the state/);
    const state = await engine.run(range(120), { maxEpochs: 10 });
    assert.equal(firstIter, 601);
    assert.equal(firstEpoch, 6);
    assert.deepEqual([state.iteration, state.epoch], [1200, 10]);
  });

  it('test_state_dict_user_keys: saved, restored, required; custom attributes survive loads and runs', async () => {
    const engine = makeEngine();
    engine.stateDictUserKeys.push('alpha', 'beta');
    engine.on(Events.STARTED, (e) => {
      e.state['alpha'] = 0.1;
      e.state['beta'] = 1.0;
    });
    engine.state['gamma'] = 'kept';
    await engine.run(range(3));
    const sd = engine.stateDict();
    assert.equal(sd['alpha'], 0.1);
    const fresh = makeEngine();
    fresh.stateDictUserKeys.push('alpha', 'beta');
    fresh.state['gamma'] = 'kept';
    fresh.loadStateDict(sd);
    assert.deepEqual([fresh.state['alpha'], fresh.state['beta'], fresh.state['gamma']], [0.1, 1.0, 'kept']);
    await fresh.run(range(3), { maxEpochs: 2 });
    assert.equal(fresh.state['gamma'], 'kept');
  });

  it('test_engine_run_resume_with_max_iters: terminate at 15 of maxIters 25, load into a new engine: 10 more iterations', async () => {
    const engine = makeEngine();
    engine.on(Events.ITERATION_COMPLETED({ once: 15 }), (e) => e.terminate());
    await engine.run(range(10), { maxIters: 25 });
    const sd = engine.stateDict();
    const fresh = makeEngine();
    fresh.loadStateDict(sd);
    let n = 0;
    fresh.on(Events.ITERATION_COMPLETED, () => n++);
    const state = await fresh.run(range(10));
    assert.equal(n, 10);
    assert.equal(state.iteration, 25);
  });

  it('a plain Engine resumed mid-epoch shortens the first epoch and restarts the data from the beginning', async () => {
    const engine = makeEngine((_e, b: number) => b);
    engine.loadStateDict({ iteration: 13, maxEpochs: 3, epochLength: 10 });
    const seen: [number, number][] = [];
    engine.on(Events.ITERATION_COMPLETED, (e) => seen.push([e.state.iteration, e.state.output as number]));
    await engine.run(range(10));
    // Epoch 2 is shortened to 7 iterations (14..20) reading data[0..6]; the iterator persists, so epoch 3 goes on
    // with data[7..9] and then re-iterates.
    assert.deepEqual(seen.slice(0, 11), range(7).map((i) => [14 + i, i]).concat([[21, 7], [22, 8], [23, 9], [24, 0]]));
    assert.equal(seen.length, 17);
  });
});

describe('Exceptions', () => {
  it('without EXCEPTION_RAISED handlers run() rejects with the original error; COMPLETED does not fire', async () => {
    const boom = new Error('boom');
    const engine = makeEngine((e) => {
      if (e.state.iteration === 3) throw boom;
    });
    let completed = false;
    engine.on(Events.COMPLETED, () => {
      completed = true;
    });
    await assert.rejects(engine.run(range(5)), (e: unknown) => e === boom);
    assert.equal(completed, false);
  });

  it('with a handler: called once with (engine, error), swallowed, the epoch ends and the run continues', async () => {
    const engine = makeEngine((e) => {
      if (e.state.iteration === 3) throw new Error('boom');
    });
    const trace = recordTrace(engine);
    const got: unknown[] = [];
    engine.on(Events.EXCEPTION_RAISED, (e, err: unknown) => got.push([e === engine, (err as Error).message]));
    const state = await engine.run(range(5), { maxEpochs: 2 });
    assert.deepEqual(got, [[true, 'boom']]);
    const i = trace.findIndex((t) => t[0] === 'exception_raised');
    assert.deepEqual(trace.slice(i, i + 3).map((t) => t[0]), ['exception_raised', 'epoch_completed', 'epoch_started']);
    assert.equal(state.epoch, 2);
    assert.equal(trace.at(-1)?.[0], 'completed');
  });

  it('a rethrowing EXCEPTION_RAISED handler fires exactly once and run() rejects with its error (pytorch/ignite#1234)', async () => {
    for (const where of ['process', 'started']) {
      const engine = makeEngine((e) => {
        if (where === 'process' && e.state.iteration === 2) throw new Error('inner');
      });
      if (where === 'started') engine.on(Events.STARTED, () => { throw new Error('inner'); });
      let calls = 0;
      engine.on(Events.EXCEPTION_RAISED, (_e, err: unknown) => {
        calls++;
        throw new Error(`wrapped ${(err as Error).message}`, { cause: err });
      });
      await assert.rejects(engine.run(range(5)), (e: unknown) => (e as Error).message === 'wrapped inner' && (e as Error).cause instanceof Error);
      assert.equal(calls, 1, where);
    }
  });

  it('run-level errors (STARTED / EPOCH_* handlers) with a handler: swallowed, COMPLETED not fired', async () => {
    const engine = makeEngine();
    engine.on(Events.EPOCH_STARTED({ once: 2 }), () => {
      throw new Error('epoch');
    });
    const trace = recordTrace(engine);
    let errors = 0;
    engine.on(Events.EXCEPTION_RAISED, () => errors++);
    const state = await engine.run(range(3), { maxEpochs: 3 });
    assert.equal(errors, 1);
    assert.equal(state.epoch, 2);
    assert.ok(!trace.some((t) => t[0] === 'completed'));
  });

  it('errors from async handlers and async iterators reject the run', async () => {
    const engine = makeEngine();
    engine.on(Events.ITERATION_COMPLETED({ once: 2 }), async () => {
      await Promise.resolve();
      throw new RangeError('async handler');
    });
    await assert.rejects(engine.run(range(4)), /async handler/);
    async function* failing(): AsyncGenerator<number> {
      yield 1;
      await Promise.resolve();
      throw new Error('data source');
    }
    await assert.rejects(makeEngine().run(failing()), /data source/);
  });
});

describe('Async contract', () => {
  it('sync handlers on sync data cost no microtask per iteration', async () => {
    // Yielding off: the endless microtask chain below would starve the macrotask the engine yields to.
    const engine = new Engine((_e, b: number) => b, { logger: silentLogger, yieldIntervalMs: 0 });
    for (let h = 0; h < 5; h++) engine.on(Events.ITERATION_COMPLETED, () => {});
    let hops = 0;
    let done = false;
    const tick = (): void => {
      if (done) return;
      hops++;
      queueMicrotask(tick);
    };
    queueMicrotask(tick);
    const p = engine.run(range(10_000), { maxEpochs: 2 }).then(() => {
      done = true;
    });
    await p;
    assert.ok(hops < 50, `microtask hops during 20,000 iterations: ${hops} (a per-iteration await would give >= 20,000)`);
  });

  it('async handlers are awaited in order before the next handler and the next event', async () => {
    const log: string[] = [];
    const engine = makeEngine();
    engine.on(Events.ITERATION_COMPLETED, async () => {
      await new Promise((r) => setTimeout(r, 2));
      log.push('slow');
    });
    engine.on(Events.ITERATION_COMPLETED, () => log.push('fast'));
    engine.on(Events.EPOCH_COMPLETED, () => log.push('epoch'));
    await engine.run([1, 2]);
    assert.deepEqual(log, ['slow', 'fast', 'slow', 'fast', 'epoch']);
  });

  it('a generator passed to run() is not closed by the engine: a terminated run can continue from it', async () => {
    const data = gen(range(10));
    const engine = makeEngine((_e, b: number) => b);
    engine.on(Events.ITERATION_COMPLETED({ once: 3 }), (e) => e.terminate());
    await engine.run(data, { epochLength: 10, maxEpochs: 1 });
    const rest = [...data];
    assert.deepEqual(rest, [3, 4, 5, 6, 7, 8, 9]);
  });
});
