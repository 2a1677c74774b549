/**
 * The Node side of the distributed context: `installMpi()` installs the loader of kindling's MPI addon, whose
 * errors say why the addon cannot be used (missing, or not an addon) and how to build it. Each case runs in a child
 * process, because the loader reads `KINDLING_MPI_ADDON` once per process. A working addon is exercised by
 * test/distributed/mpirun.test.ts.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs `body` (module code after the imports) in a child process with KINDLING_MPI_ADDON set; returns stdout. */
function runWithAddonPath(addonPath: string, body: string): string {
  const script = "import { Parallel, initialize, mpiAvailability } from './src/distributed/index.ts';\n" +
    "import { installMpi } from './src/node/mpi.ts';\n" + body;
  return execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    env: { ...process.env, KINDLING_MPI_ADDON: addonPath },
    encoding: 'utf8',
  });
}

describe('installMpi', () => {
  it("Parallel({ backend: 'mpi' }) without the addon throws how to enable it", () => {
    const out = runWithAddonPath('/nonexistent/kindling_mpi.node', 'installMpi();\n' +
      "try { await new Parallel({ backend: 'mpi' }).run(() => 1); console.log('ran'); }\n" +
      "catch (e) { console.log(e.name + ': ' + e.message); }");
    assert.match(out, /^DistributedUnavailableError: Backend 'mpi' requested/);
    assert.match(out, /kindling's MPI addon \(\/nonexistent\/kindling_mpi\.node\) is not available/);
    assert.match(out, /apt-get install libopenmpi-dev openmpi-bin/);
    assert.match(out, /node scripts\/build-native\.mjs mpi/);
    assert.match(out, /mpirun -np 2/);
  });

  it('reports a file that is not a loadable addon, and stays serial', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kindling-mpi-'));
    try {
      const bogus = join(dir, 'kindling_mpi.node');
      writeFileSync(bogus, 'not a shared library');
      const out = runWithAddonPath(bogus, 'installMpi();\ninstallMpi();\n' +
        'const a = mpiAvailability();\n' +
        "let error = 'none';\ntry { initialize('mpi'); } catch (e) { error = e.name; }\n" +
        'console.log(JSON.stringify({ a, error }));');
      const { a, error } = JSON.parse(out) as { a: { available: boolean; reason?: string }; error: string };
      assert.equal(a.available, false);
      assert.match(a.reason ?? '', new RegExp(`kindling's MPI addon \\(${bogus.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\) failed to load: `));
      assert.match(a.reason ?? '', /To enable it: install Open MPI/);
      assert.equal(error, 'DistributedUnavailableError');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is needed: without it, the same process has no MPI loader', () => {
    const out = runWithAddonPath('/nonexistent/kindling_mpi.node', 'console.log(mpiAvailability().reason);');
    assert.match(out, /^no MPI loader is installed in this process\./);
  });
});
