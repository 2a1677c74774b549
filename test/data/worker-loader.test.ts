import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { DataLoader } from '../../src/data/dataloader.js';
import { DataLoaderWorkerError } from '../../src/data/worker-pool.js';
import { setDefaultWorkerSpawner } from '../../src/data/worker-defaults.js';
import { DeterministicEngine } from '../../src/deterministic/index.js';
import { Events, type EngineStateDict } from '../../src/engine/index.js';
import { globalGenerator, manualSeed, restoreMathRandom } from '../../src/random/index.js';
import { installWorkerThreads } from '../../src/node/workers/thread-spawner.js';
import { makeCrashing, makeFailing, makeNoisy, makeOffset, makeStuck } from './fixtures/worker-datasets.js';

const fixtures = new URL('./fixtures/worker-datasets.ts', import.meta.url);
const N = 23;

type Batch = [tf.Tensor, tf.Tensor];

/** Reads one epoch: every batch's x rows and y values. */
async function readEpoch(loader: AsyncIterable<Batch>): Promise<number[][]> {
  const out: number[][] = [];
  for await (const [x, y] of loader) out.push([...(await x.data()), ...(await y.data())]);
  return out;
}

function noisyLoader(numWorkers: number, extra: Record<string, unknown> = {}): DataLoader<unknown, Batch> {
  return new DataLoader(makeNoisy(N, numWorkers > 0 ? 2 : 0), {
    batchSize: 4,
    shuffle: true,
    ...(numWorkers > 0 ? { numWorkers, workerDataset: { module: fixtures, exportName: 'makeNoisy', args: [N, 2] } } : {}),
    ...extra,
  }) as DataLoader<unknown, Batch>;
}

