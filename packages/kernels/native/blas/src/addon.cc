// kindling native backend addon: Node-API bindings of the OpenBLAS-backed kernels in kernels.h.
//
// Every entry point takes Float32Arrays owned by JavaScript (zero-copy: the cpu backend's tensor storage) and
// writes its result into an output Float32Array allocated by the caller. Sizes are re-checked here against the
// dimensions passed in, so a caller bug throws a TypeError instead of reading or writing out of bounds.
#include <cblas.h>
#include <napi.h>

#include <cstring>
#include <string>

#include "addon-info.h"
#include "kernels.h"
#include "parallel.h"

namespace {

using F32 = Napi::TypedArrayOf<float>;

[[noreturn]] void Fail(Napi::Env env, const std::string& msg) {
  throw Napi::TypeError::New(env, "kindling native: " + msg);
}

F32 Arr(const Napi::CallbackInfo& info, size_t i, int64_t minLen, const char* what) {
  if (info.Length() <= i || !info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    Fail(info.Env(), std::string(what) + " must be a Float32Array");
  }
  F32 a = info[i].As<F32>();
  if (static_cast<int64_t>(a.ElementLength()) < minLen) {
    Fail(info.Env(), std::string(what) + " has " + std::to_string(a.ElementLength()) + " elements, needs " + std::to_string(minLen));
  }
  return a;
}

// An optional Float32Array (null/undefined -> nullptr) of at least minLen elements when present.
const float* OptArr(const Napi::CallbackInfo& info, size_t i, int64_t minLen, const char* what) {
  if (info.Length() <= i || info[i].IsNull() || info[i].IsUndefined()) return nullptr;
  return Arr(info, i, minLen, what).Data();
}

// An optional output Float32Array, as OptArr.
float* OptOut(const Napi::CallbackInfo& info, size_t i, int64_t minLen, const char* what) {
  if (info.Length() <= i || info[i].IsNull() || info[i].IsUndefined()) return nullptr;
  return Arr(info, i, minLen, what).Data();
}

int64_t Int(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsNumber()) Fail(info.Env(), "argument " + std::to_string(i) + " must be a number");
  const int64_t v = info[i].As<Napi::Number>().Int64Value();
  if (v < 0) Fail(info.Env(), "argument " + std::to_string(i) + " must be >= 0");
  return v;
}

