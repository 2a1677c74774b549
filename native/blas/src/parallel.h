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

// Pauses a worker spins for after a task before it sleeps: 12 us on this project's Xeon (a pause is 12 ns there),
// up to ~50 us on CPUs with longer pauses. Longer spins (up to 500 us) measured no faster training steps.
constexpr int kSpin = 1000;

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

  void Run() {
    inside_ = true;
    uint32_t seen = 0;
    for (;;) {
      for (int i = 0; i < kSpin && generation_.load(std::memory_order_acquire) == seen; ++i) KD_PAUSE();
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
