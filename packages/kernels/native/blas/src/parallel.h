// kindling's thread pool: a parallel-for over the calling thread and persistent worker threads, used by every
// native kernel — the memory-bound loops (elementwise ops, optimizer updates, pooling, im2col, direct
// convolution) and the matrix products, which run OpenBLAS single-threaded on each part (kd::Sgemm). One pool
// for everything keeps a single set of threads busy on the cores; OpenBLAS's own thread pool, alternating with
// this one, left cores contended or asleep between kernels (2-3x slower products inside a training step).
//
// Workers spin for a while after each task (kernels come in quick succession during a training step, separated by
// TensorFlow.js's own work on the JavaScript thread) and then sleep on a condition variable. The spin matters on
// virtual machines: waking a sleeping worker there took ~100 us (an idle vCPU is halted), as long as a 256x256x512
// product, so a worker asleep at every kernel start made training steps 15-20% slower (measured: MLP batch 256,
// p50 step 7.8 ms with a 12 us spin, 6.2-6.3 ms with 300-600 us; GNU OpenMP spins similarly before it sleeps).
// Spin time: 500 us, KINDLING_NATIVE_SPIN_US, or the addon's setSpin(us); 0 sleeps at once (for machines where
// the cores are shared with other busy processes). Calls from a second JavaScript thread (worker_threads) while
// the pool is busy run serially on the caller. Thread count: the CPUs this process may run on,
// KINDLING_NATIVE_THREADS, or the addon's setThreads(n); 1 runs everything on the calling thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <sched.h>
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define KD_PAUSE() _mm_pause()
#else
#define KD_PAUSE() std::this_thread::yield()
#endif

namespace kd {

// Called first on every worker thread (dnnl.cc: pins the thread's OpenMP team to one thread).
void OnPoolThreadStart();

// How long a worker spins after a task before it sleeps, by default (see the top of this file).
constexpr int kDefaultSpinMicros = 500;
// The longest spin accepted from KINDLING_NATIVE_SPIN_US or setSpin: 100 ms.
constexpr int kMaxSpinMicros = 100000;

class ThreadPool {
 public:
  using Fn = std::function<void(int64_t, int64_t)>;

  static ThreadPool& Get() {
    static ThreadPool* pool = new ThreadPool();  // never destroyed: workers may outlive static destructors
    return *pool;
  }

  // Runs fn(begin, end) over [0, n), serially when n < minParallel, else in chunks of at least minParallel / 2
  // items (at most maxChunks, default 4 per thread) that the calling thread and the workers claim one at a time.
  // Claiming instead of a fixed split means that a worker still waking up (which can take longer than the whole
  // loop on a loaded or virtualised machine) never holds the caller up: the caller runs whatever is left.
  void For(int64_t n, int64_t minParallel, const Fn& fn, int64_t maxChunks = 0) {
    // A loop inside a pool task (a convolution's per-chunk product) runs on its own thread, serially.
    if (inside_) {
      fn(0, n);
      return;
    }
    const int threads = threads_.load(std::memory_order_relaxed);
    const int64_t chunks = std::min<int64_t>({maxChunks > 0 ? maxChunks : int64_t{4} * threads, n,
                                              2 * n / std::max<int64_t>(minParallel, 1)});
    if (threads < 2 || chunks < 2 || n < minParallel || !busy_.try_lock()) {
      fn(0, n);
      return;
    }
    while (static_cast<int>(workers_.size()) < threads - 1) {
      workers_.emplace_back([this] { Run(); });
      workers_.back().detach();
    }
    uint32_t gen;
    {
      std::lock_guard<std::mutex> lock(m_);
      gen = static_cast<uint32_t>(generation_.load(std::memory_order_relaxed) + 1);
      task_ = &fn;
      n_ = n;
      chunks_ = chunks;
      done_.store(0, std::memory_order_relaxed);
      claim_.store(static_cast<uint64_t>(gen) << 32, std::memory_order_release);
      generation_.store(gen, std::memory_order_release);
    }
    cv_.notify_all();
    inside_ = true;
    Work(gen, fn, n, chunks);
    inside_ = false;
    while (done_.load(std::memory_order_acquire) != chunks) KD_PAUSE();
    busy_.unlock();
  }

