/**
 * @module Port of ignite/engine/engine.py `Engine`: a loop over a process function that fires events.
 *
 * Deviations from Ignite (each documented in docs/porting.md):
 * - `run()` is async and returns `Promise<State>`; calling it while a run is pending rejects.
 * - EXCEPTION_RAISED handlers fire exactly once even when they rethrow, and a rethrown error rejects `run()`
 *   (Ignite fires them twice, pytorch/ignite#1234).
 * - Interrupt/resume is one loop: the suspended run awaits the next `run()` call (no legacy copy of the loop).
 * - Handlers always receive the engine first (JavaScript cannot inspect signatures).
 * - `registerEvents(..., { eventToAttr })` is per engine, not class-level.
 */

import { EngineStateError, InvalidEventError } from '../errors.js';
import { createIterator, nullIterator, type BatchIterator, type DataSource } from './data.js';
import { BUILTIN_EVENT_TO_ATTR, Events, isEvent, unknownEventNameError, type CallableEvent, type EventKey } from './events.js';
import { checkArity, compileHandler, fireEntries, isThenable, NO_ARG, type Handler, type HandlerEntry } from './handlers.js';
import { defaultLogger, type Logger } from './logger.js';
import { RemovableEventHandle, type HandleOwner } from './removable-handle.js';
import { runLoop, type LoopHost } from './run-loop.js';
import { isDone, resolveRunPlan, type RunOptions } from './run-plan.js';
import { State } from './state.js';
import { applyStateDict, buildStateDict, type EngineStateDict } from './state-dict.js';
import { createPacer, type Pacer } from './yield.js';

/** The function an engine runs on every batch; its return value becomes `state.output`. */
export type ProcessFunction<TBatch, TOutput> = (engine: Engine<TBatch, TOutput>, batch: TBatch) => TOutput | Promise<TOutput>;

/** Options of the {@link Engine} constructor. */
export interface EngineOptions {
  /** Where the engine and its handlers log. @defaultValue {@link defaultLogger} */
  logger?: Logger;
  /**
   * The longest time, in milliseconds, the run loop holds the event loop: after that it yields to the macrotask
   * queue (`setImmediate` in Node, `scheduler.yield` or a `MessageChannel` in browsers) so timers, I/O, signals and
   * rendering are served mid-epoch. `0` never yields. Event order and results do not change.
   * @defaultValue 50
   */
  yieldIntervalMs?: number;
}

/** Options of {@link Engine.registerEvents}. */
export interface RegisterEventsOptions {
  /** Map from event name to the state attribute its filters read; missing attributes are initialised to 0. */
  eventToAttr?: Record<string, string>;
}

interface EventInfo {
  readonly event: CallableEvent | string;
  readonly attr: string | undefined;
  readonly argNames: readonly string[];
}

const EVENT_ARGS: Record<string, readonly string[]> = { exception_raised: ['error'], terminate_single_epoch: ['iterCounter'] };

/**
 * The event-driven training/evaluation loop.
 *
 * @example
 * ```ts
 * const engine = new Engine(async (engine, batch: number) => batch * 2);
 * engine.on(Events.ITERATION_COMPLETED({ every: 2 }), (e) => console.log(e.state.iteration, e.state.output));
 * const state = await engine.run([1, 2, 3, 4], { maxEpochs: 2 });
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.engine.engine.Engine.html
 */
