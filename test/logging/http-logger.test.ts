// A tracker as a short HttpLogger subclass, against a local HTTP server started by the test as the tracker's
// stand-in: failed requests are retried, a slow or dead server never slows or stops training.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Engine, silentLogger } from '../../src/engine/index.js';
import { HttpLogger } from '../../src/logging/http-logger.js';
import type { LogRecord } from '../../src/logging/records.js';

/** The recipe of docs/logging.md: a tracker maps kindling's records to its REST API. */
class MyTracker extends HttpLogger {
  constructor(server: string, readonly runId: string, options: ConstructorParameters<typeof HttpLogger>[1] = {}) {
    super(`${server}/api/runs/${runId}/log-batch`, options);
  }

  protected override encode(records: readonly LogRecord[]): unknown {
    return { metrics: records.filter((r) => r.kind === 'scalar').map((r) => ({ key: r.tag, value: r.value, step: r.step })) };
  }
}

interface Stub {
  url: string;
  bodies: { path: string; body: { metrics: { key: string; value: number; step: number }[] } }[];
  close(): Promise<void>;
}

async function startStub(reply: (n: number) => { status: number; delayMs?: number }): Promise<Stub> {
  const bodies: Stub['bodies'] = [];
  let n = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const { status, delayMs = 0 } = reply(n++);
      setTimeout(() => {
        if (status === 200) bodies.push({ path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Stub['bodies'][number]['body'] });
        res.writeHead(status).end();
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, bodies, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function trainer(): Engine<number, number> {
  return new Engine((_e, b: number) => 1 / (b + 1), { logger: silentLogger });
}

describe('HttpLogger (tracker recipe)', () => {
  it('retries 503s with backoff and delivers every record in order, without slowing training', async () => {
    const stub = await startStub((n) => ({ status: n < 2 ? 503 : 200, delayMs: 20 }));
    const tracker = new MyTracker(stub.url, 'run-1', { backoffMs: 5 });
    const engine = trainer();
    tracker.attachOutputHandler(engine, { tag: 'training', outputTransform: (loss) => ({ loss }) });
    const t0 = performance.now();
    await engine.run(Array.from({ length: 20 }, (_, i) => i));
    const runMs = performance.now() - t0;
    assert.ok(stub.bodies.length < 20, `training finished before the server got everything (${stub.bodies.length}, ${runMs} ms)`);
    await tracker.close();
    assert.equal(tracker.retried, 2);
    assert.equal(stub.bodies.length, 20);
    assert.equal(stub.bodies[0]?.path, '/api/runs/run-1/log-batch');
    assert.deepEqual(stub.bodies.map((b) => b.body.metrics[0]?.step), Array.from({ length: 20 }, (_, i) => i + 1));
    assert.deepEqual(stub.bodies[3]?.body.metrics, [{ key: 'training/loss', value: 1 / 4, step: 4 }]);
    await stub.close();
  });

  it('a dead server: training completes, the error is reported once after the retries, later records are dropped', async () => {
    const stub = await startStub(() => ({ status: 200 }));
    await stub.close(); // nothing listens on this port any more
    const errors: unknown[] = [];
    const tracker = new MyTracker(stub.url, 'run-2', { retries: 2, backoffMs: 1, onError: (e) => errors.push(e) });
    const engine = trainer();
    tracker.attachOutputHandler(engine, { tag: 'training', outputTransform: (loss) => ({ loss }) });
    const state = await engine.run(Array.from({ length: 10 }, (_, i) => i));
    assert.equal(state.iteration, 10);
    await tracker.close();
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /failed: .*\(after 3 attempts\)/);
    assert.equal(tracker.retried, 2);
    assert.equal(tracker.droppedRecords, 9);
  });

  it('does not retry a client error (400)', async () => {
    const stub = await startStub(() => ({ status: 400 }));
    const errors: unknown[] = [];
    const tracker = new MyTracker(stub.url, 'run-3', { backoffMs: 1, onError: (e) => errors.push(e) });
    tracker.logScalar('x', 1, 1);
    await tracker.close();
    assert.equal(tracker.retried, 0);
    assert.match(String(errors[0]), /answered 400/);
    assert.throws(() => new HttpLogger(stub.url, { retries: -1 }), RangeError);
    await stub.close();
  });
});
