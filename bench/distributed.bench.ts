/**
 * Distributed benchmark (docs/distributed.md uses its numbers to model 8 / 64 / 512 hosts):
 * 1. All-reduce (float32 SUM, kindling's addon: MPI_Iallreduce + test loop) of 4 KB .. 64 MB between 2 ranks on
 *    2 "hosts" (network namespaces joined by veth pairs, Open MPI's TCP transport), side by side with the same 2
 *    ranks on one host over shared memory (vader); interleaved rounds (tcp, shm, tcp, shm...), the median time per
 *    size. Bandwidth = bytes / time ("algorithm bandwidth"; a ring moves 2(p-1)/p of it per link).
 * 2. The share of a training step spent in the gradient all-reduce, for the CLI's MLP and CNN (global batch 64,
 *    32 per rank, cpu backend, SGD), over TCP between the 2 namespaces: per iteration, interleaved, a distributed
 *    step (autoOptim: all-reduce inside), the same step without the all-reduce, and the all-reduce alone.
 * Needs root (namespaces), Open MPI and the MPI addon; prints why and exits 0 when they are missing.
 * Run: npm run bench -- distributed
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import type { Optimizer, Tensor } from '@tensorflow/tfjs-core';
import type { MpiAddon } from '../src/distributed/context.js';
import type { Cluster } from '../test/distributed/netns/cluster.js';

const SIZES = [4, 16, 64, 256, 1024, 4096, 16384, 65536].map((kb) => kb * 1024);
const REPS: Record<number, number> = { 4096: 200, 16384: 100, 65536: 60, 262144: 30, 1048576: 10, 4194304: 5, 16777216: 3, 67108864: 3 };
const ROUNDS = 2;
const STEPS = 5;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function addon(): Promise<MpiAddon> {
  const r = (await import('../src/node/mpi.js')).loadMpiAddon();
  if (!('addon' in r)) throw new Error(r.reason);
  return r.addon;
}

/**
 * Rank 0 prints the median seconds of each size's all-reduce: kindling's (MPI_Iallreduce + test loop, which can
 * name a lost rank) and, interleaved, the blocking MPI_Allreduce (Open MPI's tuned algorithms).
 */
async function allReduceWorker(): Promise<void> {
  const a = await addon() as MpiAddon & { setBlocking(b: boolean): void };
  const { rank } = a.init();
  const out: Record<'nb' | 'blocking', Record<number, number>> = { nb: {}, blocking: {} };
  for (const bytes of SIZES) {
    const buf = new Float32Array(bytes / 4);
    a.allReduce(buf, 'SUM'); // warm-up: connections, first touch of the pages
    const times = { nb: [] as number[], blocking: [] as number[] };
    for (let r = 0; r < (REPS[bytes] ?? 3); r += 1) {
      for (const mode of ['nb', 'blocking'] as const) {
        a.setBlocking(mode === 'blocking');
        a.barrier();
        const t0 = performance.now();
        a.allReduce(buf, 'SUM');
        times[mode].push((performance.now() - t0) / 1000);
      }
    }
    a.setBlocking(false);
    out.nb[bytes] = median(times.nb);
    out.blocking[bytes] = median(times.blocking);
  }
  if (rank === 0) process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
  a.finalize();
}

/** Rank 0 prints, per model, the median step time with and without the gradient all-reduce, and the all-reduce. */
async function stepWorker(): Promise<void> {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-cpu');
  const idist = await import('../src/distributed/index.js');
  const { buildModel } = await import('../src/cli/models.js');
  (await import('../src/node/mpi.js')).installMpi();
  await new idist.Parallel({ backend: 'mpi' }).run(async () => {
    await tf.setBackend('cpu');
    const result: Record<string, unknown> = {};
    for (const name of ['mlp', 'cnn'] as const) {
      const model = idist.autoModel(buildModel(name));
      const params = model.countParams();
      const distributed = idist.autoOptim(tf.train.sgd(0.01));
      const local = tf.train.sgd(0.01);
      const x = tf.randomNormal([32, 28, 28]);
      const y = tf.oneHot(tf.randomUniform([32], 0, 10, 'int32'), 10);
      const step = (opt: Optimizer): number => {
        idist.barrier();
        const t0 = performance.now();
        const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as Tensor), true);
        loss?.dataSync();
        tf.dispose(loss ?? []);
        return performance.now() - t0;
      };
      const grads = new Float32Array(params);
      const times = { distributed: [] as number[], local: [] as number[], allReduce: [] as number[] };
      for (let i = 0; i < STEPS + 1; i += 1) {
        const d = step(distributed);
        const l = step(local);
        idist.barrier();
        const t0 = performance.now();
        idist.allReduceArray(grads);
        const ar = performance.now() - t0;
        if (i < 1) continue; // warm-up
        times.distributed.push(d);
        times.local.push(l);
        times.allReduce.push(ar);
      }
      result[name] = { params, distributedMs: median(times.distributed), localMs: median(times.local), allReduceMs: median(times.allReduce) };
      tf.dispose([x, y]);
    }
    if (idist.getRank() === 0) process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  });
}

