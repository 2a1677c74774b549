/**
 * @module The live training dashboard server (Node only): serves a page that charts every run of a log directory
 * and streams new points with server-sent events while training runs.
 *
 * Runs are JSON Lines files written by `JsonlLogger` / `DashboardLogger`: `<logDir>/metrics.jsonl` and
 * `<logDir>/<run>/metrics.jsonl`. The server tails them (polling file sizes), so a finished run, a live run in
 * this process and a live run in another process are all shown the same way. It listens on 127.0.0.1 only.
 */

import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { dashboardPage } from './dashboard-page.js';

/** Options of {@link startDashboard}. */
export interface DashboardOptions {
  /** Directory holding the runs. */
  logDir: string;
  /** Port to listen on; `0` picks a free port. @defaultValue 0 */
  port?: number;
  /** How often log files are checked for new lines, in ms. @defaultValue 250 */
  pollMs?: number;
}

/** A running dashboard. */
export interface Dashboard {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  readonly port: number;
  /** Stops the server and closes the event streams. */
  close(): Promise<void>;
}

interface RunFile {
  run: string;
  path: string;
  offset: number;
  partial: string;
}

function discoverRuns(logDir: string, known: Map<string, RunFile>): void {
  const candidates: [string, string][] = [['.', join(logDir, 'metrics.jsonl')]];
  if (existsSync(logDir)) {
    for (const name of readdirSync(logDir)) {
      const p = join(logDir, name, 'metrics.jsonl');
      candidates.push([name, p]);
    }
  }
  for (const [run, path] of candidates) {
    if (!known.has(path) && existsSync(path)) known.set(path, { run: run === '.' ? 'run' : run, path, offset: 0, partial: '' });
  }
}

function readNew(file: RunFile): Promise<unknown[]> {
  const size = statSync(file.path).size;
  if (size <= file.offset) return Promise.resolve([]);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    createReadStream(file.path, { start: file.offset, end: size - 1 })
      .on('data', (c) => chunks.push(c as Buffer))
      .on('error', reject)
      .on('end', () => {
        file.offset = size;
        const text = file.partial + Buffer.concat(chunks).toString('utf8');
        const lines = text.split('\n');
        file.partial = lines.pop() ?? '';
        const records: unknown[] = [];
        for (const line of lines) {
          if (line.trim() === '') continue;
          try {
            records.push(JSON.parse(line));
          } catch {
            // A line being written concurrently is completed on the next poll; malformed lines are skipped.
          }
        }
        resolve(records);
      });
  });
}

function uplotDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('uplot'));
}

function sendFile(res: ServerResponse, path: string, type: string): void {
  res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache' });
  createReadStream(path).pipe(res);
}

function makeRouter(
  history: readonly { run: string; records: unknown[] }[],
  clients: Set<ServerResponse>,
  assets: string,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(dashboardPage());
    } else if (url.pathname === '/uplot.js') sendFile(res, join(assets, 'uPlot.iife.min.js'), 'text/javascript');
    else if (url.pathname === '/uplot.css') sendFile(res, join(assets, 'uPlot.min.css'), 'text/css');
    else if (url.pathname === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      for (const msg of history) res.write(`data: ${JSON.stringify(msg)}\n\n`);
      clients.add(res);
      req.on('close', () => clients.delete(res));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  };
}

/**
 * Starts the dashboard for a log directory.
 *
 * @param options - log directory, port, poll interval.
 * @returns the running dashboard (its `url` has the chosen port).
 * @example
 * ```ts
 * const dash = await startDashboard({ logDir: 'runs', port: 0 });
 * console.log(`dashboard: ${dash.url}`);
 * // ... later
 * await dash.close();
 * ```
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const files = new Map<string, RunFile>();
  const history: { run: string; records: unknown[] }[] = [];
  const clients = new Set<ServerResponse>();
  const broadcast = (msg: { run: string; records: unknown[] }): void => {
    const line = `data: ${JSON.stringify(msg)}\n\n`;
    for (const c of clients) c.write(line);
  };
  let polling = false;
  const poll = async (): Promise<void> => {
    if (polling) return;
    polling = true;
    try {
      discoverRuns(options.logDir, files);
      for (const f of files.values()) {
        const records = await readNew(f);
        if (records.length === 0) continue;
        history.push({ run: f.run, records });
        broadcast({ run: f.run, records });
      }
    } catch {
      // A file removed or rotated while reading: the next poll starts over from what exists.
    } finally {
      polling = false;
    }
  };
  const route = makeRouter(history, clients, uplotDir());
  await poll();
  const server: Server = createServer(route);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const timer = setInterval(() => void poll(), options.pollMs ?? 250);
  timer.unref();
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    close: async () => {
      clearInterval(timer);
      await poll();
      for (const c of clients) c.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
