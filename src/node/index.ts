/**
 * @module Node-only checkpoint pieces, exposed as the `kindling/node` subpath so browser bundles never import `fs`:
 * `DiskSaver`, `ModelCheckpoint`, crash-safe `writeFileAtomic`, `readCheckpointFile` and the `tf.io` file handler
 * `kindlingFileHandler`. Port of the disk parts of ignite/handlers/checkpoint.py.
 */
export { checkpointFsError, writeFileAtomic, type CheckpointFs } from './atomic-write.js';
export { DiskSaver, type DiskSaverOptions } from './disk-saver.js';
export { findModelState, kindlingFileHandler, readCheckpointFile, type KindlingFileHandlerOptions } from './file-io-handler.js';
export { ModelCheckpoint, type ModelCheckpointOptions } from './model-checkpoint.js';
export { installMpi } from './mpi.js';
export { hashCheckpoint, type HashedCheckpoint } from './hash-checkpoint.js';
export {
  CsvLogger,
  DashboardLogger,
  JsonlLogger,
  TensorboardLogger,
  startDashboard,
  type Dashboard,
  type DashboardLoggerOptions,
  type DashboardOptions,
  type FileLoggerOptions,
  type ProgressHandlerOptions,
} from '../logging/node/index.js';
export {
  IGNITE_BAR_FORMAT,
  ProgressBar,
  TQDM_BAR_FORMAT,
  type ProgressBarAttachOptions,
  type ProgressBarOptions,
  type ProgressStream,
} from '../handlers/progress-bar/index.js';
export { readIdx } from '../data/idx-node.js';
export {
  addEarlyStoppingByValScore,
  genSaveBestModelsByValScore,
  saveBestModelByValScore,
  setupCommonTrainingHandlers,
  type CommonTrainingHandlersOptions,
  type SaveBestOptions,
} from './common.js';
export {
  setupAnyLogging,
  setupCsvLogging,
  setupDashboardLogging,
  setupJsonlLogging,
  setupTbLogging,
  type LoggingSetupOptions,
} from './common-logging.js';
export { writeLrFinderPlot } from './lr-finder-plot.js';
export { writeHandlersProfilerCsv } from './handlers-profiler-csv.js';
export {
  NATIVE_BACKEND_NAME,
  NATIVE_KERNELS,
  NativeBackend,
  nativeBackendStatus,
  nativeFallbackCounts,
  registerNativeBackend,
  setNativeBackendThreads,
  setNativeBackendSpinWait,
  MAX_NATIVE_SPIN_MICROS,
  type NativeBackendStatus,
  installNodeKernels,
  type NodeKernelsStatus,
} from '@kindling/kernels/node';
export {
  MAX_WASM_THREADS,
  checkWasmThreadsPackage,
  prepareWasmThreads,
  requestedWasmThreads,
  wasmThreadsStatus,
  type WasmThreadsStatus,
} from '@kindling/kernels/node';
