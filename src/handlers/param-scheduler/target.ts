/**
 * @module What a parameter scheduler writes to: a {@link ParamTarget}. Port of the `optimizer.param_groups[i][name]`
 * access in ignite/handlers/param_scheduler.py.
 *
 * Porting notes:
 * - tf.js optimizers have no parameter groups and no common learning-rate setter. `SGDOptimizer` and
 *   `MomentumOptimizer` read a cached scalar tensor `c = -lr` in `applyGradients`, so their rate must be changed
 *   through `setLearningRate()` (which disposes the old scalar and keeps a new one). Adam, Adamax, Adagrad, Adadelta
 *   and RMSProp read the plain `learningRate` field at every `applyGradients`, so assigning the field takes effect at
 *   the next step (checked against @tensorflow/tfjs-core 4.22 `dist/optimizers/*.js`).
 * - Only the learning rate is schedulable on a tf.js optimizer: other hyper-parameters (momentum, betas) are turned
 *   into tensors at construction and changing the field would silently do nothing, so they are rejected.
 * - Any other number can be scheduled through {@link stateParam} (an engine state attribute) or {@link objectParam}.
 */

/**
 * A scheduled number: where a scheduler reads and writes its value.
 *
 * @example
 * ```ts
 * const target: ParamTarget = objectParam({ alpha: 0.5 }, 'alpha');
 * target.set(0.25);
 * target.get(); // 0.25
 * ```
 */
export interface ParamTarget {
  /** The object holding the value: two targets with the same owner and key are the same parameter. */
  readonly owner: object;
  /** The parameter's key on its owner (`'lr'` for an optimizer's learning rate). */
  readonly key: string;
  /** Reads the current value. */
  get(): number;
  /** Writes a new value. */
  set(value: number): void;
}

/** What a scheduler accepts as its first argument: a tf.js optimizer (its learning rate) or any {@link ParamTarget}. */
export type ParamTargetLike = ParamTarget | object;

const LR_NAMES = new Set(['lr', 'learningRate', 'learning_rate']);
const cache = new WeakMap<object, Map<string, ParamTarget>>();

function cached(owner: object, key: string, make: () => ParamTarget): ParamTarget {
  let byKey = cache.get(owner);
  if (byKey === undefined) {
    byKey = new Map();
    cache.set(owner, byKey);
  }
  let target = byKey.get(key);
  if (target === undefined) {
    target = make();
    byKey.set(key, target);
  }
  return target;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value).constructor?.name ?? 'object';
  return typeof value;
}

/**
 * Tells whether a value is a {@link ParamTarget}.
 *
 * @param value - anything.
 * @returns true when it has `owner`, `key`, `get` and `set`.
 * @example
 * ```ts
 * isParamTarget(objectParam({ a: 1 }, 'a')); // true
 * isParamTarget(tf.train.sgd(0.1));          // false
 * ```
 */
export function isParamTarget(value: unknown): value is ParamTarget {
  if (value === null || typeof value !== 'object') return false;
  const t = value as Partial<ParamTarget>;
  return typeof t.get === 'function' && typeof t.set === 'function' && typeof t.key === 'string' && typeof t.owner === 'object';
}

/**
 * The learning rate of a tf.js optimizer as a {@link ParamTarget}.
 *
 * @param optimizer - a `tf.train` optimizer (SGD, Momentum, Adam, Adamax, Adagrad, Adadelta, RMSProp) or any object with
 *   a numeric `learningRate` field (and optionally `setLearningRate`).
 * @param paramName - `'lr'` (Ignite's name) or `'learningRate'`.
 * @returns the target; the same object for the same optimizer.
 * @throws TypeError when the optimizer has no numeric `learningRate`.
 * @throws RangeError when `paramName` is not a learning-rate name.
 * @example
 * ```ts
 * const lr = optimizerParam(tf.train.adam(1e-3));
 * lr.set(5e-4); // used by the next applyGradients()
 * ```
 */
export function optimizerParam(optimizer: object, paramName = 'lr'): ParamTarget {
  if (!LR_NAMES.has(paramName)) {
    throw new RangeError(
      `A tf.js optimizer only exposes a schedulable learning rate ('lr'), but given paramName '${paramName}'. ` +
        'Schedule other values through stateParam(engine, name) or objectParam(object, key).',
    );
  }
  const opt = optimizer as { learningRate?: unknown; setLearningRate?: unknown };
  if (optimizer === null || typeof optimizer !== 'object' || typeof opt.learningRate !== 'number') {
    throw new TypeError(
      'Argument optimizer should be a tf.train optimizer with a numeric learningRate (SGD, Momentum, Adam, Adamax, ' +
        `Adagrad, Adadelta, RMSProp) or a ParamTarget, but given ${describe(optimizer)}`,
    );
  }
  const setter = typeof opt.setLearningRate === 'function' ? (opt.setLearningRate as (v: number) => void) : null;
  return cached(optimizer, 'lr', () => ({
    owner: optimizer,
    key: 'lr',
    get: () => opt.learningRate as number,
    set: (value: number) => {
      // SGD/Momentum cache `-lr` as a kept scalar tensor: only setLearningRate() refreshes it.
      if (setter !== null) setter.call(optimizer, value);
      else opt.learningRate = value;
    },
  }));
}

/**
 * A numeric field of any object as a {@link ParamTarget} (missing or non-numeric fields read as `NaN`).
 *
 * @param owner - the object.
 * @param key - the field name.
 * @returns the target; the same object for the same owner and key.
 * @example
 * ```ts
 * const config = { dropout: 0.5 };
 * new PiecewiseLinear(objectParam(config, 'dropout'), 'dropout', { milestonesValues: [[0, 0.5], [10, 0.1]] });
 * ```
 */
export function objectParam(owner: object, key: string): ParamTarget {
  if (owner === null || typeof owner !== 'object') {
    throw new TypeError(`Argument owner should be an object, but given ${describe(owner)}`);
  }
  const bag = owner as Record<string, unknown>;
  return cached(owner, key, () => ({
    owner,
    key,
    get: () => (typeof bag[key] === 'number' ? (bag[key]) : Number.NaN),
    set: (value: number) => {
      bag[key] = value;
    },
  }));
}

/**
 * An engine state attribute (`engine.state[name]`) as a {@link ParamTarget}.
 *
 * @param engine - anything with a `state` object (an `Engine`).
 * @param name - the state attribute.
 * @returns the target.
 * @example
 * ```ts
 * const alpha = stateParam(trainer, 'alpha');
 * new LinearCyclicalScheduler(alpha, 'alpha', { startValue: 0, endValue: 1, cycleSize: 10 }).attach(trainer);
 * ```
 */
export function stateParam(engine: { readonly state: object }, name: string): ParamTarget {
  return objectParam(engine.state, name);
}

/**
 * Normalises a scheduler's first argument into a {@link ParamTarget}.
 *
 * @param target - a {@link ParamTarget} or a tf.js optimizer.
 * @param paramName - the scheduled parameter's name (for optimizers: `'lr'`).
 * @returns the target.
 * @throws TypeError / RangeError as {@link optimizerParam}.
 */
export function toParamTarget(target: ParamTargetLike, paramName: string): ParamTarget {
  return isParamTarget(target) ? target : optimizerParam(target, paramName);
}
