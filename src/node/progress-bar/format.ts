/**
 * @module Renders one progress-bar line from a tqdm-style `bar_format` template. Port of tqdm's
 * `tqdm.format_meter` and `Bar` (the parts Ignite's ProgressBar uses) and of Python's `str.format` field syntax.
 *
 * Deviations: the remaining time uses the plain average rate since the bar was created (tqdm smooths it with an
 * exponential moving average); widths count UTF-16 code units (tqdm counts East-Asian wide characters twice).
 */

import { formatFixed, formatGeneral, formatInterval, formatNum, pyStr } from './py-format.js';

/**
 * Ignite's default `bar_format`, the default of `ProgressBar`'s `barFormat` option.
 *
 */
export const IGNITE_BAR_FORMAT = '{desc}[{n_fmt}/{total_fmt}] {percentage:3.0f}%|{bar}{postfix} [{elapsed}<{remaining}]';

/**
 * tqdm's own default format, used when `barFormat` is `null`.
 *
 */
export const TQDM_BAR_FORMAT = '{l_bar}{bar}{r_bar}';

const UTF_CHARSET = ' ▏▎▍▌▋▊▉█';
const ASCII_CHARSET = ' 123456789#';

/** Everything one line shows. @internal */
export interface MeterState {
  /** Current position. */
  n: number;
  /** Number of steps, or `null` when unknown. */
  total: number | null;
  /** Seconds since the bar was created. */
  elapsed: number;
  /** Steps per second, or `null` when not measurable yet (no progress since the bar was created). */
  rate: number | null;
  /** Description without the `': '` suffix (empty for none). */
  desc: string;
  /** Rendered postfix without the leading `', '` (empty for none). */
  postfix: string;
  /** Line width: the bar fills what the other fields leave; `null` gives a 10-character bar and no trimming. */
  ncols: number | null;
  /** `true` for tqdm's ASCII charset, a string for a custom charset, `false` for Unicode blocks. */
  ascii: boolean | string;
}

/**
 * Draws tqdm's bar for a fraction: full blocks, one partial block, then padding.
 *
 * @param frac - progress in [0, 1] (clamped).
 * @param width - number of characters.
 * @param charset - characters from empty to full (tqdm's `Bar.UTF` by default).
 * @returns the bar, exactly `width` characters long.
 * @internal
 */
export function drawBar(frac: number, width: number, charset: string = UTF_CHARSET): string {
  const chars = Array.from(charset);
  const nsyms = chars.length - 1;
  const f = Math.min(Math.max(frac, 0), 1);
  const ticks = Math.trunc(f * width * nsyms);
  const full = Math.trunc(ticks / nsyms);
  const partial = ticks % nsyms;
  const fullChar = chars[nsyms] ?? '#';
  const emptyChar = chars[0] ?? ' ';
  let res = fullChar.repeat(full);
  if (full < width) res += (chars[partial] ?? emptyChar) + emptyChar.repeat(width - full - 1);
  return res;
}

type FieldValue = string | number | null;

function rateFields(rate: number | null): Record<string, FieldValue> {
  const inv = rate !== null && rate > 0 ? 1 / rate : null;
  const noinv = rate !== null && rate > 0 ? `${pad(formatFixed(rate, 2), 5)}it/s` : '?it/s';
  const invFmt = inv !== null ? `${pad(formatFixed(inv, 2), 5)}s/it` : '?s/it';
  return {
    rate: inv !== null && inv > 1 ? inv : rate,
    rate_fmt: inv !== null && inv > 1 ? invFmt : noinv,
    rate_noinv: rate,
    rate_noinv_fmt: noinv,
    rate_inv: inv,
    rate_inv_fmt: invFmt,
  };
}

function pad(s: string, width: number): string {
  return s.padStart(width, ' ');
}

/** The values available to a `bar_format` template, as tqdm's `format_dict` (without `bar`). */
function formatDict(m: MeterState): Record<string, FieldValue> {
  const known = m.total !== null && m.total > 0 ? m.total : null;
  const frac = known !== null ? m.n / known : 0;
  const percentage = frac * 100;
  const remaining = m.rate !== null && m.rate > 0 && known !== null ? Math.max(0, (known - m.n) / m.rate) : 0;
  const remainingStr = m.rate !== null && m.rate > 0 ? formatInterval(remaining) : '?';
  const elapsedStr = formatInterval(m.elapsed);
  const desc = m.desc === '' ? '' : m.desc.endsWith(': ') ? m.desc : `${m.desc}: `;
  const postfix = m.postfix === '' ? '' : `, ${m.postfix}`;
  const rates = rateFields(m.rate);
  const nFmt = pyStr(m.n);
  const totalFmt = m.total === null ? '?' : pyStr(m.total);
  const lBar = `${desc}${known !== null ? `${pad(formatFixed(percentage, 0), 3)}%` : ''}|`;
  const rBar = `| ${nFmt}/${totalFmt} [${elapsedStr}<${remainingStr}, ${String(rates.rate_fmt)}${postfix}]`;
  return {
    n: m.n,
    n_fmt: nFmt,
    total: m.total,
    total_fmt: totalFmt,
    percentage,
    elapsed: elapsedStr,
    elapsed_s: m.elapsed,
    remaining: remainingStr,
    remaining_s: remaining,
    ncols: m.ncols,
    desc,
    unit: 'it',
    unit_divisor: 1000,
    postfix,
    l_bar: lBar,
    r_bar: rBar,
    ...rates,
  };
}

const FIELD = /\{\{|\}\}|\{([A-Za-z_]\w*)(?::([^{}]*))?\}/g;
const SPEC = /^(?:(.)?([<>^]))?(\d+)?(?:\.(\d+))?([dfgs%])?$/;

