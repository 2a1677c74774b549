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
