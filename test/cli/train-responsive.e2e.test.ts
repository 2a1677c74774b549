// `kindling train` stays responsive and safe mid-epoch, end to end as child processes: the dashboard answers within
// a second while an epoch runs, malformed requests kill neither the server nor the training, a second run into the
// same --output is refused naming the first, Ctrl-C stops within 3 s with a mid-epoch checkpoint (exit code 130),
// and --resume finishes the run in the same directory. Also the CLI's early, one-line errors.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSmallMnist } from '../helpers/mnist-idx.js';

const ENTRY = join(import.meta.dirname, 'kindling-entry.ts');
const ENV = { ...process.env, CI: '1' };
const cli = (args: string[], timeout = 180_000): { code: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', ENTRY, ...args], { encoding: 'utf8', timeout, env: ENV });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until `check()` returns a value (polling), or fails after `ms`. */
async function waitFor<T>(what: string, check: () => T | undefined, ms = 120_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

function timedGet(url: string): Promise<{ status: number; ms: number }> {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    get(url, { timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t }));
    }).on('error', reject);
  });
}

function rawStatus(port: number, request: string): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d) => {
      text += d.toString('latin1');
      if (text.includes('\r\n\r\n')) socket.destroy();
    });
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)));
    socket.on('error', () => resolve(0));
    socket.end(request);
  });
}

/** The last training step logged to metrics.jsonl (logged every 10 iterations). */
function lastLoggedStep(runDir: string): number {
  const path = join(runDir, 'metrics.jsonl');
  if (!existsSync(path)) return 0;
  const steps = readFileSync(path, 'utf8').split('\n').filter((l) => l.includes('"training/loss"')).map((l) => (JSON.parse(l) as { step: number }).step);
  return steps.at(-1) ?? 0;
}

