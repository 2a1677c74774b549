// The dataset of bench/data.bench.ts, in its own module so DataLoader workers can import it: real PNG files
// decoded with sharp, RandomCrop(32, padding 4) + RandomHorizontalFlip + ToTensor + Normalize (CIFAR's recipe).
import type { MapDataset } from '../src/data/dataloader.js';
import { readCifar } from '../src/node/data/cifar.js';
import { ImageFolder } from '../src/node/data/image-folder.js';
import { Compose, Normalize, RandomCrop, RandomHorizontalFlip, ToTensor } from '../src/transforms/index.js';

const augment = (): Compose => new Compose([new RandomCrop(32, { padding: 4 }), new RandomHorizontalFlip(), new ToTensor(), new Normalize([0.49, 0.48, 0.45], [0.25, 0.24, 0.26])]);

/** The benchmark's ImageFolder over `root/png` (PNG files decoded with sharp on access). */
export function makeBenchSet(root: string): ImageFolder<unknown> {
  return new ImageFolder(`${root}/png`, { transform: augment() });
}

/** The same images as a CIFAR-10 binary file (`root/cifar`): no decode, the transforms only. */
export async function makeCifarBenchSet(root: string): Promise<MapDataset<unknown>> {
  return (await readCifar(`${root}/cifar`, { variant: 10, transform: augment() })).train;
}
