/**
 * @module The run loop of `Engine`, written once (Ignite's `_internal_run_as_gen` + `_run_once_on_dataset_as_gen`).
 *
 * Read top to bottom it is Ignite's loop, event for event. Sync handlers, sync process functions and sync iterators cost no
 * microtask: every call site awaits only when it received a thenable. Interrupt suspends the loop on a promise that
 * the next `run()` resolves, so there is no second (legacy) copy of the loop.
 */

import { EngineStateError } from '../errors.js';
import type { BatchIterator } from './data.js';
import { Events, type CallableEvent } from './events.js';
import { isThenable, NO_ARG } from './handlers.js';
import type { Logger } from './logger.js';
import type { State } from './state.js';
import type { Pacer } from './yield.js';

/** The public fields of an engine that the loop reads and writes (every `Engine` has them). */
export interface LoopEngine {
  readonly state: State;
  readonly logger: Logger;
  readonly lastEventName: CallableEvent | string | null;
  shouldTerminate: boolean | 'skip_completed';
  shouldTerminateSingleEpoch: boolean | 'skip_epoch_completed';
  shouldInterrupt: boolean;
}

/** What the loop needs from its engine (private parts are passed in, public fields are read on `engine`). */
export interface LoopHost {
  readonly engine: LoopEngine;
  readonly process: (engine: LoopEngine, batch: unknown) => unknown;
  fire(event: CallableEvent, arg: unknown): Promise<void> | undefined;
  hasHandlers(event: CallableEvent): boolean;
  setupEngine(): void | Promise<void>;
  setupDataloaderIter(): void | Promise<void>;
  getIter(): BatchIterator<unknown> | Promise<BatchIterator<unknown>> | null;
  setIter(it: BatchIterator<unknown>): void;
  /** Drops (and closes) the current iterator. */
  releaseIter(): void;
  takeInitIter(): number;
  isDone(): boolean;
  /** Pauses until the next `run()`; resolves `true` to continue, `false` when the paused run is abandoned. */
  suspend(): Promise<boolean>;
  /** Decides when the loop yields to the macrotask queue (`null`: never). */
  readonly pacer: Pacer | null;
}

/** Control-flow signals of the loop (Ignite's `_EngineTerminateException` & co.); allocated once, never escape. */
class ControlSignal extends Error {}
const TERMINATE = new ControlSignal('terminate');
const TERMINATE_EPOCH = new ControlSignal('terminate_epoch');
const ABANDONED = new ControlSignal('abandoned');

/** An error rethrown by an EXCEPTION_RAISED handler: propagated as is, without firing the handlers again. */
class Rethrown {
  constructor(readonly error: unknown) {}
}

const now = (): number => performance.now() / 1000;

function flagged(e: LoopEngine): boolean {
  return e.shouldTerminate !== false || e.shouldTerminateSingleEpoch !== false || e.shouldInterrupt;
}

async function interruptNow(host: LoopHost): Promise<void> {
  const p = host.fire(Events.INTERRUPT, NO_ARG);
  if (p !== undefined) await p;
  host.engine.shouldInterrupt = false;
  if (!(await host.suspend())) throw ABANDONED;
}

/** Ignite's `_maybe_terminate_or_interrupt`. */
function check(host: LoopHost): Promise<void> | undefined {
  const e = host.engine;
  if (e.shouldTerminate !== false) throw TERMINATE;
  if (e.shouldTerminateSingleEpoch !== false) throw TERMINATE_EPOCH;
  if (e.shouldInterrupt) return interruptNow(host);
  return undefined;
}

async function emit(host: LoopHost, event: CallableEvent): Promise<void> {
  const p = host.fire(event, NO_ARG);
  if (p !== undefined) await p;
  if (flagged(host.engine)) await check(host);
}

async function handleException(host: LoopHost, error: unknown, wrap: boolean): Promise<void> {
  if (!host.hasHandlers(Events.EXCEPTION_RAISED)) throw error;
  try {
    const p = host.fire(Events.EXCEPTION_RAISED, error);
    if (p !== undefined) await p;
  } catch (rethrown) {
    throw wrap ? new Rethrown(rethrown) : rethrown;
  }
}

