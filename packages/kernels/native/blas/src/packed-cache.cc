// Operand stamps and the cache of copies made from stamped operands (see kernels.h and dnnl-internal.h).
//
// Why: a layer's weights enter two kernels per training step (the forward pass and the input gradient), and an
// activation or a gradient two products (the forward pass and the weight gradient, or both gradients). oneDNN wants
// convolution filters in its blocked layout and bfloat16 products want bfloat16 operands, so without a cache every
// such kernel reordered or rounded its operand again (and every part of a kernel split over the pool before that).
// The JavaScript side names the content of a tensor's data by a stamp (src/node/native/stamps.ts), a number that it
// replaces whenever the data is overwritten in place (the fused optimizer updates): a copy made for a stamp is then
// valid for as long as it is kept.
#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>

#include "dnnl-internal.h"
#include "kernels.h"

namespace kd {

namespace {

struct Registered {
  const void* p[2] = {nullptr, nullptr};
  double s[2] = {0, 0};
};

thread_local Registered gCall;

std::atomic<int64_t> gNextSpace{1};

}  // namespace

OperandStamps::OperandStamps(const void* p0, double s0, const void* p1, double s1) {
  gCall.p[0] = p0;
  gCall.s[0] = s0;
  gCall.p[1] = p1;
  gCall.s[1] = s1;
}

OperandStamps::~OperandStamps() { gCall = Registered(); }

double StampOf(const void* p) {
  if (p == nullptr) return 0;
  if (p == gCall.p[0]) return gCall.s[0];
  if (p == gCall.p[1]) return gCall.s[1];
  return 0;
}

int64_t NewStampSpace() { return gNextSpace.fetch_add(1); }

#ifdef KINDLING_DNNL

namespace dnnl_internal {

namespace {

struct Copy {
  double stamp;
  memory::desc md;
  std::shared_ptr<uint8_t[]> bytes;
  size_t size;
};

// Most recently used first. A training step makes a few copies per layer and uses each at most twice, the second
// time within the same step: a small list does.
constexpr size_t kMaxCopies = 64;
constexpr size_t kMaxBytes = size_t{256} << 20;

std::mutex gMutex;
std::list<Copy> gCopies;
size_t gBytes = 0;
// Copies of stamped operands made and reused, by kind (0: filters, 1: bfloat16 roundings), for info().
int64_t gMade[2] = {0, 0}, gReused[2] = {0, 0};

int KindOf(const memory::desc& md) { return md.dims().size() == 1 ? 1 : 0; }

}  // namespace

std::shared_ptr<uint8_t[]> PackedCopy(double stamp, const memory::desc& md, const std::function<void(void*)>& fill) {
  const size_t size = md.get_size();
  const auto make = [&] {
    std::shared_ptr<uint8_t[]> bytes(new uint8_t[size]);  // not zeroed: fill writes every byte
    fill(bytes.get());
    return bytes;
  };
  if (stamp <= 0 || size > kMaxBytes / 4) return make();
  std::lock_guard<std::mutex> lock(gMutex);
  for (auto it = gCopies.begin(); it != gCopies.end(); ++it) {
    if (it->stamp == stamp && it->md == md) {
      ++gReused[KindOf(md)];
      gCopies.splice(gCopies.begin(), gCopies, it);
      return it->bytes;
    }
  }
  std::shared_ptr<uint8_t[]> bytes = make();
  ++gMade[KindOf(md)];
  gCopies.push_front(Copy{stamp, md, bytes, size});
  gBytes += size;
  while (gCopies.size() > kMaxCopies || gBytes > kMaxBytes) {
    gBytes -= gCopies.back().size;
    gCopies.pop_back();  // a kernel still using it holds its own reference
  }
  return bytes;
}

}  // namespace dnnl_internal

PackedCopyStats PackedCopyCounts() {
  std::lock_guard<std::mutex> lock(dnnl_internal::gMutex);
  PackedCopyStats st;
  for (int i = 0; i < 2; ++i) {
    st.made[i] = dnnl_internal::gMade[i];
    st.reused[i] = dnnl_internal::gReused[i];
  }
  st.kept = static_cast<int64_t>(dnnl_internal::gCopies.size());
  st.bytes = static_cast<int64_t>(dnnl_internal::gBytes);
  return st;
}

void ReleaseStamp(double stamp) {
  std::lock_guard<std::mutex> lock(dnnl_internal::gMutex);
  for (auto it = dnnl_internal::gCopies.begin(); it != dnnl_internal::gCopies.end();) {
    if (it->stamp == stamp) {
      dnnl_internal::gBytes -= it->size;
      it = dnnl_internal::gCopies.erase(it);  // a kernel still using it holds its own reference
    } else {
      ++it;
    }
  }
}

#else

PackedCopyStats PackedCopyCounts() { return PackedCopyStats(); }

void ReleaseStamp(double) {}

#endif  // KINDLING_DNNL

}  // namespace kd
