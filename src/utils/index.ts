/**
 * @module Port of ignite/utils.py: `setupLogger`, `applyToType`, `applyToTensor`, `toOnehot` (browser-safe;
 * `hashCheckpoint` needs files and lives in `kindling/node`).
 */
export { DEFAULT_LOG_FORMAT, getLogger, setupLogger, type LogLevel, type LogStream, type SetupLoggerOptions } from './setup-logger.js';
export { applyToTensor, applyToType, toOnehot, type TypeSelector } from './apply-to-type.js';
