/**
 * @module The dashboard's single page: plain HTML and a small script that receives records over server-sent events
 * and draws one uPlot chart per tag (one series per run), plus a progress bar per run.
 * The page exposes `window.kindlingDashboard.points` (tag -> run -> number of points) for end-to-end tests.
 * Tags and run names are data: they live in `Map`s (the exposed `points` objects have no prototype), so a tag such
 * as `__proto__` is charted like any other; records without a string tag or a number value are skipped and counted.
 * Memory and redraw cost are bounded whatever the run's length: a series that reaches 2 * MAX_POINTS points is
 * compacted to MAX_POINTS by averaging neighbouring pairs (x: the later step), so old history keeps its shape at half
 * the resolution. `points` counts the records received; a chart's `data-points` counts what it draws.
 */

const SCRIPT = String.raw`
const MAX_POINTS = 4000;    // per series and chart: between MAX_POINTS and 2 * MAX_POINTS points are drawn
const charts = new Map();   // tag -> { el, plot, runs: Map(run -> {x: [], y: []}) }
const progress = new Map(); // run -> Map(field -> value): epoch, maxEpochs, iteration, epochLength
const points = Object.create(null); // tag -> run -> count, prototype-free (tags are data)
window.kindlingDashboard = { points, records: 0, skipped: 0 };
const palette = ['#e4572e', '#17bebb', '#4c6ef5', '#ffc914', '#76b041', '#b5179e', '#2e282a'];
const runColor = new Map();
function colorOf(run) {
  if (!runColor.has(run)) runColor.set(run, palette[runColor.size % palette.length]);
  return runColor.get(run);
}
function order(tag) {
  if (/loss/i.test(tag)) return 0;
  if (/^(validation|val|test|eval)/i.test(tag)) return 1;
  if (/lr|learning/i.test(tag)) return 3;
  if (/throughput|per_s/i.test(tag)) return 4;
  return 2;
}
function chartFor(tag) {
  let c = charts.get(tag);
  if (c) return c;
  const el = document.createElement('section');
  el.className = 'chart';
  el.dataset.tag = tag;
  el.innerHTML = '<h2></h2><div class="plot"></div>';
  el.querySelector('h2').textContent = tag;
  el.style.order = String(order(tag));
  document.getElementById('charts').appendChild(el);
  c = { el, plot: null, runs: new Map(), dirty: true };
  charts.set(tag, c);
  return c;
}
function redraw(c, tag) {
  const runs = [...c.runs.entries()];
  const data = uPlot.join(runs.map(([, s]) => [s.x, s.y]));
  const width = c.el.clientWidth - 16;
  if (!c.plot || c.plot.series.length !== runs.length + 1) {
    if (c.plot) c.plot.destroy();
    const opts = {
      width, height: 220,
      scales: { x: { time: false } },
      series: [{ label: 'step' }, ...runs.map(([run]) => ({ label: run, stroke: colorOf(run), width: 2, spanGaps: true }))],
      axes: [{}, { size: 60 }],
    };
    c.plot = new uPlot(opts, data, c.el.querySelector('.plot'));
  } else {
    c.plot.setData(data);
  }
  c.el.dataset.points = String(runs.reduce((n, [, s]) => n + s.x.length, 0));
}
function updateProgress() {
  const box = document.getElementById('progress');
  box.innerHTML = '';
  for (const [run, m] of progress) {
    const p = { epoch: m.get('epoch'), maxEpochs: m.get('maxEpochs'), iteration: m.get('iteration'), epochLength: m.get('epochLength') };
    const total = (p.maxEpochs || 1) * (p.epochLength || 1);
    const frac = p.epochLength ? Math.min(1, p.iteration / total) : 0;
    const row = document.createElement('div');
    row.className = 'progress-row';
    row.dataset.run = run;
    row.innerHTML = '<span class="run"></span><div class="bar"><div></div></div><span class="txt"></span>';
    row.querySelector('.run').textContent = run;
    row.querySelector('.bar div').style.width = (100 * frac).toFixed(1) + '%';
    row.querySelector('.bar div').style.background = colorOf(run);
    row.querySelector('.txt').textContent =
      'epoch ' + (p.epoch ?? '?') + '/' + (p.maxEpochs ?? '?') + ', iteration ' + (p.iteration ?? '?');
    box.appendChild(row);
  }
}
let scheduled = false;
function schedule() {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    for (const [tag, c] of charts) if (c.dirty) { c.dirty = false; redraw(c, tag); }
    updateProgress();
  });
}
function add(run, r) {
  if (r === null || typeof r !== 'object' || r.kind !== 'scalar' || typeof r.tag !== 'string' ||
      typeof r.value !== 'number' || typeof r.step !== 'number') {
    window.kindlingDashboard.skipped++;
    return;
  }
  window.kindlingDashboard.records++;
  // progress/* feeds the progress bars, not charts.
  if (r.tag.startsWith('progress/')) {
    if (!progress.has(run)) progress.set(run, new Map());
    progress.get(run).set(r.tag.slice('progress/'.length), r.value);
    return;
  }
  const c = chartFor(r.tag);
  let s = c.runs.get(run);
  if (!s) { s = { x: [], y: [], received: 0 }; c.runs.set(run, s); }
  s.x.push(r.step);
  s.y.push(r.value);
  s.received++;
  if (s.x.length >= 2 * MAX_POINTS) compact(s);
  c.dirty = true;
  if (!Object.hasOwn(points, r.tag)) points[r.tag] = Object.create(null);
  points[r.tag][run] = s.received;
}
function compact(s) {
  const n = s.x.length >> 1;
  const x = new Array(n), y = new Array(n);
  for (let i = 0; i < n; i++) { x[i] = s.x[2 * i + 1]; y[i] = (s.y[2 * i] + s.y[2 * i + 1]) / 2; }
  if (s.x.length % 2 === 1) { x.push(s.x[s.x.length - 1]); y.push(s.y[s.y.length - 1]); }
  s.x = x;
  s.y = y;
}
const source = new EventSource('/events');
source.onmessage = (ev) => {
  let msg;
  try { msg = JSON.parse(ev.data); } catch { window.kindlingDashboard.skipped++; return; }
  if (msg === null || typeof msg.run !== 'string' || !Array.isArray(msg.records)) { window.kindlingDashboard.skipped++; return; }
  for (const r of msg.records) add(msg.run, r);
  const k = window.kindlingDashboard;
  document.getElementById('status').textContent = 'live: ' + k.records + ' points' + (k.skipped ? ', ' + k.skipped + ' bad records skipped' : '');
  schedule();
};
source.onerror = () => { document.getElementById('status').textContent = 'disconnected (training finished?)'; };
`;

