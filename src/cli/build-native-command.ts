/**
 * @module `kindling build-native`: runs the package's own `scripts/build-native.mjs --all`, which builds the optional
 * Node-API addons (kindling's native/mpi, and @kindling/kernels' native/blas) with node-gyp. npm runs it at install; npm 12 skips dependencies'
 * install scripts unless they are approved (`npm install-scripts approve kindling`), and this command is the other
 * way to build them afterwards.
 */

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CliError } from './errors.js';

/**
 * Builds the optional native addons, printing the build script's output.
 *
 * @returns when the build script finished (it never fails for a missing system library: it records the reason).
 * @throws {@link CliError} when the build script is missing or cannot be started.
 */
export async function buildNativeCommand(): Promise<void> {
  // src/cli/ and dist/cli/ are both two levels below the package root.
  const script = fileURLToPath(new URL('../../scripts/build-native.mjs', import.meta.url));
  if (!existsSync(script)) throw new CliError(`the native build script is missing (${script}); reinstall kindling`);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [script, '--all'], { stdio: 'inherit' });
    child.on('error', (e) => reject(new CliError(`could not start the native build: ${e.message}`)));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new CliError(`the native build script exited with ${String(code)}`))));
  });
}
