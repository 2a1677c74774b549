// Elementwise binary ops with simple broadcasting, unary ops and activations, reductions, softmax.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "kernels.h"
#include "parallel.h"

namespace kd {
namespace {

inline float NanMax(float x, float y) { return (x != x || y != y) ? std::numeric_limits<float>::quiet_NaN() : (x > y ? x : y); }
inline float NanMin(float x, float y) { return (x != x || y != y) ? std::numeric_limits<float>::quiet_NaN() : (x < y ? x : y); }

// Three loops per op: vector-vector, vector-scalar, scalar-vector.
#define KD_BINARY(NAME, EXPR)                                                                   \
  KD_CLONES void NAME##VV(const float* a, const float* b, float* o, int64_t n) {               \
    for (int64_t i = 0; i < n; ++i) { const float x = a[i], y = b[i]; o[i] = (EXPR); }          \
  }                                                                                             \
  KD_CLONES void NAME##VS(const float* a, const float* b, float* o, int64_t n) {               \
    const float y = b[0];                                                                       \
    for (int64_t i = 0; i < n; ++i) { const float x = a[i]; o[i] = (EXPR); }                    \
  }                                                                                             \
  KD_CLONES void NAME##SV(const float* a, const float* b, float* o, int64_t n) {               \
    const float x = a[0];                                                                       \
    for (int64_t i = 0; i < n; ++i) { const float y = b[i]; o[i] = (EXPR); }                    \
  }                                                                                             \
  /* a full [outer, inner], b a row (inner) or a column (outer), and the mirrored cases. */     \
  KD_CLONES void NAME##FR(const float* a, const float* b, float* o, int64_t outer, int64_t inner) { \
    for (int64_t r = 0; r < outer; ++r)                                                         \
      for (int64_t i = 0; i < inner; ++i) { const float x = a[r * inner + i], y = b[i]; o[r * inner + i] = (EXPR); } \
  }                                                                                             \
  KD_CLONES void NAME##RF(const float* a, const float* b, float* o, int64_t outer, int64_t inner) { \
    for (int64_t r = 0; r < outer; ++r)                                                         \
      for (int64_t i = 0; i < inner; ++i) { const float x = a[i], y = b[r * inner + i]; o[r * inner + i] = (EXPR); } \
  }                                                                                             \
  KD_CLONES void NAME##FC(const float* a, const float* b, float* o, int64_t outer, int64_t inner) { \
    for (int64_t r = 0; r < outer; ++r) {                                                       \
      const float y = b[r];                                                                     \
      for (int64_t i = 0; i < inner; ++i) { const float x = a[r * inner + i]; o[r * inner + i] = (EXPR); } \
    }                                                                                           \
  }                                                                                             \
  KD_CLONES void NAME##CF(const float* a, const float* b, float* o, int64_t outer, int64_t inner) { \
    for (int64_t r = 0; r < outer; ++r) {                                                       \
      const float x = a[r];                                                                     \
      for (int64_t i = 0; i < inner; ++i) { const float y = b[r * inner + i]; o[r * inner + i] = (EXPR); } \
    }                                                                                           \
  }

KD_BINARY(Add, x + y)
KD_BINARY(Sub, x - y)
KD_BINARY(Mul, x * y)
KD_BINARY(Div, x / y)
KD_BINARY(Max, NanMax(x, y))
KD_BINARY(Min, NanMin(x, y))
KD_BINARY(SqDiff, (x - y) * (x - y))
KD_BINARY(Prelu, x < 0.f ? x * y : x)
// EluGrad(dy = x, y = y): dy where y >= 0, dy * (y + 1) elsewhere.
KD_BINARY(EluGrad, y >= 0.f ? x : x * (y + 1.f))
// ReluGrad(dy = x, x = y): dy * step(x), with TensorFlow.js's Step (NaN stays NaN), so bit-identical to the two
// kernels it replaces (dy * 1 and dy * 0 keep inf/NaN behaviour).
KD_BINARY(ReluGrad, x * (y != y ? y : (y > 0.f ? 1.f : 0.f)))

using Loop = void (*)(const float*, const float*, float*, int64_t);
using Loop2 = void (*)(const float*, const float*, float*, int64_t, int64_t);
struct Loops { Loop vv, vs, sv; Loop2 fr, rf, fc, cf; };
#define KD_LOOPS(NAME) {NAME##VV, NAME##VS, NAME##SV, NAME##FR, NAME##RF, NAME##FC, NAME##CF}
const Loops kBinary[kNumBinary] = {
    KD_LOOPS(Add), KD_LOOPS(Sub), KD_LOOPS(Mul), KD_LOOPS(Div), KD_LOOPS(Max), KD_LOOPS(Min), KD_LOOPS(SqDiff),
    KD_LOOPS(Prelu), KD_LOOPS(EluGrad), KD_LOOPS(ReluGrad),
};