double Num(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsNumber()) Fail(info.Env(), "argument " + std::to_string(i) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

int64_t VecLen(int mode, int64_t cols, int64_t total) {
  switch (mode) {
    case kd::kScalar: return 1;
    case kd::kPerColumn: return cols;
    case kd::kFull: return total;
    default: return 0;
  }
}

bool Bf16Flag(const Napi::CallbackInfo& info, size_t i) { return info.Length() > i && info[i].ToBoolean(); }

// The stamps of the first two operands (argument i: a Float64Array [stamp0, stamp1], or absent; see kd::StampOf),
// registered for the call.
kd::OperandStamps Stamps(const Napi::CallbackInfo& info, size_t i, const float* p0, const float* p1) {
  if (info.Length() <= i || !info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    return kd::OperandStamps(p0, 0, p1, 0);
  }
  Napi::TypedArrayOf<double> s = info[i].As<Napi::TypedArrayOf<double>>();
  if (s.ElementLength() < 2) Fail(info.Env(), "stamps need 2 numbers");
  return kd::OperandStamps(p0, s[0], p1, s[1]);
}

// The epilogue of a bfloat16 (autocast) product or convolution over [rows, cols]: bias and prelu weights rounded to
// bfloat16 too (autocast rounds every float32 operand), then the float32 output rounded to bfloat16.
void Bf16Epilogue(float* out, int64_t rows, int64_t cols, const float* bias, int biasMode, int act, const float* alpha,
                  int alphaMode, float leaky) {
  float* rb = nullptr;
  float* ra = nullptr;
  const int64_t total = rows * cols;
  const int64_t nb = VecLen(biasMode, cols, total), na = act == kd::kPrelu ? VecLen(alphaMode, cols, total) : 0;
  if (nb + na > 0) {
    float* s = kd::ScratchF32(static_cast<size_t>(nb + na), 3);
    if (nb > 0) { std::memcpy(s, bias, sizeof(float) * nb); kd::RoundBf16InPlace(s, nb); rb = s; }
    if (na > 0) { std::memcpy(s + nb, alpha, sizeof(float) * na); kd::RoundBf16InPlace(s + nb, na); ra = s + nb; }
  }
  kd::Epilogue(out, rows, cols, rb, biasMode, act, ra, alphaMode, leaky);
  kd::RoundBf16InPlace(out, total);
}

// matmul(a, b, out, batch, batchA, batchB, m, n, k, transA, transB, bias, biasMode, act, alpha, alphaMode,
//        leakyAlpha, bf16) -> undefined
Napi::Value MatMul(const Napi::CallbackInfo& info) {
  const int64_t batch = Int(info, 3), batchA = Int(info, 4), batchB = Int(info, 5);
  const int64_t m = Int(info, 6), n = Int(info, 7), k = Int(info, 8);
  const bool transA = info[9].ToBoolean(), transB = info[10].ToBoolean();
  if (batchA == 0 || batchB == 0 || (batch % batchA) != 0 || (batch % batchB) != 0) Fail(info.Env(), "bad batch sizes");
  F32 a = Arr(info, 0, batchA * m * k, "a");
  F32 b = Arr(info, 1, batchB * k * n, "b");
  F32 out = Arr(info, 2, batch * m * n, "out");
  const int biasMode = static_cast<int>(Int(info, 12)), act = static_cast<int>(Int(info, 13));
  const int alphaMode = static_cast<int>(Int(info, 15));
  const float* bias = OptArr(info, 11, VecLen(biasMode, n, batch * m * n), "bias");
  const float* alpha = OptArr(info, 14, VecLen(alphaMode, n, batch * m * n), "alpha");
  if ((biasMode != kd::kNone && bias == nullptr) || (act == kd::kPrelu && (alpha == nullptr || alphaMode == kd::kNone))) {
    Fail(info.Env(), "missing bias or prelu weights");
  }
  const float leaky = static_cast<float>(Num(info, 16));
  const bool bf16 = info.Length() > 17 && info[17].ToBoolean();
  const kd::OperandStamps stamps = Stamps(info, 18, a.Data(), b.Data());
  if (bf16) {
    if (!kd::BatchMatMulBf16(a.Data(), b.Data(), out.Data(), batch, batchA, batchB, m, n, k, transA, transB)) {
      Fail(info.Env(), "this OpenBLAS has no cblas_sbgemm (bfloat16)");
    }
    Bf16Epilogue(out.Data(), batch * m, n, bias, biasMode, act, alpha, alphaMode, leaky);
  } else {
    kd::BatchMatMul(a.Data(), b.Data(), out.Data(), batch, batchA, batchB, m, n, k, transA, transB);
    kd::Epilogue(out.Data(), batch * m, n, bias, biasMode, act, alpha, alphaMode, leaky);
  }
  return info.Env().Undefined();
}

// Geometry from a Float64Array of 15 numbers in ConvGeom's field order.
kd::ConvGeom Geom(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    Fail(info.Env(), "geometry must be a Float64Array");
  }
  Napi::TypedArrayOf<double> g = info[i].As<Napi::TypedArrayOf<double>>();
  if (g.ElementLength() < 15) Fail(info.Env(), "geometry needs 15 numbers");
  int64_t v[15];
  for (int j = 0; j < 15; ++j) {
    v[j] = static_cast<int64_t>(g[j]);
    if (j < 13 && v[j] < 0) Fail(info.Env(), "negative geometry");
  }
  kd::ConvGeom r{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14]};
  if (r.strideH == 0 || r.strideW == 0 || r.dilH == 0 || r.dilW == 0) Fail(info.Env(), "zero stride or dilation");
  return r;
}

int64_t InSize(const kd::ConvGeom& g) { return g.batch * g.inH * g.inW * g.inC; }
int64_t OutSize(const kd::ConvGeom& g, int64_t c) { return g.batch * g.outH * g.outW * c; }
int64_t FilterSize(const kd::ConvGeom& g) { return g.fH * g.fW * g.inC * g.outC; }

