// The dataset of examples/cifar10-workers.ts, in its own module: DataLoader workers cannot receive the dataset
// object (closures do not cross threads), so each worker imports this module and calls makeTrainSet(dir) itself.
// Every random transform draws from the generator the loader passes each sample (derived from the epoch's seed and
// the sample index), so the augmented batches are the same with 0, 1 or 2 workers.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCifar } from '../src/node/data/cifar.js';
import { Compose, Normalize, RandomCrop, RandomHorizontalFlip, ToTensor } from '../src/transforms/index.js';

const MEAN = [0.4914, 0.4822, 0.4465];
const STD = [0.247, 0.243, 0.261];

/** CIFAR-10 training set with the classic augmentation: 4-pixel padded random crop, horizontal flip, normalize. */
export async function makeTrainSet(dir: string) {
  const transform = new Compose([new RandomCrop(32, { padding: 4 }), new RandomHorizontalFlip(), new ToTensor(), new Normalize(MEAN, STD)]);
  return (await readCifar(dir, { variant: 10, transform })).train;
}

/** CIFAR-10 test set, normalized only. */
export async function makeTestSet(dir: string) {
  return (await readCifar(dir, { variant: 10, transform: new Compose([new ToTensor(), new Normalize(MEAN, STD)]) })).test;
}

/**
 * Writes small files in CIFAR-10's binary format (a label byte + 3072 CHW bytes per image): each class is a colour
 * with noise, so a small CNN learns it in one epoch.
 */
export function writeFakeCifar(dir: string, nTrain: number, nTest: number): void {
  let s = 7;
  const rand = (): number => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const write = (name: string, n: number): void => {
    const bytes = new Uint8Array(n * 3073);
    for (let i = 0; i < n; i += 1) {
      const y = i % 10;
      bytes[i * 3073] = y;
      for (let c = 0; c < 3; c += 1) {
        const base = ((y >> c) & 1) * 160 + (y % 3) * 30;
        for (let p = 0; p < 1024; p += 1) bytes[i * 3073 + 1 + c * 1024 + p] = Math.min(255, base + Math.floor(rand() * 60));
      }
    }
    writeFileSync(join(dir, name), bytes);
  };
  write('data_batch_1.bin', nTrain);
  write('test_batch.bin', nTest);
}
