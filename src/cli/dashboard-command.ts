/**
 * @module `kindling dashboard <logdir>`: serve the live dashboard for a directory of runs until Ctrl-C.
 */

import { existsSync } from 'node:fs';
import { startDashboard } from '../node/logging/dashboard-server.js';
import { CliError } from './errors.js';

/**
 * Serves the dashboard of `logDir` and resolves when the process receives SIGINT/SIGTERM.
 *
 * @param logDir - directory of runs (`<logDir>/<run>/metrics.jsonl`).
 * @param options - port (0 = any free port) and extra accepted Host names.
 * @param out - where to print the address.
 * @returns when the server stopped.
 * @throws {@link CliError} when the directory does not exist.
 */
export async function dashboardCommand(logDir: string, options: { port: number; allowHost?: string[] }, out: NodeJS.WritableStream): Promise<void> {
  if (!existsSync(logDir)) {
    throw new CliError(`log directory '${logDir}' does not exist: pass the --output directory of a training run (default: runs)`, 1);
  }
  const dash = await startDashboard({
    logDir,
    port: options.port,
    allowedHosts: options.allowHost ?? [],
    onWarning: (message) => void process.stderr.write(`${message}\n`),
  });
  out.write(`kindling dashboard for ${logDir}: ${dash.url}  (Ctrl-C to stop)\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await dash.close();
}
