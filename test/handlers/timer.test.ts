// Timer with an injected clock: totals, pauses, averages and engine attachment measured exactly.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Engine, Events, silentLogger } from '../../src/engine/index.js';
import { Timer } from '../../src/handlers/timer.js';

function fakeClock() {
  const clock = { t: 100, now: () => clock.t, advance: (s: number) => void (clock.t += s) };
  return clock;
}

describe('Timer', () => {
  it('test_timer: total time, pause/resume and average over steps', () => {
    const c = fakeClock();
    const t = new Timer({ now: c.now });
    c.advance(2);
    assert.equal(t.value(), 2);
    t.pause();
    c.advance(5);
    assert.equal(t.value(), 2);
    assert.equal(t.isRunning, false);
    t.resume();
    c.advance(1);
    assert.equal(t.value(), 3);

    const avg = new Timer({ average: true, now: c.now });
    assert.equal(avg.value(), 0);
    for (let i = 0; i < 4; i++) {
      avg.resume();
      c.advance(0.5); // work
      avg.pause();
      c.advance(3); // idle
      avg.step();
    }
    assert.equal(avg.value(), 0.5);
    assert.equal(avg.stepCount, 4);
    avg.reset();
    assert.deepEqual([avg.total, avg.stepCount, avg.isRunning, avg.value()], [0, 0, true, 0]);
  });

  it('attach: average time per iteration excludes what happens between iterations', async () => {
    const c = fakeClock();
    const engine = new Engine((_e, _b: number) => c.advance(0.25), { logger: silentLogger });
    const timer = new Timer({ average: true, now: c.now }).attach(engine, {
      start: Events.EPOCH_STARTED,
      resume: Events.ITERATION_STARTED,
      pause: Events.ITERATION_COMPLETED,
      step: Events.ITERATION_COMPLETED,
    });
    engine.on(Events.ITERATION_COMPLETED, () => c.advance(1)); // e.g. logging, after the timer paused
    const perEpoch: number[] = [];
    engine.on(Events.EPOCH_COMPLETED, () => perEpoch.push(timer.value()));
    await engine.run([1, 2, 3, 4], { maxEpochs: 2 });
    assert.deepEqual(perEpoch, [0.25, 0.25]);
    assert.equal(timer.stepCount, 4);
  });

  it('attach with defaults measures the whole run from STARTED to COMPLETED', async () => {
    const c = fakeClock();
    const engine = new Engine((_e, _b: number) => c.advance(1), { logger: silentLogger });
    const timer = new Timer({ now: c.now }).attach(engine);
    c.advance(50); // before the run: discarded by the reset at STARTED
    await engine.run([1, 2, 3], { maxEpochs: 2 });
    c.advance(7); // after COMPLETED: paused
    assert.equal(timer.value(), 6);
  });
});
