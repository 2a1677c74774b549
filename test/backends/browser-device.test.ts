// The browser probes of `device: 'auto'` (src/backends/browser-device.ts) with stand-ins for the browser's objects,
// and the choice selectBackend records (deviceChoice). Real browsers: test/examples/browser.e2e.test.ts.
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import '@tensorflow/tfjs-backend-cpu';
import { BROWSER_AUTO_ORDER, deviceChoice, probeBrowserBackend, selectBackend } from '../../src/index.js';
import { inBrowser, prepareBrowserWasmThreads } from '../../src/backends/browser-device.js';

const g = globalThis as Record<string, unknown>;
const saved = { navigator: Object.getOwnPropertyDescriptor(g, 'navigator'), crossOriginIsolated: Object.getOwnPropertyDescriptor(g, 'crossOriginIsolated') };

function setGlobal(name: 'navigator' | 'crossOriginIsolated', value: unknown): void {
  Object.defineProperty(g, name, { configurable: true, writable: true, value });
}

afterEach(() => {
  for (const name of ['navigator', 'crossOriginIsolated'] as const) {
    const d = saved[name];
    if (d === undefined) Reflect.deleteProperty(g, name);
    else Object.defineProperty(g, name, d);
  }
});

describe('browser backend probes', () => {
  it('orders webgpu, webgl, wasm, cpu', () => {
    assert.deepEqual([...BROWSER_AUTO_ORDER], ['webgpu', 'webgl', 'wasm', 'cpu']);
  });

  it('knows it runs under Node', () => {
    assert.equal(inBrowser(), false);
  });

  it('passes over webgpu without navigator.gpu, without an adapter, and with a software fallback adapter', async () => {
    setGlobal('navigator', {});
    assert.deepEqual(await probeBrowserBackend('webgpu'), { usable: false, reason: 'navigator.gpu is undefined (no WebGPU in this browser, or not a secure context)' });
    setGlobal('navigator', { gpu: { requestAdapter: () => Promise.resolve(null) } });
    assert.deepEqual(await probeBrowserBackend('webgpu'), { usable: false, reason: 'navigator.gpu.requestAdapter() gave no adapter' });
    setGlobal('navigator', { gpu: { requestAdapter: () => Promise.resolve({ info: { vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true } }) } });
    assert.deepEqual(await probeBrowserBackend('webgpu'), { usable: false, reason: 'the WebGPU adapter (google swiftshader) is a software fallback' });
  });

  it('uses webgpu with a hardware adapter', async () => {
    setGlobal('navigator', { gpu: { requestAdapter: () => Promise.resolve({ info: { vendor: 'nvidia', architecture: 'ampere' } }) } });
    assert.deepEqual(await probeBrowserBackend('webgpu'), { usable: true, reason: 'WebGPU adapter nvidia ampere' });
  });

  it('passes over webgl without a context (no canvas here)', async () => {
    assert.deepEqual(await probeBrowserBackend('webgl'), { usable: false, reason: 'no WebGL context (no GPU, or WebGL disabled)' });
  });

  it('reports cpu as usable, the slowest', async () => {
    assert.deepEqual(await probeBrowserBackend('cpu'), { usable: true, reason: 'plain JavaScript (the slowest backend)' });
  });

  it('doubles navigator.hardwareConcurrency for the wasm start only when cross-origin isolated, and puts it back', () => {
    const nav = Object.create({ get hardwareConcurrency() { return 2; } }) as { hardwareConcurrency: number };
    setGlobal('navigator', nav);
    setGlobal('crossOriginIsolated', false);
    assert.equal(prepareBrowserWasmThreads(), null);
    setGlobal('crossOriginIsolated', true);
    const undo = prepareBrowserWasmThreads();
    assert.equal(nav.hardwareConcurrency, 4);
    undo?.();
    assert.equal(nav.hardwareConcurrency, 2);
  });
});

describe('deviceChoice', () => {
  it('records the backend selectBackend started and why', async () => {
    assert.equal(await selectBackend('cpu'), 'cpu');
    assert.deepEqual(deviceChoice(), { backend: 'cpu', reason: "device 'cpu' was asked for", skipped: [] });
  });
});
