// The benchmark page: picks the backend named in the URL (?backend=wasm|webgl|webgpu|cpu) with kindling's
// selectBackend, and exposes the timed MLP loop as window.bench.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { deviceChoice, selectBackend } from '../../src/index.js';
import { mlpSteps } from './mlp-steps.js';

setWasmPaths('./');
const backend = new URLSearchParams(location.search).get('backend') ?? 'wasm';
const w = window as unknown as { bench: { steps?: (n: number) => Promise<number>; reason?: string; error?: string } };
w.bench = {};
selectBackend(backend).then((name) => {
  w.bench.reason = deviceChoice()?.reason ?? name;
  w.bench.steps = mlpSteps(name);
}).catch((e: unknown) => {
  w.bench.error = String(e);
});
