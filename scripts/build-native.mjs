#!/usr/bin/env node
// Builds kindling's own optional addon (native/mpi, the MPI bindings of kindling's distributed module) with the
// builder of @kindling/kernels (which builds its OpenBLAS backend the same way). Never fails the install.
// Usage: node scripts/build-native.mjs [name...]
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAddons } from '@kindling/kernels/build-native';

buildAddons(join(dirname(fileURLToPath(import.meta.url)), '..', 'native'), process.argv.slice(2));
