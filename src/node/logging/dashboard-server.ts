/**
 * @module The live training dashboard server (Node only): serves a page that charts every run of a log directory
 * and streams new points with server-sent events while training runs.
 *
 * Runs are JSON Lines files written by `JsonlLogger` / `DashboardLogger`: `<logDir>/metrics.jsonl` and
 * `<logDir>/<run>/metrics.jsonl`. The server tails them (polling file sizes), so a finished run, a live run in
 * this process and a live run in another process are all shown the same way. It listens on 127.0.0.1 only.
 *
 * Hardening: no request can crash the server (malformed requests get 400, other methods 405, huge headers 431,
 * huge URLs 414); only `Host` values naming 127.0.0.1 or localhost are served (a DNS-rebinding page cannot read
 * the metrics) unless `allowedHosts` says otherwise; a server or client error is reported through `onWarning` and
 * never thrown into the training process.
 */

import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo, Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { dashboardPage } from './dashboard-page.js';
import { RunReader, type RunUpdate } from './dashboard-runs.js';

/** Options of {@link startDashboard}. */
export interface DashboardOptions {
  /** Directory holding the runs. */
  logDir: string;
  /** Port to listen on; `0` picks a free port. @defaultValue 0 */
  port?: number;
  /** How often log files are checked for new lines, in ms. @defaultValue 250 */
  pollMs?: number;
  /**
   * Host names accepted in the `Host` header besides `127.0.0.1` and `localhost` (e.g. the name of an SSH tunnel's
   * end); `'*'` accepts any. @defaultValue none
   */
  allowedHosts?: readonly string[];
  /** Receives warnings: skipped runs and records, server errors. @defaultValue ignore them */
  onWarning?: (message: string) => void;
}

/** A running dashboard. */
export interface Dashboard {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  readonly port: number;
  /** Malformed records skipped so far. */
  readonly skippedRecords: number;
  /** Stops the server and closes the event streams. */
  close(): Promise<void>;
}

/** The longest request target served (longer ones get 414). */
const MAX_URL_LENGTH = 2048;

function uplotDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('uplot'));
}

function reply(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', ...headers });
  res.end(`${text}\n`);
}

function sendFile(res: ServerResponse, path: string, type: string): void {
  res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
  const stream = createReadStream(path);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

/** `[hostname, port]` of a Host header (`name`, `name:port`, `[v6]:port`), lower case; null when malformed. */
function parseHost(host: string): [string, number | null] | null {
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(host.trim());
  if (m === null) return null;
  return [(m[1] as string).toLowerCase(), m[2] === undefined ? null : Number(m[2])];
}

function hostChecker(allowed: readonly string[]): (host: string | undefined) => boolean {
  const names = new Set(['127.0.0.1', 'localhost', ...allowed.map((h) => h.toLowerCase())]);
  const any = names.has('*');
  return (host) => {
    const parsed = host === undefined ? null : parseHost(host);
    return parsed !== null && (any || names.has(parsed[0]));
  };
}

interface RouterContext {
  history: readonly RunUpdate[];
  clients: Set<ServerResponse>;
  assets: string;
  hostAllowed: (host: string | undefined) => boolean;
}

function serveEvents(ctx: RouterContext, req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  for (const msg of ctx.history) res.write(`data: ${JSON.stringify(msg)}\n\n`);
  ctx.clients.add(res);
  const drop = (): void => void ctx.clients.delete(res);
  req.on('close', drop);
  res.on('error', drop);
}

function route(ctx: RouterContext, req: IncomingMessage, res: ServerResponse): void {
  const target = req.url ?? '/';
  if (target.length > MAX_URL_LENGTH) return reply(res, 414, 'URI too long');
  if (!ctx.hostAllowed(req.headers.host)) {
    return reply(res, 403, 'forbidden: the Host header must name 127.0.0.1 or localhost (see the allowedHosts option)');
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'method not allowed: use GET', { allow: 'GET, HEAD' });
  let path: string;
  try {
    path = new URL(target, 'http://127.0.0.1').pathname;
  } catch {
    return reply(res, 400, 'bad request: malformed URL');
  }
  if (path === '/') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'x-content-type-options': 'nosniff' });
    res.end(dashboardPage());
  } else if (path === '/uplot.js') sendFile(res, join(ctx.assets, 'uPlot.iife.min.js'), 'text/javascript');
  else if (path === '/uplot.css') sendFile(res, join(ctx.assets, 'uPlot.min.css'), 'text/css');
  else if (path === '/events') serveEvents(ctx, req, res);
  else reply(res, 404, 'not found');
}

function makeHandler(ctx: RouterContext, warn: (message: string) => void): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    req.on('error', () => res.destroy());
    res.on('error', () => res.destroy());
    try {
      route(ctx, req, res);
    } catch (e) {
      warn(`dashboard: request ${String(req.method)} ${String(req.url).slice(0, 200)} failed: ${e instanceof Error ? e.message : String(e)}`);
      if (!res.headersSent) reply(res, 500, 'internal error');
      else res.destroy();
    }
  };
}

/** Answers requests Node cannot parse: 431 for huge headers, 400 for the rest, then closes the connection. */
function onClientError(err: Error & { code?: string }, socket: Socket): void {
  if (socket.writable && err.code !== 'ECONNRESET') {
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : err.code === 'HPE_URI_TOO_LONG' ? '414 URI Too Long' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  }
  socket.destroy();
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Starts the dashboard for a log directory.
 *
 * @param options - log directory, port, poll interval, accepted hosts, warning callback.
 * @returns the running dashboard (its `url` has the chosen port).
 * @throws Error when the port cannot be listened on (in use, or not permitted).
 * @example
 * ```ts
 * const dash = await startDashboard({ logDir: 'runs', port: 0, onWarning: (m) => console.warn(m) });
 * console.log(`dashboard: ${dash.url}`);
 * // ... later
 * await dash.close();
 * ```
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const warn = (message: string): void => {
    try {
      options.onWarning?.(message);
    } catch {
      // A failing warning sink must not take the dashboard (or the training run) down.
    }
  };
  const reader = new RunReader(options.logDir, warn);
  const history: RunUpdate[] = [];
  const clients = new Set<ServerResponse>();
  let polling: Promise<void> | null = null;
  const poll = (): Promise<void> =>
    (polling ??= (async () => {
      try {
        for (const update of await reader.poll()) {
          history.push(update);
          const line = `data: ${JSON.stringify(update)}\n\n`;
          for (const c of clients) c.write(line);
        }
      } catch (e) {
        warn(`dashboard: reading ${options.logDir} failed: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        polling = null;
      }
    })());
  const ctx: RouterContext = { history, clients, assets: uplotDir(), hostAllowed: hostChecker(options.allowedHosts ?? []) };
  await poll();
  const server: Server = createServer({ maxHeaderSize: 16 * 1024 }, makeHandler(ctx, warn));
  server.on('clientError', onClientError);
  await listen(server, options.port ?? 0);
  server.on('error', (e) => warn(`dashboard: server error: ${e.message}`));
  const timer = setInterval(() => void poll(), options.pollMs ?? 250);
  timer.unref();
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    get skippedRecords() {
      return reader.skipped;
    },
    close: async () => {
      clearInterval(timer);
      await poll();
      for (const c of clients) c.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