function launch(kind: 'tcp' | 'shm', mode: string, cluster: Cluster): unknown {
  const program = [process.execPath, '--conditions=kindling-source', '--import', 'tsx', 'bench/distributed.bench.ts', mode];
  const r = kind === 'tcp'
    ? spawnSync('ip', ['netns', 'exec', cluster.hosts[0]!.ns, 'mpirun', ...cluster.mpirunArgs(), '-np', '2', ...program], { env: cluster.env(), encoding: 'utf8', timeout: 900_000 })
    : spawnSync('mpirun', ['--allow-run-as-root', '--oversubscribe', '--bind-to', 'none', '--mca', 'btl', 'self,vader', '-np', '2', ...program], { encoding: 'utf8', timeout: 900_000 });
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (line === undefined) throw new Error(`no result from ${kind} ${mode}:\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(line.slice(7));
}

async function main(): Promise<void> {
  const { mpiAvailability } = await import('../src/distributed/index.js');
  (await import('../src/node/mpi.js')).installMpi();
  const { createCluster, netnsUnavailable } = await import('../test/distributed/netns/cluster.js');
  const mpi = mpiAvailability();
  const why = !mpi.available ? mpi.reason : netnsUnavailable();
  if (why !== null) {
    console.log(`skipped: ${why}`);
    return;
  }
  const cpu = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? cpus()[0]?.model ?? 'unknown';
  console.log(`CPU: ${cpu}, ${cpus().length} cores; load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}; node ${process.version}`);
  const cluster = createCluster(2);
  try {
    type Times = Record<'nb' | 'blocking', Record<number, number>>;
    const rounds: Record<'tcp' | 'shm', Times[]> = { tcp: [], shm: [] };
    for (let r = 0; r < ROUNDS; r += 1) {
      rounds.tcp.push(launch('tcp', 'allreduce', cluster) as Times);
      rounds.shm.push(launch('shm', 'allreduce', cluster) as Times);
    }
    console.log(`\nall-reduce, float32 SUM, 2 ranks: TCP between 2 network namespaces (veth) and shared memory on one host;`);
    console.log(`kindling's (MPI_Iallreduce + test loop) vs blocking MPI_Allreduce interleaved; median over reps, median of ${ROUNDS} interleaved rounds`);
    console.log('     size |  TCP time |   TCP GB/s | TCP blocking | ratio |  shm time |   shm GB/s | shm blocking | TCP / shm');
    const table: Record<number, Record<string, number>> = {};
    const fmt = (s: number, w = 9): string => (s < 1e-3 ? `${(s * 1e6).toFixed(0)} us` : `${(s * 1e3).toFixed(2)} ms`).padStart(w);
    for (const bytes of SIZES) {
      const pick = (k: 'tcp' | 'shm', m: 'nb' | 'blocking'): number => median(rounds[k].map((x) => x[m][bytes] ?? NaN));
      const row = { tcp: pick('tcp', 'nb'), tcpBlocking: pick('tcp', 'blocking'), shm: pick('shm', 'nb'), shmBlocking: pick('shm', 'blocking') };
      table[bytes] = row;
      const label = bytes >= 1048576 ? `${bytes / 1048576} MB` : `${bytes / 1024} KB`;
      console.log(`${label.padStart(9)} | ${fmt(row.tcp)} | ${(bytes / row.tcp / 1e9).toFixed(3).padStart(10)} | ${fmt(row.tcpBlocking, 12)} | ${(row.tcp / row.tcpBlocking).toFixed(2).padStart(5)} | ${fmt(row.shm)} | ${(bytes / row.shm / 1e9).toFixed(3).padStart(10)} | ${fmt(row.shmBlocking, 12)} | ${(row.tcp / row.shm).toFixed(2)}x`);
    }
    const steps = launch('tcp', 'step', cluster) as Record<string, { params: number; distributedMs: number; localMs: number; allReduceMs: number }>;
    console.log(`\ntraining step (global batch 64 = 2 x 32, cpu backend, SGD), 2 ranks over TCP between namespaces; medians of ${STEPS} interleaved steps`);
    console.log('model | parameters | step with all-reduce | step without | all-reduce alone | share of the step');
    for (const [name, s] of Object.entries(steps)) {
      console.log(`${name.padEnd(5)} | ${String(s.params).padStart(10)} | ${s.distributedMs.toFixed(1).padStart(17)} ms | ${s.localMs.toFixed(1).padStart(9)} ms | ${s.allReduceMs.toFixed(2).padStart(13)} ms | ${((s.allReduceMs / s.distributedMs) * 100).toFixed(1)}% (step difference ${(((s.distributedMs - s.localMs) / s.distributedMs) * 100).toFixed(1)}%)`);
    }
    console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    mkdirSync('bench/results', { recursive: true });
    writeFileSync('bench/results/distributed.json', JSON.stringify({ date: new Date().toISOString(), cpu, cores: cpus().length, allReduce: table, steps }, null, 2));
  } finally {
    cluster.dispose();
  }
}

const mode = process.argv[2];
if (mode === 'allreduce') await allReduceWorker();
else if (mode === 'step') await stepWorker();
else await main();
