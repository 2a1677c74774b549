/**
 * Data-parallel throughput: the same MLP training (784-256-10, global batch 256, SGD, cpu backend) under
 * `mpirun -np 1` and `mpirun -np 2`, interleaved (1, 2, 1, 2, ...), fixed step count, minimum and median of the
 * samples/s reported by rank 0. Each process is one TF.js cpu thread, so 2 processes can use 2 cores; the
 * all-reduce of the ~200k gradients per step is the cost of going parallel.
 * Needs the MPI addon and mpirun; prints why and exits 0 when they are missing.
 * Run: npm run bench -- distributed
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';

const STEPS = 30;
const WARMUP = 5;
const ROUNDS = 3;
const GLOBAL_BATCH = 256;

async function worker(): Promise<void> {
  const tf = await import('@tensorflow/tfjs-core');
  const tfl = await import('@tensorflow/tfjs-layers');
  await import('@tensorflow/tfjs-backend-cpu');
  const { RandomGenerator, TensorDataset, createSupervisedTrainer, crossEntropyLoss, Events } = await import('../src/index.js');
  const idist = await import('../src/distributed/index.js');
  (await import('../src/node/mpi.js')).installMpi();
  await new idist.Parallel({ backend: 'mpi' }).run(async () => {
    await tf.setBackend('cpu');
    const n = GLOBAL_BATCH * (STEPS + WARMUP);
    const g = new RandomGenerator(1);
    const x = Float32Array.from({ length: n * 784 }, () => g.random());
    const y = Int32Array.from({ length: n }, () => g.randint(0, 10));
    const ds = new TensorDataset(tf.tensor2d(x, [n, 784]), tf.tensor1d(y, 'int32'));
    const loader = idist.autoDataloader(ds, { batchSize: GLOBAL_BATCH });
    const model = idist.autoModel(tfl.sequential({ layers: [
      tfl.layers.dense({ units: 256, activation: 'relu', inputShape: [784] }), tfl.layers.dense({ units: 10 }),
    ] }));
    const trainer = createSupervisedTrainer(model, idist.autoOptim(tf.train.sgd(0.01)), crossEntropyLoss);
    let t0 = 0;
    trainer.on(Events.ITERATION_COMPLETED({ once: WARMUP }), () => {
      idist.barrier();
      t0 = performance.now();
    });
    await trainer.run(loader, { maxEpochs: 1 });
    idist.barrier();
    const seconds = (performance.now() - t0) / 1000;
    if (idist.getRank() === 0) process.stdout.write(`RESULT ${JSON.stringify({ samplesPerSecond: (STEPS * GLOBAL_BATCH) / seconds })}\n`);
  });
}

function measure(np: number): number {
  const args = ['-np', String(np), '--oversubscribe', '--mca', 'btl', 'self,vader', '--bind-to', 'none'];
  if (process.getuid?.() === 0) args.unshift('--allow-run-as-root');
  const out = execFileSync('mpirun', [...args, process.execPath, '--import', 'tsx', 'bench/distributed.bench.ts', 'worker'], { encoding: 'utf8' });
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (line === undefined) throw new Error(`no result from mpirun -np ${np}:\n${out}`);
  return (JSON.parse(line.slice(7)) as { samplesPerSecond: number }).samplesPerSecond;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

async function main(): Promise<void> {
  const { mpiAvailability } = await import('../src/distributed/index.js');
  (await import('../src/node/mpi.js')).installMpi();
  const mpi = mpiAvailability();
  if (!mpi.available || spawnSync('mpirun', ['--version'], { stdio: 'ignore' }).status !== 0) {
    console.log(`skipped: ${mpi.available ? 'mpirun not found' : mpi.reason}`);
    return;
  }
  const one: number[] = [];
  const two: number[] = [];
  for (let r = 0; r < ROUNDS; r += 1) {
    one.push(measure(1));
    two.push(measure(2));
  }
  const results = {
    np1: { min: Math.min(...one), median: median(one) },
    np2: { min: Math.min(...two), median: median(two) },
    speedupMedian: median(two) / median(one),
  };
  console.log(`distributed MLP 784-256-10, global batch ${GLOBAL_BATCH}, ${STEPS} steps x ${ROUNDS} interleaved rounds, ${cpus().length} cores (node ${process.version})`);
  console.log('processes | samples/s (min / median)');
  console.log(`        1 | ${one.map((v) => v.toFixed(0)).join(', ')} -> ${results.np1.min.toFixed(0)} / ${results.np1.median.toFixed(0)}`);
  console.log(`        2 | ${two.map((v) => v.toFixed(0)).join(', ')} -> ${results.np2.min.toFixed(0)} / ${results.np2.median.toFixed(0)}`);
  console.log(`speedup (median, 2 vs 1): ${results.speedupMedian.toFixed(2)}x`);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/distributed.json', JSON.stringify({ date: new Date().toISOString(), STEPS, ROUNDS, GLOBAL_BATCH, results }, null, 2));
}

if (process.argv[2] === 'worker') await worker();
else await main();
