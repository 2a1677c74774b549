// Fused optimizer updates: one pass over a variable, its gradient and its slots, writing the new variable and
// slots, for TensorFlow.js's SGD, Momentum and Adam optimizers. Each expression below performs the float32
// operations of the TensorFlow.js optimizer in the same order (binding.gyp builds with -ffp-contract=off, so no
// multiply-add is fused), which makes the result bit-identical to the optimizer's own sequence of kernels.
#include <cmath>

#include "kernels.h"
#include "parallel.h"

namespace kd {
namespace {

constexpr int64_t kParallelUpdate = int64_t{1} << 15;

KD_CLONES void SgdRange(const float* v, const float* g, float* ov, int64_t n, float c) {
  for (int64_t i = 0; i < n; ++i) ov[i] = c * g[i] + v[i];
}

KD_CLONES void MomentumRange(const float* v, const float* acc, const float* g, float* ov, float* oacc, int64_t n,
                             float c, float m) {
  for (int64_t i = 0; i < n; ++i) {
    const float a = m * acc[i] + g[i];
    oacc[i] = a;
    ov[i] = c * a + v[i];
  }
}

KD_CLONES void NesterovRange(const float* v, const float* acc, const float* g, float* ov, float* oacc, int64_t n,
                             float c, float m) {
  for (int64_t i = 0; i < n; ++i) {
    const float a = m * acc[i] + g[i];
    oacc[i] = a;
    ov[i] = c * (g[i] + a * m) + v[i];
  }
}

KD_CLONES void AdamRange(const float* v, const float* m1, const float* m2, const float* g, float* ov, float* om1,
                         float* om2, int64_t n, const AdamScalars& s) {
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i];
    const float a = m1[i] * s.beta1 + gi * s.oneMinusBeta1;
    const float b = m2[i] * s.beta2 + (gi * gi) * s.oneMinusBeta2;
    om1[i] = a;
    om2[i] = b;
    const float aHat = a / s.oneMinusAccBeta1, bHat = b / s.oneMinusAccBeta2;
    ov[i] = (aHat / (std::sqrt(bHat) + s.epsilon)) * s.negLr + v[i];
  }
}

}  // namespace

void SgdUpdate(const float* v, const float* g, float* ov, int64_t n, float c) {
  ParallelFor(n, kParallelUpdate, [&](int64_t s, int64_t e) { SgdRange(v + s, g + s, ov + s, e - s, c); });
}

void MomentumUpdate(const float* v, const float* acc, const float* g, float* ov, float* oacc, int64_t n, float c,
                    float m, bool nesterov) {
  ParallelFor(n, kParallelUpdate, [&](int64_t s, int64_t e) {
    (nesterov ? NesterovRange : MomentumRange)(v + s, acc + s, g + s, ov + s, oacc + s, e - s, c, m);
  });
}

void AdamUpdate(const float* v, const float* m1, const float* m2, const float* g, float* ov, float* om1, float* om2,
                int64_t n, const AdamScalars& s) {
  ParallelFor(n, kParallelUpdate, [&](int64_t b, int64_t e) {
    AdamRange(v + b, m1 + b, m2 + b, g + b, ov + b, om1 + b, om2 + b, e - b, s);
  });
}

}  // namespace kd
