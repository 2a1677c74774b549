// Gradient accumulation with mixed precision: 4 micro-batches of 16 per optimizer step (an effective batch of 64),
// bfloat16 autocast of the matmuls with a GradScaler, and gradient norms logged from the accumulated window.
// Run: node --import tsx examples/accumulation-amp.ts   (users import from 'kindling')
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { DataLoader, Events, createSupervisedTrainer, crossEntropyLoss, getGradients, manualSeed, mnist } from '../src/index.js';

await tf.setBackend('cpu');
manualSeed(7);
const { train } = await mnist({ maxPerDigit: Number(process.env['PER_DIGIT'] ?? 100) });
const loader = new DataLoader(train, { batchSize: 16, shuffle: true });
const model = tfl.sequential({ layers: [tfl.layers.flatten({ inputShape: [28, 28] }), tfl.layers.dense({ units: 64, activation: 'relu' }), tfl.layers.dense({ units: 10 })] });

const optimizer = tf.train.adam(2e-3);
const trainer = createSupervisedTrainer(model, optimizer, crossEntropyLoss, {
  gradientAccumulationSteps: 4,
  ampMode: 'amp',
  ampDtype: 'bfloat16',
  scaler: true, // creates a GradScaler, stored on trainer.state.scaler (checkpoint it with the model)
});

// At ITERATION_COMPLETED the window's gradients are still populated (as in Ignite): log their global norm when a
// window is complete (every 4th iteration, right after the optimizer step).
trainer.on(Events.ITERATION_COMPLETED({ every: 20 }), (e) => {
  const grads = getGradients(e);
  if (grads === null) return;
  // With a scaler the window holds scaled gradients (as PyTorch's .grad after scaler.scale(loss).backward()).
  const scale = (e.state['scaler'] as { getScale(): number }).getScale();
  const norm = tf.tidy(() => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))).dataSync()[0] ?? NaN) / scale;
  console.log(`iteration ${e.state.iteration}: loss ${(e.state.output as number).toFixed(3)}, accumulated gradient norm ${norm.toFixed(3)}, loss scale ${scale}`);
});
trainer.on(Events.EPOCH_COMPLETED, (e) => console.log(`epoch ${e.state.epoch} done: ${e.state.iteration} iterations, ${optimizer.iterations} optimizer steps so far`));
await trainer.run(loader, { maxEpochs: Number(process.env['EPOCHS'] ?? 2) });
loader.dispose();