export class Engine<TBatch = unknown, TOutput = unknown> implements HandleOwner {
  /** The run state: counters, limits, batch, output, metrics, timers and user attributes. */
  state: State<TBatch, TOutput> = new State<TBatch, TOutput>();
  /** The event currently (or last) fired: an event value, or a custom event's string name; `null` before a run. */
  lastEventName: CallableEvent | string | null = null;
  /** Set by {@link Engine.terminate}: `true`, or `'skip_completed'`; stays set after the run returns. */
  shouldTerminate: boolean | 'skip_completed' = false;
  /** Set by {@link Engine.terminateEpoch}: `true`, or `'skip_epoch_completed'`. */
  shouldTerminateSingleEpoch: boolean | 'skip_epoch_completed' = false;
  /** Set by {@link Engine.interrupt}; cleared when the run pauses. */
  shouldInterrupt = false;
  /** Names of state attributes saved by {@link Engine.stateDict} and required by {@link Engine.loadStateDict}. */
  readonly stateDictUserKeys: string[] = [];
  /** Where the engine and its handlers log; assignable, like Ignite's `engine.logger`. */
  logger: Logger;

  /** The data iterator; persists across epochs within a run (a promise while an async source opens). */
  protected dataloaderIter: BatchIterator<TBatch> | Promise<BatchIterator<TBatch>> | null = null;
  /** Iterations already done in the first epoch of a resumed run (`iteration % epochLength`). */
  protected initIter: number | null = null;

  // Method-style type: keeps Engine<number> assignable to Engine<unknown> (parameters of methods are bivariant).
  readonly #process: { call(engine: Engine<TBatch, TOutput>, batch: TBatch): TOutput | Promise<TOutput> }['call'];
  readonly #handlers = new Map<string, readonly HandlerEntry[]>();
  readonly #events = new Map<string, EventInfo>();
  #active = false;
  #suspended: { resume(): void; abandon(): void } | null = null;
  #settle: { resolve(): void; reject(e: unknown): void } | null = null;
  readonly #pacer: Pacer | null;

  /**
   * @param processFunction - called as `processFunction(engine, batch)`; may be async.
   * @param options - engine options.
   * @throws TypeError when `processFunction` is not a function or requires more than two parameters.
   * @throws RangeError when `options.yieldIntervalMs` is negative or not finite.
   */
  constructor(processFunction: ProcessFunction<TBatch, TOutput>, options: EngineOptions = {}) {
    if (typeof processFunction !== 'function') {
      throw new TypeError(
        `Engine must be given a processing function in order to run, got ${String(processFunction)}. ` +
          'Pass (engine, batch) => output.',
      );
    }
    checkArity(processFunction, 'process_function', ['engine', 'batch']);
    this.#process = processFunction;
    this.logger = options.logger ?? defaultLogger;
    this.#pacer = createPacer(options.yieldIntervalMs);
    for (const event of Object.values(Events)) this.#registerOne(event, BUILTIN_EVENT_TO_ATTR[event.name]);
  }

