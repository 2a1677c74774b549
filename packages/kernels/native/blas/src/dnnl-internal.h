// What dnnl.cc (products, threading, info) and dnnl-conv.cc (convolutions) share: the engine, per-thread streams and
// scratchpads, the primitive cache. Only with oneDNN compiled in (KINDLING_DNNL).
#pragma once

#ifdef KINDLING_DNNL

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <dnnl.hpp>

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


// Runs a cached primitive on this thread's stream, with this thread's scratchpad.
template <class Pd>
void Execute(const Entry<Pd>& e, std::unordered_map<int, memory> args) {
  const memory::desc sp = e.pd.scratchpad_desc();
  if (sp.get_size() > 0) args.emplace(DNNL_ARG_SCRATCHPAD, Scratchpad(sp));
  e.prim.execute(Stream(), args);
}


// Records the implementation oneDNN chose for a kernel family (DnnlFamily), for info().
void NoteImpl(int family, const char* impl);

}  // namespace dnnl_internal
}  // namespace kd

#endif  // KINDLING_DNNL
