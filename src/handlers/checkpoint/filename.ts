/**
 * @module Checkpoint file names. Port of `Checkpoint.setup_filename_pattern` and the `str.format` call in
 * ignite/handlers/checkpoint.py. Deviations: the extension is `ckpt` (kindling does not write `.pt` files);
 * JavaScript has one number type, so a score is printed as an integer when `Number.isInteger(score)` (Python prints
 * `2.0` as `2.0000` because it is a float); the pattern language is the subset of Python's `str.format` that file
 * names need: `{key}`, `{key:spec}` with specs `[0][width][.precision][d|f]`, and `{{` / `}}`.
 */

/**
 * The extension of every checkpoint file kindling writes (the `{ext}` placeholder).
 *
 */
export const CHECKPOINT_EXTENSION = 'ckpt';

/**
 * Values available to a filename pattern; keys keep Ignite's spelling so patterns are portable.
 *
 */
export interface FilenameFields {
  filename_prefix: string;
  ext: string;
  name: string;
  score_name: string | null;
  score: string | null;
  global_step: number | null;
}

/**
 * Options of {@link setupFilenamePattern}.
 *
 */
export interface FilenamePatternOptions {
  /** Add `{filename_prefix}_` in front. @defaultValue true */
  withPrefix?: boolean;
  /** Add `_{score}`. @defaultValue true */
  withScore?: boolean;
  /** Write the score as `{score_name}={score}` (needs `withScore`). @defaultValue true */
  withScoreName?: boolean;
  /** Add `_{global_step}` after the name. @defaultValue true */
  withGlobalStep?: boolean;
}

/**
 * Builds the default checkpoint filename pattern, Ignite's `Checkpoint.setup_filename_pattern`.
 *
 * @param options - which parts to include.
 * @returns the pattern, e.g. `'{filename_prefix}_{name}_{global_step}_{score_name}={score}.{ext}'`.
 * @throws RangeError when neither score nor global step is included, or a score name is asked without a score.
 * @example
 * ```ts
 * setupFilenamePattern(); // '{filename_prefix}_{name}_{global_step}_{score_name}={score}.{ext}'
 * setupFilenamePattern({ withPrefix: false, withScore: false, withScoreName: false }); // '{name}_{global_step}.{ext}'
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.handlers.checkpoint.Checkpoint.html
 */
export function setupFilenamePattern(options: FilenamePatternOptions = {}): string {
  const { withPrefix = true, withScore = true, withScoreName = true, withGlobalStep = true } = options;
  let pattern = '{name}';
  if (!(withGlobalStep || withScore)) throw new RangeError('At least one of withScore and withGlobalStep should be True.');
  if (withGlobalStep) pattern += '_{global_step}';
  if (withScoreName && withScore) pattern += '_{score_name}={score}';
  else if (withScore) pattern += '_{score}';
  else if (withScoreName) throw new RangeError('If withScoreName is True, withScore should be also True');
  if (withPrefix) pattern = `{filename_prefix}_${pattern}`;
  return `${pattern}.{ext}`;
}

/**
 * Formats a priority the way Ignite does: integers as-is, other numbers with Python's `:.4f` (round half to even
 * on the exact binary value, `nan`, `inf`).
 *
 * @param priority - the score or step.
 * @returns the text used in file names.
 * @example
 * ```ts
 * formatPriority(3); // '3'
 * formatPriority(0.34567); // '0.3457'
 * ```
 */
export function formatPriority(priority: number): string {
  if (Number.isInteger(priority)) return String(priority);
  return formatFixed(priority, 4);
}

/** Python's `format(x, '.Nf')` for a JavaScript number. */
function formatFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const negative = x < 0 || Object.is(x, -0);
  const abs = Math.abs(x);
  let text = abs.toFixed(digits);
  // toFixed rounds exact ties away from zero; Python rounds them to even. A tie needs abs * 10^digits to end in
  // exactly .5, which means abs * 2^(digits+1) is an odd integer.
  const scaled2 = abs * 2 ** (digits + 1);
  if (digits <= 6 && Number.isInteger(scaled2) && scaled2 % 2 === 1 && abs < 2 ** 30) {
    const units = abs * 10 ** digits; // exact: k + 0.5 with k < 2^53
    const lower = Math.floor(units);
    const even = lower % 2 === 0 ? lower : lower + 1;
    const s = String(even).padStart(digits + 1, '0');
    text = digits === 0 ? s : `${s.slice(0, -digits)}.${s.slice(-digits)}`;
  }
  return negative ? `-${text}` : text;
}

function formatField(value: string | number | null, spec: string, key: string): string {
  if (spec === '') return value === null ? 'None' : String(value);
  const m = /^(0?)(\d*)(?:\.(\d+))?([df]?)$/.exec(spec);
  if (m === null) throw new RangeError(`Unsupported format spec '${spec}' for {${key}} in filename pattern; use [0][width][.precision][d|f].`);
  const [, zero = '', width = '', precision, type = ''] = m;
  let text: string;
  if (typeof value === 'number' && (type === 'f' || precision !== undefined)) text = formatFixed(value, Number(precision ?? 6));
  else if (typeof value === 'number' && type === 'd') {
    if (!Number.isInteger(value)) throw new RangeError(`Cannot format {${key}} = ${value} with 'd': not an integer.`);
    text = String(value);
  } else text = value === null ? 'None' : String(value);
  const w = width === '' ? 0 : Number(width);
  if (zero === '0' && typeof value === 'number') {
    const sign = text.startsWith('-') ? '-' : '';
    return sign + text.slice(sign.length).padStart(w - sign.length, '0');
  }
  return typeof value === 'number' ? text.padStart(w) : text.padEnd(w);
}

/**
 * Renders a filename pattern with Python `str.format` semantics for the supported subset.
 *
 * @param pattern - e.g. `'{name}_{global_step:06d}.{ext}'`.
 * @param fields - the values; `null` renders as `None`, as in Python.
 * @returns the file name.
 * @throws RangeError for an unknown placeholder, an unsupported spec, or unbalanced braces.
 * @example
 * ```ts
 * renderFilename('{name}.{ext}', { filename_prefix: '', ext: 'ckpt', name: 'model', score_name: null, score: null,
 *   global_step: 3 }); // 'model.ckpt'
 * ```
 */
export function renderFilename(pattern: string, fields: FilenameFields): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if ((c === '{' || c === '}') && pattern[i + 1] === c) {
      out += c;
      i++;
    } else if (c === '{') {
      const end = pattern.indexOf('}', i);
      if (end < 0) throw new RangeError(`Single '{' encountered in filename pattern '${pattern}'`);
      const [key = '', spec = ''] = splitOnce(pattern.slice(i + 1, end), ':');
      if (!Object.hasOwn(fields, key)) {
        throw new RangeError(`Unknown placeholder {${key}} in filename pattern '${pattern}'. Known: ` +
          `${Object.keys(fields).map((k) => `{${k}}`).join(', ')}.`);
      }
      out += formatField(fields[key as keyof FilenameFields], spec, key);
      i = end;
    } else if (c === '}') {
      throw new RangeError(`Single '}' encountered in filename pattern '${pattern}'`);
    } else out += c;
  }
  return out;
}

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}
