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
 * @param opts - backend, batch size, data path, label column (tables), image size (ImageFolder trees).
 * @param out - where the result is printed.
 * @returns accuracy and loss.
 * @throws {@link CliError} when the file is missing or holds no model.
 */
export async function evaluateCommand(
  checkpoint: string,
  opts: { backend: string; batchSize: number; data?: string; label?: string; imageSize?: number },
  out: NodeJS.WritableStream,
): Promise<{ accuracy: number; loss: number }> {
  if (!existsSync(checkpoint)) throw new CliError(`checkpoint '${checkpoint}' not found.`, 1);
  const backend = await setupBackend(opts.backend);
  const model = await tfl.loadLayersModel(kindlingFileHandler(checkpoint));
  const data = await loadCliData(opts.data, { ...(opts.label !== undefined ? { label: opts.label } : {}), ...(opts.imageSize !== undefined ? { imageSize: opts.imageSize } : {}) });
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
