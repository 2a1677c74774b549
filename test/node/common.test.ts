import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, Events, silentLogger } from '../../src/index.js';
import { initialize } from '../../src/distributed/context.js';
import { eventName, type EventKey, type Handler } from '../../src/engine/index.js';
import { BaseSaveHandler } from '../../src/handlers/checkpoint/save-handler.js';
import {
  addEarlyStoppingByValScore, genSaveBestModelsByValScore, saveBestModelByValScore, setupCommonTrainingHandlers,
} from '../../src/node/common.js';
import { fakeAddon, withAddon } from '../distributed/fake-mpi.js';

class FakeStream {
  text = '';
  isTTY = false;
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('setupCommonTrainingHandlers', () => {
  it('checkpoints every saveEvery iterations, averages output entries, calls the scheduler and the sampler', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kindling-common-'));
    const trainer = new Engine((_e, b: number) => ({ a: b, b: 2 * b }), { logger: silentLogger });
    const lrCalls: number[] = [];
    const epochs: number[] = [];
    const stream = new FakeStream();
    setupCommonTrainingHandlers(trainer, {
      toSave: { trainer },
      outputPath: dir,
      saveEvery: 5,
      lrScheduler: (e) => { lrCalls.push(e.state.iteration); },
      outputNames: ['a', 'b'],
      trainSampler: { setEpoch: (e) => epochs.push(e) },
      logEveryIters: 2,
      stream,
    });
    await trainer.run(range(6), { maxEpochs: 2 });
    assert.deepEqual(readdirSync(dir), ['training_trainer_10.ckpt']);
    assert.deepEqual(lrCalls, range(12).map((i) => i + 1));
    assert.deepEqual(epochs, [0, 1]);
    // RunningAverage (alpha 0.98) of a: 0,1,...,5,0,...,5; of b = 2a.
    let ra = 0;
    [...range(6), ...range(6)].forEach((v, i) => { ra = i === 0 ? v : ra * 0.98 + 0.02 * v; });
    assert.ok(Math.abs((trainer.state.metrics['a'] as number) - ra) < 1e-9);
    assert.ok(Math.abs((trainer.state.metrics['b'] as number) - 2 * ra) < 1e-9);
    assert.match(stream.text, /Epoch/);
  });

  it('stops on NaN by default and not with stopOnNan: false', async () => {
    for (const stopOnNan of [true, false]) {
      const trainer = new Engine((_e, b: number) => (b === 3 ? NaN : b), { logger: silentLogger });
      setupCommonTrainingHandlers(trainer, { stopOnNan, withPbars: false });
      const state = await trainer.run(range(10));
      assert.equal(state.iteration, stopOnNan ? 4 : 10);
    }
  });

  it('attaches a scheduler object with attach(), and rejects toSave without a destination', () => {
    const trainer = new Engine((_e, b: number) => b);
    let attached: unknown = null;
    setupCommonTrainingHandlers(trainer, { lrScheduler: { attach: (e) => { attached = e; } }, withPbars: false, stopOnNan: false });
    assert.equal(attached, trainer);
    assert.throws(() => setupCommonTrainingHandlers(trainer, { toSave: { trainer } }), /outputPath or saveHandler/);
    assert.equal(existsSync('training_checkpoint_1000.ckpt'), false);
    assert.ok(trainer.hasRegisteredEvents(Events.ITERATION_COMPLETED));
  });
});

/** An engine that records every registration as `event[(filtered)]: handler name`. */
class SpyEngine extends Engine<number, unknown> {
  readonly attached: string[] = [];
  override on(event: EventKey | readonly EventKey[], handler: Handler<this>, ...args: unknown[]): ReturnType<Engine['on']> {
    const events = (Array.isArray(event) ? event : [event]) as EventKey[];
    const h = handler as { name?: string; constructor: { name: string } };
    const name = (typeof handler === 'function' ? h.name : h.constructor.name) || '<anonymous>';
    for (const e of events) this.attached.push(`${eventName(e)}${typeof e === 'object' && 'filter' in e ? '(filtered)' : ''}: ${name}`);
    return super.on(event, handler, ...args);
  }
}

class MemorySaver extends BaseSaveHandler {
  readonly files: string[] = [];
  save(_c: unknown, filename: string): void { this.files.push(filename); }
  remove(filename: string): void { this.files.splice(this.files.indexOf(filename), 1); }
}

const silentStream = { write: () => true, isTTY: false };

