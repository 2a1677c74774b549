// Matrix products on oneDNN (float32 where faster than OpenBLAS, and bfloat16 with float32 accumulation), split over
// kindling's pool by rows: kd::DnnlMatMulF32 and kd::DnnlMatMulBf16. Threading, the primitive cache and the signal
// guard: dnnl.cc and dnnl-internal.h. Compiled only with oneDNN (KINDLING_DNNL); without it dnnl.cc defines both.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "dnnl-internal.h"
#include "kernels.h"
#include "parallel.h"

#ifdef KINDLING_DNNL

namespace kd {

namespace {

using namespace dnnl_internal;  // NOLINT: this file is the oneDNN part of the addon
using dnnl::memory;
using Dt = memory::data_type;

// oneDNN's primitive_desc classes, with the primitive they create as primitive_type (for Cache).
struct MatMulPd : dnnl::matmul::primitive_desc {
  using primitive_type = dnnl::matmul;
  MatMulPd() = default;
  explicit MatMulPd(dnnl::matmul::primitive_desc p) : dnnl::matmul::primitive_desc(std::move(p)) {}
};
Cache<MatMulPd>& MatMuls() { static auto* c = new Cache<MatMulPd>(); return *c; }

// Rows [0, m) of a product cut into one part per thread (each runs a primitive single-threaded), in multiples of 16
// rows; small products (under ~2^18 multiply-adds per part) stay whole.
struct Parts {
  int64_t count, per;
};

Parts SplitRows(int64_t m, int64_t work) {
  const int64_t threads = ThreadPool::Get().Threads();
  int64_t count = std::max<int64_t>(1, std::min<int64_t>({threads, m / 16, work >> 18}));
  int64_t per = (m + count - 1) / count;
  per = (per + 15) / 16 * 16;
  count = (m + per - 1) / per;
  return {count, count == 1 ? m : per};
}

// --- matmul

// A product of [m, k] (rows of a larger operand of `rowsA` rows when transposed) by [k, n].
std::shared_ptr<Entry<MatMulPd>> MatMulPrim(int64_t m, int64_t n, int64_t k, bool transA, bool transB, int64_t rowsA,
                                            bool bf16) {
  return MatMuls().Get(Key(bf16 ? "mm-bf16" : "mm-f32", {m, n, k, transA, transB, rowsA}), [&] {
    const Dt dt = bf16 ? Dt::bf16 : Dt::f32;
    const memory::desc a({m, k}, dt, transA ? memory::dims{1, rowsA} : memory::dims{k, 1});
    const memory::desc b({k, n}, dt, transB ? memory::dims{1, k} : memory::dims{n, 1});
    const memory::desc c({m, n}, Dt::f32, memory::dims{n, 1});
    MatMulPd pd(dnnl::matmul::primitive_desc(dnnl::matmul::desc(a, b, c), UserScratchpad(), Engine()));
    NoteImpl(bf16 ? kDnnlMatMulBf16 : kDnnlMatMul, pd.impl_info_str());
    return pd;
  });
}

// c[m, n] = a' b' with a' the [m, k] operand at `a` (transposed when transA; its rows m0 of the whole operand start
// at a), b' [k, n].
void RunMatMul(const Entry<MatMulPd>& e, const void* a, const void* b, float* c) {
  memory ma(e.pd.src_desc(), Engine(), const_cast<void*>(a));
  memory mb(e.pd.weights_desc(), Engine(), const_cast<void*>(b));
  memory mc(e.pd.dst_desc(), Engine(), c);
  Execute(e, {{DNNL_ARG_SRC, ma}, {DNNL_ARG_WEIGHTS, mb}, {DNNL_ARG_DST, mc}});
}

// The products of DnnlMatMulBf16 (bf16: a and b hold bfloat16 bits) and DnnlMatMulF32 (float32).
bool MatMul(const void* a, const void* b, float* c, int64_t batch, int64_t batchA, int64_t batchB, int64_t m, int64_t n,
            int64_t k, bool transA, bool transB, bool bf16) {
  const size_t elt = bf16 ? 2 : 4;
  const auto at = [&](const void* p, int64_t i) { return static_cast<const uint8_t*>(p) + elt * i; };
  // A batch of row-major A's against one B is a single taller product.
  if (batchB == 1 && batchA == batch && !transA && batch > 1) {
    m *= batch;
    batch = batchA = 1;
  }
  try {
    if (batch == 1) {
      // Rows split over the pool, in multiples of 16 (full-width micro-kernels); primitives are created here, on
      // the calling thread (an exception must not escape a pool worker), for the at most two part sizes. (Cutting
      // by columns instead, so that each part packs only its columns of B, measured within 5% of this on the MLP's
      // products, float32 and bfloat16, batch 64 and 256.)
      const Parts parts = SplitRows(m, m * n * k);
      const auto first = MatMulPrim(parts.per, n, k, transA, transB, m, bf16);
      const int64_t lastRows = m - (parts.count - 1) * parts.per;
      const auto last = lastRows == parts.per ? first : MatMulPrim(lastRows, n, k, transA, transB, m, bf16);
      if (parts.count == 1) {
        RunMatMul(*first, a, b, c);
        return true;
      }
      const int64_t rowStep = transA ? 1 : k;  // element offset of row i of op(A)
      std::atomic<bool> failed{false};
      ParallelFor(parts.count, 2, [&](int64_t s, int64_t e) {
        EnsureSingleThreadOpenMP();
        for (int64_t p = s; p < e; ++p) {
          const int64_t m0 = p * parts.per;
          try {
            RunMatMul(p == parts.count - 1 ? *last : *first, at(a, m0 * rowStep), b, c + m0 * n);
          } catch (...) {
            failed.store(true);  // never out of a pool worker; the caller's path rewrites c
          }
        }
      }, parts.count);
      return !failed.load();
    }
    const auto e = MatMulPrim(m, n, k, transA, transB, m, bf16);
    std::atomic<bool> failed{false};
    ParallelFor(batch, 2, [&](int64_t s, int64_t end) {
      EnsureSingleThreadOpenMP();
      try {
        for (int64_t i = s; i < end; ++i) RunMatMul(*e, at(a, (i % batchA) * m * k), at(b, (i % batchB) * k * n), c + i * m * n);
      } catch (...) {
        failed.store(true);
      }
    });
    return !failed.load();
  } catch (const dnnl::error&) {
    return false;  // a shape or layout this oneDNN does not implement: the caller's path runs
  }
}

// Whether a float32 product goes to oneDNN rather than OpenBLAS (gemm.cc's BatchMatMul): by size, measured.
// KINDLING_DNNL_SGEMM=1 / 0 forces it on / off (for measuring).
bool UseDnnlSgemm(int64_t m, int64_t n, int64_t k) {
  static const int forced = [] {
    const char* v = std::getenv("KINDLING_DNNL_SGEMM");
    return v == nullptr || *v == '\0' ? -1 : std::atoi(v);
  }();
  if (forced >= 0) return forced == 1;
  // oneDNN's AVX-512 kernels beat this OpenBLAS (0.3.21 runs its Haswell AVX2 kernels on AMD Zen 4) by 1.3-2.9x
  // on the products of the benchmark MLP and CNN, forward and backward (interleaved, same process); the tiniest
  // (64x10x128) stay on OpenBLAS, whose call costs less than a primitive lookup.
  return m * n * k >= (int64_t{1} << 17);
}

}  // namespace

bool DnnlMatMulBf16(const float* a, const float* b, float* c, int64_t batch, int64_t batchA, int64_t batchB, int64_t m,
                    int64_t n, int64_t k, bool transA, bool transB) {
  // Small products (a classifier's last layer) run faster as float32 products of the rounded operands, the caller's
  // fallback with the same numerics (0.011 vs 0.018 ms for 256x10x256 on the AVX-512 EPYC).
  if (!DnnlEnabled() || !HasBf16Isa() || k == 0 || batch * m * n * k < (int64_t{1} << 20)) return false;
  EnsureSingleThreadOpenMP();
  const int64_t sizeA = batchA * m * k, sizeB = batchB * k * n;
  uint16_t* scratch = ScratchU16(static_cast<size_t>(sizeA + sizeB), 0);
  // Operands with a stamp are rounded once and kept: a layer's weights serve its forward product and its input
  // gradient, an activation its forward product and the weight gradient (packed-cache.cc).
  std::shared_ptr<uint8_t[]> holdA, holdB;
  const uint16_t* ab = Bf16Of(a, sizeA, scratch, &holdA);
  const uint16_t* bb = Bf16Of(b, sizeB, scratch + sizeA, &holdB);
  return MatMul(ab, bb, c, batch, batchA, batchB, m, n, k, transA, transB, true);
}

bool DnnlMatMulF32(const float* a, const float* b, float* c, int64_t batch, int64_t batchA, int64_t batchB, int64_t m,
                   int64_t n, int64_t k, bool transA, bool transB) {
  if (!DnnlEnabled() || k == 0 || !UseDnnlSgemm(m * (batchA == batch && batchB == 1 && !transA ? batch : 1), n, k)) {
    return false;
  }
  EnsureSingleThreadOpenMP();
  return MatMul(a, b, c, batch, batchA, batchB, m, n, k, transA, transB, false);
}

}  // namespace kd

#endif  // KINDLING_DNNL
