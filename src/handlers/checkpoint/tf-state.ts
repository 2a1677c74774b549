/**
 * @module State capture and restore for the objects a checkpoint can hold: anything with `stateDict()` /
 * `loadStateDict()`, `tf.LayersModel` (weights and topology) and `tf.train` optimizers (slot variables, iteration
 * count, learning rate). Port of the `state_dict()` / `load_state_dict()` calls in ignite/handlers/checkpoint.py.
 * Deviations: TF.js models and optimizers have no `state_dict`, so kindling captures them itself; capture is async
 * because reading tensor values and optimizer weights is async in TF.js. Captured states hold no tensors, only
 * `ArrayBuffer`s / typed arrays, so nothing needs disposing.
 */
import * as tf from '@tensorflow/tfjs-core';
import { replayOptimizerAccumulators } from '../../deterministic/optimizer-state.js';
import { CheckpointError } from '../../errors.js';

type NamedTensor = Awaited<ReturnType<tf.Optimizer['getWeights']>>[number];

/**
 * An object that can describe and restore its own state, as in Ignite's `Serializable`.
 *
 */
export interface Stateful {
  /** Returns the state as plain data (may be async). */
  stateDict(): unknown;
  /** Restores the state returned by `stateDict()` (may be async). */
  loadStateDict?(state: never): unknown;
}

/**
 * The duck type of `tf.LayersModel` used by checkpoints (kindling does not import tfjs-layers here).
 *
 */
export interface LayersModelLike {
  readonly weights: ReadonlyArray<{ readonly originalName: string; readonly shape: readonly (number | null)[]; readonly dtype: string }>;
  save(handler: tf.io.IOHandler): Promise<unknown>;
  setWeights(weights: tf.Tensor[]): void;
  loadWeights(weights: tf.NamedTensorMap, strict?: boolean): void;
}

/**
 * The state kindling stores for a `tf.LayersModel`: TF.js model artifacts with the weights joined in one buffer.
 *
 */
export interface LayersModelState {
  kind: 'tf.LayersModel';
  modelTopology: unknown;
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightData: ArrayBuffer;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  userDefinedMetadata?: NonNullable<tf.io.ModelArtifacts['userDefinedMetadata']>;
}

/**
 * The state kindling stores for a `tf.train` optimizer.
 *
 */
export interface OptimizerState {
  kind: 'tf.Optimizer';
  className: string;
  config: Record<string, unknown>;
  iterations: number;
  weights: Array<{ name: string; dtype: string; shape: number[]; data: Float32Array | Int32Array | Uint8Array }>;
}

/**
 * Anything a checkpoint's `toSave` may contain.
 *
 */
export type Checkpointable = Stateful | LayersModelLike | tf.Optimizer;

/**
 * Tells whether a value looks like a `tf.LayersModel` (duck-typed, so models from any tfjs-layers copy work).
 *
 * @param obj - any value.
 * @returns true for `tf.LayersModel` / `tf.Sequential` instances.
 */
export function isLayersModel(obj: unknown): obj is LayersModelLike {
  const o = obj as Record<string, unknown> | null;
  return o !== null && typeof o === 'object' && Array.isArray(o['weights']) && typeof o['save'] === 'function' &&
    typeof o['setWeights'] === 'function' && typeof o['loadWeights'] === 'function' && typeof o['toJSON'] === 'function';
}

/**
 * Tells whether a value is a `tf.train` optimizer.
 *
 * @param obj - any value.
 * @returns true for optimizers (anything with `minimize`, `applyGradients`, `getWeights` and `setWeights`).
 */
export function isOptimizer(obj: unknown): obj is tf.Optimizer {
  const o = obj as Record<string, unknown> | null;
  return o !== null && typeof o === 'object' && typeof o['minimize'] === 'function' &&
    typeof o['applyGradients'] === 'function' && typeof o['getWeights'] === 'function' &&
    typeof o['setWeights'] === 'function';
}

function hasMethod(obj: unknown, name: string): boolean {
  return obj !== null && (typeof obj === 'object' || typeof obj === 'function') &&
    typeof (obj as Record<string, unknown>)[name] === 'function';
}

function describe(obj: unknown): string {
  if (obj === null) return 'null';
  if (typeof obj !== 'object') return typeof obj;
  return (obj as { constructor?: { name?: string } }).constructor?.name ?? 'Object';
}

/**
 * Throws unless an optimizer's state can be saved by TF.js (`getWeights()`/`setWeights()` implemented).
 *
 * @param opt - the optimizer.
 * @param key - its key in `toSave`, for the message.
 * @throws TypeError for optimizers whose TF.js implementation cannot export its state (Adamax, custom ones).
 */
function checkOptimizerSupported(opt: tf.Optimizer, key: string): void {
  const className = opt.getClassName();
  const base = tf.Optimizer.prototype as unknown as Record<string, unknown>;
  const own = opt as unknown as Record<string, unknown>;
  const adamax = (tf.AdamaxOptimizer.prototype as unknown as Record<string, unknown>)['getWeights'];
  if (own['getWeights'] === adamax || own['getWeights'] === base['getWeights'] || own['setWeights'] === base['setWeights']) {
    throw new TypeError(`Optimizer '${key}' (${className}) cannot be checkpointed: TensorFlow.js does not implement ` +
      'getWeights()/setWeights() for it. Use Adam, AdaGrad, AdaDelta, RMSProp, Momentum or SGD, or wrap it in an ' +
      'object with stateDict()/loadStateDict().');
  }
}

