// Port of Ignite's tests/ignite/metrics/test_metric_group.py.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Engine } from '../../src/engine/index.js';
import { Accuracy, MetricGroup, Precision, Recall } from '../../src/metrics/index.js';
import { close, useCpu } from './reference.js';

before(useCpu);

const yPred = [[0.9, 0.1], [0.3, 0.7], [0.6, 0.4], [0.2, 0.8]];
const y = [0, 1, 1, 1];

describe('MetricGroup', () => {
  it('test_update / test_compute: members are updated together and computed into { name: value }', () => {
    const n = tf.memory().numTensors;
    const group = new MetricGroup({ precision: new Precision(), recall: new Recall() });
    const p = new Precision();
    const r = new Recall();
    group.update([yPred, y]);
    p.update([yPred, y]);
    r.update([yPred, y]);
    const out = group.compute();
    close(out['precision'], p.compute(), 1e-12);
    close(out['recall'], r.compute(), 1e-12);
    for (const m of [group, p, r]) m.reset();
    assert.equal(tf.memory().numTensors, n);
  });

  it('test_integration: attached to an engine, each member\'s outputTransform applies after the group\'s', async () => {
    const group = new MetricGroup(
      { acc: new Accuracy(), accFlipped: new Accuracy({ outputTransform: (o) => [(o as number[][][])[0], (o as number[][])[1]!.map((v) => 1 - v)] }) },
      { outputTransform: (o) => (o as { pair: unknown }).pair },
    );
    const engine = new Engine((_e, b: [number[][], number[]]) => ({ pair: b }));
    group.attach(engine, 'group');
    const state = await engine.run([[yPred, y]]);
    close(state.metrics['acc'], 3 / 4, 1e-12);
    close(state.metrics['accFlipped'], 1 / 4, 1e-12);
    assert.deepEqual(Object.keys(state.metrics['group'] as object).sort(), ['acc', 'accFlipped']);
  });

  it('test_state_dict: a group saves and restores each member', () => {
    const a = new MetricGroup({ acc: new Accuracy() });
    a.update([yPred.slice(0, 2), y.slice(0, 2)]);
    const b = new MetricGroup({ acc: new Accuracy() });
    b.loadStateDict(JSON.parse(JSON.stringify(a.stateDict())) as ReturnType<MetricGroup['stateDict']>);
    b.update([yPred.slice(2), y.slice(2)]);
    close(b.compute()['acc'], 3 / 4, 1e-12);
    assert.throws(() => new MetricGroup({ other: new Accuracy() }).loadStateDict(a.stateDict()), /no state for the group member 'other'/);
    a.reset();
    b.reset();
  });
});
