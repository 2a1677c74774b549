#!/usr/bin/env node
/**
 * `npm run build:prebuilt`: builds the prebuilt platform package of @kindling/kernels' native backend for this machine
 * (packages/kernels-<os>-<arch>-<libc>, today only linux-x64-gnu) and packs it with `npm pack`.
 *
 * 1. Compiles packages/kernels/native/blas (copied to a temporary directory, so that the local build in
 *    native/blas/build is left alone) with the same builder as the install (build-native.mjs), with
 *    KINDLING_OPENBLAS_STATIC pointing at a static OpenBLAS: binding.gyp then links libopenblas.a and libstdc++ into
 *    the addon, hides their symbols and gives it an $ORIGIN rpath. oneDNN is compiled in when its headers are
 *    installed, as in a local build.
 * 2. Reads the addon's dynamic dependencies with ldd: those outside the set every glibc system has (oneDNN, and what
 *    it needs: libgomp, libOpenCL) are copied next to the addon.
 * 3. Copies the license texts of everything inside (Debian: /usr/share/doc/<package>/copyright), writes
 *    build-info.json, and checks that the addon loads and multiplies correctly with several OpenBLAS core types.
 * 4. Packs the package into --out (default packages/kernels-<target>/dist/).
 *
 * Fails (exit 1) with the reason when something is missing: unlike the install, this is a maintainer's command.
 * Usage: node scripts/build-prebuilt.mjs [--out <dir>] [--openblas <libopenblas.a>] [--licenses <dir>] [--keep]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildAddons } from '../packages/kernels/scripts/build-native.mjs';
import { collectLicenses } from './prebuilt-licenses.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const kernelsDir = join(repo, 'packages', 'kernels');
const multiarch = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' }[process.arch] ?? `${process.arch}-linux-gnu`;

/** Libraries every glibc Linux that runs Node has (Node itself needs libstdc++ and libgcc_s): never bundled. */
const SYSTEM_LIBS = /^(linux-vdso|linux-gate|ld-linux[-\w.]*|libc|libm|libdl|libpthread|librt|libgcc_s|libstdc\+\+)\.so(\.\d+)*$/;

function fail(message) {
  console.error(`build:prebuilt: ${message}`);
  process.exit(1);
}

function target() {
  if (process.platform !== 'linux') {
    fail(`no platform package is built on ${process.platform} yet; docs/native-binaries.md has the recipe for it`);
  }
  const glibc = /** @type {{ header?: { glibcVersionRuntime?: string } }} */ (process.report.getReport()).header?.glibcVersionRuntime;
  return `linux-${process.arch}-${glibc === undefined ? 'musl' : 'gnu'}`;
}

function staticOpenBLAS(given) {
  const candidates = given !== undefined ? [given] : [`/usr/lib/${multiarch}/openblas-pthread/libopenblas.a`,
    `/usr/lib/${multiarch}/libopenblas.a`, '/usr/local/lib/libopenblas.a'];
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) {
    fail(`no static OpenBLAS found (looked for ${candidates.join(', ')}); Debian/Ubuntu: apt-get install libopenblas-dev, or pass --openblas <libopenblas.a>`);
  }
  return realpathSync(found);
}

/** Compiles native/blas in a copy under `stage` and returns the addon's path. */
function compile(stage, openblas) {
  const native = join(stage, 'native');
  cpSync(join(kernelsDir, 'native', 'blas', 'binding.gyp'), join(native, 'blas', 'binding.gyp'));
  cpSync(join(kernelsDir, 'native', 'blas', 'src'), join(native, 'blas', 'src'), { recursive: true });
  // binding.gyp finds node-addon-api with require(); the copy is outside the workspace, so point NODE_PATH at it.
  const addonApi = dirname(createRequire(join(kernelsDir, 'package.json')).resolve('node-addon-api/package.json'));
  process.env.NODE_PATH = dirname(addonApi);
  process.env.KINDLING_OPENBLAS_STATIC = openblas;
  delete process.env.KINDLING_SKIP_NATIVE;
  buildAddons(native, ['blas']);
  const unavailable = join(native, 'blas', 'build', 'UNAVAILABLE');
  if (existsSync(unavailable)) fail(`the addon did not build:\n${readFileSync(unavailable, 'utf8')}`);
  return join(native, 'blas', 'build', 'Release', 'kindling_blas.node');
}

/** The addon's shared-library dependencies (ldd: the whole closure) outside {@link SYSTEM_LIBS}. */
function bundledLibraries(addon) {
  const out = execFileSync('ldd', [addon], { encoding: 'utf8' });
  const libs = [];
  for (const line of out.split('\n')) {
    const m = /^\s*(\S+)\s+=>\s+(.*?)\s+\(0x[0-9a-f]+\)$/.exec(line) ?? /^\s*(\S+)\s+=>\s+(not found)$/.exec(line);
    if (m === null) continue;
    const [, name, path] = /** @type {[string, string, string]} */ (m);
    if (path === 'not found') fail(`${basename(addon)} needs ${name}, which is not installed here`);
    if (/openblas/i.test(name)) fail(`${name} is linked dynamically: the static OpenBLAS was not used`);
    if (!SYSTEM_LIBS.test(name)) libs.push({ name, path: realpathSync(path) });
  }
  return libs;
}

