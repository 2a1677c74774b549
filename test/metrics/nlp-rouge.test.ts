/**
 * Tests of src/metrics/nlp/rouge.ts against the independent ROUGE reference of fixtures/nlp.py (written from Lin
 * 2004's definitions), Ignite's documented examples and Ignite's test cases.
 */
import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { Engine, silentLogger } from '../../src/engine/index.js';
import { NotComputableError } from '../../src/errors.js';
import { Rouge, RougeL, RougeN, type RougeMultiref, type RougeScores, type TokenSequence } from '../../src/metrics/index.js';
import type { Metric } from '../../src/metrics/metric.js';
import type { SyncedState } from '../../src/metrics/internal/sync.js';
import { close, useCpu } from './reference.js';

before(useCpu);

interface Batch {
  candidates: TokenSequence[];
  references: TokenSequence[][];
}
interface Fixture {
  corpora: { name: string; batches: Batch[] }[];
  rouge: { corpus: number; multiref: RougeMultiref; alpha: number; expected: RougeScores }[];
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/nlp.json', import.meta.url), 'utf8')) as Fixture;
const split = (s: string): string[] => s.split(' ');
const chars = (s: string): string[] => [...s];

function batchesOf(corpus: number): Batch[] {
  const c = fixture.corpora[corpus];
  assert.ok(c, `corpus ${corpus}`);
  return c.batches;
}

function closeScores(actual: RougeScores, expected: RougeScores, tol: number, what: string): void {
  assert.deepEqual(Object.keys(actual), Object.keys(expected), what);
  for (const [k, v] of Object.entries(expected)) close(actual[k], v, tol, `${what} ${k}`);
}

function pick(scores: RougeScores, prefix: string): RougeScores {
  return Object.fromEntries(Object.entries(scores).filter(([k]) => k.startsWith(`${prefix}-`)));
}

/** Simulates a 2-rank job: adds rank b's declared state into rank a's, as `compute()`'s all-reduce would. */
function reduceInto(a: Metric, b: Metric): void {
  const state = (m: Metric): SyncedState[] => (m as unknown as { syncedState(): SyncedState[] }).syncedState();
  const fb = state(b);
  state(a).forEach((f, i) => {
    assert.equal(f.op, 'SUM');
    f.set((f.get() as number) + (fb[i]?.get() as number));
  });
}

describe('Rouge, RougeN, RougeL against the reference (fixtures/nlp.json)', () => {
  it('every corpus / multiref / alpha case, fed in batches of different sizes', () => {
    assert.ok(fixture.rouge.length >= 32);
    for (const { corpus, multiref, alpha, expected } of fixture.rouge) {
      const what = `corpus ${corpus} ${multiref} alpha ${alpha}`;
      const all = new Rouge({ variants: [1, 2, 3, 4, 'L'], multiref, alpha });
      const r2 = new RougeN({ ngram: 2, multiref, alpha });
      const rl = new RougeL({ multiref, alpha });
      for (const { candidates, references } of batchesOf(corpus)) {
        for (const m of [all, r2, rl]) m.update([candidates, references]);
      }
      closeScores(all.compute(), expected, 1e-12, what);
      closeScores(r2.compute(), pick(expected, 'Rouge-2'), 1e-12, what);
      closeScores(rl.compute(), pick(expected, 'Rouge-L'), 1e-12, what);
    }
  });

  it('attached to an Engine: the keys land in state.metrics and under the name, each epoch the same, leak-free', async () => {
    const { corpus, expected } = fixture.rouge.find((c) => c.multiref === 'best' && c.alpha === 0.5)!;
    const engine = new Engine((_e, b: Batch) => ({ yPred: b.candidates, y: b.references }), { logger: silentLogger });
    new Rouge({ variants: [1, 2, 3, 4, 'L'], multiref: 'best', alpha: 0.5 }).attach(engine, 'rouge');
    const seen: number[] = [];
    engine.on('epoch_completed', (e) => void seen.push(e.state.metrics['Rouge-L-F'] as number));
    const n = tf.memory().numTensors;
    const state = await engine.run(batchesOf(corpus), { maxEpochs: 2 });
    assert.equal(tf.memory().numTensors, n);
    closeScores(state.metrics['rouge'] as RougeScores, expected, 1e-12, 'named');
    for (const [k, v] of Object.entries(expected)) close(state.metrics[k], v, 1e-12, k);
    assert.equal(seen.length, 2);
    assert.equal(seen[0], seen[1]);
  });

  it("usage 'batch_wise' and metricsResultMode 'named'", async () => {
    const batches = batchesOf(0);
    const engine = new Engine((_e, b: Batch) => [b.candidates, b.references], { logger: silentLogger });
    new RougeL({ metricsResultMode: 'named' }).attach(engine, 'rl', 'batch_wise');
    const seen: RougeScores[] = [];
    engine.on('iteration_completed', (e) => void seen.push(e.state.metrics['rl'] as RougeScores));
    const state = await engine.run(batches, { maxEpochs: 1 });
    assert.equal('Rouge-L-R' in state.metrics, false);
    assert.equal(seen.length, batches.length);
    seen.forEach((v, i) => {
      const one = new RougeL();
      one.update([batches[i]!.candidates, batches[i]!.references]);
      assert.deepEqual(v, one.compute());
    });
  });

  it('distributed: the declared state of two ranks adds up to the one-process result', () => {
    const make = (): RougeN => new RougeN({ ngram: 1, multiref: 'best', alpha: 0.3 });
    const [whole, rank0, rank1] = [make(), make(), make()];
    batchesOf(3).forEach(({ candidates, references }, i) => {
      whole.update([candidates, references]);
      (i % 2 === 0 ? rank0 : rank1).update([candidates, references]);
    });
    const expected = whole.compute();
    assert.notDeepEqual(rank0.compute(), expected);
    reduceInto(rank0, rank1);
    closeScores(rank0.compute(), expected, 1e-12, 'reduced');
  });
});

describe('Rouge known answers (Ignite)', () => {
  const candidate = split('the cat is not there');
  const refs = ['the cat is on the mat', 'there is a cat on the mat'].map(split);

  it("the documented examples of RougeN, RougeL and Rouge (multiref 'best')", () => {
    const rn = new RougeN({ ngram: 2, multiref: 'best' });
    const rl = new RougeL({ multiref: 'best' });
    const r = new Rouge({ variants: ['L', 2], multiref: 'best' });
    for (const m of [rn, rl, r]) m.update([[candidate], [refs]]);
    assert.deepEqual(rn.compute(), { 'Rouge-2-P': 0.5, 'Rouge-2-R': 0.4, 'Rouge-2-F': 0.4 });
    assert.deepEqual(rl.compute(), { 'Rouge-L-P': 0.6, 'Rouge-L-R': 0.5, 'Rouge-L-F': 0.5 });
    assert.deepEqual(Object.entries(r.compute()), [
      ['Rouge-L-P', 0.6], ['Rouge-L-R', 0.5], ['Rouge-L-F', 0.5],
      ['Rouge-2-P', 0.5], ['Rouge-2-R', 0.4], ['Rouge-2-F', 0.4],
    ]);
  });

  it('test_compute_ngram_scores: precision and recall of single pairs', () => {
    const cases: [string, string, number, number, number][] = [
      ['', '', 1, 0, 0],
      ['abc', 'ab', 1, 2 / 3, 2 / 2],
      ['abc', 'ab', 2, 1 / 2, 1 / 1],
      ['abc', 'ab', 3, 0, 0],
      ['ab', 'abc', 1, 2 / 2, 2 / 3],
      ['ab', 'cde', 1, 0 / 2, 0 / 3],
      ['aab', 'aace', 1, 2 / 3, 2 / 4],
      ['aa', 'aaa', 1, 2 / 2, 2 / 3],
      ['aaa', 'aa', 1, 2 / 3, 2 / 2],
    ];
    for (const [cand, ref, n, p, r] of cases) {
      const m = new RougeN({ ngram: n });
      m.update([[chars(cand)], [[chars(ref)]]]);
      const s = m.compute();
      close(s[`Rouge-${n}-P`], p, 1e-12, `${cand}/${ref}/${n} P`);
      close(s[`Rouge-${n}-R`], r, 1e-12, `${cand}/${ref}/${n} R`);
    }
  });

  it('test_rouge_n_alpha: F = P * R / ((1 - alpha) * P + alpha * R)', () => {
    const cases: [number, TokenSequence, TokenSequence, number, number][] = [
      [1, [1, 2, 3], [1, 2], 2 / 3, 2 / 2],
      [2, [1, 2, 3], [1, 2], 1 / 2, 1 / 1],
      [1, chars('abcdef'), chars('zbdfz'), 3 / 6, 3 / 5],
      [2, chars('abcdef'), chars('zbdfz'), 0, 0],
    ];
    for (const [ngram, cand, ref, p, r] of cases) {
      for (const alpha of [0, 1, 0.3, 0.5, 0.8]) {
        const m = new RougeN({ ngram, alpha });
        m.update([[cand], [[ref]]]);
        const s = m.compute();
        const f = p * r === 0 ? 0 : (p * r) / ((1 - alpha) * p + alpha * r);
        close(s[`Rouge-${ngram}-P`], p, 1e-12);
        close(s[`Rouge-${ngram}-R`], r, 1e-12);
        close(s[`Rouge-${ngram}-F`], f, 1e-12, `alpha ${alpha}`);
      }
    }
  });

  it("default variants are [1, 2, 4, 'L']; 'average' sums over the references, a candidate without any scores 0", () => {
    const m = new Rouge();
    m.update([[candidate], [refs]]);
    assert.deepEqual(Object.keys(m.compute()).filter((k) => k.endsWith('-P')), ['Rouge-1-P', 'Rouge-2-P', 'Rouge-4-P', 'Rouge-L-P']);
    const avg = new RougeL();
    avg.update([[split('a b c'), split('a b')], [[split('a b c'), split('a x')], []]]);
    // candidate 1: LCS 3 and 1 -> P = 4 / 6, R = 4 / 5; candidate 2 has no reference: 0
    closeScores(avg.compute(), { 'Rouge-L-P': 4 / 6 / 2, 'Rouge-L-R': 4 / 5 / 2, 'Rouge-L-F': 4 / 5 / 2 }, 1e-12, 'avg');
  });
});

describe('Rouge errors', () => {
  it("Ignite's argument errors", () => {
    assert.throws(() => new RougeN({ ngram: 0 }), { name: 'RangeError', message: /ngram order must be greater than zero/ });
    assert.throws(() => new RougeN({ alpha: -1 }), { name: 'RangeError', message: /alpha must be in interval \[0, 1\]/ });
    assert.throws(() => new RougeN({ alpha: 2 }), /alpha must be in interval \[0, 1\]/);
    assert.throws(() => new RougeL({ alpha: Number.NaN }), RangeError);
    assert.throws(() => new RougeN({ multiref: '' as RougeMultiref }), /multiref : valid values are \['best', 'average'\]/);
    assert.throws(() => new Rouge({ variants: ['error' as 'L'] }), { name: 'RangeError', message: /variant must be 'L' or integer greater to zero/ });
    assert.throws(() => new Rouge({ variants: [0] }), RangeError);
    assert.throws(() => new Rouge({ variants: [true as unknown as number] }), TypeError);
    assert.throws(() => new Rouge({ multiref: 'unknown' as RougeMultiref }), RangeError);
  });

  it('NotComputableError before any update', () => {
    assert.throws(() => new RougeL().compute(), NotComputableError);
    assert.throws(() => new Rouge().compute(), NotComputableError);
  });

  it('bad inputs say what was expected and how to fix it, and leave no state', () => {
    const m = new Rouge({ multiref: 'best' });
    assert.throws(() => m.update([[split('a b')], [[split('a')], [split('b')]]]), /nb of candidates should be equal/);
    assert.throws(() => m.update([[split('a b')], [split('a b')]]), { name: 'TypeError', message: /Wrap a single reference/ });
    assert.throws(() => m.update([['a b'], [[split('a b')]]]), /Split each sentence/);
    assert.throws(() => m.update([[split('a'), split('b')], [[split('a')], []]]), { name: 'RangeError', message: /y\[1\].*multiref 'best'/ });
    assert.throws(() => m.compute(), NotComputableError);
  });
});
