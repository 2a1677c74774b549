import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { decodeIdx, parseIdx } from '../../src/data/index.js';
import { readIdx } from '../../src/node/idx.js';

/** Independent IDX writer: magic 0x0000TTDD, big-endian uint32 dims, big-endian values. */
function writeIdx(type: number, shape: number[], values: number[]): Uint8Array {
  const width = { 0x08: 1, 0x09: 1, 0x0b: 2, 0x0c: 4, 0x0d: 4, 0x0e: 8 }[type] as number;
  const buf = Buffer.alloc(4 + 4 * shape.length + width * values.length);
  buf[2] = type;
  buf[3] = shape.length;
  shape.forEach((d, i) => buf.writeUInt32BE(d, 4 + 4 * i));
  let o = 4 + 4 * shape.length;
  for (const v of values) {
    if (type === 0x08) buf.writeUInt8(v, o);
    else if (type === 0x09) buf.writeInt8(v, o);
    else if (type === 0x0b) buf.writeInt16BE(v, o);
    else if (type === 0x0c) buf.writeInt32BE(v, o);
    else if (type === 0x0d) buf.writeFloatBE(v, o);
    else buf.writeDoubleBE(v, o);
    o += width;
  }
  return new Uint8Array(buf);
}

describe('IDX files', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kindling-idx-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('decodes every IDX type with its shape and typed array', () => {
    const cases: [number, number[], ArrayLike<number>, string][] = [
      [0x08, [2, 2, 3], [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255], 'Uint8Array'],
      [0x09, [4], [-128, -1, 0, 127], 'Int8Array'],
      [0x0b, [2, 2], [-32768, -2, 300, 32767], 'Int16Array'],
      [0x0c, [3], [-(2 ** 31), 7, 2 ** 31 - 1], 'Int32Array'],
      [0x0d, [2], [0.5, -1.25], 'Float32Array'],
      [0x0e, [1, 2], [Math.PI, -1e300], 'Float64Array'],
    ];
    for (const [type, shape, vals, name] of cases) {
      const nd = parseIdx(writeIdx(type, shape, Array.from(vals)));
      assert.deepEqual(nd.shape, shape);
      assert.equal(nd.data.constructor.name, name);
      assert.deepEqual(Array.from(nd.data), Array.from(vals));
    }
  });

  it('readIdx reads plain and gzipped files; decodeIdx gunzips in memory', async () => {
    const labels = Array.from({ length: 100 }, (_, i) => i % 10);
    const raw = writeIdx(0x08, [100], labels);
    writeFileSync(join(dir, 'labels-idx1-ubyte'), raw);
    writeFileSync(join(dir, 'labels-idx1-ubyte.gz'), gzipSync(raw));
    const plain = await readIdx(join(dir, 'labels-idx1-ubyte'));
    const gz = await readIdx(join(dir, 'labels-idx1-ubyte.gz'));
    assert.deepEqual(Array.from(plain.data), labels);
    assert.deepEqual(Array.from(gz.data), labels);
    assert.deepEqual(gz.shape, [100]);
    const mem = await decodeIdx(new Uint8Array(gzipSync(raw)));
    assert.deepEqual(Array.from(mem.data), labels);
    assert.throws(() => parseIdx(new Uint8Array(gzipSync(raw))), /gzip/);
  });

  it('rejects bad magic, unknown types and truncated files with clear errors', async () => {
    const good = writeIdx(0x08, [3, 2], [1, 2, 3, 4, 5, 6]);
    assert.throws(() => parseIdx(good.slice(0, good.length - 1), 'x.idx'), /x\.idx has 17 bytes.*needs 18.*truncated/);
    const badMagic = good.slice();
    badMagic[0] = 1;
    assert.throws(() => parseIdx(badMagic), /not an IDX file/);
    const badType = good.slice();
    badType[2] = 0x42;
    assert.throws(() => parseIdx(badType), /unknown IDX data type 0x42/);
    await assert.rejects(readIdx(join(dir, 'missing.idx')), /ENOENT/);
  });
});
