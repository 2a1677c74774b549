/**
 * @module Side effect: makes sure TensorFlow.js's gradient functions are registered. `@tensorflow/tfjs-core` alone
 * does not register them; tfjs-layers does on import (its Node bundle inlines them, its ESM entry imports
 * `register_all_gradients`), and the supervised steps differentiate any model, including plain functions of
 * tf.Variables. Listed in package.json `sideEffects` so bundlers keep it.
 */
import '@tensorflow/tfjs-layers';
