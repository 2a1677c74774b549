// What dnnl.cc (products, threading, info) and dnnl-conv.cc (convolutions) share: the engine, per-thread streams and
// scratchpads, the primitive cache. Only with oneDNN compiled in (KINDLING_DNNL).
#pragma once

#ifdef KINDLING_DNNL

#include <csignal>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <dnnl.hpp>

#include "kernels.h"

namespace kd {
namespace dnnl_internal {

using dnnl::memory;
using Tag = memory::format_tag;
using Dt = memory::data_type;

inline dnnl::engine& Engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

inline dnnl::stream& Stream() {
  thread_local dnnl::stream s(Engine());
  return s;
}

inline dnnl::primitive_attr UserScratchpad() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

// A per-thread scratchpad of at least `bytes` (the primitives' attribute is scratchpad_mode::user, so that parts run
// one primitive concurrently).
inline memory Scratchpad(const memory::desc& md) {
  thread_local std::vector<uint8_t> buf;
  if (buf.size() < md.get_size()) buf.resize(md.get_size());
  return memory(md, Engine(), buf.data());
}

// One cached primitive with its descriptor.
template <class Pd>
struct Entry {
  Pd pd;
  dnnl::primitive prim;
};

// Primitives by key (shape and attributes). Creation takes ~0.1-1 ms; a training step reuses the same few shapes.
template <class Pd>
class Cache {
 public:
  template <class Make>
  std::shared_ptr<Entry<Pd>> Get(const std::string& key, Make&& make) {
    std::lock_guard<std::mutex> lock(m_);
    auto it = map_.find(key);
    if (it != map_.end()) return it->second;
    if (map_.size() >= kCapacity) map_.clear();  // shapes of a long-gone model; recreated on demand
    auto e = std::make_shared<Entry<Pd>>();
    e->pd = make();
    e->prim = typename Pd::primitive_type(e->pd);
    map_.emplace(key, e);
    return e;
  }

 private:
  static constexpr size_t kCapacity = 512;
  std::mutex m_;
  std::unordered_map<std::string, std::shared_ptr<Entry<Pd>>> map_;
};


inline std::string Key(const char* kind, std::initializer_list<int64_t> v) {
  std::string s(kind);
  for (int64_t x : v) {
    s += ':';
    s += std::to_string(x);
  }
  return s;
}


inline bool HasBf16Isa() {
  const auto isa = static_cast<unsigned>(dnnl_get_effective_cpu_isa());
  const auto bf16 = static_cast<unsigned>(dnnl_cpu_isa_avx512_core_bf16);
  return (isa & bf16) == bf16;
}


// Blocks the asynchronous signals on the calling thread for its lifetime (once per thread); the pool's workers call
// it when they start (dnnl.cc). Why: oneDNN's JIT gemm kernels (jit_avx512_common_gemm_f32, which oneDNN picks for
// some products) point RSP into the heap while they run, so a signal delivered to the thread meanwhile writes its
// frame there and corrupts the heap (oneDNN issue #4845, open in 2.6.3; seen here as malloc aborts when
// `node --cpu-prof` samples a training process). Synchronous signals (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP,
// SIGSYS) stay unblocked.
void BlockAsyncSignalsForThread();

// While alive, the asynchronous signals are blocked on this thread, unless they already are for good (a pool worker).
class AsyncSignalsBlocked {
 public:
  AsyncSignalsBlocked();
  ~AsyncSignalsBlocked();
  AsyncSignalsBlocked(const AsyncSignalsBlocked&) = delete;
  AsyncSignalsBlocked& operator=(const AsyncSignalsBlocked&) = delete;

 private:
  bool restore_ = false;
  sigset_t old_;
};

// Runs a cached primitive on this thread's stream, with this thread's scratchpad, asynchronous signals blocked.
template <class Pd>
void Execute(const Entry<Pd>& e, std::unordered_map<int, memory> args) {
  const memory::desc sp = e.pd.scratchpad_desc();
  if (sp.get_size() > 0) args.emplace(DNNL_ARG_SCRATCHPAD, Scratchpad(sp));
  const AsyncSignalsBlocked blocked;
  e.prim.execute(Stream(), args);
}


// The copy of the operand content named by `stamp` in layout `md`, made by fill(bytes) when not cached (see
// packed-cache.cc); stamp 0: always made, never kept.
std::shared_ptr<uint8_t[]> PackedCopy(double stamp, const memory::desc& md, const std::function<void(void*)>& fill);

// x (n floats) rounded to bfloat16 bits (round-to-nearest-even): the copy kept for x's stamp (kept in `hold` for
// the call), or, without a stamp, `scratch` (n entries) filled for this call.
inline const uint16_t* Bf16Of(const float* x, int64_t n, uint16_t* scratch, std::shared_ptr<uint8_t[]>* hold) {
  const double stamp = StampOf(x);
  if (stamp <= 0) {
    ToBf16Bits(x, scratch, n);
    return scratch;
  }
  *hold = PackedCopy(stamp, memory::desc({n}, Dt::bf16, Tag::a),
                     [&](void* out) { ToBf16Bits(x, static_cast<uint16_t*>(out), n); });
  return reinterpret_cast<const uint16_t*>(hold->get());
}

// Records the implementation oneDNN chose for a kernel family (DnnlFamily), for info().
void NoteImpl(int family, const char* impl);

}  // namespace dnnl_internal
}  // namespace kd

#endif  // KINDLING_DNNL
