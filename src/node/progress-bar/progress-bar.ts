/**
 * @module Port of ignite/handlers/tqdm_logger.py (`ProgressBar`): a progress bar attached to an engine's events.
 *
 * Deviations:
 * - Output goes through cli-progress on a terminal (redrawn in place, several bars stacked on one stream) and, when
 *   the stream is not a TTY (CI logs, files), as one plain line per bar when it closes instead of redraws.
 * - `persist` only matters on a terminal; on other streams the closing line is always printed.
 * - The postfix is computed when a line is drawn (at most every `mininterval` seconds on a terminal, once per bar
 *   otherwise), not at every event, so tensors in metrics or outputs are not read back every iteration. The closing
 *   line therefore shows the state at the closing event.
 * - A bar still open when the run completes (e.g. after `terminate()` mid-epoch) is closed then, at its current
 *   position; Ignite leaves it open. After a failed run, call {@link ProgressBar.close}.
 * - The remaining time uses the average rate since the bar's first position (tqdm: since `initial=1`, smoothed).
 * - Warnings go to `engine.logger.warn`, once per distinct message (Python's warning filter also shows each once).
 */

import type { Engine, EventKey } from '../../engine/index.js';
import { Events, isEvent } from '../../engine/index.js';
import { getRank } from '../../distributed/context.js';
import { InvalidEventError } from '../../errors.js';
import { IGNITE_BAR_FORMAT, TQDM_BAR_FORMAT, formatMeter, formatPostfix, validateBarFormat } from './format.js';
import { collectPostfix, type PostfixSources } from './postfix.js';
import { TerminalScreen, type ProgressStream } from './screen.js';
import type { SingleBar } from 'cli-progress';

/**
 * Options of {@link ProgressBar} (Ignite's `persist`, `bar_format` and the tqdm keyword arguments it forwards).
 *
 */
export interface ProgressBarOptions {
  /**
   * Keep the finished bar on screen (tqdm's `leave`); only used on a terminal.
   * @defaultValue false
   */
  persist?: boolean;
  /**
   * A tqdm `bar_format` template; `null` for tqdm's own `'{l_bar}{bar}{r_bar}'`.
   * @defaultValue `'{desc}[{n_fmt}/{total_fmt}] {percentage:3.0f}%|{bar}{postfix} [{elapsed}<{remaining}]'`
   */
  barFormat?: string | null;
  /**
   * Description shown before the counters; by default `'Iteration'` when `maxEpochs` is 1, else `'Epoch'`.
   * @defaultValue undefined
   */
  desc?: string;
  /**
   * Line width; the bar fills what the other fields leave.
   * @defaultValue the terminal's width (80 when unknown) on a TTY; a 10-character bar otherwise
   */
  ncols?: number;
  /**
   * Where to write (tqdm's `file`).
   * @defaultValue `process.stderr`
   */
  stream?: ProgressStream;
  /**
   * Minimum seconds between two redraws on a terminal (tqdm's `mininterval`); `0` redraws at every event.
   * @defaultValue 0.1
   */
  mininterval?: number;
  /**
   * `true` for ASCII bar characters (`' 123456789#'`), or a custom charset from empty to full.
   * @defaultValue false
   */
  ascii?: boolean | string;
}

/**
 * Options of {@link ProgressBar.attach} (Ignite's `attach` arguments).
 *
 */
export interface ProgressBarAttachOptions<TOutput = unknown> {
  /** Metrics to show: a list of names, or `'all'`. */
  metricNames?: readonly string[] | 'all';
  /** Maps `state.output` to a value (shown as `output`) or an object of named values. */
  outputTransform?: (output: TOutput) => unknown;
  /**
   * Event on which the bar advances; filtered events are allowed.
   * @defaultValue Events.ITERATION_COMPLETED
   */
  eventName?: EventKey;
  /**
   * Event on which the bar closes; must not be filtered.
   * @defaultValue Events.EPOCH_COMPLETED
   */
  closingEventName?: EventKey;
  /** Names of `engine.state` attributes to show. */
  stateAttributes?: readonly string[];
}

