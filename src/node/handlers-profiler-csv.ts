/**
 * @module Node-only writer of `HandlersTimeProfiler` results: port of `HandlersTimeProfiler.write_results` in
 * ignite/handlers/time_profilers.py. Deviation: no pandas; the CSV is written atomically.
 */

import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { HandlersTimeProfiler } from '../handlers/handlers-time-profiler.js';
import { writeFileAtomic } from './atomic-write.js';

/**
 * Writes the profiler's unaggregated times to a CSV file (`#`, `processing_stats`, `dataflow_stats`, one column
 * per handler and event), creating the directory if needed.
 *
 * @param profiler - a profiler that ran.
 * @param outputPath - file path including the file name.
 * @returns a promise resolved when the file is written.
 */
export async function writeHandlersProfilerCsv(profiler: HandlersTimeProfiler, outputPath: string): Promise<void> {
  await mkdir(dirname(outputPath), { recursive: true });
  await writeFileAtomic(outputPath, new TextEncoder().encode(profiler.toCsv()));
}
