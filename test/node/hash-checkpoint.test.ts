// Port of Ignite's tests/ignite/test_utils.py test_hash_checkpoint.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashCheckpoint } from '../../src/node/hash-checkpoint.js';

describe('hashCheckpoint', () => {
  it('test_hash_checkpoint: the file moves to <stem>-<sha256[:8]><ext> in outputDir', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kindling-hash-'));
    try {
      const content = Buffer.from('checkpoint bytes \u0000\u0001');
      const source = join(dir, 'model.ckpt');
      writeFileSync(source, content);
      const expected = createHash('sha256').update(content).digest('hex');
      const { path, sha256 } = await hashCheckpoint(source, join(dir, 'out'));
      assert.equal(sha256, expected);
      assert.equal(path, join(dir, 'out', `model-${expected.slice(0, 8)}.ckpt`));
      assert.deepEqual(readFileSync(path), content);
      assert.equal(existsSync(source), false);
      await assert.rejects(hashCheckpoint(join(dir, 'missing.ckpt'), dir), /missing\.ckpt does not exist in/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
