// Fused sparse softmax cross-entropy: per-sample losses and their gradient with respect to the logits in one pass
// over [rows, cols] logits (what `crossEntropyLoss` computes with ~10 TensorFlow.js kernels forward and as many
// backward). Same formulas as the unfused path: logSoftmax = (x - max) - log(sum(exp(x - max))), the sum
// accumulated in double precision like the native Sum.
#include <cmath>
#include <limits>

#include "kernels.h"
#include "parallel.h"

namespace kd {

void SparseSoftmaxCrossEntropy(const float* x, const int32_t* labels, float* loss, float* backprop, int64_t rows,
                               int64_t cols) {
  const int64_t minRows = std::max<int64_t>(2, (int64_t{1} << 15) / std::max<int64_t>(cols, 1));
  ParallelFor(rows, minRows, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * cols;
      float* br = backprop + r * cols;
      float m = -std::numeric_limits<float>::infinity();
      for (int64_t c = 0; c < cols; ++c) m = (xr[c] != xr[c] || m != m) ? std::numeric_limits<float>::quiet_NaN() : (xr[c] > m ? xr[c] : m);
      double s = 0;
      for (int64_t c = 0; c < cols; ++c) s += std::exp(xr[c] - m);
      const float ls = static_cast<float>(std::log(s));
      const int32_t label = labels[r];
      const bool counted = label >= 0 && label < cols;
      // An ignored or out-of-range label has a zero one-hot row: no loss, no gradient.
      for (int64_t c = 0; c < cols; ++c) br[c] = counted ? std::exp((xr[c] - m) - ls) - (c == label ? 1.f : 0.f) : 0.f;
      loss[r] = counted ? -((xr[label] - m) - ls) : 0.f;
    }
  });
}

}  // namespace kd
