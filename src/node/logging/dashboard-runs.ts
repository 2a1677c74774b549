/**
 * @module The dashboard's reader of run logs (Node only): finds `<logDir>/metrics.jsonl` and
 * `<logDir>/<run>/metrics.jsonl`, tails them by size, and keeps only well-formed scalar records.
 *
 * Each run is read on its own: a run that vanishes, is unreadable, or whose `metrics.jsonl` is a directory is
 * skipped (with one warning) and never stops the others. Paths that resolve outside the log directory (symlinks)
 * are never read. Run names and tags are data: they are kept in `Map`s and never used as object keys.
 */

import { createReadStream, promises as fsp } from 'node:fs';
import { join, sep } from 'node:path';

/** A scalar point as the dashboard page receives it. */
export interface DashboardRecord {
  kind: 'scalar';
  tag: string;
  step: number;
  value: number;
}

/** New records of one run. */
export interface RunUpdate {
  run: string;
  records: DashboardRecord[];
}

interface RunFile {
  run: string;
  /** The path inside the log directory (for messages). */
  path: string;
  offset: number;
  partial: string;
}

const MAX_TAG_LENGTH = 1024;

/**
 * Keeps a parsed JSON value when it is a scalar record the page can draw.
 *
 * @param r - a parsed line.
 * @returns the record reduced to its drawn fields, or `null` for anything else.
 */
export function toDashboardRecord(r: unknown): DashboardRecord | null {
  if (r === null || typeof r !== 'object' || Array.isArray(r)) return null;
  const { kind, tag, step, value } = r as Record<string, unknown>;
  if (kind !== 'scalar' || typeof tag !== 'string' || tag.length === 0 || tag.length > MAX_TAG_LENGTH) return null;
  if (typeof step !== 'number' || !Number.isFinite(step) || typeof value !== 'number') return null;
  return { kind: 'scalar', tag, step, value };
}

/** Tails the runs of one log directory. */
export class RunReader {
  /** Bad lines skipped so far (malformed JSON, records without a tag, wrong types). */
  skipped = 0;
  readonly #logDir: string;
  readonly #warn: (message: string) => void;
  readonly #files = new Map<string, RunFile>();
  readonly #warned = new Set<string>();

  /**
   * @param logDir - the directory of runs.
   * @param warn - receives one message per problem (bad records are counted, not reported line by line).
   */
  constructor(logDir: string, warn: (message: string) => void) {
    this.#logDir = logDir;
    this.#warn = warn;
  }

  /**
   * Discovers new runs and reads what was appended since the last call.
   *
   * @returns one update per run with new records.
   */
  async poll(): Promise<RunUpdate[]> {
    const root = await fsp.realpath(this.#logDir).catch(() => null);
    if (root === null) return [];
    await this.#discover();
    const updates: RunUpdate[] = [];
    for (const [key, file] of [...this.#files]) {
      try {
        const records = await this.#readNew(root, file);
        if (records.length > 0) updates.push({ run: file.run, records });
      } catch (e) {
        // Vanished, unreadable, a directory, or outside the log directory: forget it (re-found if it comes back).
        this.#files.delete(key);
        this.#warnOnce(key, `dashboard: skipping ${file.path}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return updates;
  }

  #warnOnce(key: string, message: string): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.#warn(message);
  }

  async #discover(): Promise<void> {
    const candidates: [string, string][] = [['run', join(this.#logDir, 'metrics.jsonl')]];
    const entries = await fsp.readdir(this.#logDir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (entry.isDirectory() || entry.isSymbolicLink()) candidates.push([entry.name, join(this.#logDir, entry.name, 'metrics.jsonl')]);
    }
    for (const [run, path] of candidates) {
      if (this.#files.has(path)) continue;
      const exists = await fsp.lstat(path).then(() => true, () => false);
      if (exists) this.#files.set(path, { run, path, offset: 0, partial: '' });
    }
  }

  async #readNew(root: string, file: RunFile): Promise<DashboardRecord[]> {
    const real = await fsp.realpath(file.path);
    if (!real.startsWith(root + sep)) throw new Error(`it resolves to ${real}, outside the log directory ${root}`);
    const stat = await fsp.stat(real);
    if (!stat.isFile()) throw new Error('it is not a regular file');
    if (stat.size < file.offset) {
      file.offset = 0; // truncated or replaced: read it again from the start
      file.partial = '';
    }
    if (stat.size === file.offset) return [];
    const text = await readRange(real, file.offset, stat.size);
    file.offset = stat.size;
    const lines = (file.partial + text).split('\n');
    file.partial = lines.pop() ?? '';
    return this.#parse(lines, file);
  }

  #parse(lines: readonly string[], file: RunFile): DashboardRecord[] {
    const records: DashboardRecord[] = [];
    let bad = 0;
    for (const line of lines) {
      if (line.trim() === '') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        bad++;
        continue;
      }
      const r = toDashboardRecord(parsed);
      if (r !== null) records.push(r);
      else if (!isOtherRecordKind(parsed)) bad++;
    }
    if (bad > 0) {
      this.skipped += bad;
      this.#warn(`dashboard: skipped ${bad} malformed record(s) in ${file.path} (${this.skipped} in total)`);
    }
    return records;
  }
}

/** Histogram and text records are valid log lines the dashboard does not draw. */
function isOtherRecordKind(r: unknown): boolean {
  if (r === null || typeof r !== 'object') return false;
  const { kind, tag } = r as Record<string, unknown>;
  return (kind === 'histogram' || kind === 'text') && typeof tag === 'string';
}

function readRange(path: string, start: number, end: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    createReadStream(path, { start, end: end - 1 })
      .on('data', (c) => chunks.push(c as Buffer))
      .on('error', reject)
      .on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}
