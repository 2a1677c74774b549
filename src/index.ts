/**
 * @module kindling: PyTorch-Ignite's event-driven training engine on TensorFlow.js.
 * This file is the public API: explicit named re-exports only.
 */

export {
  Engine,
  Events,
  State,
  RemovableEventHandle,
  createEvent,
  defineEvents,
  eventName,
  isEvent,
  sameEvent,
  makeEventFilter,
  isDone,
  createIterator,
  dataLength,
  isDataSource,
  defaultLogger,
  silentLogger,
  isThenable,
  type EngineOptions,
  type ProcessFunction,
  type RegisterEventsOptions,
  type CallableEvent,
  type EventFilterFn,
  type EventKey,
  type FilterOptions,
  type FilteredEvent,
  type StateExtensions,
  type StateTimes,
  type RunOptions,
  type BatchIterator,
  type DataSource,
  type Logger,
  type Handler,
  type HandlerFn,
  type EngineStateDict,
} from './engine/index.js';
export { KindlingError, NotComputableError, EngineStateError, InvalidEventError, CheckpointError } from './errors.js';
