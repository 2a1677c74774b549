/**
 * @module Checkpoint events and the global-step helper. Port of `CheckpointEvents` (ignite/handlers/checkpoint.py)
 * and `global_step_from_engine` (ignite/handlers/utils.py). Deviations: custom events registered on the engine with
 * an `eventToAttr` mapping are not visible through the engine's public API, so {@link globalStepFromEngine} knows
 * the built-in events and otherwise uses `fallbackAttr` (pass `customEventName` for a built-in event instead).
 */
import { defineEvents, eventName, type Engine, type EventKey } from '../../engine/index.js';

/**
 * Events fired by {@link Checkpoint}: `SAVED_CHECKPOINT` (`'saved_checkpoint'`) fires on the engine after each save.
 * `Checkpoint` registers it on the engine the first time it runs.
 *
 * @example
 * ```ts
 * trainer.on(Events.ITERATION_COMPLETED({ every: 100 }), checkpointer);
 * // register before attaching listeners if the checkpointer has not run yet:
 * trainer.registerEvents(CheckpointEvents.SAVED_CHECKPOINT);
 * trainer.on(CheckpointEvents.SAVED_CHECKPOINT, () => console.log(checkpointer.lastCheckpoint));
 * ```
 */
export const CheckpointEvents = defineEvents({ SAVED_CHECKPOINT: 'saved_checkpoint' });

const BUILTIN_ATTR: Readonly<Record<string, 'epoch' | 'iteration'>> = {
  started: 'epoch', epoch_started: 'epoch', epoch_completed: 'epoch', completed: 'epoch',
  get_batch_started: 'iteration', get_batch_completed: 'iteration',
  iteration_started: 'iteration', iteration_completed: 'iteration',
};

/**
 * The part of an engine checkpoints use (any `Engine<B, O>` fits).
 *
 */
export type CheckpointEngine = Pick<Engine, 'state' | 'lastEventName' | 'hasRegisteredEvents' | 'registerEvents' | 'fireEvent'>;

/**
 * A `globalStepTransform`: `(engine, eventName) => step`, called with the engine's `lastEventName`.
 *
 */
export type GlobalStepTransform = (engine: CheckpointEngine, eventName: Engine['lastEventName']) => number;

/**
 * Builds a `globalStepTransform` that reads another engine's counter, typically to name an evaluator's best-model
 * checkpoints after the trainer's epoch.
 *
 * @param engine - the engine whose state provides the step.
 * @param customEventName - use this event's counter instead of the event that triggered the handler.
 * @param fallbackAttr - state attribute used for events without a known counter. @defaultValue 'epoch'
 * @returns `(engine, eventName) => engine.state[attr]`.
 * @example
 * ```ts
 * const best = new Checkpoint({ toSave: { model }, saveHandler: new DiskSaver('/tmp/best'), scoreName: 'accuracy',
 *   globalStepTransform: globalStepFromEngine(trainer) });
 * evaluator.on(Events.COMPLETED, best); // files like model_7_accuracy=0.9120.ckpt (7 = trainer epoch)
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.handlers.global_step_from_engine.html
 */
export function globalStepFromEngine(
  engine: Pick<Engine, 'state'>, customEventName: EventKey | null = null, fallbackAttr = 'epoch',
): GlobalStepTransform {
  return (_engine, event) => {
    const e = customEventName ?? event;
    const attr = e === null ? fallbackAttr : BUILTIN_ATTR[eventName(e)] ?? fallbackAttr;
    const value = (engine.state as unknown as Record<string, unknown>)[attr];
    if (typeof value !== 'number') {
      throw new TypeError(`globalStepFromEngine: engine.state.${attr} should be a number, got ${String(value)}`);
    }
    return value;
  };
}
