import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { Engine, Events } from '../../src/index.js';
import { TensorboardLogger } from '../../src/node/logging/file-loggers.js';
import { frameRecord, maskedCrc32c, unframeRecords } from '../../src/logging/tfevents.js';

// Independent CRC32C (Castagnoli, reflected polynomial 0x82F63B78), bit by bit.
function crc32cRef(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
const maskRef = (crc: number): number => ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;

// TensorBoard's published field numbers (event.proto, summary.proto), written here independently of src/.
const TEST_SCHEMA = `
syntax = "proto3";
message Ev { double wall_time = 1; int64 step = 2; string file_version = 3; Sm summary = 5; }
message Sm { repeated Val value = 1; }
message Val { string tag = 1; float simple_value = 2; Hist histo = 5; Tp tensor = 8; Meta metadata = 9; }
message Meta { Plugin plugin_data = 1; }
message Plugin { string plugin_name = 1; }
message Hist { double min = 1; double max = 2; double num = 3; double sum = 4; double sum_squares = 5;
  repeated double bucket_limit = 6; repeated double bucket = 7; }
message Tp { int32 dtype = 1; repeated bytes string_val = 8; }
`;
const Ev = protobuf.parse(TEST_SCHEMA, { keepCase: true }).root.lookupType('Ev');

describe('TFRecord framing', () => {
  it('CRC32C matches the RFC 3720 known-answer vectors', () => {
    const vectors: [Uint8Array, number][] = [
      [new Uint8Array(32), 0x8a9136aa],
      [new Uint8Array(32).fill(0xff), 0x62a8ab43],
      [Uint8Array.from({ length: 32 }, (_, i) => i), 0x46dd794e],
      [Uint8Array.from({ length: 32 }, (_, i) => 31 - i), 0x113fdb5c],
      [new TextEncoder().encode('123456789'), 0xe3069283],
    ];
    for (const [bytes, expected] of vectors) {
      assert.equal(crc32cRef(bytes), expected, 'reference implementation sanity');
      assert.equal(maskedCrc32c(bytes), maskRef(expected));
    }
  });

  it('frames length, masked length CRC, data and masked data CRC', () => {
    const data = new TextEncoder().encode('hello tensorboard');
    const framed = frameRecord(data);
    const view = new DataView(framed.buffer);
    assert.equal(framed.length, 8 + 4 + data.length + 4);
    assert.equal(view.getUint32(0, true), data.length);
    assert.equal(view.getUint32(4, true), 0);
    assert.equal(view.getUint32(8, true), maskRef(crc32cRef(framed.subarray(0, 8))));
    assert.deepEqual(framed.subarray(12, 12 + data.length), data);
    assert.equal(view.getUint32(12 + data.length, true), maskRef(crc32cRef(data)));
    assert.deepEqual(unframeRecords(framed), [data]);
  });

  it('detects a corrupted or truncated record', () => {
    const framed = frameRecord(new Uint8Array([1, 2, 3]));
    const bad = framed.slice();
    bad[13] = 9;
    assert.throws(() => unframeRecords(bad), /data checksum mismatch/);
    assert.throws(() => unframeRecords(framed.subarray(0, framed.length - 2)), /Truncated/);
  });
});

describe('TensorboardLogger', () => {
  it('writes event files TensorBoard can decode: scalars, histograms, text', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kindling-tb-'));
    const engine = new Engine((_e, b: number) => b * 0.5);
    const tb = new TensorboardLogger(dir);
    tb.attachOutputHandler(engine, { tag: 'training', outputTransform: (o) => ({ loss: o }) });
    tb.attach(engine, (e, lg) => lg.enqueue([{ kind: 'histogram', tag: 'h', step: e.state.epoch, values: Float32Array.from([1, 2, 2, 3]), wallTime: 1 }]), Events.EPOCH_COMPLETED);
    tb.logText('notes', 'hello', 0);
    await engine.run([1, 2, 3], { maxEpochs: 2 });
    await tb.close();
    const files = readdirSync(dir);
    assert.equal(files.length, 1);
    assert.match(files[0] as string, /^events\.out\.tfevents\.\d+\./);
    const events = unframeRecords(new Uint8Array(readFileSync(join(dir, files[0] as string)))).map(
      (r) => Ev.toObject(Ev.decode(r), { longs: Number }) as Record<string, unknown>,
    );
    assert.equal(events[0]?.['file_version'], 'brain.Event:2');
    type V = { tag: string; simple_value?: number; histo?: { num: number; sum: number; min: number; max: number; bucket: number[] }; tensor?: { string_val: Uint8Array[] }; metadata?: { plugin_data: { plugin_name: string } } };
    const values = events.slice(1).flatMap((e) => ((e['summary'] as { value: V[] }).value ?? []).map((v) => ({ step: e['step'] as number, v })));
    const losses = values.filter(({ v }) => v.tag === 'training/loss').map(({ step, v }) => [step, v.simple_value]);
    assert.deepEqual(losses, [[1, 0.5], [2, 1], [3, 1.5], [4, 0.5], [5, 1], [6, 1.5]]);
    const hist = values.filter(({ v }) => v.tag === 'h');
    assert.equal(hist.length, 2);
    assert.deepEqual([hist[0]?.v.histo?.num, hist[0]?.v.histo?.sum, hist[0]?.v.histo?.min, hist[0]?.v.histo?.max], [4, 8, 1, 3]);
    assert.equal(hist[0]?.v.histo?.bucket.reduce((a, b) => a + b, 0), 4);
    const text = values.find(({ v }) => v.tag === 'notes');
    assert.equal(new TextDecoder().decode(text?.v.tensor?.string_val[0]), 'hello');
    assert.equal(text?.v.metadata?.plugin_data.plugin_name, 'text');
  });
});
