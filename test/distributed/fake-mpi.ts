/**
 * A stand-in for kindling's MPI addon, installed through the context's loader slot: it plays rank 1 of 2 on a host
 * running both, its collectives double, repeat or fill their arrays, and it logs every call, so the context and
 * `Parallel` can be tested in one process without MPI.
 */
import { finalize, setMpiLoader, type CollectiveArray, type MpiAddon, type ReduceOp } from '../../src/distributed/context.js';

/** The stand-in addon and the log of its calls. */
export interface FakeAddon extends MpiAddon {
  readonly calls: string[];
}

/**
 * Makes a stand-in addon.
 *
 * @param options - `initError`: what `init()` throws (MPI failing to start); `failure`: what `failure()` reports.
 * @returns the addon.
 */
export function fakeAddon(options: { initError?: Error; failure?: string } = {}): FakeAddon {
  const calls: string[] = [];
  return {
    calls,
    init() {
      calls.push('init');
      if (options.initError) throw options.initError;
      return { rank: 1, worldSize: 2, localRank: 1, localSize: 2, threadLevel: 0, library: 'fake MPI 1.0' };
    },
    isInitialized: () => true,
    finalize: () => { calls.push('finalize'); },
    allReduce<T extends CollectiveArray>(array: T, op: ReduceOp): T {
      calls.push(`allReduce ${op}`);
      array.forEach((v, i) => { array[i] = v * 2; });
      return array;
    },
    allGather<T extends CollectiveArray>(array: T): T {
      calls.push('allGather');
      const out = new (array.constructor as new (n: number) => T)(array.length * 2);
      out.set(array);
      out.set(array, array.length);
      return out;
    },
    broadcast<T extends CollectiveArray>(array: T, root: number): T {
      calls.push(`broadcast ${root}`);
      array.fill(root + 40);
      return array;
    },
    barrier: () => { calls.push('barrier'); },
    abort: (code, message) => { calls.push(message === undefined ? `abort ${code}` : `abort ${code} ${message}`); },
    newGroup: (ranks) => {
      calls.push(`newGroup ${ranks.join(',')}`);
      return ranks.includes(1) ? 1 : -1;
    },
    setTimeout: (seconds) => { calls.push(`setTimeout ${seconds}`); },
    failure: () => options.failure ?? null,
  };
}

/** The advice the stand-in loader gives when it cannot load. */
export const FAKE_HOW_TO_ENABLE = 'Rebuild the fake.';

/**
 * Runs `fn` with `addon` installed behind a loader; leaves the context serial and without a loader.
 *
 * @param addon - the addon the loader returns.
 * @param fn - the test body.
 * @returns when `fn` has settled.
 */
export async function withAddon(addon: MpiAddon, fn: () => void | Promise<void>): Promise<void> {
  setMpiLoader({ load: () => ({ addon }), howToEnable: FAKE_HOW_TO_ENABLE });
  try {
    await fn();
  } finally {
    finalize();
    setMpiLoader(null);
  }
}
