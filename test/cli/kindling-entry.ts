// Runs the CLI from the TypeScript sources (tests use it instead of bin/kindling.js, which needs a build).
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv);