/** The highest symbol version of `prefix` (GLIBC, GLIBCXX) that any of `files` needs, or null. */
function maxSymbolVersion(files, prefix) {
  let best = null;
  for (const file of files) {
    const table = execFileSync('objdump', ['-T', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
    for (const [, v] of table.matchAll(new RegExp(`\\(${prefix}_([\\d.]+)\\)`, 'g'))) {
      const parts = /** @type {string} */ (v).split('.').map(Number);
      if (best === null || compareVersions(parts, best) > 0) best = parts;
    }
  }
  return best?.join('.') ?? null;
}

function compareVersions(a, b) {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}

/** Loads the addon in a child process with OPENBLAS_CORETYPE=`core` and checks a product against a plain loop. */
function smokeTest(addon, core) {
  const code = `
    const a = require(${JSON.stringify(addon)});
    const m = 37, n = 23, k = 29, A = new Float32Array(m * k), B = new Float32Array(k * n), C = new Float32Array(m * n);
    for (let i = 0; i < A.length; i++) A[i] = Math.sin(i);
    for (let i = 0; i < B.length; i++) B[i] = Math.cos(i);
    a.matmul(A, B, C, 1, 1, 1, m, n, k, false, false, null, 0, 0, null, 0, 0, false);
    let err = 0;
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0; for (let p = 0; p < k; p++) s += A[i * k + p] * B[p * n + j];
      err = Math.max(err, Math.abs(s - C[i * n + j]));
    }
    console.log(JSON.stringify({ ...a.info(), err }));`;
  const env = { ...process.env, OPENBLAS_CORETYPE: core ?? '' };
  if (core === undefined) delete env.OPENBLAS_CORETYPE;
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', env });
  if (r.status !== 0) fail(`the addon does not load (OPENBLAS_CORETYPE=${core ?? 'unset'}):\n${r.stderr}`);
  const info = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}');
  if (!(info.err < 1e-4)) fail(`wrong product with core ${info.coreName}: max error ${info.err}`);
  if (core !== undefined && info.coreName !== core) fail(`OPENBLAS_CORETYPE=${core} gave core ${info.coreName}`);
  if (!String(info.config).includes('DYNAMIC_ARCH')) fail(`OpenBLAS is not a DYNAMIC_ARCH build (${info.config}): the binary would only suit this CPU`);
  console.log(`build:prebuilt: loads with core ${info.coreName} (OPENBLAS_CORETYPE=${core ?? 'unset'}), max error ${info.err.toExponential(1)}`);
  return info;
}

/** Core types to check: this CPU's, AVX-512 when it has it, then older x86-64 generations. */
function coreTypes() {
  if (process.arch !== 'x64') return [undefined];
  const avx512 = /\bavx512f\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  return [undefined, ...(avx512 ? ['SkylakeX'] : []), 'Haswell', 'Sandybridge', 'Nehalem'];
}

function main() {
  const { values } = parseArgs({ options: { out: { type: 'string' }, openblas: { type: 'string' }, licenses: { type: 'string' }, keep: { type: 'boolean' } } });
  const name = target();
  const source = join(repo, 'packages', `kernels-${name}`);
  if (!existsSync(join(source, 'package.json'))) fail(`no platform package folder for ${name} (${source}); see docs/native-binaries.md`);
  const manifest = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8'));
  const kernelsVersion = JSON.parse(readFileSync(join(kernelsDir, 'package.json'), 'utf8')).version;
  if (manifest.version !== kernelsVersion) fail(`${manifest.name} is version ${manifest.version}, @kindling/kernels ${kernelsVersion}: they must be equal`);
  const openblas = staticOpenBLAS(values.openblas);
  const started = Date.now();
  const stage = mkdtempSync(join(tmpdir(), 'kindling-prebuilt-'));
  try {
    const built = compile(stage, openblas);
    const pkg = join(stage, 'package');
    mkdirSync(pkg);
    cpSync(join(source, 'package.json'), join(pkg, 'package.json'));
    cpSync(join(source, 'README.md'), join(pkg, 'README.md'));
    cpSync(built, join(pkg, 'kindling_blas.node'));
    const libs = bundledLibraries(built);
    for (const lib of libs) writeFileSync(join(pkg, lib.name), readFileSync(lib.path), { mode: 0o755 });
    const addon = join(pkg, 'kindling_blas.node');
    const infos = coreTypes().map((core) => smokeTest(addon, core));
    const files = [addon, ...libs.map((l) => join(pkg, l.name))];
    const gxx = execFileSync('g++', ['--version'], { encoding: 'utf8' }).split('\n')[0];
    const components = [
      { name: 'OpenBLAS (linked statically)', file: openblas },
      { name: 'libstdc++ (GCC runtime, linked statically)', file: execFileSync('g++', ['-print-file-name=libstdc++.a'], { encoding: 'utf8' }).trim() },
      ...libs.map((l) => ({ name: `${l.name} (bundled)`, file: l.path })),
    ];
    collectLicenses(join(pkg, 'LICENSES'), components, values.licenses);
    const info = {
      package: manifest.name, version: manifest.version, target: name, nodeApi: 8, node: '>=20',
      openblas: infos[0]?.config, oneDNN: libs.some((l) => l.name.startsWith('libdnnl')), bundled: libs.map((l) => l.name),
      glibc: maxSymbolVersion(files, 'GLIBC'), libstdcxx: maxSymbolVersion(files, 'GLIBCXX'), compiler: gxx,
    };
    writeFileSync(join(pkg, 'build-info.json'), `${JSON.stringify(info, null, 2)}\n`);
    const out = resolve(values.out ?? join(source, 'dist'));
    mkdirSync(out, { recursive: true });
    const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', out], { cwd: pkg, encoding: 'utf8' }));
    const tarball = join(out, packed[0].filename);
    console.log(`build:prebuilt: ${JSON.stringify(info)}`);
    console.log(`build:prebuilt: packed ${tarball} (${(packed[0].size / 1e6).toFixed(1)} MB) in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    if (values.keep === true) console.log(`build:prebuilt: kept ${stage}`);
    else rmSync(stage, { recursive: true, force: true });
  }
}

try {
  main();
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
