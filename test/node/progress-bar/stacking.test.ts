import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Engine, Events } from '../../../src/engine/index.js';
import { ProgressBar } from '../../../src/node/progress-bar/index.js';
import { FakeStream } from './fake-terminal.js';

const TRAIN = /^Epoch \[[12]\/2\]: \[[1-4]\/4\] +\d+%\|[ ▏▎▍▌▋▊▉█]*, loss=0\.5 \[\d\d:\d\d<(\d\d:\d\d|\?)\]$/;
const VALID = /^Validation: \[[1-3]\/3\] +\d+%\|[ ▏▎▍▌▋▊▉█]* \[\d\d:\d\d<(\d\d:\d\d|\?)\]$/;
const LOG = /^val acc=0\.9 after epoch [12]$/;

interface Setup {
  stream: FakeStream;
  trainer: Engine<number, number>;
  duringEval: string[][];
}

/** A trainer with a bar, and an evaluator with its own bar run from the trainer's EPOCH_COMPLETED. */
function setup(stream: FakeStream, evalFirst: boolean, persist: boolean): Setup {
  const trainer = new Engine((_e: Engine<number, number>, _b: number) => 0.5);
  const evaluator = new Engine((_e: Engine<number, number>, _b: number) => 1);
  const trainBar = new ProgressBar({ stream, ncols: 70, mininterval: 0, persist });
  const evalBar = new ProgressBar({ stream, ncols: 70, mininterval: 0, persist, desc: 'Validation' });
  const duringEval: string[][] = [];
  const evaluate = async (): Promise<void> => {
    await evaluator.run([1, 2, 3]);
  };
  if (evalFirst) trainer.on(Events.EPOCH_COMPLETED, evaluate);
  trainBar.attach(trainer, { outputTransform: (loss) => ({ loss }) });
  if (!evalFirst) trainer.on(Events.EPOCH_COMPLETED, evaluate);
  evalBar.attach(evaluator);
  evaluator.on(Events.ITERATION_COMPLETED, () => {
    duringEval.push(stream.screen());
  });
  evaluator.on(Events.COMPLETED, () => evalBar.logMessage(`val acc=0.9 after epoch ${trainer.state.epoch}`));
  return { stream, trainer, duringEval };
}

function assertNeverGarbled(stream: FakeStream): void {
  for (const screen of stream.snapshots) {
    for (const line of screen) {
      assert.ok(TRAIN.test(line) || VALID.test(line) || LOG.test(line), `garbled line: ${JSON.stringify(line)}`);
    }
  }
}

describe('ProgressBar: trainer and evaluator bars on one stream', () => {
  it('on a terminal, an evaluator run inside EPOCH_COMPLETED stacks under the open trainer bar', async () => {
    const { stream, trainer, duringEval } = setup(new FakeStream(true), true, false);
    await trainer.run([1, 2, 3, 4], { maxEpochs: 2 });
    assertNeverGarbled(stream);
    // While evaluating, the trainer bar (still open: its closing handler runs after the evaluation) sits above.
    const third = duringEval[2] ?? [];
    assert.equal(third.length, 2);
    assert.match(third[0] ?? '', /^Epoch \[1\/2\]: \[4\/4\] 100%/);
    assert.match(third[1] ?? '', /^Validation: \[3\/3\] 100%/);
    // In epoch 2 the log of epoch 1 stays above the bars.
    assert.equal(duringEval[3]?.[0], 'val acc=0.9 after epoch 1');
    assert.deepEqual(stream.screen(), ['val acc=0.9 after epoch 1', 'val acc=0.9 after epoch 2']);
    assert.deepEqual(stream.cursor(), [2, 0]);
  });

  it('on a terminal with persist, finished bars stay above the live ones in closing order', async () => {
    const { stream, trainer } = setup(new FakeStream(true), false, true);
    await trainer.run([1, 2, 3, 4], { maxEpochs: 2 });
    assertNeverGarbled(stream);
    const screen = stream.screen();
    assert.equal(screen.length, 6);
    const expected = [/^Epoch \[1\/2\]: \[4\/4\] 100%/, /^Validation: \[3\/3\] 100%/, /^val acc=0\.9 after epoch 1$/];
    expected.push(/^Epoch \[2\/2\]: \[4\/4\] 100%/, /^Validation: \[3\/3\] 100%/, /^val acc=0\.9 after epoch 2$/);
    screen.forEach((line, i) => assert.match(line, expected[i] as RegExp));
    for (const line of screen.filter((l) => !LOG.test(l))) assert.equal(Array.from(line).length, 70);
  });

  it('on a non-TTY stream, each bar prints one line when it closes, in order', async () => {
    const { stream, trainer } = setup(new FakeStream(false), true, false);
    await trainer.run([1, 2, 3, 4], { maxEpochs: 2 });
    const lines = stream.textLines();
    assert.equal(lines.length, 6);
    const expected = [/^Validation: \[3\/3\] 100%/, /^val acc=0\.9 after epoch 1$/, /^Epoch \[1\/2\]: \[4\/4\] 100%/];
    expected.push(/^Validation: \[3\/3\] 100%/, /^val acc=0\.9 after epoch 2$/, /^Epoch \[2\/2\]: \[4\/4\] 100%/);
    lines.forEach((line, i) => assert.match(line, expected[i] as RegExp));
    for (const line of lines) assert.ok(TRAIN.test(line) || VALID.test(line) || LOG.test(line), line);
  });
});

