// Helpers of the prebuilt-package test: running commands in a mount namespace (made with `unshare`) where the C/C++
// headers, the compilers, the system's OpenBLAS and the libraries a prebuilt package must bundle are hidden, and
// running the kindling CLI of an installed tree.
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const MULTIARCH = process.arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';

/** The shell script that hides everything, then runs its arguments (needs root: it mounts tmpfs and binds /dev/null). */
const HIDE = `set -e
mount -t tmpfs tmpfs /usr/include
[ ! -d /usr/lib/gcc ] || mount -t tmpfs tmpfs /usr/lib/gcc
for d in /usr/lib/${MULTIARCH}/openblas-pthread /usr/lib/${MULTIARCH}/openblas-openmp /usr/lib/${MULTIARCH}/openblas-serial; do
  [ ! -d "$d" ] || mount -t tmpfs tmpfs "$d"
done
for f in libopenblas.so.0 libdnnl.so.2 libgomp.so.1 libOpenCL.so.1; do
  p=/usr/lib/${MULTIARCH}/$f
  [ ! -e "$p" ] || mount --bind /dev/null "$(readlink -f "$p")"
done
for c in g++ gcc cc c++ clang clang++; do
  p=$(command -v "$c" || true)
  [ -z "$p" ] || mount --bind /dev/null "$(readlink -f "$p")"
done
exec "$@"
`;

/** A shell test that passes only when the hiding worked: no headers, no working compiler, no system OpenBLAS. */
export const HIDDEN_PROBE = `[ -z "$(ls -A /usr/include)" ] && ! cc --version >/dev/null 2>&1 && ! g++ --version >/dev/null 2>&1 ` +
  `&& [ ! -e /usr/lib/${MULTIARCH}/libopenblas.so.0 ] && [ ! -e /usr/lib/${MULTIARCH}/openblas-pthread/libopenblas.a ]`;

/** Why the test cannot run here (it needs Linux x64 with glibc, root for unshare/mount, and a static OpenBLAS), or null. */
export function missingFacility(repo: string): string | null {
  if (process.platform !== 'linux' || process.arch !== 'x64') return `the prebuilt package is built for linux-x64, not ${process.platform}-${process.arch}`;
  if (process.getuid?.() !== 0) return 'making a mount namespace needs root (unshare --mount)';
  if (!existsSync(`/usr/lib/${MULTIARCH}/openblas-pthread/libopenblas.a`)) return 'no static OpenBLAS (apt-get install libopenblas-dev)';
  if (!existsSync(join(repo, 'dist', 'cli', 'main.js')) || !existsSync(join(repo, 'packages', 'kernels', 'dist', 'node.js'))) {
    return 'dist/ is not built (npm run build)';
  }
  return null;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command without the workspace's `--conditions=kindling-source` (an installed kindling has no sources to
 * run), with `env` added (an `undefined` value removes the variable).
 *
 * @param hidden - run it in the mount namespace that hides headers, compilers and system libraries.
 */
export function run(command: string, args: string[], options: { cwd: string; env?: Record<string, string | undefined>;
  hidden?: boolean; scratch: string; timeoutMs?: number }): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  delete env['NODE_OPTIONS'];
  for (const [k, v] of Object.entries(options.env ?? {})) if (v === undefined) delete env[k];
  let file = command;
  let argv = args;
  if (options.hidden === true) {
    const script = join(options.scratch, 'hide.sh');
    writeFileSync(script, HIDE);
    file = 'unshare';
    argv = ['--mount', '--propagation', 'private', 'sh', script, command, ...args];
  }
  return new Promise((resolve) => {
    execFile(file, argv, { cwd: options.cwd, env, encoding: 'utf8', maxBuffer: 64 << 20, timeout: options.timeoutMs ?? 300_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      });
  });
}

/** The test accuracy and backend that `kindling train` printed. */
export function trainResult(stdout: string): { accuracy: number; backend: string } {
  const accuracy = /Test accuracy: ([\d.]+)/.exec(stdout)?.[1];
  const backend = /backend ([\w-]+)\)/.exec(stdout)?.[1];
  if (accuracy === undefined || backend === undefined) throw new Error(`kindling train printed no result:\n${stdout}`);
  return { accuracy: Number(accuracy), backend };
}
