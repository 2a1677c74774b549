// kindling in the browser: the same API as in Node (mnist(), DataLoader, createSupervisedTrainer, metrics), on the
// webgl backend when available, else cpu, with a live progress bar and loss chart. Build with vite:
//   npx vite examples/browser          (dev server)     npx vite build examples/browser   (static files)
// (in your project: import from 'kindling')
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import * as tfl from '@tensorflow/tfjs-layers';
import { Accuracy, DataLoader, Events, createSupervisedEvaluator, createSupervisedTrainer, crossEntropyLoss, manualSeed, mnist } from '../../src/index.js';
import { digitUrls } from './digits.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
const backend = params.get('backend') ?? 'auto';

async function pickBackend(): Promise<string> {
  if (backend !== 'auto') await tf.setBackend(backend);
  else if (!(await tf.setBackend('webgl').catch(() => false))) await tf.setBackend('cpu');
  await tf.ready();
  return tf.getBackend();
}

function drawLoss(canvas: HTMLCanvasElement, losses: number[]): void {
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const max = Math.max(...losses, 1e-6);
  ctx.strokeStyle = '#e4572e';
  ctx.lineWidth = 2;
  ctx.beginPath();
  losses.forEach((l, i) => {
    const x = (i / Math.max(losses.length - 1, 1)) * (canvas.width - 20) + 10;
    const y = canvas.height - 10 - (l / max) * (canvas.height - 20);
    if (i === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  });
  ctx.stroke();
  ctx.fillStyle = '#222';
  ctx.fillText(`loss ${losses.at(-1)?.toFixed(3) ?? ''}`, canvas.width - 90, 16);
}

async function main(): Promise<void> {
  const name = await pickBackend();
  manualSeed(0);
  const perDigit = Number(params.get('perDigit') ?? 150);
  const { train, test } = await mnist({ maxPerDigit: perDigit, loadDigit: async (d) => ((await (await fetch(digitUrls[d] as string)).json()) as { data: number[] }).data });
  $('status').textContent = `training on ${train.length} digits, backend ${name}`;
  const loader = new DataLoader(train, { batchSize: 32, shuffle: true });
  const model = tfl.sequential({ layers: [tfl.layers.flatten({ inputShape: [28, 28] }), tfl.layers.dense({ units: 64, activation: 'relu' }), tfl.layers.dense({ units: 10 })] });
  const trainer = createSupervisedTrainer(model, tf.train.adam(3e-3), crossEntropyLoss);
  const evaluator = createSupervisedEvaluator(model, { metrics: { accuracy: new Accuracy() } });
  const losses: number[] = [];
  const progress = $<HTMLProgressElement>('progress');
  progress.max = loader.length;
  trainer.on(Events.ITERATION_COMPLETED, async (e) => {
    losses.push(e.state.output as number);
    progress.value = e.state.iteration;
    drawLoss($<HTMLCanvasElement>('loss'), losses);
    await tf.nextFrame(); // let the page paint: training stays responsive
  });
  await trainer.run(loader, { maxEpochs: 1 });
  const { metrics } = await evaluator.run(new DataLoader(test, { batchSize: 128 }));
  const accuracy = metrics['accuracy'] as number;
  const result = $('result');
  result.textContent = `test accuracy after one epoch: ${accuracy.toFixed(3)}`;
  result.dataset['accuracy'] = String(accuracy);
  result.dataset['state'] = 'done';
}

main().catch((e: unknown) => {
  const result = $('result');
  result.textContent = `error: ${String(e)}`;
  result.dataset['state'] = 'error';
});
