import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Engine, Events } from '../../../src/engine/index.js';
import { CheckpointError } from '../../../src/errors.js';
import { Checkpoint } from '../../../src/handlers/checkpoint/checkpoint.js';
import { CheckpointEvents, globalStepFromEngine } from '../../../src/handlers/checkpoint/events.js';
import type { CheckpointMetadata } from '../../../src/handlers/checkpoint/save-handler.js';

/** A stand-in for a torch module: any object with stateDict/loadStateDict. */
class DummyModel {
  w = [1, 2, 3];
  stateDict(): { w: number[] } { return { w: this.w.slice() }; }
  loadStateDict(sd: { w: number[] }): void { this.w = sd.w.slice(); }
}

/** Records every call, like Ignite's MagicMock(spec=BaseSaveHandler). */
class RecordingHandler {
  calls: Array<{ op: 'save' | 'remove'; filename: string; checkpoint?: unknown; metadata?: CheckpointMetadata }> = [];
  files = new Map<string, unknown>();
  save(checkpoint: unknown, filename: string, metadata: CheckpointMetadata): void {
    this.calls.push({ op: 'save', filename, checkpoint, metadata });
    this.files.set(filename, checkpoint);
  }
  remove(filename: string): void {
    this.calls.push({ op: 'remove', filename });
    assert.ok(this.files.delete(filename), `removed ${filename} which does not exist (removed twice?)`);
  }
  saved(): string[] { return this.calls.filter((c) => c.op === 'save').map((c) => c.filename); }
  removed(): string[] { return this.calls.filter((c) => c.op === 'remove').map((c) => c.filename); }
}

function engineAt(iteration: number, epoch = 0): Engine<unknown, unknown> {
  const engine = new Engine<unknown, unknown>(() => null);
  engine.state.iteration = iteration;
  engine.state.epoch = epoch;
  return engine;
}

function scoresFrom(scores: number[]): () => number {
  let i = 0;
  return () => scores[i++] ?? NaN;
}