describe('kindling train: responsive and safe mid-epoch', () => {
  let data = '';
  before(async () => {
    data = mkdtempSync(join(tmpdir(), 'kindling-idx-'));
    await writeSmallMnist(data, { nTrain: 8000, nTest: 200 }); // 7200 train samples: 3600 iterations an epoch at batch size 2
  });

  it('serves the dashboard mid-epoch, survives malformed requests, refuses a second run, stops on Ctrl-C, resumes', async () => {
    const out = mkdtempSync(join(tmpdir(), 'kindling-responsive-'));
    const args = ['train', '--data', data, '--epochs', '1', '--batch-size', '2', '--output', out];
    const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args, '--dashboard', '0'], { env: ENV });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      const url = await waitFor('the dashboard address', () => /dashboard: (http:\/\/127\.0\.0\.1:(\d+)\/)/.exec(stdout) ?? undefined);
      const port = Number(url[2]);
      await waitFor('training iterations', () => (lastLoggedStep(out) >= 30 ? true : undefined));

      for (let i = 0; i < 3; i++) {
        const r = await timedGet(url[1] as string);
        assert.equal(r.status, 200);
        assert.ok(r.ms < 1000, `GET / answered in ${r.ms.toFixed(0)} ms mid-epoch`);
      }
      assert.equal(await rawStatus(port, `GET http://[ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`), 400);
      assert.equal(await rawStatus(port, 'GET http://[ HTTP/1.1\r\nHost: x\r\n\r\n'), 403);
      assert.equal(await rawStatus(port, 'POST / HTTP/1.1\r\nHost: localhost\r\ncontent-length: 0\r\n\r\n'), 405);
      assert.equal(await rawStatus(port, `GET / HTTP/1.1\r\nHost: localhost\r\nx: ${'y'.repeat(40_000)}\r\n\r\n`), 431);
      assert.equal((await timedGet(url[1] as string)).status, 200, 'the server still answers');
      const stepBefore = lastLoggedStep(out);
      await waitFor('training to go on after the malformed requests', () => (lastLoggedStep(out) > stepBefore ? true : undefined), 30_000);
      assert.equal(child.exitCode, null, 'the training process is alive');

      const second = cli(args);
      assert.equal(second.code, 1, second.stderr);
      assert.match(second.stderr, new RegExp(`in use by process ${child.pid}\\b`));
      assert.equal(second.stderr.trim().split('\n').length, 1, `one line: ${second.stderr}`);

      const epochLength = 3600;
      const logged = lastLoggedStep(out);
      assert.ok(logged < epochLength - 200, `still early in the epoch (iteration ${logged} logged)`);
      const t = performance.now();
      child.kill('SIGINT');
      const code = await closed;
      const elapsed = performance.now() - t;
      assert.equal(code, 130, `${stdout}\n${stderr}`);
      assert.ok(elapsed < 3000, `exited ${elapsed.toFixed(0)} ms after Ctrl-C`);
      const iteration = Number(/Interrupted at epoch 1, iteration (\d+)/.exec(stdout)?.[1]);
      assert.ok(iteration >= logged && iteration < epochLength, `mid-epoch checkpoint at iteration ${iteration} (${logged} logged before Ctrl-C)`);
      const resume = /--resume (\S+\.ckpt)/.exec(stdout)?.[1] ?? '';
      assert.equal(resume, join(out, 'checkpoints', `last_checkpoint_${iteration}.ckpt`));
      assert.ok(existsSync(resume));
      assert.deepEqual(readdirSync(join(out, 'checkpoints')).filter((f) => f.endsWith('.kindling-tmp')), [], 'no partial file');
      assert.ok(!existsSync(join(out, '.kindling.lock')), 'lock released');

      // Resume without --output: continues in the checkpoint's own run directory, to the end.
      const next = cli(['train', '--data', data, '--epochs', '1', '--batch-size', '2', '--resume', resume]);
      assert.equal(next.code, 0, next.stderr);
      assert.match(next.stdout, new RegExp(`resumed from .* at epoch 0, iteration ${iteration} \\(mid-epoch: ${iteration} of the ${epochLength} iterations of epoch 1 done\\)`));
      assert.match(next.stdout, /Epoch 1\/1: validation accuracy/);
      assert.match(next.stdout, new RegExp(`Time: .* for ${epochLength - iteration} iterations .*iterations ${iteration + 1}-${epochLength}`));
      assert.ok(next.stdout.includes(`Resume checkpoint: ${join(out, 'checkpoints', `last_checkpoint_${epochLength}.ckpt`)}`), next.stdout);
      assert.ok(!existsSync(resume), 'the resumed-from checkpoint was replaced, not kept beside the new one');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('validates flags before loading data, names files in data errors, leaves no empty run directory', () => {
    const v = cli(['--version']);
    assert.equal(v.code, 0);
    assert.match(v.stdout, /^\d+\.\d+\.\d+/);

    const parent = mkdtempSync(join(tmpdir(), 'kindling-fail-'));
    const port = cli(['train', '--dashboard', '70000', '--output', join(parent, 'a')], 20_000);
    assert.equal(port.code, 2);
    assert.match(port.stderr, /--dashboard must be a port number from 0 to 65535 \(0: a free port\), got '70000'/);

    const bad = mkdtempSync(join(tmpdir(), 'kindling-badidx-'));
    for (const f of readdirSync(data)) writeFileSync(join(bad, f), readFileSync(join(data, f)));
    const images = join(bad, 'train-images-idx3-ubyte.gz');
    writeFileSync(images, readFileSync(images).subarray(0, 5000)); // a truncated download
    const truncated = cli(['train', '--data', bad, '--output', join(parent, 'b')]);
    assert.equal(truncated.code, 1);
    assert.ok(truncated.stderr.includes(images), truncated.stderr);
    assert.deepEqual(readdirSync(parent), [], 'failed commands leave no run directory');
  });

  it('refuses a best-model checkpoint and a changed batch size on --resume, and trains adamax with checkpoints', () => {
    const out = mkdtempSync(join(tmpdir(), 'kindling-adamax-'));
    const first = cli(['train', '--data', data, '--epochs', '1', '--batch-size', '64', '--optimizer', 'adamax', '--output', out]);
    assert.equal(first.code, 0, first.stderr);
    const best = /Best checkpoint: (\S+)/.exec(first.stdout)?.[1] ?? '';
    const last = /Resume checkpoint: (\S+)/.exec(first.stdout)?.[1] ?? '';
    const fromBest = cli(['train', '--data', data, '--resume', best], 20_000);
    assert.equal(fromBest.code, 2);
    assert.match(fromBest.stderr, /is a best-model checkpoint: .* Resume from the run's last_\*\.ckpt \(.*last_checkpoint_113\.ckpt\)/);
    const otherBatch = cli(['train', '--data', data, '--batch-size', '32', '--optimizer', 'adamax', '--resume', last]);
    assert.equal(otherBatch.code, 2);
    assert.match(otherBatch.stderr, /--batch-size 32 gives 225 iterations per epoch, but the checkpoint was trained with 113 \(--batch-size 64\)/);
  });

  it('says when early stopping ends a run', () => {
    const out = mkdtempSync(join(tmpdir(), 'kindling-early-'));
    // A learning rate too small to change the validation accuracy: no improvement after epoch 1.
    const r = cli(['train', '--data', data, '--epochs', '5', '--batch-size', '256', '--lr', '1e-12', '--patience', '1', '--output', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Early stopping: validation accuracy did not improve for 1 epoch \(best \d\.\d{4}\); stopped after epoch 2\/5\./);
  });
});
