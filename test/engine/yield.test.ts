// The engine yields to the macrotask queue at a bounded interval (src/engine/yield.ts): timers fire mid-epoch while
// the process function is synchronous, a terminate() asked for by a timer is seen after the current iteration, and
// the event trace is the same with and without yielding.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Engine, Events, silentLogger } from '../../src/engine/index.js';
import { Pacer, createPacer, yieldToMacrotasks } from '../../src/engine/yield.js';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** [event name, epoch, iteration] of every built-in event. */
function recordTrace(engine: Engine<number, unknown>): [string, number, number][] {
  const trace: [string, number, number][] = [];
  for (const ev of Object.values(Events)) engine.on(ev, (e) => void trace.push([ev.name, e.state.epoch, e.state.iteration]));
  return trace;
}

/** A synchronous step that holds the thread for `ms` milliseconds. */
const busyStep = (ms: number) => (_e: unknown, b: number): number => {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy: a synchronous kernel
  }
  return b;
};

/** Runs `engine` over `data` while a 5 ms setInterval records when it fired. */
async function ticksDuring(engine: Engine<number, unknown>, data: number[]): Promise<number[]> {
  const ticks: number[] = [];
  const timer = setInterval(() => ticks.push(performance.now()), 5);
  const start = performance.now();
  await engine.run(data, { maxEpochs: 1 });
  const end = performance.now();
  clearInterval(timer);
  return [start, ...ticks.filter((t) => t <= end), end];
}

function maxGap(times: number[]): number {
  let gap = 0;
  for (let i = 1; i < times.length; i++) gap = Math.max(gap, (times[i] as number) - (times[i - 1] as number));
  return gap;
}

describe('Engine yields to the macrotask queue', () => {
  it('a setInterval keeps firing during a long epoch of synchronous steps (default interval 50 ms)', async () => {
    const engine = new Engine(busyStep(1), { logger: silentLogger });
    // A ~1.5 s epoch: without yielding the timer would starve for all of it. The bound leaves room for a loaded
    // machine descheduling the process (the yield itself comes every 50 ms).
    const times = await ticksDuring(engine, range(1500));
    assert.ok(times.length - 2 >= 8, `timer fired ${times.length - 2} times during a ~1500 ms epoch`);
    assert.ok(maxGap(times) < 600, `longest stretch without the timer: ${maxGap(times).toFixed(1)} ms (interval 50 ms)`);
  });

  it('yieldIntervalMs: 0 turns yielding off (the timer starves until the run ends)', async () => {
    const engine = new Engine(busyStep(1), { logger: silentLogger, yieldIntervalMs: 0 });
    const times = await ticksDuring(engine, range(150));
    assert.equal(times.length - 2, 0, 'no timer callback ran during the epoch');
  });

  it('a short interval bounds the stretch without the event loop, with fast and slow iterations', async () => {
    const fast = new Engine((_e, b: number) => b + 1, { logger: silentLogger, yieldIntervalMs: 10 });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    await fast.run(range(300_000), { maxEpochs: 2 });
    const fastTicks = ticks;
    const slow = new Engine(busyStep(3), { logger: silentLogger, yieldIntervalMs: 10 });
    const times = await ticksDuring(slow, range(60));
    clearInterval(timer);
    assert.ok(fastTicks > 0, 'the timer ran during a run of 600,000 trivial iterations');
    assert.ok(maxGap(times) < 60, `longest stretch without the timer with 3 ms steps: ${maxGap(times).toFixed(1)} ms`);
  });

  it('terminate() from a timer stops the run after the current iteration', async () => {
    const engine = new Engine(busyStep(1), { logger: silentLogger });
    const completed: number[] = [];
    engine.on(Events.ITERATION_COMPLETED, (e) => completed.push(e.state.iteration));
    const timer = setTimeout(() => engine.terminate(), 120);
    const state = await engine.run(range(5000), { maxEpochs: 1 });
    clearTimeout(timer);
    assert.ok(state.iteration > 10 && state.iteration < 1000, `stopped mid-epoch at iteration ${state.iteration}`);
    assert.equal(completed.at(-1), state.iteration, 'the last iteration completed before the run stopped');
  });

  it('the event trace is unchanged by yielding (terminateEpoch, interrupt and resume, async steps)', async () => {
    const traceOf = async (yieldIntervalMs: number): Promise<unknown[]> => {
      const engine = new Engine((_e, b: number) => Promise.resolve(b), { logger: silentLogger, yieldIntervalMs });
      const trace = recordTrace(engine);
      engine.on(Events.ITERATION_COMPLETED({ once: 7 }), (e) => e.terminateEpoch());
      engine.on(Events.ITERATION_COMPLETED({ once: 23 }), (e) => e.interrupt());
      await engine.run(range(10), { maxEpochs: 4 });
      await engine.run(range(10), { maxEpochs: 4 });
      return trace;
    };
    // 1e-6 ms: the pacer yields at every clock read.
    assert.deepEqual(await traceOf(1e-6), await traceOf(0));
  });

  it('rejects invalid intervals with what was expected', () => {
    assert.throws(() => new Engine((_e, b) => b, { yieldIntervalMs: -1 }), (e: unknown) => e instanceof RangeError && /yieldIntervalMs .* >= 0, got -1/.test(String(e)));
    assert.throws(() => new Engine((_e, b) => b, { yieldIntervalMs: Infinity }), RangeError);
    assert.throws(() => new Engine((_e, b) => b, { yieldIntervalMs: '50' as never }), (e: unknown) => e instanceof TypeError && /got string/.test(String(e)));
    assert.equal(createPacer(0), null);
    assert.ok(createPacer() instanceof Pacer);
  });

  it('yieldToMacrotasks lets a due timer and pending I/O callbacks run before it resolves', async () => {
    let fired = false;
    setTimeout(() => {
      fired = true;
    }, 0);
    await new Promise((r) => setTimeout(r, 2));
    fired = false;
    setTimeout(() => {
      fired = true;
    }, 0);
    const end = performance.now() + 5;
    while (performance.now() < end) {
      // let the timer become due
    }
    await yieldToMacrotasks();
    await yieldToMacrotasks();
    assert.equal(fired, true);
  });

  it('the pacer reads the clock less often as iterations get faster (stride doubles, up to a cap)', () => {
    const pacer = new Pacer(1000).reset();
    const strides: number[] = [];
    for (let i = 0; i < 20; i++) {
      assert.equal(pacer.check(), undefined, 'no yield before the interval');
      strides.push(pacer.countdown);
    }
    assert.deepEqual(strides.slice(0, 4), [2, 4, 8, 16]);
    assert.equal(strides.at(-1), 4096);
  });
});
