// kindling native backend: the plain C++ kernels behind the Node-API bindings of addon.cc.
//
// Every kernel works on float32 buffers owned by JavaScript (TensorFlow.js's cpu backend typed arrays), row-major,
// NHWC for images. Shapes are validated on the TypeScript side and the sizes re-checked in addon.cc, so the
// kernels themselves do no bounds checking. Scratch memory is kept per thread and reused across calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

// Function multiversioning for the hot loops: GCC/Clang emit an AVX-512, an AVX2 and a baseline copy and pick one
// at load time from the CPU's features (an ifunc resolver built on __builtin_cpu_supports). Only on x86-64 ELF
// targets; elsewhere (aarch64, macOS) the loops are compiled once for the baseline.
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__)
#define KD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define KD_CLONES
#endif

namespace kd {

// Fused epilogue of matmul / conv: y = act(y + bias) on a [rows, cols] row-major matrix.
enum Activation : int { kLinear = 0, kRelu = 1, kRelu6 = 2, kElu = 3, kLeakyRelu = 4, kPrelu = 5, kSigmoid = 6 };
// How a per-output vector (bias, prelu alpha) broadcasts over the [rows, cols] result: absent, one value, one
// value per column, or one value per element (same shape as the result).
enum VecMode : int { kNone = 0, kScalar = 1, kPerColumn = 2, kFull = 3 };

void Epilogue(float* y, int64_t rows, int64_t cols, const float* bias, int biasMode, int act, const float* alpha,
              int alphaMode, float leakyAlpha);

// A reusable per-thread scratch buffer of at least n elements.
float* ScratchF32(size_t n, int slot);
uint16_t* ScratchU16(size_t n, int slot);

// --- gemm.cc
// Row-major C = op(A) * op(B) + beta * C (cblas_sgemm's arguments), split over the thread pool when large enough.
void Sgemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
           int64_t ldb, float beta, float* c, int64_t ldc);
// C[b] = op(A[b % batchA]) * op(B[b % batchB]) for b < batch; A is [M,K] (or [K,M] when transA), B is [K,N] (or
// [N,K] when transB), C is [M,N].
void BatchMatMul(const float* a, const float* b, float* c, int64_t batch, int64_t batchA, int64_t batchB, int64_t m,
                 int64_t n, int64_t k, bool transA, bool transB);
// Same with both operands rounded to bfloat16 (round-to-nearest-even), float32 accumulation (cblas_sbgemm) and the
// float32 result left unrounded. Without sbgemm in this OpenBLAS, sgemm on bfloat16-rounded copies (same numerics).
bool BatchMatMulBf16(const float* a, const float* b, float* c, int64_t batch, int64_t batchA, int64_t batchB,
                     int64_t m, int64_t n, int64_t k, bool transA, bool transB);
bool HasSbgemm();
// float32 -> bfloat16 bits (round-to-nearest-even, NaN kept quiet), split over the pool.
void ToBf16Bits(const float* x, uint16_t* out, int64_t n);

// --- dnnl.cc: oneDNN, when compiled in (KINDLING_DNNL) and enabled (KINDLING_DNNL unset or not 0; setDnnl). Each
// returns false, having written nothing, when oneDNN is off or cannot run the case: the caller's path then runs.
bool DnnlCompiled();
bool DnnlEnabled();
void SetDnnlEnabled(bool on);
// Whether the CPU has bfloat16 dot products (AVX512_BF16 or AMX) for oneDNN.
bool DnnlBf16();
std::string DnnlVersion();
std::string DnnlIsa();
// Kernel families whose oneDNN implementation (impl_info_str of the last primitive created) info() reports.
enum DnnlFamily : int {
  kDnnlMatMulBf16 = 0, kDnnlMatMul, kDnnlConv, kDnnlConvBf16, kDnnlConvBwd, kDnnlConvBwdBf16, kDnnlPool, kNumDnnlFamilies
};
std::string DnnlImpl(int family);
// As BatchMatMulBf16, on oneDNN (bfloat16 operands, float32 accumulation and result); needs DnnlBf16().
bool DnnlMatMulBf16(const float* a, const float* b, float* c, int64_t batch, int64_t batchA, int64_t batchB, int64_t m,
                    int64_t n, int64_t k, bool transA, bool transB);
