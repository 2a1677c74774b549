/**
 * @module `kindling train`: the main job. Trains a digit classifier with kindling's own pieces (supervised trainer
 * and evaluator, metrics, progress bars, checkpoints, early stopping, logging) and prints a summary.
 */

import { existsSync, mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { NATIVE_BACKEND_NAME, setNativeBackendThreads } from '@kindling/kernels/node';
import { DataLoader } from '../data/index.js';
import { Events } from '../engine/index.js';
import { Checkpoint, globalStepFromEngine } from '../handlers/checkpoint/index.js';
import { EarlyStopping } from '../handlers/early-stopping.js';
import { CosineAnnealingScheduler } from '../handlers/param-scheduler/index.js';
import { ProgressBar } from '../node/progress-bar/index.js';
import { DashboardLogger } from '../node/logging/dashboard-logger.js';
import { JsonlLogger } from '../node/logging/file-loggers.js';
import type { BaseLogger } from '../logging/base-logger.js';
import { RunningAverage } from '../metrics/index.js';
import { DiskSaver } from '../node/disk-saver.js';
import { manualSeed } from '../random/index.js';
import { setupBackend } from './backends.js';
import { loadCliData } from './data.js';
import { CliError } from './errors.js';
import { buildSession, type Session } from './session.js';
import type { TrainOptions } from './options.js';

/** What `kindling train` reports at the end (also returned for tests). */
export interface TrainSummary {
  testAccuracy: number;
  testLoss: number;
  seconds: number;
  samplesPerSecond: number;
  epochs: number;
  iterations: number;
  bestCheckpoint: string | null;
  resumeCheckpoint: string | null;
  logDir: string;
  backend: string;
  interrupted: boolean;
}

function validate(opts: TrainOptions): void {
  if (opts.scaler && opts.amp === undefined) {
    throw new CliError('--scaler requires --amp (dynamic loss scaling is part of mixed precision).');
  }
  if (opts.resume !== undefined && !existsSync(opts.resume)) {
    throw new CliError(`checkpoint '${opts.resume}' not found (--resume expects a .ckpt file written by kindling train).`);
  }
}

function stamp(): string {
  return new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
}

interface Handlers {
  logger: BaseLogger;
  saver: DiskSaver;
  best: Checkpoint;
  resumable: Checkpoint;
  toSave: Record<string, unknown>;
}

function attachHandlers(s: Session, opts: TrainOptions, output: string, logger: BaseLogger): Handlers {
  const { trainer, evaluator } = s;
  new RunningAverage({ outputTransform: (loss: unknown) => loss }).attach(trainer, 'loss');
  new ProgressBar({ persist: true }).attach(trainer, { metricNames: ['loss'] });
  new ProgressBar({ desc: 'Validation' }).attach(evaluator);
  const saver = new DiskSaver(join(output, 'checkpoints'), { createDir: true, requireEmpty: false });
  const stopper = new EarlyStopping({ patience: opts.patience, scoreFunction: (e) => e.state.metrics['accuracy'] as number, trainer });
  const toSave: Record<string, unknown> = { trainer, model: s.model, optimizer: s.optimizer, earlyStopping: stopper };
  if (s.scaler !== null) toSave['scaler'] = s.scaler;
  const best = new Checkpoint({
    toSave: { model: s.model },
    saveHandler: saver,
    filenamePrefix: 'best',
    scoreName: 'accuracy',
    nSaved: 1,
    globalStepTransform: globalStepFromEngine(trainer),
  });
  // Cosine decay of the learning rate over the whole run (to 5% of --lr), one step per iteration.
  const scheduler = new CosineAnnealingScheduler(s.optimizer, 'lr', {
    startValue: opts.lr,
    endValue: opts.lr * 0.05,
    cycleSize: opts.epochs * s.trainLoader.length + 1,
  });
  scheduler.attach(trainer, Events.ITERATION_STARTED);
  toSave['lrScheduler'] = scheduler;
  const resumable = new Checkpoint({ toSave, saveHandler: saver, filenamePrefix: 'last', nSaved: 1 });
  trainer.on(Events.EPOCH_COMPLETED, async () => {
    await evaluator.run(s.valLoader);
  });
  evaluator.on(Events.COMPLETED, best);
  evaluator.on(Events.COMPLETED, stopper);
  trainer.on(Events.EPOCH_COMPLETED, resumable);
  logger.attachOutputHandler(trainer, { tag: 'training', metricNames: ['loss'], event: Events.ITERATION_COMPLETED({ every: 10 }) });
  logger.attachOutputHandler(evaluator, {
    event: Events.COMPLETED,
    tag: 'validation',
    metricNames: ['accuracy', 'loss'],
    globalStepTransform: () => trainer.state.iteration,
  });
  logger.attachOptParamsHandler(trainer, { optimizer: s.optimizer, event: Events.EPOCH_STARTED });
  return { logger, saver, best, resumable, toSave };
}

function printEpoch(s: Session, out: NodeJS.WritableStream): void {
  s.trainer.on(Events.EPOCH_COMPLETED, (e) => {
    const m = s.evaluator.state.metrics;
    out.write(
      `Epoch ${e.state.epoch}/${String(e.state.maxEpochs)}: validation accuracy ${(m['accuracy'] as number).toFixed(4)}, ` +
        `loss ${(m['loss'] as number).toFixed(4)}\n`,
    );
  });
}

function installSigint(s: Session, out: NodeJS.WritableStream): { interrupted: () => boolean; dispose: () => void } {
  let interrupted = false;
  const onSigint = (): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    out.write('\nCtrl-C: stopping after this iteration and saving a checkpoint (Ctrl-C again to quit now)...\n');
    s.trainer.terminate();
    s.evaluator.terminate();
  };
  process.on('SIGINT', onSigint);
  return { interrupted: () => interrupted, dispose: () => process.off('SIGINT', onSigint) };
}

