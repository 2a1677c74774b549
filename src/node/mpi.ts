/**
 * @module The Node side of kindling's distributed context: the loader of kindling's MPI addon (native/mpi), which
 * `installMpi()` installs into the browser-safe context of src/distributed/context.ts. Port of the MPI part of
 * ignite/distributed/comp_models/native.py's backend setup.
 *
 * Deviations: Ignite's backends come with torch.distributed; kindling's only backend is this addon, built by
 * `npm install` when Open MPI is present. `KINDLING_MPI_ADDON` overrides its path.
 */

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setMpiLoader, type MpiAddon, type MpiLoader } from '../distributed/context.js';
import { launchRanks, launchedByMpi } from './mpi-launch.js';

const ADDON_URL = new URL('../../native/mpi/build/Release/kindling_mpi.node', import.meta.url);
const UNAVAILABLE_URL = new URL('../../native/mpi/build/UNAVAILABLE', import.meta.url);

/** What a user does to get a working MPI addon; the context appends it to every unavailability message. */
const MPI_HOW_TO_ENABLE =
  'To enable it: install Open MPI (Debian/Ubuntu: apt-get install libopenmpi-dev openmpi-bin; macOS: brew install ' +
  'open-mpi), rebuild the addon (`npm rebuild kindling`, or `node scripts/build-native.mjs mpi` in a clone of ' +
  'kindling), then launch the script with `mpirun -np 2 node train.js`. Use backend null to train in one process.';

let loaded: { addon: MpiAddon } | { reason: string } | null = null;

/**
 * Loads kindling's MPI addon once: from `KINDLING_MPI_ADDON` when set, else from native/mpi/build. When the build
 * left a native/mpi/build/UNAVAILABLE marker, its first line is the reason.
 *
 * @returns the addon, or the reason it is not available.
 * @internal
 */
export function loadMpiAddon(): { addon: MpiAddon } | { reason: string } {
  if (loaded !== null) return loaded;
  const path = process.env.KINDLING_MPI_ADDON ?? fileURLToPath(ADDON_URL);
  if (!existsSync(path)) {
    const marker = fileURLToPath(UNAVAILABLE_URL);
    const why = existsSync(marker) ? readFileSync(marker, 'utf8').trim().split('\n')[0] : undefined;
    loaded = { reason: `kindling's MPI addon (${path}) is not available: ${why ?? 'it was not built'}.` };
    return loaded;
  }
  try {
    loaded = { addon: createRequire(import.meta.url)(path) as MpiAddon };
  } catch (error) {
    loaded = { reason: `kindling's MPI addon (${path}) failed to load: ${error instanceof Error ? error.message : String(error)}.` };
  }
  return loaded;
}

const NODE_MPI_LOADER: MpiLoader = {
  load: loadMpiAddon,
  howToEnable: MPI_HOW_TO_ENABLE,
  hostname,
  launchedByMpi,
  launch: launchRanks,
};

/**
 * Installs the loader of kindling's MPI addon into the distributed context, so that `initialize('mpi')`,
 * `new Parallel({ backend: 'mpi' })` and `mpiAvailability()` can use MPI. Idempotent, and cheap: the addon is
 * loaded on the first MPI use, not here. `import ... from 'kindling'` under Node calls it already; call it yourself
 * only when you import kindling's browser build (or its sources) in Node.
 *
 * @returns nothing.
 * @example
 * ```ts
 * import { Parallel } from 'kindling'; // here resolved to the browser build, e.g. by a bundler targeting Node
 * import { installMpi } from 'kindling/node';
 *
 * installMpi(); // before the first MPI use
 * await new Parallel({ backend: 'mpi' }).run(training);
 * ```
 */
export function installMpi(): void {
  setMpiLoader(NODE_MPI_LOADER);
}
