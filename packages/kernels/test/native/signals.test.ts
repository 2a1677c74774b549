// kindling-native while signals arrive: a training process sampled by V8's profiler (SIGPROF every 100 us on its
// JavaScript thread, which runs a part of every product and convolution) finishes with finite losses. oneDNN's JIT
// gemm kernels point RSP into the heap while they run, so an unblocked signal there corrupted the heap (malloc
// aborts within a few hundred steps, oneDNN issue #4845); the native backend blocks asynchronous signals around its
// oneDNN calls (native/blas/src/dnnl.cc).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { skipReason } from './native-helpers.js';

describe('kindling-native under signals', { skip: skipReason() }, () => {
  it('trains under a sampling profiler (SIGPROF every 100 us) without corrupting memory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kindling-signals-'));
    try {
      const child = fileURLToPath(new URL('../fixtures/signals-child.ts', import.meta.url));
      const { stdout } = await promisify(execFile)(process.execPath,
        ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '100', '--import', 'tsx', child, '300'],
        { timeout: 240_000, maxBuffer: 16 << 20 });
      const line = stdout.trim().split('\n').at(-1) ?? '';
      assert.match(line, /^done /, stdout);
      const losses = line.slice(5).split(' ').map(Number);
      assert.equal(losses.length, 2);
      for (const loss of losses) assert.ok(Number.isFinite(loss), `loss ${loss}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
