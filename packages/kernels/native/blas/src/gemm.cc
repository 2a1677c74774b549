// Matrix products on OpenBLAS (cblas_sgemm, cblas_sbgemm), the fused bias/activation epilogue, bfloat16 rounding.
#include <cblas.h>
#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels.h"
#include "parallel.h"

namespace kd {

float* ScratchF32(size_t n, int slot) {
  thread_local std::vector<float> buffers[4];
  std::vector<float>& v = buffers[slot];
  if (v.size() < n) v.resize(n);
  return v.data();
}

uint16_t* ScratchU16(size_t n, int slot) {
  thread_local std::vector<uint16_t> buffers[2];
  std::vector<uint16_t>& v = buffers[slot];
  if (v.size() < n) v.resize(n);
  return v.data();
}

namespace {

KD_CLONES void BiasAct(float* y, int64_t rows, int64_t cols, const float* bias, int biasMode, int act,
                       const float* alpha, int alphaMode, float leakyAlpha) {
  for (int64_t r = 0; r < rows; ++r) {
    float* row = y + r * cols;
    if (biasMode == kScalar) {
      const float b0 = bias[0];
      for (int64_t c = 0; c < cols; ++c) row[c] += b0;
    } else if (biasMode == kPerColumn) {
      for (int64_t c = 0; c < cols; ++c) row[c] += bias[c];
    } else if (biasMode == kFull) {
      const float* br = bias + r * cols;
      for (int64_t c = 0; c < cols; ++c) row[c] += br[c];
    }
    switch (act) {
      case kRelu:
        for (int64_t c = 0; c < cols; ++c) row[c] = row[c] < 0.f ? 0.f : row[c];
        break;
      case kRelu6:
        for (int64_t c = 0; c < cols; ++c) row[c] = row[c] < 0.f ? 0.f : (row[c] > 6.f ? 6.f : row[c]);
        break;
      case kElu:
        for (int64_t c = 0; c < cols; ++c) row[c] = row[c] >= 0.f ? row[c] : std::expm1(row[c]);
        break;
      case kLeakyRelu:
        for (int64_t c = 0; c < cols; ++c) row[c] = row[c] < 0.f ? leakyAlpha * row[c] : row[c];
        break;
      case kPrelu: {
        const float* ar = alphaMode == kFull ? alpha + r * cols : alpha;
        if (alphaMode == kScalar) {
          const float a0 = alpha[0];
          for (int64_t c = 0; c < cols; ++c) row[c] = row[c] < 0.f ? a0 * row[c] : row[c];
        } else {
          for (int64_t c = 0; c < cols; ++c) row[c] = row[c] < 0.f ? ar[c] * row[c] : row[c];
        }
        break;
      }
      case kSigmoid:
        for (int64_t c = 0; c < cols; ++c) row[c] = 1.f / (1.f + std::exp(-row[c]));
        break;
      default:
        break;
    }
  }
}

// float32 -> bfloat16 bits, round-to-nearest-even; NaN keeps its sign and becomes a quiet NaN.
KD_CLONES void ToBf16(const float* x, uint16_t* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    uint32_t bits;
    std::memcpy(&bits, x + i, 4);
    const uint32_t rounded = (bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16;
    const bool nan = (bits & 0x7fffffffu) > 0x7f800000u;
    out[i] = static_cast<uint16_t>(nan ? ((bits >> 16) | 0x40u) : rounded);
  }
}

using SbgemmFn = void (*)(CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, blasint, blasint, blasint, float,
                          const uint16_t*, blasint, const uint16_t*, blasint, float, float*, blasint);

// cblas_sbgemm is looked up at run time in the OpenBLAS that provides cblas_sgemm, so that an OpenBLAS built
// without bfloat16 support still loads (bfloat16 is then reported unavailable).
SbgemmFn LookupSbgemm() {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&cblas_sgemm), &info) == 0 || info.dli_fname == nullptr) return nullptr;
  void* handle = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
  if (handle == nullptr) return nullptr;
  return reinterpret_cast<SbgemmFn>(dlsym(handle, "cblas_sbgemm"));
}

