import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RandomGenerator, type GeneratorState } from '../../src/random/index.js';

/** Independent xoshiro128** reference written with BigInt arithmetic (from the published C code). */
function referenceXoshiro(state: GeneratorState, count: number): number[] {
  const M = 0xffffffffn;
  const s = state.map((v) => BigInt(v));
  const rotl = (x: bigint, k: bigint): bigint => ((x << k) | (x >> (32n - k))) & M;
  const out: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const [s0, s1, s2, s3] = s as [bigint, bigint, bigint, bigint];
    out.push(Number((rotl((s1 * 5n) & M, 7n) * 9n) & M));
    const t = (s1 << 9n) & M;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    const n1 = s1 ^ n2;
    const n0 = s0 ^ n3;
    s[0] = n0;
    s[1] = n1;
    s[2] = n2 ^ t;
    s[3] = rotl(n3, 11n);
  }
  return out;
}

describe('RandomGenerator', () => {
  it('matches an independent BigInt implementation of xoshiro128**', () => {
    for (const state of [[1, 2, 3, 4], [0xffffffff, 0, 0x12345678, 0x9abcdef0]] as GeneratorState[]) {
      const g = new RandomGenerator().setState(state);
      const got = Array.from({ length: 200 }, () => g.nextUint32());
      assert.deepEqual(got, referenceXoshiro(state, 200));
    }
  });

  it('same seed gives the same sequence; different seeds and streams differ', () => {
    const seq = (seed: number, stream = 0): number[] => {
      const g = new RandomGenerator(seed, stream);
      return Array.from({ length: 8 }, () => g.nextUint32());
    };
    assert.deepEqual(seq(42), seq(42));
    assert.notDeepEqual(seq(42), seq(43));
    assert.notDeepEqual(seq(42), seq(42, 1));
    assert.notDeepEqual(seq(2 ** 40), seq(0));
    assert.deepEqual(new RandomGenerator(5).manualSeed(9).getState(), new RandomGenerator(9).getState());
  });

  it('random() is in [0, 1) with mean about 1/2 and uses 53 bits', () => {
    const g = new RandomGenerator(1);
    let sum = 0;
    let fine = 0;
    for (let i = 0; i < 20000; i += 1) {
      const u = g.random();
      assert.ok(u >= 0 && u < 1);
      sum += u;
      if (u * 2 ** 32 !== Math.floor(u * 2 ** 32)) fine += 1;
    }
    assert.ok(Math.abs(sum / 20000 - 0.5) < 0.01);
    assert.ok(fine > 19000, 'values should have more than 32 bits of precision');
  });

  it('randint is in range and roughly uniform (chi-square)', () => {
    const g = new RandomGenerator(3);
    const counts = new Array<number>(7).fill(0);
    const n = 70000;
    for (let i = 0; i < n; i += 1) {
      const v = g.randint(-3, 4);
      assert.ok(Number.isInteger(v) && v >= -3 && v < 4);
      counts[v + 3] = (counts[v + 3] ?? 0) + 1;
    }
    const expected = n / 7;
    const chi2 = counts.reduce((a, c) => a + (c - expected) ** 2 / expected, 0);
    assert.ok(chi2 < 22.46, `chi2=${chi2} (p=0.001 critical value for 6 dof is 22.46)`);
    assert.throws(() => g.randint(2, 2), RangeError);
    assert.throws(() => g.randint(0, 2 ** 33), RangeError);
  });

  it('permutation returns every index once, each position uniformly', () => {
    const g = new RandomGenerator(11);
    const firsts = new Array<number>(5).fill(0);
    for (let i = 0; i < 5000; i += 1) {
      const p = g.permutation(5);
      assert.deepEqual([...p].sort(), [0, 1, 2, 3, 4]);
      firsts[p[0] as number] = (firsts[p[0] as number] ?? 0) + 1;
    }
    for (const c of firsts) assert.ok(Math.abs(c - 1000) < 150, `first-position counts ${firsts.join(',')}`);
    assert.deepEqual(g.permutation(0), []);
    assert.throws(() => g.permutation(-1), RangeError);
  });

  it('state survives a JSON round trip; clone is independent', () => {
    const g = new RandomGenerator(7);
    g.nextUint32();
    const saved = JSON.parse(JSON.stringify(g.getState())) as GeneratorState;
    const clone = g.clone();
    const a = [g.random(), g.random()];
    assert.deepEqual([clone.random(), clone.random()], a);
    g.setState(saved);
    assert.deepEqual([g.random(), g.random()], a);
  });

  it('rejects bad seeds and states', () => {
    assert.throws(() => new RandomGenerator(1.5), RangeError);
    assert.throws(() => new RandomGenerator('1' as unknown as number), TypeError);
    const g = new RandomGenerator(1);
    assert.throws(() => g.setState([0, 0, 0, 0]), /not all zero/);
    assert.throws(() => g.setState([1, 2, 3] as unknown as GeneratorState), TypeError);
    assert.throws(() => g.setState([1, 2, 3, 2 ** 32]), TypeError);
  });
});
