/**
 * @module The kindling checkpoint file format: one self-checking binary blob per checkpoint. Not a port (Ignite
 * pickles with `torch.save`). Deviations: the format is kindling's own; it is documented in docs/checkpoints.md.
 *
 * Layout (all integers little-endian):
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | 8 | magic `KNDLCKPT` |
 * | 8 | 4 | format version (uint32, currently 1) |
 * | 12 | 4 | header byte length H (uint32) |
 * | 16 | 8 | payload byte length P (uint64) |
 * | 24 | 32 | SHA-256 of bytes [56, 56 + H + P) |
 * | 56 | H | header: UTF-8 JSON `{ format, version, metadata, objects, blobs, root }` |
 * | 56 + H | P | payload: binary blobs (tensor / typed-array / ArrayBuffer bytes), each 8-byte aligned |
 *
 * The JSON tree `root` is the checkpoint object with every binary value replaced by a tagged reference
 * (`{ "$k": "ta", "t": "Float32Array", "b": 0 }`), so numbers, tensors and weights round-trip bit for bit.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CheckpointError } from '../../errors.js';

/** Magic bytes at the start of every kindling checkpoint file. */
const MAGIC = 'KNDLCKPT';
/**
 * Current version of the checkpoint file format.
 *
 */
export const CHECKPOINT_FORMAT_VERSION = 1;
const PREFIX_BYTES = 56;
const TAG = '$k';

type TypedArrayName =
  | 'Float32Array' | 'Float64Array' | 'Int8Array' | 'Int16Array' | 'Int32Array'
  | 'Uint8Array' | 'Uint8ClampedArray' | 'Uint16Array' | 'Uint32Array' | 'BigInt64Array' | 'BigUint64Array';

const TYPED_ARRAYS: Record<TypedArrayName, new (buffer: ArrayBuffer) => ArrayBufferView> = {
  Float32Array, Float64Array, Int8Array, Int16Array, Int32Array, Uint8Array, Uint8ClampedArray, Uint16Array,
  Uint32Array, BigInt64Array, BigUint64Array,
};

/** Description of one binary blob inside the payload. */
interface BlobSpec { offset: number; byteLength: number }

/** Parsed header of a checkpoint file. */
interface Header {
  format: 'kindling-checkpoint';
  version: number;
  metadata: unknown;
  objects: Record<string, string> | null;
  blobs: BlobSpec[];
  root: unknown;
}

/**
 * Encodes a checkpoint object into the kindling binary format (header + payload + SHA-256 checksum).
 *
 * @param checkpoint - the object to store: JSON-like values plus `ArrayBuffer`s, typed arrays and `tf.Tensor`s
 *   (tensor values are read with `await tensor.data()`; tensors are not disposed).
 * @param metadata - optional JSON metadata stored in the header (for example `{ basename, scoreName, priority }`).
 * @returns the encoded bytes.
 * @throws TypeError when the object contains a value that cannot be stored (function, class instance, cycle).
 * @example
 * ```ts
 * const bytes = await encodeCheckpoint({ trainer: engine.stateDict(), w: new Float32Array([1, 2]) });
 * const back = await decodeCheckpoint(bytes, 'in-memory');
 * ```
 */
export async function encodeCheckpoint(checkpoint: unknown, metadata: unknown = null): Promise<Uint8Array> {
  const blobs: Uint8Array[] = [];
  const root = await encodeValue(checkpoint, blobs, 'checkpoint', new Set());
  const encodedMetadata = await encodeValue(metadata, blobs, 'metadata', new Set());
  const specs: BlobSpec[] = [];
  let payloadLength = 0;
  for (const b of blobs) {
    payloadLength = align8(payloadLength);
    specs.push({ offset: payloadLength, byteLength: b.byteLength });
    payloadLength += b.byteLength;
  }
  const header: Header = {
    format: 'kindling-checkpoint', version: CHECKPOINT_FORMAT_VERSION, metadata: encodedMetadata,
    objects: describeObjects(checkpoint), blobs: specs, root,
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(PREFIX_BYTES + headerBytes.byteLength + payloadLength);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC), 0);
  view.setUint32(8, CHECKPOINT_FORMAT_VERSION, true);
  view.setUint32(12, headerBytes.byteLength, true);
  view.setBigUint64(16, BigInt(payloadLength), true);
  out.set(headerBytes, PREFIX_BYTES);
  const payloadStart = PREFIX_BYTES + headerBytes.byteLength;
  blobs.forEach((b, i) => out.set(b, payloadStart + (specs[i]?.offset ?? 0)));
  out.set(await sha256(out.subarray(PREFIX_BYTES)), 24);
  return out;
}

/**
 * Decodes and verifies bytes written by {@link encodeCheckpoint}.
 *
 * @param bytes - the whole file content.
 * @param source - the file name or key, used in error messages.
 * @returns the checkpoint object; tensors come back as new `tf.Tensor`s owned by the caller, typed arrays and
 *   `ArrayBuffer`s as fresh copies.
 * @throws {@link CheckpointError} when the bytes are not a kindling checkpoint, are truncated, or fail the checksum.
 */