/**
 * Returns the dashboard page.
 *
 * @returns the HTML document.
 */
export function dashboardPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>kindling dashboard</title>
<link rel="stylesheet" href="/uplot.css">
<style>
  body { font-family: system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #222; }
  header { display: flex; align-items: baseline; gap: 1rem; padding: 0.8rem 1.2rem; background: #222; color: #fff; }
  header h1 { font-size: 1.2rem; margin: 0; }
  #status { font-size: 0.9rem; opacity: 0.8; }
  #progress { padding: 0.6rem 1.2rem; }
  .progress-row { display: flex; align-items: center; gap: 0.8rem; margin: 0.2rem 0; }
  .progress-row .run { min-width: 8rem; font-weight: 600; }
  .bar { flex: 1; height: 0.8rem; background: #ddd; border-radius: 0.4rem; overflow: hidden; }
  .bar div { height: 100%; }
  #charts { display: flex; flex-wrap: wrap; gap: 1rem; padding: 0 1.2rem 1.2rem; }
  .chart { background: #fff; border-radius: 0.5rem; padding: 0.5rem; width: calc(50% - 1.6rem); min-width: 380px;
    box-shadow: 0 1px 3px rgba(0,0,0,0.12); }
  .chart h2 { font-size: 0.95rem; margin: 0.2rem 0.4rem 0.4rem; }
</style>
</head>
<body>
<header><h1>kindling</h1><span id="status">connecting...</span></header>
<div id="progress"></div>
<main id="charts"></main>
<script src="/uplot.js"></script>
<script>${SCRIPT}</script>
</body>
</html>`;
}
