/**
 * Bit-exact resume: train an MLP with dropout and a shuffled DataLoader for 3 epochs; separately train 1.4
 * epochs (and to an epoch boundary, and with gradient accumulation k = 3 to a window boundary), save model weights,
 * optimizer state and the trainer state dict, resume in a FRESH PROCESS and finish: the final weights are bitwise
 * identical. On the cpu backend and on wasm.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { SEED, resume, train, useBackend, type Snapshot } from './fixtures/mlp.js';
import { restoreMathRandom } from '../../src/random/index.js';

const child = fileURLToPath(new URL('./fixtures/resume-child.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'kindling-resume-'));

// (name, gradient accumulation k, stop after iteration): 5 iterations per epoch, 15 in total.
const CASES: [string, number, number][] = [
  ['1.4 epochs (mid-epoch)', 1, 7],
  ['epoch boundary', 1, 10],
  ['gradient accumulation k = 3, window boundary (mid-epoch)', 3, 6],
];

function runChild(backend: string, jobs: { accumulate: number; snap: Snapshot }[]): string[][] {
  const jobsPath = join(dir, `${backend}-jobs.json`);
  const outPath = join(dir, `${backend}-out.json`);
  writeFileSync(jobsPath, JSON.stringify(jobs));
  const res = spawnSync(process.execPath, ['--import', 'tsx', child, backend, jobsPath, outPath], {
    encoding: 'utf8',
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
    timeout: 120_000,
  });
  assert.equal(res.status, 0, `child failed: ${res.stderr}`);
  return JSON.parse(readFileSync(outPath, 'utf8')) as string[][];
}

for (const backend of ['cpu', 'wasm']) {
  describe(`bit-exact resume on the ${backend} backend`, () => {
    after(() => restoreMathRandom());

    it('test_gradients_on_resume / test_concepts_snippet_resume: resumed in a fresh process, final weights are bitwise identical', async () => {
      await useBackend(backend);
      const start = tf.memory().numTensors;
      const full = { 1: (await train(SEED, 1, null)).bits, 3: (await train(SEED, 3, null)).bits };
      assert.equal(tf.memory().numTensors, start, 'training leaks no tensor');
      const jobs: { accumulate: number; snap: Snapshot }[] = [];
      for (const [name, k, stopAt] of CASES) {
        const { bits, snap } = await train(SEED, k, stopAt);
        assert.ok(snap !== null, name);
        assert.notDeepEqual(bits, full[k as 1 | 3], `${name}: the interrupted run stopped early`);
        assert.equal((snap).trainer['iteration'], stopAt);
        jobs.push({ accumulate: k, snap: snap });
      }
      // in-process resume first (cheap diagnostics), then the fresh process
      for (const [i, [name, k]] of CASES.entries()) {
        assert.deepEqual(await resume(SEED, k, (jobs[i] as { snap: Snapshot }).snap), full[k as 1 | 3], `${name} (same process)`);
      }
      const resumed = runChild(backend, jobs);
      for (const [i, [name, k]] of CASES.entries()) assert.deepEqual(resumed[i], full[k as 1 | 3], `${name} (fresh process)`);
    });

    it('two runs with the same seed are bitwise identical; different seeds differ', async () => {
      await useBackend(backend);
      const a = (await train(SEED, 1, null)).bits;
      assert.deepEqual((await train(SEED, 1, null)).bits, a);
      assert.notDeepEqual((await train(SEED + 1, 1, null)).bits, a);
    });
  });
}

after(() => rmSync(dir, { recursive: true, force: true }));
