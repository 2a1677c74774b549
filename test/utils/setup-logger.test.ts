// Port of Ignite's tests/ignite/test_utils.py setup_logger cases.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../src/engine/index.js';
import { setupLogger, getLogger } from '../../src/utils/index.js';

const sink = (): { lines: string[]; write(line: string): void } => {
  const lines: string[] = [];
  return { lines, write: (line: string) => void lines.push(line) };
};

describe('setupLogger', () => {
  it('test_setup_logger: engine logs go through a named logger in Ignite\'s format, filtered by level', async () => {
    const stream = sink();
    const trainer = new Engine((_e, b: number) => b);
    trainer.logger = setupLogger('trainer', { stream });
    await trainer.run([1, 2], { maxEpochs: 1 });
    assert.ok(stream.lines.length >= 2);
    assert.match(stream.lines[0]!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} trainer INFO: Engine run starting with maxEpochs=1\.\n$/);
    const quiet = sink();
    const logger = setupLogger('evaluator', { stream: quiet, level: 'WARNING', format: '%(name)s|%(levelname)s|%(message)s' });
    logger.info('dropped');
    logger.debug('dropped');
    logger.warn('kept');
    logger.error('also kept');
    assert.deepEqual(quiet.lines, ['evaluator|WARNING|kept\n', 'evaluator|ERROR|also kept\n']);
    assert.equal(getLogger('evaluator'), logger);
  });

  it('test_setup_logger with filepath: lines are appended to the file too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kindling-logger-'));
    try {
      const file = join(dir, 'log.txt');
      const stream = sink();
      const logger = setupLogger('file', { stream, filepath: file, level: 10, format: '%(levelname)s %(message)s' });
      logger.debug('one');
      logger.info('two');
      assert.equal(readFileSync(file, 'utf8'), 'DEBUG one\nINFO two\n');
      assert.equal(stream.lines.length, 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('test_dist_setup_logger: ranks above 0 log nothing; an unknown level is a RangeError', () => {
    const stream = sink();
    setupLogger('worker', { stream, distributedRank: 1 }).error('hidden');
    assert.deepEqual(stream.lines, []);
    assert.throws(() => setupLogger('x', { level: 'LOUD' as never }), RangeError);
  });
});
