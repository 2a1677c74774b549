// PiecewiseLinear and ConcatScheduler against the outputs printed in Ignite's docs and hand-computed points.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConcatScheduler,
  CosineAnnealingScheduler,
  LinearCyclicalScheduler,
  PiecewiseLinear,
  objectParam,
} from '../../../src/handlers/param-scheduler/index.js';

const values = (pairs: [number, number][]): number[] => pairs.map(([, v]) => v);
function assertClose(actual: readonly number[], expected: readonly number[], tol = 1e-12): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((v, i) => assert.ok(Math.abs(v - (expected[i] as number)) <= tol, `event ${i}: ${v} vs ${expected[i]}`));
}

describe('PiecewiseLinear', () => {
  it('test_piecewiselinear: doc example [(1, 1.0), (3, 0.8), (5, 0.2)]', () => {
    const got = values(PiecewiseLinear.simulateValues(8, { milestonesValues: [[1, 1.0], [3, 0.8], [5, 0.2]] }));
    assertClose(got, [1.0, 1.0, 0.9, 0.8, 0.5, 0.2, 0.2, 0.2]);
  });

  it('holds, interpolates, jumps and stays constant at hand-computed events', () => {
    const mv = [[10, 0.5], [20, 0.45], [21, 0.3], [30, 0.1], [40, 0.1]] as const;
    const got = values(PiecewiseLinear.simulateValues(50, { milestonesValues: mv }));
    assert.equal(got[0], 0.5);
    assert.equal(got[9], 0.5);
    assert.ok(Math.abs((got[15] as number) - 0.475) < 1e-12);
    assert.ok(Math.abs((got[20] as number) - 0.45) < 1e-12);
    assert.equal(got[21], 0.3);
    assert.ok(Math.abs((got[25] as number) - (0.3 - (0.2 * 4) / 9)) < 1e-12);
    assert.equal(got[30], 0.1);
    assert.equal(got[49], 0.1);
  });

  it('validates milestones with Ignite messages', () => {
    const t = objectParam({ lr: 0 }, 'lr');
    assert.throws(() => new PiecewiseLinear(t, 'lr', { milestonesValues: [] }), /at least one value/);
    assert.throws(
      () => new PiecewiseLinear(t, 'lr', { milestonesValues: [[0, 1], [5, 0.5], [3, 0.1]] }),
      /Milestones should be increasing integers, but given 3 is smaller than the previous milestone 5/,
    );
    assert.throws(() => new PiecewiseLinear(t, 'lr', { milestonesValues: [[0.5, 1]] }), TypeError);
    assert.throws(
      () => new PiecewiseLinear(t, 'lr', { milestonesValues: [[1, 2, 3]] as unknown as [number, number][] }),
      /list of pairs/,
    );
  });
});

describe('ConcatScheduler', () => {
  const make = (owner: { lr: number }) => {
    const t = objectParam(owner, 'lr');
    return [
      new LinearCyclicalScheduler(t, 'lr', { startValue: 0, endValue: 1, cycleSize: 8 }),
      new CosineAnnealingScheduler(t, 'lr', { startValue: 1, endValue: 0.2, cycleSize: 4 }),
    ] as const;
  };
  // Ignite's doc output for this pair: 0, 0.25, 0.5, 0.75, 1.0, 0.8828, 0.6, 0.3171, then cosine cycles repeat.
  const expected = [0, 0.25, 0.5, 0.75, 1, 0.2 + 0.4 * (1 + Math.SQRT1_2), 0.6, 0.2 + 0.4 * (1 - Math.SQRT1_2), 1, 0.2 + 0.4 * (1 + Math.SQRT1_2)];

  it('test_concat_scheduler_two_schedulers: runs each scheduler for its duration', () => {
    const owner = { lr: 0.5 };
    const concat = new ConcatScheduler(make(owner), [4]);
    const seen: number[] = [];
    for (let i = 0; i < expected.length; i++) {
      concat.handle(null);
      seen.push(owner.lr);
    }
    assertClose(seen, expected);
  });

  it('simulateValues gives the same values and leaves schedulers and target untouched', () => {
    const owner = { lr: 0.5 };
    const schedulers = make(owner);
    const before = schedulers.map((s) => JSON.stringify(s.stateDict()));
    assertClose(values(ConcatScheduler.simulateValues(expected.length, { schedulers, durations: [4] })), expected);
    assert.deepEqual(schedulers.map((s) => JSON.stringify(s.stateDict())), before);
    assert.equal(owner.lr, 0.5);
  });

  it('resumes from its state dict (nested schedulers included)', () => {
    const a = { lr: 0 };
    const c1 = new ConcatScheduler(make(a), [4]);
    const seen: number[] = [];
    for (let i = 0; i < 6; i++) {
      c1.handle(null);
      seen.push(a.lr);
    }
    const sd = JSON.parse(JSON.stringify(c1.stateDict())) as Record<string, unknown>;
    assert.equal((sd['schedulers'] as unknown[]).length, 2);
    const b = { lr: 0 };
    const c2 = new ConcatScheduler(make(b), [4]);
    c2.loadStateDict(sd);
    for (let i = 6; i < expected.length; i++) {
      c2.handle(null);
      seen.push(b.lr);
    }
    assertClose(seen, expected);
  });

  it('rejects schedulers of different targets, a single scheduler and mismatched durations', () => {
    const [s1] = make({ lr: 0 });
    const [, other] = make({ lr: 0 });
    assert.throws(() => new ConcatScheduler([s1, other], [4]), /schedulers should be related to same optimizer/);
    assert.throws(() => new ConcatScheduler([s1], []), /more than one parameter schedulers/);
    const [x, y] = make({ lr: 0 });
    assert.throws(() => new ConcatScheduler([x, y], [4, 5]), /Incorrect number schedulers or duration values, given 2 and 2/);
    assert.throws(() => new ConcatScheduler([x, y], [1.5]), /durations should be list\/tuple of integers/);
  });
});