function applySpec(value: FieldValue, spec: string, field: string): string {
  const m = SPEC.exec(spec);
  if (m === null) throw new RangeError(`Invalid format spec '${spec}' for field {${field}} in barFormat.`);
  const [, fill = ' ', align, width, precision, type] = m;
  let text: string;
  if (typeof value === 'number') {
    const p = precision === undefined ? 6 : Number(precision);
    if (type === 'f') text = formatFixed(value, p);
    else if (type === '%') text = `${formatFixed(value * 100, p)}%`;
    else if (type === 'g') text = formatGeneral(value, precision === undefined ? 6 : p);
    else if (type === 'd') text = pyStr(Math.trunc(value), 'int');
    else text = pyStr(value);
  } else {
    text = value === null ? 'None' : precision === undefined ? value : value.slice(0, Number(precision));
  }
  const w = width === undefined ? 0 : Number(width);
  if (text.length >= w) return text;
  const a = align ?? (typeof value === 'number' ? '>' : '<');
  const gap = w - text.length;
  if (a === '>') return fill.repeat(gap) + text;
  if (a === '^') return fill.repeat(Math.floor(gap / 2)) + text + fill.repeat(Math.ceil(gap / 2));
  return text + fill.repeat(gap);
}

/**
 * Checks a `bar_format` template: every field must exist and every format spec must parse.
 *
 * @param template - the template.
 * @throws RangeError naming the first unknown field or invalid spec.
 * @internal
 */
export function validateBarFormat(template: string): void {
  formatMeter(template, { n: 1, total: 2, elapsed: 1, rate: 1, desc: 'd', postfix: 'p=1', ncols: 80, ascii: false });
}

function render(template: string, dict: Record<string, FieldValue>, bar: (spec: string) => string): string {
  return template.replace(FIELD, (whole, name: string | undefined, spec: string | undefined) => {
    if (whole === '{{') return '{';
    if (whole === '}}') return '}';
    if (name === 'bar') return bar(spec ?? '');
    if (name === undefined || !(name in dict)) {
      const known = ['bar', ...Object.keys(dict)].join(', ');
      throw new RangeError(`Unknown field {${String(name)}} in barFormat; available fields: ${known}.`);
    }
    return applySpec(dict[name] ?? null, spec ?? '', name);
  });
}

function barWidth(spec: string, available: number, ncols: number | null): number {
  const w = /^-?\d+/.exec(spec)?.[0];
  if (w !== undefined) {
    const n = Number(w);
    return n >= 0 ? n : Math.max(1, (ncols ?? 10) + n);
  }
  return ncols !== null ? Math.max(1, available) : 10;
}

/**
 * Renders one progress line, as tqdm's `format_meter` does for a custom `bar_format`: the bar takes the width the
 * other fields leave in `ncols` (at least 1), and the line is trimmed to `ncols`.
 *
 * @param template - a tqdm `bar_format` template such as {@link IGNITE_BAR_FORMAT}.
 * @param m - the values to show.
 * @returns the line, without newline or control characters.
 * @throws RangeError when the template names an unknown field or has an invalid format spec.
 * @example
 * ```ts
 * formatMeter(IGNITE_BAR_FORMAT, { n: 1, total: 2, elapsed: 0, rate: null, desc: 'Epoch [2/2]',
 *   postfix: 'a=1', ncols: 80, ascii: false });
 * // 'Epoch [2/2]: [1/2]  50%|████████████████████▌                    , a=1 [00:00<?]'
 * ```
 * @internal
 */
export function formatMeter(template: string, m: MeterState): string {
  const dict = formatDict(m);
  // tqdm drops the colon after an empty description.
  const tpl = m.desc === '' ? template.replace('{desc}: ', '') : template;
  const known = m.total !== null && m.total > 0;
  const frac = known ? m.n / (m.total as number) : 0;
  const charset = m.ascii === true ? ASCII_CHARSET : typeof m.ascii === 'string' ? m.ascii : UTF_CHARSET;
  const nobar = render(tpl, dict, () => '');
  const available = m.ncols !== null ? m.ncols - nobar.length : 10;
  const line = render(tpl, dict, (spec) => {
    const kind = spec.slice(-1).toLowerCase();
    const set = kind === 'a' ? ASCII_CHARSET : kind === 'b' ? ' ' : kind === 'u' ? UTF_CHARSET : charset;
    const width = barWidth(/[abu]$/i.test(spec) ? spec.slice(0, -1) : spec, available, m.ncols);
    return known ? drawBar(frac, width, set) : ' '.repeat(width);
  });
  return m.ncols !== null ? Array.from(line).slice(0, m.ncols).join('') : line;
}

/**
 * Renders postfix entries as tqdm's `set_postfix` does: numbers through `format_num`, everything else through
 * `str()` and stripped, joined as `key=value, key=value`.
 *
 * @param entries - ordered `[key, value]` pairs; numbers carry their Python kind.
 * @returns the postfix text (without the leading `', '`).
 * @internal
 */
export function formatPostfix(entries: Iterable<[string, PostfixValue]>): string {
  const parts: string[] = [];
  for (const [key, v] of entries) {
    const text = typeof v.value === 'string' ? v.value.trim() : formatNum(v.value, v.kind);
    parts.push(`${key}=${text}`);
  }
  return parts.join(', ');
}

/** A postfix value: a string, or a number with the Python type it stands for. @internal */
export interface PostfixValue {
  /** The scalar. */
  value: string | number | bigint | boolean;
  /** How a number is formatted (see `pyStr`); inferred when absent. */
  kind?: 'int' | 'float' | 'bool';
}
