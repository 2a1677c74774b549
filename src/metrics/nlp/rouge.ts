/**
 * @module Port of ignite/metrics/nlp/rouge.py (`Rouge`, `RougeN`, `RougeL`). Deviations: inputs are validated (a
 * candidate list and a reference list of different lengths raise; Ignite silently drops the extra items; with
 * `multiref: 'best'` a candidate without references raises a RangeError where Ignite's `max()` fails); Ignite's
 * private `_BaseRouge` is the exported abstract `RougeBase`; no `device` option: the sums are JavaScript numbers
 * (float64) and no tensor is created.
 */

import { NotComputableError } from '../../errors.js';
import { Metric, type MetricOptions } from '../metric.js';
import { syncedNumber, type SyncedState } from '../internal/sync.js';
import { checkNgram, lcs, ngrams, overlap, parseNlpOutput, total, type TokenSequence } from './tokens.js';

/**
 * How the scores against several references of one candidate are combined: `'average'` adds their matches and
 * lengths before dividing, `'best'` keeps the reference with the highest recall.
 */
export type RougeMultiref = 'average' | 'best';

/**
 * Options shared by {@link RougeN}, {@link RougeL} and {@link Rouge}.
 */
export interface RougeBaseOptions extends MetricOptions {
  /** How several references are combined. @defaultValue 'average' */
  multiref?: RougeMultiref;
  /**
   * Weight of the recall against the precision in the F-measure `P * R / ((1 - alpha) * P + alpha * R)`, in
   * [0, 1]: 0 gives the recall, 1 the precision, 0.5 their harmonic mean.
   * @defaultValue 0
   */
  alpha?: number;
}

/**
 * Options of {@link RougeN}.
 */
export interface RougeNOptions extends RougeBaseOptions {
  /** The n-gram order. @defaultValue 4 */
  ngram?: number;
}

/**
 * One ROUGE variant of {@link Rouge}: `'L'` (longest common subsequence) or an n-gram order.
 */
export type RougeVariant = 'L' | number;

/**
 * Options of {@link Rouge}.
 */
export interface RougeOptions extends RougeBaseOptions {
  /** The variants computed; an empty list means the default. @defaultValue [1, 2, 4, 'L'] */
  variants?: readonly RougeVariant[];
}

/**
 * ROUGE results, keyed as in Ignite: `'Rouge-2-P'`, `'Rouge-2-R'`, `'Rouge-2-F'`, `'Rouge-L-P'`, ...
 *
 */
export type RougeScores = Record<string, number>;

/** Matches, candidate length and reference length (Ignite's `Score`). */
interface Score {
  match: number;
  candidate: number;
  reference: number;
}

const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);
const MULTIREFS: readonly string[] = ['best', 'average'];

/**
 * Base of {@link RougeN} and {@link RougeL} (Ignite's `_BaseRouge`): the mean precision, recall and F-measure over
 * the candidates; `compute()` returns `{ 'Rouge-X-P', 'Rouge-X-R', 'Rouge-X-F' }`.
 */
export abstract class RougeBase extends Metric<RougeScores> {
  readonly #alpha: number;
  readonly #multiref: RougeMultiref;
  #precision = 0;
  #recall = 0;
  #fmeasure = 0;
  #numExamples = 0;

