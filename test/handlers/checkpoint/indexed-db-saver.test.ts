import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CheckpointError } from '../../../src/errors.js';
import { Checkpoint } from '../../../src/handlers/checkpoint/checkpoint.js';
import { IndexedDbSaver } from '../../../src/handlers/checkpoint/indexed-db-saver.js';
import { Engine } from '../../../src/engine/index.js';

/**
 * A tiny in-memory IndexedDB (fake-indexeddb is not installed): databases of object stores with out-of-line keys,
 * transactions that commit all their requests at once or none (abort), structured clone of ArrayBuffers.
 */
class FakeRequest<T> {
  result!: T;
  error: Error | null = null;
  onsuccess: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onupgradeneeded: (() => void) | null = null;
}

class FakeTransaction {
  oncomplete: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  error: Error | null = null;
  readonly #pending = new Map<string, unknown>();
  #failed = false;
  constructor(private readonly data: Map<string, unknown>, private readonly failWrites: () => boolean) {
    setTimeout(() => this.#finish(), 0);
  }
  #finish(): void {
    if (this.#failed) { this.onabort?.(); return; }
    for (const [k, v] of this.#pending) if (v === undefined) this.data.delete(k); else this.data.set(k, v);
    this.oncomplete?.();
  }
  #req<T>(fn: () => T): FakeRequest<T> {
    const req = new FakeRequest<T>();
    queueMicrotask(() => {
      try {
        req.result = fn();
        req.onsuccess?.();
      } catch (e) {
        this.#failed = true;
        req.error = e as Error;
        this.error = e as Error;
        req.onerror?.();
      }
    });
    return req;
  }
  objectStore(): object {
    return {
      put: (value: { bytes: ArrayBuffer }, key: string) => this.#req(() => {
        if (this.failWrites()) throw Object.assign(new Error('quota exceeded'), { name: 'QuotaExceededError' });
        this.#pending.set(key, { ...value, bytes: value.bytes.slice(0) });
        return key;
      }),
      get: (key: string) => this.#req(() => this.data.get(key)),
      delete: (key: string) => this.#req(() => { this.#pending.set(key, undefined); }),
      getAllKeys: () => this.#req(() => [...this.data.keys()].sort()),
    };
  }
}

function fakeIndexedDb(options: { failWrites?: () => boolean } = {}): { factory: IDBFactory; stores: Map<string, Map<string, unknown>> } {
  const stores = new Map<string, Map<string, unknown>>();
  const factory = {
    open(name: string) {
      const req = new FakeRequest<object>();
      setTimeout(() => {
        const names = new Set<string>();
        const db = {
          objectStoreNames: { contains: (s: string) => names.has(s) },
          createObjectStore: (s: string) => { names.add(s); stores.set(`${name}/${s}`, stores.get(`${name}/${s}`) ?? new Map<string, unknown>()); },
          transaction: (s: string) => new FakeTransaction(stores.get(`${name}/${s}`) ?? new Map<string, unknown>(), options.failWrites ?? (() => false)),
        };
        req.result = db;
        req.onupgradeneeded?.();
        req.onsuccess?.();
      }, 0);
      return req;
    },
  };
  return { factory: factory as unknown as IDBFactory, stores };
}

class DummyModel {
  w: Float32Array = new Float32Array([1, 2, 3]);
  stateDict(): { w: Float32Array } { return { w: this.w }; }
  loadStateDict(sd: { w: Float32Array }): void { this.w = sd.w; }
}

describe('IndexedDbSaver', () => {
  it('saves, lists, loads and removes checkpoints as verified records', async () => {
    const { factory } = fakeIndexedDb();
    const saver = new IndexedDbSaver({ indexedDB: factory, namespace: 'run1' });
    await saver.save({ w: new Float32Array([0.5, NaN]) }, 'a.ckpt', { basename: 'a', scoreName: null, priority: 1 });
    await saver.save({ w: new Float32Array([2]) }, 'b.ckpt');
    assert.deepEqual(await saver.list(), ['a.ckpt', 'b.ckpt']);
    const a = await saver.load('a.ckpt') as { w: Float32Array };
    assert.equal(a.w[0], 0.5);
    assert.ok(Number.isNaN(a.w[1]));
    await saver.remove('a.ckpt');
    assert.deepEqual(await saver.list(), ['b.ckpt']);
    await assert.rejects(saver.load('a.ckpt'), /Checkpoint 'run1\/a.ckpt' is not found in IndexedDB/);
    const other = new IndexedDbSaver({ indexedDB: factory, namespace: 'run2' });
    assert.deepEqual(await other.list(), []);
  });

  it('drives Checkpoint retention and loadObjects by filename', async () => {
    const { factory } = fakeIndexedDb();
    const saver = new IndexedDbSaver({ indexedDB: factory });
    const model = new DummyModel();
    const checkpointer = new Checkpoint({ toSave: { model }, saveHandler: saver, nSaved: 2 });
    const engine = new Engine<unknown, unknown>(() => null);
    for (const it of [1, 2, 3]) {
      engine.state.iteration = it;
      model.w = new Float32Array([it]);
      await checkpointer.handle(engine);
    }
    assert.deepEqual(await saver.list(), ['model_2.ckpt', 'model_3.ckpt']);
    assert.equal(checkpointer.lastCheckpoint, 'model_3.ckpt');
    const target = new DummyModel();
    await Checkpoint.loadObjects({ toLoad: { model: target }, checkpoint: 'model_2.ckpt', handler: saver });
    assert.deepEqual(target.w, new Float32Array([2]));
  });

  it('a failed write (quota) keeps the previous records and reports the key', async () => {
    let fail = false;
    const { factory } = fakeIndexedDb({ failWrites: () => fail });
    const saver = new IndexedDbSaver({ indexedDB: factory });
    await saver.save({ v: 1 }, 'model.ckpt');
    fail = true;
    await assert.rejects(saver.save({ v: 2 }, 'model.ckpt'), (e: unknown) => e instanceof CheckpointError &&
      e.message.includes("'model.ckpt'") && e.message.includes('QuotaExceededError'));
    assert.deepEqual(await saver.load('model.ckpt'), { v: 1 });
  });

  it('detects a corrupted record', async () => {
    const { factory, stores } = fakeIndexedDb();
    const saver = new IndexedDbSaver({ indexedDB: factory });
    await saver.save({ w: new Float32Array(8) }, 'x.ckpt');
    const record = stores.get('kindling-checkpoints/checkpoints')?.get('x.ckpt') as { bytes: ArrayBuffer };
    const view = new Uint8Array(record.bytes);
    view[view.length - 1] = (view[view.length - 1] ?? 0) ^ 0xff;
    await assert.rejects(saver.load('x.ckpt'), /Checkpoint 'x.ckpt' is corrupted or incomplete: SHA-256 checksum mismatch/);
  });

  it('explains when IndexedDB is not available', () => {
    assert.throws(() => new IndexedDbSaver(), /IndexedDB is not available in this environment/);
  });
});
