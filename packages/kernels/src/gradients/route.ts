/**
 * @module gradients/route Routing of one `tf.fused` op (`matMul`, `conv2d`) to a kindling kernel while a gradient tape
 * records. TensorFlow.js offers no hook for this (a kernel cannot change which kernels an op runs), so the route
 * replaces the op on `tf.fused`, a plain exported object in TensorFlow.js's Node build; where it cannot be replaced
 * (an ES module namespace in bundled browser builds) nothing changes. Installed and removed explicitly.
 */
import * as tf from '@tensorflow/tfjs-core';

type FusedName = 'matMul' | 'conv2d';

/** A route: install it to wrap the op, uninstall it to put TensorFlow.js's own function back. */
export interface FusedRoute {
  /** Wraps the op (idempotent); returns whether the op can be wrapped in this build. */
  install(): boolean;
  /** Puts TensorFlow.js's own function back (idempotent). */
  uninstall(): void;
  /** Whether the op can be wrapped in this build. */
  readonly routable: boolean;
}

/**
 * A route for `tf.fused[name]`: `route(args)` returns the kernel call to run instead, or null to let TensorFlow.js's
 * own function run it.
 *
 * @param name - the `tf.fused` op.
 * @param kernelName - the kernel a routed call runs.
 * @param route - decides per call.
 * @returns the route, not yet installed.
 */
export function fusedRoute<A>(name: FusedName, kernelName: string, route: (args: A) => { inputs: tf.NamedTensorMap; attrs: tf.NamedAttrMap } | null): FusedRoute {
  const ops = tf.fused as unknown as Record<FusedName, (args: A) => tf.Tensor>;
  const descriptor = Object.getOwnPropertyDescriptor(ops, name);
  const routable = descriptor?.writable === true && !Object.isFrozen(ops);
  let original: ((args: A) => tf.Tensor) | null = null;
  return {
    routable,
    install() {
      if (!routable || original !== null) return routable;
      const own = ops[name];
      original = own;
      ops[name] = function kindlingFusedRoute(args: A): tf.Tensor {
        const call = route(args);
        return call === null ? own(args) : tf.engine().runKernel<tf.Tensor>(kernelName, call.inputs, call.attrs);
      };
      return true;
    },
    uninstall() {
      if (original === null) return;
      ops[name] = original;
      original = null;
    },
  };
}
