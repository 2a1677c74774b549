// Training off the main thread: the whole kindling run lives in this Web Worker, which posts progress, metrics and
// the dashboard's records to the page. Stop ends after the current iteration with a checkpoint in IndexedDB; the
// next start (a reload) resumes from it. webgl runs on an OffscreenCanvas here, wasm starts its own threads when
// the page is cross-origin isolated.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import {
  BaseLogger, Checkpoint, Events, IndexedDbSaver, decodeCheckpoint, deviceChoice, encodeCheckpoint, selectBackend,
  type LogRecord, type ScalarRecord,
} from '../../src/index.js';
import { digitUrls } from './digits.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { CLI_DEFAULTS, buildSession, loadSplits, testScore, type Session } from './session.js';

setWasmPaths({ 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded });

const post = (m: FromWorker, transfer: Transferable[] = []): void => self.postMessage(m, { transfer });
const saver = new IndexedDbSaver({ namespace: 'browser-example' });
let session: Session | null = null;
let stopping = false;

/** The records a dashboard logger would write, posted to the page (which draws them). */
class PostMessageLogger extends BaseLogger {
  protected write(records: readonly LogRecord[]): void {
    post({ type: 'records', records: records.filter((r): r is ScalarRecord => r.kind === 'scalar') });
  }
}

/** The resumable checkpoint in IndexedDB (the CLI's `last_*` name), or null. */
async function lastCheckpoint(): Promise<string | null> {
  return (await saver.list()).filter((n) => n.startsWith('last_')).at(-1) ?? null;
}

/** A macrotask: lets the worker receive 'stop' between iterations (a run awaits only microtasks on wasm and cpu). */
const macrotask = (): Promise<void> => new Promise((resolve) => {
  const ch = new MessageChannel();
  ch.port1.onmessage = () => resolve();
  ch.port2.postMessage(null);
});

async function resume(s: Session): Promise<void> {
  const name = await lastCheckpoint();
  if (name === null) return;
  const { bestCheckpoint, checkpointer, ...required } = s.toSave;
  await Checkpoint.loadObjects({ toLoad: required, checkpoint: name, handler: saver });
  // Optional, as for `kindling train --resume`: older checkpoints may lack them.
  await Checkpoint.loadObjects({ toLoad: { bestCheckpoint }, checkpoint: name, handler: saver }).catch(() => undefined);
  await Checkpoint.loadObjects({ toLoad: { checkpointer }, checkpoint: name, handler: saver }).catch(() => undefined);
  post({ type: 'resumed', checkpoint: name, epoch: s.trainer.state.epoch, iteration: s.trainer.state.iteration });
}

function report(s: Session, maxIterations: number | undefined): void {
  let yielded = performance.now();
  s.trainer.on(Events.ITERATION_COMPLETED, async (e) => {
    const epochLength = e.state.epochLength ?? 0;
    post({ type: 'progress', epoch: e.state.epoch, iteration: e.state.iteration, epochLength, loss: e.state.output as number });
    if (maxIterations !== undefined && e.state.iteration >= maxIterations) stop();
    if (performance.now() - yielded > 20) {
      await macrotask();
      yielded = performance.now();
    }
  });
  s.evaluator.on(Events.COMPLETED, (e) => {
    if (s.evaluator.shouldTerminate === 'skip_completed') return;
    post({ type: 'epoch', epoch: s.trainer.state.epoch, accuracy: e.state.metrics['accuracy'] as number, loss: e.state.metrics['loss'] as number });
  });
  const logger = new PostMessageLogger();
  logger.attachOutputHandler(s.trainer, { tag: 'training', metricNames: ['loss'], event: Events.ITERATION_COMPLETED({ every: 10 }) });
  logger.attachOutputHandler(s.evaluator, { tag: 'validation', metricNames: ['accuracy', 'loss'], event: Events.COMPLETED, globalStepTransform: () => s.trainer.state.iteration });
}

function stop(): void {
  if (session === null || stopping) return;
  stopping = true;
  session.trainer.terminate();
  session.evaluator.terminate({ skipCompleted: true });
}

async function start(m: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  const backend = await selectBackend(m.backend);
  const choice = deviceChoice();
  post({ type: 'choice', backend, reason: choice?.reason ?? `device '${m.backend}'`, skipped: [...(choice?.skipped ?? [])] });
  post({ type: 'status', text: 'loading the digits...' });
  const data = await loadSplits(async (d) => ((await (await fetch(digitUrls[d] as string)).json()) as { data: number[] }).data, m.perDigit);
  const opts = { ...CLI_DEFAULTS, epochs: m.epochs, seed: m.seed, nonBlocking: true, amp: m.amp === true };
  const s = buildSession(data, opts, backend, saver);
  session = s;
  report(s, m.maxIterations);
  await resume(s);
  post({ type: 'status', text: `training on ${data.train.length} digits, backend ${backend}` });
  await s.trainer.run(s.loader, { maxEpochs: opts.epochs });
  if (stopping) {
    await s.resumable.handle(s.trainer);
    post({ type: 'stopped', checkpoint: s.resumable.lastCheckpoint, iteration: s.trainer.state.iteration });
    return;
  }
  const score = await testScore(s.model, data, backend);
  post({ type: 'done', ...score, iteration: s.trainer.state.iteration, checkpoint: s.resumable.lastCheckpoint });
}

async function exportCheckpoint(): Promise<void> {
  const name = await lastCheckpoint();
  const bytes = name === null ? null : (await encodeCheckpoint(await saver.load(name))).slice().buffer;
  post({ type: 'checkpoint', name: name ?? '', bytes }, bytes === null ? [] : [bytes]);
}

async function importCheckpoint(name: string, bytes: ArrayBuffer): Promise<void> {
  const checkpoint = await decodeCheckpoint(bytes, name); // checks the format and checksum before anything is replaced
  const target = name.startsWith('last_') ? name : `last_${name}`;
  await saver.save(checkpoint, target);
  for (const old of await saver.list()) if (old !== target) await saver.remove(old);
  post({ type: 'imported', name: target });
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const m = event.data;
  const run = m.type === 'start' ? start(m) : m.type === 'stop' ? Promise.resolve(stop()) : m.type === 'export' ? exportCheckpoint() : importCheckpoint(m.name, m.bytes);
  run.catch((e: unknown) => post({ type: 'error', message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }));
};
