/**
 * @module Port of torchvision/transforms (the v1 API: Compose, ToTensor, Normalize, Resize, CenterCrop, RandomCrop,
 * RandomResizedCrop, RandomHorizontalFlip, RandomVerticalFlip, RandomRotation, ColorJitter, RandomErasing, Lambda)
 * and the matching functional helpers, on typed-array images. Browser-safe: no Node built-ins and no TensorFlow.js.
 * Deviations: images are {@link NdArray}s in HWC (or NHWC: one set of random parameters per batch), uint8 or
 * float32; every random transform draws from a kindling `RandomGenerator` passed as `apply(image, rng)` (default
 * the global generator), so `manualSeed` and per-sample generators reproduce them, but the draws differ from
 * PyTorch's for the same seed. See each file for its own deviations.
 */
export {
  applyTransform,
  roundHalfEven,
  type ImageArray,
  type ImageDims,
  type PixelArray,
  type Transform,
  type TransformLike,
} from './image.js';
export { Compose, Lambda, Normalize, ToTensor, normalize, toFloat } from './compose.js';
export { Resize, resize, resizedSize, type Interpolation, type ResizeOptions } from './resize.js';
export {
  CenterCrop,
  RandomCrop,
  RandomResizedCrop,
  centerCrop,
  crop,
  pad,
  type Padding,
  type PaddingMode,
  type RandomCropOptions,
  type RandomResizedCropOptions,
} from './crop.js';
export { RandomHorizontalFlip, RandomVerticalFlip, hflip, vflip } from './flip.js';
export { RandomRotation, rotate, type RotateOptions } from './rotation.js';
export {
  ColorJitter,
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  rgbToGrayscale,
  type ColorJitterOptions,
} from './color.js';
export { RandomErasing, erase, type ErasingParams, type RandomErasingOptions } from './erasing.js';
