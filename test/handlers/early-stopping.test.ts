// EarlyStopping: Ignite's tests/ignite/handlers/test_early_stopping.py (ported tests keep their names) plus a
// property test against a reference counter computed independently from the definition.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Engine, Events, silentLogger, type Logger } from '../../src/engine/index.js';
import { EarlyStopping, type EarlyStoppingOptions } from '../../src/handlers/early-stopping.js';

const newEngine = (logger: Logger = silentLogger) => new Engine((_e, _b: number) => null, { logger });

/** Feeds `scores` one call at a time; returns whether the trainer was told to stop after each call. */
function feed(scores: readonly number[], options: Omit<EarlyStoppingOptions, 'scoreFunction' | 'trainer'>) {
  const trainer = newEngine();
  const evaluator = newEngine();
  let i = 0;
  const h = new EarlyStopping({ ...options, trainer, scoreFunction: () => scores[i++] as number });
  const stopped = scores.map(() => {
    h.handle(evaluator);
    return trainer.shouldTerminate !== false;
  });
  return { stopped, handler: h };
}

describe('EarlyStopping', () => {
  it('test_simple_early_stopping: patience 2, scores [1.0, 0.8, 0.88] stop on the 3rd call', () => {
    assert.deepEqual(feed([1.0, 0.8, 0.88], { patience: 2 }).stopped, [false, false, true]);
  });

  it('test_simple_no_early_stopping: [1.0, 0.8, 1.2] does not stop', () => {
    assert.deepEqual(feed([1.0, 0.8, 1.2], { patience: 2 }).stopped, [false, false, false]);
  });

  it('test_simple_early_stopping_on_plateau: a constant score with patience 1 stops on the 2nd call', () => {
    assert.deepEqual(feed([1, 1], { patience: 1 }).stopped, [false, true]);
  });

  it('test_early_stopping_on_delta: an improvement not above the threshold counts as none', () => {
    assert.deepEqual(feed([0.0, 0.05, 0.09], { patience: 2, threshold: 0.1 }).stopped, [false, false, true]);
    assert.deepEqual(feed([0.0, 0.05, 0.2], { patience: 2, threshold: 0.1 }).stopped, [false, false, false]);
    assert.deepEqual(feed([0.0, 0.05, 0.09], { patience: 2, minDelta: 0.1 }).stopped, [false, false, true]);
  });

  it("thresholdMode 'rel': improvement means score > best * (1 + threshold)", () => {
    assert.deepEqual(feed([1.0, 1.1, 1.2], { patience: 2, threshold: 0.1, thresholdMode: 'rel' }).stopped, [false, false, true]);
    assert.deepEqual(feed([1.0, 1.15, 1.2], { patience: 2, threshold: 0.1, thresholdMode: 'rel' }).stopped, [false, false, false]);
  });

  it('test_early_stopping_on_cumulative_delta: [0.0, 0.3, 0.6] with threshold 0.4', () => {
    const cumulative = feed([0.0, 0.3, 0.6], { patience: 2, threshold: 0.4, cumulative: true });
    assert.deepEqual(cumulative.stopped, [false, false, false]);
    assert.equal(cumulative.handler.counter, 0);
    assert.equal(cumulative.handler.bestScore, 0.6);
    assert.deepEqual(feed([0.0, 0.3, 0.6], { patience: 2, threshold: 0.4 }).stopped, [false, false, true]);
  });

  it("mode 'min' with thresholdMode 'abs' mirrors mode 'max' on negated scores (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -40, max: 40 }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom(0, 0.5, 3),
        fc.boolean(),
        (ints, patience, threshold, cumulative) => {
          const scores = ints.map((k) => k / 4);
          const opts = { patience, threshold, cumulative };
          const max = feed(scores, { ...opts, mode: 'max' });
          const min = feed(scores.map((s) => -s), { ...opts, mode: 'min' });
          assert.deepEqual(min.stopped, max.stopped);
          assert.equal(min.handler.counter, max.handler.counter);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("mode 'min' with thresholdMode 'rel': improvement means score < best * (1 - threshold)", () => {
    const rel = { patience: 2, threshold: 0.1, thresholdMode: 'rel', mode: 'min' } as const;
    assert.deepEqual(feed([1.0, 0.95, 0.89], rel).stopped, [false, false, true]);
    assert.deepEqual(feed([1.0, 0.85, 0.7], rel).stopped, [false, false, false]);
  });

  it('with threshold 0, the counter is the number of calls since the last new running maximum (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 40 }), (scores) => {
        const { handler } = feed(scores, { patience: 1000 });
        let lastRecord = 0;
        scores.forEach((s, i) => {
          if (i === 0 || s > Math.max(...scores.slice(0, i))) lastRecord = i;
        });
        assert.equal(handler.counter, scores.length - 1 - lastRecord);
        assert.equal(handler.bestScore, Math.max(...scores));
      }),
      { numRuns: 200 },
    );
  });

  it('test_with_engine_early_stopping: evaluator on trainer EPOCH_COMPLETED stops the trainer at epoch 7', async () => {
    const scores = [1.0, 0.8, 1.2, 1.5, 0.9, 1.0, 0.99, 1.1, 0.9];
    const infos: string[] = [];
    const trainer = newEngine({ ...silentLogger, info: (m) => infos.push(m) });
    const evaluator = newEngine();
    let n = 0;
    const h = new EarlyStopping({ patience: 3, scoreFunction: () => scores[n++] as number, trainer });
    evaluator.on(Events.COMPLETED, h);
    trainer.on(Events.EPOCH_COMPLETED, async () => {
      await evaluator.run([0]);
    });
    await trainer.run([0], { maxEpochs: 10 });
    assert.equal(trainer.state.epoch, 7);
    assert.ok(infos.includes('EarlyStopping: Stop training'));
  });

  it('test_with_engine_early_stopping_on_plateau: a constant score with patience 4 stops at epoch 5', async () => {
    const trainer = newEngine();
    const evaluator = newEngine();
    const h = new EarlyStopping({ patience: 4, scoreFunction: () => 0.01, trainer });
    h.attach(evaluator, { resetEngine: trainer });
    trainer.on(Events.EPOCH_COMPLETED, async () => {
      await evaluator.run([0]);
    });
    await trainer.run([0], { maxEpochs: 10 });
    assert.equal(trainer.state.epoch, 5);
  });

  it('attach(engine) resets on the same engine STARTED, so per-run evaluators never accumulate', async () => {
    const trainer = newEngine();
    const evaluator = newEngine();
    const h = new EarlyStopping({ patience: 2, scoreFunction: () => 1, trainer });
    h.attach(evaluator);
    assert.ok(evaluator.hasEventHandler(h, Events.COMPLETED));
    trainer.on(Events.EPOCH_COMPLETED, async () => {
      await evaluator.run([0]);
    });
    await trainer.run([0], { maxEpochs: 5 });
    assert.equal(trainer.state.epoch, 5);
    assert.equal(h.counter, 0);
  });

  it('attach(evaluator, { event: EPOCH_COMPLETED, resetEngine: trainer })', async () => {
    const trainer = newEngine();
    const evaluator = newEngine();
    const h = new EarlyStopping({ patience: 2, scoreFunction: () => 1, trainer });
    h.attach(evaluator, { event: Events.EPOCH_COMPLETED, resetEngine: trainer });
    h.counter = 7;
    trainer.on(Events.EPOCH_COMPLETED, async () => {
      await evaluator.run([0, 0], { maxEpochs: 2 });
    });
    await trainer.run([0], { maxEpochs: 5 });
    // trainer STARTED reset the stale counter; each evaluation run brings two epoch calls: stop after the 1st run
    assert.equal(trainer.state.epoch, 2);
  });

  it('test_state_dict: stateDict/loadStateDict carry the counter and best score', () => {
    const { handler } = feed([1.0, 0.5, 0.7], { patience: 5 });
    const sd = JSON.parse(JSON.stringify(handler.stateDict())) as Record<string, unknown>;
    assert.deepEqual(sd, { counter: 2, bestScore: 1.0, thresholdMode: 'abs' });
    const trainer = newEngine();
    const scores = [0.9, 0.95, 0.99];
    let i = 0;
    const restored = new EarlyStopping({ patience: 5, trainer, scoreFunction: () => scores[i++] as number });
    restored.loadStateDict(sd);
    for (let k = 0; k < 3; k++) restored.handle(newEngine());
    assert.equal(trainer.shouldTerminate, true);
    assert.throws(() => restored.loadStateDict({ counter: 1 }), /Required state attribute 'bestScore' is absent/);
  });

  it('test_args_validation', () => {
    const trainer = newEngine();
    const ok = { patience: 2, scoreFunction: () => 0, trainer };
    assert.throws(() => new EarlyStopping({ ...ok, patience: 0 }), /Argument patience should be positive integer/);
    assert.throws(() => new EarlyStopping({ ...ok, threshold: -0.1 }), /should not be a negative number/);
    assert.throws(() => new EarlyStopping({ ...ok, scoreFunction: 1 as unknown as () => number }), /Argument scoreFunction should be a function/);
    assert.throws(() => new EarlyStopping({ ...ok, trainer: {} as unknown as Engine }), /Argument trainer should be an instance of Engine/);
    assert.throws(() => new EarlyStopping({ ...ok, mode: 'avg' as unknown as 'max' }), RangeError);
  });
});
