/**
 * @module `kindling build-native`: runs the package's own `scripts/build-native.mjs --all`, which builds the optional
 * Node-API addons (kindling's native/mpi, and @kindling/kernels' native/blas) with node-gyp. npm runs it at install; npm 12 skips dependencies'
 * install scripts unless they are approved (`npm install-scripts approve kindling`), and this command is the other
 * way to build them afterwards. Where npm installed a prebuilt binary of the OpenBLAS backend (a platform package,
 * docs/native-binaries.md), that binary is loaded before the local build; the command says so.
 */

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { nativeBackendStatus } from '@kindling/kernels/node';
import { CliError } from './errors.js';

/**
 * Builds the optional native addons, printing the build script's output, then which OpenBLAS binary kindling loads.
 *
 * @param out - where to print the note on the binary in use.
 * @returns when the build script finished (it never fails for a missing system library: it records the reason).
 * @throws {@link CliError} when the build script is missing or cannot be started.
 */
export async function buildNativeCommand(out: NodeJS.WritableStream = process.stdout): Promise<void> {
  // src/cli/ and dist/cli/ are both two levels below the package root.
  const script = fileURLToPath(new URL('../../scripts/build-native.mjs', import.meta.url));
  if (!existsSync(script)) throw new CliError(`the native build script is missing (${script}); reinstall kindling`);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [script, '--all'], { stdio: 'inherit' });
    child.on('error', (e) => reject(new CliError(`could not start the native build: ${e.message}`)));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new CliError(`the native build script exited with ${String(code)}`))));
  });
  const { binary, binaries } = nativeBackendStatus();
  const local = binaries.find((b) => b.source === 'local');
  if (binary?.source === 'prebuilt' && local?.file != null) {
    out.write(`kindling: the prebuilt binary ${binary.label} is loaded before this build; ` +
      'set KINDLING_NATIVE_PREBUILT=0 to use the local build instead\n');
  }
}
