/**
 * @module The `kindling` entry under Node (the package's "node" export condition): everything `kindling` exports,
 * plus the registration of kindling's native OpenBLAS backend ('kindling-native') when its addon was built, so that
 * `device: 'auto'` picks it first. Registering does not change the active backend, and loads nothing when the addon
 * is missing (`nativeBackendStatus()` in `kindling/node` says why). Browsers get `index.js`, which never touches it.
 */
import { registerNativeBackend } from './backends/native/index.js';

export * from './index.js';

registerNativeBackend();
