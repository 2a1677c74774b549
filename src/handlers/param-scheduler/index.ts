/**
 * @module Parameter schedulers: port of ignite/handlers/param_scheduler.py and state_param_scheduler.py.
 * Optimizer schedulers write to a {@link ParamTarget} (a tf.js optimizer's learning rate, an engine state attribute,
 * or any object's numeric field); state schedulers write `engine.state[name]`.
 */

export { BaseParamScheduler, ParamScheduler, recordHistory, type SchedulerOptions, type SimulatedValue } from './base.js';
export { ConcatScheduler } from './concat.js';
export {
  CosineAnnealingScheduler,
  CyclicalScheduler,
  LinearCyclicalScheduler,
  type CyclicalSchedulerOptions,
  type LinearCyclicalSchedulerOptions,
} from './cyclical.js';
export type { EngineLike, StateHolder } from '../../engine/index.js';
export { PiecewiseLinear, type Milestone, type PiecewiseLinearOptions } from './piecewise-linear.js';
export { ReduceLROnPlateauScheduler, type ReduceLROnPlateauOptions } from './reduce-on-plateau.js';
export {
  LambdaStateScheduler,
  PiecewiseLinearStateScheduler,
  StateParamScheduler,
  type LambdaObj,
  type StateSchedulerOptions,
} from './state-schedulers.js';
export { ExpStateScheduler, MultiStepStateScheduler, StepStateScheduler, type DecayOptions } from './decay-state-schedulers.js';
export { isParamTarget, objectParam, optimizerParam, stateParam, toParamTarget, type ParamTarget, type ParamTargetLike } from './target.js';
export { createLrSchedulerWithWarmup, type WarmupOptions } from './warmup.js';
