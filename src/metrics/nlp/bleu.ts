/**
 * @module Port of ignite/metrics/nlp/bleu.py (`Bleu`). Deviations: inputs are validated (a candidate list and a
 * reference list of different lengths, or a candidate without references, raise in both averaging modes; Ignite
 * checks the lengths for micro averaging only); micro averaging raises NotComputableError before any update
 * (Ignite returns 0); `smooth: 'nist_smooth'` (NLTK's method3, NIST geometric smoothing) is a kindling addition;
 * no `device` option: the counts are JavaScript numbers (float64) and no tensor is created.
 */

import { NotComputableError } from '../../errors.js';
import { Metric, type MetricOptions } from '../metric.js';
import { syncedNumber, type SyncedState } from '../internal/sync.js';
import { checkNgram, modifiedPrecision, parseNlpOutput, type TokenSequence } from './tokens.js';

/**
 * Bleu's smoothing (Chen and Cherry 2014): `'no_smooth'` (0 as soon as one order has no match), `'smooth1'`
 * (0.1 matches for an order without match, NLTK's method1), `'nltk_smooth2'` (add 1 to the counts of orders >= 2
 * after clipping empty denominators to 1, NLTK's method2), `'smooth2'` (add 1 to the counts of orders >= 2),
 * `'nist_smooth'` (1 / (2^k * count) for the k-th order without match, NLTK's method3; kindling only).
 */
export type BleuSmooth = 'no_smooth' | 'smooth1' | 'nltk_smooth2' | 'smooth2' | 'nist_smooth';

/**
 * Bleu's averaging: `'macro'` averages the sentence-level scores (NLTK's `sentence_bleu`), `'micro'` sums the
 * counts of all sentences into one corpus-level score (NLTK's `corpus_bleu`).
 */
export type BleuAverage = 'macro' | 'micro';

/**
 * Options of {@link Bleu}.
 */
export interface BleuOptions extends MetricOptions {
  /** The maximum n-gram order; the orders 1..ngram have the same weight. @defaultValue 4 */
  ngram?: number;
  /** The smoothing. @defaultValue 'no_smooth' */
  smooth?: BleuSmooth;
  /** Sentence-level (`'macro'`) or corpus-level (`'micro'`) BLEU. @defaultValue 'macro' */
  average?: BleuAverage;
}

const SMOOTHS: readonly string[] = ['no_smooth', 'smooth1', 'nltk_smooth2', 'smooth2', 'nist_smooth'];
const AVERAGES: readonly string[] = ['macro', 'micro'];

/** Corpus counts: matches and candidate n-grams per order (index 0 is order 1), and the two lengths. */
interface Counts {
  num: number[];
  den: number[];
  hyp: number;
  ref: number;
}

/**
 * The BLEU score (Papineni et al. 2002): the geometric mean of the modified n-gram precisions of the orders
 * 1..ngram times a brevity penalty. `update([candidates, references])` takes tokenized sentences: `candidates` is
 * `string[][]` (one token list per sentence) and `references` is `string[][][]` (the list of references of each
 * candidate). `compute()` returns a number in [0, 1].
 *
 * @example
 * ```ts
 * // Ignite's documented example: 0.0393 (rounded)
 * const m = new Bleu({ ngram: 4, smooth: 'smooth1' });
 * const refs = ['the cat is on the mat', 'there is a cat on the mat'].map((s) => s.split(' '));
 * m.update([['the the the the the the the'.split(' ')], [refs]]);
 * m.compute();
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.Bleu.html
 */
export class Bleu extends Metric<number> {
  readonly #order: number;
  readonly #smooth: BleuSmooth;
  readonly #average: BleuAverage;
  #sumOfBleu = 0;
  #numSentences = 0;
  #counts: Counts;

  /**
   * @param options - `ngram`, `smooth`, `average` and the common metric options.
   * @throws RangeError when `ngram` is not a positive integer, or `smooth` / `average` is not a valid name;
   * TypeError when `ngram` is not a number.
   */
  constructor(options: BleuOptions = {}) {
    const { ngram = 4, smooth = 'no_smooth', average = 'macro', ...rest } = options;
    super(rest);
    this.#order = checkNgram(ngram);
    if (!SMOOTHS.includes(smooth)) {
      throw new RangeError(`Smooth is not valid (expected: [${SMOOTHS.join(', ')}], got: ${String(smooth)})`);
    }
    if (!AVERAGES.includes(average)) {
      throw new RangeError(`Average must be either "macro" or "micro" (got: ${String(average)})`);
    }
    this.#smooth = smooth;
    this.#average = average;
    this.#counts = this.#emptyCounts();
  }

