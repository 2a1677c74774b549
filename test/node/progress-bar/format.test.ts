import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatFixed, formatGeneral, formatInterval, formatNum, pyStr, type NumberKind } from '../../../src/node/progress-bar/py-format.js';
import {
  IGNITE_BAR_FORMAT,
  TQDM_BAR_FORMAT,
  drawBar,
  formatMeter,
  formatPostfix,
  validateBarFormat,
  type MeterState,
} from '../../../src/node/progress-bar/format.js';

// Reference values printed by CPython 3.11: [x, type, format(x, '.3g'), str(x), tqdm.format_num(x)].
const PY_NUMBERS: [number, NumberKind, string, string, string][] = [
  [3.899, 'float', '3.9', '3.899', '3.9'],
  [12.210000038146973, 'float', '12.2', '12.210000038146973', '12.2'],
  [21.0, 'float', '21', '21.0', '21'],
  [6.0, 'float', '6', '6.0', '6'],
  [0.5, 'float', '0.5', '0.5', '0.5'],
  [1.2339999675750732, 'float', '1.23', '1.2339999675750732', '1.23'],
  [1.125, 'float', '1.12', '1.125', '1.12'],
  [2.675, 'float', '2.67', '2.675', '2.67'],
  [1.234e-5, 'float', '1.23e-05', '1.234e-05', '1.23e-5'],
  [1234567.0, 'float', '1.23e+06', '1234567.0', '1.23e+6'],
  [123456.7, 'float', '1.23e+05', '123456.7', '1.23e+5'],
  [99.95, 'float', '100', '99.95', '100'],
  [999.5, 'float', '1e+03', '999.5', '1e+3'],
  [0.0001, 'float', '0.0001', '0.0001', '0.0001'],
  [1e-5, 'float', '1e-05', '1e-05', '1e-5'],
  [1e16, 'float', '1e+16', '1e+16', '1e+16'],
  [1e22, 'float', '1e+22', '1e+22', '1e+22'],
  [-0.5, 'float', '-0.5', '-0.5', '-0.5'],
  [-1234.5678, 'float', '-1.23e+03', '-1234.5678', '-1.23e+3'],
  [0.1 + 0.2, 'float', '0.3', '0.30000000000000004', '0.3'],
  [5e-324, 'float', '4.94e-324', '5e-324', '5e-324'],
  [1.7976931348623157e308, 'float', '1.8e+308', '1.7976931348623157e+308', '1.8e+308'],
  [0, 'int', '0', '0', '0'],
  [1, 'int', '1', '1', '1'],
  [21, 'int', '21', '21', '21'],
  [123, 'int', '123', '123', '123'],
  [1234567, 'int', '1.23e+06', '1234567', '1234567'],
  [12345678, 'int', '1.23e+07', '12345678', '1.23e+7'],
  [-42, 'int', '-42', '-42', '-42'],
  [1e15, 'int', '1e+15', '1000000000000000', '1e+15'],
  [1, 'bool', '1', 'True', '1'],
  [0, 'bool', '0', 'False', '0'],
];

// CPython 3.11: format(x, f'.{d}f') (exact binary value, ties to even).
const PY_FIXED: [number, number, string][] = [
  [12.5, 0, '12'], [13.5, 0, '14'], [1.005, 2, '1.00'], [0.5, 0, '0'], [2.5, 0, '2'], [50.0, 0, '50'],
  [66.66666, 0, '67'], [99.5, 0, '100'], [123.456, 2, '123.46'], [0.125, 2, '0.12'], [0.375, 2, '0.38'],
  [1e-7, 3, '0.000'], [87.5, 0, '88'],
];

