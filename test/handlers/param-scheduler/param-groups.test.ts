// Parameter groups without a wrapper: two tf.train optimizers over disjoint variable subsets (a backbone and a
// head), each with its own scheduler. Every step, each variable moves by exactly -lr(group, iteration) * grad.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { Engine, Events, silentLogger } from '../../../src/engine/index.js';
import { optimizerParam } from '../../../src/handlers/param-scheduler/target.js';
import { PiecewiseLinear } from '../../../src/handlers/param-scheduler/piecewise-linear.js';

await tf.setBackend('cpu');

function pick(grads: tf.NamedTensorMap, names: ReadonlySet<string>): tf.NamedTensorMap {
  return Object.fromEntries(Object.entries(grads).filter(([name]) => names.has(name)));
}

describe('parameter groups as two optimizers over variable subsets', () => {
  it('each group follows its own learning-rate schedule (ParamGroupScheduler equivalent)', async () => {
    const backbone = tfl.layers.dense({ units: 4, inputShape: [3], activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) });
    const head = tfl.layers.dense({ units: 1, kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) });
    const model = tfl.sequential({ layers: [backbone, head] });
    const backboneVars = new Set(backbone.trainableWeights.map((w) => (w.read() as tf.Variable).name));
    const headVars = new Set(head.trainableWeights.map((w) => (w.read() as tf.Variable).name));
    const optimizers = { backbone: tf.train.sgd(0.01), head: tf.train.sgd(0.1) };
    const x = tf.tensor2d([[0.1, -0.2, 0.3], [0.5, 0.4, -0.6], [-1, 2, 0.25], [0.3, 0.3, 0.3]]);
    const y = tf.tensor2d([[1], [-1], [0.5], [0]]);
    const checks: { name: string; before: Float32Array; grad: Float32Array; lr: number }[][] = [];

    const trainer = new Engine((_e, _batch: number) => {
      const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(() => tf.losses.meanSquaredError<tf.Tensor, tf.Scalar>(y, model.apply(x) as tf.Tensor), vars);
      checks.push(vars.map((v) => ({
        name: v.name, before: v.dataSync() as Float32Array, grad: grads[v.name]?.dataSync() as Float32Array,
        lr: optimizerParam(backboneVars.has(v.name) ? optimizers.backbone : optimizers.head).get(),
      })));
      optimizers.backbone.applyGradients(pick(grads, backboneVars));
      optimizers.head.applyGradients(pick(grads, headVars));
      const loss = value.dataSync()[0] as number;
      tf.dispose([value, grads]);
      return loss;
    }, { logger: silentLogger });
    // One scheduler per group, as Ignite's ParamGroupScheduler holds one per param group.
    trainer.on(Events.ITERATION_STARTED, new PiecewiseLinear(optimizers.backbone, 'lr', { milestonesValues: [[0, 0.01], [4, 0.001]] }));
    trainer.on(Events.ITERATION_STARTED, new PiecewiseLinear(optimizers.head, 'lr', { milestonesValues: [[0, 0.1], [4, 0.5]] }));

    const tensors = tf.memory().numTensors;
    let afterFirst = 0;
    trainer.on(Events.ITERATION_COMPLETED({ once: 1 }), () => void (afterFirst = tf.memory().numTensors));
    await trainer.run([0, 1, 2, 3, 4, 5], { maxEpochs: 1 });
    assert.ok(afterFirst >= tensors);
    assert.equal(tf.memory().numTensors, afterFirst, 'no leak after the first step');

    const lrs = checks.map((step) => [step[0]?.lr, step[2]?.lr]);
    const expectedBackbone = [0.01, 0.00775, 0.0055, 0.00325, 0.001, 0.001];
    const expectedHead = [0.1, 0.2, 0.3, 0.4, 0.5, 0.5];
    lrs.forEach(([b, h], i) => {
      assert.ok(Math.abs((b as number) - (expectedBackbone[i] as number)) < 1e-12, `backbone lr at ${i + 1}: ${b}`);
      assert.ok(Math.abs((h as number) - (expectedHead[i] as number)) < 1e-12, `head lr at ${i + 1}: ${h}`);
    });
    // Each variable moved by -lr(group) * grad (float32): compare with the next step's "before".
    for (let s = 0; s + 1 < checks.length; s++) {
      (checks[s] ?? []).forEach((v, i) => {
        const next = checks[s + 1]?.[i]?.before as Float32Array;
        v.before.forEach((w, j) => {
          const expected = Math.fround(w - Math.fround(Math.fround(v.lr) * (v.grad[j] as number)));
          assert.ok(Math.abs((next[j] as number) - expected) <= 1e-7, `${v.name}[${j}] step ${s + 1}`);
        });
      });
    }
    tf.dispose([x, y]);
  });
});
