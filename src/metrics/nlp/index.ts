/**
 * @module Port of ignite/metrics/nlp: BLEU and ROUGE on tokenized sentences (`update([candidates, references])`
 * with `candidates: string[][]` and `references: string[][][]`). Pure TypeScript: no tensor is created.
 */

export { Bleu, type BleuAverage, type BleuOptions, type BleuSmooth } from './bleu.js';
export {
  Rouge,
  RougeBase,
  RougeL,
  RougeN,
  type RougeBaseOptions,
  type RougeMultiref,
  type RougeNOptions,
  type RougeOptions,
  type RougeScores,
  type RougeVariant,
} from './rouge.js';
export type { NlpOutput, TokenSequence } from './tokens.js';
