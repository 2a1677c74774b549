import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NdArray } from '../../src/data/nd-array.js';
import { Resize, resize, resizedSize } from '../../src/transforms/index.js';
import { decode, maxDiff, torchvisionCases } from './fixtures/torchvision.js';

describe('Resize', () => {
  it('matches torchvision F.resize (bilinear and bicubic with and without antialias, nearest; uint8 and float32)', () => {
    const cases = torchvisionCases('resize');
    assert.ok(cases.length >= 40);
    assert.ok(cases.filter((c) => (c.args as { interpolation?: string }).interpolation === 'bicubic').length >= 16);
    for (const c of cases) {
      const a = c.args as { size: number | number[]; antialias?: boolean; interpolation?: 'nearest' | 'bicubic' };
      const got = resize(decode(c.input), a.size, { antialias: a.antialias ?? true, interpolation: a.interpolation ?? 'bilinear' });
      const d = maxDiff(got, c.output);
      // uint8 without antialias: torch interpolates in float32, so a value on a .5 tie may round the other way.
      const tol = c.input.dtype === 'float32' ? 1e-5 : a.antialias === false ? 1 : 0;
      assert.ok(d <= tol, `${c.name}: max difference ${d}`);
    }
  });

  it('an integer size matches the shorter side (trunc of the longer), maxSize caps the longer side', () => {
    assert.deepEqual(resizedSize(100, 50, 32), [64, 32]);
    assert.deepEqual(resizedSize(50, 75, 32), [32, 48]);
    assert.deepEqual(resizedSize(30, 70, [20]), [20, 46]);
    assert.deepEqual(resizedSize(30, 70, [8, 9]), [8, 9]);
    assert.deepEqual(resizedSize(30, 70, 20, 40), [17, 40]);
    assert.throws(() => resizedSize(30, 70, 20, 20), /maxSize = 20 must be strictly greater/);
    assert.throws(() => resizedSize(30, 70, [8, 9], 40), /maxSize should only be passed/);
    assert.throws(() => new Resize(0), RangeError);
  });

  it('keeps the pixel type and the batch rank, and returns the same image when the size is unchanged', () => {
    const img = new NdArray(Uint8Array.from({ length: 2 * 4 * 6 * 3 }, (_, i) => i % 256), [2, 4, 6, 3]);
    const out = new Resize([2, 3]).apply(img);
    assert.deepEqual(out.shape, [2, 2, 3, 3]);
    assert.ok(out.data instanceof Uint8Array);
    assert.equal(resize(img, [4, 6]), img);
    // each image of the batch is resized on its own: the second equals resizing it alone
    const second = resize(img.at(1), [2, 3]);
    assert.deepEqual(Array.from(out.at(1).data), Array.from(second.data));
  });

  it('rejects non-images with a TypeError that says what is expected', () => {
    assert.throws(() => resize(new NdArray(new Uint8Array(4), [4]), 2), /shape \[H, W, C\] or a batch/);
    assert.throws(() => resize(new NdArray(new Int32Array(12), [2, 2, 3]) as never, 2), /uint8 or float32 pixels, but given a Int32Array/);
  });
});
