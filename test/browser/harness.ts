// What the browser tests share: the example built once with vite, a static server (optionally cross-origin
// isolated: COOP/COEP headers, which browsers require for SharedArrayBuffer and so for wasm threads), and Debian's
// Chromium through playwright-core. In CI nothing is skipped: a missing browser or bundler fails the test.
import { createReadStream, existsSync, mkdtempSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
// vite is a devDependency; imported lazily so that a checkout without it skips (locally) instead of failing to load.
const vite = await import('vite').catch(() => null);
const missing = !existsSync(CHROMIUM) ? 'Debian chromium not installed (apt-get install chromium)' : vite === null ? 'vite not installed (npm install)' : null;
/** The `skip` option of the browser suites: a reason locally when something is missing, never in CI. */
export const skip: string | false = missing !== null && process.env['CI'] === undefined ? missing : false;

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.json': 'application/json', '.css': 'text/css', '.wasm': 'application/wasm' };

/**
 * Builds examples/browser with vite into a temporary directory.
 *
 * @returns the directory.
 */
export async function buildExample(): Promise<string> {
  if (vite === null) throw new Error('vite not installed: npm install (it is a devDependency)');
  const outDir = mkdtempSync(join(tmpdir(), 'kindling-browser-'));
  await vite.build({ root: join(import.meta.dirname, '..', '..', 'examples', 'browser'), base: './', logLevel: 'error', build: { outDir, emptyOutDir: true, chunkSizeWarningLimit: 5000 } });
  return outDir;
}

/** A running static server. */
export interface StaticServer {
  /** `http://127.0.0.1:<port>`: files under `/`, and the same files cross-origin isolated under `/isolated/`. */
  origin: string;
  close(): Promise<void>;
}

/**
 * Serves `dir` on 127.0.0.1; paths under `/isolated/` get the COOP/COEP headers of a cross-origin isolated page.
 *
 * @param dir - the directory.
 * @returns the server.
 */
export async function serve(dir: string): Promise<StaticServer> {
  const server: Server = createServer((req, res) => {
    let path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const isolated = path.startsWith('/isolated/');
    if (isolated) path = path.slice('/isolated'.length);
    const full = normalize(join(dir, path));
    const file = full.endsWith('/') ? join(full, 'index.html') : full;
    if (!file.startsWith(dir) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    const headers: Record<string, string> = { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' };
    if (isolated) Object.assign(headers, { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' });
    res.writeHead(200, headers);
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/**
 * Starts headless Chromium with a software GPU (SwiftShader) for WebGL, and WebGPU enabled where it finds an adapter.
 *
 * @returns the browser.
 */
export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--use-gl=angle', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--enable-unsafe-webgpu'],
  });
}
