// kindling's thread pool: a parallel-for over the calling thread and persistent worker threads, used by every
// native kernel — the memory-bound loops (elementwise ops, optimizer updates, pooling, im2col, direct
// convolution) and the matrix products, which run OpenBLAS single-threaded on each part (kd::Sgemm). One pool
// for everything keeps a single set of threads busy on the cores; OpenBLAS's own thread pool, alternating with
// this one, left cores contended or asleep between kernels (2-3x slower products inside a training step).
//
// Workers spin briefly after each task (kernels come in quick succession during a training step) and then sleep
// on a condition variable. Calls from a second JavaScript thread (worker_threads) while the pool is busy run
// serially on the caller. Thread count: the CPUs this process may run on, KINDLING_NATIVE_THREADS, or the
// addon's setThreads(n); 1 runs everything on the calling thread.
#pragma once

#include <algorithm>
#include <atomic>
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

// Pauses a worker spins for after a task before it sleeps (about 50 us: a pause is ~40-140 cycles).
constexpr int kSpin = 1000;

class ThreadPool {
 public:
  static ThreadPool& Get() {
    static ThreadPool* pool = new ThreadPool();  // never destroyed: workers may outlive static destructors
    return *pool;
  }

  // Runs fn(begin, end) over [0, n) in up to `maxParts` contiguous parts (at most the thread count), each of at
  // least minParallel / 2 items; serially when n < minParallel.
  void For(int64_t n, int64_t minParallel, const std::function<void(int64_t, int64_t)>& fn, int64_t maxParts = 1 << 30) {
    const int threads = threads_.load(std::memory_order_relaxed);
    int64_t parts = std::min<int64_t>({threads, maxParts, n, std::max<int64_t>(2, 2 * n / std::max<int64_t>(minParallel, 1))});
    if (parts < 2 || n < minParallel || !busy_.try_lock()) {
      fn(0, n);
      return;
    }
    while (static_cast<int64_t>(workers_.size()) < parts - 1) {
      const int index = static_cast<int>(workers_.size()) + 1;
      workers_.emplace_back([this, index] { Run(index); });
      workers_.back().detach();
    }
    const auto range = [n, parts](int64_t p) { return n * p / parts; };
    const std::function<void(int)> part = [&fn, &range](int p) { fn(range(p), range(p + 1)); };
    pending_.store(static_cast<int>(parts - 1), std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lock(m_);
      task_ = &part;
      parts_ = static_cast<int>(parts);
      generation_.store(generation_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }
    cv_.notify_all();
    part(0);
    while (pending_.load(std::memory_order_acquire) != 0) KD_PAUSE();
    busy_.unlock();
  }

  // Sets the thread count (the caller included), >= 1.
  void SetThreads(int n) { threads_.store(std::max(1, n), std::memory_order_relaxed); }
  int Threads() const { return threads_.load(std::memory_order_relaxed); }

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
  }

  void Run(int index) {
    uint64_t seen = 0;
    for (;;) {
      for (int i = 0; i < kSpin && generation_.load(std::memory_order_acquire) == seen; ++i) KD_PAUSE();
      const std::function<void(int)>* task;
      int parts;
      {
        std::unique_lock<std::mutex> lock(m_);
        cv_.wait(lock, [this, seen] { return generation_.load(std::memory_order_acquire) != seen; });
        // Read together under the lock: the task of the newest generation (a worker without a part in a task may
        // see only a later one, never run one twice).
        seen = generation_.load(std::memory_order_relaxed);
        task = task_;
        parts = parts_;
      }
      if (index < parts) {
        (*task)(index);
        pending_.fetch_sub(1, std::memory_order_acq_rel);
      }
    }
  }

  std::atomic<int> threads_{1};
  std::vector<std::thread> workers_;  // guarded by busy_
  std::mutex busy_;
  std::mutex m_;
  std::condition_variable cv_;
  const std::function<void(int)>* task_ = nullptr;  // guarded by m_
  int parts_ = 0;                                   // guarded by m_
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
};

// Convenience: ThreadPool::Get().For(...).
inline void ParallelFor(int64_t n, int64_t minParallel, const std::function<void(int64_t, int64_t)>& fn,
                        int64_t maxParts = 1 << 30) {
  ThreadPool::Get().For(n, minParallel, fn, maxParts);
}

}  // namespace kd
