// Where the native backend's binary comes from (issue: prebuilt native binaries): the prebuilt platform package first,
// then the local build of native/blas; each one that is not used says why. The candidates are checked on a fake
// package tree; the loading order with the real addon (used as both binaries) where it is built.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nativeBinaryCandidates, platformTarget } from '../../src/node/native/addon-binaries.js';
import { loadFirstBinary } from '../../src/node/native/addon.js';

const PLATFORM_DIR = join('node_modules', '@kindling', 'kernels-linux-x64-gnu');
const builtAddon = resolve(import.meta.dirname, '..', '..', 'native', 'blas', 'build', 'Release', 'kindling_blas.node');

function write(file: string, text: string): void {
  mkdirSync(resolve(file, '..'), { recursive: true });
  writeFileSync(file, text);
}

describe('native binary candidates', () => {
  let root = '';
  let saved: string | undefined;
  before(() => {
    saved = process.env['KINDLING_NATIVE_PREBUILT'];
    delete process.env['KINDLING_NATIVE_PREBUILT'];
  });
  after(() => {
    if (saved !== undefined) process.env['KINDLING_NATIVE_PREBUILT'] = saved;
  });
  const fresh = (): string => {
    if (root !== '') rmSync(root, { recursive: true, force: true });
    root = mkdtempSync(join(tmpdir(), 'kindling-binaries-'));
    write(join(root, 'package.json'), JSON.stringify({ name: '@kindling/kernels', version: '1.2.3' }));
    return root;
  };
  after(() => rmSync(root, { recursive: true, force: true }));

  it('tries the prebuilt platform package first, then the local build', () => {
    const dir = fresh();
    write(join(dir, PLATFORM_DIR, 'package.json'), JSON.stringify({ name: '@kindling/kernels-linux-x64-gnu', version: '1.2.3' }));
    write(join(dir, PLATFORM_DIR, 'kindling_blas.node'), '');
    write(join(dir, 'native', 'blas', 'build', 'Release', 'kindling_blas.node'), '');
    const [prebuilt, local, ...rest] = nativeBinaryCandidates(dir, 'linux-x64-gnu');
    assert.equal(rest.length, 0);
    assert.deepEqual(prebuilt, { source: 'prebuilt', label: '@kindling/kernels-linux-x64-gnu@1.2.3', file: join(dir, PLATFORM_DIR, 'kindling_blas.node'), skip: null });
    assert.equal(local?.source, 'local');
    assert.equal(local?.file, join(dir, 'native', 'blas', 'build', 'Release', 'kindling_blas.node'));
    assert.equal(local?.skip, null);
  });

  it('says why the prebuilt package cannot be used: not installed, no binary, another version, turned off, no such platform', () => {
    const dir = fresh();
    assert.match(nativeBinaryCandidates(dir, 'linux-x64-gnu')[0]?.skip ?? '', /not installed.*npm install/);
    write(join(dir, PLATFORM_DIR, 'package.json'), JSON.stringify({ name: '@kindling/kernels-linux-x64-gnu', version: '1.2.3' }));
    assert.match(nativeBinaryCandidates(dir, 'linux-x64-gnu')[0]?.skip ?? '', /holds no binary/);
    write(join(dir, PLATFORM_DIR, 'kindling_blas.node'), '');
    write(join(dir, PLATFORM_DIR, 'package.json'), JSON.stringify({ name: '@kindling/kernels-linux-x64-gnu', version: '1.2.2' }));
    assert.match(nativeBinaryCandidates(dir, 'linux-x64-gnu')[0]?.skip ?? '', /does not match @kindling\/kernels 1\.2\.3/);
    write(join(dir, PLATFORM_DIR, 'package.json'), JSON.stringify({ name: '@kindling/kernels-linux-x64-gnu', version: '1.2.3' }));
    process.env['KINDLING_NATIVE_PREBUILT'] = '0';
    try {
      assert.match(nativeBinaryCandidates(dir, 'linux-x64-gnu')[0]?.skip ?? '', /KINDLING_NATIVE_PREBUILT=0/);
    } finally {
      delete process.env['KINDLING_NATIVE_PREBUILT'];
    }
    const other = nativeBinaryCandidates(dir, 'darwin-arm64')[0];
    assert.equal(other?.file, null);
    assert.match(other?.skip ?? '', /none is built for darwin-arm64/);
  });

  it('reports the reason the install recorded when the local build failed', () => {
    const dir = fresh();
    write(join(dir, 'native', 'blas', 'build', 'UNAVAILABLE'), 'OpenBLAS headers (cblas.h) not found\n');
    const local = nativeBinaryCandidates(dir, 'linux-x64-gnu')[1];
    assert.equal(local?.file, null);
    assert.equal(local?.skip, 'not built: OpenBLAS headers (cblas.h) not found');
    rmSync(join(dir, 'native'), { recursive: true });
    assert.match(nativeBinaryCandidates(dir, 'linux-x64-gnu')[1]?.skip ?? '', /not built \(.*kindling_blas\.node missing\)/);
  });

  it('names this machine with its C library on Linux', () => {
    const target = platformTarget();
    assert.ok(target.startsWith(`${process.platform}-${process.arch}`));
    if (process.platform === 'linux') assert.match(target, /-(gnu|musl)$/);
  });
});

describe('loading the first binary that loads', { skip: !existsSync(builtAddon) && process.env['CI'] === undefined ? 'native/blas is not built' : false }, () => {
  const root = resolve(import.meta.dirname, '..', '..');
  it('loads the prebuilt binary and says the local build came second', () => {
    const { addon, status } = loadFirstBinary(root, [
      { source: 'prebuilt', label: 'prebuilt@1', file: builtAddon, skip: null },
      { source: 'local', label: 'local build', file: builtAddon, skip: null },
    ]);
    assert.notEqual(addon, null);
    assert.equal(status.available, true);
    assert.equal(status.binary?.source, 'prebuilt');
    assert.equal(status.binaries[1]?.loaded, false);
    assert.match(status.binaries[1]?.note ?? '', /prebuilt binary comes first.*KINDLING_NATIVE_PREBUILT=0/);
  });

  it('falls through to the local build when the prebuilt binary fails to load, and says why', () => {
    const broken = join(mkdtempSync(join(tmpdir(), 'kindling-broken-')), 'kindling_blas.node');
    writeFileSync(broken, 'not an ELF file');
    const { status } = loadFirstBinary(root, [
      { source: 'prebuilt', label: 'prebuilt@1', file: broken, skip: null },
      { source: 'local', label: 'local build', file: builtAddon, skip: null },
    ]);
    assert.equal(status.binary?.source, 'local');
    assert.match(status.binaries[0]?.note ?? '', /^loading .*kindling_blas\.node failed: /);
    rmSync(resolve(broken, '..'), { recursive: true, force: true });
  });

  it('is unavailable with every reason and the fix when nothing loads', () => {
    const { addon, status } = loadFirstBinary(root, [
      { source: 'prebuilt', label: 'prebuilt@1', file: null, skip: 'not installed' },
      { source: 'local', label: 'local build', file: null, skip: 'not built: no compiler' },
    ]);
    assert.equal(addon, null);
    assert.equal(status.available, false);
    assert.equal(status.binary, null);
    assert.match(status.reason, /prebuilt@1: not installed\nlocal build: not built: no compiler\nTo enable it: /);
  });
});
