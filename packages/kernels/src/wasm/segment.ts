/**
 * @module `UnsortedSegmentSum` for TensorFlow.js's wasm backend (missing in tfjs-backend-wasm 4.22), needed by the
 * gradient of `tf.gather` and so by every embedding layer. No Ignite counterpart. Deviations: none; ids outside
 * [0, numSegments) are dropped, as on the cpu backend.
 *
 * Built on the wasm `ScatterNd` kernel, which adds the updates that land on the same row: out-of-range ids are sent
 * to one extra row that is cut off afterwards.
 */

import * as tf from '@tensorflow/tfjs-core';
import { withInputs, type SingleKernel } from './kernel-utils.js';

/**
 * The `UnsortedSegmentSum` override.
 *
 * @param args - kernel arguments: inputs x and segmentIds (int32, shape a prefix of x's); attr numSegments.
 * @returns the sums, of shape [numSegments, ...x.shape after the segment ids' dimensions].
 */
export const unsortedSegmentSum: SingleKernel = (args) => withInputs(args, ['x', 'segmentIds'], (x, segmentIds) => {
  const { numSegments } = args.attrs as { numSegments: number };
  const n = segmentIds.size;
  const rest = x.shape.slice(segmentIds.rank);
  const ids = tf.reshape(tf.cast(segmentIds, 'int32'), [n]);
  const valid = tf.logicalAnd(tf.greaterEqual(ids, 0), tf.less(ids, numSegments));
  const rows = tf.where(valid, ids, tf.fill([n], numSegments, 'int32'));
  const sums = tf.scatterND(tf.reshape(rows, [n, 1]), tf.reshape(x, [n, ...rest]), [numSegments + 1, ...rest]);
  return tf.slice(sums, 0, numSegments);
});
