/**
 * Several hosts for real, on one machine: three network namespaces joined by veth pairs to a bridge play three
 * hosts, and mpirun starts one rank in each through an `ip netns exec` agent (no ssh), so the ranks talk over
 * Open MPI's TCP transport (test/distributed/netns/cluster.ts). Checks, with a DeterministicEngine training an
 * MLP (global batch 48):
 * - the weights of 3 hosts equal one process's (float32 summation tolerance) and are equal on every rank;
 * - a rank SIGKILLed mid-epoch ends the job within 30 s, and every surviving rank prints an error naming it;
 * - relaunching from the last checkpoint finishes with the weights of the uninterrupted run, bit for bit;
 * - a rank whose handler throws aborts every rank, and every rank prints that error.
 * Namespaces and processes are removed even when a test fails. Skipped with the reason without root, `ip` or the
 * MPI addon; in CI (process.env.CI) that is a failure.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { mpiAvailability } from '../../src/distributed/index.js';
import { installMpi } from '../../src/node/index.js';
import { createCluster, netnsUnavailable, type Cluster } from './netns/cluster.js';

const WORKER = 'test/distributed/fixtures/fault-worker.ts';
const HOSTS = 3;

interface RankResult { rank: number; worldSize: number; host: string; iteration: number; batch: number; weights: number[] }
interface Launch { code: number | string; stdout: string; stderr: string; endedAt: number; results: RankResult[]; dir: string }

function unavailable(): string | null {
  installMpi();
  const mpi = mpiAvailability();
  return mpi.available ? netnsUnavailable() : mpi.reason;
}

const reason = unavailable();
let cluster: Cluster | null = null;
const work = mkdtempSync(join(tmpdir(), 'kindling-multihost-'));

/** Runs the worker on the cluster's 3 hosts; kills mpirun's process group after 60 s. */
async function launch(name: string, env: Record<string, string>): Promise<Launch> {
  const c = cluster!;
  const dir = join(work, name);
  mkdirSync(dir);
  const child = c.mpirun([...c.mpirunArgs(), '-np', String(HOSTS), '-x', 'KINDLING_TEST_RESULT_DIR', '-x', 'KINDLING_TEST_CKPT_DIR',
    process.execPath, '--import', 'tsx', WORKER, 'mpi'], { KINDLING_TEST_RESULT_DIR: dir, KINDLING_TEST_CKPT_DIR: join(work, 'ckpt'), ...env });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  const timer = setTimeout(() => { if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL'); }, 60_000);
  const code = await new Promise<number | string>((resolve) => child.once('exit', (c2, s) => resolve(c2 ?? s ?? -1)));
  clearTimeout(timer);
  const endedAt = Date.now();
  const results = readdirSync(dir).filter((f) => f.startsWith('rank-')).sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as RankResult);
  return { code, stdout, stderr, endedAt, results, dir };
}

function explain(l: Launch): string {
  return `exit ${l.code}\nstdout:\n${l.stdout}\nstderr:\n${l.stderr}`;
}

describe(`${HOSTS} hosts over TCP (network namespaces)`, { timeout: 240_000 }, () => {
  before(() => {
    if (reason !== null) return;
    cluster = createCluster(HOSTS);
    mkdirSync(join(work, 'ckpt'));
  });
  after(() => {
    cluster?.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  let uninterrupted: Launch | null = null;

  it('trains to the weights of one process with the same global batch', async (t) => {
    if (reason !== null) {
      if (process.env.CI) assert.fail(`the multi-host test must run in CI, but: ${reason}`);
      t.skip(reason);
      return;
    }
    const [run, single] = await Promise.all([
      launch('uninterrupted', {}),
      promisify(execFile)(process.execPath, ['--import', 'tsx', WORKER, 'null'], { timeout: 60_000 }),
    ]);
    uninterrupted = run;
    assert.equal(run.code, 0, explain(run));
    assert.equal(run.results.length, HOSTS, explain(run));
    const ref = JSON.parse(single.stdout.split('\n').find((l) => l.startsWith('RESULT '))!.slice(7)) as RankResult;
    assert.deepEqual(run.results.map((r) => r.host), cluster!.hosts.map((h) => h.ns), 'one rank per namespace');
    assert.deepEqual(run.results.map((r) => [r.rank, r.worldSize, r.batch, r.iteration]), [[0, 3, 16, 15], [1, 3, 16, 15], [2, 3, 16, 15]]);
    assert.deepEqual(run.results[1]!.weights, run.results[0]!.weights, 'ranks diverged');
    assert.deepEqual(run.results[2]!.weights, run.results[0]!.weights, 'ranks diverged');
    assert.equal(ref.batch, 48);
    const worst = ref.weights.reduce((m, w, i) => Math.max(m, Math.abs(w - (run.results[0]!.weights[i] ?? NaN)) / Math.max(1, Math.abs(w))), 0);
    assert.ok(worst <= 1e-5, `weights vs one process: max relative difference ${worst}`);
  });

  it('ends the job within 30 s when a rank is SIGKILLed mid-epoch, naming it on every survivor; --resume finishes bit-exact', async (t) => {
    if (reason !== null || uninterrupted === null) {
      if (process.env.CI) assert.fail(`the fault test must run in CI, but: ${reason ?? 'the uninterrupted run failed'}`);
      t.skip(reason ?? 'the uninterrupted run failed');
      return;
    }
    rmSync(join(work, 'ckpt'), { recursive: true, force: true });
    mkdirSync(join(work, 'ckpt'));
    const killed = await launch('killed', { FAULT_KILL: '1:8' }); // epoch 2 of 3, iteration 3 of 5
    assert.notEqual(killed.code, 0, explain(killed));
    const killedAt = Number(readFileSync(join(killed.dir, 'killed-at'), 'utf8'));
    assert.ok(killed.endedAt - killedAt < 30_000, `the job took ${killed.endedAt - killedAt} ms to end after the kill`);
    for (const survivor of [0, 2]) {
      assert.match(killed.stderr, new RegExp(`rank ${survivor}: lost rank 1 \\(pid \\d+ on ${cluster!.hosts[1]!.ns}\\)`), explain(killed));
    }
    assert.equal(killed.results.length, 0, 'no rank finished');
    const checkpoints = readdirSync(join(work, 'ckpt')).filter((f) => f.endsWith('.ckpt'));
    assert.equal(checkpoints.length, 1, `one checkpoint, got ${checkpoints.join(', ')}`);
    assert.match(checkpoints[0]!, /_6\.ckpt$/, 'the last checkpoint before the kill (iteration 6)');

    const resumed = await launch('resumed', { FAULT_RESUME: join(work, 'ckpt', checkpoints[0]!) });
    assert.equal(resumed.code, 0, explain(resumed));
    assert.equal(resumed.results.length, HOSTS, explain(resumed));
    for (const r of resumed.results) {
      assert.equal(r.iteration, 15);
      assert.deepEqual(r.weights, uninterrupted.results[0]!.weights, `rank ${r.rank}: resumed weights differ from the uninterrupted run`);
    }
  });

  it('aborts every rank with the error of a rank whose handler throws', async (t) => {
    if (reason !== null) {
      if (process.env.CI) assert.fail(`the fault test must run in CI, but: ${reason}`);
      t.skip(reason);
      return;
    }
    const failed = await launch('throws', { FAULT_THROW: '2:4' });
    assert.notEqual(failed.code, 0, explain(failed));
    assert.equal(failed.results.length, 0, 'no rank finished');
    const message = 'handler failed on rank 2 at iteration 4';
    assert.match(failed.stderr, new RegExp(`rank 2 failed, aborting the job: Error: ${message}`), explain(failed));
    for (const other of [0, 1]) {
      assert.match(failed.stderr, new RegExp(`rank ${other}: rank 2 \\(pid \\d+ on ${cluster!.hosts[2]!.ns}\\) failed: Error: ${message}`), explain(failed));
    }
  });
});
