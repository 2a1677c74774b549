/**
 * @module `kindling train`: the main job. Trains a digit classifier with kindling's own pieces (supervised trainer
 * and evaluator, metrics, progress bars, checkpoints, early stopping, logging) and prints a summary.
 */

import { existsSync } from 'node:fs';
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
import { findLr } from './find-lr.js';
import { checkResumable, installSigint, openRunDir, runDirectory, type StopSignal } from './run-dir.js';
import { distributeSession, sharedRunDir } from './distributed.js';
import { buildSession, type Session } from './session.js';
import { DEFAULT_LR, type TrainOptions } from './options.js';

/** What `kindling train` reports at the end (also returned for tests). */
export interface TrainSummary {
  testAccuracy: number;
  testLoss: number;
  seconds: number;
  samplesPerSecond: number;
  epochs: number;
  /** The trainer's iteration at the end (counting iterations before a resume). */
  iterations: number;
  /** Iterations run by this command (the time and samples/s are about these). */
  runIterations: number;
  /** Set when early stopping ended the run: its message. */
  earlyStopped: string | null;
  bestCheckpoint: string | null;
  resumeCheckpoint: string | null;
  logDir: string;
  backend: string;
  interrupted: boolean;
  /** The signal that stopped the run (Ctrl-C's SIGINT or SIGTERM), or null. */
  signal: StopSignal | null;
}

function validate(opts: TrainOptions): void {
  if (opts.scaler && opts.amp === undefined) {
    throw new CliError('--scaler requires --amp (dynamic loss scaling is part of mixed precision).');
  }
  if (opts.findLr === true && opts.resume !== undefined) throw new CliError('--find-lr starts a new run: it cannot be combined with --resume.', 2);
  if (opts.resume !== undefined) {
    if (!existsSync(opts.resume)) throw new CliError(`checkpoint '${opts.resume}' not found (--resume expects a .ckpt file written by kindling train).`, 1);
    checkResumable(opts.resume);
  }
  if (opts.data !== undefined && !existsSync(opts.data)) throw new CliError(`--data directory '${opts.data}' does not exist.`, 1);
}

interface Handlers {
  logger: BaseLogger;
  saver: DiskSaver;
  best: Checkpoint;
  resumable: Checkpoint;
  stopper: EarlyStopping;
  toSave: Record<string, unknown>;
}

function attachHandlers(s: Session, opts: TrainOptions & { lr: number }, output: string, logger: BaseLogger): Handlers {
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
  // The best-model checkpointer's state goes with the resumable one, so a resumed run keeps comparing to its best.
  const resumable = new Checkpoint({ toSave: { ...toSave, bestCheckpoint: best }, saveHandler: saver, filenamePrefix: 'last', nSaved: 1, includeSelf: true });
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
  return { logger, saver, best, resumable, stopper, toSave };
}

