/**
 * Tests of src/metrics/nlp/bleu.ts against NLTK's bleu_score (fixtures/nlp.py writes fixtures/nlp.json), Ignite's
 * documented example, and Ignite's definitions where they differ from NLTK (short hypotheses).
 */
import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { Engine, silentLogger } from '../../src/engine/index.js';
import { NotComputableError } from '../../src/errors.js';
import { Bleu, type BleuAverage, type BleuSmooth, type TokenSequence } from '../../src/metrics/nlp/index.js';
import type { SyncedState } from '../../src/metrics/internal/sync.js';
import { close, useCpu } from './reference.js';

before(useCpu);

interface Batch {
  candidates: TokenSequence[];
  references: TokenSequence[][];
}
interface Fixture {
  corpora: { name: string; batches: Batch[] }[];
  bleu: { corpus: number; ngram: number; smooth: BleuSmooth; average: BleuAverage; expected: number }[];
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/nlp.json', import.meta.url), 'utf8')) as Fixture;
const split = (s: string): string[] => s.split(' ');

function batchesOf(corpus: number): Batch[] {
  const c = fixture.corpora[corpus];
  assert.ok(c, `corpus ${corpus}`);
  return c.batches;
}

/** Simulates a 2-rank job: adds rank b's declared state into rank a's, as `compute()`'s all-reduce would. */
function reduceInto(a: Bleu, b: Bleu): void {
  const state = (m: Bleu): SyncedState[] => (m as unknown as { syncedState(): SyncedState[] }).syncedState();
  const fa = state(a);
  const fb = state(b);
  assert.equal(fa.length, fb.length);
  fa.forEach((f, i) => {
    assert.equal(f.op, 'SUM');
    f.set((f.get() as number) + (fb[i]?.get() as number));
  });
}

describe('Bleu against NLTK (fixtures/nlp.json)', () => {
  it('every ngram / smooth / average case, fed in batches of different sizes', () => {
    assert.ok(fixture.bleu.length >= 100);
    for (const { corpus, ngram, smooth, average, expected } of fixture.bleu) {
      const m = new Bleu({ ngram, smooth, average });
      for (const { candidates, references } of batchesOf(corpus)) m.update([candidates, references]);
      close(m.compute(), expected, 1e-9, `corpus ${corpus} ngram ${ngram} ${smooth} ${average}`);
    }
  });

  it('attached to an Engine, each epoch gives the same value (reset on EPOCH_STARTED), leak-free', async () => {
    const cases = fixture.bleu.filter((c) => c.corpus === 1 && c.ngram === 4 && c.smooth === 'smooth1');
    assert.equal(cases.length, 2);
    for (const { average, expected } of cases) {
      const seen: number[] = [];
      const engine = new Engine((_e, b: Batch) => ({ yPred: b.candidates, y: b.references }), { logger: silentLogger });
      new Bleu({ smooth: 'smooth1', average }).attach(engine, 'bleu');
      engine.on('epoch_completed', (e) => void seen.push(e.state.metrics['bleu'] as number));
      const n = tf.memory().numTensors;
      await engine.run(batchesOf(1), { maxEpochs: 2 });
      assert.equal(tf.memory().numTensors, n);
      assert.equal(seen.length, 2);
      for (const v of seen) close(v, expected, 1e-9, average);
    }
  });

  it("usage 'batch_wise' computes each batch on its own", async () => {
    const batches = batchesOf(0);
    const seen: number[] = [];
    const engine = new Engine((_e, b: Batch) => [b.candidates, b.references], { logger: silentLogger });
    new Bleu({ average: 'micro', ngram: 2 }).attach(engine, 'bleu', { usage: 'batch_wise' });
    engine.on('iteration_completed', (e) => void seen.push(e.state.metrics['bleu'] as number));
    await engine.run(batches, { maxEpochs: 1 });
    assert.equal(seen.length, batches.length);
    seen.forEach((v, i) => {
      const one = new Bleu({ average: 'micro', ngram: 2 });
      one.update([batches[i]!.candidates, batches[i]!.references]);
      assert.equal(v, one.compute());
    });
    assert.ok(new Set(seen).size > 1, 'different batches give different scores');
  });

  it('distributed: the declared state of two ranks adds up to the one-process result (macro and micro)', () => {
    for (const average of ['macro', 'micro'] as const) {
      const [whole, rank0, rank1] = [0, 1, 2].map(() => new Bleu({ ngram: 3, smooth: 'nist_smooth', average })) as [Bleu, Bleu, Bleu];
      batchesOf(1).forEach(({ candidates, references }, i) => {
        whole.update([candidates, references]);
        (i % 2 === 0 ? rank0 : rank1).update([candidates, references]);
      });
      const expected = whole.compute();
      assert.notEqual(rank0.compute(), expected);
      reduceInto(rank0, rank1);
      close(rank0.compute(), expected, 1e-12, average);
    }
  });
});

describe('Bleu known answers', () => {
  const refs = ['the cat is on the mat', 'there is a cat on the mat'].map(split);

  it("Ignite's documented example: Bleu(ngram=4, smooth='smooth1') of 'the the the ...' is 0.0393", () => {
    const m = new Bleu({ ngram: 4, smooth: 'smooth1' });
    m.update([[split('the the the the the the the')], [refs]]);
    assert.ok(Math.abs(m.compute() - 0.0393) < 5e-5, String(m.compute()));
  });

  it("NLTK's corpus_bleu doc example: micro 0.5920..., macro (mean of sentence_bleu) 0.6223...", () => {
    const hyp1 = split('It is a guide to action which ensures that the military always obeys the commands of the party');
    const ref1a = split('It is a guide to action that ensures that the military will forever heed Party commands');
    const ref1b = split('It is the guiding principle which guarantees the military forces always being under the command of the Party');
    const ref1c = split('It is the practical guide for the army always to heed the directions of the party');
    const hyp2 = split('he read the book because he was interested in world history');
    const ref2a = split('he was interested in world history because he read the book');
    const micro = new Bleu({ average: 'micro' });
    const macro = new Bleu();
    for (const m of [micro, macro]) {
      m.update([[hyp1], [[ref1a, ref1b, ref1c]]]);
      m.update([[hyp2], [[ref2a]]]);
    }
    // NLTK's doctest prints the leading digits with an ellipsis
    assert.match(String(micro.compute()), /^0\.5920/);
    assert.match(String(macro.compute()), /^0\.6223/);
  });

  it("micro sums the raw n-gram counts and clips the total to 1 (Ignite; NLTK clips each sentence's)", () => {
    // order 2: 'a b c' has 2 bigrams, both matching; 'a' has none. Ignite: 2/2; NLTK: 2/(2+1).
    const m = new Bleu({ ngram: 2, smooth: 'smooth1', average: 'micro' });
    m.update([[split('a b c'), ['a']], [[split('a b c')], [['a']]]]);
    assert.equal(m.compute(), 1);
  });

  it("smooth2 adds 1 to empty orders as is, nltk_smooth2 clips their count to 1 first", () => {
    const out = [[['a']], [[['a']]]] as const;
    const s2 = new Bleu({ ngram: 2, smooth: 'smooth2' });
    const n2 = new Bleu({ ngram: 2, smooth: 'nltk_smooth2' });
    s2.update(out);
    n2.update(out);
    assert.equal(s2.compute(), 1); // sqrt(1/1 * (0+1)/(0+1))
    close(n2.compute(), Math.sqrt(0.5), 1e-12); // sqrt(1/1 * (0+1)/(1+1))
  });

  it('no_smooth gives 0 as soon as one order has no match; brevity penalty exp(1 - r/c)', () => {
    const m = new Bleu({ ngram: 2 });
    m.update([[split('a c')], [[split('a b c')]]]);
    assert.equal(m.compute(), 0);
    const bp = new Bleu({ ngram: 1 });
    bp.update([[split('a b')], [[split('a b c d')]]]);
    close(bp.compute(), Math.exp(1 - 4 / 2), 1e-12);
  });

  it('number tokens (token ids) are tokens; 1 and "1" differ', () => {
    const m = new Bleu({ ngram: 1 });
    m.update([[[1, 2, 3, 4]], [[[1, 2, 3, 4]]]]);
    assert.equal(m.compute(), 1);
    const mixed = new Bleu({ ngram: 1 });
    mixed.update([[[1, 2]], [[['1', '2']]]]);
    assert.equal(mixed.compute(), 0);
  });

  it('the closest reference length breaks ties towards the shorter reference', () => {
    // hypothesis of 3 tokens, references of 2 and 4 tokens: r = 2, so no brevity penalty (c > r)
    const m = new Bleu({ ngram: 1, average: 'micro' });
    m.update([[split('a b c')], [[split('a b'), split('a b c d')]]]);
    assert.equal(m.compute(), 1);
  });
});

describe('Bleu errors', () => {
  it("Ignite's argument errors (RangeError / TypeError)", () => {
    assert.throws(() => new Bleu({ ngram: 0 }), { name: 'RangeError', message: /ngram order must be greater than zero/ });
    assert.throws(() => new Bleu({ ngram: 1.5 }), RangeError);
    assert.throws(() => new Bleu({ ngram: '4' as unknown as number }), TypeError);
    assert.throws(() => new Bleu({ smooth: 'fake' as BleuSmooth }), { name: 'RangeError', message: /Smooth is not valid/ });
    assert.throws(() => new Bleu({ average: 'macros' as BleuAverage }), /Average must be either "macro" or "micro"/);
  });

  it('NotComputableError before any update, in both averaging modes', () => {
    assert.throws(() => new Bleu().compute(), NotComputableError);
    assert.throws(() => new Bleu({ average: 'micro' }).compute(), NotComputableError);
  });

  it('bad inputs say what was expected and how to fix it', () => {
    const m = new Bleu();
    const refs = [[split('a b')]];
    assert.throws(() => m.update([[split('a b'), split('c')], refs]), {
      name: 'RangeError',
      message: /nb of candidates should be equal to nb of reference lists \(2 != 1\)/,
    });
    assert.throws(() => m.update([[split('a b')], [split('a b')]]), { name: 'TypeError', message: /Wrap a single reference/ });
    assert.throws(() => m.update([['a b'], refs]), { name: 'TypeError', message: /yPred\[0\].*Split each sentence/ });
    assert.throws(() => m.update([[['a', null]], refs]), { name: 'TypeError', message: /strings or finite numbers/ });
    assert.throws(() => m.update([[split('a')], [[]]]), { name: 'RangeError', message: /at least one reference/ });
    assert.throws(() => m.update(split('a b')), TypeError);
    assert.throws(() => m.update([tf.tensor1d([1]), refs]), /yPred should be a list of candidates/);
    assert.throws(() => m.compute(), NotComputableError, 'a rejected batch leaves no state');
  });
});
