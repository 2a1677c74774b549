// oneDNN (Debian libdnnl-dev) behind the native kernels: matrix products (bfloat16, and float32 where faster than
// OpenBLAS; dnnl-matmul.cc), 2-D convolutions, their backprops and max pooling (dnnl-conv.cc); this file: the
// threading, the signal guard, the run-time switch and what info() reports. Compiled in when binding.gyp finds the
// oneDNN headers (KINDLING_DNNL); at run time KINDLING_DNNL=0 (or the addon's setDnnl(false)) turns it off, so that
// tests compare both paths in one build.
//
// Threading: one thread pool for the whole backend, kindling's (parallel.h). Debian's oneDNN uses OpenMP; every
// thread that calls it (the JavaScript thread, the pool's workers) is pinned to a one-thread OpenMP team
// (EnsureSingleThreadOpenMP), so oneDNN never starts OpenMP threads of its own that would spin on the cores the
// pool's workers need. Work is split over the pool instead: products by rows, convolutions by images, each part
// running a oneDNN primitive on one thread. The same pinning keeps the OpenMP build of OpenBLAS single-threaded per
// caller (it otherwise starts an OpenMP team inside every pool part: ~10x slower products).
//
// Primitives are created once per shape and attributes (a cache keyed by both, dnnl-internal.h) with a user-managed
// scratchpad (per thread), so that parts run the same primitive concurrently.
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <cblas.h>

#include "dnnl-internal.h"
#include "kernels.h"
#include "parallel.h"

namespace kd {

namespace {

using OmpSetFn = void (*)(int);

// omp_set_num_threads of the libgomp that OpenBLAS (OpenMP build) or oneDNN brought in, if any: looked up through
// their handles, since the addon is loaded RTLD_LOCAL and a global lookup would not see their dependencies.
OmpSetFn LookupOmpSet() {
  const void* anchors[] = {reinterpret_cast<void*>(&cblas_sgemm),
#ifdef KINDLING_DNNL
                           reinterpret_cast<void*>(&dnnl_version),
#endif
                           nullptr};
  for (const void* anchor : anchors) {
    if (anchor == nullptr) break;
    Dl_info info;
    if (dladdr(anchor, &info) == 0 || info.dli_fname == nullptr) continue;
    void* handle = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
    if (handle == nullptr) continue;
    if (void* fn = dlsym(handle, "omp_set_num_threads")) return reinterpret_cast<OmpSetFn>(fn);
  }
  return nullptr;
}

}  // namespace

void EnsureSingleThreadOpenMP() {
  thread_local bool done = false;
  if (done) return;
  done = true;
  static const OmpSetFn fn = LookupOmpSet();
  if (fn != nullptr) fn(1);
}

void OnPoolThreadStart() {
  EnsureSingleThreadOpenMP();
#ifdef KINDLING_DNNL
  dnnl_internal::BlockAsyncSignalsForThread();
#endif
}

int OpenBlasThreading() { return openblas_get_parallel(); }

#ifndef KINDLING_DNNL

bool DnnlCompiled() { return false; }
bool DnnlEnabled() { return false; }
void SetDnnlEnabled(bool) {}
bool DnnlBf16() { return false; }
std::string DnnlVersion() { return ""; }
std::string DnnlIsa() { return ""; }
std::string DnnlImpl(int) { return ""; }
bool DnnlMatMulBf16(const float*, const float*, float*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, bool, bool) {
  return false;
}
bool DnnlMatMulF32(const float*, const float*, float*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, bool, bool) {
  return false;
}
bool DnnlConv(int, const float*, const float*, float*, const ConvGeom&, bool) { return false; }
bool DnnlMaxPool(const float*, float*, const ConvGeom&) { return false; }

#else

namespace dnnl_internal {

std::mutex gImplMutex;
std::string gImpl[kNumDnnlFamilies];

void NoteImpl(int family, const char* impl) {
  std::lock_guard<std::mutex> lock(gImplMutex);
  gImpl[family] = impl;
}

namespace {

thread_local bool gSignalsBlockedForGood = false;

// Every signal but the synchronous ones (a fault must still reach its handler or kill the process).
sigset_t AsyncSignals() {
  sigset_t set;
  sigfillset(&set);
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGABRT}) sigdelset(&set, sig);
  return set;
}

}  // namespace

void BlockAsyncSignalsForThread() {
  const sigset_t set = AsyncSignals();
  if (pthread_sigmask(SIG_BLOCK, &set, nullptr) == 0) gSignalsBlockedForGood = true;
}

AsyncSignalsBlocked::AsyncSignalsBlocked() {
  if (gSignalsBlockedForGood) return;
  const sigset_t set = AsyncSignals();
  restore_ = pthread_sigmask(SIG_BLOCK, &set, &old_) == 0;
}

AsyncSignalsBlocked::~AsyncSignalsBlocked() {
  if (restore_) pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}

}  // namespace dnnl_internal

namespace {

using namespace dnnl_internal;  // NOLINT: this file is the oneDNN part of the addon

bool EnvEnabled() {
  const char* v = std::getenv("KINDLING_DNNL");
  return v == nullptr || (std::strcmp(v, "0") != 0 && std::strcmp(v, "false") != 0 && std::strcmp(v, "off") != 0);
}

std::atomic<bool> gEnabled{EnvEnabled()};

}  // namespace

bool DnnlCompiled() { return true; }
bool DnnlEnabled() { return gEnabled.load(std::memory_order_relaxed); }
void SetDnnlEnabled(bool on) { gEnabled.store(on, std::memory_order_relaxed); }
bool DnnlBf16() { return HasBf16Isa(); }

std::string DnnlVersion() {
  const dnnl_version_t* v = dnnl_version();
  char s[64];
  std::snprintf(s, sizeof(s), "%d.%d.%d", v->major, v->minor, v->patch);
  return s;
}

std::string DnnlIsa() {
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::sse41: return "sse41";
    default: return "other";
  }
}

std::string DnnlImpl(int family) {
  std::lock_guard<std::mutex> lock(gImplMutex);
  return family >= 0 && family < kNumDnnlFamilies ? gImpl[family] : std::string();
}

#endif  // KINDLING_DNNL

}  // namespace kd
