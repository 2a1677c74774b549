/**
 * @module How a Node process starts MPI ranks of itself: `Parallel({ backend: 'mpi', nprocPerNode })` and
 * `kindling train --nproc N` re-run the current script (same Node binary, same `execArgv`, same arguments)
 * under `mpirun -np N` when it was not launched by an MPI launcher. Port of the spawning half of Ignite's
 * `Parallel(nproc_per_node=...)` (torch.multiprocessing there).
 */

import { spawn } from 'node:child_process';
import { DistributedJobError, DistributedUnavailableError } from '../distributed/context.js';

/** Environment variables that MPI launchers set in the processes they start (Open MPI, PMIx, MPICH/Hydra). */
const LAUNCHER_VARIABLES = ['OMPI_COMM_WORLD_SIZE', 'PMIX_RANK', 'PMI_RANK', 'PMI_SIZE'];

/**
 * Whether this process was started by an MPI launcher (mpirun, srun with PMIx, ...).
 *
 * @returns true under a launcher.
 * @internal
 */
export function launchedByMpi(): boolean {
  return LAUNCHER_VARIABLES.some((v) => process.env[v] !== undefined);
}

/**
 * The mpirun command line that runs this script as `nproc` ranks on this host: `KINDLING_MPIRUN` (default
 * `mpirun`), `--allow-run-as-root` as root, `--oversubscribe --bind-to none --mca btl self,vader`, then
 * `KINDLING_MPIRUN_ARGS` (split on spaces) and the script.
 *
 * @param nproc - the number of ranks.
 * @returns the command and its arguments.
 * @internal
 */
export function mpirunCommand(nproc: number): [string, string[]] {
  const args = ['-np', String(nproc), '--oversubscribe', '--bind-to', 'none', '--mca', 'btl', 'self,vader'];
  if (process.getuid?.() === 0) args.unshift('--allow-run-as-root');
  const extra = (process.env.KINDLING_MPIRUN_ARGS ?? '').split(/\s+/).filter((a) => a !== '');
  return [process.env.KINDLING_MPIRUN ?? 'mpirun', [...args, ...extra, process.execPath, ...process.execArgv, ...process.argv.slice(1)]];
}

/**
 * Re-runs this script as `nproc` MPI ranks and waits for them (their output goes to this process's stdout and
 * stderr). Ctrl-C reaches them too (same terminal process group).
 *
 * @param nproc - the number of ranks.
 * @returns when every rank has exited successfully.
 * @throws {@link DistributedJobError} when mpirun exits with an error (a rank failed; its error is printed above);
 *   {@link DistributedUnavailableError} when mpirun cannot be started, or the script, started by this function,
 *   still does not see an MPI launcher (so it would start ranks forever).
 * @internal
 */
export async function launchRanks(nproc: number): Promise<void> {
  if (process.env.KINDLING_MPI_LAUNCHED === '1') {
    throw new DistributedUnavailableError('this process was started by kindling through mpirun, but sees no MPI launcher variables (OMPI_COMM_WORLD_SIZE, PMIX_RANK): set KINDLING_MPIRUN to an Open MPI mpirun.');
  }
  const [command, args] = mpirunCommand(nproc);
  const child = spawn(command, args, { stdio: 'inherit', env: { ...process.env, KINDLING_MPI_LAUNCHED: '1' } });
  const code = await new Promise<number | string>((resolve, reject) => {
    child.once('error', (e) => reject(new DistributedUnavailableError(`cannot start ${command} to launch ${nproc} ranks: ${e.message}. Install Open MPI (Debian/Ubuntu: apt-get install openmpi-bin), or set KINDLING_MPIRUN.`, { cause: e })));
    child.once('exit', (c, signal) => resolve(c ?? signal ?? 1));
  });
  if (code !== 0) {
    throw new DistributedJobError(`the ${nproc} ranks started with ${command} failed (${typeof code === 'number' ? `exit code ${code}` : code}); the failing rank's error is printed above`, 'KINDLING_MPI_RANKS_FAILED', []);
  }
}
