/**
 * @module Node-only writer of the LR finder plot: port of saving `FastaiLRFinder.plot()`'s figure
 * (`ax.figure.savefig(...)` in Ignite). Deviation: the figure is an SVG document.
 */

import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { FastaiLRFinder } from '../handlers/lr-finder/lr-finder.js';
import { lrFinderSvg, type LrFinderPlotOptions } from '../handlers/lr-finder/plot.js';
import { writeFileAtomic } from './atomic-write.js';

/**
 * Writes the plot of the last LR finder search as an SVG file (directories created as needed).
 *
 * @param finder - a finder whose search ran.
 * @param path - the file to write, e.g. `runs/exp1/lr_finder.svg`.
 * @param options - plot options (`skipStart`, `skipEnd`, `logLr`, `displaySuggestion`) and the SVG `title`.
 * @returns the plot data that was drawn.
 * @throws RangeError when the finder has not run (see `FastaiLRFinder.plot`).
 */
export async function writeLrFinderPlot(
  finder: FastaiLRFinder,
  path: string,
  options: LrFinderPlotOptions & { title?: string } = {},
): Promise<ReturnType<FastaiLRFinder['plot']>> {
  const data = finder.plot(options);
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, new TextEncoder().encode(lrFinderSvg(data, options.title !== undefined ? { title: options.title } : {})));
  return data;
}