// conv2d(x, w, out, geom, bias, biasMode, act, alpha, alphaMode, leakyAlpha, bf16): bf16 rounds the operands, bias,
// prelu weights and the result to bfloat16, with float32 accumulation (autocast).
Napi::Value Conv2D(const Napi::CallbackInfo& info) {
  const kd::ConvGeom g = Geom(info, 3);
  F32 x = Arr(info, 0, InSize(g), "x"), w = Arr(info, 1, FilterSize(g), "filter");
  F32 out = Arr(info, 2, OutSize(g, g.outC), "out");
  const int biasMode = static_cast<int>(Int(info, 5)), act = static_cast<int>(Int(info, 6));
  const int alphaMode = static_cast<int>(Int(info, 8));
  const int64_t total = OutSize(g, g.outC);
  const float* bias = OptArr(info, 4, VecLen(biasMode, g.outC, total), "bias");
  const float* alpha = OptArr(info, 7, VecLen(alphaMode, g.outC, total), "alpha");
  if ((biasMode != kd::kNone && bias == nullptr) || (act == kd::kPrelu && (alpha == nullptr || alphaMode == kd::kNone))) {
    Fail(info.Env(), "missing bias or prelu weights");
  }
  const float leaky = static_cast<float>(Num(info, 9));
  const kd::OperandStamps stamps = Stamps(info, 11, x.Data(), w.Data());
  if (!Bf16Flag(info, 10)) {
    kd::Conv2D(x.Data(), w.Data(), out.Data(), g);
    kd::Epilogue(out.Data(), g.batch * g.outH * g.outW, g.outC, bias, biasMode, act, alpha, alphaMode, leaky);
    return info.Env().Undefined();
  }
  kd::Conv2DBf16(x.Data(), w.Data(), out.Data(), g);
  Bf16Epilogue(out.Data(), g.batch * g.outH * g.outW, g.outC, bias, biasMode, act, alpha, alphaMode, leaky);
  return info.Env().Undefined();
}

// conv2dBackpropInput(dy, w, dx, geom, bf16): bf16 rounds the operands and the result to bfloat16 (autocast).
Napi::Value Conv2DBackpropInput(const Napi::CallbackInfo& info) {
  const kd::ConvGeom g = Geom(info, 3);
  F32 dy = Arr(info, 0, OutSize(g, g.outC), "dy"), w = Arr(info, 1, FilterSize(g), "filter");
  F32 dx = Arr(info, 2, InSize(g), "dx");
  const kd::OperandStamps stamps = Stamps(info, 5, dy.Data(), w.Data());
  if (Bf16Flag(info, 4)) {
    kd::Conv2DBackpropInputBf16(dy.Data(), w.Data(), dx.Data(), g);
    kd::RoundBf16InPlace(dx.Data(), InSize(g));
  } else {
    kd::Conv2DBackpropInput(dy.Data(), w.Data(), dx.Data(), g);
  }
  return info.Env().Undefined();
}

// conv2dBackpropFilter(x, dy, dw, geom, bf16): as conv2dBackpropInput.
Napi::Value Conv2DBackpropFilter(const Napi::CallbackInfo& info) {
  const kd::ConvGeom g = Geom(info, 3);
  F32 x = Arr(info, 0, InSize(g), "x"), dy = Arr(info, 1, OutSize(g, g.outC), "dy");
  F32 dw = Arr(info, 2, FilterSize(g), "dw");
  const kd::OperandStamps stamps = Stamps(info, 5, x.Data(), dy.Data());
  if (Bf16Flag(info, 4)) {
    kd::Conv2DBackpropFilterBf16(x.Data(), dy.Data(), dw.Data(), g);
    kd::RoundBf16InPlace(dw.Data(), FilterSize(g));
  } else {
    kd::Conv2DBackpropFilter(x.Data(), dy.Data(), dw.Data(), g);
  }
  return info.Env().Undefined();
}

// pool(kind, x, out, geom): kind 0 max, 1 avg.
Napi::Value Pool(const Napi::CallbackInfo& info) {
  const kd::ConvGeom g = Geom(info, 3);
  F32 x = Arr(info, 1, InSize(g), "x"), out = Arr(info, 2, OutSize(g, g.inC), "out");
  if (Int(info, 0) == 0) kd::MaxPool(x.Data(), out.Data(), g);
  else kd::AvgPool(x.Data(), out.Data(), g);
  return info.Env().Undefined();
}

