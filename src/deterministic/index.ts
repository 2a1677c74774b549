/**
 * @module deterministic Port of ignite/engine/deterministic.py: `DeterministicEngine`, an Engine whose data order
 * and in-step randomness (dropout, augmentations) are reproducible, so a run resumed from any epoch or iteration
 * sees exactly the batches, and draws exactly the random numbers, of an uninterrupted run.
 * Deviations:
 * - "Random state" is kindling's ({@link getRngState}: the global generator and the seeded `Math.random` that
 *   TensorFlow.js draws op seeds from), not Python's random/torch/numpy; `stateDict().rngStates` holds it as JSON.
 * - Unsized data is fast-forwarded by replaying the original data flow (re-creating the iterator and reseeding as
 *   the run did when it ran out), and the saved random state is restored whenever the resumed iteration is not 0,
 *   so unsized sources (e.g. infinite random generators) resume bit-exactly too. Sized non-DataLoader data is
 *   reseeded for its epoch (`seed + iteration // length`) before skipping, like DataLoaders (Ignite seeds epoch 0).
 * - No CUDA/cuDNN flags; only the cpu and wasm backends are verified bit-exact.
 * - Batches skipped while fast-forwarding a non-DataLoader source are not disposed (a DataLoader disposes its own).
 */
import { Engine, Events, dataLength, isThenable, createIterator } from '../engine/index.js';
import type { BatchIterator, DataSource, EngineOptions, EngineStateDict, ProcessFunction } from '../engine/index.js';
import { DataLoader } from '../data/dataloader.js';
import { BatchSampler, ReproducibleBatchSampler } from '../data/samplers.js';
import { getRngState, globalGenerator, manualSeed, setRngState, type RngState } from '../random/global.js';

export { keepRandomState } from '../random/global.js';
export { replayOptimizerAccumulators } from './optimizer-state.js';

/** Ignite's message for `run(null)` on a DeterministicEngine. */
const NO_DATA_MESSAGE = 'Deterministic engine does not support the option of data=None. Please, provide data as iterable';

/**
 * An {@link Engine} with reproducible data flow and random state (Ignite's `DeterministicEngine`).
 *
 * - At `STARTED`, `state.seed` is drawn from kindling's global generator: call the same `manualSeed(s)` before
 *   every `run()` (including a resumed one) to get the same seed.
 * - At each epoch start (`DATALOADER_STOP_ITERATION`, `TERMINATE_SINGLE_EPOCH`, and when the run starts),
 *   everything random is reseeded with `manualSeed(state.seed + iteration // epochLength)`, so the order of epoch
 *   `e` depends only on `(seed, e)`.
 * - A kindling {@link DataLoader} gets a {@link ReproducibleBatchSampler} (the epoch's batches are drawn right after
 *   the reseed, and a resumed run starts at the right batch); other data is fast-forwarded.
 * - `stateDict()` includes `rngStates` (JSON); `loadStateDict()` + `run()` restores it when resuming mid-epoch, so
 *   dropout masks match as well.
 *
 * @example
 * ```ts
 * manualSeed(12);
 * const trainer = new DeterministicEngine(step);
 * await trainer.run(new DataLoader(ds, { batchSize: 8, shuffle: true }), { maxEpochs: 3 });
 * const saved = JSON.stringify(trainer.stateDict()); // { iteration, epochLength, maxEpochs, rngStates }
 * // later, in another process, after restoring the model and optimizer:
 * manualSeed(12);
 * const resumed = new DeterministicEngine(step);
 * resumed.loadStateDict(JSON.parse(saved));
 * await resumed.run(new DataLoader(ds, { batchSize: 8, shuffle: true }));
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.engine.deterministic.DeterministicEngine.html
 */
export class DeterministicEngine<TBatch = unknown, TOutput = unknown> extends Engine<TBatch, TOutput> {
  #dataloaderLen: number | null = null;

  /**
   * @param processFunction - called as `processFunction(engine, batch)`; may be async.
   * @param options - engine options (logger).
   * @throws TypeError when `processFunction` is not a function.
   */
  constructor(processFunction: ProcessFunction<TBatch, TOutput>, options: EngineOptions = {}) {
    super(processFunction, options);
    this.stateDictUserKeys.push('rngStates');
    if (!('rngStates' in this.state)) this.state['rngStates'] = null;
    this.on(Events.STARTED, () => {
      this.state.seed = globalGenerator.randint(0, 1_000_000_000);
    });
    // DATALOADER_STOP_ITERATION passes no argument, TERMINATE_SINGLE_EPOCH passes iterCounter.
    this.on([Events.DATALOADER_STOP_ITERATION, Events.TERMINATE_SINGLE_EPOCH], (_engine: unknown, ...args: unknown[]) => {
      this.setupSeed(args[0] as number | undefined);
    });
  }

  /**
   * Returns the engine's checkpoint, including the current random state as `rngStates`.
   *
   * @returns `{ iteration, epochLength, maxEpochs | maxIters, rngStates, ...other user keys }`.
   * @example
   * ```ts
   * const sd = trainer.stateDict();
   * await writeFile('trainer.json', JSON.stringify(sd));
   * ```
   */
  override stateDict(): EngineStateDict {
    const sd = super.stateDict();
    sd['rngStates'] = getRngState();
    return sd;
  }

