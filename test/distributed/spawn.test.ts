/**
 * `Parallel({ backend: 'mpi', nprocPerNode: 3 })` in a script started with plain `node`: it starts the 3 ranks
 * itself (under mpirun) and resolves with undefined in the launching process; the ranks run the rest of Ignite's
 * idist API: groups (`newGroup`, collectives on a group or a list of ranks), `oneRankFirst`, `barrierAsync` (the
 * event loop runs while a rank waits), `allReduceArrayAsync`,
 * `allGatherTensorsWithShapes`, `modelName`, `device`, `hostname`, `availableBackends`, `hasNativeDistSupport`.
 * A rank that throws makes the launcher reject. Skipped with the reason when the MPI addon or mpirun is missing,
 * except in CI.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { mpiAvailability } from '../../src/distributed/index.js';
import { installMpi } from '../../src/node/index.js';

const WORKER = 'test/distributed/fixtures/spawn-worker.ts';

function unavailableReason(): string | null {
  installMpi();
  const mpi = mpiAvailability();
  if (!mpi.available) return mpi.reason;
  return spawnSync('mpirun', ['--version'], { stdio: 'ignore' }).status === 0 ? null : 'mpirun not found on PATH';
}

/** Runs the worker with plain node in its own process group; kills the group after 60 s. */
async function runWorker(dir: string, args: string[]): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, KINDLING_TEST_RESULT_DIR: dir };
  for (const v of ['OMPI_COMM_WORLD_SIZE', 'PMIX_RANK', 'PMI_RANK', 'PMI_SIZE', 'KINDLING_MPI_LAUNCHED']) delete env[v];
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const timer = setTimeout(() => { if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL'); }, 60_000);
  try {
    const code = await new Promise<number | string>((resolve) => child.once('exit', (c, s) => resolve(c ?? s ?? -1)));
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}

describe('Parallel({ nprocPerNode }) without mpirun', { timeout: 120_000 }, () => {
  it('starts the ranks itself; they run the rest of idist; a failing rank makes the launcher reject', async (t) => {
    const reason = unavailableReason();
    if (reason !== null) {
      if (process.env.CI) assert.fail(`the spawn test must run in CI, but: ${reason}`);
      t.skip(reason);
      return;
    }
    const ok = mkdtempSync(join(tmpdir(), 'kindling-spawn-'));
    const bad = mkdtempSync(join(tmpdir(), 'kindling-spawn-'));
    try {
      const [run, failing] = await Promise.all([runWorker(ok, []), runWorker(bad, ['throw'])]);
      const explain = `exit ${run.code}\n${run.stdout}\n${run.stderr}`;
      assert.equal(run.code, 0, explain);
      const launcher = run.stdout.split('\n').filter((l) => l.startsWith('LAUNCHER '));
      assert.equal(launcher.length, 1, `the launching process resolves once: ${explain}`);
      assert.deepEqual(JSON.parse(launcher[0]!.slice(9)), { returned: null, modelName: 'serial' });
      const ranks = readdirSync(ok).filter((f) => f.startsWith('rank-')).sort()
        .map((f) => JSON.parse(readFileSync(join(ok, f), 'utf8')) as Record<string, unknown>);
      assert.equal(ranks.length, 3, explain);
      ranks.forEach((r, i) => {
        assert.equal(r.rank, i);
        assert.equal(r.localRank, i);
        assert.equal(r.tag, 'spawned');
        assert.equal(r.first, i);
        assert.deepEqual([r.worldSize, r.nprocPerNode], [3, 3]);
        assert.equal(r.sumAll, 6);
        assert.deepEqual(r.asyncSum, [3, 3]);
        assert.deepEqual([r.modelName, r.backend, r.device, r.hostname], ['native-dist', 'mpi', 'cpu', hostname()]);
        assert.deepEqual([r.availableBackends, r.hasNativeDistSupport], [['mpi'], true]);
        assert.deepEqual(r.gathered, [[[1, 1]], [[2, 2], [2, 2]], [[3, 3], [3, 3], [3, 3]]]);
      });
      // group [0, 2]: 1 + 3 and gathers of the two; rank 1 (outside) gets its own value back
      assert.deepEqual(ranks.map((r) => [r.isMember, r.sumEvens, r.gatherEvens]), [[true, 4, [0, 20]], [false, 2, [10]], [true, 4, [0, 20]]]);
      assert.deepEqual(ranks[2]!.gatheredEvens, [[[1, 1]], [[3, 3], [3, 3], [3, 3]]]);
      assert.deepEqual(ranks[1]!.gatheredEvens, [[[2, 2], [2, 2]]]);
      // a list of ranks as the group: max over ranks 1 and 2
      assert.deepEqual(ranks.map((r) => r.maxListGroup), [[0, 0], [2, -1], [2, -1]]);
      // barrierAsync: rank 0's timers fired while it waited ~400 ms for ranks 1 and 2 (a blocking barrier: 0 ticks)
      assert.ok((ranks[0]!.ticks as number) >= 5, `rank 0's event loop ran ${String(ranks[0]!.ticks)} ticks while waiting`);
      // oneRankFirst({ rank: 1 }): rank 1 wrote first
      assert.equal(readFileSync(join(ok, 'order.txt'), 'utf8').split('\n')[0], '1');

      assert.notEqual(failing.code, 0, `a failing rank: ${failing.stdout}\n${failing.stderr}`);
      assert.match(failing.stderr, /rank 1 failed, aborting the job: Error: spawned rank 1 failed/);
      assert.match(failing.stderr, /the 3 ranks started with mpirun failed/);
      assert.doesNotMatch(failing.stdout, /LAUNCHER/);
    } finally {
      rmSync(ok, { recursive: true, force: true });
      rmSync(bad, { recursive: true, force: true });
    }
  });
});
