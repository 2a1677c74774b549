// The prebuilt platform package (@kindling/kernels-linux-x64-gnu), end to end: `npm run build:prebuilt` builds and packs
// it, kindling and @kindling/kernels are packed, and the three are installed into a fresh directory inside a mount
// namespace where no compiler, no headers and no system OpenBLAS (nor oneDNN, libgomp, libOpenCL) are visible. The
// platform package reaches the install only through @kindling/kernels' optionalDependencies (npm overrides point
// the names at the tarballs). Then `kindling info` must report the prebuilt native backend, and one epoch of
// `kindling train` must reach the accuracy of the locally built backend.
// Locally it skips without root, Linux x64 or a static OpenBLAS; in CI it never skips.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HIDDEN_PROBE, missingFacility, run, trainResult } from './hidden-system.js';

const repo = resolve(import.meta.dirname, '..', '..');
const missing = missingFacility(repo);
const skip: string | false = missing !== null && process.env['CI'] === undefined ? missing : false;
const PLATFORM_PACKAGE = '@kindling/kernels-linux-x64-gnu';
const VERSION = (JSON.parse(readFileSync(join(repo, 'packages', 'kernels', 'package.json'), 'utf8')) as { version: string }).version;
/** OpenBLAS core types to train with: Haswell (AVX2, and the local reference), AVX-512 where the CPU has it, the default. */
const avx512 = process.platform === 'linux' && /\bavx512f\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
const CORES: ReadonlyArray<readonly [string | undefined, number]> = [['Haswell', 0], ...(avx512 ? [['SkylakeX', 0.01] as const] : []), [undefined, 0.01]];

