/**
 * @module Port of ignite/handlers/tqdm_logger.py: {@link ProgressBar} and the pieces it renders with.
 * Deviations: see `progress-bar.ts` (terminal vs. non-TTY output, lazy postfix) and `format.ts` (timing fields).
 */

export { ProgressBar, type ProgressBarAttachOptions, type ProgressBarOptions } from './progress-bar.js';
export type { ProgressStream } from './screen.js';
export { IGNITE_BAR_FORMAT, TQDM_BAR_FORMAT } from './format.js';
