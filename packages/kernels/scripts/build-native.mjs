#!/usr/bin/env node
/**
 * Builds kindling's optional Node-API addons (<dir>/<name>/binding.gyp) with node-gyp, at install time: this
 * package's native/ (the OpenBLAS backend, native/blas) by default, or another package's (kindling's MPI addon).
 *
 * Never fails the install: an addon whose system library is missing (OpenBLAS for native/blas, Open MPI for
 * native/mpi) or whose compilation fails is skipped, and the reason is written to native/<name>/build/UNAVAILABLE
 * so that `kindling info` and the runtime error messages can say why it is not there and how to enable it.
 *
 * Usage: node scripts/build-native.mjs [--dir <native dir>] [name...]   (default: every addon under native/)
 * As a module: `buildAddons(nativeDir, names)`.
 * Set KINDLING_SKIP_NATIVE=1 to skip all addons.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ownNativeDir = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'native');

/** What each addon needs from the system, and how to get it on Debian/Ubuntu. */
const prerequisites = {
  blas: {
    check: () => ['/usr/include/x86_64-linux-gnu/cblas.h', '/usr/include/cblas.h', '/usr/include/openblas/cblas.h',
      '/usr/include/aarch64-linux-gnu/cblas.h', '/opt/homebrew/opt/openblas/include/cblas.h',
      '/usr/local/opt/openblas/include/cblas.h'].some((p) => existsSync(p)),
    missing: 'OpenBLAS headers (cblas.h) not found; install them (Debian/Ubuntu: apt-get install libopenblas-dev) and reinstall kindling',
  },
  mpi: {
    check: () => spawnSync('mpicxx', ['--showme:version'], { stdio: 'ignore' }).status === 0,
    missing: 'Open MPI not found (no mpicxx); install it (Debian/Ubuntu: apt-get install libopenmpi-dev openmpi-bin) and reinstall kindling',
  },
};

/**
 * Whether to compile oneDNN into native/blas (its convolutions and bfloat16 products; optional, OpenBLAS alone works):
 * its headers are installed (Debian/Ubuntu: libdnnl-dev) and KINDLING_DNNL is not 0. binding.gyp reads the answer
 * from KINDLING_DNNL_BUILD.
 */
function dnnlBuild() {
  if (['0', 'false', 'off'].includes(process.env.KINDLING_DNNL ?? '')) return false;
  return ['/usr/include/oneapi/dnnl/dnnl.hpp', '/usr/include/dnnl.hpp', '/usr/local/include/oneapi/dnnl/dnnl.hpp',
    '/opt/homebrew/include/oneapi/dnnl/dnnl.hpp'].some((p) => existsSync(p));
}

function nodeGypCommand() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return [process.execPath, fromNpm];
  const require = createRequire(import.meta.url);
  try {
    return [process.execPath, require.resolve('node-gyp/bin/node-gyp.js')];
  } catch {
    // npm ships node-gyp; use that copy when the package is not installed locally.
    const bundled = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    return existsSync(bundled) ? [process.execPath, bundled] : null;
  }
}

function markUnavailable(dir, reason) {
  mkdirSync(join(dir, 'build'), { recursive: true });
  writeFileSync(join(dir, 'build', 'UNAVAILABLE'), `${reason}\n`);
  console.warn(`kindling: optional addon ${dir} not built: ${reason.split('\n')[0]}`);
}

function build(nativeDir, name) {
  const dir = join(nativeDir, name);
  if (!existsSync(join(dir, 'binding.gyp'))) return;
  rmSync(join(dir, 'build', 'UNAVAILABLE'), { force: true });
  const prerequisite = prerequisites[name];
  if (prerequisite && !prerequisite.check()) return markUnavailable(dir, prerequisite.missing);
  const gyp = nodeGypCommand();
  if (!gyp) return markUnavailable(dir, 'node-gyp not found (it ships with npm); reinstall kindling with npm');
  const started = Date.now();
  // Build against the headers installed with this Node (no download: machines without internet access build too),
  // unless npm was told otherwise (npm_config_nodedir).
  const localHeaders = resolve(dirname(process.execPath), '..');
  const nodedir = process.env.npm_config_nodedir ||
    (existsSync(join(localHeaders, 'include', 'node', 'common.gypi')) ? localHeaders : undefined);
  const result = spawnSync(gyp[0], [gyp[1], 'rebuild', '--release', `--directory=${dir}`, ...(nodedir ? [`--nodedir=${nodedir}`] : [])],
    { encoding: 'utf8', env: { ...process.env, JOBS: process.env.JOBS ?? 'max', KINDLING_DNNL_BUILD: name === 'blas' && dnnlBuild() ? '1' : '0' } });
  if (result.status !== 0) {
    const log = `${result.stdout ?? ''}\n${result.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
    return markUnavailable(dir, `compilation failed (node-gyp exit ${result.status ?? result.signal}); last lines:\n${log}`);
  }
  const withDnnl = name === 'blas' ? (dnnlBuild() ? ' with oneDNN' : ' without oneDNN (install libdnnl-dev for its convolutions and bfloat16 products)') : '';
  console.log(`kindling: built optional addon ${dir}${withDnnl} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/**
 * Builds the addons under `nativeDir` (all, or those named). Never throws.
 *
 * @param {string} nativeDir - the folder holding one folder per addon.
 * @param {string[]} wanted - addon names; empty for all.
 */
export function buildAddons(nativeDir = ownNativeDir, wanted = []) {
  if (process.env.KINDLING_SKIP_NATIVE === '1') {
    console.log('kindling: KINDLING_SKIP_NATIVE=1, optional native addons not built');
    return;
  }
  if (!existsSync(nativeDir)) return;
  const names = wanted.length > 0 ? wanted : readdirSync(nativeDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  for (const name of names) {
    try {
      build(nativeDir, name);
    } catch (error) {
      markUnavailable(join(nativeDir, name), `build script error: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--dir');
  const dir = at >= 0 ? resolve(args[at + 1] ?? '.') : ownNativeDir;
  buildAddons(dir, at >= 0 ? args.filter((_, i) => i !== at && i !== at + 1) : args);
}
