import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { Engine, silentLogger } from '../../src/engine/index.js';
import { NotComputableError } from '../../src/errors.js';
import { Entropy, MutualInformation } from '../../src/metrics/similarity/index.js';
import { close, useCpu } from './reference.js';

before(useCpu);

type Nested = number | Nested[];
interface InformationCase {
  batches: [Nested, Nested][];
  entropy: number;
  mutualInformation: number;
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/similarity.json', import.meta.url), 'utf8')) as {
  information: InformationCase[];
};
const toBatch = ([a, b]: [Nested, Nested]): [tf.Tensor, tf.Tensor] => [tf.tensor(a), tf.tensor(b)];
const DOC_LOGITS = [[0.0, 0.6931, 1.0986], [1.3863, 1.6094, 1.6094], [0.0, -2.3026, -2.3026]];

describe('Entropy and MutualInformation', () => {
  it('match scipy.stats.entropy for (B, C) and (B, C, H, W) logits in batches of different sizes (fixture)', () => {
    for (const { batches, entropy, mutualInformation } of fixture.information) {
      const ent = new Entropy();
      const mi = new MutualInformation();
      for (const b of batches) {
        const out = toBatch(b);
        ent.update(out);
        mi.update(out);
        tf.dispose(out);
      }
      close(ent.compute(), entropy, 1e-5);
      close(mi.compute(), mutualInformation, 1e-5);
    }
  });

  it("Ignite's docstring examples (0.8902875582377116 and 0.18599730730056763), through an Engine", async () => {
    const engine = new Engine((_e, b: [tf.Tensor, tf.Tensor]) => b, { logger: silentLogger });
    new Entropy().attach(engine, 'entropy');
    new MutualInformation().attach(engine, 'mutual_information');
    const yPred = tf.tensor2d(DOC_LOGITS);
    const yTrue = tf.tensor1d([0, 1, 2], 'int32'); // not used
    const state = await engine.run([[yPred, yTrue]], { maxEpochs: 1 });
    close(state.metrics.entropy, 0.8902875582377116, 1e-6);
    close(state.metrics.mutual_information, 0.18599730730056763, 1e-6);
    tf.dispose([yPred, yTrue]);
  });

  it('uniform logits: entropy ln C and no mutual information', () => {
    const mi = new MutualInformation();
    mi.update([[[0, 0, 0, 0, 0], [0, 0, 0, 0, 0]], [0, 1]]);
    close(mi.compute(), 0, 1e-6);
    const ent = new Entropy();
    ent.update([[[[0, 0], [0, 0], [0, 0], [0, 0], [0, 0]]], [0]]);
    close(ent.compute(), Math.log(5), 1e-6);
  });

  it('leak-free across engine runs', async () => {
    const { batches, mutualInformation } = fixture.information[1]!;
    const data = batches.map(toBatch);
    const engine = new Engine((_e, b: [tf.Tensor, tf.Tensor]) => b, { logger: silentLogger });
    const metric = new MutualInformation();
    metric.attach(engine, 'mi');
    const n = tf.memory().numTensors;
    for (let run = 0; run < 2; run++) {
      close((await engine.run(data, { maxEpochs: 2 })).metrics.mi, mutualInformation, 1e-5);
      metric.reset();
      assert.equal(tf.memory().numTensors, n);
    }
    tf.dispose(data.flat());
  });

  it("works with other usages: 'batch_wise' gives each batch's value, 'running_batch_wise' the running value", async () => {
    const { batches } = fixture.information[0]!;
    const data = batches.map(toBatch);
    const engine = new Engine((_e, b: [tf.Tensor, tf.Tensor]) => b, { logger: silentLogger });
    new Entropy().attach(engine, 'batch', { usage: 'batch_wise' });
    new Entropy().attach(engine, 'running', { usage: 'running_batch_wise' });
    const seen: [number, number][] = [];
    engine.on('iteration_completed', (e: Engine<[tf.Tensor, tf.Tensor], [tf.Tensor, tf.Tensor]>) => {
      seen.push([e.state.metrics.batch as number, e.state.metrics.running as number]);
    });
    await engine.run(data, { maxEpochs: 1 });
    const last = new Entropy();
    last.update(data.at(-1)!);
    close(seen.at(-1)![0], last.compute(), 1e-6);
    close(seen.at(-1)![1], fixture.information[0]!.entropy, 1e-5);
    close(seen[0]![0], seen[0]![1], 1e-7);
    tf.dispose(data.flat());
  });

  it('errors: 1-D logits, bad output, no data', () => {
    assert.throws(() => new Entropy().update([tf.zeros([3]), tf.zeros([3])]), /yPred must be in the shape of \(B, C\) or \(B, C, \.\.\.\), got \[3\]/);
    assert.throws(() => new MutualInformation().update(tf.zeros([3, 2])), TypeError);
    assert.throws(() => new Entropy().compute(), /Entropy must have at least one example/);
    assert.throws(() => new MutualInformation().compute(), NotComputableError);
  });
});
