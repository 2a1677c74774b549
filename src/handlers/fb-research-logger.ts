/**
 * @module Port of ignite/handlers/fbresearch_logger.py `FBResearchLogger`: plain-text training logs in the
 * format of Facebook Research's training scripts (epoch, iteration, ETA, lr, outputs, iteration and data times).
 * Deviations: the timers are attached before the line handlers (see the porting note in `attach`); lines go to any `{ info(message) }` logger (default: the engine's logger); no GPU memory column
 * (TensorFlow.js has no CUDA statistics); the optimizer's single learning rate is read from its `learningRate`.
 */

import { Events, type EngineLike } from '../engine/index.js';
import { Timer } from './timer.js';

/** Where the lines go: `console`, the engine's logger, or any object with `info`. */
export interface InfoSink {
  /** Receives one line. */
  info(message: string): void;
}

/** Options of {@link FBResearchLogger}. */
export interface FBResearchLoggerOptions {
  /** Where lines are written. @defaultValue the attached engine's `logger` */
  logger?: InfoSink;
  /** Separator between fields. @defaultValue two spaces */
  delimiter?: string;
  /** Log the engine's output (after `outputTransform`). @defaultValue false */
  showOutput?: boolean;
  /** Clock in seconds, for tests. @defaultValue `performance.now() / 1000` */
  now?: () => number;
}

/** Options of {@link FBResearchLogger.attach}. */
export interface FBResearchAttachOptions {
  /** Log every `every` iterations. @defaultValue 1 */
  every?: number;
  /** Selects what to log of the output. */
  outputTransform?: (output: unknown) => unknown;
  /** State attributes to log. */
  stateAttributes?: readonly string[];
  /** Optimizer whose learning rate is logged (`lr: 0.00100`). */
  optimizer?: { readonly learningRate?: unknown };
}

/**
 * Formats seconds like Python's `datetime.timedelta`: `0:01:05`, `1 day, 2:03:04`.
 *
 * @param seconds - whole seconds.
 * @returns the text.
 */
export function formatTimedelta(seconds: number): string {
  const s = Math.trunc(seconds);
  const days = Math.floor(s / 86400);
  const rest = s - days * 86400;
  const hms = `${Math.floor(rest / 3600)}:${String(Math.floor((rest % 3600) / 60)).padStart(2, '0')}:${String(rest % 60).padStart(2, '0')}`;
  return days > 0 ? `${days} day${days > 1 ? 's' : ''}, ${hms}` : hms;
}

function toStrList(data: unknown, prefix = ''): string[] {
  if (typeof data === 'number') return [`${prefix}${data.toFixed(4)}`];
  const t = data as { dataSync?: () => ArrayLike<number>; shape?: readonly number[] } | null;
  if (t !== null && typeof t === 'object' && typeof t.dataSync === 'function' && Array.isArray(t.shape)) {
    const values = Array.from(t.dataSync(), (v) => v.toFixed(4));
    return [t.shape.length === 0 ? `${prefix}${values[0]}` : `${prefix}[${values.join(', ')}]`];
  }
  if (Array.isArray(data)) return data.flatMap((v) => toStrList(v, prefix));
  if (data !== null && typeof data === 'object') return Object.entries(data).flatMap(([k, v]) => toStrList(v, `${k}: `));
  return typeof data === 'string' || typeof data === 'boolean' ? [`${prefix}${String(data)}`] : [];
}

/**
 * Logs training progress as plain text lines: `Train: start epoch [1/4]`, then every `every` iterations
 * `Epoch [1/4]  [20/100]:  ETA: 0:00:03  lr: 0.00100  loss: 1.5999  Iter time: 0.0008 s  Data prep time: 0.0001 s`,
 * then `Train: Epoch [1/4]  Total time: 0:00:12  (0.0008 s / it)`.
 *
 * @example
 * ```ts
 * new FBResearchLogger({ logger: console, showOutput: true })
 *   .attach(trainer, 'Train', { every: 20, optimizer, outputTransform: (loss) => ({ totalLoss: loss }) });
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.handlers.fbresearch_logger.FBResearchLogger.html
 */
export class FBResearchLogger {
  /** Separator between fields. */
  readonly delimiter: string;
  /** Whether the output is logged. */
  readonly showOutput: boolean;
  /** Average iteration time. */
  readonly iterTimer: Timer;
  /** Average batch fetching time. */
  readonly dataTimer: Timer;
  readonly #logger: InfoSink | undefined;

