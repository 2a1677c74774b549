// The browser-safe entries bundle for a browser with a bundler that does NOT stub Node's built-ins (esbuild,
// platform 'browser'): any `node:` import reachable from them fails the build, and so would a node-only module.
// TensorFlow.js's packages are left external (peer dependencies, the user's bundle has them).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { build } from 'esbuild';

async function bundle(entry: string): Promise<string[]> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'esm',
    conditions: ['kindling-source'],
    external: ['@tensorflow/*'],
    metafile: true,
    logLevel: 'silent',
  });
  return Object.keys(result.metafile.inputs);
}

describe('browser bundles', () => {
  for (const entry of ['src/index.ts', 'packages/kernels/src/index.ts', 'packages/kernels/src/contract.ts']) {
    it(`${entry} bundles for platform 'browser' with no Node built-in or node-only module`, async () => {
      const inputs = await bundle(entry);
      assert.ok(inputs.includes(entry), 'the entry itself is bundled');
      const nodeOnly = inputs.filter((f) => /(^|\/)node(\/|\.ts$)|node:/.test(f) || f.includes('cli-progress'));
      assert.deepEqual(nodeOnly, []);
    });
  }

  it('a node: import does fail the browser build (the check can fail)', async () => {
    await assert.rejects(bundle('src/node/index.ts'), /node:|Could not resolve/);
  });
});
