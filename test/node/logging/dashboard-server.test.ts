// The dashboard server under hostile input (127.0.0.1 only): malformed and fuzzed requests never crash it, other
// methods get 405, foreign Host headers 403, huge requests 431/414; bad runs and records never stop the others.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDashboard, type Dashboard } from '../../../src/node/logging/dashboard-server.js';

/** Sends raw bytes (then half-closes) and resolves with the reply's head, or what came before the server closed. */
function raw(port: number, bytes: string | Buffer, ms = 2000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(text);
    };
    const timer = setTimeout(done, ms);
    socket.on('data', (d) => {
      text += d.toString('latin1');
      if (text.includes('\r\n\r\n')) done();
    });
    socket.on('error', done);
    socket.on('close', done);
    socket.end(bytes);
  });
}

const status = (reply: string): number => Number(/^HTTP\/1\.[01] (\d{3})/.exec(reply)?.[1] ?? 0);

/** GET over node:http with a proper Host; resolves status and body. */
function fetchPage(port: number, path = '/', host = `127.0.0.1:${port}`): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path, headers: { host }, timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

/** Reads the first `n` server-sent messages of /events. */
function events(port: number, n: number): Promise<{ run: string; records: { tag: string; value: number }[] }[]> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path: '/events', headers: { host: 'localhost' } }, (res) => {
      let buf = '';
      res.on('data', (d: Buffer) => {
        buf += d.toString();
        const msgs = buf.split('\n\n').filter((m) => m.startsWith('data: '));
        if (msgs.length >= n) {
          req.destroy();
          resolve(msgs.slice(0, n).map((m) => JSON.parse(m.slice(6)) as { run: string; records: { tag: string; value: number }[] }));
        }
      });
    });
    req.on('error', (e) => (/socket hang up|aborted/.test(e.message) ? undefined : reject(e)));
  });
}

