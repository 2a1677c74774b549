// Ported from Ignite's tests/ignite/engine/test_engine.py: new run vs resume, maxIters, unknown-length data.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Engine, Events } from '../../src/index.js';
import { countEvents, gen, infinite, makeEngine, range } from './helpers.js';

describe('Run and resume rules', () => {
  it('test_run_finite_iterator_restarts / continues: repeated maxEpochs restarts, larger continues', async () => {
    const engine = makeEngine();
    let started: [number, number] | null = null;
    engine.on(Events.STARTED, (e) => {
      started = [e.state.epoch, e.state.iteration];
    });
    await engine.run(range(10), { maxEpochs: 5 });
    let state = await engine.run(range(10), { maxEpochs: 5 });
    assert.deepEqual(started, [0, 0]);
    assert.equal(state.iteration, 50);
    state = await engine.run(range(10), { maxEpochs: 7 });
    assert.deepEqual(started, [5, 50]);
    assert.equal(state.epoch, 7);
    assert.equal(state.iteration, 70);
  });

  it('a smaller maxEpochs than the current epoch throws; maxEpochs = null forces a restart', async () => {
    const engine = makeEngine();
    await engine.run(range(10), { maxEpochs: 7 });
    await assert.rejects(
      engine.run(range(10), { maxEpochs: 4 }),
      /Argument maxEpochs should be greater than or equal to the start epoch defined in the state: 4 vs 7/,
    );
    engine.state.maxEpochs = null;
    const state = await engine.run(range(10), { maxEpochs: 4 });
    assert.equal(state.epoch, 4);
    assert.equal(state.iteration, 40);
  });

  it('resuming with a different epochLength throws', async () => {
    const engine = makeEngine();
    engine.on(Events.ITERATION_COMPLETED({ once: 15 }), (e) => e.interrupt());
    await engine.run(range(10), { maxEpochs: 3 });
    await assert.rejects(engine.run(range(10), { epochLength: 7 }), /Argument epochLength should be same as in the state, but given 7 vs 10/);
  });

  it('test_max_iters: ends at maxIters, with or without a partial epoch', async () => {
    for (const [n, maxIters] of [[20, 8], [20, 73]] as const) {
      const engine = makeEngine();
      const counts = countEvents(engine);
      const state = await engine.run(range(n), { maxIters });
      assert.equal(state.iteration, maxIters);
      assert.equal(counts.get('iteration_completed'), maxIters);
      assert.equal(counts.get('terminate'), maxIters % n === 0 ? undefined : 1);
      assert.equal(counts.get('completed'), 1);
      assert.deepEqual(engine.stateDict(), { epochLength: n, iteration: maxIters, maxIters });
    }
  });

  it('switching between maxEpochs and maxIters on resume requires a reset', async () => {
    const a = makeEngine();
    a.on(Events.ITERATION_COMPLETED({ once: 5 }), (e) => e.interrupt());
    await a.run(range(10), { maxEpochs: 3 });
    await assert.rejects(a.run(range(10), { maxIters: 20 }), /To switch from maxEpochs to maxIters mode during resume.*'engine\.state\.maxEpochs = null'/);
    const b = makeEngine();
    b.on(Events.ITERATION_COMPLETED({ once: 5 }), (e) => e.interrupt());
    await b.run(range(10), { maxIters: 25 });
    await assert.rejects(b.run(range(10), { maxEpochs: 5 }), /To switch from maxIters to maxEpochs mode during resume/);
  });

  it('EPOCH_COMPLETED fires only at multiples of the epoch length with maxIters=32 on 10 items', async () => {
    const engine = makeEngine();
    const at: number[] = [];
    engine.on(Events.EPOCH_COMPLETED, (e) => at.push(e.state.iteration));
    await engine.run(range(10), { maxIters: 32 });
    assert.deepEqual(at, [10, 20, 30]);
  });
});

