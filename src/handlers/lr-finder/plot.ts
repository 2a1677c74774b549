/**
 * @module The LR finder's plot as data and as SVG: port of `FastaiLRFinder.plot` in ignite/handlers/lr_finder.py.
 * Deviations: no matplotlib; `lrFinderPlotData` returns what Ignite draws (trimmed curve, x range, suggestion
 * marker) and `lrFinderSvg` renders it as a standalone SVG document (browser-safe; kindling/node writes the file).
 */

/** Options of `FastaiLRFinder.plot`. */
export interface LrFinderPlotOptions {
  /** Points trimmed from the start. @defaultValue 10 */
  skipStart?: number;
  /** Points trimmed from the end. @defaultValue 5 */
  skipEnd?: number;
  /** Logarithmic learning-rate axis. @defaultValue true */
  logLr?: boolean;
  /** Mark the suggested learning rate. @defaultValue true */
  displaySuggestion?: boolean;
}

/** The LR finder curve, ready to draw. */
export interface LrFinderPlotData {
  /** Learning rates of the plotted points. */
  lrs: number[];
  /** Smoothed losses of the plotted points. */
  losses: number[];
  /** Whether the x axis is logarithmic. */
  logLr: boolean;
  /** The x axis range `[first lr, last lr]`. */
  xLim: [number, number];
  /** The suggested point (drawn in red), when requested. */
  suggestion?: { lr: number; loss: number };
  /** Set when the suggestion falls in the trimmed start (Ignite's warning), with the fix. */
  warning?: string;
}

/**
 * Builds the plot data of an LR finder curve.
 *
 * @param history - the curve (`FastaiLRFinder.getResults()`).
 * @param suggestedLr - the suggested learning rate to mark, or undefined.
 * @param options - trimming and axis options.
 * @returns the data to draw.
 * @throws RangeError for negative `skipStart` or `skipEnd`.
 */
export function lrFinderPlotData(
  history: { readonly lr: readonly number[]; readonly loss: readonly number[] },
  suggestedLr: number | undefined,
  options: LrFinderPlotOptions = {},
): LrFinderPlotData {
  const { skipStart = 10, skipEnd = 5, logLr = true } = options;
  if (skipStart < 0) throw new RangeError(`skipStart cannot be negative, got ${skipStart}`);
  if (skipEnd < 0) throw new RangeError(`skipEnd cannot be negative, got ${skipEnd}`);
  const end = history.lr.length - skipEnd;
  const lrs = history.lr.slice(skipStart, Math.max(skipStart, end));
  const losses = history.loss.slice(skipStart, Math.max(skipStart, end));
  const data: LrFinderPlotData = { lrs, losses, logLr, xLim: [lrs[0] ?? NaN, lrs[lrs.length - 1] ?? NaN] };
  if (suggestedLr !== undefined) {
    const idx = history.lr.indexOf(suggestedLr);
    data.suggestion = { lr: suggestedLr, loss: history.loss[idx] as number };
    if (skipStart >= idx) {
      data.warning = 'skipStart is larger than the suggested LR found and it will not be visible on the plot. ' +
        'Please, make the value smaller.';
    }
  }
  return data;
}

function fmt(v: number): string {
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? String(Number(v.toPrecision(3))) : v.toExponential(1);
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Renders LR finder plot data as a standalone SVG document (loss against learning rate, suggestion in red).
 *
 * @param data - from `FastaiLRFinder.plot()`.
 * @param options - `width` (640), `height` (400), `title`.
 * @returns the SVG text.
 */
export function lrFinderSvg(data: LrFinderPlotData, options: { width?: number; height?: number; title?: string } = {}): string {
  const { width = 640, height = 400, title = 'Learning rate finder' } = options;
  const m = { left: 64, right: 16, top: 32, bottom: 48 };
  const tx = (v: number): number => (data.logLr ? Math.log10(v) : v);
  const finiteLoss = data.losses.filter(Number.isFinite);
  const [x0, x1] = [tx(data.xLim[0]), tx(data.xLim[1])];
  const [y0, y1] = [Math.min(...finiteLoss), Math.max(...finiteLoss)];
  const sx = (v: number): number => m.left + ((tx(v) - x0) / (x1 - x0 || 1)) * (width - m.left - m.right);
  const sy = (v: number): number => height - m.bottom - ((v - y0) / (y1 - y0 || 1)) * (height - m.top - m.bottom);
  const points = data.lrs
    .map((lr, i) => [lr, data.losses[i] as number] as const)
    .filter(([, loss]) => Number.isFinite(loss))
    .map(([lr, loss]) => `${sx(lr).toFixed(1)},${sy(loss).toFixed(1)}`)
    .join(' ');
  const s = data.suggestion;
  const marker = s !== undefined && s.lr >= data.xLim[0] && s.lr <= data.xLim[1]
    ? `<circle cx="${sx(s.lr).toFixed(1)}" cy="${sy(s.loss).toFixed(1)}" r="5" fill="red"><title>suggested lr ${fmt(s.lr)}</title></circle>` +
      `<text x="${(sx(s.lr) + 8).toFixed(1)}" y="${(sy(s.loss) - 8).toFixed(1)}" fill="red">suggested lr ${fmt(s.lr)}</text>`
    : '';
  const bottom = height - m.bottom;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`,
    `<line x1="${m.left}" y1="${bottom}" x2="${width - m.right}" y2="${bottom}" stroke="black"/>`,
    `<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${bottom}" stroke="black"/>`,
    `<text x="${m.left}" y="${bottom + 16}">${fmt(data.xLim[0])}</text>`,
    `<text x="${width - m.right}" y="${bottom + 16}" text-anchor="end">${fmt(data.xLim[1])}</text>`,
    `<text x="${width / 2}" y="${height - 10}" text-anchor="middle">Learning rate${data.logLr ? ' (log scale)' : ''}</text>`,
    `<text x="${m.left - 6}" y="${m.top + 4}" text-anchor="end">${fmt(y1)}</text>`,
    `<text x="${m.left - 6}" y="${bottom}" text-anchor="end">${fmt(y0)}</text>`,
    `<text transform="translate(16 ${height / 2}) rotate(-90)" text-anchor="middle">Loss</text>`,
    `<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="${points}"/>`,
    marker,
    '</svg>',
    '',
  ].join('\n');
}
