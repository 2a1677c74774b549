// vite's settings for the browser example. No minification: TensorFlow.js's threaded wasm build starts its workers
// from the source text of a function of the bundle (`wasmFactoryThreadedSimd.toString()`), which must not refer to
// names a minifier renamed outside it (the threads fail with "ReferenceError: e is not defined").
import { defineConfig } from 'vite';

export default defineConfig({
  build: { minify: false, chunkSizeWarningLimit: 5000 },
  worker: { format: 'es' },
});
