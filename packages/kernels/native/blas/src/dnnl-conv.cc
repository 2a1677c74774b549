// 2-D convolutions and their two backprops on oneDNN (float32 and bfloat16; see dnnl.cc for the threading and the
// primitive cache): kd::DnnlConv; and max pooling's forward pass: kd::DnnlMaxPool. Compiled only with oneDNN
// (KINDLING_DNNL); without it dnnl.cc defines both.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dnnl-internal.h"
#include "kernels.h"
#include "parallel.h"

#ifdef KINDLING_DNNL

namespace kd {
namespace {

using namespace dnnl_internal;  // NOLINT: this file is the oneDNN part of the addon
using dnnl::memory;
using Tag = memory::format_tag;
using Dt = memory::data_type;

struct ConvFwdPd : dnnl::convolution_forward::primitive_desc {
  using primitive_type = dnnl::convolution_forward;
  ConvFwdPd() = default;
  explicit ConvFwdPd(dnnl::convolution_forward::primitive_desc p) : dnnl::convolution_forward::primitive_desc(std::move(p)) {}
};
struct ConvBwdDataPd : dnnl::convolution_backward_data::primitive_desc {
  using primitive_type = dnnl::convolution_backward_data;
  ConvBwdDataPd() = default;
  explicit ConvBwdDataPd(dnnl::convolution_backward_data::primitive_desc p)
      : dnnl::convolution_backward_data::primitive_desc(std::move(p)) {}
};
struct ConvBwdWeightsPd : dnnl::convolution_backward_weights::primitive_desc {
  using primitive_type = dnnl::convolution_backward_weights;
  ConvBwdWeightsPd() = default;
  explicit ConvBwdWeightsPd(dnnl::convolution_backward_weights::primitive_desc p)
      : dnnl::convolution_backward_weights::primitive_desc(std::move(p)) {}
};

Cache<ConvFwdPd>& ConvFwds() { static auto* c = new Cache<ConvFwdPd>(); return *c; }
Cache<ConvBwdDataPd>& ConvBwdDatas() { static auto* c = new Cache<ConvBwdDataPd>(); return *c; }
Cache<ConvBwdWeightsPd>& ConvBwdWeights() { static auto* c = new Cache<ConvBwdWeightsPd>(); return *c; }

// --- convolution

memory::dims Dims(int64_t a, int64_t b, int64_t c, int64_t d) { return {a, b, c, d}; }

struct ConvShape {
  memory::dims src, wei, dst, strides, dil, padL, padR;
};

// The oneDNN shape of a (part of a) convolution of `batch` images; false when oneDNN cannot express it (a window
// that ends before the last input row or column would need negative right padding).
bool Shape(const ConvGeom& g, int64_t batch, ConvShape* s) {
  const int64_t extH = (g.fH - 1) * g.dilH + 1, extW = (g.fW - 1) * g.dilW + 1;
  int64_t padB = (g.outH - 1) * g.strideH + extH - g.inH - g.padTop;
  int64_t padR = (g.outW - 1) * g.strideW + extW - g.inW - g.padLeft;
  // Any right padding in [exact, exact + stride - 1] gives the same output size (floor division): take >= 0.
  if (padB < 0) padB = std::min<int64_t>(0, padB + g.strideH - 1);
  if (padR < 0) padR = std::min<int64_t>(0, padR + g.strideW - 1);
  if (padB < 0 || padR < 0 || g.padTop < 0 || g.padLeft < 0) return false;
  s->src = Dims(batch, g.inC, g.inH, g.inW);
  s->wei = Dims(g.outC, g.inC, g.fH, g.fW);
  s->dst = Dims(batch, g.outC, g.outH, g.outW);
  s->strides = {g.strideH, g.strideW};
  s->dil = {g.dilH - 1, g.dilW - 1};
  s->padL = {g.padTop, g.padLeft};
  s->padR = {padB, padR};
  return true;
}

std::string ConvKey(const char* kind, const ConvGeom& g, int64_t batch, bool bf16) {
  return Key(kind, {batch, g.inH, g.inW, g.inC, g.fH, g.fW, g.outC, g.outH, g.outW, g.strideH, g.strideW, g.dilH, g.dilW,
                    g.padTop, g.padLeft, bf16});
}

dnnl::convolution_forward::desc FwdDesc(const ConvShape& s, Dt dt) {
  return dnnl::convolution_forward::desc(
      dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, memory::desc(s.src, dt, Tag::nhwc),
      memory::desc(s.wei, dt, Tag::any), memory::desc(s.dst, Dt::f32, Tag::nhwc), s.strides, s.dil, s.padL, s.padR);
}

std::shared_ptr<Entry<ConvFwdPd>> FwdPrim(const ConvGeom& g, int64_t batch, bool bf16, const ConvShape& s) {
  return ConvFwds().Get(ConvKey("fwd", g, batch, bf16), [&] {
    ConvFwdPd pd(dnnl::convolution_forward::primitive_desc(FwdDesc(s, bf16 ? Dt::bf16 : Dt::f32), UserScratchpad(), Engine()));
    NoteImpl(bf16 ? kDnnlConvBf16 : kDnnlConv, pd.impl_info_str());
    return pd;
  });
}

// The input gradient reads the filter in the forward primitive's layout when oneDNN's own choice of implementation
// can (then one reorder of the filter per step serves both), else in the layout it prefers (one reorder each).
std::shared_ptr<Entry<ConvBwdDataPd>> BwdDataPrim(const ConvGeom& g, int64_t batch, bool bf16, const ConvShape& s) {
  const auto fwd = FwdPrim(g, batch, bf16, s);
  return ConvBwdDatas().Get(ConvKey("bwd-data", g, batch, bf16), [&] {
    const Dt dt = bf16 ? Dt::bf16 : Dt::f32;
    const auto make = [&](const memory::desc& wei) {
      const dnnl::convolution_backward_data::desc d(dnnl::algorithm::convolution_direct, memory::desc(s.src, Dt::f32, Tag::nhwc),
        wei, memory::desc(s.dst, dt, Tag::nhwc), s.strides, s.dil, s.padL, s.padR);
      return ConvBwdDataPd(dnnl::convolution_backward_data::primitive_desc(d, UserScratchpad(), Engine(), fwd->pd));
    };
    // oneDNN may accept the forward layout only with a slower implementation (a reference one took seconds per
    // step on the CNN's 64-channel layer): take it only when it is the implementation oneDNN picks by itself.
    ConvBwdDataPd pd = make(memory::desc(s.wei, dt, Tag::any));
    if (pd.weights_desc() != fwd->pd.weights_desc()) {
      try {
        ConvBwdDataPd shared = make(fwd->pd.weights_desc());
        if (std::string(shared.impl_info_str()) == pd.impl_info_str()) pd = shared;
      } catch (const dnnl::error&) {
        // no implementation reads the forward layout: the input gradient reorders the filter for itself
      }
    }
    NoteImpl(bf16 ? kDnnlConvBwdBf16 : kDnnlConvBwd, pd.impl_info_str());
    return pd;
  });
}

std::shared_ptr<Entry<ConvBwdWeightsPd>> BwdWeightsPrim(const ConvGeom& g, int64_t batch, bool bf16, const ConvShape& s) {
  return ConvBwdWeights().Get(ConvKey("bwd-weights", g, batch, bf16), [&] {
    const Dt dt = bf16 ? Dt::bf16 : Dt::f32;
    const dnnl::convolution_forward::primitive_desc hint(FwdDesc(s, dt), Engine());
    const dnnl::convolution_backward_weights::desc d(dnnl::algorithm::convolution_direct, memory::desc(s.src, dt, Tag::nhwc),
      memory::desc(s.wei, Dt::f32, Tag::any), memory::desc(s.dst, dt, Tag::nhwc), s.strides, s.dil, s.padL, s.padR);
    ConvBwdWeightsPd pd(dnnl::convolution_backward_weights::primitive_desc(d, UserScratchpad(), Engine(), hint));
    NoteImpl(bf16 ? kDnnlConvBwdBf16 : kDnnlConvBwd, pd.impl_info_str());
    return pd;
  });
}

// Reorders (and converts) the filter, TensorFlow.js's [fH, fW, C, K] float32 ("hwio"), into `want`: a copy kept
// by the filter's stamp when it has one (the forward pass and the input gradient of a step then share one reorder
// where their layouts agree, see BwdDataPrim), else made for this call. `done` holds the layouts made so far, shared
// by the parts that want the same one.
struct Filter {
  memory::desc md;
  std::shared_ptr<uint8_t[]> bytes;
};

void* ReorderFilter(const float* w, const memory::dims& dims, const memory::desc& want, std::vector<Filter>* done) {
  for (Filter& f : *done) if (f.md == want) return f.bytes.get();
  auto bytes = PackedCopy(StampOf(w), want, [&](void* out) {
    memory src(memory::desc(dims, Dt::f32, Tag::hwio), Engine(), const_cast<float*>(w));
    memory dst(want, Engine(), out);
    const AsyncSignalsBlocked signalsBlocked;  // JIT code: see dnnl-internal.h
    dnnl::reorder(src, dst).execute(Stream(), src, dst);
  });
  done->push_back(Filter{want, bytes});
  return bytes.get();
}

// The parts of a convolution over images, each with its primitive (at most two shapes: the last part may be smaller).
struct Plan {
  int64_t parts, per;
};

// The parts depend on the geometry only, never on the thread count, so that results (the filter gradient's partial
// sums in particular) are the same bits on any number of threads: up to 8 parts (the pool's threads claim them), of
// at least ~2^20 multiply-adds each.
Plan PlanImages(const ConvGeom& g) {
  const int64_t macs = g.batch * g.outH * g.outW * g.outC * g.fH * g.fW * g.inC;
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>({int64_t{8}, g.batch, macs >> 20}));
  const int64_t per = (g.batch + parts - 1) / parts;
  return {(g.batch + per - 1) / per, per};
}

// Runs fn(part, n0, n1) for every part on the pool. An exception must not escape a pool worker: a part that throws
// (a oneDNN error) is rethrown on the calling thread as a dnnl::error after all parts ended, so the caller's
// fallback runs (it overwrites the whole output).
template <class Fn>
void ForImages(const Plan& plan, int64_t batch, Fn&& fn) {
  if (plan.parts == 1) {
    fn(int64_t{0}, int64_t{0}, batch);
    return;
  }
  std::atomic<bool> failed{false};
  ParallelFor(plan.parts, 2, [&](int64_t s, int64_t e) {
    for (int64_t p = s; p < e; ++p) {
      try {
        fn(p, p * plan.per, std::min(batch, (p + 1) * plan.per));
      } catch (...) {
        failed.store(true);
      }
    }
  }, plan.parts);
  if (failed.load()) throw dnnl::error(dnnl_runtime_error, "a convolution part failed");
}

// One primitive per part of the plan, made by make(images, shape); parts of the full size share the first one.
template <class Pd, class Make>
std::vector<std::shared_ptr<Entry<Pd>>> PartPrims(const ConvGeom& g, const Plan& plan, Make&& make) {
  std::vector<std::shared_ptr<Entry<Pd>>> prims;
  for (int64_t p = 0; p < plan.parts; ++p) {
    const int64_t nb = std::min(g.batch, (p + 1) * plan.per) - p * plan.per;
    if (p > 0 && nb == plan.per) { prims.push_back(prims[0]); continue; }
    ConvShape s;
    Shape(g, nb, &s);
    prims.push_back(make(nb, s));
  }
  return prims;
}

// The filter in each part's weights layout (ReorderFilter reorders once per distinct layout).
template <class Pd>
std::vector<void*> PartFilters(const float* w, const ConvGeom& g, const std::vector<std::shared_ptr<Entry<Pd>>>& prims,
                               std::vector<Filter>* filters) {
  ConvShape s;
  Shape(g, 1, &s);  // the filter's dims do not depend on the images
  std::vector<void*> wp;
  for (const auto& prim : prims) wp.push_back(ReorderFilter(w, s.wei, prim->pd.weights_desc(), filters));
  return wp;
}

// float32 rounded to bfloat16 bits: Bf16Of with a per-call scratch buffer.
struct Bf16Operand {
  std::vector<uint16_t> scratch;
  std::shared_ptr<uint8_t[]> hold;
  const uint16_t* Of(const float* x, int64_t n) {
    if (StampOf(x) <= 0) scratch.resize(static_cast<size_t>(n));
    return Bf16Of(x, n, scratch.data(), &hold);
  }
};

bool ConvForward(const float* x, const float* w, float* y, const ConvGeom& g, bool bf16) {
  const Plan plan = PlanImages(g);
  ConvShape full;
  if (!Shape(g, plan.per, &full)) return false;
  Bf16Operand xb;
  const void* src = bf16 ? static_cast<const void*>(xb.Of(x, g.batch * g.inH * g.inW * g.inC)) : x;
  const size_t elt = bf16 ? 2 : 4;
  const auto prims = PartPrims<ConvFwdPd>(g, plan, [&](int64_t nb, const ConvShape& s) { return FwdPrim(g, nb, bf16, s); });
  std::vector<Filter> filters;
  const std::vector<void*> wp = PartFilters(w, g, prims, &filters);
  ForImages(plan, g.batch, [&](int64_t p, int64_t n0, int64_t n1) {
    EnsureSingleThreadOpenMP();
    const Entry<ConvFwdPd>& e = *prims[p];
    memory ms(e.pd.src_desc(), Engine(), const_cast<uint8_t*>(static_cast<const uint8_t*>(src) + elt * n0 * g.inH * g.inW * g.inC));
    memory mw(e.pd.weights_desc(), Engine(), wp[p]);
    memory md(e.pd.dst_desc(), Engine(), y + n0 * g.outH * g.outW * g.outC);
    (void)n1;
    Execute(e, {{DNNL_ARG_SRC, ms}, {DNNL_ARG_WEIGHTS, mw}, {DNNL_ARG_DST, md}});
  });
  return true;
}

bool ConvBackwardData(const float* dy, const float* w, float* dx, const ConvGeom& g, bool bf16) {
  const Plan plan = PlanImages(g);
  ConvShape full;
  if (!Shape(g, plan.per, &full)) return false;
  Bf16Operand db;
  const void* dyp = bf16 ? static_cast<const void*>(db.Of(dy, g.batch * g.outH * g.outW * g.outC)) : dy;
  const size_t elt = bf16 ? 2 : 4;
  const auto prims = PartPrims<ConvBwdDataPd>(g, plan, [&](int64_t nb, const ConvShape& s) { return BwdDataPrim(g, nb, bf16, s); });
  std::vector<Filter> filters;
  const std::vector<void*> wp = PartFilters(w, g, prims, &filters);
  ForImages(plan, g.batch, [&](int64_t p, int64_t n0, int64_t) {
    EnsureSingleThreadOpenMP();
    const Entry<ConvBwdDataPd>& e = *prims[p];
    memory mdy(e.pd.diff_dst_desc(), Engine(), const_cast<uint8_t*>(static_cast<const uint8_t*>(dyp) + elt * n0 * g.outH * g.outW * g.outC));
    memory mw(e.pd.weights_desc(), Engine(), wp[p]);
    memory mdx(e.pd.diff_src_desc(), Engine(), dx + n0 * g.inH * g.inW * g.inC);
    Execute(e, {{DNNL_ARG_DIFF_DST, mdy}, {DNNL_ARG_WEIGHTS, mw}, {DNNL_ARG_DIFF_SRC, mdx}});
  });
  return true;
}

bool ConvBackwardWeights(const float* x, const float* dy, float* dw, const ConvGeom& g, bool bf16) {
  const Plan plan = PlanImages(g);
  ConvShape full;
  if (!Shape(g, plan.per, &full)) return false;
  Bf16Operand xb, db;
  const void* xp = bf16 ? static_cast<const void*>(xb.Of(x, g.batch * g.inH * g.inW * g.inC)) : x;
  const void* dyp = bf16 ? static_cast<const void*>(db.Of(dy, g.batch * g.outH * g.outW * g.outC)) : dy;
  const size_t elt = bf16 ? 2 : 4;
  const int64_t size = g.fH * g.fW * g.inC * g.outC;
  const auto prims =
      PartPrims<ConvBwdWeightsPd>(g, plan, [&](int64_t nb, const ConvShape& s) { return BwdWeightsPrim(g, nb, bf16, s); });
  // One partial filter gradient per part, summed in part order afterwards (deterministic).
  std::vector<float> partials(plan.parts > 1 ? static_cast<size_t>(plan.parts * size) : 0);
  ForImages(plan, g.batch, [&](int64_t p, int64_t n0, int64_t n1) {
    EnsureSingleThreadOpenMP();
    const Entry<ConvBwdWeightsPd>& e = *prims[p];
    ConvShape s;
    Shape(g, n1 - n0, &s);
    memory mx(e.pd.src_desc(), Engine(), const_cast<uint8_t*>(static_cast<const uint8_t*>(xp) + elt * n0 * g.inH * g.inW * g.inC));
    memory mdy(e.pd.diff_dst_desc(), Engine(), const_cast<uint8_t*>(static_cast<const uint8_t*>(dyp) + elt * n0 * g.outH * g.outW * g.outC));
    thread_local std::vector<uint8_t> blocked;
    if (blocked.size() < e.pd.diff_weights_desc().get_size()) blocked.resize(e.pd.diff_weights_desc().get_size());
    memory mdw(e.pd.diff_weights_desc(), Engine(), blocked.data());
    Execute(e, {{DNNL_ARG_SRC, mx}, {DNNL_ARG_DIFF_DST, mdy}, {DNNL_ARG_DIFF_WEIGHTS, mdw}});
    float* out = plan.parts > 1 ? partials.data() + p * size : dw;
    memory plain(memory::desc(s.wei, Dt::f32, Tag::hwio), Engine(), out);
    const AsyncSignalsBlocked signalsBlocked;  // JIT code: see dnnl-internal.h
    dnnl::reorder(mdw, plain).execute(Stream(), mdw, plain);
  });
  if (plan.parts == 1) return true;
  ParallelFor(size, int64_t{1} << 14, [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i) {
      float sum = partials[i];
      for (int64_t p = 1; p < plan.parts; ++p) sum += partials[p * size + i];
      dw[i] = sum;
    }
  });
  return true;
}

