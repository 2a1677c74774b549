import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, Events, silentLogger } from '../../src/index.js';
import { setupCommonTrainingHandlers } from '../../src/node/common.js';

class FakeStream {
  text = '';
  isTTY = false;
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('setupCommonTrainingHandlers', () => {
  it('checkpoints every saveEvery iterations, averages output entries, calls the scheduler and the sampler', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kindling-common-'));
    const trainer = new Engine((_e, b: number) => ({ a: b, b: 2 * b }), { logger: silentLogger });
    const lrCalls: number[] = [];
    const epochs: number[] = [];
    const stream = new FakeStream();
    setupCommonTrainingHandlers(trainer, {
      toSave: { trainer },
      outputPath: dir,
      saveEvery: 5,
      lrScheduler: (e) => { lrCalls.push(e.state.iteration); },
      outputNames: ['a', 'b'],
      trainSampler: { setEpoch: (e) => epochs.push(e) },
      logEveryIters: 2,
      stream,
    });
    await trainer.run(range(6), { maxEpochs: 2 });
    assert.deepEqual(readdirSync(dir), ['training_trainer_10.ckpt']);
    assert.deepEqual(lrCalls, range(12).map((i) => i + 1));
    assert.deepEqual(epochs, [0, 1]);
    // RunningAverage (alpha 0.98) of a: 0,1,...,5,0,...,5; of b = 2a.
    let ra = 0;
    [...range(6), ...range(6)].forEach((v, i) => { ra = i === 0 ? v : ra * 0.98 + 0.02 * v; });
    assert.ok(Math.abs((trainer.state.metrics['a'] as number) - ra) < 1e-9);
    assert.ok(Math.abs((trainer.state.metrics['b'] as number) - 2 * ra) < 1e-9);
    assert.match(stream.text, /Epoch/);
  });

  it('stops on NaN by default and not with stopOnNan: false', async () => {
    for (const stopOnNan of [true, false]) {
      const trainer = new Engine((_e, b: number) => (b === 3 ? NaN : b), { logger: silentLogger });
      setupCommonTrainingHandlers(trainer, { stopOnNan, withPbars: false });
      const state = await trainer.run(range(10));
      assert.equal(state.iteration, stopOnNan ? 4 : 10);
    }
  });

  it('attaches a scheduler object with attach(), and rejects toSave without a destination', () => {
    const trainer = new Engine((_e, b: number) => b);
    let attached: unknown = null;
    setupCommonTrainingHandlers(trainer, { lrScheduler: { attach: (e) => { attached = e; } }, withPbars: false, stopOnNan: false });
    assert.equal(attached, trainer);
    assert.throws(() => setupCommonTrainingHandlers(trainer, { toSave: { trainer } }), /outputPath or saveHandler/);
    assert.equal(existsSync('training_checkpoint_1000.ckpt'), false);
    assert.ok(trainer.hasRegisteredEvents(Events.ITERATION_COMPLETED));
  });
});
