/**
 * @module A browser save handler storing kindling checkpoint files in IndexedDB. Not a port (Ignite saves to disk).
 * Each checkpoint is one record holding the encoded bytes (with their SHA-256 checksum), written in a single
 * IndexedDB transaction, so a closed tab or crash leaves either the previous record or the new one. The
 * `IDBFactory` is injectable (default `globalThis.indexedDB`), which also lets Node tests use an in-memory fake.
 */
import { CheckpointError } from '../../errors.js';
import { decodeCheckpoint, encodeCheckpoint } from './format.js';
import type { BaseSaveHandler, CheckpointMetadata } from './save-handler.js';

/**
 * Options of {@link IndexedDbSaver}.
 *
 */
export interface IndexedDbSaverOptions {
  /** Database name. @defaultValue 'kindling-checkpoints' */
  databaseName?: string;
  /** Object store name. @defaultValue 'checkpoints' */
  storeName?: string;
  /** Key prefix, like a directory: records are stored under `${namespace}/${filename}`. @defaultValue '' */
  namespace?: string;
  /** The IndexedDB implementation. @defaultValue globalThis.indexedDB */
  indexedDB?: IDBFactory;
}

/** One stored record. */
interface CheckpointRecord {
  bytes: ArrayBuffer;
  metadata: CheckpointMetadata | null;
  savedAt: number;
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

function transactionDone(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

/**
 * Saves checkpoints in IndexedDB (browsers), behind the same interface as `DiskSaver`.
 *
 * @example
 * ```ts
 * const saver = new IndexedDbSaver({ namespace: 'mnist-run-1' });
 * trainer.on(Events.EPOCH_COMPLETED, new Checkpoint({ toSave: { trainer, model, optimizer }, saveHandler: saver }));
 * // later, after a reload:
 * await Checkpoint.loadObjects({ toLoad: { trainer, model, optimizer }, checkpoint: 'checkpoint_300.ckpt', handler: saver });
 * ```
 */
export class IndexedDbSaver implements BaseSaveHandler {
  /** The database name. */
  readonly databaseName: string;
  /** The object store name. */
  readonly storeName: string;
  /** The key prefix. */
  readonly namespace: string;
  readonly #factory: IDBFactory;
  #db: Promise<IDBDatabase> | null = null;

  /**
   * @param options - see {@link IndexedDbSaverOptions}.
   * @throws TypeError when no IndexedDB implementation is available.
   */
  constructor(options: IndexedDbSaverOptions = {}) {
    const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    if (factory === undefined) {
      throw new TypeError('IndexedDB is not available in this environment. Run in a browser, pass ' +
        "`indexedDB: <IDBFactory>`, or use DiskSaver from 'kindling/node'.");
    }
    this.#factory = factory;
    this.databaseName = options.databaseName ?? 'kindling-checkpoints';
    this.storeName = options.storeName ?? 'checkpoints';
    this.namespace = options.namespace ?? '';
  }

  #key(filename: string): string {
    return this.namespace === '' ? filename : `${this.namespace}/${filename}`;
  }

  #open(): Promise<IDBDatabase> {
    this.#db ??= new Promise<IDBDatabase>((resolve, reject) => {
      const req = this.#factory.open(this.databaseName, 1);
      req.onupgradeneeded = () => {
        if (!req.result.objectStoreNames.contains(this.storeName)) req.result.createObjectStore(this.storeName);
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error ?? new Error('cannot open IndexedDB'));
    }).catch((e: unknown) => {
      this.#db = null;
      throw new CheckpointError(`Cannot open IndexedDB database '${this.databaseName}'`, { cause: e });
    });
    return this.#db;
  }

  async #run<T>(mode: IDBTransactionMode, action: string, filename: string,
    op: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
    const db = await this.#open();
    try {
      const tx = db.transaction(this.storeName, mode);
      const done = transactionDone(tx);
      // Promise.all observes both: a failed request also aborts the transaction.
      const [result] = await Promise.all([request(op(tx.objectStore(this.storeName))), done]);
      return result;
    } catch (e) {
      const why = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      throw new CheckpointError(`Cannot ${action} checkpoint '${this.#key(filename)}' in IndexedDB ` +
        `'${this.databaseName}': ${why}.${action === 'write' ? ' The previous checkpoints are untouched.' : ''}`, { cause: e });
    }
  }

  /**
   * Encodes and stores a checkpoint in one transaction (replacing a record with the same filename).
   *
   * @param checkpoint - the checkpoint object.
   * @param filename - the record's file name.
   * @param metadata - stored with the record and in the file header.
   * @returns a promise resolved when the transaction has committed.
   * @throws {@link CheckpointError} when the write fails (e.g. quota exceeded); earlier records are untouched.
   */
  async save(checkpoint: unknown, filename: string, metadata?: CheckpointMetadata): Promise<void> {
    const bytes = await encodeCheckpoint(checkpoint, metadata ?? null);
    const record: CheckpointRecord = { bytes: bytes.slice().buffer, metadata: metadata ?? null, savedAt: Date.now() };
    await this.#run('readwrite', 'write', filename, (store) => store.put(record, this.#key(filename)));
  }

  /**
   * Deletes a stored checkpoint (a missing one is ignored).
   *
   * @param filename - the record's file name.
   * @returns a promise resolved when the transaction has committed.
   * @throws {@link CheckpointError} when IndexedDB fails.
   */
  async remove(filename: string): Promise<void> {
    await this.#run('readwrite', 'remove', filename, (store) => store.delete(this.#key(filename)));
  }

  /**
   * Reads and verifies a stored checkpoint.
   *
   * @param filename - the record's file name.
   * @returns the checkpoint object.
   * @throws {@link CheckpointError} naming the record when it is missing, corrupted or truncated.
   */
  async load(filename: string): Promise<unknown> {
    const record = await this.#run('readonly', 'read', filename, (store) => store.get(this.#key(filename)) as IDBRequest<unknown>);
    const bytes = (record as Partial<CheckpointRecord> | undefined)?.bytes;
    if (!(bytes instanceof ArrayBuffer)) {
      throw new CheckpointError(`Checkpoint '${this.#key(filename)}' is not found in IndexedDB '${this.databaseName}'.`);
    }
    return decodeCheckpoint(bytes, this.#key(filename));
  }

  /**
   * Lists the file names stored under this saver's namespace.
   *
   * @returns the file names, sorted.
   * @throws {@link CheckpointError} when IndexedDB fails.
   */
  async list(): Promise<string[]> {
    const keys = await this.#run('readonly', 'list', '*', (store) => store.getAllKeys());
    const prefix = this.namespace === '' ? '' : `${this.namespace}/`;
    return keys.map(String).filter((k) => k.startsWith(prefix) && (prefix !== '' || !k.includes('/')))
      .map((k) => k.slice(prefix.length)).sort();
  }
}
