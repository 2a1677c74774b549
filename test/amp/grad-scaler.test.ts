import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { GradScaler, type GradScalerStateDict } from '../../src/amp/index.js';
import { KindlingError } from '../../src/errors.js';
import { rng } from './half-reference.js';

/** PyTorch's `_amp_update_scale_` written out from its definition, on plain numbers, as the oracle. */
function referenceUpdate(state: GradScalerStateDict, foundInf: boolean): GradScalerStateDict {
  const next = { ...state };
  if (foundInf) {
    next.scale = Math.fround(state.scale * state.backoffFactor);
    next.growthTracker = 0;
  } else if (state.growthTracker + 1 === state.growthInterval) {
    const grown = Math.fround(state.scale * state.growthFactor);
    if (Number.isFinite(grown)) next.scale = grown;
    next.growthTracker = 0;
  } else {
    next.growthTracker = state.growthTracker + 1;
  }
  return next;
}

function setup(value = 1): { v: tf.Variable; opt: tf.Optimizer } {
  return { v: tf.variable(tf.tensor1d([value, value]), true, `w${Math.random()}`), opt: tf.train.sgd(1) };
}

describe('GradScaler', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it("has PyTorch's defaults", () => {
    const s = new GradScaler();
    assert.equal(s.getScale(), 2 ** 16);
    assert.equal(s.isEnabled(), true);
    assert.deepEqual(s.stateDict(), { scale: 65536, growthFactor: 2, backoffFactor: 0.5, growthInterval: 2000, growthTracker: 0 });
  });

  it('scale() multiplies the loss and unscale() divides the gradients, returning new caller-owned tensors', () => {
    const s = new GradScaler({ initScale: 8 });
    const loss = tf.scalar(0.75);
    const scaled = s.scale(loss);
    assert.equal(scaled.dataSync()[0], 6);
    const g = { a: tf.tensor1d([8, -16]), b: tf.tensor1d([4]) };
    const u = s.unscale(g);
    assert.deepEqual(Array.from(u.a!.dataSync()), [1, -2]);
    assert.deepEqual(Array.from(u.b!.dataSync()), [0.5]);
    assert.notEqual(u.a, g.a);
    assert.equal(g.a.isDisposed, false);
    assert.equal(loss.isDisposed, false);
    tf.dispose([loss, scaled, g, u]);
  });

  it('step() unscales and applies finite gradients, skips non-finite ones, and update() adapts the scale', async () => {
    const s = new GradScaler({ initScale: 4, growthInterval: 2 });
    const { v, opt } = setup();
    const grads = (vals: number[]): tf.NamedTensorMap => ({ [v.name]: tf.tensor1d(vals) });
    const g1 = grads([4, 8]);
    assert.equal(await s.step(opt, g1), true);
    assert.deepEqual(Array.from(v.dataSync()), [0, -1]); // 1 - 4/4, 1 - 8/4
    s.update();
    assert.deepEqual([s.getScale(), s.stateDict().growthTracker], [4, 1]);
    const g2 = grads([NaN, 1]);
    assert.equal(await s.step(opt, g2), false);
    assert.deepEqual(Array.from(v.dataSync()), [0, -1], 'a skipped step leaves the weights alone');
    s.update();
    assert.deepEqual([s.getScale(), s.stateDict().growthTracker], [2, 0]);
    const g3 = grads([2, Infinity]);
    assert.equal(await s.step(opt, g3), false);
    s.update();
    assert.equal(s.getScale(), 1);
    const g4 = grads([1, 1]);
    await s.step(opt, g4);
    s.update();
    await s.step(opt, g4);
    s.update();
    assert.deepEqual([s.getScale(), s.stateDict().growthTracker], [2, 0], 'grows after growthInterval clean steps');
    assert.equal(g1[v.name]!.isDisposed, false, 'step does not dispose the caller\'s gradients');
    tf.dispose([v, g1, g2, g3, g4]);
  });

  it('follows the reference update rule over a random sequence of clean and overflowing steps', async () => {
    const random = rng(7);
    const s = new GradScaler({ initScale: 2 ** 10, growthInterval: 3, growthFactor: 4, backoffFactor: 0.25 });
    let want = s.stateDict();
    const { v, opt } = setup();
    const good = { [v.name]: tf.tensor1d([0, 0]) };
    const bad = { [v.name]: tf.tensor1d([0, Infinity]) };
    for (let i = 0; i < 200; i++) {
      const overflow = random() < 0.2;
      // Sometimes two steps share one update (e.g. two optimizers): any overflow among them backs off once.
      const twice = random() < 0.2;
      const stepped = await s.step(opt, overflow ? bad : good);
      assert.equal(stepped, !overflow);
      if (twice) await s.step(opt, good);
      s.update();
      want = referenceUpdate(want, overflow);
      assert.deepEqual(s.stateDict(), want, `after step ${i}`);
    }
    tf.dispose([v, good, bad]);
  });

  it('does not grow the scale past the float32 range', async () => {
    const s = new GradScaler({ initScale: 2 ** 127, growthInterval: 1 });
    const { v, opt } = setup();
    const g = { [v.name]: tf.tensor1d([0, 0]) };
    await s.step(opt, g);
    s.update();
    assert.equal(s.getScale(), 2 ** 127);
    assert.equal(s.stateDict().growthTracker, 0);
    tf.dispose([v, g]);
  });

  it('with nonBlocking reads the finite flag asynchronously (no dataSync) and gives the same result', async () => {
    const { v, opt } = setup();
    const g = { [v.name]: tf.tensor1d([2, NaN]) };
    const proto = tf.Tensor.prototype as unknown as { dataSync: () => unknown };
    const original = proto.dataSync;
    let syncReads = 0;
    proto.dataSync = function (this: tf.Tensor) {
      syncReads++;
      return original.call(this);
    };
    try {
      const a = new GradScaler();
      assert.equal(await a.step(opt, g, { nonBlocking: true }), false);
      assert.equal(syncReads, 0);
      const b = new GradScaler();
      assert.equal(await b.step(opt, g), false);
      assert.ok(syncReads > 0, 'the blocking path reads synchronously');
    } finally {
      proto.dataSync = original;
    }
    tf.dispose([v, g]);
  });

  it('unscale(grads, optimizer) marks the optimizer so step() does not unscale twice, as unscale_ does', async () => {
    const s = new GradScaler({ initScale: 4 });
    const { v, opt } = setup();
    const g = { [v.name]: tf.tensor1d([4, 8]) };
    const u = s.unscale(g, opt);
    assert.throws(() => s.unscale(g, opt), (e) => e instanceof KindlingError && /already been called/.test(e.message));
    assert.equal(await s.step(opt, u), true);
    assert.deepEqual(Array.from(v.dataSync()), [0, -1]);
    s.update();
    tf.dispose(s.unscale(g, opt)); // allowed again after update()
    tf.dispose([v, g, u]);
  });

  it('update(newScale) sets the scale; update() without a step fails like PyTorch', () => {
    const s = new GradScaler();
    assert.throws(() => s.update(), (e) => e instanceof KindlingError && /No inf checks were recorded/.test(e.message));
    s.update(128);
    assert.equal(s.getScale(), 128);
    assert.throws(() => s.update(-1), RangeError);
  });

  it('enabled: false makes every method a pass-through', async () => {
    const s = new GradScaler({ enabled: false });
    assert.equal(s.isEnabled(), false);
    assert.equal(s.getScale(), 1);
    const loss = tf.scalar(3);
    const scaled = s.scale(loss);
    assert.equal(scaled.dataSync()[0], 3);
    const { v, opt } = setup();
    const g = { [v.name]: tf.tensor1d([1, 2]) };
    const u = s.unscale(g, opt);
    assert.deepEqual(Array.from(u[v.name]!.dataSync()), [1, 2]);
    assert.equal(await s.step(opt, g), true);
    assert.deepEqual(Array.from(v.dataSync()), [0, -1]);
    s.update();
    assert.equal(s.getScale(), 1);
    tf.dispose([loss, scaled, v, g, u]);
  });

  it('stateDict() survives a JSON round trip into a new scaler', async () => {
    const a = new GradScaler({ initScale: 256, growthInterval: 5, growthFactor: 3, backoffFactor: 0.125 });
    const { v, opt } = setup();
    const g = { [v.name]: tf.tensor1d([0, 0]) };
    for (let i = 0; i < 3; i++) {
      await a.step(opt, g);
      a.update();
    }
    const b = new GradScaler();
    b.loadStateDict(JSON.parse(JSON.stringify(a.stateDict())) as GradScalerStateDict);
    assert.deepEqual(b.stateDict(), a.stateDict());
    for (let i = 0; i < 2; i++) {
      await a.step(opt, g);
      a.update();
      await b.step(opt, g);
      b.update();
    }
    assert.equal(b.getScale(), 768);
    assert.deepEqual(b.stateDict(), a.stateDict());
    assert.throws(() => b.loadStateDict({} as GradScalerStateDict), TypeError);
    assert.throws(() => b.loadStateDict({ ...a.stateDict(), growthTracker: -1 }), RangeError);
    tf.dispose([v, g]);
  });

  it('validates its options with TypeError/RangeError messages that say what was expected', () => {
    assert.throws(() => new GradScaler({ growthFactor: 1 }), { name: 'RangeError', message: /growthFactor must be > 1.0, received 1/ });
    assert.throws(() => new GradScaler({ backoffFactor: 1 }), { name: 'RangeError', message: /backoffFactor must be in \(0, 1\)/ });
    assert.throws(() => new GradScaler({ growthInterval: 1.5 }), { name: 'RangeError', message: /positive integer/ });
    assert.throws(() => new GradScaler({ initScale: 0 }), RangeError);
    assert.throws(() => new GradScaler({ initScale: '1' as unknown as number }), TypeError);
    assert.throws(() => new GradScaler({ enabled: 'yes' as unknown as boolean }), TypeError);
  });

  it('leaks no tensors across scale/step/update cycles', async () => {
    const s = new GradScaler({ growthInterval: 2 });
    const { v, opt } = setup();
    const cycle = async (bad: boolean): Promise<void> => {
      const loss = tf.scalar(1);
      const scaled = s.scale(loss);
      const g = { [v.name]: tf.tensor1d([1, bad ? NaN : 1]) };
      await s.step(opt, g, { nonBlocking: bad });
      s.update();
      tf.dispose([loss, scaled, g]);
    };
    await cycle(false);
    const before = tf.memory();
    for (let i = 0; i < 6; i++) await cycle(i % 3 === 0);
    assert.equal(tf.memory().numTensors, before.numTensors);
    assert.equal(tf.memory().numDataBuffers, before.numDataBuffers);
    tf.dispose(v);
  });
});
