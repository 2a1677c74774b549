// 2-D convolutions (im2col + sgemm, or direct for small windows; NHWC) and their gradients.

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "kernels.h"
#include "parallel.h"

namespace kd {
namespace {

// Target size of one chunk's im2col rows, in floats (1 MiB, to stay in a core's L2 cache): convolutions run in
// chunks of images of about this size, the chunks in parallel over the thread pool.
constexpr int64_t kChunkColFloats = int64_t{1} << 18;

bool IsPointwise(const ConvGeom& g) {
  return g.fH == 1 && g.fW == 1 && g.strideH == 1 && g.strideW == 1 && g.padTop == 0 && g.padLeft == 0 &&
         g.outH == g.inH && g.outW == g.inW;
}

int64_t ChunkImages(const ConvGeom& g) {
  const int64_t perImage = g.outH * g.outW * g.fH * g.fW * g.inC;
  return std::max<int64_t>(1, std::min<int64_t>(g.batch, kChunkColFloats / std::max<int64_t>(perImage, 1)));
}

int64_t ChunkCount(const ConvGeom& g) {
  return (g.batch + ChunkImages(g) - 1) / ChunkImages(g);
}

// col[(n*outH + oy)*outW + ox][(ky*fW + kx)*C + c] = x[n0 + n, iy, ix, c], zero outside the image.
void Im2ColRange(const float* x, float* col, int64_t n0, int64_t n1, const ConvGeom& g, int64_t base) {
  const int64_t C = g.inC, rowLen = g.fH * g.fW * C;
  float* dst = col + (n0 - base) * g.outH * g.outW * rowLen;
  for (int64_t n = n0; n < n1; ++n) {
    const float* img = x + n * g.inH * g.inW * C;
    for (int64_t oy = 0; oy < g.outH; ++oy) {
      for (int64_t ox = 0; ox < g.outW; ++ox, dst += rowLen) {
        float* d = dst;
        for (int64_t ky = 0; ky < g.fH; ++ky) {
          const int64_t iy = oy * g.strideH - g.padTop + ky * g.dilH;
          if (iy < 0 || iy >= g.inH) {
            std::memset(d, 0, sizeof(float) * g.fW * C);
            d += g.fW * C;
            continue;
          }
          const float* src = img + iy * g.inW * C;
          for (int64_t kx = 0; kx < g.fW; ++kx, d += C) {
            const int64_t ix = ox * g.strideW - g.padLeft + kx * g.dilW;
            if (ix < 0 || ix >= g.inW) std::memset(d, 0, sizeof(float) * C);
            else if (C == 1) d[0] = src[ix];
            else std::memcpy(d, src + ix * C, sizeof(float) * C);
          }
        }
      }
    }
  }
}

// The adjoint of Im2Col: dx[n0 + n, iy, ix, c] += col[...].
KD_CLONES void Col2ImRange(const float* col, float* dx, int64_t n0, int64_t n1, const ConvGeom& g, int64_t base) {
  const int64_t C = g.inC, rowLen = g.fH * g.fW * C;
  const float* src = col + (n0 - base) * g.outH * g.outW * rowLen;
  for (int64_t n = n0; n < n1; ++n) {
    float* img = dx + n * g.inH * g.inW * C;
    for (int64_t oy = 0; oy < g.outH; ++oy) {
      for (int64_t ox = 0; ox < g.outW; ++ox, src += rowLen) {
        const float* s = src;
        for (int64_t ky = 0; ky < g.fH; ++ky) {
          const int64_t iy = oy * g.strideH - g.padTop + ky * g.dilH;
          if (iy < 0 || iy >= g.inH) {
            s += g.fW * C;
            continue;
          }
          float* row = img + iy * g.inW * C;
          for (int64_t kx = 0; kx < g.fW; ++kx, s += C) {
            const int64_t ix = ox * g.strideW - g.padLeft + kx * g.dilW;
            if (ix < 0 || ix >= g.inW) continue;
            float* d = row + ix * C;
            for (int64_t c = 0; c < C; ++c) d[c] += s[c];
          }
        }
      }
    }
  }
}

// Direct convolution for small windows (fH*fW*C taps, e.g. a first layer on 1-channel images), where im2col +
// sgemm would be memory-bound on a K of a few elements: every output pixel accumulates its taps' filter rows.
// OC > 0 fixes the output channel count at compile time (the accumulator then lives in registers).
template <int OC>
inline __attribute__((always_inline)) void DirectConvBody(const float* __restrict x, const float* __restrict w,
                                                         float* __restrict y, const ConvGeom& g, int64_t n0,
                                                         int64_t n1) {
  const int64_t C = g.inC;
  for (int64_t n = n0; n < n1; ++n) {
    const float* img = x + n * g.inH * g.inW * C;
    for (int64_t oy = 0; oy < g.outH; ++oy) {
      int64_t ky0, ky1;
      TapRange(oy * g.strideH - g.padTop, g.dilH, g.fH, g.inH, &ky0, &ky1);
      for (int64_t ox = 0; ox < g.outW; ++ox) {
        int64_t kx0, kx1;
        TapRange(ox * g.strideW - g.padLeft, g.dilW, g.fW, g.inW, &kx0, &kx1);
        float acc[OC];
        for (int o = 0; o < OC; ++o) acc[o] = 0.f;
        for (int64_t ky = ky0; ky < ky1; ++ky) {
          const float* row = img + (oy * g.strideH - g.padTop + ky * g.dilH) * g.inW * C;
          for (int64_t kx = kx0; kx < kx1; ++kx) {
            const float* px = row + (ox * g.strideW - g.padLeft + kx * g.dilW) * C;
            const float* wt = w + (ky * g.fW + kx) * C * OC;
            for (int64_t c = 0; c < C; ++c) {
              const float v = px[c];
              for (int o = 0; o < OC; ++o) acc[o] += v * wt[c * OC + o];
            }
          }
        }
        float* out = y + ((n * g.outH + oy) * g.outW + ox) * OC;
        for (int o = 0; o < OC; ++o) out[o] = acc[o];
      }
    }
  }
}

KD_CLONES void DirectConv8(const float* x, const float* w, float* y, const ConvGeom& g, int64_t n0, int64_t n1) {
  DirectConvBody<8>(x, w, y, g, n0, n1);
}
KD_CLONES void DirectConv16(const float* x, const float* w, float* y, const ConvGeom& g, int64_t n0, int64_t n1) {
  DirectConvBody<16>(x, w, y, g, n0, n1);
}
KD_CLONES void DirectConv32(const float* x, const float* w, float* y, const ConvGeom& g, int64_t n0, int64_t n1) {
  DirectConvBody<32>(x, w, y, g, n0, n1);
}
KD_CLONES void DirectConv64(const float* x, const float* w, float* y, const ConvGeom& g, int64_t n0, int64_t n1) {
  DirectConvBody<64>(x, w, y, g, n0, n1);
}

// Returns false when there is no direct kernel for this output channel count.
bool DirectConv(const float* x, const float* w, float* y, const ConvGeom& g) {
  void (*fn)(const float*, const float*, float*, const ConvGeom&, int64_t, int64_t) = nullptr;
  switch (g.outC) {
    case 8: fn = DirectConv8; break;
    case 16: fn = DirectConv16; break;
    case 32: fn = DirectConv32; break;
    case 64: fn = DirectConv64; break;
    default: return false;
  }
  const int64_t perImage = g.outH * g.outW * g.outC;
  ParallelFor(g.batch, perImage > 0 ? std::max<int64_t>(2, (int64_t{1} << 15) / perImage) : g.batch + 1,
              [&](int64_t s, int64_t e) { fn(x, w, y, g, s, e); });
  return true;
}

// Windows this small are convolved directly.
constexpr int64_t kDirectMaxTaps = 16;

// Images per thread below which im2col / col2im stay on one thread.
int64_t MinParallelImages(const ConvGeom& g) {
  const int64_t perImage = g.outH * g.outW * g.fH * g.fW * g.inC;
  return perImage > 0 ? std::max<int64_t>(2, (int64_t{1} << 15) / perImage) : int64_t{1} << 40;
}

// Runs body(chunk, n0, n1, col) for the chunks of images [n0, n1) of ChunkImages(g) images each, chunks in
// parallel; col is the running thread's im2col scratch for one chunk. With a single chunk, the body's own loops and
// products use the pool instead.
template <class Body>
void ForImageChunks(const ConvGeom& g, Body&& body) {
  const int64_t chunk = ChunkImages(g), chunks = ChunkCount(g);
  const size_t colSize = static_cast<size_t>(chunk * g.outH * g.outW * g.fH * g.fW * g.inC);
  ParallelFor(chunks, 2, [&](int64_t s, int64_t e) {
    float* col = ScratchF32(colSize, 0);
    for (int64_t c = s; c < e; ++c) body(c, c * chunk, std::min(g.batch, (c + 1) * chunk), col);
  }, chunks);
}

void Im2Col(const float* x, float* col, int64_t n0, int64_t n1, const ConvGeom& g) {
  ParallelFor(n1 - n0, MinParallelImages(g), [&](int64_t s, int64_t e) { Im2ColRange(x, col, n0 + s, n0 + e, g, n0); });
}

void Col2Im(const float* col, float* dx, int64_t n0, int64_t n1, const ConvGeom& g) {
  ParallelFor(n1 - n0, MinParallelImages(g), [&](int64_t s, int64_t e) { Col2ImRange(col, dx, n0 + s, n0 + e, g, n0); });
}

// Input channels below which oneDNN's input gradient is slower than kindling's im2col + sgemm (a first layer on
// 1-channel images: 5.5 vs 1.9 ms for the benchmark CNN's, on the AVX-512 EPYC; its filter gradient is 9x faster).
constexpr int64_t kDnnlMinBwdDataChannels = 8;

// Whether a float32 convolution goes to oneDNN (when it is on) or stays on kindling's kernels, by shape: measured
// on an AVX-512 EPYC (the benchmark CNN's layers, idle machine), kindling's input gradient wins on few input
// channels (0.8 vs 1.1 ms), oneDNN everywhere else (first layer forward 0.15 vs 0.55 ms with kindling's direct
// convolution, its filter gradient 0.16 vs 0.69 ms).
bool UseDnnlF32(const ConvGeom& g, int op) {
  // KINDLING_DNNL_CONV=1 sends every float32 convolution to oneDNN (for measuring these rules).
  static const bool all = [] {
    const char* v = std::getenv("KINDLING_DNNL_CONV");
    return v != nullptr && std::strcmp(v, "1") == 0;
  }();
  if (all) return true;
  return op != kDnnlBwdData || g.inC >= kDnnlMinBwdDataChannels;
}

// Runs f (a float32 convolution) on bfloat16-rounded copies of its two operands: the emulated autocast's numerics
// (products of bfloat16 values are exact in float32), for when oneDNN cannot.
template <class F>
void OnRoundedCopies(const float* p0, int64_t n0, const float* p1, int64_t n1, F&& f) {
  std::vector<float> r(static_cast<size_t>(n0 + n1));
  RoundBf16Copy(p0, r.data(), n0);
  RoundBf16Copy(p1, r.data() + n0, n1);
  f(r.data(), r.data() + n0);
}

int64_t In(const ConvGeom& g) { return g.batch * g.inH * g.inW * g.inC; }
int64_t Out(const ConvGeom& g) { return g.batch * g.outH * g.outW * g.outC; }
int64_t Filter(const ConvGeom& g) { return g.fH * g.fW * g.inC * g.outC; }

}  // namespace

void Conv2DBf16(const float* x, const float* w, float* y, const ConvGeom& g) {
  // A first layer (few input channels) is faster as the float32 convolution of rounded copies (0.19 + rounding vs
  // 0.35 ms for the benchmark CNN's): the same numerics.
  if (g.inC >= kDnnlMinBwdDataChannels && DnnlConv(kDnnlFwd, x, w, y, g, true)) return;
  OnRoundedCopies(x, In(g), w, Filter(g), [&](const float* xr, const float* wr) { Conv2D(xr, wr, y, g); });
}

// The bfloat16 backprops of first layers (few input channels) run faster as the float32 kernels on rounded copies
// (the same numerics) than as oneDNN's bfloat16 ones (measured on a loaded machine: 1.9 vs 3.7 ms input gradient,
// 0.3 vs 1.0 ms filter gradient).
void Conv2DBackpropInputBf16(const float* dy, const float* w, float* dx, const ConvGeom& g) {
  if (g.inC >= kDnnlMinBwdDataChannels && DnnlConv(kDnnlBwdData, dy, w, dx, g, true)) return;
  OnRoundedCopies(dy, Out(g), w, Filter(g), [&](const float* a, const float* b) { Conv2DBackpropInput(a, b, dx, g); });
}

void Conv2DBackpropFilterBf16(const float* x, const float* dy, float* dw, const ConvGeom& g) {
  if (g.inC >= kDnnlMinBwdDataChannels && DnnlConv(kDnnlBwdWeights, x, dy, dw, g, true)) return;
  OnRoundedCopies(x, In(g), dy, Out(g), [&](const float* a, const float* b) { Conv2DBackpropFilter(a, b, dw, g); });
}

void Conv2D(const float* x, const float* w, float* y, const ConvGeom& g) {
  if (UseDnnlF32(g, kDnnlFwd) && DnnlConv(kDnnlFwd, x, w, y, g, false)) return;
  const int64_t rowsPerImage = g.outH * g.outW, colLen = g.fH * g.fW * g.inC;
  if (colLen == 0) {
    std::memset(y, 0, sizeof(float) * g.batch * rowsPerImage * g.outC);
    return;
  }
  if (IsPointwise(g)) {
    Sgemm(false, false, g.batch * rowsPerImage, g.outC, colLen, x, colLen, w, g.outC, 0.f, y, g.outC);
    return;
  }
  if (colLen <= kDirectMaxTaps && DirectConv(x, w, y, g)) return;
  ForImageChunks(g, [&](int64_t, int64_t n0, int64_t n1, float* col) {
    Im2Col(x, col, n0, n1, g);
    Sgemm(false, false, (n1 - n0) * rowsPerImage, g.outC, colLen, col, colLen, w, g.outC, 0.f,
          y + n0 * rowsPerImage * g.outC, g.outC);
  });
}

void Conv2DBackpropInput(const float* dy, const float* w, float* dx, const ConvGeom& g) {
  if (UseDnnlF32(g, kDnnlBwdData) && DnnlConv(kDnnlBwdData, dy, w, dx, g, false)) return;
  const int64_t rowsPerImage = g.outH * g.outW, colLen = g.fH * g.fW * g.inC;
  if (IsPointwise(g)) {
    Sgemm(false, true, g.batch * rowsPerImage, colLen, g.outC, dy, g.outC, w, g.outC, 0.f, dx, colLen);
    return;
  }
  if (colLen == 0 || g.outC == 0) {
    std::memset(dx, 0, sizeof(float) * g.batch * g.inH * g.inW * g.inC);
    return;
  }
  ForImageChunks(g, [&](int64_t, int64_t n0, int64_t n1, float* col) {
    std::memset(dx + n0 * g.inH * g.inW * g.inC, 0, sizeof(float) * (n1 - n0) * g.inH * g.inW * g.inC);
    Sgemm(false, true, (n1 - n0) * rowsPerImage, colLen, g.outC, dy + n0 * rowsPerImage * g.outC, g.outC, w, g.outC,
          0.f, col, colLen);
    Col2Im(col, dx, n0, n1, g);
  });
}

void Conv2DBackpropFilter(const float* x, const float* dy, float* dw, const ConvGeom& g) {
  if (UseDnnlF32(g, kDnnlBwdWeights) && DnnlConv(kDnnlBwdWeights, x, dy, dw, g, false)) return;
  const int64_t rowsPerImage = g.outH * g.outW, colLen = g.fH * g.fW * g.inC;
  if (g.batch * rowsPerImage == 0) {
    std::memset(dw, 0, sizeof(float) * colLen * g.outC);
    return;
  }
  if (IsPointwise(g)) {
    Sgemm(true, false, colLen, g.outC, g.batch * rowsPerImage, x, colLen, dy, g.outC, 0.f, dw, g.outC);
    return;
  }
  // One partial product per chunk, summed in chunk order afterwards: the result does not depend on which thread
  // ran which chunk (deterministic).
  const int64_t chunks = ChunkCount(g), size = colLen * g.outC;
  float* partials = chunks == 1 ? dw : ScratchF32(static_cast<size_t>(chunks * size), 3);
  ForImageChunks(g, [&](int64_t c, int64_t n0, int64_t n1, float* col) {
    Im2Col(x, col, n0, n1, g);
    Sgemm(true, false, colLen, g.outC, (n1 - n0) * rowsPerImage, col, colLen, dy + n0 * rowsPerImage * g.outC, g.outC,
          0.f, partials + c * size, g.outC);
  });
  if (chunks == 1) return;
  ParallelFor(size, int64_t{1} << 14, [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i) {
      float sum = partials[i];
      for (int64_t c = 1; c < chunks; ++c) sum += partials[c * size + i];
      dw[i] = sum;
    }
  });
}

}  // namespace kd