describe('prebuilt native binary in a platform package', { skip, timeout: 900_000 }, () => {
  let scratch = '';
  let packs = '';
  let app = '';
  let bundled: string[] = [];
  const tarball = (name: string): string => {
    const file = readdirSync(packs).find((f) => f === `${name}-${VERSION}.tgz`);
    assert.ok(file !== undefined, `no ${name}-${VERSION}.tgz in ${packs}`);
    return join(packs, file);
  };
  const cli = (args: string[], env: Record<string, string | undefined> = {}) =>
    run(process.execPath, [join(app, 'node_modules', 'kindling', 'bin', 'kindling.js'), ...args], { cwd: app, env, hidden: true, scratch });

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'kindling-prebuilt-test-'));
    packs = join(scratch, 'packs');
    app = join(scratch, 'app');
    mkdirSync(app);
    const built = await run(process.execPath, [join(repo, 'scripts', 'build-prebuilt.mjs'), '--out', packs], { cwd: repo, scratch, timeoutMs: 600_000 });
    assert.equal(built.code, 0, `npm run build:prebuilt failed:\n${built.stdout}\n${built.stderr}`);
    for (const workspace of [[], ['-w', '@kindling/kernels']]) {
      const packed = await run('npm', ['pack', ...workspace, '--ignore-scripts', '--pack-destination', packs], { cwd: repo, scratch });
      assert.equal(packed.code, 0, packed.stderr);
    }
  });
  after(() => {
    if (scratch !== '') rmSync(scratch, { recursive: true, force: true });
  });

  it('packs the sources of the local build into @kindling/kernels, for platforms without a prebuilt package', async () => {
    const list = await run('tar', ['tzf', tarball('kindling-kernels')], { cwd: scratch, scratch });
    assert.match(list.stdout, /^package\/native\/blas\/binding\.gyp$/m);
    assert.match(list.stdout, /^package\/native\/blas\/src\/addon\.cc$/m);
  });

  it('links OpenBLAS statically, finds bundled libraries through an $ORIGIN rpath and ships the license texts', async () => {
    const dir = join(scratch, 'platform');
    mkdirSync(dir);
    assert.equal((await run('tar', ['xzf', tarball('kindling-kernels-linux-x64-gnu'), '-C', dir], { cwd: scratch, scratch })).code, 0);
    const pkg = join(dir, 'package');
    const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { os: string[]; cpu: string[]; libc: string[] };
    assert.deepEqual([manifest.os, manifest.cpu, manifest.libc], [['linux'], ['x64'], ['glibc']]);
    const dynamic = await run('readelf', ['-d', join(pkg, 'kindling_blas.node')], { cwd: scratch, scratch });
    assert.match(dynamic.stdout, /\(RPATH\)\s+Library rpath: \[\$ORIGIN\]/);
    assert.doesNotMatch(dynamic.stdout, /NEEDED.*(openblas|libstdc\+\+)/i);
    const info = JSON.parse(readFileSync(join(pkg, 'build-info.json'), 'utf8')) as { openblas: string; bundled: string[] };
    assert.match(info.openblas, /DYNAMIC_ARCH/);
    bundled = info.bundled;
    for (const lib of info.bundled) readFileSync(join(pkg, lib)); // every bundled library is in the package
    if (/NEEDED.*libdnnl/.test(dynamic.stdout)) assert.ok(info.bundled.includes('libdnnl.so.2'), 'oneDNN is linked but not bundled');
    const licenses = readFileSync(join(pkg, 'LICENSES', 'README.md'), 'utf8');
    assert.match(licenses, /OpenBLAS/);
    for (const lib of info.bundled) assert.match(licenses, new RegExp(lib.replace(/[.+]/g, '\\$&')));
  });

  it('installs from the tarballs where no compiler, headers or system OpenBLAS are visible', async () => {
    writeFileSync(join(app, 'package.json'), JSON.stringify({
      name: 'kindling-prebuilt-check', private: true,
      dependencies: { kindling: `file:${tarball('kindling')}` },
      overrides: { '@kindling/kernels': `file:${tarball('kindling-kernels')}`, [PLATFORM_PACKAGE]: `file:${tarball('kindling-kernels-linux-x64-gnu')}` },
    }, null, 2));
    const probe = await run('sh', ['-c', HIDDEN_PROBE], { cwd: app, hidden: true, scratch });
    assert.equal(probe.code, 0, 'the mount namespace does not hide the compilers, headers and OpenBLAS');
    const installed = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: app, hidden: true, scratch, timeoutMs: 600_000 });
    assert.equal(installed.code, 0, `npm install failed:\n${installed.stdout}\n${installed.stderr}`);
  });

  it('kindling info reports the prebuilt native backend, where it was loaded from and why the local build was not', async () => {
    const info = await cli(['info']);
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /yes\s+kindling-native .*prebuilt binary\s+<- auto/);
    const where = join(app, 'node_modules', '@kindling', 'kernels-linux-x64-gnu', 'kindling_blas.node');
    assert.ok(info.stdout.includes(`loaded: ${PLATFORM_PACKAGE}@${VERSION} (${where})`), info.stdout);
    assert.match(info.stdout, /not used: local build .*: not built: /);
  });

  it('one epoch reaches the accuracy of the locally built backend, on the Haswell, AVX-512 and default kernels', async (t) => {
    const local = await run(process.execPath, [join(repo, 'bin', 'kindling.js'), 'train', '--epochs', '1', '--output', join(scratch, 'local')],
      { cwd: repo, scratch, env: { OPENBLAS_CORETYPE: 'Haswell', KINDLING_NATIVE_PREBUILT: '0' } });
    assert.equal(local.code, 0, local.stderr);
    const reference = trainResult(local.stdout);
    assert.equal(reference.backend, 'kindling-native');
    for (const [core, tolerance] of CORES) {
      const trained = await cli(['train', '--epochs', '1', '--output', join(scratch, `prebuilt-${core ?? 'default'}`)], { OPENBLAS_CORETYPE: core });
      assert.equal(trained.code, 0, trained.stderr);
      const result = trainResult(trained.stdout);
      assert.equal(result.backend, 'kindling-native');
      assert.ok(Math.abs(result.accuracy - reference.accuracy) <= tolerance,
        `OPENBLAS_CORETYPE=${core ?? 'unset'}: accuracy ${result.accuracy}, locally built backend ${reference.accuracy}`);
      t.diagnostic(`prebuilt (OPENBLAS_CORETYPE=${core ?? 'unset'}): test accuracy ${result.accuracy}; local build (Haswell): ${reference.accuracy}`);
    }
  });

  it('trains the CNN on the bundled oneDNN as the local build does, when the binary links oneDNN', async (t) => {
    if (!bundled.includes('libdnnl.so.2')) {
      t.skip('this prebuilt binary was built without oneDNN');
      return;
    }
    const args = ['train', '--model', 'cnn', '--epochs', '1'];
    const local = await run(process.execPath, [join(repo, 'bin', 'kindling.js'), ...args, '--output', join(scratch, 'local-cnn')],
      { cwd: repo, scratch, env: { OPENBLAS_CORETYPE: 'Haswell', KINDLING_NATIVE_PREBUILT: '0' } });
    assert.equal(local.code, 0, local.stderr);
    const trained = await cli([...args, '--output', join(scratch, 'prebuilt-cnn')], { OPENBLAS_CORETYPE: 'Haswell' });
    assert.equal(trained.code, 0, trained.stderr);
    const [reference, result] = [trainResult(local.stdout), trainResult(trained.stdout)];
    assert.deepEqual([reference.backend, result.backend], ['kindling-native', 'kindling-native']);
    assert.ok(Math.abs(result.accuracy - reference.accuracy) <= 0.01, `CNN: prebuilt ${result.accuracy}, local build ${reference.accuracy}`);
    t.diagnostic(`CNN: prebuilt test accuracy ${result.accuracy}; local build ${reference.accuracy}`);
  });
});
