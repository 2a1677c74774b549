import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Engine, Events, silentLogger } from '../../src/index.js';
import { CsvLogger, JsonlLogger } from '../../src/node/logging/file-loggers.js';
import { GradsScalarHandler, WeightsHistHandler, WeightsScalarHandler, igniteWeightName } from '../../src/logging/model-handlers.js';
import * as tfl from '@tensorflow/tfjs-layers';
import { createSupervisedTrainer, mseLoss } from '../../src/training/index.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'kindling-log-'));
const readJsonl = (path: string): Record<string, unknown>[] =>
  readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('OutputHandler semantics', () => {
  it('logs selected metrics, the transformed output and state attributes with the event counter as step', async () => {
    const dir = tmp();
    const engine = new Engine((_e, b: number) => b, { logger: silentLogger });
    engine.on(Events.EPOCH_COMPLETED, (e) => {
      e.state.metrics['acc'] = e.state.epoch / 10;
      e.state.metrics['cm'] = [1, 2];
      e.state.metrics['ignored'] = 5;
      e.state['alpha'] = 3;
    });
    const log = new JsonlLogger(dir);
    log.attachOutputHandler(engine, { event: Events.EPOCH_COMPLETED, tag: 'val', metricNames: ['acc', 'cm'], stateAttributes: ['alpha'] });
    log.attachOutputHandler(engine, { tag: 'train', outputTransform: (o) => o });
    await engine.run([10, 20], { maxEpochs: 2 });
    await log.close();
    const recs = readJsonl(join(dir, 'metrics.jsonl')).map((r) => [r['tag'], r['step'], r['value']]);
    assert.deepEqual(recs.filter((r) => String(r[0]).startsWith('val/')), [
      ['val/acc', 1, 0.1], ['val/cm/0', 1, 1], ['val/cm/1', 1, 2], ['val/alpha', 1, 3],
      ['val/acc', 2, 0.2], ['val/cm/0', 2, 1], ['val/cm/1', 2, 2], ['val/alpha', 2, 3],
    ]);
    assert.deepEqual(recs.filter((r) => r[0] === 'train/output'), [
      ['train/output', 1, 10], ['train/output', 2, 20], ['train/output', 3, 10], ['train/output', 4, 20],
    ]);
  });

  it("metricNames 'all' logs every metric; globalStepTransform sets the step; a bad metricNames string throws", async () => {
    const dir = tmp();
    const trainer = new Engine((_e, b: number) => b, { logger: silentLogger });
    const evaluator = new Engine((_e, b: number) => b, { logger: silentLogger });
    evaluator.on(Events.COMPLETED, (e) => Object.assign(e.state.metrics, { a: 1, b: { c: 2 } }));
    const log = new CsvLogger(dir);
    assert.throws(() => log.attachOutputHandler(evaluator, { tag: 'x', metricNames: 'some' as 'all' }), TypeError);
    log.attachOutputHandler(evaluator, { event: Events.COMPLETED, tag: 'validation', metricNames: 'all', globalStepTransform: () => trainer.state.epoch * 100 });
    trainer.on(Events.EPOCH_COMPLETED, async () => { await evaluator.run([1]); });
    await trainer.run([1, 2], { maxEpochs: 2 });
    await log.close();
    assert.deepEqual(
      readFileSync(join(dir, 'metrics.csv'), 'utf8').trim().split('\n').map((l) => l.split(',').slice(1).join(',')),
      ['step,tag,value', '100,validation/a,1', '100,validation/b/c,2', '200,validation/a,1', '200,validation/b/c,2'],
    );
  });

  it('logs the learning rate of a tf optimizer as lr/group_0 at ITERATION_STARTED', async () => {
    const dir = tmp();
    const opt = tf.train.adam(0.01);
    const engine = new Engine((_e, b: number) => b, { logger: silentLogger });
    const log = new JsonlLogger(dir);
    log.attachOptParamsHandler(engine, { optimizer: opt });
    await engine.run([1, 2], { maxEpochs: 1 });
    await log.close();
    assert.deepEqual(readJsonl(join(dir, 'metrics.jsonl')).map((r) => [r['tag'], r['step'], r['value']]), [
      ['lr/group_0', 1, 0.01], ['lr/group_0', 2, 0.01],
    ]);
    opt.dispose();
  });
});

describe('logging never stops training', () => {
  it('a failing sink reports the error once and the run completes', async () => {
    const blocker = join(tmp(), 'a-file');
    writeFileSync(blocker, 'x');
    const errors: unknown[] = [];
    const log = new JsonlLogger(join(blocker, 'sub'), { onError: (e) => errors.push(e) }); // mkdir under a file fails
    const engine = new Engine((_e, b: number) => b, { logger: silentLogger });
    log.attachOutputHandler(engine, { tag: 't', outputTransform: (o) => o });
    const state = await engine.run([1, 2, 3], { maxEpochs: 3 });
    await log.close();
    assert.equal(state.iteration, 9);
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /ENOTDIR|EEXIST/);
    assert.ok(log.droppedRecords >= 8);
  });

  it('handlers return synchronously: records are written after the event, by the queue', async () => {
    const dir = tmp();
    const log = new JsonlLogger(dir);
    const engine = new Engine((_e, b: number) => b, { logger: silentLogger });
    log.attachOutputHandler(engine, { tag: 't', outputTransform: (o) => o });
    const seenOnDisk: boolean[] = [];
    engine.on(Events.ITERATION_COMPLETED, () => { seenOnDisk.push(existsSync(join(dir, 'metrics.jsonl'))); });
    const p = engine.run([1, 2, 3]);
    await p;
    await log.close();
    assert.equal(seenOnDisk[0], false, 'the handler returned before anything was written');
    assert.equal(readJsonl(join(dir, 'metrics.jsonl')).length, 3);
  });
});

