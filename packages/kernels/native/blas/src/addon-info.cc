// info(): the addon's OpenBLAS, thread pool, oneDNN and the library and instruction set of each kernel family, as
// `kindling info`, nativeKernelLibraries() and the benchmark print them.
#include "addon-info.h"

#include <cblas.h>

#include <string>

#include "kernels.h"
#include "parallel.h"

namespace kd_addon {

namespace {

std::string SimdLevel() {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return "avx512f";
  if (__builtin_cpu_supports("avx2")) return "avx2";
  return "sse2";
#else
  return "baseline";
#endif
}

// The library and instruction set of each kernel family, as info().kernels reports them: oneDNN's implementation
// name (e.g. "brg:avx512_core_bf16", from the last primitive created) once a primitive of the family exists.
Napi::Object KernelFamilies(Napi::Env env, const std::string& simd) {
  Napi::Object k = Napi::Object::New(env);
  const std::string blas = "openblas sgemm (" + std::string(openblas_get_corename()) + ")";
  const bool dnnl = kd::DnnlCompiled() && kd::DnnlEnabled();
  const auto dnnlFamily = [&](int family) {
    const std::string impl = kd::DnnlImpl(family);
    return "onednn " + kd::DnnlVersion() + " (" + (impl.empty() ? kd::DnnlIsa() : impl) + ")";
  };
  k.Set("matmul", dnnl ? dnnlFamily(kd::kDnnlMatMul) + "; products under 2^17 multiply-adds: " + blas : blas);
  k.Set("matmulBf16", dnnl && kd::DnnlBf16() ? dnnlFamily(kd::kDnnlMatMulBf16)
                      : kd::HasSbgemm() ? "openblas sbgemm" : blas + " on bfloat16-rounded operands");
  k.Set("conv", dnnl ? dnnlFamily(kd::kDnnlConv) : "kindling im2col + " + blas);
  k.Set("convBackprop", dnnl ? dnnlFamily(kd::kDnnlConvBwd) + "; input gradient under 8 channels: kindling im2col + " + blas
                             : "kindling im2col + " + blas);
  k.Set("convBf16", dnnl && kd::DnnlBf16() ? dnnlFamily(kd::kDnnlConvBf16) + ", backprops " + dnnlFamily(kd::kDnnlConvBwdBf16)
                    : "kindling float32 convolution on bfloat16-rounded operands");
  k.Set("pool", dnnl ? "max pooling forward: " + dnnlFamily(kd::kDnnlPool) + "; average pooling, gradients: kindling (" + simd + ")"
                    : "kindling (" + simd + ")");
  k.Set("elementwise", "kindling (" + simd + ")");
  return k;
}

}  // namespace

// info() -> { config, coreName, threads, spinMicros, sbgemm, simd, openblasThreading, dnnl, kernels }
Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  static const char* kThreading[] = {"sequential", "pthreads", "openmp"};
  const int t = kd::OpenBlasThreading();
  o.Set("openblasThreading", t >= 0 && t <= 2 ? kThreading[t] : "unknown");
  Napi::Object d = Napi::Object::New(info.Env());
  d.Set("compiled", kd::DnnlCompiled());
  d.Set("enabled", kd::DnnlCompiled() && kd::DnnlEnabled());
  d.Set("version", kd::DnnlVersion());
  d.Set("isa", kd::DnnlIsa());
  d.Set("bf16", kd::DnnlCompiled() && kd::DnnlBf16());
  const kd::PackedCopyStats st = kd::PackedCopyCounts();
  Napi::Object copies = Napi::Object::New(info.Env());
  const char* kinds[2] = {"filters", "bf16"};
  for (int i = 0; i < 2; ++i) {
    Napi::Object c = Napi::Object::New(info.Env());
    c.Set("made", static_cast<double>(st.made[i]));
    c.Set("reused", static_cast<double>(st.reused[i]));
    copies.Set(kinds[i], c);
  }
  copies.Set("kept", static_cast<double>(st.kept));
  copies.Set("bytes", static_cast<double>(st.bytes));
  d.Set("packedCopies", copies);
  o.Set("dnnl", d);
  o.Set("kernels", KernelFamilies(info.Env(), SimdLevel()));
  o.Set("config", std::string(openblas_get_config()));
  o.Set("coreName", std::string(openblas_get_corename()));
  o.Set("threads", kd::ThreadPool::Get().Threads());
  o.Set("spinMicros", kd::ThreadPool::Get().SpinMicros());
  o.Set("sbgemm", kd::HasSbgemm());
  o.Set("simd", SimdLevel());
  return o;
}

}  // namespace kd_addon
