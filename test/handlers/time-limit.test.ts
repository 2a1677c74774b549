// TimeLimit with an injected clock.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Engine, Events, silentLogger } from '../../src/engine/index.js';
import { TimeLimit } from '../../src/handlers/time-limit.js';

describe('TimeLimit', () => {
  it('test_terminate_on_time_limit: stops once the elapsed time exceeds the limit', async () => {
    let t = 0;
    const infos: string[] = [];
    const engine = new Engine((_e, _b: number) => void (t += 1), { logger: { ...silentLogger, info: (m) => infos.push(m) } });
    engine.on(Events.ITERATION_COMPLETED, new TimeLimit({ limitSec: 3, now: () => t }));
    const state = await engine.run(new Array<number>(10).fill(0), { maxEpochs: 1 });
    assert.equal(state.iteration, 4); // elapsed 4 > 3 after the 4th iteration; 3 is not over the limit
    assert.ok(infos.includes('Reached the time limit: 3 sec. Stop training'));
  });

  it('does not stop within the limit', async () => {
    const engine = new Engine((_e, _b: number) => null, { logger: silentLogger });
    engine.on(Events.ITERATION_COMPLETED, new TimeLimit());
    const state = await engine.run([1, 2, 3], { maxEpochs: 2 });
    assert.equal(state.iteration, 6);
    assert.equal(engine.shouldTerminate, false);
  });

  it('test_arg_validation', () => {
    assert.throws(() => new TimeLimit({ limitSec: 1.5 }), /Argument limitSec should be an integer/);
    assert.throws(() => new TimeLimit({ limitSec: 0 }), /Argument limitSec should be a positive integer/);
    assert.equal(new TimeLimit().limitSec, 28800);
  });
});