#define KD_UNARY(NAME, EXPR) \
  KD_CLONES void NAME(const float* in, float* o, int64_t n, float alpha) { \
    (void)alpha;                                                          \
    for (int64_t i = 0; i < n; ++i) { const float x = in[i]; o[i] = (EXPR); } \
  }

KD_UNARY(URelu, x < 0.f ? 0.f : x)
KD_UNARY(URelu6, x < 0.f ? 0.f : (x > 6.f ? 6.f : x))
KD_UNARY(UElu, x >= 0.f ? x : std::expm1(x))
KD_UNARY(ULeakyRelu, x < 0.f ? alpha * x : x)
KD_UNARY(USigmoid, 1.f / (1.f + std::exp(-x)))
KD_UNARY(UTanh, std::tanh(x))
KD_UNARY(UExp, std::exp(x))
KD_UNARY(ULog, std::log(x))
KD_UNARY(UNeg, -x)
KD_UNARY(USquare, x * x)
KD_UNARY(USqrt, std::sqrt(x))
KD_UNARY(URsqrt, 1.f / std::sqrt(x))
KD_UNARY(UAbs, std::fabs(x))
KD_UNARY(UStep, x != x ? x : (x > 0.f ? 1.f : alpha))
KD_UNARY(UReciprocal, 1.f / x)
KD_UNARY(UCopy, x)

using UnaryLoop = void (*)(const float*, float*, int64_t, float);
const UnaryLoop kUnary[kNumUnary] = {URelu, URelu6, UElu, ULeakyRelu, USigmoid, UTanh, UExp, ULog,
                                     UNeg, USquare, USqrt, URsqrt, UAbs, UStep, UReciprocal, UCopy};

// Row reductions accumulate in double, as TensorFlow.js's cpu backend does (JavaScript numbers).
KD_CLONES double RowSum(const float* x, int64_t n) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) { s0 += x[i]; s1 += x[i + 1]; s2 += x[i + 2]; s3 += x[i + 3]; }
  for (; i < n; ++i) s0 += x[i];
  return (s0 + s1) + (s2 + s3);
}

KD_CLONES void AccumulateRow(double* acc, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) acc[i] += x[i];
}

KD_CLONES void MaxRowInto(float* acc, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) acc[i] = NanMax(acc[i], x[i]);
}

KD_CLONES void MinRowInto(float* acc, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) acc[i] = NanMin(acc[i], x[i]);
}

}  // namespace

namespace {

// Work below this many elements stays on one thread.
constexpr int64_t kParallelElements = int64_t{1} << 16;

void BinaryRange(int op, const float* a, int aKind, const float* b, int bKind, float* out, int64_t outer, int64_t inner) {
  const Loops& l = kBinary[op];
  const bool aRowwise = aKind == kKFull || aKind == kKRow, bRowwise = bKind == kKFull || bKind == kKRow;
  // Whole-array loops when neither operand depends on the outer/inner split.
  if ((aKind == kKFull || aKind == kKScalar) && (bKind == kKFull || bKind == kKScalar)) {
    const int64_t n = outer * inner;
    if (aKind == kKFull && bKind == kKFull) l.vv(a, b, out, n);
    else if (aKind == kKFull) l.vs(a, b, out, n);
    else if (bKind == kKFull) l.sv(a, b, out, n);
    else if (n > 0) {
      l.vs(a, b, out, 1);
      std::fill(out + 1, out + n, out[0]);
    }
    return;
  }
  if (aKind == kKFull && bKind == kKRow) return l.fr(a, b, out, outer, inner);
  if (aKind == kKRow && bKind == kKFull) return l.rf(a, b, out, outer, inner);
  if (aKind == kKFull && bKind == kKCol) return l.fc(a, b, out, outer, inner);
  if (aKind == kKCol && bKind == kKFull) return l.cf(a, b, out, outer, inner);
  for (int64_t i = 0; i < outer; ++i) {
    const float* pa = aKind == kKFull ? a + i * inner : aKind == kKCol ? a + i : a;
    const float* pb = bKind == kKFull ? b + i * inner : bKind == kKCol ? b + i : b;
    float* po = out + i * inner;
    if (aRowwise && bRowwise) l.vv(pa, pb, po, inner);
    else if (aRowwise) l.vs(pa, pb, po, inner);
    else if (bRowwise) l.sv(pa, pb, po, inner);
    else { l.vs(pa, pb, po, 1); std::fill(po + 1, po + inner, po[0]); }
  }
}

}  // namespace