// poolGrad(kind, dy, x, dx, geom): kind 0 max (x is the pooled input), 1 avg (x unused, may be null).
Napi::Value PoolGrad(const Napi::CallbackInfo& info) {
  const kd::ConvGeom g = Geom(info, 4);
  F32 dy = Arr(info, 1, OutSize(g, g.inC), "dy"), dx = Arr(info, 3, InSize(g), "dx");
  if (Int(info, 0) == 0) kd::MaxPoolGrad(dy.Data(), Arr(info, 2, InSize(g), "x").Data(), dx.Data(), g);
  else kd::AvgPoolGrad(dy.Data(), dx.Data(), g);
  return info.Env().Undefined();
}

int64_t KindLen(int kind, int64_t outer, int64_t inner) {
  switch (kind) {
    case kd::kKFull: return outer * inner;
    case kd::kKRow: return inner;
    case kd::kKCol: return outer;
    default: return 1;
  }
}

// binary(op, a, aKind, b, bKind, out, outer, inner)
Napi::Value Binary(const Napi::CallbackInfo& info) {
  const int op = static_cast<int>(Int(info, 0));
  const int aKind = static_cast<int>(Int(info, 2)), bKind = static_cast<int>(Int(info, 4));
  const int64_t outer = Int(info, 6), inner = Int(info, 7);
  if (op >= kd::kNumBinary || aKind > 3 || bKind > 3) Fail(info.Env(), "bad binary op or operand kind");
  F32 a = Arr(info, 1, KindLen(aKind, outer, inner), "a"), b = Arr(info, 3, KindLen(bKind, outer, inner), "b");
  F32 out = Arr(info, 5, outer * inner, "out");
  kd::Binary(op, a.Data(), aKind, b.Data(), bKind, out.Data(), outer, inner);
  return info.Env().Undefined();
}

// unary(op, x, out, alpha)
Napi::Value Unary(const Napi::CallbackInfo& info) {
  const int op = static_cast<int>(Int(info, 0));
  if (op >= kd::kNumUnary) Fail(info.Env(), "bad unary op");
  F32 x = Arr(info, 1, 0, "x");
  F32 out = Arr(info, 2, static_cast<int64_t>(x.ElementLength()), "out");
  kd::Unary(op, x.Data(), out.Data(), static_cast<int64_t>(x.ElementLength()), static_cast<float>(Num(info, 3)));
  return info.Env().Undefined();
}

// reduce(op, x, out, outer, r, inner)
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  const int op = static_cast<int>(Int(info, 0));
  const int64_t outer = Int(info, 3), r = Int(info, 4), inner = Int(info, 5);
  if (op > kd::kRProd) Fail(info.Env(), "bad reduce op");
  F32 x = Arr(info, 1, outer * r * inner, "x"), out = Arr(info, 2, outer * inner, "out");
  kd::Reduce(op, x.Data(), out.Data(), outer, r, inner);
  return info.Env().Undefined();
}

// softmax(x, out, rows, cols, log)
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  const int64_t rows = Int(info, 2), cols = Int(info, 3);
  F32 x = Arr(info, 0, rows * cols, "x"), out = Arr(info, 1, rows * cols, "out");
  kd::Softmax(x.Data(), out.Data(), rows, cols, info[4].ToBoolean());
  return info.Env().Undefined();
}

// sparseSoftmaxCrossEntropy(logits, labels, loss, backprop, rows, cols)
Napi::Value SparseSoftmaxCrossEntropy(const Napi::CallbackInfo& info) {
  const int64_t rows = Int(info, 4), cols = Int(info, 5);
  F32 x = Arr(info, 0, rows * cols, "logits");
  if (info.Length() <= 1 || !info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      static_cast<int64_t>(info[1].As<Napi::TypedArray>().ElementLength()) < rows) {
    Fail(info.Env(), "labels must be an Int32Array of at least " + std::to_string(rows) + " elements");
  }
  Napi::TypedArrayOf<int32_t> labels = info[1].As<Napi::TypedArrayOf<int32_t>>();
  F32 loss = Arr(info, 2, rows, "loss"), backprop = Arr(info, 3, rows * cols, "backprop");
  kd::SparseSoftmaxCrossEntropy(x.Data(), labels.Data(), loss.Data(), backprop.Data(), rows, cols);
  return info.Env().Undefined();
}