const EVENTS_ORDER = ['started', 'epoch_started', 'iteration_started', 'iteration_completed', 'epoch_completed', 'completed'];

interface StateView {
  iteration: number;
  epoch: number;
  epochLength: number | null;
  maxEpochs: number | null;
}

interface AttachContext {
  engine: Engine<unknown, unknown>;
  event: string;
  closing: string;
  sources: PostfixSources;
}

interface ActiveBar {
  ctx: AttachContext;
  total: number | null;
  n: number;
  n0: number;
  start: number;
  desc: string;
  postfix: string;
  line: SingleBar | null;
  lastDraw: number;
}

function maxNumberEvents(event: string, state: StateView): number | null {
  if (event === 'iteration_started' || event === 'iteration_completed') return state.epochLength;
  if (event === 'epoch_started' || event === 'epoch_completed') return state.maxEpochs;
  return 1;
}

function attributeValue(event: string, state: StateView): number {
  return event === 'iteration_started' || event === 'iteration_completed' ? state.iteration : state.epoch;
}

function eventNameOf(event: unknown, role: string): string {
  if (typeof event === 'string') return event;
  if (isEvent(event)) return event.name;
  throw new TypeError(`Argument ${role} should be an event such as Events.ITERATION_COMPLETED, got ${String(event)}`);
}

function defaultStream(): ProgressStream {
  const stderr = (globalThis as { process?: { stderr?: ProgressStream } }).process?.stderr;
  if (stderr === undefined) throw new TypeError('No process.stderr in this environment: pass ProgressBar({ stream }) with a write() method.');
  return stderr;
}

function checkOptions(o: ProgressBarOptions): void {
  if (o.ncols !== undefined && !(Number.isInteger(o.ncols) && o.ncols > 0)) {
    throw new RangeError(`Argument ncols should be a positive integer, got ${String(o.ncols)}`);
  }
  if (o.mininterval !== undefined && !(typeof o.mininterval === 'number' && o.mininterval >= 0)) {
    throw new RangeError(`Argument mininterval should be a number of seconds >= 0, got ${String(o.mininterval)}`);
  }
  if (o.desc !== undefined && typeof o.desc !== 'string') throw new TypeError(`Argument desc should be a string, got ${typeof o.desc}`);
  if (o.stream !== undefined && typeof o.stream?.write !== 'function') {
    throw new TypeError('Argument stream should have a write(text) method, such as process.stderr or a file stream.');
  }
}

function checkAttachOptions(o: ProgressBarAttachOptions<never>): void {
  const names: unknown = o.metricNames;
  if (names !== undefined && !Array.isArray(names) && names !== 'all') {
    throw new TypeError(
      `metricNames should be either a list or equal 'all', got ${typeof names} ${JSON.stringify(names)} instead. ` +
        `Pass an array such as [${JSON.stringify(names)}].`,
    );
  }
  if (o.outputTransform !== undefined && typeof o.outputTransform !== 'function') {
    throw new TypeError(`outputTransform should be a function, got ${typeof o.outputTransform} instead.`);
  }
  if (o.stateAttributes !== undefined && !Array.isArray(o.stateAttributes)) {
    throw new TypeError(`stateAttributes should be a list of state attribute names, got ${typeof o.stateAttributes} instead.`);
  }
}

/**
 * A progress bar for an engine, showing Ignite's description, `[n/total]`, percentage, bar, postfix (metrics,
 * output, state attributes) and `[elapsed<remaining]`.
 *
 * @remarks
 * The bar is created at the first event with `total` = `epochLength` for iteration events, `maxEpochs` for epoch
 * events (else 1); its position is `((step - 1) % total) + 1`. The description is `desc`, else `'Iteration'` when
 * `maxEpochs` is 1, else `'Epoch'`, followed by ` [cur/max]` when the closing event happens more than once per run.
 * At the closing event the position is set to `total` and the bar closes; the next event starts a new one.
 * On a terminal bars redraw in place and several bars (a trainer's and an evaluator's) stack without garbling;
 * on any other stream each bar prints one line when it closes.
 * @example
 * ```ts
 * const pbar = new ProgressBar({ persist: true });
 * pbar.attach(trainer, { metricNames: 'all', outputTransform: (loss: number) => ({ loss }) });
 * new ProgressBar({ desc: 'Validation' }).attach(evaluator);
 * // Epoch [2/5]: [64/128]  50%|█████      , loss=0.123 [06:17<12:34]
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.handlers.tqdm_logger.ProgressBar.html
 */
