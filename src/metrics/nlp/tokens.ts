/**
 * @module Port of ignite/metrics/nlp/utils.py (`ngrams`, `lcs`, `modified_precision`) and of the input checks the
 * NLP metrics share. Deviations: n-grams are counted in a `Map` keyed by the JSON encoding of the n-gram (Ignite:
 * a `Counter` of tuples), so the string `'1'` and the number `1` stay different tokens, as in Python; inputs are
 * validated (Ignite unpacks them unchecked): a candidate list and a reference list of different lengths is an
 * error (Ignite's Bleu raises it for micro averaging only, its Rouge silently drops the extra items).
 */

import { describeValue } from '../internal/tensors.js';

/**
 * One tokenized sentence: words (strings) or token ids (numbers). Tokens are compared with `===`.
 *
 */
export type TokenSequence = readonly (string | number)[];

/**
 * What the NLP metrics' `update()` receives: the candidates (`yPred`, one token sequence per sentence) and, for
 * each candidate, its list of references (`y`).
 *
 */
export type NlpOutput = readonly [candidates: readonly TokenSequence[], references: readonly (readonly TokenSequence[])[]];

/** N-gram counts keyed by the n-gram's encoding. @internal */
export type NgramCounts = Map<string, number>;

const HINT = 'Split each sentence into tokens first, for example sentence.split(" ")';

/**
 * Checks `[candidates, references]` and returns them typed.
 *
 * @param output - the metric's `update()` argument.
 * @param metric - the metric's name, for the messages.
 * @returns the candidates and their references.
 * @throws TypeError when the output is not `[string[][], string[][][]]`; RangeError when the two lists differ in
 * length.
 * @internal
 */
export function parseNlpOutput(output: unknown, metric: string): [TokenSequence[], TokenSequence[][]] {
  if (!Array.isArray(output) || output.length !== 2) {
    throw new TypeError(
      `${metric}.update expects [candidates, references] (or { yPred, y }), but given ${describeValue(output)}.`,
    );
  }
  const [candidates, references] = output as [unknown, unknown];
  if (!Array.isArray(candidates)) {
    throw new TypeError(`${metric}: yPred should be a list of candidates (string[][]), but given ${describeValue(candidates)}. ${HINT}.`);
  }
  if (!Array.isArray(references)) {
    throw new TypeError(`${metric}: y should be a list of reference lists (string[][][]), but given ${describeValue(references)}.`);
  }
  if (candidates.length !== references.length) {
    throw new RangeError(
      `nb of candidates should be equal to nb of reference lists (${candidates.length} != ${references.length}). ` +
        'Give each candidate its list of references: y[i] is the list of references of yPred[i].',
    );
  }
  candidates.forEach((c, i) => checkSequence(c, `yPred[${i}]`, metric));
  references.forEach((refs, i) => checkReferences(refs, i, metric));
  return [candidates as TokenSequence[], references as TokenSequence[][]];
}

function checkReferences(refs: unknown, i: number, metric: string): void {
  if (!Array.isArray(refs)) {
    throw new TypeError(`${metric}: y[${i}] should be the list of references of yPred[${i}] (string[][]), but given ${describeValue(refs)}.`);
  }
  if (refs.length > 0 && !Array.isArray(refs[0])) {
    throw new TypeError(
      `${metric}: y[${i}] should be the list of references of yPred[${i}] (string[][]), but given a list of tokens. ` +
        'Wrap a single reference in a list: y = [[reference], ...].',
    );
  }
  refs.forEach((r, j) => checkSequence(r, `y[${i}][${j}]`, metric));
}

function checkSequence(seq: unknown, where: string, metric: string): void {
  if (!Array.isArray(seq)) {
    throw new TypeError(`${metric}: ${where} should be a list of tokens, but given ${describeValue(seq)}. ${HINT}.`);
  }
  for (const t of seq) {
    if (typeof t !== 'string' && !(typeof t === 'number' && Number.isFinite(t))) {
      throw new TypeError(
        `${metric}: the tokens of ${where} should be strings or finite numbers, but given ${describeValue(t)} ${String(t)}.`,
      );
    }
  }
}

