// End-to-end: a short training run streams to the dashboard, a real headless Chromium (Debian's, driven by
// playwright-core) shows the points live, and a screenshot is kept in test-artifacts/ as an artifact.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { Engine, Events } from '../../../src/index.js';
import { DashboardLogger } from '../../../src/node/logging/dashboard-logger.js';
import { JsonlLogger } from '../../../src/node/logging/file-loggers.js';

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
// CI installs Chromium (.ci/run); a developer machine without it skips, CI never does.
const skip = !available && process.env['CI'] === undefined ? 'Debian chromium not installed (apt-get install chromium)' : false;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const launchChromium = (): ReturnType<typeof chromium.launch> =>
  chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });

describe('dashboard (headless Chromium)', { skip }, () => {
  it('shows finished runs and live points of a running training, with a screenshot', async () => {
    assert.ok(available, `${CHROMIUM} is required in CI`);
    const logDir = mkdtempSync(join(tmpdir(), 'kindling-dash-'));
    // A finished run, written before the dashboard starts.
    const old = new JsonlLogger(join(logDir, 'finished'));
    for (let i = 1; i <= 5; i++) old.logScalar('training/loss', 1 / i, i);
    await old.close();

    const dash = await DashboardLogger.start({ logDir, runName: 'live', port: 0 });
    assert.match(dash.url ?? '', /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
      await page.goto(dash.url as string);
      await page.waitForFunction(() => (window as unknown as { kindlingDashboard?: { points: Record<string, Record<string, number>> } })
        .kindlingDashboard?.points['training/loss']?.['finished'] === 5);

      const ITERS = 20;
      const trainer = new Engine(async (_e, x: number) => {
        await sleep(15);
        return 2 / (1 + x);
      });
      trainer.on(Events.EPOCH_COMPLETED, (e) => { e.state['accuracy'] = 0.5 + 0.1 * e.state.epoch; });
      dash.attachOutputHandler(trainer, { tag: 'training', outputTransform: (loss) => ({ loss }) });
      dash.attachOutputHandler(trainer, { event: Events.EPOCH_COMPLETED, tag: 'validation', stateAttributes: ['accuracy'] });
      dash.attachProgressHandler(trainer, { intervalSec: 0.05, batchSize: () => 32 });
      const data = Array.from({ length: ITERS / 2 }, (_, i) => i);
      const run = trainer.run(data, { maxEpochs: 2 });
      // Points arrive while the run is still going (live), then all of them.
      await page.waitForFunction(() => {
        const n = (window as unknown as { kindlingDashboard: { points: Record<string, Record<string, number>> } })
          .kindlingDashboard.points['training/loss']?.['live'] ?? 0;
        return n > 0;
      });
      const midRun = trainer.state.iteration;
      await run;
      await dash.flush();
      await page.waitForFunction((n) => (window as unknown as { kindlingDashboard: { points: Record<string, Record<string, number>> } })
        .kindlingDashboard.points['training/loss']?.['live'] === n, ITERS, { timeout: 10_000 });
      // The last validation point is written after the last loss point and may arrive in a later event, and the
      // charts redraw on the page's own schedule: wait until both charts show every point.
      await page.waitForFunction((n) =>
        document.querySelector('section.chart[data-tag="training/loss"]')?.getAttribute('data-points') === String(n + 5) &&
        document.querySelector('section.chart[data-tag="validation/accuracy"]')?.getAttribute('data-points') === '2', ITERS, { timeout: 10_000 });
      assert.ok(midRun < ITERS, `first points were shown before the run ended (iteration ${midRun})`);
      const charts = await page.$$eval('section.chart', (els) => els.map((el) => [(el as HTMLElement).dataset['tag'], Number((el as HTMLElement).dataset['points'])]));
      const byTag = Object.fromEntries(charts) as Record<string, number>;
      assert.equal(byTag['training/loss'], ITERS + 5, 'both runs drawn in the loss chart');
      assert.equal(byTag['validation/accuracy'], 2);
      assert.ok((byTag['throughput/samples_per_s'] ?? 0) > 0, 'throughput chart present');
      const progressText = await page.textContent('.progress-row[data-run="live"] .txt');
      assert.match(progressText ?? '', /epoch 2\/2, iteration 20/);
      const canvases = await page.$$eval('section.chart canvas', (els) => els.length);
      assert.ok(canvases >= 4);
      mkdirSync('test-artifacts', { recursive: true });
      await page.screenshot({ path: join('test-artifacts', 'dashboard.png'), fullPage: true });
      assert.ok(existsSync(join('test-artifacts', 'dashboard.png')));
    } finally {
      await browser.close();
      await dash.close();
    }
  });

  it('keeps a long run\'s chart bounded: every record is counted, at most 8000 points per series are drawn', async () => {
    assert.ok(available, `${CHROMIUM} is required in CI`);
    const logDir = mkdtempSync(join(tmpdir(), 'kindling-dash-long-'));
    const N = 25_001;
    const long = new JsonlLogger(join(logDir, 'long'));
    for (let i = 1; i <= N; i++) long.logScalar('training/loss', 10 - i / N, i);
    await long.close();
    const dash = await DashboardLogger.start({ logDir, runName: 'idle', port: 0 });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1000, height: 600 } });
      await page.goto(dash.url as string);
      await page.waitForFunction((n) => (window as unknown as { kindlingDashboard?: { points: Record<string, Record<string, number>> } })
        .kindlingDashboard?.points['training/loss']?.['long'] === n, N, { timeout: 60_000 });
      // Compacted from 8000 to 4000 points at records 8000, 12000, ..., 24000; the last 1001 records are added after.
      const expected = 5001;
      await page.waitForFunction((n) => document.querySelector('section.chart[data-tag="training/loss"]')?.getAttribute('data-points') === String(n), expected, { timeout: 10_000 })
        .catch(async () => assert.fail(`points drawn for ${N} records: ${String(await page.getAttribute('section.chart[data-tag="training/loss"]', 'data-points'))}, expected ${expected}`));
    } finally {
      await browser.close();
      await dash.close();
    }
  });
});