function warnExhausted(host: LoopHost): void {
  const s = host.engine.state;
  const total = s.maxEpochs != null ? (s.epochLength ?? 0) * s.maxEpochs : s.maxIters;
  host.engine.logger.warn(
    'Data iterator can not provide data anymore but required total number of iterations to run is not reached. ' +
      `Current iteration: ${s.iteration} vs Total iterations to run : ${String(total)}`,
  );
}

/** Handles an exhausted iterator. Returns true when the epoch ends, false to retry with a fresh iterator. */
async function onExhausted(host: LoopHost, iterCounter: number, shouldExit: boolean): Promise<boolean> {
  const s = host.engine.state;
  if (s.epochLength == null) {
    s.epochLength = iterCounter;
    if (s.maxIters != null) s.maxEpochs = Math.ceil(s.maxIters / iterCounter);
    return true;
  }
  if (shouldExit) {
    if (!host.isDone()) warnExhausted(host);
    return true;
  }
  if (s.dataloader != null) await emit(host, Events.DATALOADER_STOP_ITERATION);
  const p = host.setupDataloaderIter();
  if (p !== undefined) await p;
  return false;
}

async function openIterator(host: LoopHost): Promise<BatchIterator<unknown>> {
  const pending = host.getIter();
  if (pending === null) throw new EngineStateError('Internal error: the data iterator is null. Please file an issue.');
  const it = await pending;
  host.setIter(it);
  return it;
}

async function endEpochEarly(host: LoopHost, iterCounter: number): Promise<void> {
  const p = host.fire(Events.TERMINATE_SINGLE_EPOCH, iterCounter);
  if (p !== undefined) await p;
  host.releaseIter();
  const q = host.setupDataloaderIter();
  if (q !== undefined) await q;
}

/** One epoch over the data (Ignite's `_run_once_on_dataset_as_gen`); returns its duration in seconds. */
async function runOnceOnDataset(host: LoopHost): Promise<number> {
  const start = now();
  const engine = host.engine;
  let iterCounter = host.takeInitIter();
  let shouldExit = false;
  try {
    for (;;) {
      const s = engine.state;
      s.batch = null;
      const hasData = s.dataloader != null;
      // After a re-iteration GET_BATCH_STARTED was already fired for this batch; Ignite checks the last event name, so
      // a run interrupted at DATALOADER_STOP_ITERATION (last event INTERRUPT) fires it again when it resumes.
      if (hasData && engine.lastEventName !== Events.DATALOADER_STOP_ITERATION) {
        const p = host.fire(Events.GET_BATCH_STARTED, NO_ARG);
        if (p !== undefined) await p;
        if (flagged(engine)) await check(host);
      }
      // Sync sources take no await here: the hot path allocates no promise per batch.
      let it = host.getIter();
      if (it === null || isThenable(it)) it = await openIterator(host);
      let r = it.next();
      if (isThenable(r)) r = await r;
      if (r.done === true) {
        if (await onExhausted(host, iterCounter, shouldExit)) break;
        shouldExit = true;
        continue;
      }
      s.batch = r.value;
      s.output = null;
      if (hasData) {
        const p = host.fire(Events.GET_BATCH_COMPLETED, NO_ARG);
        if (p !== undefined) await p;
        if (flagged(engine)) await check(host);
      }
      iterCounter++;
      shouldExit = false;
      s.iteration++;
      let p = host.fire(Events.ITERATION_STARTED, NO_ARG);
      if (p !== undefined) await p;
      if (flagged(engine)) await check(host);
      const out = host.process(engine, s.batch);
      s.output = isThenable(out) ? await out : out;
      p = host.fire(Events.ITERATION_COMPLETED, NO_ARG);
      if (p !== undefined) await p;
      // Serve timers, I/O and signals now and then; a terminate() they ask for is seen by the check below.
      if (host.pacer !== null && --host.pacer.countdown <= 0) await host.pacer.check();
      if (flagged(engine)) await check(host);
      if (s.epochLength != null && iterCounter === s.epochLength) break;
      if (s.maxIters != null && s.iteration === s.maxIters) {
        engine.shouldTerminate = true;
        throw TERMINATE;
      }
    }
  } catch (e) {
    if (e === TERMINATE || e === ABANDONED) throw e;
    if (e === TERMINATE_EPOCH) await endEpochEarly(host, iterCounter);
    else {
      engine.logger.info(`Current run is terminating due to exception: ${String(e)}`);
      await handleException(host, e, true);
    }
  }
  return now() - start;
}

