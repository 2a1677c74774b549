// The browser example, end to end (issue 26): built once with vite, served on 127.0.0.1 (plain, and cross-origin
// isolated under /isolated/), opened in Debian's headless Chromium (playwright-core). The run lives in a Web Worker;
// these tests check the backend `device: 'auto'` picks and why, that wasm with kindling's kernels gives Node's wasm
// losses for the same seed (single- and multi-threaded), that webgl (SwiftShader) and WebGPU (where an adapter
// exists) train, that the page's main thread never blocks for more than 50 ms while training, that Stop leaves a
// checkpoint in IndexedDB that a reload resumes, and that a downloaded checkpoint goes through the Node CLI
// (`evaluate`, `train --resume`) and back into the page.
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Browser, Page } from 'playwright-core';
import '@tensorflow/tfjs-backend-wasm';
import { Events, selectBackend } from '../../src/index.js';
import { CLI_DEFAULTS, buildSession, loadSplits } from '../../examples/browser/session.js';
import type { FromWorker } from '../../examples/browser/protocol.js';
import { buildExample, launch, serve, skip, type StaticServer } from '../browser/harness.js';

const require = createRequire(import.meta.url);
const EPOCH = Math.ceil(7200 / 64); // the CLI's split of the 10,000 digits: 7,200 training digits, batch 64
const N = 25; // iterations compared with Node
/** The longest main-thread task accepted while training: the issue's 50 ms, with a margin for a loaded machine. */
const LONG_TASK_MARGIN_MS = 250;

interface PageState { losses: number[]; log: FromWorker[]; times: number[]; longTasks: { start: number; duration: number }[] }
const state = (page: Page): Promise<PageState> => page.evaluate(() => {
  const w = window as unknown as { kindling: Omit<PageState, 'longTasks'>; longTasks: PageState['longTasks'] };
  return { ...w.kindling, longTasks: w.longTasks };
});
const messages = async <T extends FromWorker['type']>(page: Page, type: T): Promise<Extract<FromWorker, { type: T }>[]> =>
  (await state(page)).log.filter((m): m is Extract<FromWorker, { type: T }> => m.type === type);

/** Opens the example and waits until the run ends (done, stopped or error). */
async function open(browser: Browser, url: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  // The long tasks (> 50 ms) of the page's main thread, recorded by the browser.
  await page.addInitScript(() => {
    const w = window as unknown as { longTasks: { start: number; duration: number }[] };
    w.longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
  await page.goto(url);
  return page;
}

async function ended(page: Page): Promise<string> {
  await page.waitForFunction(() => document.getElementById('result')?.dataset['state'] !== 'loading', undefined, { timeout: 120_000 });
  const result = await page.getAttribute('#result', 'data-state');
  if (result === 'error') assert.fail(`the page failed: ${(await page.textContent('#result')) ?? ''}`);
  return result ?? '';
}

/** The first `n` losses of the same run under Node's wasm backend (kindling's kernels). */
async function nodeLosses(n: number): Promise<number[]> {
  await selectBackend('wasm');
  const data = await loadSplits((d) => Promise.resolve((JSON.parse(readFileSync(require.resolve(`mnist/src/digits/${d}.json`), 'utf8')) as { data: number[] }).data));
  const s = buildSession(data, { ...CLI_DEFAULTS, epochs: 1 }, 'wasm', { save: () => Promise.resolve(), remove: () => Promise.resolve() });
  const losses: number[] = [];
  s.trainer.on(Events.ITERATION_COMPLETED, (e) => {
    losses.push(e.state.output as number);
    if (e.state.iteration >= n) e.terminate();
  });
  await s.trainer.run(s.loader, { maxEpochs: 1 });
  s.dispose();
  return losses;
}

/**
 * The page's main thread is never blocked while the worker trains: the long tasks (> 50 ms, the browser's own
 * threshold) from the first progress message to the end of the run. The page's work per message is well under a
 * millisecond, so on an idle machine there are none; on a loaded CI machine (2 cores shared with other test files)
 * preemption can stretch a small task past 50 ms, hence the margin. Training on the main thread would block it for
 * whole epochs (seconds).
 */
async function assertResponsive(page: Page, t: TestContext): Promise<void> {
  const s = await state(page);
  const first = s.log.findIndex((m) => m.type === 'progress');
  const [from, to] = [s.times[first] as number, s.times.at(-1) as number];
  assert.ok(first >= 0 && to > from, 'the run posted its progress');
  const blocked = s.longTasks.filter((l) => l.start + l.duration >= from && l.start <= to);
  t.diagnostic(`long tasks of the page's main thread while training (${(to - from).toFixed(0)} ms): ${blocked.length === 0 ? 'none' : blocked.map((l) => `${l.duration} ms`).join(', ')}`);
  assert.ok(blocked.every((l) => l.duration < LONG_TASK_MARGIN_MS), `long tasks while training (${from.toFixed(0)}-${to.toFixed(0)} ms): ${JSON.stringify(blocked)}`);
}

function assertClose(actual: number[], expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} losses, Node has ${expected.length}`);
  actual.forEach((a, i) => {
    const e = expected[i] as number;
    assert.ok(Math.abs(a - e) <= 1e-5 * Math.max(1, Math.abs(e)), `${what}: loss ${i + 1} is ${a}, Node's wasm run gives ${e}`);
  });
}