/**
 * Checks that every value of a `toSave`/`toLoad` mapping can be checkpointed.
 *
 * @param objs - the mapping.
 * @param method - `'stateDict'` when saving, `'loadStateDict'` when loading.
 * @throws TypeError with Ignite's wording (`Object ... should have `stateDict` method`) for other objects.
 */
export function checkObjects(objs: Record<string, unknown>, method: 'stateDict' | 'loadStateDict'): void {
  for (const [key, obj] of Object.entries(objs)) {
    if (hasMethod(obj, method)) continue;
    if (isLayersModel(obj)) continue;
    if (isOptimizer(obj)) {
      checkOptimizerSupported(obj, key);
      continue;
    }
    throw new TypeError(`Object ${describe(obj)} should have \`${method}\` method (key '${key}'); or pass a ` +
      'tf.LayersModel or a tf.train optimizer.');
  }
}

/**
 * Captures the state of one checkpointable object as plain data.
 *
 * @param obj - an object with `stateDict()`, a `tf.LayersModel` or a `tf.train` optimizer.
 * @returns its state (a `LayersModelState`, an `OptimizerState`, or whatever `stateDict()` returned).
 * @throws {@link CheckpointError} when TF.js fails to export the weights.
 */
export async function captureState(obj: unknown): Promise<unknown> {
  if (hasMethod(obj, 'stateDict')) return await (obj as Stateful).stateDict();
  if (isLayersModel(obj)) return captureModelState(obj);
  if (isOptimizer(obj)) return captureOptimizerState(obj);
  throw new TypeError(`Object ${describe(obj)} should have \`stateDict\` method`);
}

/**
 * Restores the state of one checkpointable object.
 *
 * @param obj - the target (`loadStateDict()` object, `tf.LayersModel` or optimizer).
 * @param state - the state captured by {@link captureState} (possibly after a save/load round trip).
 * @param key - the object's key, used in error messages.
 * @returns a promise resolved when the state is applied.
 * @throws {@link CheckpointError} when the state does not fit the object (other kind, other shapes).
 */
export async function restoreState(obj: unknown, state: unknown, key: string): Promise<void> {
  if (hasMethod(obj, 'loadStateDict')) {
    await (obj as { loadStateDict(s: unknown): unknown }).loadStateDict(state);
  } else if (isLayersModel(obj)) {
    restoreModelState(obj, expectKind<LayersModelState>(state, 'tf.LayersModel', key));
  } else if (isOptimizer(obj)) {
    await restoreOptimizerState(obj, expectKind<OptimizerState>(state, 'tf.Optimizer', key));
  } else {
    throw new TypeError(`Object ${describe(obj)} should have \`loadStateDict\` method`);
  }
}

function expectKind<T>(state: unknown, kind: string, key: string): T {
  const got = state !== null && typeof state === 'object' ? (state as Record<string, unknown>)['kind'] : undefined;
  if (got !== kind) {
    throw new CheckpointError(`Object labeled by '${key}' expects a ${kind} state, but the checkpoint holds ` +
      `${typeof got === 'string' ? `a ${got} state` : 'a plain state dict'}. Check the keys of \`toLoad\`.`);
  }
  return state as T;
}

async function captureModelState(model: LayersModelLike): Promise<LayersModelState> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler((artifacts) => {
    captured = artifacts;
    return Promise.resolve({ modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) });
  }));
  if (captured === undefined) throw new CheckpointError('tf.LayersModel.save() produced no artifacts');
  return modelStateFromArtifacts(captured);
}

/**
 * Converts TF.js model artifacts to the `LayersModelState` kindling stores (weights joined into one buffer).
 *
 * @param artifacts - artifacts from `model.save()` / an IOHandler.
 * @returns the state.
 */
export function modelStateFromArtifacts(artifacts: tf.io.ModelArtifacts): LayersModelState {
  const state: LayersModelState = {
    kind: 'tf.LayersModel',
    modelTopology: artifacts.modelTopology ?? null,
    weightSpecs: artifacts.weightSpecs ?? [],
    weightData: tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0)),
    convertedBy: artifacts.convertedBy ?? null,
  };
  if (artifacts.format !== undefined) state.format = artifacts.format;
  if (artifacts.generatedBy !== undefined) state.generatedBy = artifacts.generatedBy;
  if (artifacts.userDefinedMetadata !== undefined) state.userDefinedMetadata = artifacts.userDefinedMetadata;
  return state;
}

/**
 * Converts a stored `LayersModelState` back to TF.js model artifacts (for `tf.loadLayersModel`).
 *
 * @param state - the stored state.
 * @returns TF.js `ModelArtifacts`.
 */
