/**
 * @module The `kindling` entry under Node (the package's "node" export condition): everything `kindling` exports,
 * plus the registration of kindling's native OpenBLAS backend ('kindling-native') when its addon was built, so that
 * `device: 'auto'` picks it first. Registering does not change the active backend, and loads nothing when the addon
 * is missing (`nativeBackendStatus()` in `kindling/node` says why); and the hook that makes `activateBackend('wasm')`
 * (trainers with `device: 'wasm'`) start TF.js's wasm backend with threads (`wasmThreadsStatus()` in `kindling/node`).
 * Browsers get `index.js`, which never touches either.
 */
import { registerNativeBackend } from './backends/native/index.js';
import { prepareWasmThreads } from './backends/wasm-threads.js';
import { setWasmInitHook } from './training/device.js';

export * from './index.js';

registerNativeBackend();
// The wasm backend, when kindling activates it (device: 'wasm', the CLI), starts with threads: see wasm-threads.ts.
setWasmInitHook(() => prepareWasmThreads());