// --- max pooling (forward): oneDNN's kernel, 1.2-2.4x kindling's loop on the CNN's two pooling layers (measured
// 0.10 vs 0.24 ms and 0.05 vs 0.06-0.08 ms); forward_inference (no workspace): the gradient recomputes the arg max
// from the input (kindling's MaxPoolGrad), as TensorFlow.js's kernel does. Parts: images, as convolutions.

struct PoolPd : dnnl::pooling_forward::primitive_desc {
  using primitive_type = dnnl::pooling_forward;
  PoolPd() = default;
  explicit PoolPd(dnnl::pooling_forward::primitive_desc p) : dnnl::pooling_forward::primitive_desc(std::move(p)) {}
};
Cache<PoolPd>& Pools() { static auto* c = new Cache<PoolPd>(); return *c; }

bool MaxPoolForward(const float* x, float* y, const ConvGeom& g) {
  // Only windows inside the image (a window's maximum starts at the lowest finite float in oneDNN, at -inf in
  // TensorFlow.js: MaxPool in pool.cc redoes the windows that end there; with padding there would be more to redo).
  if (!InteriorWindows(g)) return false;
  const Plan plan = PlanImages(g);
  ConvShape full;
  if (!Shape(g, plan.per, &full)) return false;
  const auto prims = PartPrims<PoolPd>(g, plan, [&](int64_t nb, ConvShape s) {
    s.dst = Dims(nb, g.inC, g.outH, g.outW);
    return Pools().Get(ConvKey("max-pool", g, nb, false), [&] {
      const dnnl::pooling_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::pooling_max,
        memory::desc(s.src, Dt::f32, Tag::nhwc), memory::desc(s.dst, Dt::f32, Tag::nhwc), s.strides, {g.fH, g.fW},
        s.padL, s.padR);
      PoolPd pd(dnnl::pooling_forward::primitive_desc(d, UserScratchpad(), Engine()));
      NoteImpl(kDnnlPool, pd.impl_info_str());
      return pd;
    });
  });
  ForImages(plan, g.batch, [&](int64_t p, int64_t n0, int64_t) {
    EnsureSingleThreadOpenMP();
    const Entry<PoolPd>& e = *prims[p];
    memory ms(e.pd.src_desc(), Engine(), const_cast<float*>(x + n0 * g.inH * g.inW * g.inC));
    memory md(e.pd.dst_desc(), Engine(), y + n0 * g.outH * g.outW * g.inC);
    Execute(e, {{DNNL_ARG_SRC, ms}, {DNNL_ARG_DST, md}});
  });
  return true;
}

}  // namespace

bool DnnlMaxPool(const float* x, float* y, const ConvGeom& g) {
  if (!DnnlEnabled() || g.batch == 0) return false;
  EnsureSingleThreadOpenMP();
  try {
    return MaxPoolForward(x, y, g);
  } catch (const dnnl::error&) {
    return false;
  }
}

bool DnnlConv(int op, const float* p0, const float* p1, float* out, const ConvGeom& g, bool bf16) {
  if (!DnnlEnabled() || (bf16 && !HasBf16Isa()) || g.batch == 0) return false;
  EnsureSingleThreadOpenMP();
  try {
    switch (op) {
      case kDnnlFwd: return ConvForward(p0, p1, out, g, bf16);
      case kDnnlBwdData: return ConvBackwardData(p0, p1, out, g, bf16);
      case kDnnlBwdWeights: return ConvBackwardWeights(p0, p1, out, g, bf16);
      default: return false;
    }
  } catch (const dnnl::error&) {
    return false;
  }
}


}  // namespace kd

#endif  // KINDLING_DNNL

