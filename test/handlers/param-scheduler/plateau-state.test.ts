// ReduceLROnPlateauScheduler and the state schedulers, against Ignite's documented outputs and hand-computed values.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Engine, Events, silentLogger, type Logger } from '../../../src/engine/index.js';
import {
  ExpStateScheduler,
  LambdaStateScheduler,
  MultiStepStateScheduler,
  PiecewiseLinearStateScheduler,
  ReduceLROnPlateauScheduler,
  StepStateScheduler,
  objectParam,
} from '../../../src/handlers/param-scheduler/index.js';

const values = (pairs: [number, number][]): number[] => pairs.map(([, v]) => v);
function assertClose(actual: readonly number[], expected: readonly number[], tol = 1e-12): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((v, i) => assert.ok(Math.abs(v - (expected[i] as number)) <= tol, `event ${i}: ${v} vs ${expected[i]}`));
}

describe('ReduceLROnPlateauScheduler', () => {
  it('test_reduce_lr_on_plateau_scheduler: Ignite doc example, evaluator on every trainer iteration', async () => {
    const owner = { lr: 0.1 };
    const metricValues = [10, 5, 3, 4, 4, 4, 5, 1];
    const trainer = new Engine((_e, _b: number) => null, { logger: silentLogger });
    const evaluator = new Engine((_e, _b: number) => null, { logger: silentLogger });
    const scheduler = new ReduceLROnPlateauScheduler(objectParam(owner, 'lr'), 'loss', {
      saveHistory: true,
      mode: 'min',
      factor: 0.5,
      patience: 3,
      thresholdMode: 'rel',
      threshold: 0.1,
      trainer,
    });
    evaluator.on(Events.COMPLETED, scheduler);
    trainer.on(Events.ITERATION_COMPLETED, async () => {
      evaluator.state.metrics['loss'] = metricValues[trainer.state.iteration - 1];
      await evaluator.run([0]);
    });
    await trainer.run(new Array<number>(8).fill(0), { maxEpochs: 1 });
    assert.deepEqual((trainer.state['paramHistory'] as Record<string, number[]>)['lr'], [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05]);
  });

  it('cooldown, abs threshold in max mode and minLr (hand-computed)', () => {
    const got = values(
      ReduceLROnPlateauScheduler.simulateValues(6, {
        metricValues: [1, 1, 1, 1, 1, 1],
        initLr: 0.1,
        mode: 'max',
        thresholdMode: 'abs',
        threshold: 0,
        patience: 1,
        factor: 0.5,
        cooldown: 1,
      }),
    );
    assertClose(got, [0.1, 0.1, 0.05, 0.05, 0.05, 0.025]);
    const floor = values(
      ReduceLROnPlateauScheduler.simulateValues(5, { metricValues: [1, 2, 3, 4, 5], initLr: 0.1, patience: 0, minLr: 0.02 }),
    );
    assertClose(floor, [0.1, 0.02, 0.02, 0.02, 0.02]);
  });

  it('requires the metric and validates options', () => {
    const s = new ReduceLROnPlateauScheduler(objectParam({ lr: 0.1 }, 'lr'), 'acc');
    const engine = new Engine((_e, _b: number) => null, { logger: silentLogger });
    assert.throws(() => s.handle(engine), /which itself has the metric acc/);
    assert.throws(() => new ReduceLROnPlateauScheduler(objectParam({ lr: 0.1 }, 'lr'), 'acc', { factor: 1 }), /Factor should be < 1.0/);
    assert.throws(
      () => ReduceLROnPlateauScheduler.simulateValues(3, { metricValues: [1, 2], initLr: 0.1 }),
      /Length of argument metricValues should be equal to numEvents. 2 != 3/,
    );
  });

  it('saves and restores the plateau state', () => {
    const sim = (n: number) => ReduceLROnPlateauScheduler.simulateValues(n, { metricValues: new Array<number>(n).fill(1), initLr: 1, patience: 2 });
    const a = { lr: 1 };
    const s1 = new ReduceLROnPlateauScheduler(objectParam(a, 'lr'), 'm', { patience: 2 });
    const holder = new Engine((_e, _b: number) => null, { logger: silentLogger });
    holder.state.metrics['m'] = 1;
    for (let i = 0; i < 3; i++) s1.handle(holder);
    const b = { lr: a.lr };
    const s2 = new ReduceLROnPlateauScheduler(objectParam(b, 'lr'), 'm', { patience: 2 });
    s2.loadStateDict(JSON.parse(JSON.stringify(s1.stateDict())) as Record<string, unknown>);
    const seen = [];
    for (let i = 0; i < 5; i++) {
      s2.handle(holder);
      seen.push(b.lr);
    }
    assertClose(seen, values(sim(8)).slice(3));
  });
});

