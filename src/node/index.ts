/**
 * @module kindling/node Everything of kindling that needs Node, in one folder (src/node/) behind one entry, so
 * browser bundles never reach `node:*`: checkpoints on disk (`DiskSaver`, `ModelCheckpoint`, crash-safe
 * `writeFileAtomic`, `kindlingFileHandler`), file loggers and the live dashboard (node/logging/), the terminal
 * `ProgressBar` (node/progress-bar/), IDX and dataset files, the MPI addon loader (`installMpi`), the contrib
 * helpers that write files, and the native backend and wasm threads of `@kindling/kernels/node`. An ESLint rule
 * rejects `node:*` imports outside node/ folders (docs/architecture.md).
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
} from './logging/index.js';
export {
  IGNITE_BAR_FORMAT,
  ProgressBar,
  TQDM_BAR_FORMAT,
  type ProgressBarAttachOptions,
  type ProgressBarOptions,
  type ProgressStream,
} from './progress-bar/index.js';
export { readIdx } from './idx.js';
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
  type NativeBinaryReport,
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
export { writeLrFinderPlot } from './lr-finder-plot.js';
export { writeHandlersProfilerCsv } from './handlers-profiler-csv.js';
export { installWorkerThreads, threadSpawner } from './workers/thread-spawner.js';
export { ImageFolder, IMG_EXTENSIONS, decodeImage, findClasses, makeDataset, readImage, type ImageFolderOptions } from './data/image-folder.js';
export { CifarDataset, parseCifar, readCifar, type CifarArrays, type CifarOptions, type CifarSplits } from './data/cifar.js';
export { CsvDataset, type CsvDatasetOptions, type CsvLabelType } from './data/csv.js';
export { ParquetDataset, type ParquetDatasetOptions, type ParquetImageOptions } from './data/parquet.js';
