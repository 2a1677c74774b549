import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, Events } from '../../src/engine/index.js';
import { CheckpointError } from '../../src/errors.js';
import { Checkpoint } from '../../src/handlers/checkpoint/checkpoint.js';
import type { CheckpointFs } from '../../src/node/atomic-write.js';
import { DiskSaver } from '../../src/node/disk-saver.js';
import { readCheckpointFile } from '../../src/node/file-io-handler.js';
import { ModelCheckpoint } from '../../src/node/model-checkpoint.js';

class DummyModel {
  w: Float32Array = new Float32Array([1, 2, 3]);
  stateDict(): { w: Float32Array } { return { w: this.w }; }
  loadStateDict(sd: { w: Float32Array }): void { this.w = sd.w; }
}

function fsError(code: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`${code}: simulated`);
  e.code = code;
  return e;
}

/** Real fs, except that writes fail with `code` after the first `okWrites` saves. */
function failingWrites(code: string, okWrites: number): CheckpointFs {
  let opened = 0;
  return {
    ...fsp,
    open: (async (path: string, flags?: string, mode?: number) => {
      const handle = await fsp.open(path, flags, mode);
      if (flags !== 'wx' || ++opened <= okWrites) return handle;
      return Object.assign(Object.create(handle) as fsp.FileHandle, {
        write: () => Promise.reject(fsError(code)),
        close: () => handle.close(),
      });
    }) as CheckpointFs['open'],
  };
}

function engineAt(iteration: number): Engine<unknown, unknown> {
  const engine = new Engine<unknown, unknown>(() => null);
  engine.state.iteration = iteration;
  return engine;
}

describe('DiskSaver', () => {
  let root = '';
  let n = 0;
  const fresh = (): string => join(root, `d${n++}`);
  before(() => { root = mkdtempSync(join(tmpdir(), 'kindling-disk-')); });
  after(() => { rmSync(root, { recursive: true, force: true }); });

  it('creates the directory, refuses non-empty ones and missing ones with Ignite wording', async () => {
    const dir = fresh();
    const saver = new DiskSaver(dir);
    assert.ok(existsSync(dir));
    await saver.save({ a: 1 }, 'model_1.ckpt', { basename: 'model', scoreName: null, priority: 1 });
    assert.throws(() => new DiskSaver(dir), (e: unknown) => e instanceof CheckpointError &&
      e.message.includes(`Files ["model_1.ckpt"] with extension '.ckpt' are already present in the directory ${dir}`) &&
      e.message.includes('requireEmpty: false'));
    assert.doesNotThrow(() => new DiskSaver(dir, { requireEmpty: false }));
    assert.throws(() => new DiskSaver(join(dir, 'nope'), { createDir: false }), /Directory path '.*nope' is not found/);
  });

  it('saves, loads (by name or path) and removes; resolvePath gives the full path', async () => {
    const dir = fresh();
    const saver = new DiskSaver(dir);
    await saver.save({ w: new Float32Array([0.1, 0.2]) }, 'w_1.ckpt');
    const byName = await saver.load('w_1.ckpt') as { w: Float32Array };
    const byPath = await saver.load(saver.resolvePath('w_1.ckpt')) as { w: Float32Array };
    assert.deepEqual(byName.w, new Float32Array([0.1, 0.2]));
    assert.deepEqual(byPath.w, byName.w);
    await saver.remove('w_1.ckpt');
    await saver.remove('w_1.ckpt'); // already gone: ignored
    assert.deepEqual(readdirSync(dir), []);
    await assert.rejects(saver.load('w_1.ckpt'), /Cannot read checkpoint '.*w_1.ckpt': the directory does not exist \(ENOENT\)/);
  });

  it('loading a truncated or corrupted file fails with CheckpointError naming the file', async () => {
    const dir = fresh();
    const saver = new DiskSaver(dir);
    await saver.save({ w: new Float32Array(100).fill(3) }, 'a.ckpt');
    await saver.save({ w: new Float32Array(100).fill(3) }, 'b.ckpt');
    const a = join(dir, 'a.ckpt');
    truncateSync(a, readFileSync(a).byteLength - 10);
    await assert.rejects(saver.load('a.ckpt'), (e: unknown) => e instanceof CheckpointError && e.message.includes(a) && /truncated/.test(e.message));
    const b = join(dir, 'b.ckpt');
    const bytes = readFileSync(b);
    bytes[bytes.byteLength - 5] = (bytes[bytes.byteLength - 5] ?? 0) ^ 1;
    writeFileSync(b, bytes);
    await assert.rejects(readCheckpointFile(b), (e: unknown) => e instanceof CheckpointError && e.message.includes(b) && /checksum/.test(e.message));
  });

  it('disk full: clear error, previous checkpoint intact, no temporary file left', async () => {
    const dir = fresh();
    const model = new DummyModel();
    const checkpointer = new Checkpoint({ toSave: { model }, saveHandler: new DiskSaver(dir, { fs: failingWrites('ENOSPC', 1) }) });
    await checkpointer.handle(engineAt(1));
    model.w = new Float32Array([9, 9, 9]);
    await assert.rejects(checkpointer.handle(engineAt(2)), (e: unknown) => e instanceof CheckpointError &&
      e.message.includes(join(dir, 'model_2.ckpt')) && /disk is full \(ENOSPC\)/.test(e.message) && /previous checkpoint files are untouched/.test(e.message));
    assert.deepEqual(readdirSync(dir), ['model_1.ckpt']);
    assert.deepEqual((await readCheckpointFile(join(dir, 'model_1.ckpt')) as { w: Float32Array }).w, new Float32Array([1, 2, 3]));
    assert.equal(checkpointer.lastCheckpoint, join(dir, 'model_1.ckpt'));
  });

  it('permission denied (injected) is reported clearly', async () => {
    const dir = fresh();
    const saver = new DiskSaver(dir, { fs: { ...fsp, open: () => Promise.reject(fsError('EACCES')) } });
    await assert.rejects(saver.save({ a: 1 }, 'x.ckpt'), /Cannot write checkpoint '.*x.ckpt': permission denied \(EACCES\)/);
  });

  it('a directory where the file should go: real EISDIR, previous checkpoint intact', async () => {
    const dir = fresh();
    const checkpointer = new Checkpoint({ toSave: { model: new DummyModel() }, saveHandler: new DiskSaver(dir) });
    await checkpointer.handle(engineAt(1));
    mkdirSync(join(dir, 'model_2.ckpt', 'occupied'), { recursive: true });
    await assert.rejects(checkpointer.handle(engineAt(2)), (e: unknown) => e instanceof CheckpointError &&
      e.message.includes(join(dir, 'model_2.ckpt')));
    assert.deepEqual(readdirSync(dir).sort(), ['model_1.ckpt', 'model_2.ckpt']);
    assert.ok(await readCheckpointFile(join(dir, 'model_1.ckpt')));
    assert.deepEqual(checkpointer.stateDict(), { saved: [[1, 'model_1.ckpt']] });
  });

  it('removes temporary files of dead processes, keeps those of live ones', () => {
    const dir = fresh();
    mkdirSync(dir);
    const dead = '.model_1.ckpt.999999999-abcdef.kindling-tmp';
    const mine = `.model_2.ckpt.${process.pid}-abcdef.kindling-tmp`;
    writeFileSync(join(dir, dead), 'partial');
    writeFileSync(join(dir, mine), 'partial');
    new DiskSaver(dir);
    assert.deepEqual(readdirSync(dir), [mine]);
  });
});

