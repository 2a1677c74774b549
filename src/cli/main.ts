#!/usr/bin/env node
/**
 * @module The `kindling` command line (commander): `train`, `evaluate`, `dashboard`, `info`.
 * Bad flags and missing files print one line (no stack trace). Exit codes: 0 success, 1 failure (missing or bad
 * files, training errors), 2 usage error (bad flags or flag combinations), 130 interrupted (Ctrl-C), 143 stopped by
 * SIGTERM (both after saving a resumable checkpoint).
 */

import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { KindlingError } from '../errors.js';
import { dashboardCommand } from './dashboard-command.js';
import { CliError, CliInterrupted } from './errors.js';
import { MODEL_NAMES } from './models.js';
import { DEFAULT_LR, OPTIMIZER_NAMES, type TrainOptions } from './options.js';

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

function port(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`${name} must be a port number from 0 to 65535 (0: a free port), got '${value}'.`);
    return n;
  };
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];
const lrDefaults = Object.entries(DEFAULT_LR).map(([name, lr]) => `${name} ${lr}`).join(', ');

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
    .description('train a classifier: MNIST digits by default, or your --data (IDX, CIFAR, an ImageFolder tree, CSV, Parquet)')
    .addOption(new Option('--model <name>', 'model architecture (mlp by default; cnn for CIFAR and ImageFolder --data)').choices(MODEL_NAMES).default('mlp'))
    .option('--epochs <n>', 'maximum number of epochs', positiveInt('--epochs'), 15)
    .option('--batch-size <n>', 'samples per batch', positiveInt('--batch-size'), 64)
    .option('--lr <x>', `learning rate (default per optimizer: ${lrDefaults})`, positiveNumber('--lr'))
    .addOption(new Option('--optimizer <name>', 'optimizer').choices(OPTIMIZER_NAMES).default('adam'))
    .option('--backend <name>', "TensorFlow.js backend: auto, cpu, wasm, webgl, tensorflow, ... ('auto' picks the fastest available)", 'auto')
    .addOption(new Option('--amp [dtype]', 'mixed precision (autocast); dtype float16 or bfloat16 (default: per backend)').choices(['float16', 'bfloat16']))
    .option('--scaler', 'dynamic loss scaling with a GradScaler (requires --amp)', false)
    .option('--accumulation-steps <k>', 'gradient accumulation steps', positiveInt('--accumulation-steps'), 1)
    .option('--deterministic', 'reproducible data order and randomness (DeterministicEngine); exact resume', false)
    .option('--seed <n>', 'random seed', nonNegativeInt('--seed'), 0)
    .option('--threads <n>', 'threads of the native and wasm backends (default: all cores; 1 for the mlp on wasm)', positiveInt('--threads'))
    .option('--find-lr', 'run the learning-rate finder first: print the suggested lr, write lr_finder.svg into the run directory, train with it', false)
    .option('--detect-anomaly', 'check data, predictions, loss and gradients for NaN/Inf every step; name the first bad one', false)
    .option('--no-augment', 'disable the random 2-pixel shifts of training images')
    .option('--patience <n>', 'early stopping: epochs without validation improvement', positiveInt('--patience'), 5)
    .option('--resume <checkpoint>', 'continue from a checkpoint written by a previous run')
    .option('--output <dir>', "directory for checkpoints and logs (default: runs/<model>-<time>, or the --resume checkpoint's run)")
    .addOption(new Option('--dashboard [port]', 'serve a live dashboard on 127.0.0.1 (port 0 or none: a free port)').argParser(port('--dashboard')))
    .option('--dashboard-allow-host <name>', 'a Host name the dashboard accepts besides 127.0.0.1 and localhost (repeatable)', collect)
    .option('--data <path>', 'MNIST/Fashion-MNIST IDX files, CIFAR-10/100 binary files, an ImageFolder tree (a directory per class) or a .csv/.parquet table')
    .option('--label <column>', 'the label column of a CSV/Parquet --data table (class indices 0, 1, ...)')
    .option('--image-size <n>', 'side of the square images of an ImageFolder --data tree (resize + center crop)', positiveInt('--image-size'), 32)
    .option('--workers <n>', 'DataLoader worker threads decoding and augmenting --data samples (0: main thread)', nonNegativeInt('--workers'), 0)
    .option('--nproc <n>', 'data-parallel training with N processes on this host over MPI (needs Open MPI; --batch-size is the global batch)', positiveInt('--nproc'))
    .action(async (opts: TrainOptions, cmd: Command) => {
      if (opts.data !== undefined && cmd.getOptionValueSource('model') === 'default') {
        const { defaultModelFor, detectData } = await import('./detect-data.js');
        try {
          opts.model = defaultModelFor(detectData(opts.data)); // the CNN for images, the MLP for tables and digits
        } catch {
          // a missing or unreadable --data is reported by trainCommand, after the other flags are checked
        }
      }
      const { trainCommand } = await import('./train-command.js');
      const nproc = opts.nproc;
      const summary = nproc === undefined
        ? await trainCommand(opts, process.stdout)
        : await (await import('./distributed.js')).runOnRanks(nproc, process.stdout, (out) => trainCommand(opts, out));
      if (summary?.interrupted === true) throw new CliInterrupted(summary.signal ?? 'SIGINT');
    });
}

/**
 * Builds the `kindling` program (exported for tests).
 *
 * @returns the commander program.
 */
export function buildProgram(): Command {
  const program = new Command('kindling')
    .description("kindling: PyTorch-Ignite's training engine on TensorFlow.js")
    .version(packageVersion(), '-V, --version', 'print the version of kindling')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', '\nExit codes: 0 success, 1 failure, 2 usage error (bad flags), 130 interrupted (Ctrl-C), 143 stopped by SIGTERM.');
  trainCommandDefinition(program);
  program
    .command('evaluate <checkpoint>')
    .description('evaluate a checkpoint written by `kindling train` on the test split')
    .option('--backend <name>', 'TensorFlow.js backend', 'auto')
    .option('--batch-size <n>', 'samples per batch', positiveInt('--batch-size'), 256)
    .option('--data <path>', 'the --data the checkpoint was trained on (IDX, CIFAR, ImageFolder tree, CSV/Parquet table)')
    .option('--label <column>', 'the label column of a CSV/Parquet --data table')
    .option('--image-size <n>', 'side of the square images of an ImageFolder --data tree', positiveInt('--image-size'), 32)
    .action(async (checkpoint: string, opts: { backend: string; batchSize: number; data?: string; label?: string; imageSize?: number }) => {
      const { evaluateCommand } = await import('./evaluate-command.js');
      await evaluateCommand(checkpoint, opts, process.stdout);
    });
  program
    .command('dashboard [logdir]')
    .description('serve the live training dashboard for a directory of runs')
    .option('--port <n>', 'port (0: a free port)', port('--port'), 0)
    .option('--allow-host <name>', 'a Host name accepted besides 127.0.0.1 and localhost, e.g. behind a tunnel; * for any (repeatable)', collect)
    .action(async (logdir: string | undefined, opts: { port: number; allowHost?: string[] }) => {
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
 */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram().exitOverride();
  // Subcommands copy settings when they are created, so each needs the override too (else commander exits with 1).
  for (const command of program.commands) command.exitOverride();
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('commander.')) {
      return code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help' ? 0 : 2;
    }
    if (e instanceof CliInterrupted) return e.exitCode;
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
