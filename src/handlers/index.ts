/**
 * @module Handlers that attach to engines (browser-safe). The terminal `ProgressBar` is Node-only (`kindling/node`)
 * because its terminal library loads Node modules.
 */
export { EarlyStopping, type EarlyStoppingAttachOptions, type EarlyStoppingOptions } from './early-stopping.js';
export { Timer, type TimerAttachOptions, type TimerOptions } from './timer.js';
export { TerminateOnNan, type TerminateOnNanOptions } from './terminate-on-nan.js';
export { TimeLimit, type TimeLimitOptions } from './time-limit.js';
export { EpochOutputStore, type EpochOutputStoreOptions } from './epoch-output-store.js';
export { BasicTimeProfiler, type BasicTimeProfilerResults, type ProfiledEvent, type TimeStats } from './time-profiler.js';
export * from './checkpoint/index.js';
export * from './param-scheduler/index.js';
export {
  FastaiLRFinder,
  lrFinderPlotData,
  lrFinderSvg,
  type AttachedLrFinder,
  type LrFinderOptions,
  type LrFinderPlotData,
  type LrFinderPlotOptions,
  type LrFinderResults,
  type LrFinderScalarSink,
  type LrFinderTrainer,
} from './lr-finder/index.js';
export { EMAHandler, type EMAAttachOptions, type EMAHandlerOptions } from './ema.js';
export { HandlersTimeProfiler, type HandlerProfileRow } from './handlers-time-profiler.js';
export {
  FBResearchLogger,
  formatTimedelta,
  type FBResearchAttachOptions,
  type FBResearchLoggerOptions,
  type InfoSink,
} from './fb-research-logger.js';
export { BaseSaveHandler } from './checkpoint/save-handler.js';