// denseGrad(dy, y, a, g, dW, dBias, m, n, k): a Dense layer's backward pass (kd::DenseGrad). dy, y, g: [m, n]
// (y and g null without a ReLU), a: [m, k], dW: [k, n], dBias: [n] or null.
Napi::Value DenseGrad(const Napi::CallbackInfo& info) {
  const int64_t m = Int(info, 6), n = Int(info, 7), k = Int(info, 8);
  F32 dy = Arr(info, 0, m * n, "dy");
  const float* y = OptArr(info, 1, m * n, "y");
  F32 a = Arr(info, 2, m * k, "a");
  float* g = OptOut(info, 3, m * n, "g");
  if ((y == nullptr) != (g == nullptr)) Fail(info.Env(), "y and g must both be given (ReLU) or both be null");
  F32 dW = Arr(info, 4, k * n, "dW");
  float* dBias = OptOut(info, 5, n, "dBias");
  kd::DenseGrad(dy.Data(), y, a.Data(), g, dW.Data(), dBias, m, n, k);
  return info.Env().Undefined();
}

// biasActGrad(dy, y, g, dBias, m, n): kd::BiasActGrad; y and g both null (no ReLU) or both given, [m, n].
Napi::Value BiasActGrad(const Napi::CallbackInfo& info) {
  const int64_t m = Int(info, 4), n = Int(info, 5);
  F32 dy = Arr(info, 0, m * n, "dy");
  const float* y = OptArr(info, 1, m * n, "y");
  float* g = OptOut(info, 2, m * n, "g");
  if ((y == nullptr) != (g == nullptr)) Fail(info.Env(), "y and g must both be given (ReLU) or both be null");
  F32 dBias = Arr(info, 3, n, "dBias");
  kd::BiasActGrad(dy.Data(), y, g, dBias.Data(), m, n);
  return info.Env().Undefined();
}

// roundBf16(x): rounds float32 values to bfloat16 values in place.
Napi::Value RoundBf16(const Napi::CallbackInfo& info) {
  F32 x = Arr(info, 0, 0, "x");
  kd::RoundBf16InPlace(x.Data(), static_cast<int64_t>(x.ElementLength()));
  return info.Env().Undefined();
}

// setThreads(n): the number of threads of kindling's pool (the calling thread included).
Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  const int64_t n = std::max<int64_t>(1, Int(info, 0));
  kd::ThreadPool::Get().SetThreads(static_cast<int>(std::min<int64_t>(n, 1024)));
  return info.Env().Undefined();
}

// setSpin(us): how long the pool's workers spin after a task before they sleep, in microseconds.
Napi::Value SetSpin(const Napi::CallbackInfo& info) {
  const int64_t us = std::clamp<int64_t>(Int(info, 0), 0, kd::kMaxSpinMicros);
  kd::ThreadPool::Get().SetSpinMicros(static_cast<int>(us));
  return info.Env().Undefined();
}

// setDnnl(on): uses oneDNN (when compiled in) or not, from now on; KINDLING_DNNL=0 sets it off at load.
Napi::Value SetDnnl(const Napi::CallbackInfo& info) {
  kd::SetDnnlEnabled(info.Length() > 0 && info[0].ToBoolean());
  return info.Env().Undefined();
}

// sgdUpdate(v, g, outV, c)
Napi::Value SgdUpdate(const Napi::CallbackInfo& info) {
  F32 v = Arr(info, 0, 0, "value");
  const int64_t n = static_cast<int64_t>(v.ElementLength());
  F32 g = Arr(info, 1, n, "gradient"), ov = Arr(info, 2, n, "out value");
  kd::SgdUpdate(v.Data(), g.Data(), ov.Data(), n, static_cast<float>(Num(info, 3)));
  return info.Env().Undefined();
}

// momentumUpdate(v, acc, g, outV, outAcc, c, m, nesterov)
Napi::Value MomentumUpdate(const Napi::CallbackInfo& info) {
  F32 v = Arr(info, 0, 0, "value");
  const int64_t n = static_cast<int64_t>(v.ElementLength());
  F32 acc = Arr(info, 1, n, "accumulation"), g = Arr(info, 2, n, "gradient");
  F32 ov = Arr(info, 3, n, "out value"), oacc = Arr(info, 4, n, "out accumulation");
  const bool nesterov = info.Length() > 7 && info[7].ToBoolean().Value();
  kd::MomentumUpdate(v.Data(), acc.Data(), g.Data(), ov.Data(), oacc.Data(), n, static_cast<float>(Num(info, 5)),
                     static_cast<float>(Num(info, 6)), nesterov);
  return info.Env().Undefined();
}