export async function decodeCheckpoint(bytes: Uint8Array | ArrayBuffer, source: string): Promise<unknown> {
  return (await decodeCheckpointWithMetadata(bytes, source)).checkpoint;
}

/**
 * Like {@link decodeCheckpoint}, but also returns the metadata stored in the header.
 *
 * @param bytes - the whole file content.
 * @param source - the file name or key, used in error messages.
 * @returns `{ checkpoint, metadata, version }`.
 * @throws {@link CheckpointError} when the bytes are not a valid, complete kindling checkpoint.
 */
export async function decodeCheckpointWithMetadata(
  bytes: Uint8Array | ArrayBuffer, source: string,
): Promise<{ checkpoint: unknown; metadata: unknown; version: number }> {
  // A plain Uint8Array view: Node's Buffer.slice() would not copy.
  const u8 = bytes instanceof Uint8Array ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : new Uint8Array(bytes);
  const header = await verifyAndParse(u8, source);
  const payload = u8.subarray(PREFIX_BYTES + new DataView(u8.buffer, u8.byteOffset).getUint32(12, true));
  const ctx = { blobs: header.blobs, payload, source };
  return { checkpoint: decodeValue(header.root, ctx), metadata: decodeValue(header.metadata, ctx), version: header.version };
}

async function verifyAndParse(u8: Uint8Array, source: string): Promise<Header> {
  const fail = (why: string): never => {
    throw new CheckpointError(`Checkpoint '${source}' is corrupted or incomplete: ${why}. ` +
      'Load an earlier checkpoint or re-create this one.');
  };
  if (u8.byteLength < PREFIX_BYTES) fail(`file has ${u8.byteLength} bytes, fewer than the ${PREFIX_BYTES}-byte prefix (truncated)`);
  if (new TextDecoder().decode(u8.subarray(0, 8)) !== MAGIC) {
    throw new CheckpointError(`'${source}' is not a kindling checkpoint (missing '${MAGIC}' magic bytes). ` +
      'Pass a file written by Checkpoint/DiskSaver or encodeCheckpoint().');
  }
  const view = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const version = view.getUint32(8, true);
  if (version > CHECKPOINT_FORMAT_VERSION) {
    throw new CheckpointError(`Checkpoint '${source}' has format version ${version}, but this kindling reads versions ` +
      `up to ${CHECKPOINT_FORMAT_VERSION}. Upgrade kindling to load it.`);
  }
  const headerLength = view.getUint32(12, true);
  const payloadLength = Number(view.getBigUint64(16, true));
  const expected = PREFIX_BYTES + headerLength + payloadLength;
  if (u8.byteLength !== expected) fail(`expected ${expected} bytes but found ${u8.byteLength}${u8.byteLength < expected ? ' (truncated)' : ''}`);
  const digest = await sha256(u8.subarray(PREFIX_BYTES));
  if (!equalBytes(digest, u8.subarray(24, PREFIX_BYTES))) fail('SHA-256 checksum mismatch');
  let header: Header | undefined;
  try {
    header = JSON.parse(new TextDecoder().decode(u8.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength))) as Header;
  } catch (e) {
    throw new CheckpointError(`Checkpoint '${source}' has an unreadable header`, { cause: e });
  }
  if (header.format !== 'kindling-checkpoint' || !Array.isArray(header.blobs)) fail('header is not a kindling checkpoint header');
  return header;
}

async function sha256(data: Uint8Array): Promise<Uint8Array> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle === undefined) {
    throw new CheckpointError('Web Crypto (globalThis.crypto.subtle) is not available; checkpoints need SHA-256. ' +
      'Use Node >= 20 or a browser in a secure context.');
  }
  return new Uint8Array(await subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>));
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

function describeObjects(checkpoint: unknown): Record<string, string> | null {
  if (!isPlainObject(checkpoint)) return null;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(checkpoint)) {
    const kind = isPlainObject(v) && typeof v['kind'] === 'string' ? v['kind'] : 'stateDict';
    out[k] = kind;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice();
}

