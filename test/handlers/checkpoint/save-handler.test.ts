// BaseSaveHandler as a base class: a custom saver extends it and Checkpoint saves, rotates (remove) and loads through it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Engine, Events, silentLogger } from '../../../src/engine/index.js';
import { Checkpoint } from '../../../src/handlers/checkpoint/checkpoint.js';
import { BaseSaveHandler, isBaseSaveHandler, type CheckpointMetadata } from '../../../src/handlers/checkpoint/save-handler.js';

class MemorySaver extends BaseSaveHandler {
  readonly store = new Map<string, unknown>();
  readonly calls: string[] = [];
  save(checkpoint: unknown, filename: string, metadata: CheckpointMetadata): void {
    this.calls.push(`save ${filename} ${metadata.basename} ${metadata.priority}`);
    this.store.set(filename, checkpoint);
  }
  remove(filename: string): void {
    this.calls.push(`remove ${filename}`);
    this.store.delete(filename);
  }
  override load(filename: string): Promise<unknown> {
    return Promise.resolve(this.store.get(filename));
  }
}

describe('BaseSaveHandler', () => {
  it('a subclass is a save handler: Checkpoint saves, removes the oldest and loads through it', async () => {
    const saver = new MemorySaver();
    assert.ok(saver instanceof BaseSaveHandler);
    assert.ok(isBaseSaveHandler(saver));
    const counter = { n: 0, stateDict: () => ({ n: counter.n }), loadStateDict: (s: { n: number }) => void (counter.n = s.n) };
    const trainer = new Engine((_e, _b: number) => void counter.n++, { logger: silentLogger });
    const checkpoint = new Checkpoint({ toSave: { counter }, saveHandler: saver, nSaved: 2 });
    trainer.on(Events.EPOCH_COMPLETED, checkpoint);
    await trainer.run([0, 1], { maxEpochs: 3 });
    assert.deepEqual(saver.calls, [
      'save counter_2.ckpt counter 2', 'save counter_4.ckpt counter 4',
      'save counter_6.ckpt counter 6', 'remove counter_2.ckpt',
    ]);
    counter.n = 0;
    await Checkpoint.loadObjects({ toLoad: { counter }, checkpoint: 'counter_4.ckpt', handler: saver });
    assert.equal(counter.n, 4);
  });
});
