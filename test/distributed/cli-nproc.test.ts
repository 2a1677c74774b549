/**
 * `kindling train --nproc 2`: the CLI starts 2 ranks of itself over MPI, each loads half of every global batch,
 * rank 0 alone prints and writes the run directory, and the result is close to one process's (the CLI's MLP
 * has dropout, whose masks are drawn per rank, so the runs are not equal: the test loss is within 0.05). Skipped with the reason when the MPI addon or
 * mpirun is missing, except in CI.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { RandomGenerator } from '../../src/random/index.js';
import { mpiAvailability } from '../../src/distributed/index.js';
import { installMpi } from '../../src/node/index.js';

const ENTRY = 'test/cli/kindling-entry.ts';

function unavailableReason(): string | null {
  installMpi();
  const mpi = mpiAvailability();
  if (!mpi.available) return mpi.reason;
  return spawnSync('mpirun', ['--version'], { stdio: 'ignore' }).status === 0 ? null : 'mpirun not found on PATH';
}

describe('kindling train --nproc', { timeout: 120_000 }, () => {
  it('trains with 2 ranks to the result of one process, printing once', async (t) => {
    const reason = unavailableReason();
    if (reason !== null) {
      if (process.env.CI) assert.fail(`the --nproc test must run in CI, but: ${reason}`);
      t.skip(reason);
      return;
    }
    const root = mkdtempSync(join(tmpdir(), 'kindling-nproc-'));
    try {
      const g = new RandomGenerator(3);
      const rows = Array.from({ length: 240 }, () => {
        const a = g.random() * 2 - 1;
        const b = g.random() * 2 - 1;
        return `${a},${b},${a + b < -0.3 ? 0 : a + b > 0.3 ? 2 : 1}`;
      });
      const csv = join(root, 'rows.csv');
      writeFileSync(csv, `a,b,cls\n${rows.join('\n')}\n`);
      const args = (out: string): string[] => ['--import', 'tsx', ENTRY, 'train', '--data', csv, '--label', 'cls', '--epochs', '2',
        '--batch-size', '32', '--backend', 'cpu', '--deterministic', '--output', join(root, out)];
      const env: NodeJS.ProcessEnv = { ...process.env };
      for (const v of ['OMPI_COMM_WORLD_SIZE', 'PMIX_RANK', 'PMI_RANK', 'PMI_SIZE', 'KINDLING_MPI_LAUNCHED']) delete env[v];
      const run = promisify(execFile);
      const [two, one] = await Promise.all([
        run(process.execPath, [...args('two'), '--nproc', '2'], { env, timeout: 90_000, killSignal: 'SIGKILL' }),
        run(process.execPath, args('one'), { env, timeout: 90_000, killSignal: 'SIGKILL' }),
      ]);
      const summary = (s: string): string[] => s.split('\n').filter((l) => /^Test accuracy|^Time:/.test(l));
      assert.equal(summary(two.stdout).length, 2, `rank 0 alone prints the summary:\n${two.stdout}`);
      const testLoss = (s: string): number => Number(/Test accuracy: [\d.]+ {2}\(loss ([\d.]+)/.exec(s)?.[1]);
      assert.ok(Math.abs(testLoss(two.stdout) - testLoss(one.stdout)) < 0.05, `--nproc 2 vs one process:\n${two.stdout}\n${one.stdout}`);
      // 194 training rows, global batch 32: 7 iterations an epoch in both
      assert.match(two.stdout, /for 14 iterations/);
      assert.match(one.stdout, /for 14 iterations/);
      assert.deepEqual(readdirSync(join(root, 'two', 'checkpoints')).filter((f) => f.startsWith('last_')), ['last_checkpoint_14.ckpt']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
