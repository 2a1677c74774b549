// The wasm backend started with threads under Node (src/backends/wasm-threads.ts): through kindling's Node entry it
// runs on 2 threads (also when activated twice at once), gives the same bits as the single-threaded build for products, convolution gradients and
// training steps, leaks no tensor, and the process still ends by itself; bad settings and unexpected packages are
// reported, and nothing changes once the backend has started.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import {
  MAX_WASM_THREADS, checkWasmThreadsPackage, prepareWasmThreads, requestedWasmThreads, wasmThreadsStatus,
} from '../src/node/wasm-threads.js';

interface ChildResult {
  status: { enabled: boolean; threads: number; reason: string };
  cpusRestored: boolean;
  simd: boolean;
  backend: string;
  before: number;
  after: number;
  results: number[][];
}

async function child(threads: string): Promise<ChildResult> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/wasm-threads-child.ts', import.meta.url))], {
    env: { ...process.env, KINDLING_WASM_THREADS: threads }, timeout: 120_000, maxBuffer: 64 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as ChildResult;
}

describe('wasm backend threads in Node', () => {
  it('starts on 2 threads through the Node entry, with the single-threaded bits, no leaks, and exits by itself', async () => {
    const [threaded, single] = await Promise.all([child('2'), child('1')]);
    assert.equal(threaded.backend, 'wasm');
    assert.ok(threaded.cpusRestored, 'os.cpus was left patched after two activations at once');
    assert.deepEqual({ enabled: threaded.status.enabled, threads: threaded.status.threads }, { enabled: true, threads: 2 });
    assert.deepEqual({ enabled: single.status.enabled, threads: single.status.threads }, { enabled: false, threads: 1 });
    assert.match(single.status.reason, /KINDLING_WASM_THREADS=1/);
    assert.ok(threaded.simd && single.simd, 'kindling SIMD loops did not compile against the shared (threaded) or plain memory');
    assert.equal(threaded.after, threaded.before, 'tensors leaked by the threaded training steps');
    assert.equal(threaded.results.length, 8);
    // product, transposed product, convolution input and filter gradients, then the trained weights
    threaded.results.forEach((r, i) => assert.deepEqual(r, single.results[i], `result ${i}`));
  });

  it('when worker threads cannot start, the stock single-threaded build starts instead, and says why', async () => {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/wasm-threads-fail-child.ts', import.meta.url))], {
      env: { ...process.env, KINDLING_WASM_THREADS: '2' }, timeout: 120_000,
    });
    const out = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as { backend: string; status: ChildResult['status']; product: number[] };
    assert.equal(out.backend, 'wasm');
    assert.deepEqual(out.product, [19, 22, 43, 50]);
    assert.deepEqual({ enabled: out.status.enabled, threads: out.status.threads }, { enabled: false, threads: 1 });
    assert.match(out.status.reason, /failed to start with threads/);
    assert.match(stderr, /simulated: eval workers are not allowed here/, 'the cause is printed');
  });

  it('KINDLING_WASM_THREADS chooses the thread count, capped at 8, and is validated', () => {
    assert.equal(requestedWasmThreads({ KINDLING_WASM_THREADS: '3' }), 3);
    assert.equal(requestedWasmThreads({ KINDLING_WASM_THREADS: '64' }), MAX_WASM_THREADS);
    assert.equal(requestedWasmThreads({}), Math.min(availableParallelism(), MAX_WASM_THREADS));
    for (const bad of ['0', '-2', '1.5', 'two']) {
      assert.throws(() => requestedWasmThreads({ KINDLING_WASM_THREADS: bad }),
        (e: unknown) => e instanceof RangeError && e.message.includes(`expected an integer >= 1, received '${bad}'`), bad);
    }
  });

  it('accepts the installed tfjs-backend-wasm and explains what does not match in other bundles', () => {
    const bundle = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
    assert.equal(checkWasmThreadsPackage(bundle, '4.22.0'), null);
    assert.match(checkWasmThreadsPackage(bundle, '5.0.0') ?? '', /written for 4\.x/);
    const dir = mkdtempSync(join(tmpdir(), 'kindling-wasm-'));
    const fake = join(dir, 'tf-backend-wasm.node.js');
    writeFileSync(fake, 'var require$$0 = 1;');
    writeFileSync(join(dir, 'tfjs-backend-wasm-threaded-simd.wasm'), '');
    assert.match(checkWasmThreadsPackage(fake, '4.22.0') ?? '', /not laid out as expected \(no var require\$\$1 = /);
    assert.match(checkWasmThreadsPackage(join(tmpdir(), 'nowhere', 'x.js'), '4.22.0') ?? '', /threaded wasm binary is missing/);
  });

  it('leaves a wasm backend that already started alone', async () => {
    const previous = tf.getBackend() as string | undefined;
    await tf.setBackend('wasm');
    await tf.ready();
    try {
      assert.equal(prepareWasmThreads(2), null);
      assert.equal(tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'), false);
      assert.equal(wasmThreadsStatus().enabled, false);
    } finally {
      if (previous !== undefined) await tf.setBackend(previous);
    }
  });
});
