/**
 * @module backends/native/addon-binaries Where the native backend's binary can come from, in the order they are tried:
 * the prebuilt platform package that npm installed with @kindling/kernels (sharp's model: one package per platform in
 * `optionalDependencies`, chosen by its `os`/`cpu`/`libc` fields), then the local build of native/blas (at install,
 * or `kindling build-native`). No Ignite counterpart. Deviations: none.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The platforms a prebuilt package is built for (docs/native-binaries.md says how to add one). */
export const PREBUILT_TARGETS: readonly string[] = ['linux-x64-gnu'];

/**
 * One place a native binary can come from, before loading it.
 *
 * @example
 * ```ts
 * for (const b of nativeBinaryCandidates(packageRoot()!)) console.log(b.source, b.file ?? b.skip);
 * ```
 */
export interface NativeBinaryCandidate {
  /** `prebuilt`: the platform package; `local`: native/blas/build (built at install or by `kindling build-native`). */
  source: 'prebuilt' | 'local';
  /** What it is, for people: the platform package's name and version, or the local build. */
  label: string;
  /** The binary, or null when there is none. */
  file: string | null;
  /** Why it cannot be tried (not installed, not built, turned off), or null when it can. */
  skip: string | null;
}

/**
 * This machine's platform target: `<os>-<arch>`, plus the C library on Linux (`-gnu` for glibc, `-musl`).
 *
 * @returns e.g. `linux-x64-gnu`.
 */
export function platformTarget(): string {
  const base = `${process.platform}-${process.arch}`;
  if (process.platform !== 'linux') return base;
  // The report's header names the glibc Node runs on (absent under musl); its network part is slow and not needed.
  const report = process.report as { excludeNetwork?: boolean } & typeof process.report;
  const excluded = report.excludeNetwork === true;
  report.excludeNetwork = true;
  try {
    const header = (report.getReport() as { header?: { glibcVersionRuntime?: string } }).header;
    return `${base}-${header?.glibcVersionRuntime === undefined ? 'musl' : 'gnu'}`;
  } finally {
    report.excludeNetwork = excluded;
  }
}

function readJson(file: string): { name?: string; version?: string } {
  return JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
}

/** The prebuilt platform package's binary, found the way Node finds a dependency of @kindling/kernels. */
function prebuiltCandidate(root: string, target: string): NativeBinaryCandidate {
  const name = `@kindling/kernels-${target}`;
  const none = (label: string, skip: string): NativeBinaryCandidate => ({ source: 'prebuilt', label, file: null, skip });
  if (!PREBUILT_TARGETS.includes(target)) {
    return none('prebuilt package', `none is built for ${target} (prebuilt: ${PREBUILT_TARGETS.join(', ')}; docs/native-binaries.md)`);
  }
  if (process.env['KINDLING_NATIVE_PREBUILT'] === '0') return none(name, 'skipped: KINDLING_NATIVE_PREBUILT=0');
  let manifest: string;
  try {
    manifest = createRequire(join(root, 'package.json')).resolve(`${name}/package.json`);
  } catch {
    return none(name, 'not installed (npm skipped the optional dependency: --omit=optional, or a lockfile made on ' +
      'another platform); run `npm install` again to get it');
  }
  const { version } = readJson(manifest);
  const own = readJson(join(root, 'package.json')).version;
  const label = `${name}@${version ?? '?'}`;
  if (version !== own) return none(label, `its version does not match @kindling/kernels ${own ?? '?'}; reinstall kindling`);
  const file = join(dirname(manifest), 'kindling_blas.node');
  if (!existsSync(file)) {
    return none(label, `it holds no binary (${file} missing: in a kindling checkout, \`npm run build:prebuilt\` packs one)`);
  }
  return { source: 'prebuilt', label, file, skip: null };
}

/** The local build of native/blas, and the reason recorded at install time when it was not built. */
function localCandidate(root: string): NativeBinaryCandidate {
  const label = 'local build (native/blas, `kindling build-native`)';
  const marker = join(root, 'native', 'blas', 'build', 'UNAVAILABLE');
  if (existsSync(marker)) return { source: 'local', label, file: null, skip: `not built: ${readFileSync(marker, 'utf8').trim()}` };
  const file = join(root, 'native', 'blas', 'build', 'Release', 'kindling_blas.node');
  if (!existsSync(file)) return { source: 'local', label, file: null, skip: `not built (${file} missing)` };
  return { source: 'local', label, file, skip: null };
}

/**
 * The native binaries to try, in loading order: the prebuilt platform package, then the local build.
 *
 * @param root - the directory of @kindling/kernels' package.json.
 * @param target - the platform target (default: this machine's, {@link platformTarget}).
 * @returns one candidate per source; `file` is set where one can be loaded.
 */
export function nativeBinaryCandidates(root: string, target: string = platformTarget()): NativeBinaryCandidate[] {
  return [prebuiltCandidate(root, target), localCandidate(root)];
}
