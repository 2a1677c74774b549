// HandlersTimeProfiler with an injected clock that only moves inside user code: per-handler totals are exact, and
// handlers + processing + dataflow add up to the run's whole duration.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, Events, silentLogger } from '../../src/engine/index.js';
import { HandlersTimeProfiler, type HandlerProfileRow } from '../../src/handlers/handlers-time-profiler.js';
import { writeHandlersProfilerCsv } from '../../src/node/handlers-profiler-csv.js';

function setup() {
  const clock = { t: 0 };
  const advance = (s: number): void => void (clock.t += s);
  const profiler = new HandlersTimeProfiler({ now: () => clock.t });
  const engine = new Engine((_e, _b: number) => advance(0.5), { logger: silentLogger });
  profiler.attach(engine);
  const data = {
    *[Symbol.iterator]() {
      for (;;) {
        advance(0.125);
        yield 0;
      }
    },
  };
  return { clock, advance, profiler, engine, data };
}

const find = (rows: HandlerProfileRow[], handler: string, event: string) => rows.find((r) => r.handler === handler && r.event === event);

describe('HandlersTimeProfiler', () => {
  it('test_event_handler_*: per-handler totals; handlers + processing + dataflow = the run', async () => {
    const { clock, advance, profiler, engine, data } = setup();
    engine.on(Events.STARTED, function delayStart() { advance(2); });
    engine.on(Events.EPOCH_COMPLETED, async function validate() { await Promise.resolve(); advance(1); });
    engine.on(Events.ITERATION_COMPLETED({ every: 2 }), function logLoss() { advance(0.25); });
    engine.on([Events.EPOCH_STARTED, Events.COMPLETED], function both() { advance(0.0625); });
    class Saver { handle(): void { advance(3); } }
    engine.on(Events.COMPLETED, new Saver());
    engine.on(Events.TERMINATE, function neverFires() {});
    const start = clock.t;
    await engine.run(data, { maxEpochs: 2, epochLength: 4 });
    const runTime = clock.t - start;
    const rows = profiler.getResults();
    assert.equal(find(rows, 'delayStart', 'STARTED')?.total, 2);
    assert.equal(find(rows, 'validate', 'EPOCH_COMPLETED')?.total, 2);
    assert.deepEqual(find(rows, 'validate', 'EPOCH_COMPLETED')?.minIndex, [1, 0]);
    assert.equal(find(rows, 'logLoss', 'ITERATION_COMPLETED')?.total, 4 * 0.25);
    assert.equal(find(rows, 'both', 'EPOCH_STARTED')?.total, 2 * 0.0625);
    assert.equal(find(rows, 'both', 'COMPLETED')?.total, 0.0625);
    assert.equal(find(rows, 'Saver', 'COMPLETED')?.total, 3);
    assert.equal(find(rows, 'neverFires', 'TERMINATE')?.total, 'not triggered');
    const [total, processing, dataflow] = rows.slice(-3) as [HandlerProfileRow, HandlerProfileRow, HandlerProfileRow];
    assert.deepEqual([total.handler, processing.handler, dataflow.handler], ['Total', 'Processing', 'Dataflow']);
    assert.equal(processing.total, 8 * 0.5);
    assert.equal(processing.std, 0);
    assert.equal(dataflow.total, 8 * 0.125);
    assert.equal(total.total, 2 + 2 + 1 + 0.125 + 0.0625 + 3);
    assert.equal(total.total + processing.total + dataflow.total, runTime);

    const text = HandlersTimeProfiler.printResults(rows);
    assert.match(text, /Handler\s+Event Name\s+Total\(s\)/);
    assert.match(text, /Processing took total 4s \[min\/index: 0.5s\/0, max\/index: 0.5s\/0, mean: 0.5s, std: 0s\]/);
  });

  it('off / hasEventHandler see through the wrapping; detach restores the engine', async () => {
    const { advance, profiler, engine, data } = setup();
    const h = (): void => advance(1);
    engine.on(Events.EPOCH_COMPLETED, h);
    assert.equal(engine.hasEventHandler(h, Events.EPOCH_COMPLETED), true);
    engine.off(Events.EPOCH_COMPLETED, h);
    assert.equal(engine.hasEventHandler(h), false);
    assert.throws(() => engine.off(Events.EPOCH_COMPLETED, h), /does not exist|is not found/);
    assert.throws(() => engine.on(Events.EPOCH_COMPLETED, (_e: unknown, _a: unknown, _b: unknown) => 0), TypeError, 'arity still checked');
    profiler.detach();
    assert.equal(Object.hasOwn(engine, 'on'), false);
    const g = (): void => advance(1);
    engine.on(Events.EPOCH_COMPLETED, g);
    await engine.run(data, { maxEpochs: 1, epochLength: 2 });
    assert.equal(profiler.getResults().find((r) => r.handler === 'g'), undefined);
  });

  it('write_results: Ignite CSV columns, padded with 0', async () => {
    const { advance, profiler, engine, data } = setup();
    engine.on(Events.EPOCH_COMPLETED, function epochEnd() { advance(1); });
    await engine.run(data, { maxEpochs: 2, epochLength: 2 });
    const dir = mkdtempSync(join(tmpdir(), 'kindling-profiler-'));
    await writeHandlersProfilerCsv(profiler, join(dir, 'sub', 'profile.csv'));
    const lines = readFileSync(join(dir, 'sub', 'profile.csv'), 'utf8').trim().split('\n');
    assert.equal(lines[0], '#,processing_stats,dataflow_stats,epochEnd (EPOCH_COMPLETED)');
    assert.deepEqual(lines.slice(1), ['1,0.5,0.125,1', '2,0.5,0.125,1', '3,0.5,0.125,0', '4,0.5,0.125,0']);
  });
});