describe('browser example (headless Chromium)', { skip, timeout: 300_000 }, () => {
  let server: StaticServer;
  let browser: Browser;
  let reference: number[];
  const temporary: string[] = [];

  before(async () => {
    const built = await buildExample();
    temporary.push(built);
    server = await serve(built);
    browser = await launch();
    reference = await nodeLosses(N);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
  });

  it("device 'auto' picks wasm with kindling's kernels over software GL, says why, equals Node's wasm run and never blocks the page", async (t) => {
    const page = await open(browser, `${server.origin}/?maxIterations=${N}`);
    assert.equal(await ended(page), 'stopped');
    const choice = (await messages(page, 'choice'))[0];
    assert.equal(choice?.backend, 'wasm', `backend line: ${(await page.textContent('#backend')) ?? ''}`);
    assert.match(choice.reason, /kindling's kernels, SIMD, single-threaded: the page is not cross-origin isolated/);
    // SwiftShader is a GPU emulated on the CPU: 'auto' says it passed over it (or that there was no context at all).
    assert.ok(choice.skipped.some((s) => s.backend === 'webgl'), JSON.stringify(choice.skipped));
    assert.match((await page.textContent('#backend')) ?? '', /^backend wasm: kindling's kernels/);
    const s = await state(page);
    assertClose(s.losses, reference, 'browser wasm');
    await assertResponsive(page, t);
    // The dashboard's records came with the run: training loss every 10 iterations.
    const records = await page.evaluate(() => (window as unknown as { kindling: { records: { tag: string; step: number }[] } }).kindling.records);
    assert.deepEqual(records.filter((r) => r.tag === 'training/loss').map((r) => r.step), [10, 20]);
  });

  it('runs wasm threaded in a cross-origin isolated page (COOP/COEP), with the same losses', async () => {
    const page = await open(browser, `${server.origin}/isolated/?backend=wasm&maxIterations=${N}`);
    assert.equal(await ended(page), 'stopped');
    const choice = (await messages(page, 'choice'))[0];
    assert.equal(choice?.backend, 'wasm');
    assert.match(choice.reason, /^device .wasm. was asked for: kindling.s kernels, SIMD, threaded: the page is cross-origin isolated \((\d+) threads\)/);
    assert.ok(Number(/\((\d+) threads\)/.exec(choice.reason)?.[1]) > 1, choice.reason);
    assertClose((await state(page)).losses, reference, 'browser wasm, threaded');
  });

  it('trains on webgl (SwiftShader software GL) in the worker, with autocast', async () => {
    const page = await open(browser, `${server.origin}/?backend=webgl&maxIterations=8&perDigit=100&amp=1`);
    assert.equal(await ended(page), 'stopped');
    assert.equal((await messages(page, 'choice'))[0]?.backend, 'webgl');
    const { losses } = await state(page);
    assert.equal(losses.length, 8);
    assert.ok(losses.every(Number.isFinite) && (losses.at(-1) as number) < (losses[0] as number), `losses ${losses.join(', ')}`);
  });

  it('trains on WebGPU where the browser gives an adapter, with autocast', async (t) => {
    const page = await open(browser, `${server.origin}/?backend=webgpu&maxIterations=4&perDigit=100&amp=1`);
    const adapter = await page.evaluate(async () => {
      const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
      return gpu === undefined ? 'navigator.gpu is undefined' : (await gpu.requestAdapter()) === null ? 'requestAdapter() gave no adapter' : null;
    });
    if (adapter !== null) {
      t.skip(`no WebGPU adapter in this Chromium: ${adapter}`);
      return;
    }
    assert.equal(await ended(page), 'stopped');
    assert.equal((await messages(page, 'choice'))[0]?.backend, 'webgpu');
    const { losses } = await state(page);
    assert.equal(losses.length, 4);
    assert.ok(losses.every(Number.isFinite) && (losses.at(-1) as number) < (losses[0] as number), `losses ${losses.join(', ')}`);
  });

  it('Stop ends after the current iteration with a checkpoint in IndexedDB; a reload resumes from it', async (t) => {
    const page = await open(browser, `${server.origin}/?epochs=2`);
    await page.waitForFunction(() => Number(document.getElementById('progress')?.dataset['iteration'] ?? 0) >= 5, undefined, { timeout: 120_000 });
    await page.click('#stop');
    assert.equal(await ended(page), 'stopped');
    const stopped = (await messages(page, 'stopped'))[0];
    assert.ok(stopped !== undefined && stopped.iteration >= 5 && stopped.iteration < 2 * EPOCH, JSON.stringify(stopped));
    assert.equal(stopped.checkpoint, `last_checkpoint_${stopped.iteration}.ckpt`);
    // Ended after the iteration during which Stop came: the last progress message is that iteration.
    assert.equal((await messages(page, 'progress')).at(-1)?.iteration, stopped.iteration);
    await page.reload();
    assert.equal(await ended(page), 'done');
    const resumed = (await messages(page, 'resumed'))[0];
    assert.deepEqual(resumed, { type: 'resumed', checkpoint: stopped.checkpoint, epoch: Math.floor(stopped.iteration / EPOCH), iteration: stopped.iteration });
    const done = (await messages(page, 'done'))[0];
    assert.equal(done?.iteration, 2 * EPOCH);
    assert.equal((await messages(page, 'progress'))[0]?.iteration, stopped.iteration + 1);
    assert.ok(done.accuracy > 0.8, `test accuracy after 2 epochs: ${done.accuracy}`);
    await assertResponsive(page, t); // the resumed run: up to 2 epochs, their validations and the test
  });

  it('a downloaded checkpoint is evaluated and resumed by the Node CLI, and the CLI\'s goes back into the page', async () => {
    const run = mkdtempSync(join(tmpdir(), 'kindling-browser-ckpt-'));
    temporary.push(run);
    mkdirSync(join(run, 'checkpoints'));
    const page = await open(browser, `${server.origin}/?epochs=2&maxIterations=30`);
    assert.equal(await ended(page), 'stopped');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    assert.equal(download.suggestedFilename(), 'last_checkpoint_30.ckpt');
    const file = join(run, 'checkpoints', download.suggestedFilename());
    await download.saveAs(file);
    const out: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => { out.push(String(chunk)); done(); } });
    const { evaluateCommand } = await import('../../src/cli/evaluate-command.js');
    const evaluated = await evaluateCommand(file, { backend: 'wasm', batchSize: 256 }, sink);
    assert.ok(evaluated.accuracy > 0.5, `the CLI's test accuracy of the page's model after 30 iterations: ${evaluated.accuracy}`);
    const { trainCommand } = await import('../../src/cli/train-command.js');
    const summary = await trainCommand({ model: 'mlp', epochs: 2, batchSize: 64, optimizer: 'adam', backend: 'wasm', scaler: false, accumulationSteps: 1,
      deterministic: false, seed: 0, patience: 5, augment: false, resume: file }, sink);
    assert.match(out.join(''), /resumed from .* at epoch 0, iteration 30 \(mid-epoch/);
    assert.equal(summary.iterations, 2 * EPOCH);
    assert.equal(summary.runIterations, 2 * EPOCH - 30);
    // The CLI's checkpoint into a fresh page (its own IndexedDB): it resumes where the CLI ended.
    const back = await open(browser, `${server.origin}/?maxIterations=1&perDigit=100`);
    await ended(back);
    await back.setInputFiles('#upload', summary.resumeCheckpoint as string);
    await back.waitForFunction(() => /stored last_checkpoint/.test(document.getElementById('status')?.textContent ?? ''), undefined, { timeout: 30_000 });
    await back.goto(`${server.origin}/?epochs=3&maxIterations=${2 * EPOCH + 5}`);
    assert.equal(await ended(back), 'stopped');
    assert.equal((await messages(back, 'resumed'))[0]?.iteration, 2 * EPOCH);
    assert.equal((await messages(back, 'stopped'))[0]?.iteration, 2 * EPOCH + 5);
    mkdirSync('test-artifacts', { recursive: true });
    await back.screenshot({ path: join('test-artifacts', 'browser-example.png') });
  });
});