function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${s.toFixed(3).padStart(6, '0')}`;
}

async function runEpoch(host: LoopHost): Promise<void> {
  const engine = host.engine;
  const s = engine.state;
  s.epoch++;
  let t = now();
  let p = host.fire(Events.EPOCH_STARTED, NO_ARG);
  if (p !== undefined) await p;
  let epochTime = now() - t;
  if (flagged(engine)) await check(host);
  if (host.getIter() === null) {
    const q = host.setupEngine();
    if (q !== undefined) await q;
  }
  epochTime += await runOnceOnDataset(host);
  s.times.epoch_completed = epochTime;
  if (engine.shouldTerminateSingleEpoch !== 'skip_epoch_completed') {
    t = now();
    p = host.fire(Events.EPOCH_COMPLETED, NO_ARG);
    if (p !== undefined) await p;
    epochTime += now() - t;
    s.times.epoch_completed = epochTime;
  }
  if (engine.shouldTerminateSingleEpoch !== false) engine.shouldTerminateSingleEpoch = false;
  if (flagged(engine)) await check(host);
  engine.logger.info(`Epoch[${s.epoch}] Complete. Time taken: ${formatDuration(epochTime)}`);
}

async function runToCompletion(host: LoopHost, start: number): Promise<void> {
  const engine = host.engine;
  try {
    await emit(host, Events.STARTED);
    while (!host.isDone() && engine.shouldTerminate === false) await runEpoch(host);
  } catch (e) {
    if (e === TERMINATE) {
      const p = host.fire(Events.TERMINATE, NO_ARG);
      if (p !== undefined) await p;
    } else if (e === TERMINATE_EPOCH) {
      throw new EngineStateError(
        'The method terminateEpoch() should not be called on Events.STARTED or Events.EPOCH_STARTED. ' +
          'Call it from an iteration-level event instead.',
      );
    } else {
      throw e;
    }
  }
  let taken = now() - start;
  engine.state.times.completed = taken;
  if (engine.shouldTerminate !== 'skip_completed') {
    const t = now();
    const p = host.fire(Events.COMPLETED, NO_ARG);
    if (p !== undefined) await p;
    taken += now() - t;
    engine.state.times.completed = taken;
  }
  engine.logger.info(`Engine run finished. Time taken: ${formatDuration(taken)}`);
}

/**
 * Runs the engine from STARTED to COMPLETED (or until it is terminated, interrupted and abandoned, or fails).
 *
 * @param host - the engine's loop interface.
 * @returns `true` when the run was abandoned while interrupted (a new run replaced it), else `false`.
 * @throws the unhandled error of a handler or the process function.
 */
export async function runLoop(host: LoopHost): Promise<boolean> {
  const engine = host.engine;
  engine.shouldTerminate = false;
  engine.shouldTerminateSingleEpoch = false;
  engine.shouldInterrupt = false;
  engine.state.times.epoch_completed = 0;
  engine.state.times.completed = 0;
  try {
    await runToCompletion(host, now());
  } catch (e) {
    if (e === ABANDONED) return true;
    host.releaseIter();
    if (e instanceof Rethrown) throw e.error;
    engine.logger.info(`Engine run is terminating due to exception: ${String(e)}`);
    await handleException(host, e, false);
  }
  host.releaseIter();
  return false;
}
