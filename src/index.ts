/**
 * @module kindling: PyTorch-Ignite's event-driven training engine on TensorFlow.js. The root entry (browser-safe)
 * is every subpath entry at once, nothing else: `kindling/engine`, `/amp`, `/metrics`, `/handlers`, `/logging`,
 * `/data`, `/random`, `/deterministic`, `/training`, `/backends`, `/distributed` (also as Ignite's `idist`
 * namespace), `/transforms`, `/utils`, `/errors`. Node-only parts (files, the dashboard, the terminal progress bar, IDX reading, the native
 * backend) are in `kindling/node`. test/api/exports.test.ts checks that this list and package.json's subpaths agree,
 * and api/kindling.api.md records every public name for review.
 */
export * from './engine/index.js';
export * from './amp/index.js';
export * from './metrics/index.js';
export * from './handlers/index.js';
export * from './logging/index.js';
export * from './data/index.js';
export * from './random/index.js';
export * from './deterministic/index.js';
export * from './training/index.js';
export * from './backends/index.js';
export * from './distributed/index.js';
export * from './transforms/index.js';
export * from './utils/index.js';
export * from './errors.js';
export * as idist from './distributed/index.js';
// Two modules name a different `NestedNumbers`: the root keeps the data one (nested sample values), as before.
export type { NestedNumbers } from './data/index.js';