describe('Checkpoint', () => {
  it('test_checkpoint_default: model_0 then model_1234, removing model_0', async () => {
    const handler = new RecordingHandler();
    const model = new DummyModel();
    const checkpointer = new Checkpoint({ toSave: { model }, saveHandler: handler });
    assert.equal(checkpointer.lastCheckpoint, null);
    const engine = engineAt(0);
    await checkpointer.handle(engine);
    assert.deepEqual(handler.calls[0], { op: 'save', filename: 'model_0.ckpt', checkpoint: { w: [1, 2, 3] },
      metadata: { basename: 'model', scoreName: null, priority: 0 } });
    engine.state.iteration = 1234;
    await checkpointer.handle(engine);
    assert.deepEqual(handler.saved(), ['model_0.ckpt', 'model_1234.ckpt']);
    assert.deepEqual(handler.removed(), ['model_0.ckpt']);
    assert.equal(checkpointer.lastCheckpoint, 'model_1234.ckpt');
    // Crash safety: the new checkpoint is written before the old one is removed.
    assert.deepEqual(handler.calls.map((c) => c.op), ['save', 'save', 'remove']);
  });

  it('test_checkpoint_with_dp / multiple objects are saved under the name "checkpoint"', async () => {
    const handler = new RecordingHandler();
    const checkpointer = new Checkpoint({ toSave: { model: new DummyModel(), other: new DummyModel() }, saveHandler: handler,
      filenamePrefix: 'pre' });
    await checkpointer.handle(engineAt(7));
    assert.equal(handler.calls[0]?.filename, 'pre_checkpoint_7.ckpt');
    assert.deepEqual(handler.calls[0]?.checkpoint, { model: { w: [1, 2, 3] }, other: { w: [1, 2, 3] } });
    assert.deepEqual(handler.calls[0]?.metadata, { basename: 'pre_checkpoint', scoreName: null, priority: 7 });
  });

  it('test_checkpoint_with_score_function: best-k keeps 1.2 and 3.1', async () => {
    const handler = new RecordingHandler();
    const checkpointer = new Checkpoint({ toSave: { model: new DummyModel() }, saveHandler: handler, nSaved: 2,
      scoreFunction: scoresFrom([1.2, -2.0, 3.1, -4.0]) });
    const engine = engineAt(0);
    for (let i = 0; i < 4; i++) await checkpointer.handle(engine);
    assert.deepEqual([...handler.files.keys()].sort(), ['model_1.2000.ckpt', 'model_3.1000.ckpt']);
    // Porting note: -2.0 is an integer in JavaScript, so it is written as "model_-2.ckpt" (Python: -2.0000).
    assert.deepEqual(handler.saved(), ['model_1.2000.ckpt', 'model_-2.ckpt', 'model_3.1000.ckpt']);
    assert.deepEqual(checkpointer.stateDict(), { saved: [[1.2, 'model_1.2000.ckpt'], [3.1, 'model_3.1000.ckpt']] });
  });

  it('test_checkpoint_with_score_name_and_function: score_name in the file name', async () => {
    const handler = new RecordingHandler();
    const checkpointer = new Checkpoint({ toSave: { model: new DummyModel() }, saveHandler: handler,
      scoreFunction: () => -0.3456789, scoreName: 'val_loss' });
    await checkpointer.handle(engineAt(1));
    assert.deepEqual(handler.saved(), ['model_val_loss=-0.3457.ckpt']);
    assert.deepEqual(handler.calls[0]?.metadata, { basename: 'model', scoreName: 'val_loss', priority: -0.3456789 });
  });

  it('test_checkpoint_with_score_name_only: reads engine.state.metrics[scoreName]', async () => {
    const handler = new RecordingHandler();
    const checkpointer = new Checkpoint({ toSave: { model: new DummyModel() }, saveHandler: handler, scoreName: 'val_acc', nSaved: 2 });
    const engine = engineAt(1);
    for (const acc of [0.5, 0.75, 0.25, 0.875]) {
      engine.state.metrics['val_acc'] = acc;
      await checkpointer.handle(engine);
    }
    assert.deepEqual([...handler.files.keys()].sort(), ['model_val_acc=0.7500.ckpt', 'model_val_acc=0.8750.ckpt']);
  });

  it('test_removes_each_score_at_most_once: equal scores are never removed twice', async () => {
    const handler = new RecordingHandler();
    const checkpointer = new Checkpoint({ toSave: { model: new DummyModel() }, saveHandler: handler, nSaved: 2,
      scoreFunction: scoresFrom([0, 1, 1, 2, 3]) });
    for (let i = 0; i < 5; i++) await checkpointer.handle(engineAt(i));
    const removed = handler.removed();
    assert.equal(new Set(removed).size, removed.length);
    assert.deepEqual([...handler.files.keys()].sort(), ['model_2.ckpt', 'model_3.ckpt']);
  });

  it('test_greater_or_equal: latest equal score is kept with greaterOrEqual', async () => {
    const withGe = new RecordingHandler();
    const ge = new Checkpoint({ toSave: { model: new DummyModel() }, saveHandler: withGe, scoreFunction: scoresFrom([1, 2, 2, 2]),
      greaterOrEqual: true });
    const without = new RecordingHandler();
    const plain = new Checkpoint({ toSave: { model: new DummyModel() }, saveHandler: without, scoreFunction: scoresFrom([1, 2, 2, 2]) });
    for (let i = 1; i <= 4; i++) {
      await ge.handle(engineAt(i));
      await plain.handle(engineAt(i));
    }
    assert.deepEqual(withGe.saved(), ['model_1.ckpt', 'model_2.ckpt', 'model_2.ckpt', 'model_2.ckpt']);
    assert.deepEqual(without.saved(), ['model_1.ckpt', 'model_2.ckpt']);
    // The same filename is overwritten by save, never removed first.
    assert.deepEqual(withGe.removed(), ['model_1.ckpt']);
  });

  it('test_checkpoint_filename_pattern: "{name}.{ext}" saves model.ckpt every call', async () => {
    const handler = new RecordingHandler();
    const model = new DummyModel();
    const checkpointer = new Checkpoint({ toSave: { model }, saveHandler: handler, filenamePattern: '{name}.{ext}', nSaved: 2 });
    for (let i = 1; i <= 3; i++) {
      model.w = [i];
      await checkpointer.handle(engineAt(i));
    }
    assert.deepEqual(handler.saved(), ['model.ckpt', 'model.ckpt', 'model.ckpt']);
    assert.deepEqual([...handler.files.entries()], [['model.ckpt', { w: [3] }]]);
    assert.equal(Checkpoint.setupFilenamePattern(), '{filename_prefix}_{name}_{global_step}_{score_name}={score}.{ext}');
  });

  it('names files from global_step_transform and score, per Ignite suffix table', async () => {
    const cases: Array<[Partial<ConstructorParameters<typeof Checkpoint>[0]>, string]> = [
      [{}, 'model_5.ckpt'],
      [{ scoreFunction: () => 0.5 }, 'model_0.5000.ckpt'],
      [{ scoreFunction: () => 0.5, globalStepTransform: () => 42 }, 'model_42_0.5000.ckpt'],
      [{ scoreFunction: () => 0.5, scoreName: 'acc', globalStepTransform: () => 42 }, 'model_42_acc=0.5000.ckpt'],
      [{ globalStepTransform: () => 42 }, 'model_42.ckpt'],
      [{ scoreFunction: () => 0.5, scoreName: 'acc' }, 'model_acc=0.5000.ckpt'],
      [{ filenamePrefix: 'best', scoreName: 'acc', scoreFunction: () => 3 }, 'best_model_acc=3.ckpt'],
    ];
    for (const [options, expected] of cases) {
      const handler = new RecordingHandler();
      await new Checkpoint({ toSave: { model: new DummyModel() }, saveHandler: handler, ...options }).handle(engineAt(5));
      assert.deepEqual(handler.saved(), [expected]);
    }
  });

  it('fires SAVED_CHECKPOINT after each save, registering it on first use', async () => {
    const handler = new RecordingHandler();
    const trainer = new Engine<number, number>((_e, b) => b);
    const checkpointer = new Checkpoint({ toSave: { model: new DummyModel() }, saveHandler: handler, nSaved: 2 });
    assert.equal(trainer.hasRegisteredEvents(CheckpointEvents.SAVED_CHECKPOINT), false);
    trainer.on(Events.ITERATION_COMPLETED({ every: 2 }), checkpointer);
    const seen: Array<[number, string | null]> = [];
    trainer.on(Events.STARTED, () => {
      trainer.registerEvents(CheckpointEvents.SAVED_CHECKPOINT);
      trainer.on(CheckpointEvents.SAVED_CHECKPOINT, (e) => { seen.push([e.state.iteration, checkpointer.lastCheckpoint]); });
    });
    await trainer.run([1, 2, 3, 4, 5], { maxEpochs: 2 });
    assert.deepEqual(seen, [[2, 'model_2.ckpt'], [4, 'model_4.ckpt'], [6, 'model_6.ckpt'], [8, 'model_8.ckpt'], [10, 'model_10.ckpt']]);
    assert.deepEqual([...handler.files.keys()], ['model_8.ckpt', 'model_10.ckpt']);
  });

  it('names best models after the trainer epoch with globalStepFromEngine', async () => {
    const handler = new RecordingHandler();
    const trainer = new Engine<number, number>((_e, b) => b);
    const evaluator = new Engine<number, number>((_e, b) => b);
    const accs = [0.5, 0.9, 0.7, 0.8];
    evaluator.on(Events.COMPLETED, (e) => { e.state.metrics['acc'] = accs[trainer.state.epoch - 1]; });
    evaluator.on(Events.COMPLETED, new Checkpoint({ toSave: { model: new DummyModel() }, saveHandler: handler, nSaved: 2,
      scoreName: 'acc', filenamePrefix: 'best', globalStepTransform: globalStepFromEngine(trainer) }));
    trainer.on(Events.EPOCH_COMPLETED, async () => { await evaluator.run([1, 2]); });
    await trainer.run([1, 2, 3], { maxEpochs: 4 });
    assert.deepEqual([...handler.files.keys()].sort(), ['best_model_2_acc=0.9000.ckpt', 'best_model_4_acc=0.8000.ckpt']);
    const gst = globalStepFromEngine(trainer, Events.ITERATION_COMPLETED);
    assert.equal(gst(evaluator, Events.COMPLETED), 12);
    assert.equal(globalStepFromEngine(trainer)(evaluator, 'custom_event'), 4, 'unknown events fall back to epoch');
  });

  it('saves on EXCEPTION_RAISED (handler(engine, error))', async () => {
    const handler = new RecordingHandler();
    const trainer = new Engine<number, number>((e, b) => {
      if (e.state.iteration === 3) throw new Error('boom');
      return b;
    });
    trainer.on(Events.EXCEPTION_RAISED, new Checkpoint({ toSave: { model: new DummyModel() }, saveHandler: handler }));
    await trainer.run([1, 2, 3, 4], { maxEpochs: 1 });
    assert.deepEqual(handler.saved(), ['model_3.ckpt']);
  });

  it('keeps the list and the previous file when saving fails', async () => {
    const files = new Set<string>();
    let fail = false;
    const checkpointer = new Checkpoint({ toSave: { model: new DummyModel() }, saveHandler: {
      save: (_c: unknown, f: string) => { if (fail) throw new CheckpointError('disk full'); files.add(f); },
      remove: (f: string) => { files.delete(f); },
    } });
    await checkpointer.handle(engineAt(1));
    fail = true;
    await assert.rejects(checkpointer.handle(engineAt(2)), /disk full/);
    assert.deepEqual([...files], ['model_1.ckpt']);
    assert.deepEqual(checkpointer.stateDict(), { saved: [[1, 'model_1.ckpt']] });
    fail = false;
    await checkpointer.handle(engineAt(3));
    assert.deepEqual([...files], ['model_3.ckpt']);
  });

  it('accepts a plain function save handler (never removes) and includeSelf embeds the new list', async () => {
    const calls: Array<[unknown, string]> = [];
    const checkpointer = new Checkpoint({ toSave: { a: new DummyModel(), b: new DummyModel() }, includeSelf: true,
      saveHandler: (c, f) => { calls.push([c, f]); } });
    await checkpointer.handle(engineAt(1));
    await checkpointer.handle(engineAt(2));
    assert.deepEqual(calls.map((c) => c[1]), ['checkpoint_1.ckpt', 'checkpoint_2.ckpt']);
    assert.deepEqual((calls[1]?.[0] as Record<string, unknown>)['checkpointer'], { saved: [[2, 'checkpoint_2.ckpt']] });
  });

  it('reset() forgets saved files; stateDict / loadStateDict round trip', async () => {
    const handler = new RecordingHandler();
    const checkpointer = new Checkpoint({ toSave: { model: new DummyModel() }, saveHandler: handler });
    await checkpointer.handle(engineAt(3));
    const sd = checkpointer.stateDict();
    checkpointer.reset();
    assert.equal(checkpointer.lastCheckpoint, null);
    await checkpointer.handle(engineAt(1));
    assert.deepEqual(handler.removed(), [], 'after reset nothing is removed');
    checkpointer.loadStateDict(sd);
    assert.deepEqual(checkpointer.stateDict(), { saved: [[3, 'model_3.ckpt']] });
    assert.throws(() => checkpointer.loadStateDict({} as never), /Required state attribute 'saved' is absent/);
    assert.throws(() => checkpointer.loadStateDict(5 as never), /Argument stateDict should be a dictionary/);
  });

  it('validates its arguments with Ignite wording', () => {
    const saveHandler = new RecordingHandler();
    assert.throws(() => new Checkpoint({ toSave: 12 as never, saveHandler }), { name: 'TypeError', message: /Argument `toSave` should be a dictionary/ });
    assert.throws(() => new Checkpoint({ toSave: { a: 12 }, saveHandler }), { name: 'TypeError', message: /Object number should have `stateDict` method/ });
    assert.throws(() => new Checkpoint({ toSave: { a: new DummyModel() }, saveHandler: '/tmp' as never }), /Argument `saveHandler` should be/);
    assert.throws(() => new Checkpoint({ toSave: { a: new DummyModel() }, saveHandler, globalStepTransform: 1 as never }),
      /globalStepTransform should be a function/);
    for (const nSaved of [0, -1, 1.5]) {
      assert.throws(() => new Checkpoint({ toSave: { a: new DummyModel() }, saveHandler, nSaved }), { name: 'RangeError', message: /nSaved must be a positive integer or None/ });
    }
    assert.throws(() => new Checkpoint({ toSave: { checkpointer: new DummyModel() }, saveHandler, includeSelf: true }), /Cannot have key 'checkpointer'/);
    assert.throws(() => Checkpoint.getDefaultScoreFn('acc', 2), /scoreSign should be 1 or -1/);
  });

  it('rejects a score function that does not return a number', async () => {
    const checkpointer = new Checkpoint({ toSave: { m: new DummyModel() }, saveHandler: new RecordingHandler(),
      scoreFunction: () => '1' as unknown as number });
    await assert.rejects(checkpointer.handle(engineAt(1)), { name: 'TypeError', message: /Output of scoreFunction should be a number/ });
  });

  it('getDefaultScoreFn reads metrics with a sign', () => {
    const engine = engineAt(1);
    engine.state.metrics['loss'] = 0.25;
    assert.equal(Checkpoint.getDefaultScoreFn('loss', -1)(engine), -0.25);
    assert.equal(Checkpoint.getDefaultScoreFn('loss')(engine), 0.25);
  });

  it('loadObjects: single key takes the state directly, missing keys raise', async () => {
    const a = new DummyModel();
    await Checkpoint.loadObjects({ toLoad: { a }, checkpoint: { w: [7] } });
    assert.deepEqual(a.w, [7]);
    await Checkpoint.loadObjects({ toLoad: { a }, checkpoint: { a: { w: [8] } } });
    assert.deepEqual(a.w, [8]);
    const b = new DummyModel();
    await assert.rejects(Checkpoint.loadObjects({ toLoad: { a, b }, checkpoint: { a: { w: [1] } } }),
      { name: 'CheckpointError', message: /Object labeled by 'b' from `to_load` is not found in the checkpoint/ });
    await assert.rejects(Checkpoint.loadObjects({ toLoad: { a }, checkpoint: 'x.ckpt' }), /pass `handler` with a load\(filename\)/);
    await assert.rejects(Checkpoint.loadObjects({ toLoad: { a: {} }, checkpoint: {} }), /should have `loadStateDict` method/);
  });
});

