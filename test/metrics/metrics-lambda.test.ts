// Port of Ignite's tests/ignite/metrics/test_metric.py operator tests (test_arithmetics, test_pow, test_indexing,
// test_getattr) on kindling's method forms: m.add(x) for m + x, m.rsub(x) for x - m, m.at(i) for m[i].
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Metric } from '../../src/metrics/index.js';

/** A metric whose result is the value given at construction (Ignite's tests use a ListGatherMetric-like stub). */
class Constant<T> extends Metric<T> {
  constructor(readonly value: T) { super(); }
  reset(): void {}
  update(): void {}
  compute(): T { return this.value; }
}

describe('Metric operators (MetricsLambda composition)', () => {
  it('test_arithmetics: add, sub, mul, div, pow, mod, floordiv and their reversed forms', () => {
    const m = new Constant(7);
    const cases: [Metric, number][] = [
      [m.add(2), 9], [m.radd(2), 9], [m.sub(2), 5], [m.rsub(2), -5], [m.mul(3), 21], [m.rmul(3), 21],
      [m.div(2), 3.5], [m.rdiv(14), 2], [m.pow(2), 49], [m.rpow(2), 128],
      [m.mod(3), 1], [m.rmod(10), 3], [new Constant(-7).mod(3), 2], [new Constant(7).mod(-3), -2],
      [m.floordiv(2), 3], [new Constant(-7).floordiv(2), -4], [m.rfloordiv(50), 7],
      [m.add(new Constant(1)).mul(2), 16],
    ];
    for (const [metric, expected] of cases) assert.equal(metric.compute(), expected);
  });

  it('test_abs / test_indexing / test_getattr: abs, at(i), mean, sum, max, min, item on array results', () => {
    const v = new Constant([[-1, 2], [3, -4]]);
    assert.deepEqual(v.abs().compute(), [[1, 2], [3, 4]]);
    assert.deepEqual(v.at(1).compute(), [3, -4]);
    assert.equal(v.at(-1).at(0).compute(), 3);
    assert.equal(v.sum().compute(), 0);
    assert.equal(v.mean().compute(), 0);
    assert.equal(v.max().compute(), 3);
    assert.equal(v.min().compute(), -4);
    assert.equal(new Constant([[5]]).item().compute(), 5);
    assert.throws(() => v.item().compute(), /exactly one number, got 4/);
    assert.throws(() => v.at(5).compute(), RangeError);
    assert.throws(() => new Constant(3).at(0).compute(), /cannot be indexed/);
  });
});
