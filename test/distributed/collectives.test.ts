/**
 * The collectives on numbers, strings, arrays, typed arrays and tensors (src/distributed/collectives.ts) in one
 * process: identities that return new values, with Ignite's errors for a bad op or source rank. Their reduction
 * across ranks is checked under mpirun in mpirun.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { allGather, allReduce, broadcast } from '../../src/distributed/collectives.js';

before(async () => {
  await tf.setBackend('cpu');
});

describe('collectives in a single process', () => {
  it('collectives are identities', () => {
    const start = tf.memory().numTensors;
    assert.equal(allReduce(3), 3);
    assert.deepEqual(allReduce([1, 2], 'MAX'), [1, 2]);
    assert.deepEqual(allGather(5), [5]);
    assert.deepEqual(allGather('a'), ['a']);
    assert.deepEqual(Array.from(allGather(new Int32Array([1, 2]))), [1, 2]);
    assert.equal(broadcast('x'), 'x');
    assert.equal(broadcast(7, { src: 0 }), 7);
    assert.throws(() => broadcast(7, { src: 1 }), RangeError);
    assert.throws(() => allReduce(1, 'MEAN' as never), /Unsupported all reduce op/);
    const t = tf.tensor1d([1, 2]);
    const r = allReduce(t);
    assert.notEqual(r, t);
    assert.deepEqual(Array.from(r.dataSync()), [1, 2]);
    tf.dispose([t, r]);
    assert.equal(tf.memory().numTensors, start);
  });
});
