/**
 * @module Port of Ignite's classification extras: CohenKappa, ClassificationReport, MultiLabelConfusionMatrix,
 * PrecisionRecallCurve and RocCurve (ignite/metrics/cohen_kappa.py, classification_report.py,
 * multilabel_confusion_matrix.py, precision_recall_curve.py, roc_auc.py). Deviations are listed in each file.
 */

export { CohenKappa, cohenKappaScore, type CohenKappaOptions, type KappaWeights } from './cohen-kappa.js';
export {
  ClassificationReport,
  type ClassificationReportDict,
  type ClassificationReportEntry,
  type ClassificationReportOptions,
} from './classification-report.js';
export { MultiLabelConfusionMatrix, type MultiLabelConfusionMatrixOptions } from './multilabel-confusion-matrix.js';
export { PrecisionRecallCurve, RocCurve, precisionRecallCurve, rocCurve, type Curve } from './curves.js';
