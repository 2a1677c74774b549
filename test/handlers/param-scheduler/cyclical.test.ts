// Cyclical schedulers: values compared with references built cycle by cycle from the formulas in Ignite's docs
// (an independent construction: explicit cycles instead of the scheduler's event-index state machine).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CosineAnnealingScheduler,
  LinearCyclicalScheduler,
  objectParam,
  type CyclicalSchedulerOptions,
} from '../../../src/handlers/param-scheduler/index.js';

const linear = (s: number, e: number, p: number): number => e + (s - e) * Math.abs(p - 0.5) * 2;
// PyTorch's CosineAnnealingLR form, equivalent to Ignite's start + (end - start) / 2 * (1 - cos(pi p)).
const cosine = (s: number, e: number, p: number): number => e + ((s - e) / 2) * (1 + Math.cos(Math.PI * p));
const monotonic = (s: number, e: number, p: number): number => s + (e - s) * p;

/** Reference: concatenated cycles; with warm-up, each cycle also yields its end value then ramps to the next start. */
function reference(n: number, o: CyclicalSchedulerOptions, f: (s: number, e: number, p: number) => number): number[] {
  const out: number[] = [];
  let size = o.cycleSize;
  let warm = o.warmupDuration ?? 0;
  for (let c = 0; out.length < n; c++) {
    const s = o.startValue * (o.startValueMult ?? 1) ** c;
    const e = o.endValue * (o.endValueMult ?? 1) ** c;
    const last = warm > 0 ? size : size - 1;
    for (let i = 0; i <= last; i++) out.push(f(s, e, i / size));
    const nextStart = s * (o.startValueMult ?? 1);
    for (let j = 1; j < warm; j++) out.push(e + (nextStart - e) * (j / warm));
    size = Math.trunc(size * (o.cycleMult ?? 1));
    warm = Math.trunc(warm * (o.cycleMult ?? 1));
  }
  return out.slice(0, n);
}

function assertClose(actual: readonly number[], expected: readonly number[], tol = 1e-12): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((v, i) => assert.ok(Math.abs(v - (expected[i] as number)) <= tol, `event ${i}: ${v} vs ${expected[i]}`));
}

const values = (pairs: [number, number][]): number[] => pairs.map(([, v]) => v);

describe('LinearCyclicalScheduler', () => {
  it('test_linear_scheduler: 0 -> 1 -> 0 over cycles of 4 (Ignite doc output)', () => {
    const got = values(LinearCyclicalScheduler.simulateValues(9, { startValue: 0, endValue: 1, cycleSize: 4 }));
    assert.deepEqual(got, [0, 0.5, 1, 0.5, 0, 0.5, 1, 0.5, 0]);
  });

  it('matches the per-cycle reference with cycleMult, startValueMult and endValueMult', () => {
    const o = { startValue: 1, endValue: 0.1, cycleSize: 6, cycleMult: 1.5, startValueMult: 0.8, endValueMult: 0.5 };
    assertClose(values(LinearCyclicalScheduler.simulateValues(60, o)), reference(60, o, linear));
  });

  it('monotonic ramps start -> end each cycle, with cyclic warm-up back to the start', () => {
    const o = { startValue: 0, endValue: 1, cycleSize: 4, monotonic: true };
    assertClose(values(LinearCyclicalScheduler.simulateValues(8, o)), [0, 0.25, 0.5, 0.75, 0, 0.25, 0.5, 0.75]);
    const w = { startValue: 1, endValue: 0, cycleSize: 4, warmupDuration: 2, monotonic: true };
    assertClose(values(LinearCyclicalScheduler.simulateValues(30, w)), reference(30, w, monotonic));
  });

  it('rejects warm-up without monotonic and cycle sizes below 2', () => {
    const t = objectParam({ lr: 0 }, 'lr');
    assert.throws(
      () => new LinearCyclicalScheduler(t, 'lr', { startValue: 0, endValue: 1, cycleSize: 4, warmupDuration: 2 }),
      (e: unknown) => e instanceof RangeError && /warmupDuration > 0 and monotonic=False/.test(e.message),
    );
    assert.throws(
      () => new LinearCyclicalScheduler(t, 'lr', { startValue: 0, endValue: 1, cycleSize: 1 }),
      /Argument cycleSize should be positive and larger than 1, but given 1/,
    );
  });
});

describe('CosineAnnealingScheduler', () => {
  it('test_cosine_annealing_scheduler: 0 -> 1 over 4 events (Ignite doc output 0, 0.1464, 0.5, 0.8535)', () => {
    const got = values(CosineAnnealingScheduler.simulateValues(5, { startValue: 0, endValue: 1, cycleSize: 4 }));
    assertClose(got, [0, 0.14644660940672624, 0.5, 0.8535533905932737, 0], 1e-12);
  });

  it('matches the reference formula with multipliers (cycle sizes truncate like int())', () => {
    const o = { startValue: 0.1, endValue: 0.02, cycleSize: 20, cycleMult: 1.3, startValueMult: 0.7, endValueMult: 0.1 };
    assertClose(values(CosineAnnealingScheduler.simulateValues(150, o)), reference(150, o, cosine));
  });

  it('applies the cyclic warm-up from the end value to the next start value', () => {
    const o = { startValue: 1, endValue: 0, cycleSize: 4, warmupDuration: 2 };
    const got = values(CosineAnnealingScheduler.simulateValues(12, o));
    // cycle: 1, .854, .5, .146, then its end value 0, warm-up 0.5, next cycle starts at 1
    assertClose(got.slice(0, 7), [1, cosine(1, 0, 0.25), 0.5, cosine(1, 0, 0.75), 0, 0.5, 1], 1e-12);
    assertClose(got, reference(12, o, cosine));
    const g = { ...o, cycleMult: 2, startValueMult: 0.5 };
    assertClose(values(CosineAnnealingScheduler.simulateValues(40, g)), reference(40, g, cosine));
  });

  it('writes to its target and resumes from a JSON state dict like an uninterrupted run', () => {
    const o = { startValue: 0.5, endValue: 0.01, cycleSize: 5, cycleMult: 2, endValueMult: 0.5 };
    const a = { lr: 0 };
    const s1 = new CosineAnnealingScheduler(objectParam(a, 'lr'), 'lr', o);
    const seen: number[] = [];
    for (let i = 0; i < 7; i++) {
      s1.handle(null);
      seen.push(a.lr);
    }
    const sd = JSON.parse(JSON.stringify(s1.stateDict())) as Record<string, unknown>;
    assert.equal(sd['eventIndex'], 2);
    assert.equal(sd['cycle'], 1);
    const b = { lr: 0 };
    const s2 = new CosineAnnealingScheduler(objectParam(b, 'lr'), 'lr', { startValue: 9, endValue: 9, cycleSize: 2 });
    s2.loadStateDict(sd);
    for (let i = 0; i < 13; i++) {
      s2.handle(null);
      seen.push(b.lr);
    }
    assertClose(seen, reference(20, o, cosine));
  });

  it('loadStateDict names the missing attribute', () => {
    const s = new CosineAnnealingScheduler(objectParam({ lr: 0 }, 'lr'), 'lr', { startValue: 1, endValue: 0, cycleSize: 4 });
    assert.throws(() => s.loadStateDict({ eventIndex: 1 }), /Required state attribute 'paramName' is absent/);
    assert.throws(() => s.loadStateDict(null as unknown as Record<string, unknown>), TypeError);
  });
});