describe('DataLoader workers', () => {
  before(async () => {
    await tf.setBackend('cpu');
    installWorkerThreads();
  });
  after(() => {
    setDefaultWorkerSpawner(null);
    restoreMathRandom();
  });

  it('gives exactly the batches of numWorkers: 0 (sampler order, per-sample random streams) for 1 and 2 workers, leak-free', async () => {
    const epochs = async (loader: DataLoader<unknown, Batch>): Promise<number[][][]> => {
      manualSeed(5);
      const out = [await readEpoch(loader), await readEpoch(loader)];
      loader.dispose();
      return out;
    };
    const reference = await epochs(noisyLoader(0));
    const tensors = tf.memory().numTensors;
    assert.deepEqual(await epochs(noisyLoader(1)), reference);
    assert.deepEqual(await epochs(noisyLoader(2, { prefetchFactor: 3, persistentWorkers: true })), reference);
    assert.equal(tf.memory().numTensors, tensors);
    // The augmentation is really random: epochs differ, and every sample appears once per epoch.
    assert.notDeepEqual(reference[0], reference[1]);
    const firstColumn = (epoch: number[][]): number[] => epoch.flatMap((b) => b.slice(0, (b.length / 4) * 3).filter((_, k) => k % 3 === 0));
    assert.deepEqual([...firstColumn(reference[0] as number[][])].sort((a, b) => a - b), Array.from({ length: N }, (_, i) => i));
  });

  it('passes workerInit the worker info and its args before building the dataset', async () => {
    const loader = new DataLoader(makeOffset(6), {
      batchSize: 3,
      numWorkers: 2,
      workerInit: { module: fixtures, exportName: 'initOffset', args: [100] },
      workerDataset: { module: fixtures, exportName: 'makeOffset', args: [6] },
    });
    const rows: number[][] = [];
    for await (const x of loader as AsyncIterable<tf.Tensor>) rows.push(...(x.arraySync() as number[][]));
    loader.dispose();
    assert.deepEqual(rows.map((r) => r[0]), [100, 101, 102, 103, 104, 105]);
    for (const r of rows) {
      assert.ok(r[1] === 0 || r[1] === 1, `worker id ${String(r[1])}`);
      assert.equal(r[2], 2);
    }
  });

  it('surfaces the original error of a worker with the sample index', async () => {
    const loader = new DataLoader(makeFailing(12, 7), {
      batchSize: 4,
      numWorkers: 2,
      workerDataset: { module: fixtures, exportName: 'makeFailing', args: [12, 7] },
    });
    await assert.rejects(readEpoch(loader as AsyncIterable<Batch>), (e: unknown) => {
      assert.ok(e instanceof DataLoaderWorkerError);
      assert.equal(e.sampleIndex, 7);
      assert.match(e.message, /Caught TypeError in DataLoader worker \d while loading sample 7: cannot decode sample 7: bad bytes/);
      assert.ok(e.cause instanceof TypeError);
      assert.equal(e.cause.message, 'cannot decode sample 7: bad bytes');
      return true;
    });
    loader.dispose();
  });

  it('fails clearly when the dataset factory throws', async () => {
    const loader = new DataLoader([1, 2, 3], {
      batchSize: 2,
      numWorkers: 1,
      workerDataset: { module: fixtures, exportName: 'makeBroken' },
    });
    await assert.rejects(readEpoch(loader as unknown as AsyncIterable<Batch>), /DataLoader worker 0 could not create its dataset \(makeBroken of file:.*\): RangeError: no such directory/);
    loader.dispose();
  });

  it('replaces a crashed worker and retries its batch (process.exit once), delivering every batch in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kindling-crash-'));
    try {
      const marker = join(dir, 'crashed');
      const loader = new DataLoader(makeCrashing(16, 9, marker), {
        batchSize: 4,
        numWorkers: 2,
        workerDataset: { module: fixtures, exportName: 'makeCrashing', args: [16, 9, marker] },
      });
      const epoch = await readEpoch(loader as AsyncIterable<Batch>);
      loader.dispose();
      assert.deepEqual(epoch.map((b) => b[0]), [0, 4, 8, 12]);
      assert.equal(epoch.length, 4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails the run clearly (no hang) when a batch kills its worker again after the replacement', async () => {
    const loader = new DataLoader(makeCrashing(16, 9), {
      batchSize: 4,
      numWorkers: 2,
      workerDataset: { module: fixtures, exportName: 'makeCrashing', args: [16, 9] },
    });
    await assert.rejects(readEpoch(loader as AsyncIterable<Batch>), (e: unknown) => {
      assert.ok(e instanceof DataLoaderWorkerError);
      assert.match(e.message, /exited unexpectedly with exit code 3 while loading the batch of samples \[8, 9, 10, 11\]/);
      return true;
    });
    loader.dispose();
  });

  it('times out (torch\'s timeout, in seconds) on a dataset factory that never settles, naming the worker and the factory', async () => {
    const loader = new DataLoader([1, 2, 3], {
      batchSize: 2,
      numWorkers: 1,
      timeout: 0.5,
      workerDataset: { module: fixtures, exportName: 'makeNeverReady' },
    });
    const started = Date.now();
    await assert.rejects(readEpoch(loader as unknown as AsyncIterable<Batch>), (e: unknown) => {
      assert.ok(e instanceof DataLoaderWorkerError);
      assert.match(e.message, /^DataLoader timed out after 0.5 seconds waiting for the batch of samples \[0, 1\]: worker 0 has not finished creating its dataset \(makeNeverReady of file:/);
      assert.equal(e.workerId, 0);
      return true;
    });
    assert.ok(Date.now() - started < 20_000, 'the run ends instead of hanging');
    loader.dispose();
  });

  it('times out on a sample whose get() never settles; a persistent pool is replaced at the next epoch', async () => {
    const n = 8;
    // The timer also covers the workers' start-up (as torch's), which can take seconds on a loaded machine.
    const loader = new DataLoader(makeStuck(n, 5), {
      batchSize: 2,
      numWorkers: 2,
      persistentWorkers: true,
      timeout: 8,
      workerDataset: { module: fixtures, exportName: 'makeStuck', args: [n, 5] },
    });
    try {
      const seen: number[] = [];
      await assert.rejects(
        (async () => {
          for await (const x of loader as AsyncIterable<tf.Tensor>) seen.push(...(await x.data()));
        })(),
        /DataLoader timed out after 8 seconds waiting for the batch of samples \[4, 5\]: worker \d built its dataset but has not delivered this batch/,
      );
      assert.deepEqual(seen, [0, 1, 2, 3], 'the batches before the stuck one were delivered in order');
      // The next epoch gets fresh workers (the failed pool is not reused): its first batches arrive.
      const next: number[] = [];
      for await (const x of loader as AsyncIterable<tf.Tensor>) {
        next.push(...(await x.data()));
        if (next.length === 4) break;
      }
      assert.deepEqual(next, [0, 1, 2, 3]);
    } finally {
      loader.dispose();
    }
  });

  it('rejects bad worker options with what to do', () => {
    assert.throws(() => new DataLoader([1, 2], { numWorkers: 1, timeout: -1, workerDataset: { module: fixtures } }), /timeout should be a number of seconds >= 0 \(0 waits forever\), but given -1/);
    assert.throws(() => new DataLoader([1, 2], { timeout: 5 }), /timeout options need numWorkers > 0/);
    assert.throws(() => new DataLoader([1, 2], { numWorkers: 2 }), /needs the workerDataset option/);
    assert.throws(() => new DataLoader([1, 2], { numWorkers: -1 }), RangeError);
    assert.throws(
      () => new DataLoader([1, 2], { numWorkers: 1, workerDataset: { module: './data.js' } }),
      /workerDataset.module should be an absolute URL or file path/,
    );
    assert.throws(
      () => new DataLoader([1, 2], { numWorkers: 1, collate: (s) => s, workerDataset: { module: fixtures } }),
      /custom collate cannot run in DataLoader workers/,
    );
    setDefaultWorkerSpawner(null);
    try {
      assert.throws(() => new DataLoader([1, 2], { numWorkers: 1, workerDataset: { module: fixtures } }), /installWorkerThreads\(\)/);
    } finally {
      installWorkerThreads();
    }
  });

  it('keeps DeterministicEngine bit-exact on a mid-epoch resume with workers and augmentation', async () => {
    type Seen = number[];
    const step = (seen: Seen[]) => async (_e: unknown, [x, y]: Batch): Promise<void> => {
      seen.push([...(await x.data()), ...(await y.data()), globalGenerator.random()]); // in-step randomness too
    };
    const full: Seen[] = [];
    manualSeed(11);
    const reference = new DeterministicEngine(step(full));
    await reference.run(noisyLoader(0), { maxEpochs: 3 });
    assert.equal(full.length, 18);

    for (const [workers, stopAt] of [[2, 9], [1, 14]] as const) {
      manualSeed(11);
      let saved: EngineStateDict | null = null;
      const first = new DeterministicEngine(step([]));
      first.on(Events.ITERATION_COMPLETED({ once: stopAt }), (e: DeterministicEngine) => {
        saved = JSON.parse(JSON.stringify(e.stateDict())) as EngineStateDict;
        e.terminate();
      });
      const l1 = noisyLoader(workers);
      await first.run(l1, { maxEpochs: 3 });
      l1.dispose();
      manualSeed(999);
      const rest: Seen[] = [];
      manualSeed(11);
      const second = new DeterministicEngine(step(rest));
      second.loadStateDict(saved as unknown as EngineStateDict);
      const l2 = noisyLoader(workers);
      await second.run(l2);
      l2.dispose();
      assert.deepEqual(rest, full.slice(stopAt), `numWorkers ${workers}, resumed at ${stopAt}`);
    }
  });
});
