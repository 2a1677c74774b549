#!/usr/bin/env node
// Builds kindling's own optional addon (native/mpi, the MPI bindings of kindling's distributed module) with the
// builder of @kindling/kernels, which builds its OpenBLAS backend (native/blas) the same way at its own install.
// Never fails the install.
// Usage: node scripts/build-native.mjs [--all] [name...]   (--all: the kernels package's addons too, as
// `kindling build-native` does)
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAddons } from '@kindling/kernels/build-native';

const args = process.argv.slice(2);
const all = args.includes('--all');
const names = args.filter((a) => a !== '--all');
buildAddons(join(dirname(fileURLToPath(import.meta.url)), '..', 'native'), names);
if (all) buildAddons(undefined, names.filter((n) => n !== 'mpi'));
