// The training run of the browser example, browser-safe and shared with Node (the tests run it under Node's wasm
// backend to compare with the browser's, and the Node CLI resumes its checkpoints): the same objects, under the same
// checkpoint keys, as `kindling train --model mlp` (defaults: adam 1e-3, batch 64, seed 0, patience 5, cosine decay
// to 5% of the learning rate over the run), so that a checkpoint goes from the page to `kindling train --resume` /
// `kindling evaluate` and back.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  Accuracy, Checkpoint, CosineAnnealingScheduler, DataLoader, EarlyStopping, Events, Loss, NdArray, RunningAverage, TensorDataset,
  createSupervisedEvaluator, createSupervisedTrainer, crossEntropyLoss, globalStepFromEngine, manualSeed, mnist,
  type BaseSaveHandler, type Engine,
} from '../../src/index.js';
// The CLI's own model, so that both build the same layers (a checkpoint's weights load into either).
import { buildModel } from '../../src/cli/models.js';

/** What one run trains with (the CLI's defaults). */
export interface RunOptions {
  /** Epochs in all (the cosine schedule spans them, as `--epochs`). */
  epochs: number;
  batchSize: number;
  lr: number;
  patience: number;
  seed: number;
  /** Digits per class to load (undefined: all 10,000 digits, as the CLI). */
  perDigit?: number;
  /**
   * Read the loss with `await loss.data()` (Ignite's `non_blocking`): the page sets it, because TensorFlow.js's webgpu
   * backend gives 0 for `dataSync()` inside a training step. Same values either way.
   */
  nonBlocking?: boolean;
  /** Autocast (`ampMode: 'amp'`: float16 on webgl and webgpu, bfloat16 elsewhere). */
  amp?: boolean;
}

/** `kindling train`'s defaults. */
export const CLI_DEFAULTS: RunOptions = { epochs: 15, batchSize: 64, lr: 1e-3, patience: 5, seed: 0 };

/** The three splits of the CLI: 10% of the training digits held out for validation. */
export interface Splits {
  train: TensorDataset;
  val: TensorDataset;
  test: TensorDataset;
}

function tail(ds: TensorDataset, fraction: number): [TensorDataset, TensorDataset] {
  const cut = ds.length - Math.round(ds.length * fraction);
  const part = (from: number, to: number): TensorDataset => new TensorDataset(...ds.columns.map((c) => {
    const row = c.shape.slice(1).reduce((a, b) => a * b, 1);
    return new NdArray(c.data.subarray(from * row, to * row), [to - from, ...c.shape.slice(1)]);
  }));
  return [part(0, cut), part(cut, ds.length)];
}

/** Loads the digits and splits them as the CLI does (src/cli/data.ts). */
export async function loadSplits(loadDigit: (d: number) => Promise<ArrayLike<number>>, perDigit?: number): Promise<Splits> {
  const { train: all, test } = await mnist({ loadDigit, ...(perDigit !== undefined ? { maxPerDigit: perDigit } : {}) });
  const [train, val] = tail(all, 0.1);
  return { train, val, test };
}

/** The objects of one run. */
export interface Session {
  model: tfl.LayersModel;
  trainer: Engine<unknown, unknown>;
  evaluator: Engine<unknown, unknown>;
  loader: DataLoader;
  valLoader: DataLoader;
  /** The CLI's resumable checkpoint (`last_checkpoint_<iteration>.ckpt`), saved every epoch and on Stop. */
  resumable: Checkpoint;
  /** Everything the resumable checkpoint holds, by the CLI's keys. */
  toSave: Record<string, unknown>;
  dispose(): void;
}

/**
 * Builds the CLI's MLP run on `backend`, saving to `saver` (the page's IndexedDB, or a directory under Node).
 * The seed is set first, so the weights, dropout and data order are those of `kindling train --seed`.
 */
export function buildSession(data: Splits, opts: RunOptions, backend: string, saver: BaseSaveHandler): Session {
  manualSeed(opts.seed);
  const model = buildModel('mlp');
  const optimizer: tf.Optimizer = tf.train.adam(opts.lr);
  const amp = opts.amp === true ? { ampMode: 'amp' as const } : {};
  const trainer = createSupervisedTrainer(model, optimizer, crossEntropyLoss, { device: backend, nonBlocking: opts.nonBlocking ?? false, ...amp });
  const evaluator = createSupervisedEvaluator(model, { device: backend, metrics: { accuracy: new Accuracy(), loss: new Loss(crossEntropyLoss) }, ...amp });
  const loader = new DataLoader(data.train, { batchSize: opts.batchSize, shuffle: true });
  const valLoader = new DataLoader(data.val, { batchSize: 256 });
  new RunningAverage({ outputTransform: (loss: unknown) => loss }).attach(trainer, 'loss');
  const earlyStopping = new EarlyStopping({ patience: opts.patience, scoreFunction: (e) => e.state.metrics['accuracy'] as number, trainer });
  const best = new Checkpoint({ toSave: { model }, saveHandler: saver, filenamePrefix: 'best', scoreName: 'accuracy', nSaved: 1, globalStepTransform: globalStepFromEngine(trainer) });
  const lrScheduler = new CosineAnnealingScheduler(optimizer, 'lr', { startValue: opts.lr, endValue: opts.lr * 0.05, cycleSize: opts.epochs * loader.length + 1 });
  lrScheduler.attach(trainer, Events.ITERATION_STARTED);
  const toSave: Record<string, unknown> = { trainer, model, optimizer, earlyStopping, lrScheduler };
  const resumable = new Checkpoint({ toSave: { ...toSave, bestCheckpoint: best }, saveHandler: saver, filenamePrefix: 'last', nSaved: 1, includeSelf: true });
  trainer.on(Events.EPOCH_COMPLETED, async () => {
    await evaluator.run(valLoader);
  });
  evaluator.on(Events.COMPLETED, best);
  evaluator.on(Events.COMPLETED, earlyStopping);
  trainer.on(Events.EPOCH_COMPLETED, resumable);
  return {
    model, trainer, evaluator, loader, valLoader, resumable, toSave: { ...toSave, bestCheckpoint: best, checkpointer: resumable },
    dispose: () => {
      loader.dispose();
      valLoader.dispose();
      optimizer.dispose();
      model.dispose();
    },
  };
}

/** Test accuracy and loss of a model (an evaluator of its own: the validation one feeds early stopping). */
export async function testScore(model: tfl.LayersModel, data: Splits, backend: string): Promise<{ accuracy: number; loss: number }> {
  const tester = createSupervisedEvaluator(model, { device: backend, metrics: { accuracy: new Accuracy(), loss: new Loss(crossEntropyLoss) } });
  const loader = new DataLoader(data.test, { batchSize: 256 });
  const { metrics } = await tester.run(loader);
  loader.dispose();
  return { accuracy: metrics['accuracy'] as number, loss: metrics['loss'] as number };
}
