// The dataset of examples/image-folder.ts, in its own module so DataLoader workers can import it and rebuild it.
import { ImageFolder } from '../src/node/data/image-folder.js';
import { CenterCrop, Compose, RandomHorizontalFlip, Resize, ToTensor } from '../src/transforms/index.js';

/** An ImageFolder whose images are resized (shorter side), center-cropped to size x size, flipped at random, in [0, 1]. */
export function makeImageFolder(root: string, size: number) {
  return new ImageFolder(root, { transform: new Compose([new Resize(size), new CenterCrop(size), new RandomHorizontalFlip(), new ToTensor()]) });
}
