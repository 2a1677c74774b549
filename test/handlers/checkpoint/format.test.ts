import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import fc from 'fast-check';
import { CheckpointError } from '../../../src/errors.js';
import {
  decodeCheckpoint, decodeCheckpointWithMetadata, encodeCheckpoint,
} from '../../../src/handlers/checkpoint/format.js';

await tf.setBackend('cpu');

function bitsOf(view: ArrayBufferView): number[] {
  return Array.from(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
}

describe('checkpoint format', () => {
  it('round-trips JSON values, special numbers and binary data bit for bit', async () => {
    const f32 = new Float32Array([1.5, -0, NaN, Infinity, -Infinity, 1e-45, 3.4028234663852886e38]);
    // A NaN with a non-default payload must survive too.
    new Uint32Array(f32.buffer)[2] = 0x7fc00123;
    const f64 = new Float64Array([Math.PI, -0, 5e-324]);
    const value = {
      a: 1, b: 'x', c: [true, false, null], n: { nan: NaN, inf: Infinity, ninf: -Infinity, negZero: -0 },
      big: 12345678901234567890n, u: undefined, arr: [undefined, 1],
      f32, f64, i32: new Int32Array([-1, 2 ** 31 - 1]), u8: new Uint8Array([0, 255]), buf: new Uint8Array([9, 8, 7]).buffer,
      escaped: { $k: 'not a tag', v: 1 },
    };
    const back = await decodeCheckpoint(await encodeCheckpoint(value), 'mem') as typeof value;
    assert.equal(back.a, 1);
    assert.equal(back.b, 'x');
    assert.deepEqual(back.c, [true, false, null]);
    assert.ok(Number.isNaN(back.n.nan));
    assert.equal(back.n.inf, Infinity);
    assert.equal(back.n.ninf, -Infinity);
    assert.ok(Object.is(back.n.negZero, -0));
    assert.equal(back.big, 12345678901234567890n);
    assert.ok('u' in back && back.u === undefined);
    assert.deepEqual(back.arr, [undefined, 1]);
    assert.ok(back.f32 instanceof Float32Array);
    assert.deepEqual(bitsOf(back.f32), bitsOf(f32));
    assert.ok(back.f64 instanceof Float64Array);
    assert.deepEqual(bitsOf(back.f64), bitsOf(f64));
    assert.deepEqual(Array.from(back.i32), [-1, 2 ** 31 - 1]);
    assert.deepEqual(Array.from(back.u8), [0, 255]);
    assert.ok(back.buf instanceof ArrayBuffer);
    assert.deepEqual(Array.from(new Uint8Array(back.buf)), [9, 8, 7]);
    assert.deepEqual(back.escaped, { $k: 'not a tag', v: 1 });
  });

  it('round-trips tensors exactly and returns new tensors owned by the caller', async () => {
    const t = tf.tensor2d([[1.25, -2], [NaN, 7e-40]]);
    const i = tf.tensor1d([3, -4], 'int32');
    const b = tf.tensor1d([true, false], 'bool');
    const before = tf.memory().numTensors;
    const bytes = await encodeCheckpoint({ t, i, b });
    assert.equal(tf.memory().numTensors, before, 'encoding must not create tensors');
    const back = await decodeCheckpoint(bytes, 'mem') as Record<string, tf.Tensor>;
    assert.equal(tf.memory().numTensors, before + 3);
    assert.deepEqual(back['t']?.shape, [2, 2]);
    assert.deepEqual(bitsOf(back['t']?.dataSync() as Float32Array), bitsOf(t.dataSync() as Float32Array));
    assert.equal(back['i']?.dtype, 'int32');
    assert.deepEqual(Array.from(back['i']?.dataSync() ?? []), [3, -4]);
    assert.equal(back['b']?.dtype, 'bool');
    assert.deepEqual(Array.from(back['b']?.dataSync() ?? []), [1, 0]);
    tf.dispose([t, i, b, ...Object.values(back)]);
  });

  it('stores metadata in the header', async () => {
    const bytes = await encodeCheckpoint({ x: 1 }, { basename: 'model', scoreName: null, priority: 3 });
    const { checkpoint, metadata, version } = await decodeCheckpointWithMetadata(bytes, 'mem');
    assert.deepEqual(checkpoint, { x: 1 });
    assert.deepEqual(metadata, { basename: 'model', scoreName: null, priority: 3 });
    assert.equal(version, 1);
  });

  it('round-trips arbitrary JSON-like values (property)', async () => {
    await fc.assert(fc.asyncProperty(fc.jsonValue(), async (v) => {
      assert.deepEqual(await decodeCheckpoint(await encodeCheckpoint(v), 'mem'), v);
    }), { numRuns: 150 });
  });

  it("keeps an own '__proto__' key as data (found by the property test)", async () => {
    const v = JSON.parse('{"__proto__": [], "a": {"__proto__": {"b": 1}}}') as unknown;
    const back = await decodeCheckpoint(await encodeCheckpoint(v), 'mem');
    assert.deepEqual(back, v);
    assert.equal(Object.getPrototypeOf(back), Object.prototype);
    assert.ok(Object.prototype.hasOwnProperty.call(back, '__proto__'));
  });

  it('fails with CheckpointError naming the file for every truncation', async () => {
    const bytes = await encodeCheckpoint({ w: new Float32Array(64).fill(0.5), s: 'abc' });
    for (let len = 0; len < bytes.byteLength; len += 7) {
      await assert.rejects(decodeCheckpoint(bytes.slice(0, len), 'run/model_3.ckpt'),
        (e: unknown) => e instanceof CheckpointError && e.message.includes("'run/model_3.ckpt'"));
    }
  });

  it('detects any single flipped byte (header, payload or checksum)', async () => {
    const bytes = await encodeCheckpoint({ w: new Float32Array(16).fill(1), name: 'm' });
    for (let pos = 8; pos < bytes.byteLength; pos += 3) {
      const bad = bytes.slice();
      bad[pos] = (bad[pos] ?? 0) ^ 0x10;
      await assert.rejects(decodeCheckpoint(bad, 'x.ckpt'), CheckpointError, `flip at ${pos} not detected`);
    }
  });

  it('rejects files that are not kindling checkpoints', async () => {
    await assert.rejects(decodeCheckpoint(new TextEncoder().encode('PK\u0003\u0004 some zip file, not ours......................'
      + '.........................'), 'model.pt'), /'model.pt' is not a kindling checkpoint/);
  });

  it('rejects values that cannot be stored with a TypeError naming the path', async () => {
    await assert.rejects(encodeCheckpoint({ a: { f: () => 1 } }), /checkpoint path 'checkpoint.a.f'/);
    await assert.rejects(encodeCheckpoint({ d: new Date(0) }), /instance of Date at checkpoint path 'checkpoint.d'/);
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    await assert.rejects(encodeCheckpoint(cyclic), /circular reference/);
    const s = tf.tensor1d(['a'], 'string');
    await assert.rejects(encodeCheckpoint({ s }), /string tensor/);
    s.dispose();
  });
});
