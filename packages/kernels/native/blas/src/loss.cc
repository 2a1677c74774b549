// Fused sparse softmax cross-entropy: per-sample losses and their gradient with respect to the logits in one pass
// over [rows, cols] logits (what `crossEntropyLoss` computes with ~10 TensorFlow.js kernels forward and as many
// backward), on the log-softmax of the Softmax kernel: the same numbers as the unfused path on this backend.
#include <algorithm>
#include <cmath>

#include "kernels.h"
#include "parallel.h"

namespace kd {

void SparseSoftmaxCrossEntropy(const float* x, const int32_t* labels, float* loss, float* backprop, int64_t rows,
                               int64_t cols) {
  const int64_t minRows = std::max<int64_t>(2, (int64_t{1} << 15) / std::max<int64_t>(cols, 1));
  ParallelFor(rows, minRows, [&](int64_t r0, int64_t r1) {
    // log-softmax of the rows into backprop (the Softmax kernel), then loss and softmax - onehot from it
    Softmax(x + r0 * cols, backprop + r0 * cols, r1 - r0, cols, true);
    for (int64_t r = r0; r < r1; ++r) {
      float* br = backprop + r * cols;
      const int32_t label = labels[r];
      // An ignored or out-of-range label has a zero one-hot row: no loss, no gradient.
      if (label < 0 || label >= cols) {
        loss[r] = 0.f;
        std::fill(br, br + cols, 0.f);
        continue;
      }
      loss[r] = -br[label];
      for (int64_t c = 0; c < cols; ++c) br[c] = std::exp(br[c]) - (c == label ? 1.f : 0.f);
    }
  });
}

}  // namespace kd