describe('state schedulers', () => {
  it('PiecewiseLinearStateScheduler: Ignite doc output over 15 epochs', async () => {
    const trainer = new Engine((_e, _b: number) => null, { logger: silentLogger });
    const s = new PiecewiseLinearStateScheduler('param', { milestonesValues: [[5, 1.0], [10, 0.8], [15, 0.6]], createNew: true });
    s.attach(trainer, Events.EPOCH_COMPLETED);
    const seen: number[] = [];
    trainer.on(Events.EPOCH_COMPLETED, (e) => seen.push(e.state['param'] as number));
    await trainer.run([0], { maxEpochs: 15 });
    assertClose(seen, [1, 1, 1, 1, 1, 0.96, 0.92, 0.88, 0.84, 0.8, 0.76, 0.72, 0.68, 0.64, 0.6]);
  });

  it('ExpStateScheduler, StepStateScheduler, MultiStepStateScheduler: closed forms (index starts at 1)', () => {
    assertClose(values(ExpStateScheduler.simulateValues(4, { paramName: 'p', initialValue: 1, gamma: 0.9 })), [0.9, 0.81, 0.729, 0.6561]);
    const step = values(StepStateScheduler.simulateValues(25, { paramName: 'p', initialValue: 1, gamma: 0.9, stepSize: 5 }));
    assertClose([4, 9, 14, 19, 24].map((i) => step[i] as number), [0.9, 0.81, 0.729, 0.6561, 0.59049]);
    assert.equal(step[3], 1);
    const multi = values(MultiStepStateScheduler.simulateValues(8, { paramName: 'p', initialValue: 10, gamma: 0.99, milestones: [3, 6] }));
    assertClose(multi, [10, 10, 9.9, 9.9, 9.9, 9.801, 9.801, 9.801]);
  });

  it('LambdaStateScheduler calls the function with the event index and saves a stateful callable', () => {
    const got = values(LambdaStateScheduler.simulateValues(10, { paramName: 'p', lambdaObj: (i) => 10 * 0.99 ** (i % 9) }));
    assertClose(got, [1, 2, 3, 4, 5, 6, 7, 8, 0, 1].map((i) => 10 * 0.99 ** i));
    let offset = 5;
    const fn = Object.assign((i: number) => i + offset, {
      stateDict: () => ({ offset }),
      loadStateDict: (sd: Record<string, unknown>) => {
        offset = sd['offset'] as number;
      },
    });
    const s = new LambdaStateScheduler('p', { lambdaObj: fn });
    const sd = s.stateDict();
    assert.deepEqual(sd['lambdaObj'], { offset: 5 });
    offset = 0;
    s.loadStateDict(sd);
    assert.equal(offset, 5);
    assert.throws(() => new LambdaStateScheduler('p', { lambdaObj: 3 as unknown as (i: number) => number }), /Expected lambdaObj to be callable/);
  });

  it('attach creates the attribute (warning unless createNew), refuses an existing one with createNew, records history', async () => {
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (m) => warnings.push(m) };
    const trainer = new Engine((_e, _b: number) => null, { logger });
    new ExpStateScheduler('alpha', { initialValue: 1, gamma: 0.5, saveHistory: true }).attach(trainer);
    assert.equal(trainer.state['alpha'], null);
    assert.match(warnings[0] ?? '', /Attribute 'alpha' is not defined in the engine.state. ExpStateScheduler will create it/);
    assert.throws(
      () => new ExpStateScheduler('alpha', { initialValue: 1, gamma: 0.5, createNew: true }).attach(trainer),
      /Attribute 'alpha' already exists in the engine.state/,
    );
    await trainer.run([0, 0, 0], { maxEpochs: 1 });
    assert.equal(trainer.state['alpha'], 0.125);
    assert.deepEqual((trainer.state['paramHistory'] as Record<string, number[]>)['alpha'], [0.5, 0.25, 0.125]);
  });

  it('resumes from a state dict', () => {
    const s1 = new StepStateScheduler('p', { initialValue: 1, gamma: 0.5, stepSize: 2 });
    const holder = { state: new Engine((_e, _b: number) => null).state };
    for (let i = 0; i < 3; i++) s1.handle(holder);
    const s2 = new StepStateScheduler('p', { initialValue: 7, gamma: 0.1, stepSize: 9 });
    s2.loadStateDict(JSON.parse(JSON.stringify(s1.stateDict())) as Record<string, unknown>);
    s2.handle(holder);
    assert.equal(holder.state['p'], 0.25);
  });
});
