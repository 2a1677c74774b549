// Every example runs to completion (small sizes through environment variables) and prints what it promises.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const run = (name: string, env: Record<string, string>): string => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join('examples', name)], {
    encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env },
  });
  assert.equal(r.status, 0, `${name} failed:\n${r.stderr.slice(-2000)}`);
  return r.stdout;
};

describe('examples', () => {
  it('mnist.ts: the Ignite quickstart trains, validates and checkpoints', () => {
    const out = run('mnist.ts', { EPOCHS: '1', PER_DIGIT: '100', CHECKPOINT_DIR: mkdtempSync(join(tmpdir(), 'kindling-ex-')) });
    const acc = Number(/Avg accuracy: (\d\.\d+)/.exec(out)?.[1]);
    assert.ok(acc > 0.5, `accuracy after one epoch: ${acc}`);
    assert.match(out, /best checkpoint: .*best_model_1_accuracy=\d\.\d{4}\.ckpt/);
  });

  it('regression.ts: recovers the true weights', () => {
    const out = run('regression.ts', { EPOCHS: '20' });
    assert.match(out, /learned weights \[3\.00, -2\.00\], bias 0\.50/);
  });

  it('custom-loop.ts: two-optimizer step with a custom filtered event', () => {
    const out = run('custom-loop.ts', { EPOCHS: '4' });
    assert.match(out, /discriminator step 100: loss \d/);
    assert.match(out, /discriminator step 200: loss \d/);
    const mean = Number(/generated mean (-?\d+\.\d+)/.exec(out)?.[1]);
    assert.ok(Math.abs(mean - 3) < 1, `generator mean moved towards 3: ${mean}`);
  });

  it('accumulation-amp.ts: one optimizer step per 4 iterations, gradient norms logged', () => {
    const out = run('accumulation-amp.ts', { EPOCHS: '1', PER_DIGIT: '50' });
    assert.match(out, /iteration 20: loss \d\.\d+, accumulated gradient norm \d/);
    const [, iters, steps] = /epoch 1 done: (\d+) iterations, (\d+) optimizer steps so far/.exec(out) ?? [];
    assert.ok(Number(iters) > 4, `iterations: ${iters}`);
    assert.equal(Number(steps), Math.floor(Number(iters) / 4), 'one optimizer step per 4 micro-batches');
  });

  it('cifar10-workers.ts: a CNN on CIFAR-format files with crop + flip, fed by 2 worker threads', () => {
    const out = run('cifar10-workers.ts', { EPOCHS: '1', N_TRAIN: '128', N_TEST: '64' });
    assert.match(out, /epoch 1: test accuracy \d\.\d{4} \(2 loader workers\)/);
  });

  it('image-folder.ts: real PNG and JPEG files in class folders, resized and flipped in 2 workers, are learned', () => {
    const out = run('image-folder.ts', { EPOCHS: '3', PER_CLASS: '10' });
    assert.match(out, /classes: blue, green, red \(30 images\)/);
    const acc = Number(/training-set accuracy (\d\.\d+) with 2 loader workers/.exec(out)?.[1]);
    assert.ok(acc > 0.6, `accuracy: ${acc}`);
  });

  it('tabular-csv.ts: a lazily read CSV with a categorical label trains an MLP', () => {
    const out = run('tabular-csv.ts', { EPOCHS: '10', ROWS: '150' });
    assert.match(out, /150 rows, features sepal_length, sepal_width, petal_length, petal_width, classes setosa, versicolor, virginica/);
    const acc = Number(/accuracy (\d\.\d+)/.exec(out.split('\n').at(-2) ?? '')?.[1]);
    assert.ok(acc > 0.8, `accuracy: ${acc}`);
  });

  it('deterministic-resume.ts: resumed weights are bitwise identical', () => {
    const out = run('deterministic-resume.ts', { PER_DIGIT: '30' });
    assert.match(out, /final weights identical: true/);
  });
});