// As BatchMatMul, on oneDNN, for the shapes where it beats OpenBLAS (dnnl.cc's UseDnnlSgemm).
bool DnnlMatMulF32(const float* a, const float* b, float* c, int64_t batch, int64_t batchA, int64_t batchB, int64_t m,
                   int64_t n, int64_t k, bool transA, bool transB);
enum DnnlConvOp : int { kDnnlFwd = 0, kDnnlBwdData, kDnnlBwdWeights };
struct ConvGeom;
// op kDnnlFwd: (x, w) -> y; kDnnlBwdData: (dy, w) -> dx; kDnnlBwdWeights: (x, dy) -> dw. bf16: operands rounded to
// bfloat16, float32 accumulation and result (unrounded).
bool DnnlConv(int op, const float* p0, const float* p1, float* out, const ConvGeom& g, bool bf16);
// Max pooling's forward pass on oneDNN (NHWC, float32); false when oneDNN is off or cannot (the caller's loop runs).
bool DnnlMaxPool(const float* x, float* y, const ConvGeom& g);
// Pins the calling thread's OpenMP team to one thread (once per thread): see dnnl.cc.
void EnsureSingleThreadOpenMP();
// openblas_get_parallel(): 0 sequential, 1 pthreads, 2 OpenMP.
int OpenBlasThreading();

// --- packed-cache.cc
// The stamps of an addon call's operands, registered on the calling thread for the call's duration: a stamp names
// the content of a tensor's data and is replaced when that data is overwritten in place (src/node/native/stamps.ts),
// so copies made of a stamped operand (a reordered filter, a bfloat16 copy) can be kept and reused (PackedCopy in
// dnnl-internal.h). 0: no stamp.
class OperandStamps {
 public:
  OperandStamps(const void* p0, double s0, const void* p1, double s1);
  ~OperandStamps();
  OperandStamps(const OperandStamps&) = delete;
  OperandStamps& operator=(const OperandStamps&) = delete;
};
// The stamp registered for operand p by the current call on this thread, or 0.
double StampOf(const void* p);
// A new space of stamps (unique in the process): each JavaScript thread numbers its stamps inside its own.
int64_t NewStampSpace();
// Copies of stamped operands made and reused so far ([0] reordered convolution filters, [1] bfloat16 roundings),
// and the copies kept now (count, bytes).
struct PackedCopyStats {
  int64_t made[2] = {0, 0}, reused[2] = {0, 0};
  int64_t kept = 0, bytes = 0;
};
PackedCopyStats PackedCopyCounts();
// Drops the copies kept for a stamp (its tensor's data was released or overwritten).
void ReleaseStamp(double stamp);

// --- dense.cc
// A Dense layer's backward pass: g = dy * step(y) (y null: no activation, g = dy and g unused), dBias = column sums
// of g (double, rows in order; skipped when dBias is null), dW = a^T g. dy, y, g: [m, n]; a: [m, k]; dW: [k, n].
void DenseGrad(const float* dy, const float* y, const float* a, float* g, float* dW, float* dBias, int64_t m,
               int64_t n, int64_t k);
// Its first part alone: g = dy * step(y) (y null: none) and dBias = column sums of g, over [m, n].
void BiasActGrad(const float* dy, const float* y, float* g, float* dBias, int64_t m, int64_t n);
// Rounds float32 values to bfloat16 values in place (round-to-nearest-even; NaN stays NaN).
void RoundBf16InPlace(float* x, int64_t n);
// dst = src rounded to bfloat16 values (dst may equal src), split over the pool.
void RoundBf16Copy(const float* src, float* dst, int64_t n);

// Filter taps [lo, hi) of a window starting at `corner` (with dilation `dil`) that fall inside [0, size).
inline void TapRange(int64_t corner, int64_t dil, int64_t taps, int64_t size, int64_t* lo, int64_t* hi) {
  int64_t a = 0;
  while (a < taps && corner + a * dil < 0) ++a;
  int64_t b = taps;
  while (b > a && corner + (b - 1) * dil >= size) --b;
  *lo = a;
  *hi = b;
}

