import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { DeterministicEngine } from '../../src/deterministic/index.js';
import { Events, type Engine, type EngineStateDict } from '../../src/engine/index.js';
import { DataLoader, ReproducibleBatchSampler, TensorDataset } from '../../src/data/index.js';
import { getRngState, globalGenerator, manualSeed, restoreMathRandom } from '../../src/random/index.js';
import { DistributedSampler } from '../../src/distributed/sampler.js';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const dataset = (n: number): TensorDataset => new TensorDataset(Int32Array.from(range(n)));

/** What one iteration saw: the batch's sample ids and two in-step random draws (TF.js-style and kindling's). */
interface Seen {
  iteration: number;
  ids: number[];
  draws: [number, number];
}

function recorder(seen: Seen[]): (engine: Engine<unknown, void>, batch: unknown) => void {
  return (engine, batch) => {
    const first = Array.isArray(batch) ? (batch[0] as unknown) : batch;
    const ids = first instanceof tf.Tensor ? Array.from(first.dataSync()) : [first as number];
    seen.push({ iteration: engine.state.iteration, ids, draws: [Math.random(), globalGenerator.random()] });
  };
}

type DataFactory = () => unknown;

/** An infinite random source with no length: every batch is drawn from the seeded Math.random. */
const infiniteRandom: DataFactory = () => ({
  *[Symbol.iterator]() {
    for (;;) yield Math.floor(Math.random() * 1e6);
  },
});

/** A finite, re-iterable, unsized source whose content depends on the random state at iteration start. */
const finiteRandomUnsized: DataFactory = () => ({
  [Symbol.iterator]() {
    const offset = globalGenerator.randint(0, 1000);
    return range(4).map((i) => offset * 10 + i)[Symbol.iterator]();
  },
});

async function fullRun(seed: number, data: DataFactory, opts: { maxEpochs: number; epochLength?: number }): Promise<Seen[]> {
  const seen: Seen[] = [];
  manualSeed(seed);
  const engine = new DeterministicEngine(recorder(seen));
  await engine.run(data() as Iterable<unknown>, opts);
  if (data() instanceof DataLoader) (engine.state.dataloader as DataLoader).dispose();
  return seen;
}

/** Runs until `stopAt`, saves the state dict (JSON), resumes in a fresh engine; returns what the resumed part saw. */
async function resumedRun(
  seed: number,
  data: DataFactory,
  opts: { maxEpochs: number; epochLength?: number },
  stopAt: number,
  dropRngStates = false,
): Promise<Seen[]> {
  manualSeed(seed);
  let saved: EngineStateDict | null = null;
  const first = new DeterministicEngine(recorder([]));
  first.on(Events.ITERATION_COMPLETED({ once: stopAt }), (e: DeterministicEngine<unknown, void>) => {
    saved = JSON.parse(JSON.stringify(e.stateDict())) as EngineStateDict;
    e.terminate();
  });
  await first.run(data() as Iterable<unknown>, opts);
  manualSeed(seed + 1000); // scramble: the resumed run must not depend on anything but its own manualSeed + state dict
  for (let i = 0; i < 7; i += 1) Math.random();
  const seen: Seen[] = [];
  manualSeed(seed);
  const second = new DeterministicEngine(recorder(seen));
  assert.ok(saved !== null);
  second.loadStateDict(dropRngStates ? { ...(saved as EngineStateDict), rngStates: null } : (saved));
  await second.run(data() as Iterable<unknown>);
  return seen;
}

