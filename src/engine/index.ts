/**
 * @module The engine core: `Engine`, events and filters, `State`, handles, data-source adapters.
 *
 * Owns the run loop and everything Ignite's `ignite/engine/engine.py` and `events.py` define. It must never import
 * TensorFlow.js or anything outside this folder (except `../errors.js`): metrics, handlers and trainers build on
 * its public API only, and the core stays testable with plain numbers.
 */

export { Engine, type EngineOptions, type ProcessFunction, type RegisterEventsOptions } from './engine.js';
export {
  Events,
  createEvent,
  defineEvents,
  eventName,
  isEvent,
  makeEventFilter,
  sameEvent,
  type CallableEvent,
  type EventFilterFn,
  type EventKey,
  type FilterOptions,
  type FilteredEvent,
} from './events.js';
export { State, type StateExtensions, type StateTimes } from './state.js';
export { RemovableEventHandle } from './removable-handle.js';
export { isDone, type RunOptions } from './run-plan.js';
export { createIterator, dataLength, isDataSource, type BatchIterator, type DataSource } from './data.js';
export { defaultLogger, silentLogger, type Logger } from './logger.js';
export { isThenable, type Handler, type HandlerFn } from './handlers.js';
export type { EngineStateDict } from './state-dict.js';
export type { EngineLike, StateHolder } from './engine-like.js';
