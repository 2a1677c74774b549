// Property test of the Engine state machine: random data sizes, epoch lengths, epochs, and random terminate /
// terminateEpoch / interrupt calls at random events, compared (trace and state after every run() call) with a small
// reference model of Ignite's rules written here as a synchronous generator, independently of src/engine.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Events } from '../../src/index.js';
import { makeEngine, range, type Trace } from './helpers.js';

type Kind = 'terminate' | 'terminateSkip' | 'terminateEpoch' | 'terminateEpochSkip' | 'interrupt';
interface Action { event: string; nth: number; kind: Kind }
interface Scenario { L: number; sized: boolean; epochLength: number | null; maxEpochs: number; actions: Action[] }

const ITER_EVENTS = ['get_batch_started', 'get_batch_completed', 'iteration_started', 'iteration_completed'];
const ALL = ['started', 'epoch_started', ...ITER_EVENTS, 'dataloader_stop_iteration', 'epoch_completed', 'terminate_single_epoch', 'terminate', 'completed', 'interrupt'];

/** Data without a length that yields L items every time it is iterated. */
const TERM = new Error('terminate');
const TERM_EPOCH = new Error('terminate epoch');
const isSkip = (flag: unknown): boolean => flag === 'skip';

const unsized = (L: number): Iterable<number> => ({ *[Symbol.iterator]() { yield* range(L); } });

class Ref {
  iteration = 0; epoch = 0; epochLength: number | null = null; maxEpochs: number | null = null;
  term: false | true | 'skip' = false; termEpoch: false | true | 'skip' = false; interrupt = false;
  last = ''; trace: Trace = []; counts = new Map<string, number>(); gen: Generator<void, void> | null = null;
  it: Iterator<number> | null = null; initIter: number | null = null; data: Iterable<number> | null = null;
  constructor(readonly s: Scenario) {}
  fire(name: string): void {
    this.last = name;
    this.trace.push([name, this.epoch, this.iteration]);
    const n = (this.counts.get(name) ?? 0) + 1;
    this.counts.set(name, n);
    for (const a of this.s.actions) {
      if (a.event !== name || a.nth !== n) continue;
      if (a.kind === 'terminate') this.term = true;
      else if (a.kind === 'terminateSkip') this.term = 'skip';
      else if (a.kind === 'terminateEpoch') this.termEpoch = true;
      else if (a.kind === 'terminateEpochSkip') this.termEpoch = 'skip';
      else this.interrupt = true;
    }
  }
  done(): boolean {
    return (this.epochLength !== null && this.maxEpochs !== null && this.iteration >= this.epochLength * this.maxEpochs) ||
      (this.maxEpochs !== null && this.epoch >= this.maxEpochs);
  }
  *check(): Generator<void, void> {
    if (this.term !== false) throw TERM;
    if (this.termEpoch !== false) throw TERM_EPOCH;
    if (this.interrupt) { this.fire('interrupt'); this.interrupt = false; yield; }
  }
  *once(): Generator<void, void> {
    let counter = this.initIter ?? 0; this.initIter = null; let exit = false;
    try {
      for (;;) {
        // Ignite's rule: GET_BATCH_STARTED is skipped only right after DATALOADER_STOP_ITERATION (not after INTERRUPT).
        if (this.last !== 'dataloader_stop_iteration') { this.fire('get_batch_started'); yield* this.check(); }
        const r = (this.it as Iterator<number>).next();
        if (r.done === true) {
          if (this.epochLength === null) { this.epochLength = counter; break; }
          if (exit) break;
          this.fire('dataloader_stop_iteration'); yield* this.check();
          this.it = (this.data as Iterable<number>)[Symbol.iterator](); exit = true; continue;
        }
        exit = false;
        this.fire('get_batch_completed'); yield* this.check();
        counter++; this.iteration++;
        this.fire('iteration_started'); yield* this.check();
        this.fire('iteration_completed'); yield* this.check();
        if (this.epochLength !== null && counter === this.epochLength) break;
      }
    } catch (e) {
      if (e !== TERM_EPOCH) throw e;
      this.fire('terminate_single_epoch');
      this.it = (this.data as Iterable<number>)[Symbol.iterator]();
    }
  }
  *loop(): Generator<void, void> {
    this.term = false; this.termEpoch = false; this.interrupt = false;
    try {
      this.fire('started'); yield* this.check();
      while (!this.done() && this.term === false) {
        this.epoch++;
        this.fire('epoch_started'); yield* this.check();
        if (this.it === null) {
          this.it = (this.data as Iterable<number>)[Symbol.iterator]();
          if (this.initIter === null) this.initIter = this.epochLength !== null ? this.iteration % this.epochLength : this.iteration;
        }
        yield* this.once();
        if (!isSkip(this.termEpoch)) this.fire('epoch_completed');
        this.termEpoch = false;
        yield* this.check();
      }
    } catch (e) {
      if (e !== TERM) throw e;
      this.fire('terminate');
    }
    if (!isSkip(this.term)) this.fire('completed');
    this.it = null;
  }
  run(data: Iterable<number>, opts: { maxEpochs?: number; epochLength?: number }): void {
    const isNew = this.maxEpochs === null || (this.done() && this.gen === null);
    if (isNew) {
      this.iteration = 0; this.epoch = 0; this.maxEpochs = opts.maxEpochs ?? 1;
      this.epochLength = opts.epochLength ?? (this.s.sized ? this.s.L : this.epochLength);
    } else if (this.term !== false && this.gen === null) this.initIter = 0;
    if (this.it === null) this.data = data;
    this.gen ??= this.loop();
    if (this.gen.next().done === true) this.gen = null;
  }
}