  // Sets the thread count (the caller included), >= 1.
  void SetThreads(int n) { threads_.store(std::max(1, n), std::memory_order_relaxed); }
  int Threads() const { return threads_.load(std::memory_order_relaxed); }

  // Sets how long workers spin after a task before they sleep, in microseconds (clamped to [0, kMaxSpinMicros]).
  void SetSpinMicros(int us) { spin_us_.store(std::clamp(us, 0, kMaxSpinMicros), std::memory_order_relaxed); }
  int SpinMicros() const { return spin_us_.load(std::memory_order_relaxed); }

 private:
  ThreadPool() {
    int n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) n = std::max(1, CPU_COUNT(&set));
#endif
    const char* env = std::getenv("KINDLING_NATIVE_THREADS");
    if (env != nullptr && std::atoi(env) > 0) n = std::atoi(env);
    threads_ = n;
    const char* spin = std::getenv("KINDLING_NATIVE_SPIN_US");
    if (spin != nullptr && *spin != '\0') SetSpinMicros(std::atoi(spin));
  }

  // Claims and runs chunks of generation `gen` until none is left. A claim is one compare-and-swap on
  // (generation << 32 | next chunk), so a worker holding a finished generation's task never runs it: its claim
  // fails, and while a claim of it can succeed its caller is still waiting (fn is alive).
  void Work(uint32_t gen, const Fn& fn, int64_t n, int64_t chunks) {
    for (;;) {
      uint64_t v = claim_.load(std::memory_order_acquire);
      do {
        if (static_cast<uint32_t>(v >> 32) != gen || static_cast<int64_t>(v & 0xffffffffu) >= chunks) return;
      } while (!claim_.compare_exchange_weak(v, v + 1, std::memory_order_acq_rel, std::memory_order_acquire));
      const int64_t c = static_cast<int64_t>(v & 0xffffffffu);
      fn(n * c / chunks, n * (c + 1) / chunks);
      done_.fetch_add(1, std::memory_order_acq_rel);
    }
  }

  // Waits (spinning) until a generation after `seen` is published or the spin time is over. The clock is read
  // every 64 pauses: a pause lasts from ~10 ns to ~140 cycles depending on the CPU, so the spin is timed, not counted.
  void Spin(uint32_t seen) const {
    const int us = spin_us_.load(std::memory_order_relaxed);
    if (us <= 0) return;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(us);
    while (generation_.load(std::memory_order_acquire) == seen) {
      for (int i = 0; i < 64; ++i) KD_PAUSE();
      if (std::chrono::steady_clock::now() >= deadline) return;
    }
  }

  void Run() {
    OnPoolThreadStart();
    inside_ = true;
    uint32_t seen = 0;
    for (;;) {
      Spin(seen);
      const Fn* task;
      int64_t n, chunks;
      {
        std::unique_lock<std::mutex> lock(m_);
        cv_.wait(lock, [this, seen] { return generation_.load(std::memory_order_acquire) != seen; });
        seen = generation_.load(std::memory_order_relaxed);
        task = task_;
        n = n_;
        chunks = chunks_;
      }
      Work(seen, *task, n, chunks);
    }
  }

  static inline thread_local bool inside_ = false;  // this thread is running a pool task
  std::atomic<int> threads_{1};
  std::atomic<int> spin_us_{kDefaultSpinMicros};
  std::vector<std::thread> workers_;  // guarded by busy_
  std::mutex busy_;
  std::mutex m_;
  std::condition_variable cv_;
  const Fn* task_ = nullptr;  // task_, n_, chunks_: guarded by m_, written with generation_
  int64_t n_ = 0;
  int64_t chunks_ = 0;
  std::atomic<uint32_t> generation_{0};
  std::atomic<uint64_t> claim_{0};
  std::atomic<int64_t> done_{0};
};

// Convenience: ThreadPool::Get().For(...).
inline void ParallelFor(int64_t n, int64_t minParallel, const ThreadPool::Fn& fn, int64_t maxChunks = 0) {
  ThreadPool::Get().For(n, minParallel, fn, maxChunks);
}

}  // namespace kd
