import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { DataLoader } from '../../src/data/dataloader.js';
import { webWorkerEndpoint, webWorkerSpawner, type WebWorkerLike, type WorkerScopeLike } from '../../src/data/web-workers.js';
import { runWorker } from '../../src/data/worker-runtime.js';
import { manualSeed } from '../../src/random/index.js';
import { makeNoisy } from './fixtures/worker-datasets.js';

/** A Web Worker stand-in: the worker script (runWorker over webWorkerEndpoint) runs in this thread; messages are structured-cloned asynchronously, buffers transferred. */
function fakeWorker(): WebWorkerLike {
  const scope: WorkerScopeLike = {
    onmessage: null,
    postMessage: (message, transfer) => {
      const data = structuredClone(message, { transfer: transfer as ArrayBuffer[] });
      setTimeout(() => worker.onmessage?.({ data } as MessageEvent));
    },
  };
  const worker: WebWorkerLike = {
    onmessage: null,
    onerror: null,
    postMessage: (message) => {
      const data = structuredClone(message);
      setTimeout(() => scope.onmessage?.({ data } as MessageEvent));
    },
    terminate: () => {
      scope.onmessage = null;
    },
  };
  runWorker(webWorkerEndpoint(scope));
  return worker;
}

describe('webWorkerSpawner', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('runs the pool over Web Workers: same batches as in-process, buffers transferred back', async () => {
    const module = new URL('./fixtures/worker-datasets.ts', import.meta.url);
    const read = async (loader: DataLoader): Promise<number[][]> => {
      manualSeed(3);
      const out: number[][] = [];
      for await (const [x, y] of loader as AsyncIterable<[tf.Tensor, tf.Tensor]>) out.push([...(await x.data()), ...(await y.data())]);
      loader.dispose();
      return out;
    };
    const reference = await read(new DataLoader(makeNoisy(10), { batchSize: 3, shuffle: true }));
    const created: string[] = [];
    const spawner = webWorkerSpawner('/data-worker.js', (url, name) => {
      created.push(`${String(url)} ${name}`);
      return fakeWorker();
    });
    const viaWorkers = await read(
      new DataLoader(makeNoisy(10), { batchSize: 3, shuffle: true, numWorkers: 2, workerSpawner: spawner, workerDataset: { module, exportName: 'makeNoisy', args: [10] } }),
    );
    assert.deepEqual(viaWorkers, reference);
    assert.deepEqual(created, ['/data-worker.js kindling DataLoader worker 0', '/data-worker.js kindling DataLoader worker 1']);
  });

  it('treats an uncaught error of a Web Worker as its crash: replaced, its batch retried', async () => {
    const module = new URL('./fixtures/worker-datasets.ts', import.meta.url);
    let spawned = 0;
    const spawner = webWorkerSpawner('/w.js', () => {
      spawned += 1;
      const w = fakeWorker();
      if (spawned === 1) {
        const post = w.postMessage.bind(w);
        w.postMessage = (m) => {
          if ((m as { type: string }).type === 'task') setTimeout(() => w.onerror?.({ message: 'boom', preventDefault: () => undefined } as ErrorEvent));
          else post(m);
        };
      }
      return w;
    });
    const loader = new DataLoader(makeNoisy(6), { batchSize: 3, numWorkers: 1, workerSpawner: spawner, workerDataset: { module, exportName: 'makeNoisy', args: [6] } });
    const firsts: number[] = [];
    for await (const [x] of loader as AsyncIterable<[tf.Tensor]>) firsts.push((await x.data())[0] ?? -1);
    loader.dispose();
    assert.deepEqual(firsts, [0, 3]);
    assert.equal(spawned, 2);
  });
});