  /**
   * @param options - `multiref`, `alpha` and the common metric options.
   * @throws RangeError when `alpha` is outside [0, 1] or `multiref` is not `'best'` / `'average'`; TypeError when
   * `alpha` is not a number.
   */
  constructor(options: RougeBaseOptions = {}) {
    const { multiref = 'average', alpha = 0, ...rest } = options;
    super(rest);
    if (typeof alpha !== 'number') throw new TypeError(`alpha should be a number, but given ${typeof alpha}.`);
    if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`alpha must be in interval [0, 1] (got : ${alpha})`);
    if (!MULTIREFS.includes(multiref)) {
      throw new RangeError(`multiref : valid values are ['best', 'average'] (got : ${String(multiref)})`);
    }
    this.#alpha = alpha;
    this.#multiref = multiref;
  }

  /** The name prefix of the result keys, e.g. `'Rouge-2'`. */
  protected abstract metricName(): string;

  /**
   * The score of a candidate against one reference.
   *
   * @param candidate - the candidate's tokens.
   * @param reference - the reference's tokens.
   * @returns matches, candidate length and reference length.
   */
  protected abstract score(candidate: TokenSequence, reference: TokenSequence): Score;

  /** Ignite's `@sync_all_reduce`: the three sums and the count. @returns the declarations. */
  protected override syncedState(): SyncedState[] {
    return [
      syncedNumber(() => this.#precision, (v) => { this.#precision = v; }),
      syncedNumber(() => this.#recall, (v) => { this.#recall = v; }),
      syncedNumber(() => this.#fmeasure, (v) => { this.#fmeasure = v; }),
      syncedNumber(() => this.#numExamples, (v) => { this.#numExamples = v; }),
    ];
  }

  /** Clears the sums. */
  reset(): void {
    this.#precision = 0;
    this.#recall = 0;
    this.#fmeasure = 0;
    this.#numExamples = 0;
  }

  /**
   * Adds a batch of candidates.
   *
   * @param output - `[candidates, references]`: `string[][]` and `string[][][]` (or number token ids).
   * @returns nothing.
   * @throws TypeError for malformed inputs; RangeError when the two lists differ in length, or (multiref 'best')
   * a candidate has no reference.
   */
  update(output: unknown): void {
    const [candidates, references] = parseNlpOutput(output, this.constructor.name);
    const empty = references.findIndex((refs) => refs.length === 0);
    if (this.#multiref === 'best' && empty >= 0) {
      throw new RangeError(
        `${this.constructor.name}: y[${empty}] should contain at least one reference for yPred[${empty}] with ` +
          "multiref 'best', but given none.",
      );
    }
    candidates.forEach((candidate, i) => {
      const scores = (references[i] ?? []).map((ref) => this.score(candidate, ref));
      const { match, candidate: c, reference: r } = this.#reduce(scores);
      const precision = ratio(match, c);
      const recall = ratio(match, r);
      this.#precision += precision;
      this.#recall += recall;
      if (precision * recall > 0) {
        this.#fmeasure += (precision * recall) / ((1 - this.#alpha) * precision + this.#alpha * recall);
      }
      this.#numExamples += 1;
    });
  }

  #reduce(scores: Score[]): Score {
    if (this.#multiref === 'average') {
      const sum = (k: keyof Score): number => scores.reduce((s, x) => s + x[k], 0);
      return { match: sum('match'), candidate: sum('candidate'), reference: sum('reference') };
    }
    // the first reference with the highest recall (Python's max keeps the first maximum)
    return scores.reduce((best, s) => (ratio(s.match, s.reference) > ratio(best.match, best.reference) ? s : best));
  }

  /**
   * The mean precision, recall and F-measure.
   *
   * @returns `{ 'Rouge-X-P', 'Rouge-X-R', 'Rouge-X-F' }`.
   * @throws {@link NotComputableError} before any update.
   */
  compute(): RougeScores {
    if (this.#numExamples === 0) {
      throw new NotComputableError(`${this.metricName()} metric must have at least one example before it can be computed.`);
    }
    const name = this.metricName();
    return {
      [`${name}-P`]: this.#precision / this.#numExamples,
      [`${name}-R`]: this.#recall / this.#numExamples,
      [`${name}-F`]: this.#fmeasure / this.#numExamples,
    };
  }
}

/**
 * ROUGE-N (Lin 2004): n-gram co-occurrence between each candidate and its references. `compute()` returns
 * `{ 'Rouge-N-P', 'Rouge-N-R', 'Rouge-N-F' }` with N the order, averaged over the candidates.
 *
 * @example
 * ```ts
 * // Ignite's documented example: { 'Rouge-2-P': 0.5, 'Rouge-2-R': 0.4, 'Rouge-2-F': 0.4 }
 * const m = new RougeN({ ngram: 2, multiref: 'best' });
 * const refs = ['the cat is on the mat', 'there is a cat on the mat'].map((s) => s.split(' '));
 * m.update([['the cat is not there'.split(' ')], [refs]]);
 * m.compute();
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.RougeN.html
 */
export class RougeN extends RougeBase {
  readonly #ngram: number;

  /**
   * @param options - `ngram`, `multiref`, `alpha` and the common metric options.
   * @throws RangeError when `ngram` is not a positive integer, or for an invalid `multiref` / `alpha`.
   */
  constructor(options: RougeNOptions = {}) {
    const { ngram = 4, ...rest } = options;
    super(rest);
    this.#ngram = checkNgram(ngram);
  }

  protected metricName(): string {
    return `Rouge-${this.#ngram}`;
  }

  protected score(candidate: TokenSequence, reference: TokenSequence): Score {
    const c = ngrams(candidate, this.#ngram);
    const r = ngrams(reference, this.#ngram);
    return { match: overlap(c, r), candidate: total(c), reference: total(r) };
  }
}

/**
 * ROUGE-L (Lin 2004): the longest common subsequence of each candidate and its references. `compute()` returns
 * `{ 'Rouge-L-P', 'Rouge-L-R', 'Rouge-L-F' }`, averaged over the candidates.
 *
 * @example
 * ```ts
 * // Ignite's documented example: { 'Rouge-L-P': 0.6, 'Rouge-L-R': 0.5, 'Rouge-L-F': 0.5 }
 * const m = new RougeL({ multiref: 'best' });
 * const refs = ['the cat is on the mat', 'there is a cat on the mat'].map((s) => s.split(' '));
 * m.update([['the cat is not there'.split(' ')], [refs]]);
 * m.compute();
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.RougeL.html
 */
export class RougeL extends RougeBase {
  /**
   * @param options - `multiref`, `alpha` and the common metric options.
   * @throws RangeError for an invalid `multiref` / `alpha`.
   */
  constructor(options: RougeBaseOptions = {}) {
    super(options);
  }

  protected metricName(): string {
    return 'Rouge-L';
  }

  protected score(candidate: TokenSequence, reference: TokenSequence): Score {
    return { match: lcs(candidate, reference), candidate: candidate.length, reference: reference.length };
  }
}

/**
 * Several ROUGE variants at once (ROUGE-N for each order and ROUGE-L), on the same inputs as {@link RougeN}.
 * `compute()` returns one object with the keys of every variant, in the order of `variants`; attached, the keys
 * are also written to `state.metrics` one by one (see `metricsResultMode`).
 *
 * @example
 * ```ts
 * // Ignite's documented example: { 'Rouge-L-P': 0.6, 'Rouge-L-R': 0.5, 'Rouge-L-F': 0.5,
 * //   'Rouge-2-P': 0.5, 'Rouge-2-R': 0.4, 'Rouge-2-F': 0.4 }
 * const m = new Rouge({ variants: ['L', 2], multiref: 'best' });
 * const refs = ['the cat is on the mat', 'there is a cat on the mat'].map((s) => s.split(' '));
 * m.update([['the cat is not there'.split(' ')], [refs]]);
 * m.compute();
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.Rouge.html
 */
export class Rouge extends Metric<RougeScores> {
  readonly #metrics: RougeBase[];

  /**
   * @param options - `variants`, `multiref`, `alpha` and the common metric options.
   * @throws TypeError when a variant is neither `'L'` nor a number; RangeError when it is another string or not a
   * positive integer, or for an invalid `multiref` / `alpha`.
   */
  constructor(options: RougeOptions = {}) {
    const { variants, multiref, alpha, ...rest } = options;
    super(rest);
    const shared: RougeBaseOptions = {
      ...(multiref === undefined ? {} : { multiref }),
      ...(alpha === undefined ? {} : { alpha }),
    };
    const list = variants === undefined || variants.length === 0 ? [1, 2, 4, 'L'] : variants;
    this.#metrics = list.map((v) => {
      if (v === 'L') return new RougeL(shared);
      if (typeof v !== 'number' && typeof v !== 'string') {
        throw new TypeError(`variant must be 'L' or integer greater to zero, but given ${typeof v}.`);
      }
      if (typeof v === 'string' || !Number.isInteger(v) || v <= 0) {
        throw new RangeError(`variant must be 'L' or integer greater to zero (got: ${JSON.stringify(v)})`);
      }
      return new RougeN({ ...shared, ngram: v });
    });
  }

  /** Resets every variant. */
  reset(): void {
    for (const m of this.#metrics) m.reset();
  }

  /**
   * Adds a batch of candidates to every variant.
   *
   * @param output - `[candidates, references]`: `string[][]` and `string[][][]` (or number token ids).
   * @returns nothing.
   * @throws TypeError / RangeError for malformed inputs (see {@link RougeBase.update}).
   */
  update(output: unknown): void {
    for (const m of this.#metrics) m.update(output);
  }

  /**
   * The results of every variant (each one reduced across ranks).
   *
   * @returns one object with the keys of every variant.
   * @throws {@link NotComputableError} before any update.
   */
  compute(): RougeScores {
    const results: RougeScores = {};
    for (const m of this.#metrics) Object.assign(results, m.compute());
    return results;
  }
}
