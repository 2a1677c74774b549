/** @module `kindling info`: which TensorFlow.js backends can run here, and which one `auto` picks. */

import { nativeKernelLibraries } from '@kindling/kernels/node';
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
    for (const line of s.details ?? []) out.write(`       ${line}\n`);
  }
  const kernels = statuses.some((s) => s.name === 'kindling-native' && s.available) ? nativeKernelLibraries() : null;
  if (kernels !== null) {
    out.write('kindling-native kernel families (library, instruction set):\n');
    for (const [family, lib] of Object.entries(kernels)) out.write(`  ${family.padEnd(12)} ${lib}\n`);
  }
}
