// EpochOutputStore on a real engine.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Engine, Events, silentLogger } from '../../src/engine/index.js';
import { EpochOutputStore } from '../../src/handlers/epoch-output-store.js';

const engine = () => new Engine((e, b: number) => [b * 10, e.state.epoch], { logger: silentLogger });

describe('EpochOutputStore', () => {
  it('test_store_data: keeps the outputs of the current epoch only', async () => {
    const e = engine();
    const store = new EpochOutputStore();
    store.attach(e);
    const lengths: number[] = [];
    e.on(Events.EPOCH_COMPLETED, () => lengths.push(store.data.length));
    await e.run([1, 2, 3], { maxEpochs: 2 });
    assert.deepEqual(lengths, [3, 3]);
    assert.deepEqual(store.data, [[10, 2], [20, 2], [30, 2]]);
  });

  it('test_transform and test_attach with a name: copies the list to engine.state[name] at EPOCH_COMPLETED', async () => {
    const e = engine();
    const store = new EpochOutputStore({ outputTransform: (o) => (o as number[])[0] as number });
    store.attach(e, 'outputs');
    assert.ok(!('outputs' in e.state));
    await e.run([1, 2], { maxEpochs: 1 });
    assert.deepEqual(e.state['outputs'], [10, 20]);
  });

  it('test_reset', () => {
    const store = new EpochOutputStore();
    store.data.push(1);
    store.reset();
    assert.deepEqual(store.data, []);
  });
});