export function artifactsFromModelState(state: LayersModelState): tf.io.ModelArtifacts {
  const artifacts: tf.io.ModelArtifacts = { weightSpecs: state.weightSpecs, weightData: state.weightData };
  if (state.modelTopology !== null && state.modelTopology !== undefined) {
    artifacts.modelTopology = state.modelTopology;
  }
  if (state.format !== undefined) artifacts.format = state.format;
  if (state.generatedBy !== undefined) artifacts.generatedBy = state.generatedBy;
  if (typeof state.convertedBy === 'string') artifacts.convertedBy = state.convertedBy;
  if (state.userDefinedMetadata !== undefined) artifacts.userDefinedMetadata = state.userDefinedMetadata;
  return artifacts;
}

function restoreModelState(model: LayersModelLike, state: LayersModelState): void {
  const named = tf.io.decodeWeights(state.weightData, state.weightSpecs);
  try {
    const modelNames = new Set(model.weights.map((w) => w.originalName));
    const byName = state.weightSpecs.length === model.weights.length &&
      state.weightSpecs.every((s) => modelNames.has(s.name));
    if (byName) {
      model.loadWeights(named, true);
      return;
    }
    // Porting note: a model rebuilt in the same process gets new auto-generated layer names (dense_Dense3 instead
    // of dense_Dense1), so when names differ the weights are matched by position, with shapes checked.
    if (state.weightSpecs.length !== model.weights.length) {
      throw new CheckpointError(`The checkpoint holds ${state.weightSpecs.length} weights but the model has ` +
        `${model.weights.length}; the architectures differ.`);
    }
    const tensors = state.weightSpecs.map((spec, i) => {
      const target = model.weights[i];
      const t = named[spec.name];
      if (t === undefined || target === undefined || target.shape.join(',') !== spec.shape.join(',')) {
        throw new CheckpointError(`Weight ${i} ('${spec.name}', shape [${spec.shape.join(', ')}]) does not fit the ` +
          `model's weight '${target?.originalName ?? '?'}' (shape [${target?.shape.join(', ') ?? ''}]).`);
      }
      return t;
    });
    model.setWeights(tensors);
  } finally {
    tf.dispose(Object.values(named));
  }
}

async function captureOptimizerState(opt: tf.Optimizer): Promise<OptimizerState> {
  checkOptimizerSupported(opt, opt.getClassName());
  let named: NamedTensor[];
  try {
    named = await opt.getWeights();
  } catch (e) {
    throw new CheckpointError(`Cannot read the state of optimizer ${opt.getClassName()}`, { cause: e });
  }
  const [iter, ...slots] = named;
  try {
    const weights: OptimizerState['weights'] = [];
    for (const { name, tensor } of slots) {
      const data = await tensor.data();
      weights.push({ name, dtype: tensor.dtype, shape: tensor.shape.slice(), data: (data as Float32Array).slice() });
    }
    const iterations = iter === undefined ? opt.iterations : (await iter.tensor.data())[0] ?? 0;
    return { kind: 'tf.Optimizer', className: opt.getClassName(), config: { ...opt.getConfig() }, iterations, weights };
  } finally {
    // The iteration scalar is created by getWeights(); the slot tensors are the optimizer's own variables.
    for (const { tensor } of named) if (!(tensor instanceof tf.Variable)) tensor.dispose();
  }
}

async function restoreOptimizerState(opt: tf.Optimizer, state: OptimizerState): Promise<void> {
  if (state.className !== opt.getClassName()) {
    throw new CheckpointError(`The checkpoint holds the state of a ${state.className} optimizer, but the target is ` +
      `${opt.getClassName()}. Create the same optimizer class before loading.`);
  }
  const old = (await opt.getWeights()).filter((w) => {
    if (w.tensor instanceof tf.Variable) return true;
    w.tensor.dispose();
    return false;
  });
  const fresh: NamedTensor[] = [{ name: 'iter', tensor: tf.scalar(state.iterations, 'int32') }];
  for (const w of state.weights) {
    fresh.push({ name: w.name, tensor: tf.tensor(w.data, w.shape, w.dtype as 'float32' | 'int32' | 'bool') });
  }
  try {
    await opt.setWeights(fresh);
  } catch (e) {
    throw new CheckpointError(`Cannot restore the state of optimizer ${opt.getClassName()}`, { cause: e });
  } finally {
    tf.dispose(fresh.map((w) => w.tensor));
  }
  // setWeights() makes new variables and drops the old ones without disposing them.
  const kept = new Set((await opt.getWeights()).map((w) => {
    if (!(w.tensor instanceof tf.Variable)) w.tensor.dispose();
    return w.tensor;
  }));
  for (const w of old) if (!kept.has(w.tensor)) w.tensor.dispose();
  // Adam's setWeights() recomputes its bias corrections with pow(); replay them as training does (bit-exact resume).
  replayOptimizerAccumulators(opt);
  restoreLearningRate(opt, state.config['learningRate']);
}

function restoreLearningRate(opt: tf.Optimizer, lr: unknown): void {
  if (typeof lr !== 'number') return;
  const o = opt as unknown as { setLearningRate?: (lr: number) => void; learningRate?: number };
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  else if ('learningRate' in o) o.learningRate = lr;
}