describe('Checkpoint with metrics, and reloadObjects', () => {
  class LoadingHandler extends RecordingHandler {
    load(filename: string): Promise<unknown> {
      if (!this.files.has(filename)) return Promise.reject(new Error(`no file ${filename}`));
      return Promise.resolve(JSON.parse(JSON.stringify(this.files.get(filename))) as unknown);
    }
  }

  it('test_checkpoint_with_metric: a metric in toSave is saved with stateDict() and restored by loadObjects', async () => {
    const { Accuracy } = await import('../../../src/metrics/accuracy.js');
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-cpu');
    await tf.setBackend('cpu');
    const n = tf.memory().numTensors;
    const accuracy = new Accuracy();
    accuracy.update([[[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]], [0, 1, 1]]);
    const model = new DummyModel();
    const handler = new LoadingHandler();
    const checkpointer = new Checkpoint({ toSave: { model, accuracy }, saveHandler: handler });
    await checkpointer.handle(engineAt(3));
    const restored = new Accuracy();
    await Checkpoint.loadObjects({ toLoad: { accuracy: restored }, checkpoint: 'checkpoint_3.ckpt', handler });
    assert.equal(restored.compute(), 2 / 3);
    restored.update([[[0.1, 0.9]], [1]]);
    assert.equal(restored.compute(), 3 / 4);
    accuracy.reset();
    restored.reset();
    assert.equal(tf.memory().numTensors, n);
  });

  it('test_checkpoint_reload_objects: the last checkpoint, or the one named by filename components, is reloaded', async () => {
    const model = new DummyModel();
    const handler = new LoadingHandler();
    const checkpointer = new Checkpoint({ toSave: { model }, saveHandler: handler, nSaved: 2 });
    await assert.rejects(checkpointer.reloadObjects({ model }), (e: unknown) => e instanceof CheckpointError && /no saved checkpoint/.test(e.message));
    model.w = [4];
    await checkpointer.handle(engineAt(4));
    model.w = [7];
    await checkpointer.handle(engineAt(7));
    model.w = [0];
    await checkpointer.reloadObjects({ model });
    assert.deepEqual(model.w, [7]);
    await checkpointer.reloadObjects({ model }, { global_step: 4 });
    assert.deepEqual(model.w, [4]);
    const noLoad = new Checkpoint({ toSave: { model }, saveHandler: new RecordingHandler() });
    await assert.rejects(noLoad.reloadObjects({ model }), /load\(filename\)/);
  });
});
