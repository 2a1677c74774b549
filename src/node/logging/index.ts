/** @module Node-only experiment loggers: JSON Lines, CSV, TensorBoard event files, and the live dashboard. */
export { CsvLogger, JsonlLogger, TensorboardLogger, type FileLoggerOptions } from './file-loggers.js';
export { DashboardLogger, type DashboardLoggerOptions, type ProgressHandlerOptions } from './dashboard-logger.js';
export { startDashboard, type Dashboard, type DashboardOptions } from './dashboard-server.js';
