// The kindling CLI end to end, as child processes: flags and errors, a short training on a small IDX dataset,
// resume from its checkpoint, Ctrl-C saving a checkpoint, evaluate, info.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSmallMnist } from '../helpers/mnist-idx.js';

const ENTRY = join(import.meta.dirname, 'kindling-entry.ts');
const run = (args: string[], timeout = 120_000): { code: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', ENTRY, ...args], { encoding: 'utf8', timeout, env: { ...process.env, CI: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('kindling CLI', () => {
  let data = '';
  before(async () => {
    data = mkdtempSync(join(tmpdir(), 'kindling-idx-'));
    await writeSmallMnist(data, { nTrain: 640, nTest: 200 });
  });

  it('prints help and exits 0', () => {
    const r = run(['--help']);
    assert.equal(r.code, 0);
    for (const cmd of ['train', 'evaluate', 'dashboard', 'info']) assert.match(r.stdout, new RegExp(`\\b${cmd}\\b`));
    const t = run(['train', '--help']);
    for (const flag of ['--model', '--epochs', '--batch-size', '--lr', '--optimizer', '--backend', '--amp', '--scaler', '--accumulation-steps', '--deterministic', '--seed', '--resume', '--output', '--dashboard', '--data']) {
      assert.ok(t.stdout.includes(flag), `train --help lists ${flag}`);
    }
  });

  it('rejects bad flags and missing files with one line and a non-zero exit code', () => {
    const cases: [string[], RegExp][] = [
      [['train', '--epochs', 'abc'], /--epochs must be a positive integer, got 'abc'/],
      [['train', '--model', 'resnet'], /Allowed choices are mlp, cnn/],
      [['train', '--scaler'], /--scaler requires --amp/],
      [['train', '--resume', '/nonexistent/x.ckpt'], /checkpoint '\/nonexistent\/x.ckpt' not found/],
      [['train', '--data', '/nonexistent-dir', '--epochs', '1'], /--data directory '\/nonexistent-dir' does not exist/],
      [['train', '--backend', 'tpu', '--epochs', '1', '--data', '/nonexistent-dir'], /does not exist|not available/],
      [['evaluate', '/nonexistent/model.ckpt'], /checkpoint '\/nonexistent\/model.ckpt' not found/],
      [['dashboard', '/nonexistent-logs'], /log directory '\/nonexistent-logs' does not exist/],
      [['frobnicate'], /unknown command 'frobnicate'/],
    ];
    for (const [args, message] of cases) {
      const r = run(args);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr, message, args.join(' '));
      assert.doesNotMatch(r.stderr, /^\s+at /m, `no stack trace for ${args.join(' ')}`);
    }
  });

  it('info lists the backends and which one auto picks', () => {
    const r = run(['info']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /yes\s+wasm/);
    assert.match(r.stdout, /yes\s+cpu/);
    assert.match(r.stdout, /<- auto/);
    // the native backend is listed either way; unavailable, with the reason and the fix (CI builds it)
    assert.match(r.stdout, process.env['CI'] ? /yes\s+kindling-native .*<- auto/ : /(yes\s+kindling-native|no\s+kindling-native\s+not built: .*install)/);
    assert.match(r.stdout, /(yes\s+tensorflow|no\s+tensorflow\s+not installed)/);
  });

  it('trains on IDX files, resumes from the checkpoint, and evaluates the best model', () => {
    const out = mkdtempSync(join(tmpdir(), 'kindling-run-'));
    const first = run(['train', '--data', data, '--epochs', '1', '--output', out, '--batch-size', '32']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /IDX files in/);
    assert.match(first.stdout, /Epoch 1\/1: validation accuracy \d\.\d{4}/);
    const acc = Number(/Test accuracy: (\d\.\d+)/.exec(first.stdout)?.[1]);
    assert.ok(acc > 0.3, `test accuracy well above chance (0.1) after one short epoch: ${acc}`);
    const resume = /Resume checkpoint: (\S+)/.exec(first.stdout)?.[1] ?? '';
    const best = /Best checkpoint: (\S+)/.exec(first.stdout)?.[1] ?? '';
    assert.ok(existsSync(resume) && existsSync(best));
    assert.ok(existsSync(join(out, 'metrics.jsonl')));

    const second = run(['train', '--data', data, '--epochs', '2', '--output', out, '--batch-size', '32', '--resume', resume]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /resumed from .* at epoch 1, iteration 18/);
    assert.doesNotMatch(second.stdout, /Epoch 1\/2/);
    assert.match(second.stdout, /Epoch 2\/2: validation accuracy/);
    assert.match(second.stdout, /Time: .* for 18 iterations .*iterations 19-36/);

    // The resumed run continues the best-model tracking: its best checkpoint replaces the first run's when better.
    const bestAfter = /Best checkpoint: (\S+)/.exec(second.stdout)?.[1] ?? '';
    assert.ok(existsSync(bestAfter), bestAfter);
    const ev = run(['evaluate', bestAfter, '--data', data]);
    assert.equal(ev.code, 0, ev.stderr);
    assert.match(ev.stdout, /test accuracy \d\.\d{4}, loss \d/);
  });

  it('--dashboard serves the run live and the log lands in the run directory', () => {
    const out = mkdtempSync(join(tmpdir(), 'kindling-dash-run-'));
    const r = run(['train', '--data', data, '--epochs', '1', '--output', out, '--dashboard', '0']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /dashboard: http:\/\/127\.0\.0\.1:\d+\//);
    assert.ok(existsSync(join(out, 'metrics.jsonl')));
  });

  /** Starts a 50-epoch training run into `out` and sends it `signal` once its first epoch line is printed. */
  async function trainUntilSignal(out: string, signal: NodeJS.Signals): Promise<{ code: number | null; stdout: string }> {
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, 'train', '--data', data, '--epochs', '50', '--output', out, '--batch-size', '16'], {
      env: { ...process.env, CI: '1' },
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (/Epoch 1\/50/.test(stdout)) {
          clearInterval(poll);
          child.kill(signal);
          resolve();
        }
      }, 50);
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { code, stdout };
  }

  it('Ctrl-C saves a checkpoint that --resume continues from', async () => {
    const out = mkdtempSync(join(tmpdir(), 'kindling-sigint-'));
    const { code, stdout } = await trainUntilSignal(out, 'SIGINT');
    assert.equal(code, 130, stdout);
    assert.match(stdout, /Interrupted at epoch \d+, iteration \d+/);
    const resume = /--resume (\S+\.ckpt)/.exec(stdout)?.[1] ?? '';
    assert.ok(existsSync(resume), `checkpoint written on Ctrl-C: ${resume}`);
    const iteration = Number(/Interrupted at epoch \d+, iteration (\d+)/.exec(stdout)?.[1]);
    const next = run(['train', '--data', data, '--epochs', '3', '--output', out, '--batch-size', '16', '--resume', resume]);
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stdout, new RegExp(`iteration ${iteration}\\b`));
    assert.match(next.stdout, /Epoch 3\/3/);
  });

  it('SIGTERM (a service manager stopping the run) also saves a resumable checkpoint, and exits with 143', async () => {
    const out = mkdtempSync(join(tmpdir(), 'kindling-sigterm-'));
    const { code, stdout } = await trainUntilSignal(out, 'SIGTERM');
    assert.equal(code, 143, stdout);
    assert.match(stdout, /SIGTERM: stopping after this iteration and saving a checkpoint/);
    assert.match(stdout, /Interrupted at epoch \d+, iteration \d+/);
    const resume = /--resume (\S+\.ckpt)/.exec(stdout)?.[1] ?? '';
    assert.ok(existsSync(resume), `checkpoint written on SIGTERM: ${resume}`);
  });
});
