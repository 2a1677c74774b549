import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { Engine, Events } from '../../../src/engine/index.js';
import { Checkpoint } from '../../../src/handlers/checkpoint/checkpoint.js';
import { captureState } from '../../../src/handlers/checkpoint/tf-state.js';
import { DiskSaver } from '../../../src/node/disk-saver.js';

await tf.setBackend('cpu');

type Batch = [tf.Tensor2D, tf.Tensor2D];
const data: Batch[] = [0, 1, 2, 3].map((i) => [
  tf.tensor2d([[i * 0.1, -0.3, 0.5], [0.2, i * -0.2, 0.1]]),
  tf.tensor2d([[i % 2], [1 - (i % 2)]]),
]);
const SCORES = [1, 2, 3, 3, 4, 5]; // no improvement at epoch 4: early stopping with patience 1 stops there

/** A step-decay LR scheduler with state, standing in for kindling's schedulers. */
class StepLr {
  step = 0;
  constructor(private readonly opt: tf.Optimizer) {}
  handle(): void {
    (this.opt as unknown as { learningRate: number }).learningRate = 0.05 * 0.9 ** this.step;
    this.step++;
  }
  stateDict(): { step: number } { return { step: this.step }; }
  loadStateDict(sd: { step: number }): void { this.step = sd.step; }
}

/** Minimal early stopping (patience, counter, best score) with stateDict, standing in for EarlyStopping. */
class StopOnPlateau {
  counter = 0;
  bestScore: number | null = null;
  constructor(private readonly trainer: Engine<Batch, number>) {}
  handle(engine: Engine<Batch, number>): void {
    const score = SCORES[engine.state.epoch - 1] ?? 0;
    if (this.bestScore === null || score > this.bestScore) {
      this.bestScore = score;
      this.counter = 0;
    } else if (++this.counter >= 1) this.trainer.terminate();
  }
  stateDict(): { counter: number; bestScore: number | null } { return { counter: this.counter, bestScore: this.bestScore }; }
  loadStateDict(sd: { counter: number; bestScore: number | null }): void { ({ counter: this.counter, bestScore: this.bestScore } = sd); }
}

function setup(seed: number, saver: DiskSaver | null) {
  const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 1, inputShape: [3], kernelInitializer: tfl.initializers.glorotUniform({ seed }) })] });
  const optimizer = tf.train.adam(0.05);
  const trainer = new Engine<Batch, number>((_e, [x, y]) => {
    const loss = optimizer.minimize(() => tf.losses.meanSquaredError<tf.Tensor, tf.Scalar>(y, model.apply(x) as tf.Tensor), true);
    const value = loss?.dataSync()[0] ?? NaN;
    loss?.dispose();
    return value;
  });
  const lrScheduler = new StepLr(optimizer);
  const earlyStopping = new StopOnPlateau(trainer);
  trainer.on(Events.ITERATION_STARTED, lrScheduler);
  trainer.on(Events.EPOCH_COMPLETED, earlyStopping);
  const toSave = { trainer, model, optimizer, lrScheduler, earlyStopping };
  let checkpointer: Checkpoint | null = null;
  if (saver !== null) {
    checkpointer = new Checkpoint({ toSave, saveHandler: saver, includeSelf: true, globalStepTransform: () => trainer.state.epoch });
    trainer.on(Events.EPOCH_COMPLETED, checkpointer);
  }
  return { ...toSave, checkpointer, dispose: () => { model.dispose(); optimizer.dispose(); } };
}

async function snapshot(s: ReturnType<typeof setup>): Promise<unknown> {
  return {
    trainer: s.trainer.stateDict(), model: await captureState(s.model), optimizer: await captureState(s.optimizer),
    lr: s.lrScheduler.stateDict(), es: s.earlyStopping.stateDict(), checkpointer: s.checkpointer?.stateDict(),
  };
}

function strip(snap: unknown): unknown {
  // Layer names differ between builds; weights and everything else must match exactly.
  const s = snap as { model: { weightSpecs: Array<{ name: string }>; modelTopology: unknown }; optimizer: { weights: Array<{ name: string }> } };
  return { ...s, model: { ...s.model, modelTopology: null, weightSpecs: s.model.weightSpecs.map((w) => ({ ...w, name: '' })) },
    optimizer: { ...s.optimizer, weights: s.optimizer.weights.map((w) => ({ ...w, name: '' })) } };
}

describe('resume from a checkpoint', () => {
  let dir = '';
  before(() => { dir = mkdtempSync(join(tmpdir(), 'kindling-resume-')); });
  after(() => { rmSync(dir, { recursive: true, force: true }); tf.dispose(data.flat()); });

  it('test_checkpoint_load_objects_from_saved_file: restores trainer, model, optimizer, scheduler, early stopping and checkpointer', async () => {
    const first = setup(3, new DiskSaver(dir));
    await first.trainer.run(data, { maxEpochs: 3 });
    assert.deepEqual(readdirSync(dir), ['checkpoint_3.ckpt']);
    const saved = await snapshot(first);

    const saver = new DiskSaver(dir, { requireEmpty: false });
    const second = setup(99, saver);
    const { trainer, model, optimizer, lrScheduler, earlyStopping, checkpointer } = second;
    await Checkpoint.loadObjects({ toLoad: { trainer, model, optimizer, lrScheduler, earlyStopping, checkpointer }, checkpoint: 'checkpoint_3.ckpt', handler: saver });
    assert.deepEqual(strip(await snapshot(second)), strip(saved));
    assert.deepEqual(checkpointer?.stateDict(), { saved: [[3, 'checkpoint_3.ckpt']] });

    // Resume to 6 epochs: early stopping fires at epoch 4 and the restored list removes checkpoint_3.
    await trainer.run(data, { maxEpochs: 6 });
    assert.equal(trainer.state.epoch, 4);
    assert.deepEqual(readdirSync(dir), ['checkpoint_4.ckpt']);

    // The interrupted-and-resumed training equals one uninterrupted run, bit for bit.
    const reference = setup(3, null);
    await reference.trainer.run(data, { maxEpochs: 6 });
    assert.equal(reference.trainer.state.epoch, 4);
    const bits = (m: tfl.LayersModel): number[][] => m.getWeights().map((w) => Array.from(new Uint8Array((w.dataSync() as Float32Array).slice().buffer)));
    assert.deepEqual(bits(model), bits(reference.model));
    assert.deepEqual(trainer.stateDict(), reference.trainer.stateDict());
    [first, second, reference].forEach((s) => s.dispose());
  });
});
