/**
 * @module TensorBoard event files: `Event` / `Summary` protocol buffers (encoded with protobufjs, schema below with
 * TensorBoard's published field numbers) in TFRecord framing with masked CRC32C (crc-32 package).
 * Browser-safe: produces bytes; the Node logger writes them to `events.out.tfevents.*` files.
 */

import protobuf from 'protobufjs';
import CRC32C from 'crc-32/crc32c.js';
import type { LogRecord } from './records.js';

// Field numbers from tensorflow/core/util/event.proto, framework/summary.proto, tensor.proto, tensor_shape.proto.
const SCHEMA = `
syntax = "proto3";
package tensorboard;
message Event { double wall_time = 1; int64 step = 2; oneof what { string file_version = 3; Summary summary = 5; } }
message Summary { repeated Value value = 1;
  message Value { string tag = 1; SummaryMetadata metadata = 9;
    oneof value { float simple_value = 2; HistogramProto histo = 5; TensorProto tensor = 8; } } }
message SummaryMetadata { PluginData plugin_data = 1; string display_name = 2; string summary_description = 3;
  message PluginData { string plugin_name = 1; bytes content = 2; } }
message HistogramProto { double min = 1; double max = 2; double num = 3; double sum = 4; double sum_squares = 5;
  repeated double bucket_limit = 6 [packed = true]; repeated double bucket = 7 [packed = true]; }
message TensorShapeProto { repeated Dim dim = 2; message Dim { int64 size = 1; string name = 2; } }
message TensorProto { int32 dtype = 1; TensorShapeProto tensor_shape = 2; repeated bytes string_val = 8; }
`;

const root = protobuf.parse(SCHEMA, { keepCase: true }).root;
/** The `tensorboard.Event` message type (exported for tests and tools that decode event files). */
export const EventType = root.lookupType('tensorboard.Event');

const DT_STRING = 7;
const MASK_DELTA = 0xa282ead8;

/**
 * TensorFlow's masked CRC32C of a byte string: `((crc >>> 15) | (crc << 17)) + 0xa282ead8`, as an unsigned 32-bit int.
 *
 * @param data - the bytes.
 * @returns the masked checksum.
 */
export function maskedCrc32c(data: Uint8Array): number {
  const crc = CRC32C.buf(data) >>> 0;
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

/**
 * Frames one record as TFRecord: length (uint64 LE), masked CRC of the length, data, masked CRC of the data.
 *
 * @param data - the serialized record.
 * @returns the framed bytes.
 */
export function frameRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length, true);
  view.setUint32(4, Math.floor(data.length / 2 ** 32), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

/**
 * Splits TFRecord bytes into records, verifying both checksums (used by tests and `readEventFile`).
 *
 * @param bytes - the file contents.
 * @returns the record payloads.
 * @throws Error naming the offset when a length or data checksum does not match, or the file is truncated.
 */
export function unframeRecords(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  while (pos < bytes.length) {
    if (pos + 12 > bytes.length) throw new Error(`Truncated TFRecord header at offset ${pos}`);
    const len = view.getUint32(pos, true) + view.getUint32(pos + 4, true) * 2 ** 32;
    if (view.getUint32(pos + 8, true) !== maskedCrc32c(bytes.subarray(pos, pos + 8))) {
      throw new Error(`TFRecord length checksum mismatch at offset ${pos}`);
    }
    if (pos + 12 + len + 4 > bytes.length) throw new Error(`Truncated TFRecord data at offset ${pos}`);
    const data = bytes.subarray(pos + 12, pos + 12 + len);
    if (view.getUint32(pos + 12 + len, true) !== maskedCrc32c(data)) {
      throw new Error(`TFRecord data checksum mismatch at offset ${pos}`);
    }
    out.push(data);
    pos += 12 + len + 4;
  }
  return out;
}

/**
 * TensorBoard's default histogram bucket limits: geometric, ±1e-12 .. ±1e20 with ratio 1.1, plus 0.
 *
 * @returns the sorted upper limits.
 */
export function defaultBucketLimits(): number[] {
  const pos: number[] = [];
  for (let v = 1e-12; v < 1e20; v *= 1.1) pos.push(v);
  return [...pos.map((v) => -v).reverse(), 0, ...pos, Number.MAX_VALUE];
}

let limitsCache: number[] | undefined;

function histogram(values: Float32Array): Record<string, unknown> {
  const limits = (limitsCache ??= defaultBucketLimits());
  const counts = new Float64Array(limits.length);
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sumSq = 0;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
    sumSq += v * v;
    let lo = 0;
    let hi = limits.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (v <= (limits[mid] as number)) hi = mid;
      else lo = mid + 1;
    }
    counts[lo] = (counts[lo] as number) + 1;
  }
  // Keep only the non-empty range (TensorBoard reads bucket i as (limit[i-1], limit[i]]).
  let first = counts.findIndex((c) => c > 0);
  let last = counts.length - 1 - [...counts].reverse().findIndex((c) => c > 0);
  if (first < 0) first = last = 0;
  return {
    min: values.length ? min : 0,
    max: values.length ? max : 0,
    num: values.length,
    sum,
    sum_squares: sumSq,
    bucket_limit: limits.slice(first, last + 1),
    bucket: [...counts.slice(first, last + 1)],
  };
}

function summaryValue(record: LogRecord): Record<string, unknown> {
  switch (record.kind) {
    case 'scalar':
      return { tag: record.tag, simple_value: record.value };
    case 'histogram':
      return { tag: record.tag, histo: histogram(record.values) };
    case 'text':
      return {
        tag: record.tag,
        metadata: { plugin_data: { plugin_name: 'text', content: new Uint8Array(0) } },
        tensor: { dtype: DT_STRING, tensor_shape: { dim: [{ size: 1 }] }, string_val: [new TextEncoder().encode(record.text)] },
      };
  }
}

/**
 * Encodes an Event: either the file-version header or a summary with one value per record.
 *
 * @param event - `{ wallTime, step, fileVersion }` or `{ wallTime, step, records }`.
 * @returns the serialized protocol buffer.
 */
export function encodeEvent(
  event: { wallTime: number; step: number; fileVersion: string } | { wallTime: number; step: number; records: readonly LogRecord[] },
): Uint8Array {
  const payload: Record<string, unknown> = { wall_time: event.wallTime, step: event.step };
  if ('fileVersion' in event) payload['file_version'] = event.fileVersion;
  else payload['summary'] = { value: event.records.map(summaryValue) };
  return EventType.encode(EventType.fromObject(payload)).finish();
}

/**
 * Encodes records as framed events, one event per distinct step (in order).
 *
 * @param records - the records.
 * @returns the bytes to append to an event file.
 */
export function recordsToEventBytes(records: readonly LogRecord[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  let i = 0;
  while (i < records.length) {
    const first = records[i] as LogRecord;
    let j = i + 1;
    while (j < records.length && (records[j] as LogRecord).step === first.step) j++;
    chunks.push(frameRecord(encodeEvent({ wallTime: first.wallTime, step: first.step, records: records.slice(i, j) })));
    i = j;
  }
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}
