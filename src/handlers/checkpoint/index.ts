/**
 * @module Browser-safe checkpoints: `Checkpoint`, the save-handler contract, the kindling checkpoint format, TF.js
 * model/optimizer state capture, the IndexedDB save handler and `globalStepFromEngine`. Port of
 * ignite/handlers/checkpoint.py and ignite/handlers/utils.py. Node-only pieces (`DiskSaver`, `ModelCheckpoint`,
 * the file IOHandler) live in src/node/. Deviations: see each file's header and docs/checkpoints.md.
 */
export { Checkpoint, type CheckpointOptions, type CheckpointStateDict, type LoadObjectsOptions, type SavedItem, type ScoreFunction } from './checkpoint.js';
export { CheckpointEvents, globalStepFromEngine, type CheckpointEngine, type GlobalStepTransform } from './events.js';
export { CHECKPOINT_EXTENSION, formatPriority, renderFilename, setupFilenamePattern, type FilenameFields, type FilenamePatternOptions } from './filename.js';
export { CHECKPOINT_FORMAT_VERSION, decodeCheckpoint, decodeCheckpointWithMetadata, encodeCheckpoint } from './format.js';
export { IndexedDbSaver, type IndexedDbSaverOptions } from './indexed-db-saver.js';
export { BaseSaveHandler, isBaseSaveHandler, type CheckpointMetadata, type SaveFunction, type SaveHandler } from './save-handler.js';
export {
  artifactsFromModelState, captureState, checkObjects, isLayersModel, isOptimizer, modelStateFromArtifacts, restoreState,
  type Checkpointable, type LayersModelLike, type LayersModelState, type OptimizerState, type Stateful,
} from './tf-state.js';
