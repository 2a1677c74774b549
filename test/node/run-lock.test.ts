// Run-directory locks (src/node/run-lock.ts): exclusive, naming the holder, stale locks taken over, released at
// exit; and the cleanup of what a failed command leaves.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCK_FILE, RunDirectoryLockedError, acquireRunLock, removeEmptyTree } from '../../src/node/run-lock.js';

describe('run-directory lock', () => {
  it('is exclusive while held, names the holder, and is removed on release', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'kindling-lock-')), 'run');
    const lock = acquireRunLock(dir, 'kindling train');
    assert.equal(lock.createdDir, true);
    assert.equal(lock.tookOver, null);
    const owner = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as { pid: number; host: string };
    assert.deepEqual([owner.pid, owner.host], [process.pid, hostname()]);
    assert.throws(
      () => acquireRunLock(dir, 'kindling train'),
      (e: unknown) => e instanceof RunDirectoryLockedError && new RegExp(`in use by process ${process.pid} \\(kindling train, started`).test(e.message),
    );
    lock.release();
    lock.release(); // idempotent
    assert.ok(!existsSync(join(dir, LOCK_FILE)));
    const again = acquireRunLock(dir, 'kindling train');
    assert.equal(again.createdDir, false);
    again.release();
  });

  it('takes over the lock of a process that is gone, and an unreadable lock file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kindling-lock-'));
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: dead, host: hostname(), started: 'then', command: 'kindling train' }));
    const lock = acquireRunLock(dir, 'kindling train');
    assert.equal(lock.tookOver?.pid, dead);
    lock.release();
    writeFileSync(join(dir, LOCK_FILE), '{"pid": "garbage"');
    const second = acquireRunLock(dir, 'kindling train');
    assert.match(second.tookOver?.command ?? '', /unreadable/);
    second.release();
  });

  it('a lock from another host is never taken over', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kindling-lock-'));
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 1, host: 'elsewhere', started: 'then', command: 'kindling train' }));
    assert.throws(() => acquireRunLock(dir, 'kindling train'), /in use by process 1 on host elsewhere/);
  });

  it('is released when the process exits', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kindling-lock-'));
    const src = new URL('../../src/node/run-lock.ts', import.meta.url).pathname;
    const script = `import { acquireRunLock } from ${JSON.stringify(src)}; acquireRunLock(${JSON.stringify(dir)}, 'x'); process.exit(130);`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', cwd: new URL('../..', import.meta.url).pathname });
    assert.equal(r.status, 130, r.stderr);
    assert.ok(!existsSync(join(dir, LOCK_FILE)));
  });

  it('removeEmptyTree removes only directories without files', () => {
    const root = mkdtempSync(join(tmpdir(), 'kindling-tree-'));
    mkdirSync(join(root, 'empty', 'checkpoints'), { recursive: true });
    mkdirSync(join(root, 'kept', 'checkpoints'), { recursive: true });
    writeFileSync(join(root, 'kept', 'metrics.jsonl'), '');
    assert.equal(removeEmptyTree(join(root, 'empty')), true);
    assert.equal(removeEmptyTree(join(root, 'kept')), false);
    assert.ok(!existsSync(join(root, 'empty')));
    assert.ok(existsSync(join(root, 'kept', 'metrics.jsonl')));
  });
});
