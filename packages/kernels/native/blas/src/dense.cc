// The backward pass of a Dense layer (kindling's KindlingDenseGrad kernel) in one call, and its first part alone
// (KindlingBiasActGrad, for convolutions: the ReLU and bias gradients over [rows, channels]): the activation's gradient,
// the bias gradient and the weights' gradient, which TensorFlow.js runs as four kernels (Relu's gradient, Sum, and
// a BatchMatMul), each a separate pass over the layer's output gradient. Every value is bit-identical to those
// kernels on this backend: the same ReluGrad expression, the same column sums (double, rows in order), the same
// BatchMatMul call as the unfused gradient (BatchMatMul(a, g, transposeA)).
#include <algorithm>

#include "kernels.h"
#include "parallel.h"

namespace kd {
namespace {

// Columns [c0, c1) of g = dy * step(y) (TensorFlow.js's Step: NaN stays NaN) or of g = dy (relu false), and their
// sums over the rows into bias[c0, c1) when bias is set. acc: c1 - c0 doubles of scratch.
KD_CLONES void GradColumns(const float* dy, const float* y, float* g, float* bias, double* acc, int64_t rows,
                           int64_t cols, int64_t c0, int64_t c1) {
  const int64_t w = c1 - c0;
  std::fill(acc, acc + w, 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    const float* dr = dy + r * cols + c0;
    if (y != nullptr) {
      const float* yr = y + r * cols + c0;
      float* gr = g + r * cols + c0;
      for (int64_t i = 0; i < w; ++i) {
        const float x = dr[i], s = yr[i];
        gr[i] = x * (s != s ? s : (s > 0.f ? 1.f : 0.f));
      }
      if (bias != nullptr) for (int64_t i = 0; i < w; ++i) acc[i] += gr[i];
    } else if (bias != nullptr) {
      for (int64_t i = 0; i < w; ++i) acc[i] += dr[i];
    }
  }
  if (bias != nullptr) for (int64_t i = 0; i < w; ++i) bias[c0 + i] = static_cast<float>(acc[i]);
}

// Columns per part of the elementwise pass: one AVX-512 vector's multiple, and enough rows x columns per part that
// the pool's dispatch pays.
constexpr int64_t kColumnBlock = 16;
constexpr int64_t kGradWorkPerPart = int64_t{1} << 14;

}  // namespace

void BiasActGrad(const float* dy, const float* y, float* g, float* dBias, int64_t m, int64_t n) {
  if (y == nullptr && dBias == nullptr) return;
  const int64_t blocks = (n + kColumnBlock - 1) / kColumnBlock;
  const int64_t minBlocks = std::max<int64_t>(1, kGradWorkPerPart / std::max<int64_t>(m * kColumnBlock, 1));
  ParallelFor(blocks, minBlocks, [&](int64_t s, int64_t e) {
    const int64_t c0 = s * kColumnBlock, c1 = std::min(n, e * kColumnBlock);
    double* acc = reinterpret_cast<double*>(ScratchF32(static_cast<size_t>(2 * (c1 - c0)), 2));
    GradColumns(dy, y, g, dBias, acc, m, n, c0, c1);
  });
}

void DenseGrad(const float* dy, const float* y, const float* a, float* g, float* dW, float* dBias, int64_t m,
               int64_t n, int64_t k) {
  BiasActGrad(dy, y, g, dBias, m, n);
  // dW = a^T g through BatchMatMul itself (OpenBLAS or oneDNN by shape), so that it equals the BatchMatMul of the
  // unfused gradient bit for bit.
  const float* grad = y != nullptr ? g : dy;
  BatchMatMul(a, grad, dW, 1, 1, 1, k, n, m, true, false);
}

}  // namespace kd
