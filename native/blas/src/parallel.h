// A two-way parallel-for for the memory-bound loops (elementwise ops, pooling, im2col, direct convolution): the
// calling thread runs the first half, one persistent worker thread the second. OpenBLAS threads its own GEMMs.
//
// The worker spins briefly after each task (kernels come in quick succession during a training step) and then
// sleeps on a condition variable. Calls from a second JavaScript thread (worker_threads) while the pool is busy
// run serially. KINDLING_NATIVE_THREADS=1 (or the addon's setThreads(1)) disables the worker.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define KD_PAUSE() _mm_pause()
#else
#define KD_PAUSE() std::this_thread::yield()
#endif

namespace kd {

class TwoWayPool {
 public:
  static TwoWayPool& Get() {
    static TwoWayPool* pool = new TwoWayPool();  // never destroyed: the worker may outlive static destructors
    return *pool;
  }

  // Runs fn(begin, end) over [0, n), in two halves on two threads when n >= minParallel.
  void For(int64_t n, int64_t minParallel, const std::function<void(int64_t, int64_t)>& fn) {
    if (!enabled_.load(std::memory_order_relaxed) || n < minParallel || n < 2 || !busy_.try_lock()) {
      fn(0, n);
      return;
    }
    if (!started_) {
      started_ = true;
      std::thread([this] { Run(); }).detach();
    }
    const int64_t mid = n / 2;
    {
      std::lock_guard<std::mutex> lock(m_);
      task_ = [&fn, mid, n] { fn(mid, n); };
      state_.store(1, std::memory_order_release);
    }
    cv_.notify_one();
    fn(0, mid);
    while (state_.load(std::memory_order_acquire) != 2) KD_PAUSE();
    state_.store(0, std::memory_order_relaxed);
    busy_.unlock();
  }

  // Turns the second thread on or off (setThreads(n) of the addon).
  void SetEnabled(bool on) { enabled_.store(on, std::memory_order_relaxed); }

 private:
  TwoWayPool() {
    const char* env = std::getenv("KINDLING_NATIVE_THREADS");
    enabled_ = std::thread::hardware_concurrency() > 1 && !(env != nullptr && std::atoi(env) == 1);
  }

  void Run() {
    for (;;) {
      // Spin for a while (about 50 us: a pause is ~40-140 cycles) before sleeping: the next kernel usually follows within microseconds.
      for (int i = 0; i < 1000 && state_.load(std::memory_order_acquire) != 1; ++i) KD_PAUSE();
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(m_);
        cv_.wait(lock, [this] { return state_.load(std::memory_order_acquire) == 1; });
        task = std::move(task_);
      }
      task();
      state_.store(2, std::memory_order_release);
    }
  }

  std::atomic<bool> enabled_{false};
  bool started_ = false;  // guarded by busy_
  std::mutex busy_;
  std::mutex m_;
  std::condition_variable cv_;
  std::function<void()> task_;
  std::atomic<int> state_{0};
};

// Convenience: TwoWayPool::Get().For(...).
inline void ParallelFor(int64_t n, int64_t minParallel, const std::function<void(int64_t, int64_t)>& fn) {
  TwoWayPool::Get().For(n, minParallel, fn);
}

}  // namespace kd