  /**
   * Registers a handler on an event, a filtered event, or a list of events (Ignite's `Events.A | Events.B`).
   *
   * @param event - the event(s); filtered events check their filter each time the base event fires.
   * @param handler - called as `handler(engine, ...eventArgs, ...args)`, or an object with `handle(...)`.
   * @param args - extra arguments passed after the event's own arguments.
   * @returns a handle that unregisters the handler.
   * @throws {@link InvalidEventError} when the event is not registered on this engine.
   * @throws TypeError when the handler is not callable or requires more parameters than it will receive.
   * @example
   * ```ts
   * const handle = engine.on(Events.EPOCH_COMPLETED, (e) => console.log(e.state.epoch));
   * engine.on([Events.STARTED, Events.COMPLETED], (e) => console.log(e.lastEventName));
   * ```
   */
  on(event: EventKey | readonly EventKey[], handler: Handler<this>, ...args: unknown[]): RemovableEventHandle {
    const events = Array.isArray(event) ? (event as readonly EventKey[]) : [event as EventKey];
    for (const e of events) this.#info(e);
    const entries = events.map((e) => this.#add(e, handler, args));
    return new RemovableEventHandle(this, entries);
  }

  /**
   * Same as {@link Engine.on} (Ignite's name).
   *
   * @param event - the event(s).
   * @param handler - the handler.
   * @param args - extra arguments.
   * @returns a removable handle.
   */
  addEventHandler(event: EventKey | readonly EventKey[], handler: Handler<this>, ...args: unknown[]): RemovableEventHandle {
    return this.on(event, handler, ...args);
  }

  /**
   * Removes every registration of `handler` on `event` (filters ignored).
   *
   * @param event - the event.
   * @param handler - the handler to remove.
   * @throws {@link InvalidEventError} when the event has no handlers.
   * @throws RangeError when the handler is not registered on it.
   */
  off(event: EventKey, handler: unknown): void {
    const name = this.#nameOf(event);
    const list = this.#handlers.get(name);
    if (list === undefined || list.length === 0) throw new InvalidEventError(`Input event name '${name}' does not exist`);
    const kept = list.filter((entry) => entry.handler !== handler);
    if (kept.length === list.length) {
      throw new RangeError(`Input handler '${String(handler)}' is not found among registered event handlers`);
    }
    this.#handlers.set(name, kept);
  }

  /**
   * Ignite's argument order for {@link Engine.off}.
   *
   * @param handler - the handler to remove.
   * @param event - the event.
   */
  removeEventHandler(handler: unknown, event: EventKey): void {
    this.off(event, handler);
  }

  /**
   * Tells whether `handler` is registered on `event`, or on any event when `event` is omitted.
   *
   * @param handler - the handler.
   * @param event - optional event (filters ignored).
   * @returns true when registered.
   */
  hasEventHandler(handler: unknown, event?: EventKey): boolean {
    const lists = event === undefined ? [...this.#handlers.values()] : [this.#handlers.get(this.#nameOf(event)) ?? []];
    return lists.some((list) => list.some((entry) => entry.handler === handler));
  }

  /**
   * Registers custom events, optionally with the state attribute their filters read.
   *
   * @param events - strings, events, or objects returned by `defineEvents`; an options object may come last.
   * @throws TypeError for a value that is not an event, or a non-object `eventToAttr`.
   * @example
   * ```ts
   * const MyEvents = defineEvents({ BACKWARD_COMPLETED: 'backward_completed' });
   * engine.registerEvents(MyEvents, { eventToAttr: { backward_completed: 'backwardCount' } });
   * ```
   */
  registerEvents(...events: (EventKey | Readonly<Record<string, CallableEvent>> | RegisterEventsOptions)[]): void {
    let eventToAttr: Record<string, string> = {};
    const last = events[events.length - 1];
    if (last !== undefined && typeof last === 'object' && !isEvent(last) && 'eventToAttr' in last) {
      const map = (last as RegisterEventsOptions).eventToAttr;
      if (map === null || typeof map !== 'object') {
        throw new TypeError(`Expected eventToAttr to be dictionary. Got ${typeof map}.`);
      }
      eventToAttr = map;
      events = events.slice(0, -1);
    }
    const flat = events.flatMap((e): unknown[] => {
      if (e === null || typeof e !== 'object' || isEvent(e)) return [e];
      const group = Object.values(e as Record<string, unknown>);
      return group.length > 0 && group.every(isEvent) ? group : [e];
    });
    flat.forEach((e, i) => {
      if (typeof e !== 'string' && !isEvent(e)) {
        throw new TypeError(`Value at ${i} of eventNames should be a string or an event, but given ${String(e)}`);
      }
    });
    for (const e of flat as EventKey[]) {
      const base = typeof e === 'string' || typeof e === 'function' ? e : e.base;
      const attr = eventToAttr[typeof base === 'string' ? base : base.name];
      this.#registerOne(base, attr);
      if (attr !== undefined) {
        this.state.setEventAttr(typeof base === 'string' ? base : base.name, attr);
        if (!(attr in this.state)) this.state[attr] = 0;
      }
    }
  }

  /**
   * Tells whether an event is registered on this engine.
   *
   * @param event - the event or its name.
   * @returns true when registered.
   */
  hasRegisteredEvents(event: EventKey): boolean {
    return this.#events.has(this.#nameOf(event));
  }

  /**
   * Fires a registered event: calls its handlers in registration order. Meant for custom events, from the process
   * function or handlers. The engine does not check for termination after custom events.
   *
   * @param event - the event.
   * @returns a promise when a handler was async (await it), else `undefined`.
   * @throws {@link InvalidEventError} when the event is not registered.
   */
  fireEvent(event: EventKey): Promise<void> | undefined {
    const info = this.#info(event);
    return this.fire(info.event, NO_ARG);
  }

  /**
   * Replaces the data source immediately: the next batch comes from `data` (epoch length unchanged).
   *
   * @param data - the new data source.
   */
  setData(data: DataSource<TBatch>): void {
    this.releaseIterator();
    this.state.dataloader = data;
    this.dataloaderIter = createIterator(data);
  }

  /**
   * Stops the run at the next check: fires TERMINATE, then COMPLETED unless `skipCompleted`. Mid-epoch, the
   * partial epoch gets no EPOCH_COMPLETED.
   *
   * @param options - `skipCompleted: true` skips COMPLETED.
   */
  terminate(options: { skipCompleted?: boolean } = {}): void {
    this.logger.info('Terminate signaled. Engine will stop after current iteration is finished.');
    this.shouldTerminate = options.skipCompleted === true ? 'skip_completed' : true;
  }

  /**
   * Ends the current epoch at the next check: fires TERMINATE_SINGLE_EPOCH, then EPOCH_COMPLETED unless
   * `skipEpochCompleted`, and continues with the next epoch. Not allowed on STARTED or EPOCH_STARTED.
   *
   * @param options - `skipEpochCompleted: true` skips EPOCH_COMPLETED.
   */
  terminateEpoch(options: { skipEpochCompleted?: boolean } = {}): void {
    this.logger.info('Terminate current epoch is signaled. Current epoch iteration will stop after current iteration is finished.');
    this.shouldTerminateSingleEpoch = options.skipEpochCompleted === true ? 'skip_epoch_completed' : true;
  }

  /**
   * Pauses the run at the next check: fires INTERRUPT and `run()` resolves; the next `run()` continues exactly
   * there, without firing STARTED again.
   *
   * @example
   * ```ts
   * engine.on(Events.ITERATION_COMPLETED({ every: 6 }), (e) => e.interrupt());
   * let state = await engine.run(data, { maxEpochs: 3 }); // returns at iteration 6
   * state = await engine.run(data);                        // continues
   * ```
   */
  interrupt(): void {
    this.logger.info('interrupt signaled. Engine will interrupt the run after current iteration is finished.');
    this.shouldInterrupt = true;
  }

  /**
   * Returns the engine's checkpoint: `{ epochLength, iteration, maxEpochs | maxIters, ...stateDictUserKeys }`.
   *
   * @returns a plain object.
   * @example
   * ```ts
   * await engine.run(range100, { maxEpochs: 10 });
   * engine.stateDict(); // { epochLength: 100, iteration: 1000, maxEpochs: 10 }
   * ```
   */
  stateDict(): EngineStateDict {
    return buildStateDict(this.state, this.stateDictUserKeys);
  }

  /**
   * Restores a checkpoint made by {@link Engine.stateDict} (or one with `epoch` instead of `iteration`).
   *
   * @param stateDict - the checkpoint.
   * @throws TypeError when it is not an object; RangeError for missing or inconsistent keys.
   */
  loadStateDict(stateDict: EngineStateDict): void {
    applyStateDict(this.state, stateDict, this.stateDictUserKeys);
  }

  /**
   * Runs (or resumes) the engine over `data`. See the docs for the new-run vs resume rules.
   *
   * @param data - array, iterable, async iterable, tf.data-like dataset, or `null` with `epochLength`.
   * @param options - `maxEpochs`, `maxIters`, `epochLength`, `signal`.
   * @returns the state when the run completes, terminates or is interrupted.
   * @throws {@link EngineStateError} when a previous `run()` is still pending.
   * @throws the error of the process function or a handler when no EXCEPTION_RAISED handler handles it.
   */
  async run(data: DataSource<TBatch> | null = null, options: RunOptions = {}): Promise<State<TBatch, TOutput>> {
    if (this.#active) {
      throw new EngineStateError('run() called while a previous run() is still pending; await it first');
    }
    const plan = resolveRunPlan(this.state, data, options, this.#suspended !== null);
    if (plan.newState) {
      this.#abandonSuspended();
      Object.assign(this.state, { iteration: 0, epoch: 0, epochLength: plan.epochLength, maxEpochs: plan.maxEpochs, maxIters: plan.maxIters });
      this.logger.info(`Engine run starting with ${plan.maxIters != null ? `maxIters=${plan.maxIters}` : `maxEpochs=${String(plan.maxEpochs)}`}.`);
    } else {
      this.state.maxEpochs = plan.maxEpochs;
      this.state.maxIters = plan.maxIters;
      this.logger.info(`Engine run resuming from iteration ${this.state.iteration}, epoch ${this.state.epoch}`);
      if (this.shouldTerminate !== false && this.#suspended === null) this.initIter = 0;
    }
    if (this.dataloaderIter === null) this.state.dataloader = data;
    return this.#drive(options.signal);
  }

  async #drive(signal: AbortSignal | undefined): Promise<State<TBatch, TOutput>> {
    this.#active = true;
    const onAbort = (): void => this.terminate();
    signal?.addEventListener('abort', onAbort);
    if (signal?.aborted === true) this.terminate();
    try {
      await new Promise<void>((resolve, reject) => {
        this.#settle = { resolve, reject };
        const suspended = this.#suspended;
        this.#suspended = null;
        if (suspended !== null) {
          suspended.resume();
          return;
        }
        // The loop outlives this call when interrupted: it settles whichever run() call is current when it ends.
        runLoop(this.#loopHost()).then(
          (abandoned) => {
            if (!abandoned) this.#settle?.resolve();
          },
          (e: unknown) => this.#settle?.reject(e),
        );
      });
    } finally {
      this.#active = false;
      signal?.removeEventListener('abort', onAbort);
    }
    return this.state;
  }

  #loopHost(): LoopHost {
    return {
      engine: this,
      process: this.#process as LoopHost['process'],
      fire: (event, arg) => this.fire(event, arg),
      hasHandlers: (event) => (this.#handlers.get(event.name)?.length ?? 0) > 0,
      setupEngine: () => this.setupEngine(),
      setupDataloaderIter: () => this.setupDataloaderIter(),
      getIter: () => this.dataloaderIter,
      setIter: (it) => {
        this.dataloaderIter = it as BatchIterator<TBatch>;
      },
      releaseIter: () => this.releaseIterator(),
      pacer: this.#pacer?.reset() ?? null,
      takeInitIter: () => {
        const n = this.initIter ?? 0;
        this.initIter = null;
        return n;
      },
      isDone: () => this.isDone(),
      suspend: () =>
        new Promise<boolean>((resume) => {
          this.#suspended = { resume: () => resume(true), abandon: () => resume(false) };
          this.#settle?.resolve();
        }),
    };
  }

  #abandonSuspended(): void {
    const suspended = this.#suspended;
    this.#suspended = null;
    if (suspended === null) return;
    this.releaseIterator();
    this.initIter = null;
    suspended.abandon();
  }

  /** Whether the current state has nothing left to run (Ignite's `_is_done`). */
  protected isDone(): boolean {
    return isDone(this.state);
  }

  /** Creates the data iterator at the first epoch of a run and sets {@link Engine.initIter} (Ignite's `_setup_engine`). */
  protected setupEngine(): void | Promise<void> {
    const p = this.setupDataloaderIter();
    const init = (): void => {
      if (this.initIter === null) {
        const el = this.state.epochLength;
        this.initIter = el != null ? this.state.iteration % el : this.state.iteration;
      }
    };
    if (p !== undefined) return p.then(init);
    init();
    return undefined;
  }

  /**
   * Drops the data iterator, closing it (`return()`) unless it is the data source itself (a generator passed to
   * `run()` must stay usable, as in Ignite). Closing lets loaders dispose the batch they still own.
   */
  protected releaseIterator(): void {
    const it = this.dataloaderIter;
    this.dataloaderIter = null;
    if (it === null || isThenable(it) || (it as unknown) === this.state.dataloader) return;
    try {
      const r = it.return?.();
      if (isThenable(r)) r.then(undefined, () => {});
    } catch {
      // Closing an abandoned iterator is best effort: its own error must not replace the run's outcome.
    }
  }

  /** (Re)creates the data iterator from `state.dataloader` (Ignite's `_setup_dataloader_iter`). */
  protected setupDataloaderIter(): void | Promise<void> {
    const data = this.state.dataloader;
    this.dataloaderIter = data == null ? (nullIterator() as BatchIterator<TBatch>) : createIterator(data as DataSource<TBatch>);
    return undefined;
  }

  /**
   * Fires an event to its handlers without checks (the run loop checks terminate/interrupt flags itself).
   *
   * @param event - the event.
   * @param arg - the event argument or {@link NO_ARG}.
   * @returns a promise when a handler was async.
   */
  protected fire(event: CallableEvent | string, arg: unknown): Promise<void> | undefined {
    this.lastEventName = event;
    const list = this.#handlers.get(typeof event === 'string' ? event : event.name);
    if (list === undefined || list.length === 0) return undefined;
    return fireEntries(list, this, arg);
  }

  /** @internal Used by {@link RemovableEventHandle}. */
  removeEntries(entries: readonly object[]): void {
    const drop = new Set(entries);
    for (const [name, list] of this.#handlers) {
      if (list.some((e) => drop.has(e))) this.#handlers.set(name, list.filter((e) => !drop.has(e)));
    }
  }

  #registerOne(event: CallableEvent | string, attr: string | undefined): void {
    const name = typeof event === 'string' ? event : event.name;
    const previous = this.#events.get(name);
    this.#events.set(name, { event: previous?.event ?? event, attr: attr ?? previous?.attr, argNames: EVENT_ARGS[name] ?? [] });
    if (!this.#handlers.has(name)) this.#handlers.set(name, []);
  }

  #nameOf(event: EventKey): string {
    if (typeof event === 'string') return event;
    if (isEvent(event)) return event.name;
    throw new TypeError(`Argument event should be an event or an event name, got: ${String(event)}`);
  }

  #info(event: EventKey): EventInfo {
    const info = this.#events.get(this.#nameOf(event));
    if (info === undefined) {
      throw new InvalidEventError(
        `Event ${this.#nameOf(event)} is not a valid event for this Engine. Register custom events with engine.registerEvents().`,
      );
    }
    return info;
  }

  #add(event: EventKey, handler: unknown, args: readonly unknown[]): HandlerEntry {
    const info = this.#info(event);
    let filter: ((engine: unknown) => boolean) | null = null;
    if (typeof event !== 'string' && 'filter' in event) {
      const attr = info.attr;
      if (attr === undefined) throw unknownEventNameError(info.event.toString());
      const f = event.filter;
      filter = (engine) => f(engine, (engine as Engine).state[attr] as number);
    }
    const entry = compileHandler(handler, info.argNames, args, filter);
    const name = this.#nameOf(event);
    this.#handlers.set(name, [...(this.#handlers.get(name) ?? []), entry]);
    return entry;
  }
}
