// Fault injection: `kindling train` is killed with SIGKILL at random moments (mid-step, mid-checkpoint) several times
// in a row, each time resuming from the newest checkpoint; every checkpoint left under a final name must load, and the
// run must finish. CI does the full 50 kills (about 2.5 minutes); elsewhere 6 unless KINDLING_KILLS is set.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSmallMnist } from '../helpers/mnist-idx.js';
import { readCheckpointFile } from '../../src/node/index.js';

const ENTRY = join(import.meta.dirname, '..', 'cli', 'kindling-entry.ts');
const KILLS = Number(process.env['KINDLING_KILLS'] ?? (process.env['CI'] !== undefined ? 50 : 6));

const newest = (dir: string): string | null => {
  if (!existsSync(dir)) return null;
  const files = readdirSync(dir).filter((f) => /^last_checkpoint_\d+\.ckpt$/.test(f));
  files.sort((a, b) => Number(/\d+/.exec(b)?.[0]) - Number(/\d+/.exec(a)?.[0]));
  return files[0] !== undefined ? join(dir, files[0]) : null;
};

describe('kill -9 and resume', () => {
  let data = '';
  before(async () => {
    data = mkdtempSync(join(tmpdir(), 'kindling-kill-data-'));
    await writeSmallMnist(data, { maxPerDigit: 60 });
  });

  it(`survives ${KILLS} SIGKILLs at random moments and finishes from the newest checkpoint`, async () => {
    const out = mkdtempSync(join(tmpdir(), 'kindling-kill-'));
    const ckptDir = join(out, 'checkpoints');
    const base = ['--import', 'tsx', ENTRY, 'train', '--data', data, '--epochs', '400', '--output', out, '--batch-size', '16', '--patience', '400'];
    let resumedFrom: string[] = [];
    for (let k = 0; k < KILLS; k++) {
      const resume = newest(ckptDir);
      const args = resume !== null ? [...base, '--resume', resume] : base;
      if (resume !== null) resumedFrom.push(resume);
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, CI: '1' } });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      // Wait until training runs (first epoch line), then kill at a random moment within the next ~1.5 s.
      await new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          if (/Epoch \d+\/400/.test(stdout)) {
            clearInterval(poll);
            setTimeout(() => {
              child.kill('SIGKILL');
              resolve();
            }, Math.random() * 1500);
          }
        }, 20);
      });
      await new Promise((r) => child.on('close', r));
      for (const f of readdirSync(ckptDir).filter((x) => x.endsWith('.ckpt'))) {
        await assert.doesNotReject(readCheckpointFile(join(ckptDir, f)), `kill ${k}: ${f} loads`);
      }
    }
    const resume = newest(ckptDir);
    assert.ok(resume !== null, 'a checkpoint exists');
    const saved = (await readCheckpointFile(resume)) as { trainer: { iteration: number; epochLength: number } };
    const epoch = Math.floor(saved.trainer.iteration / saved.trainer.epochLength);
    const finish = spawnSync(process.execPath, [...base.slice(0, 7), String(epoch + 1), ...base.slice(8), '--resume', resume], {
      encoding: 'utf8', env: { ...process.env, CI: '1' }, timeout: 120_000,
    });
    assert.equal(finish.status, 0, finish.stderr);
    assert.match(finish.stdout, /resumed from .* at epoch \d+/);
    assert.match(finish.stdout, /Test accuracy: \d\.\d{4}/);
    resumedFrom = resumedFrom.filter(Boolean);
    assert.ok(resumedFrom.length >= Math.min(KILLS - 1, 1), 'later runs resumed from checkpoints');
  });
});