const scenario = fc.record({
  L: fc.integer({ min: 1, max: 5 }),
  sized: fc.boolean(),
  epochLength: fc.option(fc.integer({ min: 1, max: 6 }), { nil: null }),
  maxEpochs: fc.integer({ min: 1, max: 3 }),
  actions: fc.array(
    fc.record({
      event: fc.constantFrom(...ALL.filter((e) => e !== 'interrupt' && e !== 'terminate' && e !== 'completed')),
      nth: fc.integer({ min: 1, max: 6 }),
      kind: fc.constantFrom<Kind>('terminate', 'terminateSkip', 'terminateEpoch', 'terminateEpochSkip', 'interrupt'),
    }),
    { maxLength: 3 },
  ),
}).filter((s) => !s.actions.some((a) => a.kind.startsWith('terminateEpoch') && (a.event === 'started' || a.event === 'epoch_started')));

describe('Engine state machine vs a reference model of Ignite (property)', () => {
  it('traces and states match after every run() call', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const ref = new Ref(s);
        const engine = makeEngine();
        const trace: Trace = [];
        const counts = new Map<string, number>();
        for (const ev of Object.values(Events)) {
          engine.on(ev, (e) => {
            trace.push([ev.name, e.state.epoch, e.state.iteration]);
            const n = (counts.get(ev.name) ?? 0) + 1;
            counts.set(ev.name, n);
            for (const a of s.actions) {
              if (a.event !== ev.name || a.nth !== n) continue;
              if (a.kind === 'terminate') e.terminate();
              else if (a.kind === 'terminateSkip') e.terminate({ skipCompleted: true });
              else if (a.kind === 'terminateEpoch') e.terminateEpoch();
              else if (a.kind === 'terminateEpochSkip') e.terminateEpoch({ skipEpochCompleted: true });
              else e.interrupt();
            }
          });
        }
        const data = s.sized ? range(s.L) : unsized(s.L);
        for (let call = 0; call < 4; call++) {
          const options = call === 0 ? { maxEpochs: s.maxEpochs, ...(s.epochLength !== null ? { epochLength: s.epochLength } : {}) } : {};
          ref.run(data, options);
          const state = await engine.run(data, options);
          assert.deepEqual(trace, ref.trace, `call ${call}`);
          assert.deepEqual([state.epoch, state.iteration, state.epochLength], [ref.epoch, ref.iteration, ref.epochLength], `state after call ${call}`);
        }
      }),
      { numRuns: 300 },
    );
  });
});
