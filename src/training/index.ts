/**
 * @module Supervised training: `createSupervisedTrainer` / `createSupervisedEvaluator`, the step factories, batch
 * conversion, devices and losses. Port of ignite/engine/__init__.py on TensorFlow.js.
 */
export {
  createSupervisedEvaluator,
  createSupervisedTrainer,
  supervisedEvaluationStep,
  supervisedEvaluationStepAmp,
  supervisedTrainingStep,
  supervisedTrainingStepAmp,
  supervisedTrainingStepApex,
  type AmpMode,
  type SupervisedEvaluatorOptions,
  type SupervisedTrainerOptions,
} from './create.js';
export {
  makeEvaluationStep,
  makeTrainingStep,
  type EvalOutputTransform,
  type ModelFn,
  type StepMode,
  type StepOptions,
  type TrainOutputTransform,
  type TrainableModel,
  type TrainingStep,
  type TrainingStepOptions,
} from './steps.js';
export { convertTensor, prepareBatch, type Converted, type Convertible, type PrepareBatchFn, type PreparedBatch } from './convert.js';
export { NonFiniteError, assertFinite } from './anomaly.js';
export { GradientWindow, OutputTensors, collectTensors, getGradients } from './tensors.js';
export {
  binaryCrossEntropyWithLogits,
  crossEntropyLoss,
  l1Loss,
  mseLoss,
  nllLoss,
  type LossFn,
  type LossOptions as LossFunctionOptions,
  type Reduction as LossReduction,
} from './losses.js';
