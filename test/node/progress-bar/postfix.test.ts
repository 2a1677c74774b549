import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { collectPostfix, type PostfixSources } from '../../../src/node/progress-bar/postfix.js';
import { formatPostfix } from '../../../src/node/progress-bar/format.js';

await tf.setBackend('cpu');

interface FakeState {
  metrics: Record<string, unknown>;
  output: unknown;
  [key: string]: unknown;
}

function render(state: FakeState, sources: Partial<PostfixSources>): { text: string; warnings: string[] } {
  const warnings: string[] = [];
  const full: PostfixSources = { metricNames: undefined, outputTransform: undefined, stateAttributes: undefined, ...sources };
  const values = collectPostfix(state, full, (m) => warnings.push(m));
  return { text: formatPostfix(values), warnings };
}

describe('collectPostfix', () => {
  it('selects metrics in the given order and warns about missing ones', () => {
    const state = { metrics: { a: 1, b: 0.25, c: 3 }, output: null };
    const { text, warnings } = render(state, { metricNames: ['c', 'missing', 'a'] });
    assert.equal(text, 'c=3, a=1');
    assert.deepEqual(warnings, ["Provided metric name 'missing' is missing in engine's state metrics: ['a', 'b', 'c']"]);
  });

  it("takes every metric for 'all'", () => {
    const state = { metrics: { batchloss: 0.5, 'another batchloss': 1.5 }, output: null };
    assert.equal(render(state, { metricNames: 'all' }).text, 'batchloss=0.5, another batchloss=1.5');
  });

  it('keys a non-object output as output and merges object outputs', () => {
    const state = { metrics: { a: 1 }, output: 7 };
    assert.equal(render(state, { outputTransform: (x) => x }).text, 'output=7');
    assert.equal(render(state, { outputTransform: () => 'red' }).text, 'output=red');
    assert.equal(render(state, { metricNames: ['a'], outputTransform: (x) => ({ loss: x, a: 2 }) }).text, 'a=2, loss=7');
    assert.equal(render(state, { outputTransform: (x) => new Map([['m', x]]) }).text, 'm=7');
  });

  it('adds state attributes and warns about absent ones', () => {
    const state = { metrics: {}, output: null, alpha: 3.899, label: 'x' };
    const { text, warnings } = render(state, { stateAttributes: ['alpha', 'label', 'nothing'] });
    assert.equal(text, 'alpha=3.9, label=x');
    assert.deepEqual(warnings, ['Logger output_handler can not log metrics value type null']);
  });

  it('flattens nested objects with _ and expands sequences as name_0, name_1', () => {
    const state = { metrics: { m: { p: 1, q: { r: 0.5 } }, v: [1, [2, 3]], f: new Float32Array([0.5, 2]) }, output: null };
    assert.equal(render(state, { metricNames: 'all' }).text, 'm_p=1, m_q_r=0.5, v_0=1, v_1_0=2, v_1_1=3, f_0=0.5, f_1=2');
  });

  it('reads 0-d tensors as scalars and expands 1-D tensors with their dtype', () => {
    const beta = tf.scalar(12.21);
    const gamma = tf.tensor1d([21, 6]);
    const ints = tf.tensor1d([5, 0], 'int32');
    const flag = tf.scalar(true, 'bool');
    const state = { metrics: {}, output: ints, alpha: 3.899, beta, gamma, flag };
    const { text, warnings } = render(state, { outputTransform: (x) => x, stateAttributes: ['alpha', 'beta', 'gamma', 'flag'] });
    assert.equal(text, 'output_0=5, output_1=0, alpha=3.9, beta=12.2, gamma_0=21, gamma_1=6, flag=1');
    assert.deepEqual(warnings, []);
    tf.dispose([beta, gamma, ints, flag]);
  });

  it('drops values it cannot show, with the Ignite warning', () => {
    const big = tf.zeros([1, 2, 3, 4]);
    const gone = tf.scalar(1);
    gone.dispose();
    const state = { metrics: { t: big, d: new Date(0), g: gone, fn: () => 1, ok: 2 }, output: null };
    const { text, warnings } = render(state, { metricNames: 'all' });
    assert.equal(text, 'ok=2');
    assert.equal(warnings.length, 4);
    for (const w of warnings) assert.match(w, /^Logger output_handler can not log metrics value type /);
    assert.match(warnings[0] ?? '', /rank 4/);
    big.dispose();
  });

  it('creates no tensors', () => {
    const t = tf.tensor1d([1, 2, 3]);
    const s = tf.scalar(4);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i += 1) render({ metrics: { t, s }, output: s }, { metricNames: 'all', outputTransform: (x) => x });
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([t, s]);
  });
});