describe('Unknown-length data', () => {
  it('test_run_unknown_length_generator: 11 items, 1 epoch, epochLength becomes 11', async () => {
    const engine = makeEngine();
    const counts = countEvents(engine);
    const state = await engine.run(gen(range(11)));
    assert.equal(state.epoch, 1);
    assert.equal(state.iteration, 11);
    assert.equal(state.epochLength, 11);
    assert.equal(counts.get('completed'), 1);
  });

  it('a DATALOADER_STOP_ITERATION handler that assigns a fresh generator gives 55 iterations over 5 epochs', async () => {
    const engine = makeEngine();
    engine.on(Events.DATALOADER_STOP_ITERATION, (e) => {
      e.state.dataloader = gen(range(11));
    });
    const state = await engine.run(gen(range(11)), { maxEpochs: 5 });
    assert.equal(state.iteration, 55);
    assert.equal(state.epoch, 5);
  });

  it('iter(list4) with 2 epochs: the second epoch is empty, output keeps its last value, no warning', async () => {
    const warnings: string[] = [];
    const engine = new Engine((_e, b: number) => b * 2, { logger: { debug() {}, info() {}, error() {}, warn: (m) => warnings.push(m) } });
    const state = await engine.run(gen([1, 2, 3, 4]), { maxEpochs: 2 });
    assert.equal(state.iteration, 4);
    assert.equal(state.epoch, 2);
    assert.equal(state.output, 8);
    assert.deepEqual(warnings, []);
  });

  it('test_infinite_iterator: epochLength 5, 3 epochs gives exactly 15 iterations', async () => {
    const engine = makeEngine();
    const state = await engine.run(infinite(), { maxEpochs: 3, epochLength: 5 });
    assert.equal(state.iteration, 15);
    assert.equal(state.epoch, 3);
  });

  it('a finite iterator that runs out before the total warns "Data iterator can not provide data anymore"', async () => {
    const warnings: string[] = [];
    const engine = new Engine((_e, b: number) => b, { logger: { debug() {}, info() {}, error() {}, warn: (m) => warnings.push(m) } });
    const state = await engine.run(gen(range(7)), { maxEpochs: 3, epochLength: 5 });
    assert.equal(state.iteration, 7);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] as string, /Data iterator can not provide data anymore but required total number of iterations to run is not reached\. Current iteration: 7 vs Total iterations to run : 15/);
  });

  it('a length getter throwing TypeError means unsized: epochLength is inferred from exhaustion', async () => {
    const data = {
      get length(): number {
        throw new TypeError('no length');
      },
      *[Symbol.iterator]() {
        yield* [1, 2, 3];
      },
    };
    const engine = makeEngine();
    const state = await engine.run(data);
    assert.equal(state.epochLength, 3);
    assert.equal(state.iteration, 3);
  });

  it('generator with maxIters stops before exhaustion (epochLength stays null); 20 on 15 items ends at 15', async () => {
    const a = makeEngine();
    let state = await a.run(gen(range(15)), { maxIters: 10 });
    assert.equal(state.iteration, 10);
    assert.equal(state.epochLength, null);
    const b = makeEngine();
    state = await b.run(gen(range(15)), { maxIters: 20 });
    assert.equal(state.iteration, 15);
    assert.equal(state.epochLength, 15);
  });

  it('async iterables, async generators and tf.data-like datasets give the same results as sync data', async () => {
    async function* agen(): AsyncGenerator<number> {
      for (const x of range(6)) {
        await Promise.resolve();
        yield x;
      }
    }
    const dataset = {
      size: 6,
      iterator: () => {
        let i = 0;
        return Promise.resolve({ next: () => Promise.resolve(i < 6 ? { value: i++, done: false } : { value: undefined, done: true }) });
      },
    };
    const outputs = async (data: unknown, opts: { maxEpochs: number; epochLength?: number }): Promise<number[]> => {
      const seen: number[] = [];
      const engine = makeEngine((_e, b: number) => seen.push(b));
      await engine.run(data as Iterable<number>, opts);
      return seen;
    };
    const expected = await outputs(range(6), { maxEpochs: 2 });
    assert.deepEqual(await outputs(dataset, { maxEpochs: 2 }), expected);
    assert.deepEqual(await outputs({ [Symbol.asyncIterator]: agen }, { maxEpochs: 2 }), expected);
    assert.deepEqual(await outputs(agen(), { maxEpochs: 1 }), range(6));
  });
});

describe('Switching the termination mode of a finished run', () => {
  it('test_engine_run_resume_max_epochs_to_max_iters: a finished maxEpochs run rejects run({ maxIters })', async () => {
    const engine = makeEngine();
    await engine.run(range(5), { maxEpochs: 1 });
    await assert.rejects(
      engine.run(range(5), { maxIters: 7 }),
      (e: unknown) => e instanceof RangeError && /To switch from maxEpochs to maxIters mode during resume/.test(e.message),
    );
    engine.state.maxEpochs = null;
    const state = await engine.run(range(5), { maxIters: 7 });
    assert.equal(state.iteration, 7);
  });

  it('test_engine_run_resume_max_iters_to_max_epochs: a finished maxIters run rejects run({ maxEpochs })', async () => {
    const engine = makeEngine();
    await engine.run(range(5), { maxIters: 7 });
    await assert.rejects(
      engine.run(range(5), { maxEpochs: 3 }),
      (e: unknown) => e instanceof RangeError && /To switch from maxIters to maxEpochs mode during resume.*engine\.state\.maxIters = null/.test(e.message),
    );
    engine.state.maxIters = null;
    const state = await engine.run(range(5), { maxEpochs: 3 });
    assert.equal(state.iteration, 15);
  });
});