SbgemmFn Sbgemm() {
  static const SbgemmFn fn = LookupSbgemm();
  return fn;
}

}  // namespace

void Epilogue(float* y, int64_t rows, int64_t cols, const float* bias, int biasMode, int act, const float* alpha,
              int alphaMode, float leakyAlpha) {
  if (biasMode == kNone && act == kLinear) return;
  const int64_t minRows = std::max<int64_t>(2, (int64_t{1} << 16) / std::max<int64_t>(cols, 1));
  ParallelFor(rows, minRows, [&](int64_t s, int64_t e) {
    BiasAct(y + s * cols, e - s, cols, biasMode == kFull ? bias + s * cols : bias, biasMode, act,
            alphaMode == kFull && alpha != nullptr ? alpha + s * cols : alpha, alphaMode, leakyAlpha);
  });
}

// Minimum work (multiply-adds) of each part when a GEMM is split over the pool's threads.
constexpr int64_t kGemmWorkPerPart = int64_t{1} << 18;

void Sgemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
           int64_t ldb, float beta, float* c, int64_t ldc) {
  const CBLAS_TRANSPOSE ta = transA ? CblasTrans : CblasNoTrans;
  const CBLAS_TRANSPOSE tb = transB ? CblasTrans : CblasNoTrans;
  EnsureSingleThreadOpenMP();
  const int threads = ThreadPool::Get().Threads();
  // Two chunks per thread: every chunk packs all of the smaller operand again.
  const int64_t maxParts = std::min<int64_t>(m * n * k / kGemmWorkPerPart, 2 * threads);
  if (maxParts < 2 || (m < 32 && n < 32) || threads < 2) {
    cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, 1.f, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  // Each thread packs its part of the larger operand and all of the smaller one; parts are cut at multiples of
  // 16 (one AVX-512 vector of floats) so that every part keeps full-width micro-kernels.
  constexpr int64_t kBlock = 16;
  if (n >= m) {
    ParallelFor((n + kBlock - 1) / kBlock, 2, [&](int64_t s, int64_t e) {
      const int64_t n0 = s * kBlock, n1 = std::min(n, e * kBlock);
      cblas_sgemm(CblasRowMajor, ta, tb, m, n1 - n0, k, 1.f, a, lda, transB ? b + n0 * ldb : b + n0, ldb, beta,
                  c + n0, ldc);
    }, maxParts);
  } else {
    ParallelFor((m + kBlock - 1) / kBlock, 2, [&](int64_t s, int64_t e) {
      const int64_t m0 = s * kBlock, m1 = std::min(m, e * kBlock);
      cblas_sgemm(CblasRowMajor, ta, tb, m1 - m0, n, k, 1.f, transA ? a + m0 : a + m0 * lda, lda, b, ldb, beta,
                  c + m0 * ldc, ldc);
    }, maxParts);
  }
}

void BatchMatMul(const float* a, const float* b, float* c, int64_t batch, int64_t batchA, int64_t batchB, int64_t m,
                 int64_t n, int64_t k, bool transA, bool transB) {
  const int64_t lda = transA ? m : k, ldb = transB ? k : n;
  if (k == 0) {
    std::memset(c, 0, sizeof(float) * batch * m * n);
    return;
  }
  if (DnnlMatMulF32(a, b, c, batch, batchA, batchB, m, n, k, transA, transB)) return;
  // A batch of row-major A's against one B is a single taller product.
  if (batchB == 1 && batchA == batch && !transA && batch > 1) {
    Sgemm(transA, transB, batch * m, n, k, a, lda, b, ldb, 0.f, c, n);
    return;
  }
  for (int64_t i = 0; i < batch; ++i) {
    Sgemm(transA, transB, m, n, k, a + (i % batchA) * m * k, lda, b + (i % batchB) * k * n, ldb, 0.f, c + i * m * n, n);
  }
}

bool HasSbgemm() { return Sbgemm() != nullptr; }

void ToBf16Bits(const float* x, uint16_t* out, int64_t n) {
  ParallelFor(n, int64_t{1} << 16, [&](int64_t s, int64_t e) { ToBf16(x + s, out + s, e - s); });
}

namespace {

// dst = src rounded to bfloat16 values (round-to-nearest-even; NaN stays a quiet NaN); dst may equal src.
KD_CLONES void RoundBf16Range(const float* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    uint32_t bits;
    std::memcpy(&bits, src + i, 4);
    const uint32_t rounded = (bits + 0x7fffu + ((bits >> 16) & 1u)) & 0xffff0000u;
    const bool nan = (bits & 0x7fffffffu) > 0x7f800000u;
    const uint32_t out = nan ? ((bits & 0xffff0000u) | 0x00400000u) : rounded;
    std::memcpy(dst + i, &out, 4);
  }
}

}  // namespace

