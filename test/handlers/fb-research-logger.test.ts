// FBResearchLogger lines with an injected clock: Ignite's format for epoch start, every-N iteration, epoch end and
// run end lines.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Engine, silentLogger } from '../../src/engine/index.js';
import { FBResearchLogger, formatTimedelta } from '../../src/handlers/fb-research-logger.js';

describe('FBResearchLogger', () => {
  it('test_fbresearch_logger: lines, ETA, lr, outputs, state attributes', async () => {
    const clock = { t: 0 };
    const lines: string[] = [];
    const logger = new FBResearchLogger({ logger: { info: (m) => void lines.push(m) }, showOutput: true, now: () => clock.t });
    const trainer = new Engine((e, _b: number) => {
      clock.t += 2;
      return { totalLoss: 1 / e.state.iteration };
    }, { logger: silentLogger });
    trainer.state['alpha'] = 0.5;
    logger.attach(trainer, 'Train', { every: 2, optimizer: { learningRate: 0.001 }, stateAttributes: ['alpha'] });
    await trainer.run([0, 1, 2, 3], { maxEpochs: 2 });
    assert.equal(lines[0], 'Train: start epoch [1/2]');
    assert.equal(lines[1], 'Epoch [1/2]  [2/4]:  ETA: 0:00:04  lr: 0.00100  totalLoss: 0.5000  alpha: 0.5000  Iter time: 2.0000 s  Data prep time: 0.0000 s  ');
    assert.equal(lines[2], 'Epoch [1/2]  [4/4]:  ETA: 0:00:00  lr: 0.00100  totalLoss: 0.2500  alpha: 0.5000  Iter time: 2.0000 s  Data prep time: 0.0000 s  ');
    assert.match(lines[3] ?? '', /^Train: Epoch \[1\/2\] {2}Total time: 0:00:0\d {2}\(\d\.\d{4} s \/ it\)$/);
    assert.equal(lines[4], 'Train: start epoch [2/2]');
    assert.match(lines[5] ?? '', /^Epoch \[2\/2\] {2}\[1\/4\]:/, "iteration % (epochLength + 1), as in Ignite");
    assert.match(lines[lines.length - 1] ?? '', /^Train: run completed {2}Total time: \d:\d\d:\d\d$/);
    assert.equal(lines.length, 9);
  });

  it('a one-epoch run has no epoch number and no run-completed line; output hidden by default', async () => {
    const lines: string[] = [];
    const engine = new Engine(() => 3, { logger: { ...silentLogger, info: (m: string) => void lines.push(m) } });
    new FBResearchLogger().attach(engine, 'Validate', { every: 10 });
    await engine.run([0, 1], { maxEpochs: 1 });
    const ours = lines.filter((l) => l.startsWith('Validate'));
    assert.equal(ours.length, 2, 'no iteration line (every: 10), no run-completed line');
    assert.match(ours[1] ?? '', /^Validate: {3}Total time: 0:00:00/);
  });

  it('formats durations like datetime.timedelta', () => {
    assert.equal(formatTimedelta(65.9), '0:01:05');
    assert.equal(formatTimedelta(86400 + 3723), '1 day, 1:02:03');
    assert.equal(formatTimedelta(2 * 86400), '2 days, 0:00:00');
  });
});