async function finalTest(s: Session, best: Checkpoint, saver: DiskSaver, batchSize: number): Promise<{ accuracy: number; loss: number }> {
  const bestPath = best.lastCheckpoint;
  if (bestPath !== null) await Checkpoint.loadObjects({ toLoad: { model: s.model }, checkpoint: bestPath, handler: saver });
  const tester = s.makeEvaluator();
  new ProgressBar({ desc: 'Test' }).attach(tester);
  const loader = new DataLoader(s.data.test, { batchSize });
  const state = await tester.run(loader);
  loader.dispose();
  return { accuracy: state.metrics['accuracy'] as number, loss: state.metrics['loss'] as number };
}

/**
 * Runs `kindling train`.
 *
 * @param opts - parsed flags.
 * @param out - where the summary is printed (progress bars go to stderr).
 * @returns the summary.
 * @throws {@link CliError} for invalid flag combinations and missing files.
 * @example
 * ```ts
 * const summary = await trainCommand({ ...defaults, epochs: 1 }, process.stdout);
 * ```
 */
export async function trainCommand(opts: TrainOptions, out: NodeJS.WritableStream): Promise<TrainSummary> {
  validate(opts);
  const output = resolve(opts.output ?? join('runs', `${opts.model}-${stamp()}`));
  mkdirSync(output, { recursive: true });
  // On wasm the small MLP trains faster on one thread (2.4 s vs 2.8-3.2 s an epoch on 2 cores: XNNPACK's thread
  // hand-offs cost more than its small products save); the CNN on all cores (see docs/backends.md).
  const wasmThreads = opts.threads ?? (opts.model === 'mlp' && process.env.KINDLING_WASM_THREADS === undefined ? 1 : undefined);
  const backend = await setupBackend(opts.backend, opts.model === 'cnn' ? ['Conv2DBackpropFilter', 'Conv2DBackpropInput'] : [], wasmThreads);
  // Both models train fastest on all cores (the MLP took one thread until the pool's workers spun between kernels).
  if (backend === NATIVE_BACKEND_NAME) setNativeBackendThreads(opts.threads ?? availableParallelism());
  manualSeed(opts.seed);
  const data = await loadCliData(opts.data);
  out.write(`kindling train: ${opts.model} on ${data.source} (${data.train.length} train / ${data.val.length} validation / ${data.test.length} test), backend ${backend}\n`);
  const s = buildSession(opts, backend, data);
  const logger: BaseLogger =
    opts.dashboard !== undefined
      ? await DashboardLogger.start({ logDir: resolve(output, '..'), runName: output.split(/[\\/]/).pop() ?? 'run', port: opts.dashboard === true ? 0 : opts.dashboard })
      : new JsonlLogger(output);
  if (logger instanceof DashboardLogger) {
    logger.attachProgressHandler(s.trainer);
    out.write(`dashboard: ${logger.url ?? ''}\n`);
  }
  const h = attachHandlers(s, opts, output, logger);
  printEpoch(s, out);
  if (opts.resume !== undefined) {
    await Checkpoint.loadObjects({ toLoad: h.toSave, checkpoint: resolve(opts.resume), handler: h.saver });
    out.write(`resumed from ${opts.resume} at epoch ${s.trainer.state.epoch}, iteration ${s.trainer.state.iteration}\n`);
  }
  const sigint = installSigint(s, out);
  const start = performance.now();
  const startIteration = s.trainer.state.iteration;
  try {
    await s.trainer.run(s.trainLoader, { maxEpochs: opts.epochs });
  } finally {
    sigint.dispose();
  }
  const seconds = (performance.now() - start) / 1000;
  if (sigint.interrupted()) await h.resumable.handle(s.trainer);
  const samples = (s.trainer.state.iteration - startIteration) * opts.batchSize;
  const test = sigint.interrupted() ? { accuracy: NaN, loss: NaN } : await finalTest(s, h.best, h.saver, 256);
  await logger.close();
  const summary: TrainSummary = {
    testAccuracy: test.accuracy,
    testLoss: test.loss,
    seconds,
    samplesPerSecond: samples / Math.max(seconds, 1e-9),
    epochs: s.trainer.state.epoch,
    iterations: s.trainer.state.iteration,
    bestCheckpoint: h.best.lastCheckpoint,
    resumeCheckpoint: h.resumable.lastCheckpoint,
    logDir: output,
    backend,
    interrupted: sigint.interrupted(),
  };
  printSummary(summary, out);
  s.dispose();
  return summary;
}

function printSummary(r: TrainSummary, out: NodeJS.WritableStream): void {
  out.write('\n');
  if (r.interrupted) out.write(`Interrupted at epoch ${r.epochs}, iteration ${r.iterations}. Continue with:\n  npx kindling train --resume ${r.resumeCheckpoint ?? ''}\n`);
  else out.write(`Test accuracy: ${r.testAccuracy.toFixed(4)}  (loss ${r.testLoss.toFixed(4)}, best validation checkpoint)\n`);
  out.write(`Time: ${r.seconds.toFixed(1)} s for ${r.iterations} iterations (${Math.round(r.samplesPerSecond)} samples/s, backend ${r.backend})\n`);
  out.write(`Best checkpoint: ${r.bestCheckpoint ?? 'none'}\nResume checkpoint: ${r.resumeCheckpoint ?? 'none'}\n`);
  out.write(`Logs: ${join(r.logDir, 'metrics.jsonl')}  (view with: npx kindling dashboard ${resolve(r.logDir, '..')})\n`);
}
