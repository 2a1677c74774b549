/**
 * @module The `kindling` entry under Node (the package's "node" export condition): everything `kindling` exports.
 * Importing it changes nothing in TensorFlow.js; it only tells kindling's device selection what Node offers: asking
 * for a device (`device: 'auto'`, the CLI) installs kindling's kernels and registers the native OpenBLAS backend
 * ('kindling-native') when its addon was built, and the wasm backend, when kindling activates it, starts with
 * threads (`wasmThreadsStatus()` in `kindling/node`); and `initialize('mpi')` loads kindling's MPI addon. Browsers
 * get `index.js`.
 */
import { installNodeKernels, prepareWasmThreads } from '@kindling/kernels/node';
import { setBackendInstaller, setWasmInitHook } from './backends/device.js';
import { installMpi } from './node/mpi.js';

export * from './index.js';

setBackendInstaller(() => {
  installNodeKernels();
});
setWasmInitHook(() => prepareWasmThreads());
// The MPI addon loader for `Parallel({ backend: 'mpi' })` / `idist.initialize('mpi')` (loads nothing until used).
installMpi();