// Elements per part when the rounding, a memory-bound pass, is split over the pool (it ran on one thread and took
// a third of the bfloat16 products' time in the MLP step).
constexpr int64_t kParallelRound = int64_t{1} << 16;

void RoundBf16Copy(const float* src, float* dst, int64_t n) {
  ParallelFor(n, kParallelRound, [&](int64_t s, int64_t e) { RoundBf16Range(src + s, dst + s, e - s); });
}

void RoundBf16InPlace(float* x, int64_t n) { RoundBf16Copy(x, x, n); }

bool BatchMatMulBf16(const float* a, const float* b, float* c, int64_t batch, int64_t batchA, int64_t batchB,
                     int64_t m, int64_t n, int64_t k, bool transA, bool transB) {
  if (DnnlMatMulBf16(a, b, c, batch, batchA, batchB, m, n, k, transA, transB)) return true;
  const int64_t sizeA = batchA * m * k, sizeB = batchB * k * n;
  const SbgemmFn sbgemm = Sbgemm();
  if (sbgemm == nullptr) {
    // No sbgemm in this OpenBLAS: the operands rounded to bfloat16 are exact float32 values and so are their
    // products (8 + 8 significant bits), so sgemm on the rounded copies gives the same numerics (float32
    // accumulation), at float32 speed.
    float* ar = ScratchF32(static_cast<size_t>(sizeA + sizeB), 1);
    RoundBf16Copy(a, ar, sizeA);
    RoundBf16Copy(b, ar + sizeA, sizeB);
    BatchMatMul(ar, ar + sizeA, c, batch, batchA, batchB, m, n, k, transA, transB);
    return true;
  }
  uint16_t* ab = ScratchU16(static_cast<size_t>(sizeA + sizeB), 0);
  ToBf16Bits(a, ab, sizeA);
  ToBf16Bits(b, ab + sizeA, sizeB);
  const uint16_t* bb = ab + sizeA;
  const CBLAS_TRANSPOSE ta = transA ? CblasTrans : CblasNoTrans;
  const CBLAS_TRANSPOSE tb = transB ? CblasTrans : CblasNoTrans;
  const blasint lda = transA ? m : k, ldb = transB ? k : n;
  if (k == 0) {
    std::memset(c, 0, sizeof(float) * batch * m * n);
    return true;
  }
  if (batchB == 1 && batchA == batch && !transA && batch > 1) {
    sbgemm(CblasRowMajor, ta, tb, batch * m, n, k, 1.f, ab, lda, bb, ldb, 0.f, c, n);
    return true;
  }
  for (int64_t i = 0; i < batch; ++i) {
    sbgemm(CblasRowMajor, ta, tb, m, n, k, 1.f, ab + (i % batchA) * m * k, lda, bb + (i % batchB) * k * n, ldb, 0.f,
           c + i * m * n, n);
  }
  return true;
}

}  // namespace kd
