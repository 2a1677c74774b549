// Max and average pooling (NHWC) and their gradients: one window walk for the four kernels.

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels.h"
#include "parallel.h"

namespace kd {
namespace {

// The per-channel steps of max pooling, inlined into the range functions of the usual pooling below and called per
// window (through the target_clones dispatch) by the general walk. Separate arrays (restrict): vectorised without
// the aliasing checks that kept them scalar.

// m = max(m, v) per channel, as TensorFlow.js compares (NaN never wins).
inline void MaxStep(float* __restrict m, const float* __restrict v, int64_t n) {
  for (int64_t c = 0; c < n; ++c) m[c] = v[c] > m[c] ? v[c] : m[c];
}

// The running arg max: where v beats best (strictly: the first maximum wins, NaN never does), best = v, idx = at.
inline void ArgMaxStep(float* __restrict best, int32_t* __restrict idx, const float* __restrict v, int32_t at, int64_t n) {
  for (int64_t c = 0; c < n; ++c) {
    const bool gt = v[c] > best[c];
    best[c] = gt ? v[c] : best[c];
    idx[c] = gt ? at : idx[c];
  }
}

// A tap's gradient: dy where the tap is the window's arg max, else 0.
inline void SelectStep(float* __restrict o, const float* __restrict dy, const int32_t* __restrict idx, int32_t at, int64_t n) {
  for (int64_t c = 0; c < n; ++c) o[c] = idx[c] == at ? dy[c] : 0.f;
}

KD_CLONES void MaxInto(float* m, const float* v, int64_t n) { MaxStep(m, v, n); }

KD_CLONES void AddInto(float* m, const float* v, int64_t n) {
  for (int64_t c = 0; c < n; ++c) m[c] += v[c];
}

KD_CLONES void AddScaledInto(float* m, const float* v, float s, int64_t n) {
  for (int64_t c = 0; c < n; ++c) m[c] += v[c] * s;
}

KD_CLONES void ArgMaxInto(float* best, int32_t* idx, const float* v, int32_t at, int64_t n) { ArgMaxStep(best, idx, v, at, n); }

}  // namespace

// Calls visit(img, w, taps, count) for every pooling window of images [n0, n1): img = the image's offset in an NHWC
// tensor of the input's size, w = the window's index from the first window of image n0, taps = offsets (pixel * C)
// of the window's taps that fall inside the image (count of them), in row-major order. The one window walk of the
// four pooling kernels.
template <typename Visit>
static void ForEachWindow(const ConvGeom& g, int64_t n0, int64_t n1, Visit&& visit) {
  const int64_t C = g.inC;
  thread_local std::vector<int64_t> tapBuf;
  if (tapBuf.size() < static_cast<size_t>(g.fH * g.fW)) tapBuf.resize(static_cast<size_t>(g.fH * g.fW));
  int64_t* taps = tapBuf.data();
  int64_t w = 0;
  for (int64_t n = n0; n < n1; ++n) {
    const int64_t img = n * g.inH * g.inW * C;
    for (int64_t oy = 0; oy < g.outH; ++oy) {
      int64_t ky0, ky1;
      TapRange(oy * g.strideH - g.padTop, g.dilH, g.fH, g.inH, &ky0, &ky1);
      for (int64_t ox = 0; ox < g.outW; ++ox, ++w) {
        int64_t kx0, kx1;
        TapRange(ox * g.strideW - g.padLeft, g.dilW, g.fW, g.inW, &kx0, &kx1);
        int64_t count = 0;
        for (int64_t ky = ky0; ky < ky1; ++ky) {
          const int64_t iy = oy * g.strideH - g.padTop + ky * g.dilH;
          for (int64_t kx = kx0; kx < kx1; ++kx) {
            taps[count++] = (iy * g.inW + ox * g.strideW - g.padLeft + kx * g.dilW) * C;
          }
        }
        visit(img, w, taps, count);
      }
    }
  }
}

namespace {

// --- The usual pooling (2x2 / 2, 3x3 / 2, ...): every window inside the image, no dilation. One function per range
// with the loops over channels inlined (the per-window calls of the general walk below, each through the
// target_clones dispatch, cost more than the work on 32-64 channels); the same comparisons in the same order, so the
// same values.

KD_CLONES void MaxPoolInterior(const float* x, float* y, const ConvGeom& g, int64_t n0, int64_t n1) {
  const int64_t C = g.inC, rowStride = g.inW * C;
  const float lowest = -std::numeric_limits<float>::infinity();
  for (int64_t n = n0; n < n1; ++n) {
    const float* img = x + n * g.inH * rowStride;
    float* o = y + n * g.outH * g.outW * C;
    for (int64_t oy = 0; oy < g.outH; ++oy) {
      for (int64_t ox = 0; ox < g.outW; ++ox, o += C) {
        const float* corner = img + oy * g.strideH * rowStride + ox * g.strideW * C;
        for (int64_t c = 0; c < C; ++c) o[c] = lowest;
        for (int64_t ky = 0; ky < g.fH; ++ky) {
          for (int64_t kx = 0; kx < g.fW; ++kx) MaxStep(o, corner + ky * rowStride + kx * C, C);
        }
      }
    }
  }
}

// Windows that also do not overlap (stride >= window): per window, the arg max over the taps for every channel
// (first maximum in window order wins, NaN never does), then every tap's gradient. best, idx: C entries of scratch.
KD_CLONES void MaxPoolGradDisjoint(const float* dy, const float* x, float* dx, const ConvGeom& g, int64_t n0, int64_t n1,
                                   float* best, int32_t* idx) {
  const int64_t C = g.inC, rowStride = g.inW * C;
  const float lowest = -std::numeric_limits<float>::infinity();
  for (int64_t n = n0; n < n1; ++n) {
    const int64_t img = n * g.inH * rowStride;
    const float* dyw = dy + n * g.outH * g.outW * C;
    for (int64_t oy = 0; oy < g.outH; ++oy) {
      for (int64_t ox = 0; ox < g.outW; ++ox, dyw += C) {
        const int64_t at = img + oy * g.strideH * rowStride + ox * g.strideW * C;
        for (int64_t c = 0; c < C; ++c) {
          best[c] = lowest;
          idx[c] = -1;
        }
        int32_t t = 0;
        for (int64_t ky = 0; ky < g.fH; ++ky) {
          for (int64_t kx = 0; kx < g.fW; ++kx, ++t) {
            ArgMaxStep(best, idx, x + at + ky * rowStride + kx * C, t, C);
          }
        }
        t = 0;
        for (int64_t ky = 0; ky < g.fH; ++ky) {
          for (int64_t kx = 0; kx < g.fW; ++kx, ++t) SelectStep(dx + at + ky * rowStride + kx * C, dyw, idx, t, C);
        }
      }
    }
  }
}

}  // namespace

static void MaxPoolRange(const float* x, float* y, const ConvGeom& g, int64_t n0, int64_t n1) {
  if (InteriorWindows(g)) {
    MaxPoolInterior(x, y, g, n0, n1);
    return;
  }
  const int64_t C = g.inC;
  float* out = y + n0 * g.outH * g.outW * C;
  ForEachWindow(g, n0, n1, [&](int64_t img, int64_t w, const int64_t* taps, int64_t count) {
    float* o = out + w * C;
    std::fill(o, o + C, -std::numeric_limits<float>::infinity());
    for (int64_t t = 0; t < count; ++t) MaxInto(o, x + img + taps[t], C);
  });
}

static void AvgPoolRange(const float* x, float* y, const ConvGeom& g, int64_t n0, int64_t n1) {
  const int64_t C = g.inC;
  float* out = y + n0 * g.outH * g.outW * C;
  ForEachWindow(g, n0, n1, [&](int64_t img, int64_t w, const int64_t* taps, int64_t count) {
    float* o = out + w * C;
    std::fill(o, o + C, 0.f);
    for (int64_t t = 0; t < count; ++t) AddInto(o, x + img + taps[t], C);
    const float inv = 1.f / static_cast<float>(count);
    for (int64_t c = 0; c < C; ++c) o[c] *= inv;
  });
}

KD_CLONES void SelectInto(float* o, const float* dy, const int32_t* idx, int32_t at, int64_t n) { SelectStep(o, dy, idx, at, n); }

static void MaxPoolGradRange(const float* dy, const float* x, float* dx, const ConvGeom& g, int64_t n0, int64_t n1) {
  const int64_t C = g.inC;
  // Windows that do not overlap (stride >= window, the usual 2x2/2 pooling) write each input element once: the
  // gradient is written tap by tap, vectorised over channels, and dx needs zeroing only where no window reaches.
  const bool disjoint = (g.fH - 1) * g.dilH < g.strideH && (g.fW - 1) * g.dilW < g.strideW;
  const bool tiled = disjoint && g.dilH == 1 && g.dilW == 1 && g.fH == g.strideH && g.fW == g.strideW && g.padTop == 0 &&
                     g.padLeft == 0 && g.outH * g.strideH == g.inH && g.outW * g.strideW == g.inW;
  if (!tiled) std::memset(dx + n0 * g.inH * g.inW * C, 0, sizeof(float) * (n1 - n0) * g.inH * g.inW * C);
  float* best = ScratchF32(static_cast<size_t>(C), 1);
  thread_local std::vector<int32_t> idxBuf;
  if (idxBuf.size() < static_cast<size_t>(C)) idxBuf.resize(static_cast<size_t>(C));
  int32_t* idx = idxBuf.data();
  if (disjoint && InteriorWindows(g)) {
    MaxPoolGradDisjoint(dy, x, dx, g, n0, n1, best, idx);
    return;
  }
  const float* dyRange = dy + n0 * g.outH * g.outW * C;
  ForEachWindow(g, n0, n1, [&](int64_t img, int64_t w, const int64_t* taps, int64_t count) {
    // First maximum in window order wins, NaN never does (TensorFlow.js's `>` scan); no winner: no gradient.
    std::fill(best, best + C, -std::numeric_limits<float>::infinity());
    std::fill(idx, idx + C, -1);
    const float* g_dy = dyRange + w * C;
    float* dimg = dx + img;
    if (disjoint) {
      for (int64_t t = 0; t < count; ++t) ArgMaxInto(best, idx, x + img + taps[t], static_cast<int32_t>(t), C);
      for (int64_t t = 0; t < count; ++t) SelectInto(dimg + taps[t], g_dy, idx, static_cast<int32_t>(t), C);
      return;
    }
    for (int64_t t = 0; t < count; ++t) ArgMaxInto(best, idx, x + img + taps[t], static_cast<int32_t>(taps[t]), C);
    for (int64_t c = 0; c < C; ++c) {
      if (idx[c] >= 0) dimg[idx[c] + c] += g_dy[c];
    }
  });
}

static void AvgPoolGradRange(const float* dy, float* dx, const ConvGeom& g, int64_t n0, int64_t n1) {
  const int64_t C = g.inC;
  std::memset(dx + n0 * g.inH * g.inW * C, 0, sizeof(float) * (n1 - n0) * g.inH * g.inW * C);
  // TensorFlow.js divides every gradient by the full window size, also where the window overlaps the padding.
  const float scale = 1.f / static_cast<float>(g.fH * g.fW);
  const float* dyRange = dy + n0 * g.outH * g.outW * C;
  ForEachWindow(g, n0, n1, [&](int64_t img, int64_t w, const int64_t* taps, int64_t count) {
    for (int64_t t = 0; t < count; ++t) AddScaledInto(dx + img + taps[t], dyRange + w * C, scale, C);
  });
}

namespace {

int64_t MinPoolImages(const ConvGeom& g) {
  const int64_t perImage = (g.inH * g.inW + g.outH * g.outW) * g.inC;
  return perImage > 0 ? std::max<int64_t>(2, (int64_t{1} << 15) / perImage) : int64_t{1} << 40;
}

}  // namespace

namespace {

// oneDNN starts a window's maximum at the lowest finite float, TensorFlow.js at -inf: a window whose taps are all
// -inf or NaN comes out -FLT_MAX instead of -inf. Such outputs (a scan; rare) are recomputed as TensorFlow.js does.
// Interior windows only (the oneDNN path takes no other).
KD_CLONES bool AnyLowest(const float* o, int64_t n) {
  const float lowest = std::numeric_limits<float>::lowest();
  int hit = 0;
  for (int64_t i = 0; i < n; ++i) hit |= o[i] == lowest;
  return hit != 0;
}

void RedoLowest(const float* x, float* y, const ConvGeom& g, int64_t n0, int64_t n1) {
  const int64_t C = g.inC, rowStride = g.inW * C, perImage = g.outH * g.outW * C;
  const float lowest = std::numeric_limits<float>::lowest();
  for (int64_t n = n0; n < n1; ++n) {
    float* o = y + n * perImage;
    if (!AnyLowest(o, perImage)) continue;
    for (int64_t i = 0; i < perImage; ++i) {
      if (o[i] != lowest) continue;
      const int64_t c = i % C, ox = (i / C) % g.outW, oy = i / (C * g.outW);
      const float* corner = x + n * g.inH * rowStride + oy * g.strideH * rowStride + ox * g.strideW * C + c;
      float m = -std::numeric_limits<float>::infinity();
      for (int64_t ky = 0; ky < g.fH; ++ky) {
        for (int64_t kx = 0; kx < g.fW; ++kx) {
          const float v = corner[ky * rowStride + kx * C];
          m = v > m ? v : m;
        }
      }
      o[i] = m;
    }
  }
}

}  // namespace

bool InteriorWindows(const ConvGeom& g) {
  return g.dilH == 1 && g.dilW == 1 && g.padTop == 0 && g.padLeft == 0 && (g.outH - 1) * g.strideH + g.fH <= g.inH &&
         (g.outW - 1) * g.strideW + g.fW <= g.inW;
}

void MaxPool(const float* x, float* y, const ConvGeom& g) {
  // oneDNN's kernel where built in and enabled (faster, dnnl-conv.cc), then its one difference undone.
  if (DnnlMaxPool(x, y, g)) {
    ParallelFor(g.batch, MinPoolImages(g), [&](int64_t s, int64_t e) { RedoLowest(x, y, g, s, e); });
    return;
  }
  ParallelFor(g.batch, MinPoolImages(g), [&](int64_t s, int64_t e) { MaxPoolRange(x, y, g, s, e); });
}

void AvgPool(const float* x, float* y, const ConvGeom& g) {
  ParallelFor(g.batch, MinPoolImages(g), [&](int64_t s, int64_t e) { AvgPoolRange(x, y, g, s, e); });
}

void MaxPoolGrad(const float* dy, const float* x, float* dx, const ConvGeom& g) {
  ParallelFor(g.batch, MinPoolImages(g), [&](int64_t s, int64_t e) { MaxPoolGradRange(dy, x, dx, g, s, e); });
}

void AvgPoolGrad(const float* dy, float* dx, const ConvGeom& g) {
  ParallelFor(g.batch, MinPoolImages(g), [&](int64_t s, int64_t e) { AvgPoolGradRange(dy, dx, g, s, e); });
}

}  // namespace kd
