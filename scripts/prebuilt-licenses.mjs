/**
 * The license texts of a prebuilt platform package (used by build-prebuilt.mjs): for every library linked into or
 * bundled with the addon, its distribution's copyright file (Debian/Ubuntu: /usr/share/doc/<package>/copyright, found
 * with `dpkg -S`), the common license texts those files refer to (/usr/share/common-licenses/<name>), and an index,
 * LICENSES/README.md. Elsewhere (no dpkg), the maintainer passes a folder of license texts with --licenses.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The Debian package owning `file`, and its version, or null when dpkg does not know the file (or is missing). */
function debianPackage(file) {
  try {
    const owner = execFileSync('dpkg', ['-S', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split(':')[0]?.trim();
    if (!owner) return null;
    const version = execFileSync('dpkg-query', ['-W', '-f=${Version}', owner], { encoding: 'utf8' }).trim();
    return { name: owner, version };
  } catch {
    return null;
  }
}

/**
 * Writes `dir` (LICENSES/): one copyright file per component's package, the common licenses they cite, README.md.
 *
 * @param {string} dir - the LICENSES folder to create.
 * @param {{ name: string, file: string }[]} components - what is inside the binary or next to it, and a file of each.
 * @param {string | undefined} given - a folder of license texts to copy instead (platforms without dpkg).
 */
export function collectLicenses(dir, components, given) {
  mkdirSync(dir, { recursive: true });
  const rows = ['# Licenses of what the prebuilt binary contains', '',
    "kindling's own code (the addon's sources, packages/kernels/native/blas) is under the BSD-3-Clause license of kindling.", '',
    '| component | from | license text |', '|---|---|---|'];
  if (given !== undefined) {
    cpSync(given, dir, { recursive: true });
    for (const c of components) rows.push(`| ${c.name} | ${c.file} | see this folder |`);
    writeFileSync(join(dir, 'README.md'), `${rows.join('\n')}\n`);
    return;
  }
  const cited = new Set();
  const written = new Map(); // text -> file name: one file per distinct text (GCC's libraries share one copyright file)
  const write = (name, text) => {
    if (!written.has(text)) {
      writeFileSync(join(dir, name), text);
      written.set(text, name);
    }
    return written.get(text);
  };
  for (const c of components) {
    const pkg = debianPackage(c.file);
    const copyright = pkg === null ? null : `/usr/share/doc/${pkg.name}/copyright`;
    if (pkg === null || copyright === null || !existsSync(copyright)) {
      throw new Error(`no license text found for ${c.name} (${c.file}): not from a Debian package; pass --licenses <dir>`);
    }
    const text = readFileSync(copyright, 'utf8');
    const file = write(`${pkg.name}.copyright.txt`, text);
    for (const [, name] of text.matchAll(/\/usr\/share\/common-licenses\/([A-Za-z0-9][\w.+-]*[\w+])/g)) cited.add(name);
    rows.push(`| ${c.name} | Debian package ${pkg.name} ${pkg.version} | ${file} |`);
  }
  rows.push('', 'The full texts of the licenses that the copyright files cite by name:', '');
  for (const name of [...cited].sort()) {
    const file = `/usr/share/common-licenses/${name}`;
    if (existsSync(file)) rows.push(`- ${name}: ${write(`common-${name}.txt`, readFileSync(file, 'utf8'))}`);
  }
  writeFileSync(join(dir, 'README.md'), `${rows.join('\n')}\n`);
}