  /** @param options - logger, delimiter, showOutput, clock. */
  constructor(options: FBResearchLoggerOptions = {}) {
    this.delimiter = options.delimiter ?? '  ';
    this.showOutput = options.showOutput ?? false;
    this.#logger = options.logger;
    const clock = options.now !== undefined ? { now: options.now } : {};
    this.iterTimer = new Timer({ average: true, ...clock });
    this.dataTimer = new Timer({ average: true, ...clock });
  }

  /**
   * Attaches the epoch, iteration and completion lines and the two timers.
   *
   * @param engine - the engine.
   * @param name - its name in the lines (`Train`, `Validate`).
   * @param options - `every`, `outputTransform`, `stateAttributes`, `optimizer`.
   * @throws RangeError when `every` is not a positive integer.
   */
  attach(engine: EngineLike, name: string, options: FBResearchAttachOptions = {}): void {
    const sink = this.#logger ?? engine.logger;
    // Porting note: timers first, so a line reports the average over completed iterations (Ignite attaches them
    // after its line handlers, and its average then includes the running iteration's time over one step fewer).
    this.iterTimer.reset().attach(engine, { start: Events.EPOCH_STARTED, resume: Events.ITERATION_STARTED,
      pause: Events.ITERATION_COMPLETED, step: Events.ITERATION_COMPLETED });
    this.dataTimer.reset().attach(engine, { start: Events.EPOCH_STARTED, resume: Events.GET_BATCH_STARTED,
      pause: Events.GET_BATCH_COMPLETED, step: Events.GET_BATCH_COMPLETED });
    engine.on(Events.EPOCH_STARTED, (e: EngineLike) => sink.info(`${name}: start epoch [${e.state.epoch}/${e.state.maxEpochs}]`));
    engine.on(Events.ITERATION_COMPLETED({ every: options.every ?? 1 }), (e: EngineLike) => sink.info(this.#everyLine(e, options)));
    engine.on(Events.EPOCH_COMPLETED, (e: EngineLike) => sink.info(this.#epochLine(e, name)));
    engine.on(Events.COMPLETED, (e: EngineLike) => {
      if ((e.state.maxEpochs ?? 0) > 1) {
        sink.info([`${name}: run completed`, `Total time: ${formatTimedelta(e.state.times.completed ?? 0)}`].join(this.delimiter));
      }
    });
  }

  #everyLine(engine: EngineLike, options: FBResearchAttachOptions): string {
    const { state } = engine;
    const epochLength = state.epochLength ?? 0;
    const currentIter = state.iteration % (epochLength + 1);
    const iterAvg = this.iterTimer.value();
    const eta = iterAvg * (epochLength - currentIter);
    let outputs: string[] = [];
    if (this.showOutput && state.output != null) {
      outputs = toStrList(options.outputTransform !== undefined ? options.outputTransform(state.output) : state.output);
    }
    const lr = options.optimizer?.learningRate;
    const attrs = options.stateAttributes !== undefined
      ? toStrList(Object.fromEntries(options.stateAttributes.map((a) => [a, state[a] ?? null])))
      : [];
    return [
      `Epoch [${state.epoch}/${state.maxEpochs}]`,
      `[${currentIter}/${epochLength}]:`,
      `ETA: ${formatTimedelta(eta)}`,
      typeof lr === 'number' ? `lr: ${lr.toFixed(5)}` : '',
      ...outputs,
      attrs.join(' '),
      `Iter time: ${iterAvg.toFixed(4)} s`,
      `Data prep time: ${this.dataTimer.value().toFixed(4)} s`,
      '',
    ].join(this.delimiter);
  }

  #epochLine(engine: EngineLike, name: string): string {
    const { state } = engine;
    const epochTime = state.times.epoch_completed ?? 0;
    const epochInfo = (state.maxEpochs ?? 0) > 1 ? `Epoch [${state.epoch}/${state.maxEpochs}]` : '';
    return [`${name}: ${epochInfo}`, `Total time: ${formatTimedelta(epochTime)}`,
      `(${(epochTime / (state.epochLength ?? 1)).toFixed(4)} s / it)`].join(this.delimiter);
  }
}
