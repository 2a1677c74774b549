import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskSaver } from '../../../src/node/disk-saver.js';
import { TEMP_PATTERN } from '../../../src/node/atomic-write.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'save-loop.ts');
const FLOATS = 750_000; // 3 MB per checkpoint: writing and fsync take long enough to be interrupted
// 2 lanes x 10 kills; set KINDLING_KILLS_PER_LANE for a longer soak run.
const KILLS_PER_LANE = Number(process.env['KINDLING_KILLS_PER_LANE'] ?? 10);

/** Starts the saving child, waits for its first checkpoint, lets it run a random while, then SIGKILLs it. */
function runAndKill(dir: string, delayMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dir, String(FLOATS)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.stdout.on('data', (d: Buffer) => {
      if (!killed && d.toString().includes('ready')) {
        killed = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`child exited with ${code ?? signal ?? '?'} before being killed: ${stderr}`));
    });
  });
}

async function verify(dir: string): Promise<{ finals: number; temps: number }> {
  const names = readdirSync(dir);
  const finals = names.filter((n) => n.endsWith('.ckpt'));
  const saver = new DiskSaver(dir, { requireEmpty: false }); // also removes temps of dead processes
  assert.ok(finals.length >= 1, 'a complete checkpoint must survive every kill');
  for (const name of finals) {
    const ckpt = await saver.load(name) as { trainer: { iteration: number }; blob: { payload: Float32Array; iteration: number } };
    const iteration = Number(/_(\d+)\.ckpt$/.exec(name)?.[1]);
    assert.equal(ckpt.trainer.iteration, iteration, `${name}: trainer state matches the file name`);
    assert.equal(ckpt.blob.payload.length, FLOATS);
    assert.ok(ckpt.blob.payload.every((v) => v === iteration), `${name}: payload is one consistent snapshot`);
  }
  for (const name of finals) unlinkSync(join(dir, name)); // keep disk use bounded between rounds
  return { finals: finals.length, temps: names.filter((n) => TEMP_PATTERN.test(n)).length };
}

describe('crash safety', () => {
  it('every final-named checkpoint is complete after SIGKILL at random moments', { timeout: 60_000 }, async () => {
    const root = mkdtempSync(join(tmpdir(), 'kindling-kill-'));
    let interruptedWrites = 0;
    try {
      const lane = async (k: number): Promise<void> => {
        const dir = join(root, `lane${k}`);
        for (let i = 0; i < KILLS_PER_LANE; i++) {
          await runAndKill(dir, Math.floor(Math.random() * 150));
          const { temps } = await verify(dir);
          interruptedWrites += temps;
        }
        assert.equal(readdirSync(dir).filter((n) => TEMP_PATTERN.test(n)).length, 0, 'stale temporaries are cleaned up');
      };
      await Promise.all([lane(0), lane(1)]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
    // Informational: how many kills landed in the middle of a write (a temporary file was left behind).
    process.stdout.write(`# kills: ${2 * KILLS_PER_LANE}, interrupted writes: ${interruptedWrites}\n`);
  });
});
