/**
 * @module The learning-rate range test: `FastaiLRFinder` and its plot (browser-safe; the SVG file writer is in
 * kindling/node). Port of ignite/handlers/lr_finder.py.
 */
export {
  FastaiLRFinder,
  type AttachedLrFinder,
  type LrFinderOptions,
  type LrFinderResults,
  type LrFinderScalarSink,
  type LrFinderTrainer,
} from './lr-finder.js';
export { lrFinderPlotData, lrFinderSvg, type LrFinderPlotData, type LrFinderPlotOptions } from './plot.js';