  #emptyCounts(): Counts {
    return { num: new Array<number>(this.#order).fill(0), den: new Array<number>(this.#order).fill(0), hyp: 0, ref: 0 };
  }

  /**
   * Ignite's `@sync_all_reduce`: macro sums the sentence scores and counts the sentences; micro sums the n-gram
   * counts and the lengths.
   *
   * @returns the declarations.
   */
  protected override syncedState(): SyncedState[] {
    const fields = [syncedNumber(() => this.#numSentences, (v) => { this.#numSentences = v; })];
    if (this.#average === 'macro') {
      return [...fields, syncedNumber(() => this.#sumOfBleu, (v) => { this.#sumOfBleu = v; })];
    }
    const c = this.#counts;
    for (const arr of [c.num, c.den]) {
      arr.forEach((_, i) => fields.push(syncedNumber(() => arr[i] ?? 0, (v) => { arr[i] = v; })));
    }
    fields.push(syncedNumber(() => c.hyp, (v) => { c.hyp = v; }));
    fields.push(syncedNumber(() => c.ref, (v) => { c.ref = v; }));
    return fields;
  }

  /** Clears the accumulated scores and counts. */
  reset(): void {
    this.#sumOfBleu = 0;
    this.#numSentences = 0;
    this.#counts = this.#emptyCounts();
  }

  /**
   * Adds a batch of sentences.
   *
   * @param output - `[candidates, references]`: `string[][]` and `string[][][]` (or number token ids).
   * @returns nothing.
   * @throws TypeError for malformed inputs; RangeError when the two lists differ in length or a candidate has no
   * reference.
   */
  update(output: unknown): void {
    const [candidates, references] = parseNlpOutput(output, 'Bleu');
    references.forEach((refs, i) => {
      if (refs.length === 0) {
        throw new RangeError(`Bleu: y[${i}] should contain at least one reference for yPred[${i}], but given none.`);
      }
    });
    candidates.forEach((hyp, i) => {
      const refs = references[i] ?? [];
      if (this.#average === 'macro') {
        const counts = this.#emptyCounts();
        this.#count(counts, refs, hyp);
        this.#sumOfBleu += this.#score(counts);
      } else {
        this.#count(this.#counts, refs, hyp);
      }
      this.#numSentences += 1;
    });
  }

  #count(counts: Counts, refs: readonly TokenSequence[], hyp: TokenSequence): void {
    for (let n = 1; n <= this.#order; n++) {
      const [num, den] = modifiedPrecision(refs, hyp, n);
      counts.num[n - 1] = (counts.num[n - 1] ?? 0) + num;
      counts.den[n - 1] = (counts.den[n - 1] ?? 0) + den;
    }
    counts.hyp += hyp.length;
    counts.ref += closestRefLength(refs, hyp.length);
  }

  /** BLEU of the counts: brevity penalty times the geometric mean of the smoothed precisions. */
  #score(c: Counts): number {
    if ((c.num[0] ?? 0) === 0) return 0;
    if (this.#smooth === 'no_smooth' && Math.min(...c.num) === 0) return 0;
    let bp = 1;
    if (c.hyp < c.ref) bp = c.hyp > 0 ? Math.exp(1 - c.ref / c.hyp) : 0;
    const p = smoothPrecisions(this.#smooth, c.num, c.den);
    const logMean = p.reduce((s, pi) => s + Math.log(pi), 0) / this.#order;
    return bp * Math.exp(logMean);
  }

  /**
   * The BLEU score.
   *
   * @returns the mean sentence BLEU (macro) or the corpus BLEU (micro).
   * @throws {@link NotComputableError} before any update.
   */
  compute(): number {
    if (this.#numSentences === 0) {
      throw new NotComputableError('Bleu must have at least one example before it can be computed.');
    }
    return this.#average === 'macro' ? this.#sumOfBleu / this.#numSentences : this.#score(this.#counts);
  }
}

/** The reference length closest to the hypothesis length, the shorter one on ties. */
function closestRefLength(refs: readonly TokenSequence[], hypLen: number): number {
  let best = Infinity;
  for (const r of refs) {
    const d = Math.abs(r.length - hypLen) - Math.abs(best - hypLen);
    if (d < 0 || (d === 0 && r.length < best)) best = r.length;
  }
  return best;
}

/**
 * The smoothed precisions of the orders 1..N (Chen and Cherry 2014; NLTK's SmoothingFunction).
 *
 * @param smooth - the method.
 * @param num - matches per order.
 * @param den - candidate n-grams per order.
 * @returns one precision per order.
 */
function smoothPrecisions(smooth: BleuSmooth, num: readonly number[], den: readonly number[]): number[] {
  const clipped = den.map((d) => Math.max(1, d));
  switch (smooth) {
    case 'no_smooth':
      return num.map((n, i) => n / (clipped[i] ?? 1));
    case 'smooth1':
      return num.map((n, i) => (n === 0 ? 0.1 : n) / (clipped[i] ?? 1));
    case 'nltk_smooth2':
      return addOne(num, clipped);
    case 'smooth2':
      return addOne(num, den);
    case 'nist_smooth': {
      let k = 0;
      return num.map((n, i) => (n === 0 ? 1 / (2 ** ++k * (clipped[i] ?? 1)) : n / (clipped[i] ?? 1)));
    }
  }
}

/** Lin and Och 2004: add 1 to the numerator and denominator of every order but the first. */
function addOne(num: readonly number[], den: readonly number[]): number[] {
  return num.map((n, i) => (i === 0 ? n / (den[i] ?? 1) : (n + 1) / ((den[i] ?? 0) + 1)));
}