function printEpoch(s: Session, out: NodeJS.WritableStream): void {
  s.trainer.on(Events.EPOCH_COMPLETED, (e) => {
    if (s.evaluator.shouldTerminate === 'skip_completed') return; // validation cut short by Ctrl-C
    const m = s.evaluator.state.metrics;
    out.write(
      `Epoch ${e.state.epoch}/${String(e.state.maxEpochs)}: validation accuracy ${(m['accuracy'] as number).toFixed(4)}, ` +
        `loss ${(m['loss'] as number).toFixed(4)}\n`,
    );
  });
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
 */
export async function trainCommand(opts: TrainOptions, out: NodeJS.WritableStream): Promise<TrainSummary> {
  validate(opts);
  const resolved = { ...opts, lr: opts.lr ?? DEFAULT_LR[opts.optimizer] };
  // With --nproc, rank 0 owns the run directory (see distributed.ts); alone, this process does.
  const dir = sharedRunDir(() => runDirectory(opts), (path) => openRunDir(path, out));
  let failed = true;
  try {
    const summary = await trainIn(dir.path, resolved, out);
    failed = false;
    return summary;
  } finally {
    dir.close(failed);
  }
}

/** Starts the logger first, so a dashboard port in use fails before the data loads. */
async function startLogger(opts: TrainOptions, output: string, out: NodeJS.WritableStream): Promise<BaseLogger> {
  if (opts.dashboard === undefined) return new JsonlLogger(output);
  const logger = await DashboardLogger.start({
    logDir: resolve(output, '..'),
    runName: output.split(/[\\/]/).pop() ?? 'run',
    port: opts.dashboard === true ? 0 : opts.dashboard,
    allowedHosts: opts.dashboardAllowHost ?? [],
    onWarning: (message) => void process.stderr.write(`${message}\n`),
  }).catch((e: unknown) => {
    throw new CliError(`cannot serve the dashboard on port ${String(opts.dashboard)}: ${e instanceof Error ? e.message : String(e)}`, 1);
  });
  out.write(`dashboard: ${logger.url ?? ''}\n`);
  return logger;
}

async function prepareBackend(opts: TrainOptions): Promise<string> {
  // On wasm the small MLP trains faster on one thread (2.4 s vs 2.8-3.2 s an epoch on 2 cores: XNNPACK's thread
  // hand-offs cost more than its small products save); the CNN on all cores (see docs/backends.md).
  const wasmThreads = opts.threads ?? (opts.model === 'mlp' && process.env.KINDLING_WASM_THREADS === undefined ? 1 : undefined);
  const backend = await setupBackend(opts.backend, opts.model === 'cnn' ? ['Conv2DBackpropFilter', 'Conv2DBackpropInput'] : [], wasmThreads);
  // Both models train fastest on all cores (the MLP took one thread until the pool's workers spun between kernels).
  if (backend === NATIVE_BACKEND_NAME) setNativeBackendThreads(opts.threads ?? availableParallelism());
  return backend;
}

async function trainIn(output: string, opts: TrainOptions & { lr: number }, out: NodeJS.WritableStream): Promise<TrainSummary> {
  const logger = await startLogger(opts, output, out);
  let s: Session | null = null;
  let disposeShards = (): void => undefined;
  try {
    const backend = await prepareBackend(opts);
    manualSeed(opts.seed);
    const data = await loadCliData(opts.data, { augment: opts.augment, ...(opts.label !== undefined ? { label: opts.label } : {}), ...(opts.imageSize !== undefined ? { imageSize: opts.imageSize } : {}) });
    const workers = opts.workers ?? 0;
    const loading = workers === 0 ? '' : data.workerDataset !== null ? `, ${workers} loader workers` : ', --workers unused: the data is in memory';
    out.write(`kindling train: ${opts.model} on ${data.source} (${data.train.length} train / ${data.val.length} validation / ${data.test.length} test, samples [${data.inputShape.join(', ')}], ${data.numClasses} classes${loading}), backend ${backend}\n`);
    s = buildSession(opts, backend, data);
    disposeShards = distributeSession(s, opts); // --nproc: shard the training loader, sync weights and gradients
    if (opts.findLr === true) opts.lr = await findLr(s, output, logger, out);
    if (logger instanceof DashboardLogger) logger.attachProgressHandler(s.trainer);
    const h = attachHandlers(s, opts, output, logger);
    printEpoch(s, out);
    if (opts.resume !== undefined) await resumeFrom(opts.resume, s, h, opts.batchSize, out);
    return await trainAndReport(s, h, opts, { output, backend, logger }, out);
  } finally {
    await logger.close();
    disposeShards();
    s?.dispose();
  }
}

async function resumeFrom(path: string, s: Session, h: Handlers, batchSize: number, out: NodeJS.WritableStream): Promise<void> {
  const checkpoint = resolve(path);
  await Checkpoint.loadObjects({ toLoad: h.toSave, checkpoint, handler: h.saver }).catch((e: unknown) => {
    // A model-only checkpoint under another name (best_* files are refused by name before anything loads).
    if (e instanceof Error && /Object labeled by 'trainer'/.test(e.message)) {
      throw new CliError(`'${path}' holds no trainer state (a best-model or model-only checkpoint?): resume from the run's last_*.ckpt.`);
    }
    throw e;
  });
  // Checkpoints written before best-model tracking was saved have no 'bestCheckpoint': start tracking afresh.
  await Checkpoint.loadObjects({ toLoad: { bestCheckpoint: h.best }, checkpoint, handler: h.saver }).catch(() => undefined);
  // Likewise the resumable checkpointer's own list, so the checkpoint resumed from is replaced, not kept beside.
  await Checkpoint.loadObjects({ toLoad: { checkpointer: h.resumable }, checkpoint, handler: h.saver }).catch(() => undefined);
  const saved = s.trainer.state.epochLength;
  if (saved != null && saved !== s.trainLoader.length) {
    const n = s.data.train.length;
    const fits = Array.from({ length: n }, (_, i) => i + 1).filter((b) => Math.ceil(n / b) === saved);
    const old = fits.length === 0 ? 'the batch size of that run' : `--batch-size ${fits[0]}${fits.length > 1 ? ` to ${String(fits.at(-1))}` : ''}`;
    throw new CliError(
      `--batch-size ${batchSize} gives ${s.trainLoader.length} iterations per epoch, but the checkpoint was trained with ` +
        `${saved} (${old}); an epoch cannot change length mid-run. Resume with ${old}, or start a new run.`,
    );
  }
  const st = s.trainer.state;
  const done = saved != null ? st.iteration % saved : 0;
  const mid = done > 0 && saved != null ? ` (mid-epoch: ${done} of the ${saved} iterations of epoch ${st.epoch + 1} done)` : '';
  out.write(`resumed from ${path} at epoch ${st.epoch}, iteration ${st.iteration}${mid}\n`);
}

function earlyStopMessage(s: Session, h: Handlers, interrupted: boolean): string | null {
  const st = s.trainer.state;
  if (interrupted || h.stopper.counter < h.stopper.patience || st.epoch >= (st.maxEpochs ?? Infinity)) return null;
  const p = h.stopper.patience;
  return `Early stopping: validation accuracy did not improve for ${p} epoch${p === 1 ? '' : 's'} (best ${(h.stopper.bestScore ?? NaN).toFixed(4)}); ` +
    `stopped after epoch ${st.epoch}/${String(st.maxEpochs)}.`;
}

interface RunInfo {
  output: string;
  backend: string;
  logger: BaseLogger;
}

async function trainAndReport(s: Session, h: Handlers, opts: TrainOptions, info: RunInfo, out: NodeJS.WritableStream): Promise<TrainSummary> {
  const sigint = installSigint(s.trainer, s.evaluator, join(info.output, 'checkpoints'), out);
  const start = performance.now();
  const startIteration = s.trainer.state.iteration;
  try {
    await s.trainer.run(s.trainLoader, { maxEpochs: opts.epochs });
    // A mid-epoch checkpoint: the run stopped after the iteration during which Ctrl-C came.
    if (sigint.interrupted()) await h.resumable.handle(s.trainer);
  } finally {
    sigint.dispose();
  }
  const seconds = (performance.now() - start) / 1000;
  const interrupted = sigint.interrupted();
  const runIterations = s.trainer.state.iteration - startIteration;
  const earlyStopped = earlyStopMessage(s, h, interrupted);
  const test = interrupted ? { accuracy: NaN, loss: NaN } : await finalTest(s, h.best, h.saver, 256);
  await info.logger.close();
  const summary: TrainSummary = {
    testAccuracy: test.accuracy,
    testLoss: test.loss,
    seconds,
    samplesPerSecond: (runIterations * opts.batchSize) / Math.max(seconds, 1e-9),
    epochs: s.trainer.state.epoch,
    iterations: s.trainer.state.iteration,
    runIterations,
    earlyStopped,
    bestCheckpoint: h.best.lastCheckpoint,
    resumeCheckpoint: h.resumable.lastCheckpoint,
    logDir: info.output,
    backend: info.backend,
    interrupted,
    signal: sigint.signal(),
  };
  printSummary(summary, startIteration, out);
  return summary;
}

function printSummary(r: TrainSummary, startIteration: number, out: NodeJS.WritableStream): void {
  out.write('\n');
  if (r.earlyStopped !== null) out.write(`${r.earlyStopped}\n`);
  if (r.interrupted) out.write(`Interrupted at epoch ${r.epochs}, iteration ${r.iterations}. Continue with:\n  npx kindling train --resume ${r.resumeCheckpoint ?? ''}\n`);
  else out.write(`Test accuracy: ${r.testAccuracy.toFixed(4)}  (loss ${r.testLoss.toFixed(4)}, best validation checkpoint)\n`);
  const range = startIteration > 0 ? `, iterations ${startIteration + 1}-${r.iterations}` : '';
  out.write(`Time: ${r.seconds.toFixed(1)} s for ${r.runIterations} iterations (${Math.round(r.samplesPerSecond)} samples/s${range}, backend ${r.backend})\n`);
  out.write(`Best checkpoint: ${r.bestCheckpoint ?? 'none'}\nResume checkpoint: ${r.resumeCheckpoint ?? 'none'}\n`);
  out.write(`Logs: ${join(r.logDir, 'metrics.jsonl')}  (view with: npx kindling dashboard ${resolve(r.logDir, '..')})\n`);
}