// adamUpdate(v, m1, m2, g, outV, outM1, outM2, beta1, 1 - beta1, beta2, 1 - beta2, 1 - beta1^t, 1 - beta2^t, eps, -lr)
Napi::Value AdamUpdate(const Napi::CallbackInfo& info) {
  F32 v = Arr(info, 0, 0, "value");
  const int64_t n = static_cast<int64_t>(v.ElementLength());
  F32 m1 = Arr(info, 1, n, "first moment"), m2 = Arr(info, 2, n, "second moment"), g = Arr(info, 3, n, "gradient");
  F32 ov = Arr(info, 4, n, "out value"), om1 = Arr(info, 5, n, "out first moment"), om2 = Arr(info, 6, n, "out second moment");
  const auto f = [&info](size_t i) { return static_cast<float>(Num(info, i)); };
  const kd::AdamScalars s{f(7), f(8), f(9), f(10), f(11), f(12), f(13), f(14)};
  kd::AdamUpdate(v.Data(), m1.Data(), m2.Data(), g.Data(), ov.Data(), om1.Data(), om2.Data(), n, s);
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("matmul", Napi::Function::New(env, MatMul, "matmul"));
  exports.Set("newStampSpace", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    return Napi::Number::New(info.Env(), static_cast<double>(kd::NewStampSpace()));
  }, "newStampSpace"));
  exports.Set("releaseStamp", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    kd::ReleaseStamp(Num(info, 0));
    return info.Env().Undefined();
  }, "releaseStamp"));
  exports.Set("conv2d", Napi::Function::New(env, Conv2D, "conv2d"));
  exports.Set("conv2dBackpropInput", Napi::Function::New(env, Conv2DBackpropInput, "conv2dBackpropInput"));
  exports.Set("conv2dBackpropFilter", Napi::Function::New(env, Conv2DBackpropFilter, "conv2dBackpropFilter"));
  exports.Set("pool", Napi::Function::New(env, Pool, "pool"));
  exports.Set("poolGrad", Napi::Function::New(env, PoolGrad, "poolGrad"));
  exports.Set("binary", Napi::Function::New(env, Binary, "binary"));
  exports.Set("unary", Napi::Function::New(env, Unary, "unary"));
  exports.Set("reduce", Napi::Function::New(env, Reduce, "reduce"));
  exports.Set("softmax", Napi::Function::New(env, Softmax, "softmax"));
  exports.Set("sparseSoftmaxCrossEntropy", Napi::Function::New(env, SparseSoftmaxCrossEntropy, "sparseSoftmaxCrossEntropy"));
  exports.Set("sgdUpdate", Napi::Function::New(env, SgdUpdate, "sgdUpdate"));
  exports.Set("momentumUpdate", Napi::Function::New(env, MomentumUpdate, "momentumUpdate"));
  exports.Set("adamUpdate", Napi::Function::New(env, AdamUpdate, "adamUpdate"));
  exports.Set("denseGrad", Napi::Function::New(env, DenseGrad, "denseGrad"));
  exports.Set("biasActGrad", Napi::Function::New(env, BiasActGrad, "biasActGrad"));
  exports.Set("roundBf16", Napi::Function::New(env, RoundBf16, "roundBf16"));
  exports.Set("info", Napi::Function::New(env, kd_addon::Info, "info"));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads, "setThreads"));
  exports.Set("setSpin", Napi::Function::New(env, SetSpin, "setSpin"));
  exports.Set("setDnnl", Napi::Function::New(env, SetDnnl, "setDnnl"));
  // OpenBLAS runs single-threaded in each calling thread: large products are split over kindling's own thread pool
  // (kd::Sgemm), the same pool as the memory-bound loops, so that no two thread pools compete for the cores.
  openblas_set_num_threads(1);
  // Every thread calling OpenBLAS or oneDNN runs a one-thread OpenMP team (dnnl.cc): with the OpenMP build of
  // OpenBLAS, or oneDNN's OpenMP runtime, each pool part would otherwise start a team of its own.
  kd::EnsureSingleThreadOpenMP();
  return exports;
}

}  // namespace

NODE_API_MODULE(kindling_blas, Init)
