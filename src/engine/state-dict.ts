/**
 * @module Port of `Engine.state_dict` / `load_state_dict` validation (ignite/engine/engine.py, ignite/base/mixins.py).
 * Requirements are data (tables, not branches): required keys, one-of keys, user keys; validated in Ignite's order.
 */

import type { State } from './state.js';

/** A JSON-serialisable engine checkpoint: `iteration` (or `epoch`), `epochLength`, `maxEpochs` or `maxIters`. */
export type EngineStateDict = Record<string, unknown>;

const REQUIRED_KEYS = ['epochLength', 'iteration'] as const;
const ONE_OF_KEYS = ['maxEpochs', 'maxIters'] as const;

/**
 * Builds an engine's state dict: `{ epochLength, iteration, maxEpochs | maxIters, ...userKeys }`.
 *
 * @param state - the engine state.
 * @param userKeys - extra state attributes to include.
 * @returns a plain object (JSON-serialisable when the user values are).
 */
export function buildStateDict(state: State, userKeys: readonly string[]): EngineStateDict {
  const sd: EngineStateDict = { epochLength: state.epochLength ?? null, iteration: state.iteration };
  if (state.maxIters != null) sd['maxIters'] = state.maxIters;
  else sd['maxEpochs'] = state.maxEpochs ?? null;
  for (const key of userKeys) sd[key] = state[key];
  return sd;
}

function checkEpochIteration(sd: EngineStateDict): void {
  if ('iteration' in sd && 'epoch' in sd) {
    throw new RangeError(
      `State dictionary should contain only one of 'iteration' or 'epoch' keys. Found both: iteration=${String(
        sd['iteration'],
      )}, epoch=${String(sd['epoch'])}. Remove one of them.`,
    );
  }
  const derived = 'iteration' in sd ? sd['iteration'] : sd['epoch'];
  if (derived === 0) return;
  const el = sd['epochLength'];
  if (('iteration' in sd || 'epoch' in sd) && (typeof el !== 'number' || el <= 0)) {
    throw new RangeError(
      `epochLength must be a positive integer to calculate missing 'iteration' or 'epoch' key. Got ${String(el)}. ` +
        'Include a positive epochLength in the state dict.',
    );
  }
}

function checkKeys(sd: EngineStateDict, userKeys: readonly string[]): void {
  for (const key of REQUIRED_KEYS) {
    if (key === 'iteration' && 'epoch' in sd) continue;
    if (!(key in sd)) {
      throw new RangeError(`Required state attribute '${key}' is absent in provided stateDict '${Object.keys(sd).join(', ')}'`);
    }
  }
  const given = ONE_OF_KEYS.filter((k) => k in sd);
  if (given.length !== 1) {
    throw new RangeError(
      `stateDict should contain exactly one of '(maxEpochs, maxIters)' keys, got '${Object.keys(sd).join(', ')}'`,
    );
  }
  for (const key of userKeys) {
    if (!(key in sd)) {
      throw new RangeError(`Required user state attribute '${key}' is absent in provided stateDict '${Object.keys(sd).join(', ')}'`);
    }
  }
}

/**
 * Validates a state dict and applies it to a state, in Ignite's order. Custom state attributes that the dict does
 * not mention are kept.
 *
 * @param state - the state to update.
 * @param sd - the state dict.
 * @param userKeys - required user keys.
 * @throws TypeError when `sd` is not an object.
 * @throws RangeError for missing or inconsistent keys, with Ignite's messages.
 */
export function applyStateDict(state: State, sd: unknown, userKeys: readonly string[]): void {
  if (sd === null || typeof sd !== 'object' || Array.isArray(sd)) {
    throw new TypeError(`Argument stateDict should be a dictionary, but given ${typeof sd}`);
  }
  const dict = sd as EngineStateDict;
  checkEpochIteration(dict);
  checkKeys(dict, userKeys);
  const epochLength = dict['epochLength'] as number | null;
  const maxEpochs = (dict['maxEpochs'] ?? null) as number | null;
  const maxIters = (dict['maxIters'] ?? null) as number | null;
  let iteration: number;
  let epoch: number;
  if ('iteration' in dict) {
    iteration = dict['iteration'] as number;
    epoch = iteration === 0 ? 0 : Math.floor(iteration / (epochLength as number));
  } else {
    epoch = dict['epoch'] as number;
    iteration = epoch === 0 ? 0 : epoch * (epochLength as number);
  }
  if (maxEpochs != null && maxEpochs < epoch) throw maxEpochsError(maxEpochs, epoch);
  if (maxIters != null && maxIters < iteration) throw maxItersError(maxIters, iteration);
  for (const key of userKeys) state[key] = dict[key];
  state.epochLength = epochLength;
  state.iteration = iteration;
  state.epoch = epoch;
  state.maxEpochs = maxIters != null ? null : maxEpochs;
  state.maxIters = maxIters;
}

/** @internal Ignite's error for a `maxEpochs` below the current epoch. */
export function maxEpochsError(value: number, epoch: number): RangeError {
  return new RangeError(
    `Argument maxEpochs should be greater than or equal to the start epoch defined in the state: ${value} vs ${epoch}. ` +
      'Please, set engine.state.maxEpochs = null before calling engine.run() in order to restart the training from the beginning.',
  );
}

/** @internal Ignite's error for a `maxIters` below the current iteration. */
export function maxItersError(value: number, iteration: number): RangeError {
  return new RangeError(
    `Argument maxIters should be greater than or equal to the start iteration defined in the state: ${value} vs ${iteration}. ` +
      'Please, set engine.state.maxIters = null before calling engine.run() in order to restart the training from the beginning.',
  );
}