describe('Python number formatting', () => {
  it('matches CPython for .3g, str() and tqdm format_num', () => {
    for (const [x, kind, g, str, num] of PY_NUMBERS) {
      assert.equal(formatGeneral(x, 3), g, `format(${x}, '.3g')`);
      assert.equal(pyStr(x, kind), str, `str(${x}) as ${kind}`);
      assert.equal(formatNum(kind === 'bool' ? x === 1 : x, kind), num, `format_num(${x}) as ${kind}`);
    }
  });

  it('infers int for integer-valued numbers and float otherwise', () => {
    assert.equal(pyStr(21), '21');
    assert.equal(pyStr(0.5), '0.5');
    assert.equal(formatNum(1234567), '1234567');
    assert.equal(formatNum(10n ** 20n), '1e+20');
    assert.equal(formatNum(true), '1');
    assert.equal(formatNum(NaN), 'nan');
    assert.equal(formatNum(-Infinity), '-inf');
  });

  it('matches CPython fixed-point rounding', () => {
    for (const [x, d, expected] of PY_FIXED) assert.equal(formatFixed(x, d), expected, `format(${x}, '.${d}f')`);
  });

  it('formats intervals as tqdm.format_interval', () => {
    // Reference: mins, s = divmod(int(t), 60); h, m = divmod(mins, 60).
    for (const t of [0, 0.99, 5, 59.999, 60, 61, 3599, 3600, 3723.9, 36000, 360000]) {
      const whole = Math.floor(t);
      const h = Math.floor(whole / 3600);
      const m = Math.floor((whole % 3600) / 60);
      const s = whole % 60;
      const two = (v: number) => String(v).padStart(2, '0');
      assert.equal(formatInterval(t), h > 0 ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`);
    }
  });
});

describe('drawBar', () => {
  it('has the requested width and 1/8 resolution', () => {
    for (const width of [1, 7, 10, 41]) {
      for (let k = 0; k <= 20; k += 1) {
        const frac = k / 20;
        const bar = drawBar(frac, width);
        const chars = Array.from(bar);
        assert.equal(chars.length, width);
        const eighths = Math.floor(frac * width * 8);
        assert.equal(chars.filter((c) => c === '█').length, Math.floor(eighths / 8));
        // The partial block encodes the remaining eighths.
        if (eighths < width * 8) assert.equal(' ▏▎▍▌▋▊▉'.indexOf(chars[Math.floor(eighths / 8)] ?? '?'), eighths % 8);
      }
    }
  });

  it('clamps the fraction and supports other charsets', () => {
    assert.equal(drawBar(1.7, 4), '████');
    assert.equal(drawBar(-1, 3), '   ');
    assert.equal(drawBar(0.55, 4, ' 123456789#'), '##2 ');
  });
});

const base: MeterState = { n: 1, total: 2, elapsed: 0.01, rate: null, desc: '', postfix: '', ncols: 80, ascii: false };
const meter = (m: Partial<MeterState>) => formatMeter(IGNITE_BAR_FORMAT, { ...base, ...m });

describe('formatMeter with Ignite bar_format', () => {
  it('reproduces the exact lines of Ignite test_tqdm_logger.py', () => {
    const rate = 100;
    // Strings copied from the Ignite tests, tqdm >= 4.49, ncols=80.
    const cases: [Partial<MeterState>, string][] = [
      [{ desc: 'Epoch [2/2]', postfix: 'a=1' }, 'Epoch [2/2]: [1/2]  50%|████████████████████▌                    , a=1 [00:00<?]'],
      [{ desc: 'Iteration', postfix: 'batchloss=0.5' }, 'Iteration: [1/2]  50%|████████████████▌                , batchloss=0.5 [00:00<?]'],
      [{ desc: 'Iteration', postfix: 'batchloss=0.5, another batchloss=1.5' }, 'Iteration: [1/2]  50%|█████     , batchloss=0.5, another batchloss=1.5 [00:00<?]'],
      [{ desc: 'Epoch [2/2]' }, 'Epoch [2/2]: [1/2]  50%|███████████████████████                        [00:00<?]'],
      [{ desc: 'Epoch [2/2]', postfix: 'output=1' }, 'Epoch [2/2]: [1/2]  50%|██████████████████                  , output=1 [00:00<?]'],
      [{ desc: 'Epoch [2/2]', postfix: 'output=red' }, 'Epoch [2/2]: [1/2]  50%|█████████████████                 , output=red [00:00<?]'],
      [{ n: 4, total: 5, rate, desc: 'My description:  [10/10]', postfix: 'output=1' }, 'My description:  [10/10]: [4/5]  80%|███████████████▏   , output=1 [00:00<00:00]'],
      [{ n: 4, total: 5, rate, desc: 'Validation' }, 'Validation: [4/5]  80%|██████████████████████████████████▍         [00:00<00:00]'],
      [{ n: 4, total: 5, rate, desc: 'Output tensor', postfix: 'output_0=5, output_1=0' }, 'Output tensor: [4/5]  80%|████████████▊   , output_0=5, output_1=0 [00:00<00:00]'],
      [{ n: 4, total: 5, rate, desc: 'Output tensor', postfix: 'output=123' }, 'Output tensor: [4/5]  80%|██████████████████████▍     , output=123 [00:00<00:00]'],
      [{ n: 4, total: 5, rate, desc: 'Output tensor', postfix: 'output=1.23' }, 'Output tensor: [4/5]  80%|█████████████████████▌     , output=1.23 [00:00<00:00]'],
      [{ n: 9, total: 10, rate, desc: 'Epoch' }, 'Epoch: [9/10]  90%|██████████████████████████████████████████▎     [00:00<00:00]'],
      [{ desc: 'Iteration', postfix: 'a=1' }, 'Iteration: [1/2]  50%|█████████████████████▌                     , a=1 [00:00<?]'],
      [{ n: 90, total: 100, rate, desc: 'Iteration' }, 'Iteration: [90/100]  90%|████████████████████████████████████▉     [00:00<00:00]'],
      [{ n: 50, total: 50, rate, desc: 'Iteration' }, 'Iteration: [50/50] 100%|██████████████████████████████████████████ [00:00<00:00]'],
      [{ n: 11, total: 11, rate, desc: 'Epoch [5/5]' }, 'Epoch [5/5]: [11/11] 100%|████████████████████████████████████████ [00:00<00:00]'],
      [{ desc: 'Iteration', postfix: 'batchloss=0.5, alpha=3.9, beta=12.2, gamma_0=21, gamma_1=6' }, 'Iteration: [1/2]  50%|▌, batchloss=0.5, alpha=3.9, beta=12.2, gamma_0=21, gamma_'],
    ];
    for (const [m, expected] of cases) assert.equal(meter(m), expected);
  });

  it('formats elapsed and remaining from the rate', () => {
    // 30 of 100 steps in 75 s: 0.4 step/s, 70 steps left -> 175 s.
    assert.match(meter({ n: 30, total: 100, elapsed: 75, rate: 0.4, desc: 'Epoch' }), / \[01:15<02:55\]$/);
    assert.match(meter({ n: 1, total: 100, elapsed: 3725, rate: null, desc: 'Epoch' }), / \[1:02:05<\?\]$/);
  });

  it('shows an unknown total as ? with an empty bar and no trimming without ncols', () => {
    const line = meter({ n: 7, total: null, ncols: null, rate: 2, desc: 'Epoch', postfix: 'a=1' });
    assert.equal(line, 'Epoch: [7/?]   0%|          , a=1 [00:00<00:00]');
  });

  it('uses a 10-character bar without ncols and drops the colon of an empty description', () => {
    assert.equal(meter({ ncols: null }), '[1/2]  50%|█████      [00:00<?]');
  });

  it('trims lines longer than ncols, keeping a bar of at least one character', () => {
    // 62 + 11 fixed characters leave no room: the bar gets 1 character and the tail is cut at column 80.
    const line = meter({ desc: 'x'.repeat(60) });
    assert.equal(line, `${'x'.repeat(60)}: [1/2]  50%|▌ [00:0`);
    assert.equal(Array.from(meter({ desc: 'x'.repeat(200) })).length, 80);
  });
});

describe('formatMeter with other templates', () => {
  it("renders tqdm's default '{l_bar}{bar}{r_bar}'", () => {
    const line = formatMeter(TQDM_BAR_FORMAT, { ...base, rate: 50, desc: 'Epoch [2/2]', postfix: 'a=1' });
    assert.equal(line, 'Epoch [2/2]:  50%|█████████████▌             | 1/2 [00:00<00:00, 50.00it/s, a=1]');
    const slow = formatMeter(TQDM_BAR_FORMAT, { ...base, rate: 0.25, desc: 'E' });
    assert.match(slow, /\| 1\/2 \[00:00<00:04, {2}4\.00s\/it\]$/);
  });

  it('supports format specs, fixed bar widths, escapes and ascii', () => {
    const m: MeterState = { ...base, n: 3, total: 8, rate: 1, ascii: true };
    assert.equal(formatMeter('{{{n:>4}|{percentage:.1f}|{bar:8}|{total_fmt:^5}}}', m), '{   3|37.5|###     |  8  }');
    assert.equal(formatMeter('{bar:4a}', { ...m, ascii: false }), '#5  ');
  });

  it('rejects unknown fields and invalid specs', () => {
    assert.throws(() => validateBarFormat('{desc}{nope}'), { name: 'RangeError', message: /Unknown field \{nope\}/ });
    assert.throws(() => validateBarFormat('{percentage:zz}'), { name: 'RangeError', message: /Invalid format spec/ });
    validateBarFormat(IGNITE_BAR_FORMAT);
  });
});

describe('formatPostfix', () => {
  it('joins key=value with tqdm number formatting and stripped strings', () => {
    const text = formatPostfix([
      ['batchloss', { value: 0.5 }],
      ['alpha', { value: 3.899 }],
      ['beta', { value: 12.210000038146973, kind: 'float' }],
      ['gamma_0', { value: 21, kind: 'float' }],
      ['name', { value: '  red ' }],
      ['flag', { value: true }],
    ]);
    assert.equal(text, 'batchloss=0.5, alpha=3.9, beta=12.2, gamma_0=21, name=red, flag=1');
  });
});
