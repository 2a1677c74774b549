/**
 * @module Experiment logging (browser-safe part): the logger API, weight/gradient handlers, TensorBoard encoding.
 * File loggers and the dashboard are Node-only: `kindling/node`.
 */
export {
  BaseLogger,
  defaultGlobalStep,
  scalarRecords,
  type LearningRateSource,
  type LoggerHandler,
  type LoggerOptions,
  type OptParamsHandlerOptions,
  type OutputHandlerOptions,
} from './base-logger.js';
export { flattenScalars, type HistogramRecord, type LogRecord, type ScalarRecord, type TextRecord } from './records.js';
export {
  GradsHistHandler,
  GradsScalarHandler,
  WeightsHistHandler,
  WeightsScalarHandler,
  type ModelHandlerOptions,
  type Reduction,
  type TensorSource,
  type WeightedModel,
} from './model-handlers.js';
export { EventType, defaultBucketLimits, encodeEvent, frameRecord, maskedCrc32c, recordsToEventBytes, unframeRecords } from './tfevents.js';
export { HttpLogger, type HttpLoggerOptions } from './http-logger.js';
