/**
 * Data-parallel correctness under `mpirun -np 2`: an MLP trained with a global batch of 64 for 20 steps ends with
 * the same weights as one process with batch 64 (float32 summation tolerance), and the evaluation metrics (reduced
 * across ranks) match. When the MPI addon or mpirun is missing the test is skipped with the reason, except in CI
 * (process.env.CI), where that is a failure.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { mpiAvailability } from '../../src/distributed/index.js';
import { installMpi } from '../../src/node/index.js';

const run = promisify(execFile);
const WORKER = 'test/distributed/fixtures/mlp-worker.ts';

interface WorkerResult {
  rank: number;
  localRank: number;
  worldSize: number;
  collectives: Record<string, unknown>;
  plain: { iterations: number; batch: number; weights: number[]; metrics: { accuracy: number; loss: number; gathered: number }; avgLoss: number[] };
  amp: { weights: number[]; scale: number };
  skip: { stepped: boolean; steppedAfter: boolean; scale: number; value: number[] };
  checkpoint?: { files: string[]; loaded: number[] };
}

function unavailableReason(): string | null {
  installMpi();
  const mpi = mpiAvailability();
  if (!mpi.available) return mpi.reason;
  if (spawnSync('mpirun', ['--version'], { stdio: 'ignore' }).status !== 0) {
    return 'mpirun not found on PATH (Debian/Ubuntu: apt-get install openmpi-bin)';
  }
  return null;
}

function parse(stdout: string): WorkerResult[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('RESULT '))
    .map((l) => JSON.parse(l.slice('RESULT '.length)) as WorkerResult)
    .sort((a, b) => a.rank - b.rank);
}

function mpirunArgs(np: number): string[] {
  const args = ['-np', String(np), '--oversubscribe', '--mca', 'btl', 'self,vader', '--bind-to', 'none'];
  if (process.getuid?.() === 0) args.unshift('--allow-run-as-root');
  return args;
}

function assertClose(actual: number[], expected: number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  actual.forEach((a, i) => {
    worst = Math.max(worst, Math.abs(a - (expected[i] ?? Number.NaN)) / Math.max(1, Math.abs(expected[i] ?? 0)));
  });
  assert.ok(worst <= tol, `${what}: max relative difference ${worst} > ${tol}`);
}

describe('distributed training under mpirun -np 2', { timeout: 90_000 }, () => {
  it('gives the weights and metrics of one process with the same global batch', async (t) => {
    const reason = unavailableReason();
    if (reason !== null) {
      if (process.env.CI) assert.fail(`the MPI test must run in CI, but: ${reason}`);
      t.skip(reason);
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'kindling-mpi-'));
    try {
      const ckptDir = join(dir, 'ckpt');
      const resultDir = join(dir, 'results');
      mkdirSync(ckptDir);
      mkdirSync(resultDir);
      const env = { ...process.env, KINDLING_TEST_CKPT_DIR: ckptDir, KINDLING_TEST_RESULT_DIR: resultDir };
      const node = [process.execPath, '--import', 'tsx', WORKER];
      const [distributed, single] = await Promise.all([
        run('mpirun', [...mpirunArgs(2), ...node, 'mpi'], { env, timeout: 60_000, maxBuffer: 1 << 24 }),
        run(process.execPath, ['--import', 'tsx', WORKER, 'null'], { timeout: 60_000, maxBuffer: 1 << 24 }),
      ]);
      const ranks = readdirSync(resultDir).sort().map((f) => JSON.parse(readFileSync(join(resultDir, f), 'utf8')) as WorkerResult);
      const [ref] = parse(single.stdout);
      assert.equal(ranks.length, 2, `expected 2 ranks, stdout:\n${distributed.stdout}\nstderr:\n${distributed.stderr}`);
      assert.ok(ref, `reference run printed no result:\n${single.stderr}`);
      const [r0, r1] = ranks as [WorkerResult, WorkerResult];
      assert.deepEqual([r0.worldSize, r1.worldSize, r0.localRank, r1.localRank], [2, 2, 0, 1]);

      // collectives
      assert.equal(r0.collectives.sum, 3);
      assert.deepEqual(r1.collectives.min, [0, -1]);
      assert.deepEqual(r0.collectives.max, [2, 20]);
      assert.deepEqual(r1.collectives.gathered, [[0, 0], [1, 1]]);
      assert.deepEqual(r0.collectives.gatheredNumbers, [0, 2]);
      assert.deepEqual(r1.collectives.names, ['rank-0', 'rank-1']);
      assert.deepEqual(r1.collectives.broadcastTensor, [7, 8, 9]);
      assert.equal(r1.collectives.broadcastString, 'from rank 0');

      // plain training: each rank loads 32 of the global 64; weights equal across ranks and to one process
      assert.equal(r0.plain.batch, 32);
      assert.equal(ref.plain.batch, 64);
      assert.equal(r0.plain.iterations, 20);
      assert.deepEqual(r0.plain.weights, r1.plain.weights, 'ranks diverged');
      assertClose(r0.plain.weights, ref.plain.weights, 1e-5, 'weights vs one process');
      for (const r of ranks) {
        assert.ok(Math.abs(r.plain.metrics.accuracy - ref.plain.metrics.accuracy) < 1e-9, `accuracy ${r.plain.metrics.accuracy} vs ${ref.plain.metrics.accuracy}`);
        assert.ok(Math.abs(r.plain.metrics.loss - ref.plain.metrics.loss) < 1e-5, `loss ${r.plain.metrics.loss} vs ${ref.plain.metrics.loss}`);
        // EpochMetric: all 640 samples gathered on every rank (the labels' sum as in one process)
        assert.equal(r.plain.metrics.gathered, ref.plain.metrics.gathered);
        assert.ok(r.plain.metrics.gathered > 640e6 && r.plain.metrics.gathered < 641e6, `gathered ${r.plain.metrics.gathered}`);
        // RunningAverage of the output: averaged over the ranks every iteration, so equal to one process's
        assertClose(r.plain.avgLoss, ref.plain.avgLoss, 1e-5, 'running average of the loss vs one process');
      }

      // accumulation + amp + GradScaler: same scale everywhere, weights equal across ranks and close to one process
      assert.deepEqual(r0.amp.weights, r1.amp.weights, 'ranks diverged (amp)');
      assert.equal(r0.amp.scale, ref.amp.scale);
      assertClose(r0.amp.weights, ref.amp.weights, 2e-2, 'amp weights vs one process (bfloat16 rounding)');

      // an inf on one rank makes every rank skip the step and back off
      for (const r of ranks) {
        assert.deepEqual([r.skip.stepped, r.skip.steppedAfter, r.skip.scale], [false, true, 2]);
        assert.deepEqual(r.skip.value, [-1, -2]); // [1, 2] - [4, 8] / 2 (the scale after one back-off)
      }

      // checkpoints: written once (rank 0), loadable by every rank
      assert.deepEqual(readdirSync(ckptDir), ['w_1.ckpt']);
      assert.deepEqual(r0.checkpoint?.loaded, [1, 42]);
      assert.deepEqual(r1.checkpoint?.loaded, [1, 42]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
