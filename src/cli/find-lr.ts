/**
 * @module `kindling train --find-lr`, the command-line use of ignite/handlers/lr_finder.py (Ignite has no CLI).
 * Runs `FastaiLRFinder` on the run's trainer before training, prints the
 * suggested learning rate, writes the curve as `lr_finder.svg` into the run directory, logs it to the run's logger
 * (`lr_finder/loss` and `lr_finder/lr`, a chart on the dashboard), and returns the suggestion, which the run then
 * trains with. The model, optimizer, loss scaler and trainer are restored before training starts.
 */

import { join } from 'node:path';
import { FastaiLRFinder } from '../handlers/lr-finder/index.js';
import type { BaseLogger } from '../logging/base-logger.js';
import { writeLrFinderPlot } from '../node/lr-finder-plot.js';
import { CliError } from './errors.js';
import type { Session } from './session.js';

/** Search range and length of `--find-lr`: fastai's defaults (1e-7 to 10 over 100 iterations). */
export const FIND_LR_SEARCH = { startLr: 1e-7, endLr: 10, numIter: 100 } as const;

/**
 * Runs the learning-rate range test on a CLI session.
 *
 * @param s - the session (trainer, model, optimizer, loaders).
 * @param output - the run directory (`lr_finder.svg` is written there).
 * @param logger - the run's logger.
 * @param out - where the result line goes.
 * @returns the suggested learning rate.
 * @throws {@link CliError} when the curve has no suggestion (it never went down).
 */
export async function findLr(s: Session, output: string, logger: BaseLogger, out: NodeJS.WritableStream): Promise<number> {
  const finder = new FastaiLRFinder();
  const toSave: Record<string, unknown> = { model: s.model, optimizer: s.optimizer };
  if (s.scaler !== null) toSave['scaler'] = s.scaler;
  {
    await using attached = await finder.attach(s.trainer, toSave, { ...FIND_LR_SEARCH, logger });
    await attached.trainer.run(s.trainLoader, { maxEpochs: 1 });
  }
  let suggestion: number;
  try {
    suggestion = finder.lrSuggestion();
  } catch (e) {
    throw new CliError(`--find-lr: ${e instanceof Error ? e.message : String(e)}`, 1);
  }
  const plot = join(output, 'lr_finder.svg');
  const points = finder.getResults().lr.length;
  await writeLrFinderPlot(finder, plot, { skipStart: Math.min(10, Math.floor(points / 10)), skipEnd: Math.min(5, Math.floor(points / 20)) });
  finder.applySuggestedLr(s.optimizer);
  out.write(`lr finder: suggested lr ${suggestion.toPrecision(3)} after ${points} iterations (plot: ${plot}); training with it\n`);
  return suggestion;
}