  /**
   * Reseeds everything random with `manualSeed(state.seed + iteration // le)` (Ignite's `_setup_seed`), where `le`
   * is `iterCounter` when given (TERMINATE_SINGLE_EPOCH), else the data length (1 for unsized data).
   *
   * @param iterCounter - iterations of the epoch just terminated, when called for TERMINATE_SINGLE_EPOCH.
   * @param iteration - the iteration to seed for (default `state.iteration`).
   * @throws RangeError when `iterCounter` is not positive.
   */
  protected setupSeed(iterCounter?: number, iteration?: number): void {
    let le: number;
    if (iterCounter === undefined) le = this.#dataloaderLen ?? 1;
    else if (!(iterCounter > 0)) throw new RangeError('iterCounter should be positive value');
    else le = iterCounter;
    manualSeed((this.state.seed ?? 0) + Math.floor((iteration ?? this.state.iteration) / le));
  }

  /** Ignite's `_setup_engine`: reproducible batch sampler or fast-forward, init counter, mid-epoch random state. */
  protected override setupEngine(): void | Promise<void> {
    const data = this.state.dataloader;
    if (data == null) throw new TypeError(NO_DATA_MESSAGE);
    this.#dataloaderLen = dataLength(data);
    if (data instanceof DataLoader && data.batchSampler instanceof BatchSampler) {
      this.#positionEpochSampler(data.batchSampler.sampler);
      this.state.dataloader = data.withBatchSampler(new ReproducibleBatchSampler(data.batchSampler));
    }
    const iteration = this.state.iteration;
    const finish = (): void => {
      const el = this.state.epochLength;
      this.initIter = el != null ? iteration % el : iteration;
      const len = this.#dataloaderLen;
      const inTheMiddle = len != null ? iteration % len > 0 : iteration > 0;
      const saved = this.state['rngStates'] as RngState | null | undefined;
      if (saved != null && inTheMiddle) {
        setRngState(saved);
        this.state['rngStates'] = null;
      }
    };
    const p = this.#fromIteration(iteration);
    if (p !== undefined) return p.then(finish);
    finish();
    return undefined;
  }

  /**
   * A sampler with an epoch (a `DistributedSampler`): Ignite warns when the epoch length differs from the loader's
   * (the sampler's epochs then cannot follow the engine's). kindling's DistributedSampler also advances its epoch by
   * itself when `setEpoch` is not called; it is positioned at the number of passes made, so a resume draws the orders
   * the interrupted run would have.
   */
  #positionEpochSampler(sampler: unknown): void {
    const s = sampler as { epoch?: unknown; resumeEpoch?: unknown };
    const len = this.#dataloaderLen;
    if (len == null || typeof s.epoch !== 'number') return;
    if (len !== this.state.epochLength) {
      this.logger.warn(
        "When defined engine's epoch length is different of input dataloader length, distributed sampler indices can not be setup in a reproducible manner",
      );
    }
    if (typeof s.resumeEpoch === 'function') (s.resumeEpoch as (epoch: number) => void).call(sampler, Math.floor(this.state.iteration / len));
  }

  /** Creates the data iterator positioned at `iteration` (Ignite's `_from_iteration`). */
  #fromIteration(iteration: number): Promise<void> | undefined {
    const data = this.state.dataloader as DataSource<TBatch>;
    const len = this.#dataloaderLen;
    if (data instanceof DataLoader && data.batchSampler instanceof ReproducibleBatchSampler) {
      this.setupSeed();
      const skip = iteration % data.length;
      if (skip > 0) data.batchSampler.startIteration = skip;
      this.dataloaderIter = createIterator(data);
      return undefined;
    }
    if (iteration > 0) this.logger.info('Resuming from iteration for provided data will fetch data until required iteration ...');
    if (len != null) {
      // Sized data: seed for the epoch (pass) containing `iteration`, then skip inside it.
      this.setupSeed();
      return this.#skip(createIterator(data), iteration % len, null);
    }
    // Unsized data: replay the data flow from the start, re-creating the iterator where the run did.
    this.setupSeed(undefined, 0);
    return this.#skip(createIterator(data), iteration, data);
  }

  /**
   * Consumes `count` batches; with `replay` set, an exhausted iterator is re-created after reseeding as the run did.
   * Runs synchronously for sync iterators and returns a promise only when something was async.
   */
  #skip(
    start: BatchIterator<TBatch> | Promise<BatchIterator<TBatch>>,
    count: number,
    replay: DataSource<TBatch> | null,
  ): Promise<void> | undefined {
    let it = start;
    let consumed = 0;
    let emptyRestarts = 0;
    const step = (): Promise<void> | undefined => {
      while (consumed < count) {
        if (isThenable(it)) {
          return it.then((resolved) => {
            it = resolved;
            return step();
          });
        }
        const r = it.next();
        if (isThenable(r)) {
          return r.then((res) => {
            handle(res);
            return step();
          });
        }
        handle(r);
      }
      this.dataloaderIter = it;
      return undefined;
    };
    const handle = (r: IteratorResult<TBatch>): void => {
      if (r.done !== true) {
        consumed += 1;
        emptyRestarts = 0;
        return;
      }
      if (replay === null || emptyRestarts > 0) {
        throw new RangeError(
          `Cannot resume at iteration ${this.state.iteration}: the data ran out after ${consumed} batches while ` +
            'fast-forwarding. Pass the same data as in the interrupted run.',
        );
      }
      emptyRestarts += 1;
      this.setupSeed(undefined, consumed);
      it = createIterator(replay);
    };
    return step();
  }
}