// --- conv.cc, pool.cc
// Geometry of a 2-D NHWC convolution or pooling window (what TensorFlow.js's computeConv2DInfo yields).
struct ConvGeom {
  int64_t batch, inH, inW, inC;
  int64_t fH, fW, outC;
  int64_t outH, outW;
  int64_t strideH, strideW, dilH, dilW, padTop, padLeft;
};
void Conv2D(const float* x, const float* w, float* y, const ConvGeom& g);
void Conv2DBackpropInput(const float* dy, const float* w, float* dx, const ConvGeom& g);
void Conv2DBackpropFilter(const float* x, const float* dy, float* dw, const ConvGeom& g);
// The same with both operands rounded to bfloat16 and float32 accumulation (oneDNN, or the float32 kernels on
// rounded copies); the float32 result is left unrounded.
void Conv2DBf16(const float* x, const float* w, float* y, const ConvGeom& g);
void Conv2DBackpropInputBf16(const float* dy, const float* w, float* dx, const ConvGeom& g);
void Conv2DBackpropFilterBf16(const float* x, const float* dy, float* dw, const ConvGeom& g);
// pool.cc
// Whether every pooling window of g lies inside the image (no padding reached, no dilation).
bool InteriorWindows(const ConvGeom& g);
void MaxPool(const float* x, float* y, const ConvGeom& g);
void AvgPool(const float* x, float* y, const ConvGeom& g);
void MaxPoolGrad(const float* dy, const float* x, float* dx, const ConvGeom& g);
void AvgPoolGrad(const float* dy, float* dx, const ConvGeom& g);

// --- elementwise.cc
enum BinaryOp : int { kAdd = 0, kSub, kMul, kDiv, kMax, kMin, kSquaredDiff, kPreluOp, kEluGrad, kReluGrad, kNumBinary };
enum UnaryOp : int {
  kURelu = 0, kURelu6, kUElu, kULeakyRelu, kUSigmoid, kUTanh, kUExp, kULog, kUNeg, kUSquare, kUSqrt, kURsqrt, kUAbs,
  kUStep, kUReciprocal, kUCopy, kNumUnary
};
// How an operand of a broadcast binary op indexes an output viewed as [outer, inner]: every element, a single
// value, a vector along inner (repeated for each outer index), or a vector along outer (repeated inner times).
enum OperandKind : int { kKFull = 0, kKScalar = 1, kKRow = 2, kKCol = 3 };
void Binary(int op, const float* a, int aKind, const float* b, int bKind, float* out, int64_t outer, int64_t inner);
void Unary(int op, const float* x, float* y, int64_t n, float alpha);
enum ReduceOp : int { kRSum = 0, kRMean, kRMax, kRMin, kRProd };
// x viewed as [outer, r, inner], reduced over r into y [outer, inner].
void Reduce(int op, const float* x, float* y, int64_t outer, int64_t r, int64_t inner);
// Softmax / log-softmax over the last axis of [rows, cols].
void Softmax(const float* x, float* y, int64_t rows, int64_t cols, bool log);

// --- loss.cc
// loss[r] = -logSoftmax(x[r])[labels[r]], backprop[r] = softmax(x[r]) - onehot(labels[r]); a label outside
// [0, cols) gives loss 0 and a zero backprop row (the unfused path's zero one-hot row).
void SparseSoftmaxCrossEntropy(const float* x, const int32_t* labels, float* loss, float* backprop, int64_t rows,
                               int64_t cols);

// --- optim.cc
// TensorFlow.js's optimizer updates, fused (o* = new values; each may be its own input, for an in-place update):
// SGD:      v' = c * g + v                                   (c = -learning rate)
// Momentum: acc' = m * acc + g; v' = c * acc' + v             (Nesterov: v' = c * (g + acc' * m) + v)
// Adam:     m1' = m1 * b1 + g * (1 - b1); m2' = m2 * b2 + g^2 * (1 - b2);
//           v' = (m1' / (1 - b1^t)) / (sqrt(m2' / (1 - b2^t)) + eps) * -lr + v
struct AdamScalars {
  float beta1, oneMinusBeta1, beta2, oneMinusBeta2, oneMinusAccBeta1, oneMinusAccBeta2, epsilon, negLr;
};
void SgdUpdate(const float* v, const float* g, float* ov, int64_t n, float c);
void MomentumUpdate(const float* v, const float* acc, const float* g, float* ov, float* oacc, int64_t n, float c,
                    float m, bool nesterov);
void AdamUpdate(const float* v, const float* m1, const float* m2, const float* g, float* ov, float* om1, float* om2,
                int64_t n, const AdamScalars& s);

}  // namespace kd
