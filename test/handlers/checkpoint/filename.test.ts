import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatPriority, renderFilename, setupFilenamePattern, type FilenameFields } from '../../../src/handlers/checkpoint/filename.js';

const fields: FilenameFields = { filename_prefix: 'best', ext: 'ckpt', name: 'model', score_name: 'acc', score: '0.9000', global_step: 12 };

/** Independent reference for Python's `format(x, '.4f')`: exact rational arithmetic on the double's value. */
function pythonFixed4(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const neg = x < 0 || Object.is(x, -0);
  // Exact value of |x| as a fraction m / 2^e.
  let m = Math.abs(x);
  let e = 0n;
  while (!Number.isInteger(m)) { m *= 2; e += 1n; }
  const num = BigInt(m) * 10000n;
  const den = 1n << e;
  let q = num / den;
  const r2 = (num % den) * 2n;
  if (r2 > den || (r2 === den && q % 2n === 1n)) q += 1n;
  const s = q.toString().padStart(5, '0');
  return `${neg ? '-' : ''}${s.slice(0, -4)}.${s.slice(-4)}`;
}

describe('checkpoint filenames', () => {
  it('test_setup_filename_pattern: default and partial patterns', () => {
    assert.equal(setupFilenamePattern(), '{filename_prefix}_{name}_{global_step}_{score_name}={score}.{ext}');
    assert.equal(setupFilenamePattern({ withPrefix: false }), '{name}_{global_step}_{score_name}={score}.{ext}');
    assert.equal(setupFilenamePattern({ withPrefix: false, withScoreName: false }), '{name}_{global_step}_{score}.{ext}');
    assert.equal(setupFilenamePattern({ withPrefix: false, withScore: false, withScoreName: false }), '{name}_{global_step}.{ext}');
    assert.equal(setupFilenamePattern({ withGlobalStep: false }), '{filename_prefix}_{name}_{score_name}={score}.{ext}');
    assert.throws(() => setupFilenamePattern({ withScore: false, withGlobalStep: false }), /At least one of withScore and withGlobalStep/);
    assert.throws(() => setupFilenamePattern({ withScore: false }), /If withScoreName is True, withScore should be also True/);
  });

  it('formats integer priorities as-is and others like Python :.4f', () => {
    assert.equal(formatPriority(0), '0');
    assert.equal(formatPriority(1234), '1234');
    assert.equal(formatPriority(-4), '-4');
    assert.equal(formatPriority(1.2), '1.2000');
    assert.equal(formatPriority(0.34567), '0.3457');
    assert.equal(formatPriority(NaN), 'nan');
    assert.equal(formatPriority(-Infinity), '-inf');
    // Exact ties round half to even in Python (toFixed would round away from zero).
    assert.equal(formatPriority(0.03125), '0.0312');
    assert.equal(formatPriority(0.09375), '0.0938');
    assert.equal(formatPriority(-0.03125), '-0.0312');
    assert.equal(formatPriority(-0.00001), '-0.0000');
  });

  it('matches an exact-arithmetic reference of Python formatting on many values', () => {
    const values = [0.5, 1 / 3, 2 / 3, 0.00005, 0.00015, 1.00005, 123.45675, 7.1875, 9.96875, -2.5e-5, 1e-9, 99999.99995];
    for (let k = 1; k < 4000; k += 7) values.push(k / 32, -k / 64, k * 0.0001 + 0.00005, Math.sin(k) * 100);
    for (const v of values) {
      if (Number.isInteger(v)) continue;
      assert.equal(formatPriority(v), pythonFixed4(v), `value ${v}`);
    }
  });

  it('renders placeholders, None for null, escapes and format specs', () => {
    assert.equal(renderFilename('{filename_prefix}_{name}_{global_step}_{score_name}={score}.{ext}', fields), 'best_model_12_acc=0.9000.ckpt');
    assert.equal(renderFilename('{name}_{score}.{ext}', { ...fields, score: null }), 'model_None.ckpt');
    assert.equal(renderFilename('{{{name}}}.{ext}', fields), '{model}.ckpt');
    assert.equal(renderFilename('{name}_{global_step:06d}.{ext}', fields), 'model_000012.ckpt');
    assert.equal(renderFilename('{global_step:.2f}', fields), '12.00');
    assert.throws(() => renderFilename('{nope}.{ext}', fields), /Unknown placeholder \{nope\}/);
    assert.throws(() => renderFilename('{name', fields), /Single '\{'/);
    assert.throws(() => renderFilename('name}', fields), /Single '\}'/);
  });
});
