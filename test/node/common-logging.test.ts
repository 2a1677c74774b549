// The logging helpers of contrib.engines.common: which handlers they attach on which events (Ignite's _setup_logging),
// what they log, and the file variants.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Engine, Events, eventName, silentLogger, type EventKey, type Handler } from '../../src/engine/index.js';
import { BaseLogger } from '../../src/logging/base-logger.js';
import type { LogRecord, ScalarRecord } from '../../src/logging/records.js';
import { setupAnyLogging, setupCsvLogging, setupDashboardLogging, setupJsonlLogging, setupTbLogging } from '../../src/node/common-logging.js';

await tf.setBackend('cpu');

class SpyEngine extends Engine<number, unknown> {
  readonly attached: string[] = [];
  override on(event: EventKey | readonly EventKey[], handler: Handler<this>, ...args: unknown[]): ReturnType<Engine['on']> {
    for (const e of (Array.isArray(event) ? event : [event]) as EventKey[]) {
      this.attached.push(`${eventName(e)}${typeof e === 'object' && 'filter' in e ? '(filtered)' : ''}`);
    }
    return super.on(event, handler, ...args);
  }
}

class MemoryLogger extends BaseLogger {
  readonly records: LogRecord[] = [];
  protected override write(records: readonly LogRecord[]): void {
    this.records.push(...records);
  }
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

function engines() {
  const trainer = new SpyEngine((_e, b) => b, { logger: silentLogger });
  trainer.on(Events.ITERATION_COMPLETED, (e) => { e.state.metrics['loss'] = 1 / e.state.iteration; });
  trainer.attached.length = 0;
  const evaluator = new SpyEngine((_e, b) => b, { logger: silentLogger });
  evaluator.on(Events.COMPLETED, (e) => { e.state.metrics['acc'] = 0.5; });
  evaluator.attached.length = 0;
  trainer.on(Events.EPOCH_COMPLETED, async () => { await evaluator.run([0]); });
  return { trainer, evaluator };
}

describe('setupAnyLogging and its variants', () => {
  it("test_setup_logging: training metrics every N iterations, lr at ITERATION_STARTED(every), evaluators on COMPLETED", async () => {
    const { trainer, evaluator } = engines();
    const optimizer = tf.train.sgd(0.25);
    const logger = setupAnyLogging(new MemoryLogger(), trainer, { optimizers: optimizer, evaluators: evaluator, logEveryIters: 2 });
    const other = new SpyEngine((_e, b) => b, { logger: silentLogger });
    setupAnyLogging(new MemoryLogger(), other, { optimizers: { generator: optimizer, discriminator: optimizer }, evaluators: { train: evaluator, test: evaluator } });
    // Ignite: OutputHandler on ITERATION_COMPLETED(every), OptimizerParamsHandler on ITERATION_STARTED(every) per
    // optimizer, OutputHandler on each evaluator's COMPLETED.
    assert.deepEqual(trainer.attached.slice(1), ['iteration_completed(filtered)', 'iteration_started(filtered)']);
    assert.deepEqual(other.attached, ['iteration_completed(filtered)', 'iteration_started(filtered)', 'iteration_started(filtered)']);
    assert.deepEqual(evaluator.attached, ['completed', 'completed', 'completed']);
    await trainer.run(range(4), { maxEpochs: 2 });
    await logger.flush();
    const scalars = logger.records.filter((r): r is ScalarRecord => r.kind === 'scalar').map((r) => `${r.tag}@${r.step}=${r.value}`);
    assert.deepEqual(scalars.filter((s) => s.startsWith('training/')), ['training/loss@2=0.5', 'training/loss@4=0.25', 'training/loss@6=0.16666666666666666', 'training/loss@8=0.125']);
    assert.deepEqual(scalars.filter((s) => s.startsWith('lr/')), ['lr/group_0@2=0.25', 'lr/group_0@4=0.25', 'lr/group_0@6=0.25', 'lr/group_0@8=0.25']);
    assert.deepEqual(scalars.filter((s) => s.startsWith('validation/')), ['validation/acc@1=0.5', 'validation/acc@2=0.5'], 'stepped by the trainer epoch');
    assert.throws(() => setupAnyLogging(new MemoryLogger(), trainer, { optimizers: 3 as never }), TypeError);
  });

  it('TensorBoard, JSON Lines, CSV and dashboard variants write their files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kindling-common-logging-'));
    const { trainer, evaluator } = engines();
    const loggers = [
      setupTbLogging(join(dir, 'tb'), trainer, { evaluators: evaluator, logEveryIters: 1 }),
      setupJsonlLogging(join(dir, 'jsonl'), trainer, { evaluators: evaluator, logEveryIters: 1 }),
      setupCsvLogging(join(dir, 'csv'), trainer, { evaluators: evaluator, logEveryIters: 1 }),
      await setupDashboardLogging(trainer, { evaluators: evaluator, logDir: join(dir, 'dash'), runName: 'r1', serve: false, logEveryIters: 1 }),
    ];
    await trainer.run(range(3), { maxEpochs: 1 });
    for (const l of loggers) await l.close();
    assert.match(readdirSync(join(dir, 'tb'))[0] ?? '', /^events\.out\.tfevents\./);
    const jsonl = readFileSync(join(dir, 'jsonl', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { tag: string });
    assert.deepEqual(jsonl.map((r) => r.tag), ['training/loss', 'training/loss', 'training/loss', 'validation/acc']);
    assert.match(readFileSync(join(dir, 'csv', 'metrics.csv'), 'utf8'), /^wall_time,step,tag,value\n.*,1,training\/loss,1\n/);
    assert.equal(readFileSync(join(dir, 'dash', 'r1', 'metrics.jsonl'), 'utf8').trim().split('\n').length, 4);
  });
});
