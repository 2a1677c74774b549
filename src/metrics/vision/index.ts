/**
 * @module Port of Ignite's vision metrics: PSNR and SSIM (NHWC images), MeanAveragePrecision, and the COCO-style
 * ObjectDetectionAvgPrecisionRecall with `cocoTensorListToDictList`. See docs/metrics.md.
 */

export { PSNR, type PSNROptions } from './psnr.js';
export { SSIM, type SSIMOptions } from './ssim.js';
export { MeanAveragePrecision, type ClassMean, type MeanAveragePrecisionOptions } from './mean-average-precision.js';
export {
  ObjectDetectionAvgPrecisionRecall,
  cocoTensorListToDictList,
  type AreaRange,
  type DetectionPrediction,
  type DetectionTarget,
  type ObjectDetectionOptions,
} from './object-detection.js';