describe('weights and gradients handlers', () => {
  it('log norms and histograms computed on device, leak-free', async () => {
    await tf.setBackend('cpu');
    const w = tf.variable(tf.tensor2d([[3, 4], [0, 0]]), true, 'dense/kernel');
    const model = { trainableWeights: [{ name: 'dense/kernel', read: () => w }] };
    const grads = { 'dense/kernel': tf.tensor2d([[1, 0], [0, 0]]) };
    const dir = tmp();
    const log = new JsonlLogger(dir);
    const engine = new Engine((_e, b: number) => b, { logger: silentLogger });
    log.attach(engine, new WeightsScalarHandler(model), Events.EPOCH_COMPLETED);
    log.attach(engine, new WeightsHistHandler(model, { tag: 'm' }), Events.EPOCH_COMPLETED);
    log.attach(engine, new GradsScalarHandler(grads, { reduction: 'max' }), Events.EPOCH_COMPLETED);
    const before = tf.memory().numTensors;
    await engine.run([1], { maxEpochs: 3 });
    await log.close();
    assert.equal(tf.memory().numTensors, before);
    const recs = readJsonl(join(dir, 'metrics.jsonl'));
    assert.deepEqual(recs.filter((r) => r['tag'] === 'weights_norm/dense/kernel').map((r) => r['value']), [5, 5, 5]);
    assert.deepEqual(recs.filter((r) => r['tag'] === 'grads_max/dense/kernel').map((r) => r['value']), [1, 1, 1]);
    const hist = recs.find((r) => r['tag'] === 'm/weights/dense/kernel');
    assert.deepEqual([hist?.['min'], hist?.['max'], hist?.['count'], hist?.['mean']], [0, 4, 4, 1.75]);
    w.dispose();
    tf.dispose(grads);
  });
});

describe('weights and gradients handlers: whitelist and model-based gradients', () => {
  const mlp = (): tfl.Sequential => tfl.sequential({ layers: [
    tfl.layers.dense({ units: 3, inputShape: [2], name: 'fc1' }),
    tfl.layers.dense({ units: 1, name: 'fc2' }),
  ] });
  const tagsOf = (recs: Record<string, unknown>[]): string[] => [...new Set(recs.map((r) => String(r['tag'])))].sort();

  it('test_weights_scalar_handler_whitelist: prefixes of TF.js names and Ignite-style names, a callable, a warning', async () => {
    await tf.setBackend('cpu');
    assert.equal(igniteWeightName('fc2/kernel'), 'fc2.weight');
    const model = mlp();
    const warnings: string[] = [];
    const logger = { warn: (m: string) => void warnings.push(m) };
    const dir = tmp();
    const log = new JsonlLogger(dir);
    const engine = new Engine((_e, b: number) => b, { logger: silentLogger });
    log.attach(engine, new WeightsScalarHandler(model, { whitelist: ['fc1'], tag: 'a' }), Events.EPOCH_COMPLETED);
    log.attach(engine, new WeightsScalarHandler(model, { whitelist: ['fc2.weight'], tag: 'b' }), Events.EPOCH_COMPLETED);
    log.attach(engine, new WeightsScalarHandler(model, { whitelist: (n) => n.endsWith('bias'), tag: 'c' }), Events.EPOCH_COMPLETED);
    log.attach(engine, new WeightsScalarHandler(model, { whitelist: ['conv'], tag: 'd', logger }), Events.EPOCH_COMPLETED);
    await engine.run([1], { maxEpochs: 2 });
    await log.close();
    const tags = tagsOf(readJsonl(join(dir, 'metrics.jsonl')));
    const names = model.trainableWeights.map((w) => w.name);
    const fc1 = names.filter((n) => n.startsWith('fc1'));
    assert.ok(fc1.length === 2, names.join(', '));
    assert.deepEqual(tags.filter((t) => t.startsWith('a/')), fc1.map((n) => `a/weights_norm/${n}`).sort());
    assert.deepEqual(tags.filter((t) => t.startsWith('b/')), ['b/weights_norm/fc2/kernel']);
    assert.deepEqual(tags.filter((t) => t.startsWith('c/')), names.filter((n) => n.endsWith('bias')).map((n) => `c/weights_norm/${n}`).sort());
    assert.equal(tags.filter((t) => t.startsWith('d/')).length, 0);
    assert.equal(warnings.length, 1, 'warned once, not per event');
    assert.match(warnings[0]!, /whitelist matches none of the 4 tensors/);
    model.dispose();
  });

  it('test_grads_scalar_handler: given the model, logs the gradients the supervised trainer captured', async () => {
    await tf.setBackend('cpu');
    const model = mlp();
    const trainer = createSupervisedTrainer(model, tf.train.sgd(0.1), mseLoss);
    const dir = tmp();
    const log = new JsonlLogger(dir);
    log.attach(trainer, new GradsScalarHandler(model, { whitelist: ['fc2'] }), Events.ITERATION_COMPLETED);
    const x = [[1, 2], [3, 4]];
    await trainer.run([[x, [[1], [0]]], [x, [[0], [1]]]]);
    await log.close();
    const recs = readJsonl(join(dir, 'metrics.jsonl'));
    assert.deepEqual(tagsOf(recs), model.trainableWeights.map((w) => w.name).filter((n) => n.startsWith('fc2')).map((n) => `grads_norm/${n}`).sort());
    assert.equal(recs.length, 4, 'two fc2 gradients at each of two iterations');
    assert.ok(recs.every((r) => { const v = r['value']; return typeof v === 'number' && v > 0; }));
    model.dispose();
  });
});