/** A small seeded generator (mulberry32), so a failing fuzz case can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const line = (r: unknown): string => JSON.stringify(r) + '\n';
const scalar = (tag: string, step: number, value: number): string => line({ kind: 'scalar', tag, step, value, wallTime: 0 });

describe('dashboard server hardening', () => {
  let logDir = '';
  let dash: Dashboard;
  const warnings: string[] = [];

  before(async () => {
    logDir = mkdtempSync(join(tmpdir(), 'kindling-dash-hard-'));
    mkdirSync(join(logDir, 'a'));
    writeFileSync(join(logDir, 'a', 'metrics.jsonl'), scalar('training/loss', 1, 0.5));
    dash = await startDashboard({ logDir, port: 0, pollMs: 20, onWarning: (m) => warnings.push(m) });
  });
  after(async () => {
    await dash.close();
  });

  it('answers malformed requests with 4xx and keeps serving (the Invalid URL crash)', async () => {
    const cases: [string, number][] = [
      ['GET http://[ HTTP/1.1\r\nHost: x\r\n\r\n', 403],
      [`GET http://[ HTTP/1.1\r\nHost: 127.0.0.1:${dash.port}\r\n\r\n`, 400],
      ['GET //[:: HTTP/1.1\r\nHost: localhost\r\n\r\n', 400],
      ['POST / HTTP/1.1\r\nHost: localhost\r\ncontent-length: 0\r\n\r\n', 405],
      ['DELETE /events HTTP/1.1\r\nHost: localhost\r\n\r\n', 405],
      ['GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n', 403],
      ['GET / HTTP/1.1\r\nHost: localhost.evil.example:80\r\n\r\n', 403],
      ['GET / HTTP/1.0\r\n\r\n', 403],
      [`GET /${'a'.repeat(3000)} HTTP/1.1\r\nHost: localhost\r\n\r\n`, 414],
      [`GET / HTTP/1.1\r\nHost: localhost\r\nx-big: ${'b'.repeat(20_000)}\r\n\r\n`, 431],
      ['\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n', 400],
      ['GET / HTTP/9.9\r\nHost: localhost\r\n\r\n', 400],
      ['GET /nothing-here HTTP/1.1\r\nHost: localhost\r\n\r\n', 404],
    ];
    for (const [request, expected] of cases) {
      const reply = await raw(dash.port, Buffer.from(request, 'latin1'));
      assert.equal(status(reply), expected, JSON.stringify(request.slice(0, 60)));
      assert.equal((await fetchPage(dash.port)).status, 200, `alive after ${JSON.stringify(request.slice(0, 60))}`);
    }
  });

  it('fuzz: 300 random and mutated requests, the server answers a good request after each', async () => {
    const rand = prng(20);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    const methods = ['GET', 'HEAD', 'POST', 'PUT', 'OPTIONS', 'TRACE', 'CONNECT', 'G\x00ET', '', 'get', 'BREW'];
    const paths = ['/', '/events', '/uplot.js', '/uplot.css', '/../../etc/passwd', '/%', '/%00', 'http://[', '*', '//x', '/?a=%zz', '/\u00ff'];
    const hosts = ['localhost', '127.0.0.1', `127.0.0.1:${dash.port}`, 'evil.example', '[::1]', '', 'localhost:99999', '\u0000'];
    for (let i = 0; i < 300; i++) {
      let request = `${pick(methods)} ${pick(paths)}${rand() < 0.2 ? String.fromCharCode(Math.floor(rand() * 256)) : ''} HTTP/1.${rand() < 0.9 ? 1 : 0}\r\n`;
      if (rand() < 0.9) request += `Host: ${pick(hosts)}\r\n`;
      if (rand() < 0.3) request += `Content-Length: ${Math.floor(rand() * 100) - 10}\r\n`;
      if (rand() < 0.2) request += `Transfer-Encoding: ${pick(['chunked', 'gzip', 'x'])}\r\n`;
      request += '\r\n';
      const bytes = Buffer.from(request, 'latin1');
      const cut = rand() < 0.3 ? bytes.subarray(0, Math.floor(rand() * bytes.length)) : bytes;
      if (rand() < 0.2) for (let k = 0; k < 3; k++) cut[Math.floor(rand() * cut.length)] = Math.floor(rand() * 256);
      const reply = await raw(dash.port, cut);
      const code = status(reply);
      assert.ok(code === 0 || (code >= 200 && code < 500), `case ${i}: status ${code} for ${JSON.stringify(cut.toString('latin1'))}`);
      assert.equal((await fetchPage(dash.port)).status, 200, `alive after case ${i}: ${JSON.stringify(cut.toString('latin1'))}`);
    }
  });

  it('one vanished, unreadable or hostile run never stops the others', async () => {
    mkdirSync(join(logDir, 'b'));
    writeFileSync(join(logDir, 'b', 'metrics.jsonl'), scalar('training/loss', 1, 0.9));
    mkdirSync(join(logDir, 'dir-not-file', 'metrics.jsonl'), { recursive: true });
    const outside = mkdtempSync(join(tmpdir(), 'kindling-outside-'));
    writeFileSync(join(outside, 'metrics.jsonl'), scalar('secret/value', 1, 42));
    symlinkSync(outside, join(logDir, 'escape'));
    await new Promise((r) => setTimeout(r, 100));
    rmSync(join(logDir, 'a'), { recursive: true }); // a run deleted while served
    appendFileSync(join(logDir, 'b', 'metrics.jsonl'), scalar('__proto__', 2, 1) + line({ kind: 'scalar', step: 3, value: 1 }) + 'not json\n' + scalar('training/loss', 3, 0.7));
    await new Promise((r) => setTimeout(r, 150));
    const msgs = await events(dash.port, 3);
    const b = msgs.filter((m) => m.run === 'b').flatMap((m) => m.records);
    assert.deepEqual(b.map((r) => r.tag), ['training/loss', '__proto__', 'training/loss'], 'later records of b still arrive, __proto__ as data');
    assert.ok(msgs.every((m) => m.run !== 'escape' && m.run !== 'dir-not-file'), 'nothing read through the symlink or from the directory');
    assert.equal(dash.skippedRecords, 2, 'the record without a tag and the malformed line are counted');
    assert.ok(warnings.some((w) => /skipped 2 malformed record/.test(w)), warnings.join('\n'));
    assert.ok(warnings.some((w) => /escape.*outside the log directory/.test(w)), warnings.join('\n'));
    assert.ok(warnings.some((w) => /dir-not-file.*not a regular file/.test(w)), warnings.join('\n'));
    assert.equal(({} as Record<string, unknown>)['value'], undefined, 'Object.prototype untouched');
    mkdirSync(join(logDir, 'c'));
    writeFileSync(join(logDir, 'c', 'metrics.jsonl'), scalar('training/loss', 1, 0.3));
    await new Promise((r) => setTimeout(r, 150));
    const later = await events(dash.port, 4);
    assert.ok(later.some((m) => m.run === 'c'), 'a run created after the failures is still picked up');
    assert.equal((await fetchPage(dash.port, '/uplot.js')).status, 200);
  });
});