describe('ModelCheckpoint', () => {
  let root = '';
  before(() => { root = mkdtempSync(join(tmpdir(), 'kindling-mc-')); });
  after(() => { rmSync(root, { recursive: true, force: true }); });

  it('test_model_checkpoint_simple_recovery / n_saved=2 over 4 epochs keeps _6 and _8', async () => {
    const dir = join(root, 'a');
    const handler = new ModelCheckpoint(dir, 'pre', { nSaved: 2 });
    const trainer = new Engine<number, number>((_e, b) => b);
    const model = new DummyModel();
    trainer.on(Events.EPOCH_COMPLETED, handler, { model });
    await trainer.run([0, 1], { maxEpochs: 4 });
    assert.deepEqual(readdirSync(dir).sort(), ['pre_model_6.ckpt', 'pre_model_8.ckpt']);
    assert.equal(handler.lastCheckpoint, join(dir, 'pre_model_8.ckpt'));
    assert.deepEqual(await readCheckpointFile(join(dir, 'pre_model_8.ckpt')), { w: new Float32Array([1, 2, 3]) });
  });

  it('test_checkpoint_reset: after reset() and a new 2-epoch run, old files stay and _2, _4 are added', async () => {
    const dir = join(root, 'b');
    const handler = new ModelCheckpoint(dir, '', { nSaved: 2 });
    const trainer = new Engine<number, number>((_e, b) => b);
    trainer.on(Events.EPOCH_COMPLETED, handler, { model: new DummyModel() });
    await trainer.run([0, 1], { maxEpochs: 10 });
    assert.deepEqual(readdirSync(dir).sort(), ['model_18.ckpt', 'model_20.ckpt']);
    handler.reset();
    trainer.state.maxEpochs = null; // restart from the beginning (a state with maxEpochs would resume)
    await trainer.run([0, 1], { maxEpochs: 2 });
    assert.deepEqual(readdirSync(dir).sort(), ['model_18.ckpt', 'model_2.ckpt', 'model_20.ckpt', 'model_4.ckpt']);
  });

  it('requires objects at call time and an empty directory by default', async () => {
    const dir = join(root, 'c');
    const handler = new ModelCheckpoint(dir, 'x');
    await assert.rejects(handler.handle(engineAt(1), {}), { name: 'RangeError', message: /No objects to checkpoint found\./ });
    await assert.rejects(handler.handle(engineAt(1), { a: 3 }), /should have `stateDict` method/);
    await handler.handle(engineAt(1), { m: new DummyModel() });
    assert.throws(() => new ModelCheckpoint(dir, 'x'), /already present/);
  });
});