describe('ProgressBar lifecycle', () => {
  it('logMessage prints above a live bar without breaking it', async () => {
    const stream = new FakeStream(true);
    const engine = new Engine((_e: Engine, _b: number) => 1);
    const pbar = new ProgressBar({ stream, ncols: 60, mininterval: 0 });
    pbar.attach(engine);
    const screens: string[][] = [];
    engine.on(Events.ITERATION_COMPLETED({ once: 2 }), () => {
      pbar.logMessage('first\nsecond');
      screens.push(stream.screen());
    });
    await engine.run([1, 2, 3], { maxEpochs: 1 });
    assert.equal(screens[0]?.length, 3);
    assert.deepEqual(screens[0]?.slice(0, 2), ['first', 'second']);
    assert.match(screens[0]?.[2] ?? '', /^Iteration: \[2\/3\] {2}67%\|/);
    assert.deepEqual(stream.screen(), ['first', 'second']);
  });

  it('redraws at most every mininterval on a terminal, but always draws the first and final state', async () => {
    const stream = new FakeStream(true);
    const engine = new Engine((_e: Engine, _b: number) => 1);
    new ProgressBar({ stream, ncols: 60, mininterval: 3600, persist: true }).attach(engine);
    await engine.run(Array.from({ length: 50 }, (_, i) => i), { maxEpochs: 1 });
    const positions = new Set(stream.seen.map((l) => /\[(\d+)\/50\]/.exec(l)?.[1]).filter((p) => p !== undefined));
    assert.deepEqual([...positions], ['1', '50']);
  });

  it('uses the terminal width when ncols is not given', async () => {
    const stream = new FakeStream(true, 50);
    const engine = new Engine((_e: Engine, _b: number) => 1);
    new ProgressBar({ stream, mininterval: 0, persist: true }).attach(engine);
    await engine.run([1, 2], { maxEpochs: 1 });
    assert.equal(Array.from(stream.screen()[0] ?? '').length, 50);
  });

  it('closes a bar left open by terminate() when the run completes, at its position', async () => {
    const stream = new FakeStream(false);
    const engine = new Engine((_e: Engine, _b: number) => 1);
    engine.on(Events.ITERATION_COMPLETED({ once: 3 }), (e) => e.terminate());
    new ProgressBar({ stream, ncols: 60 }).attach(engine);
    await engine.run(Array.from({ length: 10 }, (_, i) => i), { maxEpochs: 2 });
    const lines = stream.textLines();
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? '', /^Epoch \[1\/2\]: \[3\/10\] {2}30%\|/);
  });

  it('closes at TERMINATE when COMPLETED is skipped, and close() ends a bar after a failed run', async () => {
    const stream = new FakeStream(true);
    const engine = new Engine((_e: Engine, b: number) => {
      if (b === 4) throw new Error('boom');
      return b;
    });
    engine.on(Events.ITERATION_COMPLETED({ once: 2 }), (e) => e.terminate({ skipCompleted: true }));
    const pbar = new ProgressBar({ stream, ncols: 60, mininterval: 0, persist: true });
    pbar.attach(engine, { closingEventName: Events.COMPLETED });
    await engine.run([1, 2, 3], { maxEpochs: 1 });
    assert.equal(stream.screen().length, 1);
    assert.match(stream.screen()[0] ?? '', /^Iteration: \[2\/3\] {2}67%/);
    await assert.rejects(engine.run([3, 4, 5], { maxEpochs: 1 }), /boom/);
    assert.equal(stream.screen().length, 2);
    pbar.close();
    assert.match(stream.screen()[1] ?? '', /^Iteration: \[1\/3\] {2}33%/);
    assert.deepEqual(stream.cursor(), [2, 0]);
  });

  it('starts a new bar for each run and epoch', async () => {
    const stream = new FakeStream(false);
    const engine = new Engine((_e: Engine, _b: number) => 1);
    new ProgressBar({ stream, ncols: 60 }).attach(engine);
    await engine.run([1, 2], { maxEpochs: 2 });
    engine.state.maxEpochs = null;
    await engine.run([1, 2, 3], { maxEpochs: 1 });
    const heads = stream.textLines().map((l) => l.slice(0, l.indexOf('%') + 1));
    assert.deepEqual(heads, ['Epoch [1/2]: [2/2] 100%', 'Epoch [2/2]: [2/2] 100%', 'Iteration: [3/3] 100%']);
  });

  it("renders tqdm's default format for barFormat: null, with a 10-character bar off a terminal", async () => {
    const stream = new FakeStream(false);
    const engine = new Engine((_e: Engine, _b: number) => 1);
    new ProgressBar({ stream, barFormat: null }).attach(engine);
    await engine.run([1, 2], { maxEpochs: 2 });
    const lines = stream.textLines();
    assert.equal(lines.length, 2);
    for (const [i, line] of lines.entries()) {
      assert.match(line, new RegExp(String.raw`^Epoch \[${i + 1}/2\]: 100%\|█{10}\| 2/2 \[\d\d:\d\d<\d\d:\d\d, +[\d.]+(it/s|s/it)\]$`));
    }
  });

  it('validates its options', () => {
    assert.throws(() => new ProgressBar({ ncols: 0, stream: new FakeStream(false) }), RangeError);
    assert.throws(() => new ProgressBar({ mininterval: -1, stream: new FakeStream(false) }), RangeError);
    assert.throws(() => new ProgressBar({ barFormat: '{desc}{oops}', stream: new FakeStream(false) }), /Unknown field \{oops\}/);
    assert.throws(() => new ProgressBar({ stream: {} as unknown as FakeStream }), TypeError);
  });
});