/**
 * Counts the n-grams of a sequence (Ignite's `ngrams`).
 *
 * @param seq - the tokens.
 * @param n - the n-gram order (>= 1).
 * @returns the count of each n-gram; empty when the sequence is shorter than `n`.
 * @internal
 */
export function ngrams(seq: TokenSequence, n: number): NgramCounts {
  const counts: NgramCounts = new Map();
  // JSON-encoded tokens joined by ',' are the JSON array of the n-gram: unambiguous for any string.
  const enc = seq.map((t) => JSON.stringify(t));
  for (let i = 0; i + n <= enc.length; i++) {
    const key = enc.slice(i, i + n).join(',');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/**
 * Total of the counts.
 *
 * @param counts - n-gram counts.
 * @returns the number of n-grams.
 * @internal
 */
export function total(counts: NgramCounts): number {
  let s = 0;
  for (const c of counts.values()) s += c;
  return s;
}

/**
 * The number of n-grams two count tables share (the size of the multiset intersection, Counter's `&`).
 *
 * @param a - first counts.
 * @param b - second counts.
 * @returns the sum over n-grams of `min(a[g], b[g])`.
 * @internal
 */
export function overlap(a: NgramCounts, b: NgramCounts): number {
  let s = 0;
  for (const [g, c] of a) s += Math.min(c, b.get(g) ?? 0);
  return s;
}

/**
 * Modified n-gram precision of Papineni et al. 2002 (Ignite's `modified_precision`): the candidate's n-gram
 * counts clipped by their maximum count in any reference.
 *
 * @param references - the references.
 * @param candidate - the candidate.
 * @param n - the n-gram order.
 * @returns `[clipped matches, number of candidate n-grams]` (the denominator may be 0).
 * @internal
 */
export function modifiedPrecision(references: readonly TokenSequence[], candidate: TokenSequence, n: number): [number, number] {
  const counts = ngrams(candidate, n);
  const maxCounts: NgramCounts = new Map();
  for (const ref of references) {
    for (const [g, c] of ngrams(ref, n)) {
      if (counts.has(g) && c > (maxCounts.get(g) ?? 0)) maxCounts.set(g, c);
    }
  }
  return [overlap(counts, maxCounts), total(counts)];
}

/**
 * Length of the longest common subsequence of two sequences (Ignite's `lcs`), in O(len(a) * len(b)) time and
 * O(len(b)) memory.
 *
 * @param a - first sequence.
 * @param b - second sequence.
 * @returns the length of their longest common subsequence.
 * @internal
 */
export function lcs(a: TokenSequence, b: TokenSequence): number {
  let prev = new Array<number>(b.length + 1).fill(0);
  let row = new Array<number>(b.length + 1).fill(0);
  for (const x of a) {
    for (let j = 1; j <= b.length; j++) {
      row[j] = x === b[j - 1] ? (prev[j - 1] ?? 0) + 1 : Math.max(prev[j] ?? 0, row[j - 1] ?? 0);
    }
    [prev, row] = [row, prev];
  }
  return prev[b.length] ?? 0;
}

/**
 * Checks an n-gram order option.
 *
 * @param ngram - the value given.
 * @returns the order.
 * @throws TypeError when it is not a number; RangeError when it is not a positive integer.
 * @internal
 */
export function checkNgram(ngram: unknown): number {
  if (typeof ngram !== 'number') throw new TypeError(`ngram should be a number, but given ${describeValue(ngram)}.`);
  if (!Number.isInteger(ngram) || ngram <= 0) {
    throw new RangeError(`ngram order must be greater than zero (got: ${ngram}); use an integer such as 4.`);
  }
  return ngram;
}