async function encodeValue(value: unknown, blobs: Uint8Array[], path: string, seen: Set<object>): Promise<unknown> {
  switch (typeof value) {
    case 'string': case 'boolean': return value;
    case 'number': return encodeNumber(value);
    case 'undefined': return { [TAG]: 'undef' };
    case 'bigint': return { [TAG]: 'bigint', v: value.toString() };
    case 'object': break;
    default: throw new TypeError(`Cannot store a ${typeof value} at checkpoint path '${path}'. ` +
      'State dicts may contain JSON values, typed arrays, ArrayBuffers and tf.Tensors only.');
  }
  if (value === null) return null;
  if (seen.has(value)) throw new TypeError(`Cannot store a circular reference at checkpoint path '${path}'.`);
  if (value instanceof ArrayBuffer) return { [TAG]: 'buf', b: pushBlob(blobs, new Uint8Array(value).slice()) };
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const name = (value instanceof Uint8Array && !(value instanceof Uint8ClampedArray) ? 'Uint8Array' : value.constructor.name) as TypedArrayName;
    if (!(name in TYPED_ARRAYS)) throw new TypeError(`Cannot store a ${name} at checkpoint path '${path}'.`);
    return { [TAG]: 'ta', t: name, b: pushBlob(blobs, bytesOf(value)) };
  }
  if (value instanceof tf.Tensor) return encodeTensor(value as tf.Tensor, blobs, path);
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      for (let i = 0; i < value.length; i++) out.push(await encodeValue(value[i], blobs, `${path}[${i}]`, seen));
      return out;
    }
    if (!isPlainObject(value)) {
      const ctor = (value as { constructor?: { name?: string } }).constructor?.name ?? 'unknown';
      throw new TypeError(`Cannot store an instance of ${ctor} at checkpoint path '${path}'. ` +
        'State dicts may contain plain objects, arrays, JSON values, typed arrays, ArrayBuffers and tf.Tensors; ' +
        'convert it in stateDict().');
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) setOwn(out, k, await encodeValue(v, blobs, `${path}.${k}`, seen));
    return TAG in value ? { [TAG]: 'obj', v: out } : out;
  } finally {
    seen.delete(value);
  }
}

function encodeNumber(n: number): unknown {
  if (Number.isFinite(n) && !Object.is(n, -0)) return n;
  return { [TAG]: 'num', v: Object.is(n, -0) ? '-0' : String(n) };
}

function pushBlob(blobs: Uint8Array[], bytes: Uint8Array): number {
  blobs.push(bytes);
  return blobs.length - 1;
}

async function encodeTensor(t: tf.Tensor, blobs: Uint8Array[], path: string): Promise<unknown> {
  if (t.dtype === 'string' || t.dtype === 'complex64') {
    throw new TypeError(`Cannot store a ${t.dtype} tensor at checkpoint path '${path}'; only float32, int32 and bool ` +
      'tensors are supported. Convert it to an array in stateDict().');
  }
  const data = await t.data();
  return { [TAG]: 'tensor', dtype: t.dtype, shape: t.shape, b: pushBlob(blobs, bytesOf(data)) };
}

interface DecodeContext { blobs: BlobSpec[]; payload: Uint8Array; source: string }

function blob(ctx: DecodeContext, index: unknown): ArrayBuffer {
  const spec = typeof index === 'number' ? ctx.blobs[index] : undefined;
  if (spec === undefined || spec.offset + spec.byteLength > ctx.payload.byteLength) {
    throw new CheckpointError(`Checkpoint '${ctx.source}' references a missing binary blob ${String(index)}.`);
  }
  return ctx.payload.slice(spec.offset, spec.offset + spec.byteLength).buffer;
}

/** Defines an own property, so keys such as `__proto__` round-trip instead of changing the prototype. */
function setOwn(out: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}

function decodeValue(value: unknown, ctx: DecodeContext): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => decodeValue(v, ctx));
  const obj = value as Record<string, unknown>;
  if (!(TAG in obj)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) setOwn(out, k, decodeValue(v, ctx));
    return out;
  }
  return decodeTagged(obj, ctx);
}

function decodeTagged(obj: Record<string, unknown>, ctx: DecodeContext): unknown {
  switch (obj[TAG]) {
    case 'undef': return undefined;
    case 'num': return obj['v'] === '-0' ? -0 : Number(obj['v']);
    case 'bigint': return BigInt(String(obj['v']));
    case 'buf': return blob(ctx, obj['b']);
    case 'ta': {
      const ctor = TYPED_ARRAYS[obj['t'] as TypedArrayName] as (new (b: ArrayBuffer) => ArrayBufferView) | undefined;
      if (ctor === undefined) throw new CheckpointError(`Checkpoint '${ctx.source}' has unknown array type ${String(obj['t'])}.`);
      return new ctor(blob(ctx, obj['b']));
    }
    case 'tensor': {
      const dtype = obj['dtype'] as 'float32' | 'int32' | 'bool';
      const buf = blob(ctx, obj['b']);
      const values = dtype === 'float32' ? new Float32Array(buf) : dtype === 'int32' ? new Int32Array(buf) : new Uint8Array(buf);
      return tf.tensor(values, obj['shape'] as number[], dtype);
    }
    case 'obj': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(obj['v'] as Record<string, unknown>)) setOwn(out, k, decodeValue(v, ctx));
      return out;
    }
    default:
      throw new CheckpointError(`Checkpoint '${ctx.source}' contains an unknown tag ${JSON.stringify(obj[TAG])}; ` +
        'it may have been written by a newer kindling.');
  }
}