describe('DeterministicEngine', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });
  after(() => restoreMathRandom());

  it('test_state_dict: 4 keys including a non-null rngStates; data=null is rejected with Ignite\'s message', async () => {
    const engine = new DeterministicEngine(() => undefined);
    const sd = engine.stateDict();
    assert.deepEqual(Object.keys(sd).sort(), ['epochLength', 'iteration', 'maxEpochs', 'rngStates']);
    assert.ok(sd['rngStates'] != null);
    assert.deepEqual(sd['rngStates'], JSON.parse(JSON.stringify(getRngState())));
    await assert.rejects(
      engine.run(null, { maxEpochs: 1, epochLength: 3 }),
      (e: unknown) =>
        e instanceof TypeError &&
        e.message === 'Deterministic engine does not support the option of data=None. Please, provide data as iterable',
    );
  });

  it('draws state.seed at STARTED from the global generator and wraps DataLoaders in a ReproducibleBatchSampler', async () => {
    manualSeed(5);
    const expected = globalGenerator.randint(0, 1_000_000_000);
    manualSeed(5);
    const loader = new DataLoader(dataset(10), { batchSize: 3, shuffle: true });
    const engine = new DeterministicEngine(() => undefined);
    await engine.run(loader, { maxEpochs: 2 });
    assert.equal(engine.state.seed, expected);
    const used = engine.state.dataloader as DataLoader;
    assert.ok(used instanceof DataLoader && used.batchSampler instanceof ReproducibleBatchSampler);
    assert.equal(loader.batchSampler instanceof ReproducibleBatchSampler, false, 'the user loader is not mutated');
    loader.dispose();
  });

  it('the order of epoch e depends only on (seed, e): it equals a ReproducibleBatchSampler reseeded with seed + e', async () => {
    const seen: Seen[] = [];
    manualSeed(17);
    const loader = new DataLoader(dataset(11), { batchSize: 4, shuffle: true });
    const engine = new DeterministicEngine(recorder(seen));
    await engine.run(loader, { maxEpochs: 3 });
    const seed = engine.state.seed as number;
    const rbs = (engine.state.dataloader as DataLoader).batchSampler as ReproducibleBatchSampler;
    for (let e = 0; e < 3; e += 1) {
      manualSeed(seed + e);
      assert.deepEqual(
        seen.slice(3 * e, 3 * e + 3).map((s) => s.ids),
        [...rbs],
      );
    }
    loader.dispose();
  });

  it('two runs with the same seed are identical; different seeds differ', async () => {
    const loader = (): DataLoader => new DataLoader(dataset(12), { batchSize: 5, shuffle: true });
    const a = await fullRun(3, loader, { maxEpochs: 3 });
    const b = await fullRun(3, loader, { maxEpochs: 3 });
    const c = await fullRun(4, loader, { maxEpochs: 3 });
    assert.deepEqual(b, a);
    assert.notDeepEqual(c.map((s) => s.ids), a.map((s) => s.ids));
    assert.notDeepEqual(c.map((s) => s.draws), a.map((s) => s.draws));
  });

  // Unsized sources learn their epoch length when they first run out (in the fetch after their last batch), so a
  // state dict saved before that cannot be loaded (Ignite's rule); their resume points start later.
  const sources: [string, DataFactory, { maxEpochs: number; epochLength?: number }, number][] = [
    ['shuffled DataLoader', () => new DataLoader(dataset(13), { batchSize: 3, shuffle: true }), { maxEpochs: 3 }, 1],
    ['shuffled DataLoader, dropLast', () => new DataLoader(dataset(13), { batchSize: 3, shuffle: true, dropLast: true }), { maxEpochs: 3 }, 1],
    // A DistributedSampler without setEpoch advances its epoch by itself; a resume positions it at the passes made.
    ['DataLoader over a DistributedSampler (rank 1 of 2)', () => new DataLoader(dataset(15), { batchSize: 2, sampler: new DistributedSampler({ length: 15 }, { numReplicas: 2, rank: 1, seed: 3 }) }), { maxEpochs: 3 }, 1],
    ['array of numbers', () => range(7).map((i) => i * 3), { maxEpochs: 3 }, 1],
    ['infinite random generator + epochLength', infiniteRandom, { maxEpochs: 3, epochLength: 5 }, 1],
    ['finite unsized re-iterable', finiteRandomUnsized, { maxEpochs: 3 }, 5],
  ];
  for (const [name, data, opts, firstStop] of sources) {
    it(`test_resume_random_data_iterator_from_iter / from_epoch: ${name}, bit-exact batches and random draws`, async () => {
      const reference = await fullRun(11, data, opts);
      const total = reference.length;
      assert.ok(total >= 12);
      for (let stop = firstStop; stop < total; stop += 1) {
        const resumed = await resumedRun(11, data, opts, stop);
        assert.deepEqual(resumed, reference.slice(stop), `resumed after iteration ${stop}`);
      }
    });
  }

  it('test_resume_random_dataloader_from_iter with rngStates: null still reproduces the batches', async () => {
    const data: DataFactory = () => new DataLoader(dataset(10), { batchSize: 3, shuffle: true });
    const reference = await fullRun(21, data, { maxEpochs: 3 });
    for (const stop of [2, 4, 5, 8]) {
      const resumed = await resumedRun(21, data, { maxEpochs: 3 }, stop, true);
      assert.deepEqual(resumed.map((s) => s.ids), reference.slice(stop).map((s) => s.ids));
    }
  });

  it('resumes async DataLoaders and async iterables', async () => {
    const asyncLoader: DataFactory = () =>
      new DataLoader(
        {
          length: 9,
          get: async (i: number) => {
            await Promise.resolve();
            return [i] as [number];
          },
        },
        { batchSize: 2, shuffle: true, prefetch: 2 },
      );
    const asyncGen: DataFactory = () => ({
      async *[Symbol.asyncIterator]() {
        for (let i = 0; i < 6; i += 1) {
          await Promise.resolve();
          yield Math.floor(Math.random() * 1000);
        }
      },
    });
    for (const [data, opts] of [[asyncLoader, { maxEpochs: 2 }], [asyncGen, { maxEpochs: 2 }]] as const) {
      const reference = await fullRun(8, data, opts);
      for (const stop of data === asyncGen ? [7, 9, 10] : [1, 3, 5, 6, 7]) {
        assert.deepEqual(await resumedRun(8, data, opts, stop), reference.slice(stop), `stop ${stop}`);
      }
    }
  });

  it('reseeds on TERMINATE_SINGLE_EPOCH with seed + iteration // iterCounter', async () => {
    const seen: Seen[] = [];
    manualSeed(2);
    const loader = new DataLoader(dataset(10), { batchSize: 2, shuffle: true });
    const engine = new DeterministicEngine(recorder(seen));
    engine.on(Events.ITERATION_COMPLETED({ once: 3 }), (e: DeterministicEngine) => e.terminateEpoch());
    await engine.run(loader, { maxEpochs: 2 });
    const rbs = (engine.state.dataloader as DataLoader).batchSampler as ReproducibleBatchSampler;
    manualSeed((engine.state.seed as number) + Math.floor(3 / 3));
    assert.deepEqual(seen.slice(3, 8).map((s) => s.ids), [...rbs]);
    loader.dispose();
  });

  it('setupSeed rejects a non-positive iterCounter with Ignite\'s message', () => {
    class Probe extends DeterministicEngine {
      probe(n: number): void {
        this.setupSeed(n);
      }
    }
    const p = new Probe(() => undefined);
    assert.throws(() => p.probe(0), (e: unknown) => e instanceof RangeError && e.message === 'iterCounter should be positive value');
  });

  it('keeps tf.memory().numTensors flat across epochs and resumes', async () => {
    manualSeed(1);
    const loader = new DataLoader(dataset(10), { batchSize: 3, shuffle: true });
    const start = tf.memory().numTensors;
    const counts: number[] = [];
    const engine = new DeterministicEngine(() => undefined);
    engine.on(Events.EPOCH_COMPLETED, () => counts.push(tf.memory().numTensors));
    engine.on(Events.ITERATION_COMPLETED({ once: 5 }), (e: DeterministicEngine) => e.interrupt());
    await engine.run(loader, { maxEpochs: 4 });
    await engine.run(loader);
    assert.equal(new Set(counts).size, 1, counts.join(','));
    loader.dispose();
    assert.equal(tf.memory().numTensors, start);
  });
});