// Ignite's setup_common_training_handlers, in its order: the sampler's set_epoch (distributed), TerminateOnNan on
// ITERATION_COMPLETED, the scheduler on ITERATION_STARTED, Checkpoint on ITERATION_COMPLETED(every=save_every_iters),
// RunningAverage per output name, then the iteration ProgressBar on ITERATION_COMPLETED(every=log_every_iters)
// (closing on EPOCH_COMPLETED) and the epoch ProgressBar on EPOCH_STARTED (closing on COMPLETED).
const COMMON = [
  'epoch_started: distribSetEpoch',
  'iteration_completed: TerminateOnNan',
  'iteration_started: scheduler',
  'iteration_completed(filtered): Checkpoint',
  'started: started', 'iteration_completed: iterationCompleted', 'iteration_completed: completed', // RunningAverage 'loss'
];
const PROGRESS_BARS = [
  'iteration_completed(filtered): <anonymous>', 'epoch_completed: <anonymous>', 'completed: <anonymous>', 'terminate: <anonymous>',
  'epoch_started: <anonymous>', 'completed: <anonymous>', 'terminate: <anonymous>',
];

function setupSpy(): SpyEngine {
  const trainer = new SpyEngine((_e, b) => b, { logger: silentLogger });
  setupCommonTrainingHandlers(trainer, {
    toSave: { trainer }, saveHandler: new MemorySaver(), lrScheduler: function scheduler() {}, outputNames: ['loss'],
    trainSampler: { setEpoch() {} }, stream: silentStream,
  });
  return trainer;
}

describe('contrib.engines.common helpers attach what Ignite attaches', () => {
  it('test_setup_common_training_handlers: handlers and events on one process', () => {
    assert.deepEqual(setupSpy().attached, [...COMMON, ...PROGRESS_BARS]);
  });

  it('test_setup_common_distrib_training_handlers: rank 1 of 2 attaches everything but the progress bars', async () => {
    await withAddon(fakeAddon(), () => {
      initialize('mpi');
      assert.deepEqual(setupSpy().attached, COMMON);
    });
  });

  it('rejects outputPath together with saveHandler, as Ignite does', () => {
    const trainer = new Engine((_e, b: number) => b, { logger: silentLogger });
    assert.throws(
      () => setupCommonTrainingHandlers(trainer, { toSave: { trainer }, outputPath: '/tmp/x', saveHandler: new MemorySaver() }),
      /mutually exclusive/,
    );
  });

  it('test_gen_save_best_models_by_val_score / test_save_best_model_by_val_score: Checkpoint on evaluator COMPLETED', async () => {
    const scores = [0.5, 0.7, 0.6, 0.9];
    const trainer = new Engine((_e, b: number) => b, { logger: silentLogger });
    const evaluator = new SpyEngine((_e, b) => b, { logger: silentLogger });
    evaluator.on(Events.COMPLETED, function setScore(e) { e.state.metrics['acc'] = scores[trainer.state.epoch - 1]; });
    const saver = new MemorySaver();
    const model = { stateDict: () => ({ w: 1 }) };
    const checkpoint = genSaveBestModelsByValScore(saver, evaluator, model, 'acc', { nSaved: 2, trainer });
    trainer.on(Events.EPOCH_COMPLETED, async () => { await evaluator.run([0]); });
    await trainer.run([0, 1], { maxEpochs: 4 });
    assert.deepEqual(evaluator.attached, ['completed: setScore', 'completed: Checkpoint']);
    assert.deepEqual(saver.files, ['best_model_2_val_acc=0.7000.ckpt', 'best_model_4_val_acc=0.9000.ckpt']);
    assert.equal(checkpoint.lastCheckpoint, 'best_model_4_val_acc=0.9000.ckpt');

    const dir = mkdtempSync(join(tmpdir(), 'kindling-best-'));
    const onDisk = new SpyEngine((_e, b) => b, { logger: silentLogger });
    onDisk.on(Events.COMPLETED, (e) => { e.state.metrics['acc'] = 0.25; });
    saveBestModelByValScore(dir, onDisk, model, 'acc', { tag: 'test' });
    await onDisk.run([0]);
    assert.deepEqual(readdirSync(dir), ['best_model_test_acc=0.2500.ckpt'], 'no trainer: no global step in the name');
  });

  it('test_add_early_stopping_by_val_score: EarlyStopping on evaluator COMPLETED stops the trainer', async () => {
    const scores = [0.5, 0.7, 0.6, 0.65, 0.9];
    const trainer = new Engine((_e, b: number) => b, { logger: silentLogger });
    const evaluator = new SpyEngine((_e, b) => b, { logger: silentLogger });
    evaluator.on(Events.COMPLETED, function setScore(e) { e.state.metrics['acc'] = scores[trainer.state.epoch - 1]; });
    addEarlyStoppingByValScore(2, evaluator, trainer, 'acc');
    trainer.on(Events.EPOCH_COMPLETED, async () => { await evaluator.run([0]); });
    const state = await trainer.run([0], { maxEpochs: 5 });
    assert.deepEqual(evaluator.attached, ['completed: setScore', 'completed: EarlyStopping']);
    assert.equal(state.epoch, 4, 'no improvement at epochs 3 and 4');
  });
});
