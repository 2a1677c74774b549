// kindling in the browser: the CLI's MLP run (`kindling train --model mlp`) trained in a Web Worker (worker.ts) with
// the same API as in Node, on the backend `device: 'auto'` picks (webgpu, webgl, wasm with kindling's kernels, cpu:
// the choice and the reason are shown). The page only draws what the worker posts, so it never blocks. Stop ends
// after the current iteration with a checkpoint in IndexedDB that a reload resumes; Download / Upload move that
// checkpoint to and from the Node CLI (`kindling evaluate`, `kindling train --resume`). Build with vite:
//   npx vite examples/browser          (dev server)     npx vite build examples/browser   (static files)
// URL parameters: backend (auto), epochs (1), perDigit (all digits), seed (0), maxIterations (stop after it), amp (1:
// autocast).
import type { FromWorker, ToWorker } from './protocol.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
const num = (name: string): number | undefined => (params.has(name) ? Number(params.get(name)) : undefined);
const losses: number[] = [];
const records: { tag: string; step: number; value: number }[] = [];
/** For tests and curious users: every message the worker posted, and when (performance.now()). */
const log: FromWorker[] = [];
const times: number[] = [];
Object.assign(window, { kindling: { losses, records, log, times } });

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (m: ToWorker, transfer: Transferable[] = []): void => worker.postMessage(m, transfer);

function drawLoss(canvas: HTMLCanvasElement): void {
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const max = Math.max(...losses, 1e-6);
  ctx.strokeStyle = '#e4572e';
  ctx.lineWidth = 2;
  ctx.beginPath();
  losses.forEach((l, i) => {
    const x = (i / Math.max(losses.length - 1, 1)) * (canvas.width - 20) + 10;
    const y = canvas.height - 10 - (l / max) * (canvas.height - 20);
    if (i === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  });
  ctx.stroke();
  ctx.fillStyle = '#222';
  ctx.fillText(`loss ${losses.at(-1)?.toFixed(3) ?? ''}`, canvas.width - 90, 16);
}

let drawPending = false;
function scheduleDraw(): void {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    drawLoss($<HTMLCanvasElement>('loss'));
  });
}

function finish(state: string, text: string, data: Record<string, string> = {}): void {
  const result = $('result');
  result.textContent = text;
  Object.assign(result.dataset, data, { state });
  $<HTMLButtonElement>('stop').disabled = true;
}

function download(name: string, bytes: ArrayBuffer): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  a.download = name.split('/').pop() ?? 'checkpoint.ckpt';
  a.click();
  URL.revokeObjectURL(a.href);
}

const handlers: { [K in FromWorker['type']]: (m: Extract<FromWorker, { type: K }>) => void } = {
  choice: (m) => {
    $('backend').textContent = `backend ${m.backend}: ${m.reason}` + m.skipped.map((s) => `; not ${s.backend}: ${s.reason}`).join('');
    $('backend').dataset['backend'] = m.backend;
  },
  status: (m) => void ($('status').textContent = m.text),
  resumed: (m) => void ($('resumed').textContent = `resumed from ${m.checkpoint} at epoch ${m.epoch}, iteration ${m.iteration}`),
  progress: (m) => {
    losses.push(m.loss);
    const progress = $<HTMLProgressElement>('progress');
    progress.max = m.epochLength;
    progress.value = m.iteration - (m.epoch - 1) * m.epochLength;
    progress.dataset['iteration'] = String(m.iteration);
    scheduleDraw();
  },
  records: (m) => void records.push(...m.records.map(({ tag, step, value }) => ({ tag, step, value }))),
  epoch: (m) => void ($('epoch').textContent = `epoch ${m.epoch}: validation accuracy ${m.accuracy.toFixed(3)}, loss ${m.loss.toFixed(3)}`),
  stopped: (m) => finish('stopped', `stopped at iteration ${m.iteration}; checkpoint ${m.checkpoint ?? 'none'} in IndexedDB (reload to resume)`,
    { iteration: String(m.iteration) }),
  done: (m) => finish('done', `test accuracy ${m.accuracy.toFixed(3)} (loss ${m.loss.toFixed(3)}) after ${m.iteration} iterations`,
    { accuracy: String(m.accuracy), iteration: String(m.iteration) }),
  checkpoint: (m) => {
    if (m.bytes === null) $('status').textContent = 'no checkpoint in IndexedDB yet';
    else download(m.name, m.bytes);
  },
  imported: (m) => void ($('status').textContent = `stored ${m.name}: reload to resume from it`),
  error: (m) => finish('error', `error: ${m.message}`),
};

worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const m = event.data;
  log.push(m);
  times.push(performance.now());
  (handlers[m.type] as (m: FromWorker) => void)(m);
};
worker.onerror = (e) => finish('error', `error: ${e.message}`);

$('stop').addEventListener('click', () => send({ type: 'stop' }));
$('download').addEventListener('click', () => send({ type: 'export' }));
$<HTMLInputElement>('upload').addEventListener('change', (e) => {
  const file = (e.target as HTMLInputElement).files?.[0];
  if (file !== undefined) void file.arrayBuffer().then((bytes) => send({ type: 'import', name: file.name, bytes }, [bytes]));
});

// The first canvas text loads the fonts (tens of ms): done now, before the worker starts training.
drawLoss($<HTMLCanvasElement>('loss'));
const maxIterations = num('maxIterations'), perDigit = num('perDigit');
send({
  type: 'start', backend: params.get('backend') ?? 'auto', epochs: num('epochs') ?? 1, seed: num('seed') ?? 0, amp: params.get('amp') === '1',
  ...(perDigit !== undefined ? { perDigit } : {}), ...(maxIterations !== undefined ? { maxIterations } : {}),
});
