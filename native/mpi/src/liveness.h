// kindling's liveness side channel: one TCP connection between every pair of ranks, watched by a background
// thread, so that a rank that dies (SIGKILL, a crash, a lost host) is noticed at once and by name on every other
// rank, even while they wait in an MPI collective or compute in JavaScript. A rank that fails on purpose (its
// training function threw) sends its error message over the same connections before it aborts the job.
//
// Why not Open MPI's own error handlers: with MPI_ERRORS_RETURN, Open MPI 4.1's TCP transport reports a lost peer
// only sometimes (often a collective just waits forever), and the error never names the rank that was lost.
#pragma once

#include <mpi.h>

#include <string>
#include <vector>

namespace kindling_liveness {

// What the side channel knows about failed peers.
struct Failure {
  bool any = false;
  // ranks that were lost (connection closed or broken without a failure message)
  std::vector<int> lost;
  // ranks that reported an error before aborting, with their message
  std::vector<std::pair<int, std::string>> failed;
  std::string Describe() const;
};

// Connects this rank to every other rank of `world` (collective: every rank calls it after MPI_Init). Returns ""
// or a warning (e.g. a peer that could not be reached: its loss will be noticed only by the collective timeout).
std::string Start(MPI_Comm world);

// Stops reporting closed connections (a clean shutdown), then closes them. Call after every rank has called
// Quiesce() (i.e. after a barrier), so that no rank mistakes another's clean exit for a loss.
void Quiesce();
void Stop();

// The failures seen so far (thread-safe).
Failure Current();
bool AnyFailure();

// Sends `message` to every connected peer (best effort, bounded by ~1 s) before this rank aborts the job.
void Announce(const std::string& message);

}  // namespace kindling_liveness
