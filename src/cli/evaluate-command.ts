/** @module `kindling evaluate <checkpoint>`: test accuracy and loss of a saved model on the test split. */

import { existsSync } from 'node:fs';
import * as tfl from '@tensorflow/tfjs-layers';
import { DataLoader } from '../data/index.js';
import { Accuracy, Loss } from '../metrics/index.js';
import { kindlingFileHandler } from '../node/file-io-handler.js';
import { createSupervisedEvaluator, crossEntropyLoss } from '../training/index.js';
import { setupBackend } from './backends.js';
import { loadCliData } from './data.js';
import { CliError } from './errors.js';

/**
 * Loads the model of a checkpoint (its topology and weights) and evaluates it on the test split.
 *
 * @param checkpoint - a `.ckpt` file written by `kindling train` (best or last).
 * @param opts - backend, batch size, data directory.
 * @param out - where the result is printed.
 * @returns accuracy and loss.
 * @throws {@link CliError} when the file is missing or holds no model.
 * @example
 * ```ts
 * await evaluateCommand('runs/mlp/checkpoints/best_model_3_accuracy=0.9712.ckpt', { backend: 'auto', batchSize: 256 }, process.stdout);
 * ```
 */
export async function evaluateCommand(
  checkpoint: string,
  opts: { backend: string; batchSize: number; data?: string },
  out: NodeJS.WritableStream,
): Promise<{ accuracy: number; loss: number }> {
  if (!existsSync(checkpoint)) throw new CliError(`checkpoint '${checkpoint}' not found.`);
  const backend = await setupBackend(opts.backend);
  const model = await tfl.loadLayersModel(kindlingFileHandler(checkpoint));
  const data = await loadCliData(opts.data);
  const evaluator = createSupervisedEvaluator(model, {
    device: backend,
    metrics: { accuracy: new Accuracy(), loss: new Loss(crossEntropyLoss) },
  });
  const loader = new DataLoader(data.test, { batchSize: opts.batchSize });
  const state = await evaluator.run(loader);
  const result = { accuracy: state.metrics['accuracy'] as number, loss: state.metrics['loss'] as number };
  out.write(`${checkpoint}: test accuracy ${result.accuracy.toFixed(4)}, loss ${result.loss.toFixed(4)} (${data.test.length} samples, backend ${backend})\n`);
  loader.dispose();
  model.dispose();
  return result;
}