export class ProgressBar {
  readonly #persist: boolean;
  readonly #template: string;
  readonly #desc: string;
  readonly #ncols: number | null;
  readonly #stream: ProgressStream;
  readonly #mininterval: number;
  readonly #ascii: boolean | string;
  readonly #warned = new Set<string>();
  #bar: ActiveBar | null = null;

  /**
   * @param options - display options.
   * @throws TypeError when `desc` is not a string or `stream` has no `write()`.
   * @throws RangeError when `ncols` or `mininterval` is out of range, or `barFormat` names an unknown field.
   */
  constructor(options: ProgressBarOptions = {}) {
    checkOptions(options);
    const template = options.barFormat === undefined ? IGNITE_BAR_FORMAT : (options.barFormat ?? TQDM_BAR_FORMAT);
    validateBarFormat(template);
    this.#persist = options.persist ?? false;
    this.#template = template;
    this.#desc = options.desc ?? '';
    this.#ncols = options.ncols ?? null;
    this.#stream = options.stream ?? defaultStream();
    this.#mininterval = options.mininterval ?? 0.1;
    this.#ascii = options.ascii ?? false;
  }

  /**
   * Attaches the bar to an engine: it advances on `eventName` and closes on `closingEventName`. In a distributed
   * job only rank 0 draws (and `logMessage` prints only there); the options are checked on every rank.
   *
   * @param engine - the engine.
   * @param options - what to show and when.
   * @throws {@link InvalidEventError} `"Logging event {name} is not in allowed events for this engine"`, `"Closing
   *   Event should not be a filtered event"`, or `"Logging event {e} should be called before closing event {c}"`.
   * @throws TypeError when `metricNames` is a string other than `'all'`, or `outputTransform` is not a function.
   */
  attach<TBatch, TOutput>(engine: Engine<TBatch, TOutput>, options: ProgressBarAttachOptions<TOutput> = {}): void {
    const eventKey = options.eventName ?? Events.ITERATION_COMPLETED;
    const closingKey = options.closingEventName ?? Events.EPOCH_COMPLETED;
    const event = eventNameOf(eventKey, 'eventName');
    const closing = eventNameOf(closingKey, 'closingEventName');
    if (!engine.hasRegisteredEvents(event)) {
      throw new InvalidEventError(`Logging event ${event} is not in allowed events for this engine`);
    }
    if (typeof closingKey !== 'string' && 'filter' in closingKey) {
      throw new InvalidEventError(`Closing Event should not be a filtered event: pass ${closing} without a filter.`);
    }
    this.#checkOrder(event, closing);
    checkAttachOptions(options);
    if (getRank() !== 0) return; // distributed: only rank 0 draws (the options are still checked on every rank)
    const ctx: AttachContext = {
      engine,
      event,
      closing,
      sources: {
        metricNames: options.metricNames ?? (options.outputTransform === undefined ? [] : undefined),
        outputTransform: options.outputTransform as ((output: unknown) => unknown) | undefined,
        stateAttributes: options.stateAttributes,
      },
    };
    engine.on(eventKey, () => this.#onEvent(ctx));
    engine.on(closingKey, () => this.#finish(true));
    if (closing !== 'completed') engine.on(Events.COMPLETED, () => this.#finish(false));
    engine.on(Events.TERMINATE, (e: Engine<TBatch, TOutput>) => {
      if (e.shouldTerminate === 'skip_completed') this.#finish(false);
    });
  }

  #checkOrder(event: string, closing: string): void {
    for (const name of [event, closing]) {
      if (!EVENTS_ORDER.includes(name)) {
        throw new InvalidEventError(`ProgressBar can only use the events ${EVENTS_ORDER.join(', ')}; got ${name}.`);
      }
    }
    if (EVENTS_ORDER.indexOf(event) >= EVENTS_ORDER.indexOf(closing)) {
      throw new InvalidEventError(
        `Logging event ${event} should be called before closing event ${closing} ` +
          `(order: ${EVENTS_ORDER.join(' < ')}).`,
      );
    }
  }

  /**
   * Prints a message without breaking the bars on the same stream (Ignite's `log_message`, tqdm's `write`).
   *
   * @param message - the text.
   */
  logMessage(message: string): void {
    if (getRank() !== 0) return;
    if (this.#stream.isTTY === true) TerminalScreen.for(this.#stream).log(String(message));
    else this.#stream.write(`${String(message)}\n`);
  }

  /**
   * Closes the current bar, if any, at its current position (for example after a run that threw).
   *
   */
  close(): void {
    this.#finish(false);
  }

  #onEvent(ctx: AttachContext): void {
    const state = ctx.engine.state;
    const total = maxNumberEvents(ctx.event, state);
    let step = attributeValue(ctx.event, state);
    if (total !== null && total > 0) step = ((step - 1) % total) + 1;
    const bar = this.#bar ?? this.#create(ctx, total, step);
    let desc = this.#desc !== '' ? this.#desc : state.maxEpochs === 1 ? 'Iteration' : 'Epoch';
    const maxClosing = maxNumberEvents(ctx.closing, state);
    if (maxClosing !== null && maxClosing > 1) desc += ` [${attributeValue(ctx.closing, state)}/${maxClosing}]`;
    bar.desc = desc;
    bar.n = step;
    if (this.#stream.isTTY !== true) return;
    const now = performance.now();
    if (bar.line === null) {
      this.#refreshPostfix(bar);
      bar.lastDraw = now;
      bar.line = TerminalScreen.for(this.#stream).open(() => this.#render(bar));
    } else if (now - bar.lastDraw >= this.#mininterval * 1000) {
      this.#refreshPostfix(bar);
      bar.lastDraw = now;
      TerminalScreen.for(this.#stream).redraw();
    }
  }

  #create(ctx: AttachContext, total: number | null, step: number): ActiveBar {
    const bar: ActiveBar = { ctx, total, n: step, n0: step, start: performance.now(), desc: '', postfix: '', line: null, lastDraw: 0 };
    this.#bar = bar;
    return bar;
  }

  #refreshPostfix(bar: ActiveBar): void {
    const { engine, sources } = bar.ctx;
    const values = collectPostfix(engine.state, sources, (message) => {
      if (this.#warned.has(message)) return;
      this.#warned.add(message);
      engine.logger.warn(message);
    });
    // tqdm keeps the previous postfix when there is nothing new to show.
    if (values.size > 0) bar.postfix = formatPostfix(values);
  }

  #render(bar: ActiveBar): string {
    const elapsed = (performance.now() - bar.start) / 1000;
    const rate = elapsed > 0 && bar.n > bar.n0 ? (bar.n - bar.n0) / elapsed : null;
    const ncols = this.#ncols ?? (this.#stream.isTTY === true ? (this.#stream.columns ?? 80) : null);
    const meter = { n: bar.n, total: bar.total, elapsed, rate, desc: bar.desc, postfix: bar.postfix };
    return formatMeter(this.#template, { ...meter, ncols, ascii: this.#ascii });
  }

  /** Closes the bar; `complete` moves it to `total` first (the closing event), as Ignite's `_close`. */
  #finish(complete: boolean): void {
    const bar = this.#bar;
    if (bar === null) return;
    this.#bar = null;
    if (complete && bar.total !== null) bar.n = bar.total;
    this.#refreshPostfix(bar);
    if (bar.line !== null) {
      TerminalScreen.for(this.#stream).close(bar.line, this.#persist ? this.#render(bar) : null);
    } else if (this.#stream.isTTY !== true) {
      this.#stream.write(`${this.#render(bar)}\n`);
    }
  }
}
