/** @module `kindling info`: which TensorFlow.js backends can run here, and which one `auto` picks. */

import { probeBackends } from './backends.js';

/**
 * Prints the backend table.
 *
 * @param out - where to print.
 */
export async function infoCommand(out: NodeJS.WritableStream): Promise<void> {
  const statuses = await probeBackends();
  const auto = statuses.find((s) => s.available)?.name ?? 'cpu';
  out.write(`node ${process.version}, ${process.platform}-${process.arch}\n`);
  out.write('backends (in the order --backend auto prefers them):\n');
  for (const s of statuses) {
    out.write(`  ${s.available ? 'yes' : 'no '}  ${s.name.padEnd(16)} ${s.note}${s.name === auto ? '  <- auto' : ''}\n`);
  }
}