void Binary(int op, const float* a, int aKind, const float* b, int bKind, float* out, int64_t outer, int64_t inner) {
  if (outer * inner < kParallelElements) return BinaryRange(op, a, aKind, b, bKind, out, outer, inner);
  const bool flat = (aKind == kKFull || aKind == kKScalar) && (bKind == kKFull || bKind == kKScalar);
  if (flat) {
    const int64_t n = outer * inner;
    ParallelFor(n, kParallelElements, [&](int64_t s, int64_t e) {
      BinaryRange(op, aKind == kKFull ? a + s : a, aKind, bKind == kKFull ? b + s : b, bKind, out + s, 1, e - s);
    });
    return;
  }
  const auto offset = [inner](const float* p, int kind, int64_t r) {
    return kind == kKFull ? p + r * inner : kind == kKCol ? p + r : p;
  };
  ParallelFor(outer, 2, [&](int64_t s, int64_t e) {
    BinaryRange(op, offset(a, aKind, s), aKind, offset(b, bKind, s), bKind, out + s * inner, e - s, inner);
  });
}

void Unary(int op, const float* x, float* y, int64_t n, float alpha) {
  ParallelFor(n, kParallelElements, [&](int64_t s, int64_t e) { kUnary[op](x + s, y + s, e - s, alpha); });
}

void Reduce(int op, const float* x, float* y, int64_t outer, int64_t r, int64_t inner) {
  const bool sumLike = op == kRSum || op == kRMean;
  for (int64_t o = 0; o < outer; ++o) {
    const float* xo = x + o * r * inner;
    float* yo = y + o * inner;
    if (inner == 1) {
      if (sumLike) {
        const double s = RowSum(xo, r);
        yo[0] = static_cast<float>(op == kRMean ? s / static_cast<double>(r) : s);
      } else if (op == kRProd) {
        double p = 1;
        for (int64_t k = 0; k < r; ++k) p *= xo[k];
        yo[0] = static_cast<float>(p);
      } else {
        float m = r > 0 ? xo[0] : (op == kRMax ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity());
        for (int64_t k = 1; k < r; ++k) m = op == kRMax ? NanMax(m, xo[k]) : NanMin(m, xo[k]);
        yo[0] = m;
      }
      continue;
    }
    if (sumLike) {
      double* acc = reinterpret_cast<double*>(ScratchF32(static_cast<size_t>(2 * inner), 2));
      std::fill(acc, acc + inner, 0.0);
      for (int64_t k = 0; k < r; ++k) AccumulateRow(acc, xo + k * inner, inner);
      const double scale = op == kRMean ? 1.0 / static_cast<double>(r) : 1.0;
      for (int64_t i = 0; i < inner; ++i) yo[i] = static_cast<float>(op == kRMean ? acc[i] * scale : acc[i]);
    } else if (op == kRProd) {
      double* acc = reinterpret_cast<double*>(ScratchF32(static_cast<size_t>(2 * inner), 2));
      std::fill(acc, acc + inner, 1.0);
      for (int64_t k = 0; k < r; ++k)
        for (int64_t i = 0; i < inner; ++i) acc[i] *= xo[k * inner + i];
      for (int64_t i = 0; i < inner; ++i) yo[i] = static_cast<float>(acc[i]);
    } else {
      if (r == 0) {
        std::fill(yo, yo + inner, op == kRMax ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity());
        continue;
      }
      std::memcpy(yo, xo, sizeof(float) * inner);
      for (int64_t k = 1; k < r; ++k) {
        if (op == kRMax) MaxRowInto(yo, xo + k * inner, inner);
        else MinRowInto(yo, xo + k * inner, inner);
      }
    }
  }
}

void Softmax(const float* x, float* y, int64_t rows, int64_t cols, bool log) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    float m = -std::numeric_limits<float>::infinity();
    for (int64_t c = 0; c < cols; ++c) m = NanMax(m, xr[c]);
    double s = 0;
    for (int64_t c = 0; c < cols; ++c) {
      const float e = std::exp(xr[c] - m);
      s += e;
      if (!log) yr[c] = e;
    }
    if (log) {
      const float ls = static_cast<float>(std::log(s));
      for (int64_t c = 0; c < cols; ++c) yr[c] = (xr[c] - m) - ls;
    } else {
      const float inv = static_cast<float>(1.0 / s);
      for (int64_t c = 0; c < cols; ++c) yr[c] *= inv;
    }
  }
}

}  // namespace kd
