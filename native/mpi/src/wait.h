// Completes a non-blocking MPI collective from the main thread: MPI_Test in a loop (spinning for 20 ms, then
// yielding, then sleeping 1 ms between tests after 2 s, so a rank waiting for a slow peer does not burn a core), giving up with a
// JavaScript error when the liveness channel reports a lost or failed rank, or after the collective timeout.
// The errors carry `code` ('KINDLING_MPI_PEER_LOST', 'KINDLING_MPI_PEER_FAILED', 'KINDLING_MPI_TIMEOUT') and
// `ranks` (the ranks named), which src/distributed turns into a DistributedJobError.
#pragma once

#include <mpi.h>
#include <napi.h>
#include <sched.h>
#include <time.h>

#include <chrono>
#include <string>

#include "liveness.h"

namespace kindling_wait {

inline double g_timeout_s = 1800;
// Set once a collective gave up: the job is broken, and every later collective fails at once with this error.
inline std::string g_broken;
inline std::string g_broken_code;

inline void SetTimeout(double seconds) { g_timeout_s = seconds; }

[[noreturn]] inline void Fail(Napi::Env env, const std::string& message, const char* code, const std::vector<int>& ranks) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, code));
  Napi::Array r = Napi::Array::New(env, ranks.size());
  for (size_t i = 0; i < ranks.size(); ++i) r.Set(static_cast<uint32_t>(i), Napi::Number::New(env, ranks[i]));
  e.Set("ranks", r);
  throw e;
}

inline void ThrowIfFailed(Napi::Env env, const char* what) {
  if (kindling_liveness::AnyFailure()) {
    kindling_liveness::Failure f = kindling_liveness::Current();
    std::vector<int> ranks = f.lost;
    for (const auto& p : f.failed) ranks.push_back(p.first);
    g_broken = "kindling MPI: " + std::string(what) + " cannot complete: " + f.Describe();
    g_broken_code = f.failed.empty() ? "KINDLING_MPI_PEER_LOST" : "KINDLING_MPI_PEER_FAILED";
    Fail(env, g_broken, g_broken_code.c_str(), ranks);
  }
  if (!g_broken.empty()) Fail(env, g_broken, g_broken_code.c_str(), {});
}

// One MPI_Test of a pending request started at `start`: true when complete; throws on a failed rank or timeout.
inline bool Poll(Napi::Env env, MPI_Request* req, const char* what, std::chrono::steady_clock::time_point start) {
  int done = 0;
  int rc = MPI_Test(req, &done, MPI_STATUS_IGNORE);
  if (rc == MPI_SUCCESS && done) return true;
  ThrowIfFailed(env, what);
  if (rc != MPI_SUCCESS) {
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, msg, &len);
    throw Napi::Error::New(env, std::string("kindling MPI: ") + what + " failed: " + std::string(msg, static_cast<size_t>(len)));
  }
  if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > g_timeout_s) {
    g_broken = "kindling MPI: " + std::string(what) + " did not complete within " + std::to_string(static_cast<long>(g_timeout_s)) +
               " s (KINDLING_MPI_TIMEOUT): a rank is stuck, or the ranks did not call the same collectives in the same order";
    g_broken_code = "KINDLING_MPI_TIMEOUT";
    Fail(env, g_broken, g_broken_code.c_str(), {});
  }
  return false;
}

inline void Wait(Napi::Env env, MPI_Request* req, const char* what) {
  auto start = std::chrono::steady_clock::now();
  int phase = 0;
  for (long spins = 0;; ++spins) {
    int done = 0;
    int rc = MPI_Test(req, &done, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS) {
      ThrowIfFailed(env, what);
      char msg[MPI_MAX_ERROR_STRING];
      int len = 0;
      MPI_Error_string(rc, msg, &len);
      throw Napi::Error::New(env, std::string("kindling MPI: ") + what + " failed: " + std::string(msg, static_cast<size_t>(len)));
    }
    if (done) return;
    // The request stays pending (MPI cannot cancel a collective): the job is over, the caller aborts it.
    ThrowIfFailed(env, what);
    if ((spins & 63) == 0) {
      double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      // spin for 20 ms (latency), then yield to the other processes of the host, then poll every ms
      phase = waited < 0.02 ? 0 : waited < 2 ? 1 : 2;
      if (waited > g_timeout_s) {
        g_broken = "kindling MPI: " + std::string(what) + " did not complete within " + std::to_string(static_cast<long>(g_timeout_s)) +
                   " s (KINDLING_MPI_TIMEOUT): a rank is stuck, or the ranks did not call the same collectives in the same order";
        g_broken_code = "KINDLING_MPI_TIMEOUT";
        Fail(env, g_broken, g_broken_code.c_str(), {});
      }
    }
    if (phase == 1) sched_yield();
    if (phase == 2) {
      timespec ts{0, 1000000L};
      nanosleep(&ts, nullptr);
    }
  }
}

}  // namespace kindling_wait
