// BasicTimeProfiler with an injected clock: the fake clock only moves inside user code, so every measured duration
// is known exactly (processing, dataflow and per-event handler times).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Engine, Events, silentLogger } from '../../src/engine/index.js';
import { BasicTimeProfiler } from '../../src/handlers/time-profiler.js';

function setup() {
  const clock = { t: 0 };
  const advance = (s: number) => void (clock.t += s);
  const profiler = new BasicTimeProfiler({ now: () => clock.t });
  const engine = new Engine((_e, _b: number) => advance(0.5), { logger: silentLogger });
  profiler.attach(engine);
  const data = {
    *[Symbol.iterator]() {
      for (;;) {
        advance(0.125); // fetching a batch
        yield 0;
      }
    },
  };
  return { clock, advance, profiler, engine, data };
}

const close = (a: number | string | undefined, b: number) => typeof a === 'number' && Math.abs(a - b) < 1e-12;

describe('BasicTimeProfiler', () => {
  it('test_processing_timer, test_dataflow_timer, test_event_handler_*: exact per-event totals', async () => {
    const { advance, profiler, engine, data } = setup();
    engine.on(Events.STARTED, () => advance(2));
    engine.on(Events.EPOCH_STARTED, () => advance(0.0625));
    engine.on(Events.ITERATION_COMPLETED, () => advance(0.25));
    engine.on(Events.EPOCH_COMPLETED, () => advance(1));
    engine.on(Events.COMPLETED, () => advance(3));
    await engine.run(data, { maxEpochs: 2, epochLength: 4 });
    const r = profiler.getResults();
    assert.ok(close(r.processingStats.total, 8 * 0.5));
    assert.ok(close(r.processingStats.mean, 0.5));
    assert.ok(close(r.processingStats.std, 0));
    assert.ok(close(r.dataflowStats.total, 8 * 0.125));
    const eh = r.eventHandlersStats;
    assert.ok(close(eh.STARTED.total, 2));
    assert.ok(close(eh.EPOCH_STARTED.total, 2 * 0.0625));
    assert.ok(close(eh.ITERATION_COMPLETED.total, 8 * 0.25));
    assert.ok(close(eh.EPOCH_COMPLETED.total, 2));
    assert.ok(close(eh.COMPLETED.total, 3));
    assert.ok(close(eh.ITERATION_STARTED.total, 0));
    assert.ok(close(eh.totalTime, 2 + 0.125 + 2 + 2 + 3));
  });

  it('min/max indices, mean and sample std follow the recorded durations', async () => {
    const { advance, profiler, engine, data } = setup();
    const durations = [0.5, 0.25, 1, 0.75];
    engine.on(Events.ITERATION_STARTED, (e) => advance(durations[e.state.iteration - 1] as number));
    await engine.run(data, { maxEpochs: 1, epochLength: 4 });
    const s = profiler.getResults().eventHandlersStats.ITERATION_STARTED;
    const mean = durations.reduce((a, b) => a + b) / 4;
    const std = Math.sqrt(durations.reduce((a, d) => a + (d - mean) ** 2, 0) / 3);
    assert.deepEqual(s.minIndex, [0.25, 1]);
    assert.deepEqual(s.maxIndex, [1, 2]);
    assert.ok(close(s.mean, mean));
    assert.ok(close(s.std, std));
  });

  it('printResults formats Ignite-style text; untriggered events read "not yet triggered"', async () => {
    const { profiler, engine, data } = setup();
    engine.on(Events.EPOCH_COMPLETED, (e) => e.terminate());
    await engine.run(data, { maxEpochs: 3, epochLength: 2 });
    const text = BasicTimeProfiler.printResults(profiler.getResults());
    assert.match(text, /\| Time profiling stats \(in seconds\): {17}\|/);
    assert.match(text, /Processing function:\n1\.00000 \| 0\.50000\/0 \| 0\.50000\/0 \| 0\.50000 \| 0\.00000\n/);
    assert.match(text, /Dataflow:\n0\.25000 \| 0\.12500\/0 \| 0\.12500\/0 \| 0\.12500 \| 0\.00000\n/);
    assert.match(text, /- Events\.STARTED:\n0\.00000\n/);
    const fresh = BasicTimeProfiler.printResults(new BasicTimeProfiler().getResults());
    assert.match(fresh, /- Events\.COMPLETED:\nnot yet triggered\n/);
  });

  it('a second run starts from fresh measurements; attaching twice registers once', async () => {
    const { profiler, engine, data } = setup();
    profiler.attach(engine);
    await engine.run(data, { maxEpochs: 1, epochLength: 3 });
    await engine.run(data, { maxEpochs: 1, epochLength: 2 });
    const r = profiler.getResults();
    assert.ok(close(r.processingStats.total, 2 * 0.5));
    assert.equal(profiler.eventHandlersTimes.ITERATION_COMPLETED.length, 2);
    assert.equal(profiler.eventHandlersTimes.COMPLETED.length, 1);
  });
});
