// The backward pass of a Dense layer (kindling's KindlingDenseGrad kernel) in one call, and its first part alone
// (KindlingBiasActGrad, for convolutions: the ReLU and bias gradients over [rows, channels]): the activation's gradient,
// the bias gradient and the weights' gradient, which TensorFlow.js runs as four kernels (Relu's gradient, Sum, and
// a BatchMatMul), each a separate pass over the layer's output gradient. Every value is bit-identical to those
// kernels on this backend: the same ReluGrad expression, the same column sums (double, rows in order), the same
// BatchMatMul call as the unfused gradient (BatchMatMul(a, g, transposeA)); of a sum of two NaNs, which one's sign
// comes out depends on the operand order the compiler picked (IEEE 754 leaves it open).
#include <algorithm>

#include "kernels.h"
#include "parallel.h"

namespace kd {
namespace {

// The ReLU gradient of one element as TensorFlow.js's Step computes it: NaN stays NaN.
inline float ReluGradOf(float dy, float y) { return dy * (y != y ? y : (y > 0.f ? 1.f : 0.f)); }

// Columns [c0, c0 + W) of g = dy * step(y) (kRelu) or of g = dy, and their sums over the rows, in row order, into
// bias[c0, c0 + W) (kBias). W is a compile-time width: the W double accumulators then stay in registers across the
// rows (with a run-time width they lived in memory and every row waited on a store and a load: 6x slower than a
// copy of dy on the CNN's 50176 x 32 layer).
template <int W, bool kRelu, bool kBias>
KD_CLONES void GradBlock(const float* dy, const float* y, float* g, float* bias, int64_t rows, int64_t cols, int64_t c0) {
  double acc[W] = {};
  for (int64_t r = 0; r < rows; ++r) {
    const float* dr = dy + r * cols + c0;
    if (kRelu) {
      const float* yr = y + r * cols + c0;
      float* gr = g + r * cols + c0;
      for (int i = 0; i < W; ++i) {
        const float v = ReluGradOf(dr[i], yr[i]);
        gr[i] = v;
        if (kBias) acc[i] += v;
      }
    } else {
      for (int i = 0; i < W; ++i) acc[i] += dr[i];
    }
  }
  if (kBias) for (int i = 0; i < W; ++i) bias[c0 + i] = static_cast<float>(acc[i]);
}

// The same for a run-time width w (the last, partial block of columns). acc: w doubles of scratch.
KD_CLONES void GradColumnsTail(const float* dy, const float* y, float* g, float* bias, double* acc, int64_t rows,
                               int64_t cols, int64_t c0, int64_t w) {
  std::fill(acc, acc + w, 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    const float* dr = dy + r * cols + c0;
    if (y != nullptr) {
      const float* yr = y + r * cols + c0;
      float* gr = g + r * cols + c0;
      for (int64_t i = 0; i < w; ++i) gr[i] = ReluGradOf(dr[i], yr[i]);
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

// Columns [c0, c1): full blocks of kColumnBlock columns, then the rest.
void GradColumns(const float* dy, const float* y, float* g, float* bias, int64_t rows, int64_t cols, int64_t c0,
                 int64_t c1) {
  int64_t c = c0;
  for (; c + kColumnBlock <= c1; c += kColumnBlock) {
    if (y != nullptr && bias != nullptr) GradBlock<kColumnBlock, true, true>(dy, y, g, bias, rows, cols, c);
    else if (y != nullptr) GradBlock<kColumnBlock, true, false>(dy, y, g, bias, rows, cols, c);
    else GradBlock<kColumnBlock, false, true>(dy, y, g, bias, rows, cols, c);
  }
  if (c < c1) {
    double* acc = reinterpret_cast<double*>(ScratchF32(static_cast<size_t>(2 * (c1 - c)), 2));
    GradColumnsTail(dy, y, g, bias, acc, rows, cols, c, c1 - c);
  }
}

}  // namespace

void BiasActGrad(const float* dy, const float* y, float* g, float* dBias, int64_t m, int64_t n) {
  if (y == nullptr && dBias == nullptr) return;
  const int64_t blocks = (n + kColumnBlock - 1) / kColumnBlock;
  const int64_t minBlocks = std::max<int64_t>(1, kGradWorkPerPart / std::max<int64_t>(m * kColumnBlock, 1));
  ParallelFor(blocks, minBlocks, [&](int64_t s, int64_t e) {
    const int64_t c0 = s * kColumnBlock, c1 = std::min(n, e * kColumnBlock);
    GradColumns(dy, y, g, dBias, m, n, c0, c1);
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
