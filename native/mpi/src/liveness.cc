// kindling's liveness side channel (see liveness.h). Hand-written on POSIX sockets: no library offers a
// peer-death watch that runs beside MPI without needing MPI_THREAD_MULTIPLE, and this one is ~300 lines.
#include "liveness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>

namespace kindling_liveness {
namespace {

constexpr uint32_t kMagic = 0x4b4c4956;  // "KLIV"
constexpr int kMaxAddrs = 8;

// What every rank publishes about itself (MPI_Allgather of a fixed-size record).
struct Card {
  uint64_t token;
  int32_t pid;
  uint16_t port;
  uint16_t naddr;
  uint32_t addr[kMaxAddrs];  // IPv4, network byte order; loopback last
  char host[64];
};

struct Hello {
  uint32_t magic;
  int32_t rank;
  uint64_t token;
};

struct Peer {
  int fd;
  int rank;
  std::string inbox;
};

std::mutex g_mu;
std::vector<Peer> g_peers;
std::vector<Card> g_cards;
Failure g_failure;
std::atomic<bool> g_any{false};
std::atomic<bool> g_quiet{false};
std::atomic<bool> g_stop{false};
std::thread* g_thread = nullptr;
int g_listen = -1;
int g_wake[2] = {-1, -1};
int g_rank = 0;
uint64_t g_token = 0;

void KeepAlive(int fd) {
  int on = 1, idle = 10, intvl = 2, cnt = 3;
  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

// Reads or writes exactly n bytes within timeout_ms; false on EOF, error or timeout.
bool Transfer(int fd, void* buf, size_t n, bool write_side, int timeout_ms) {
  auto* p = static_cast<char*>(buf);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (n > 0) {
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
    if (left <= 0) return false;
    pollfd pfd{fd, static_cast<short>(write_side ? POLLOUT : POLLIN), 0};
    if (poll(&pfd, 1, left) <= 0) return false;
    ssize_t r = write_side ? send(fd, p, n, MSG_NOSIGNAL) : recv(fd, p, n, 0);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

std::string Where(int rank) {
  if (rank < 0 || static_cast<size_t>(rank) >= g_cards.size()) return "";
  const Card& c = g_cards[static_cast<size_t>(rank)];
  return " (pid " + std::to_string(c.pid) + " on " + std::string(c.host, strnlen(c.host, sizeof c.host)) + ")";
}

void Report(const std::string& line) {
  std::string out = "kindling MPI: rank " + std::to_string(g_rank) + ": " + line + "\n";
  ssize_t ignored = write(2, out.data(), out.size());
  (void)ignored;
}

// Called with g_mu held: a peer's connection ended (with or without a failure message before it).
void MarkClosed(Peer& p) {
  bool reported = false;
  for (const auto& f : g_failure.failed) reported = reported || f.first == p.rank;
  if (!reported && !g_quiet.load()) {
    g_failure.lost.push_back(p.rank);
    g_failure.any = true;
    g_any = true;
    Report("lost rank " + std::to_string(p.rank) + Where(p.rank) +
           ": its process ended or its host became unreachable; the job cannot continue");
  }
  close(p.fd);
  p.fd = -1;
}

// Frames: 'F', 4-byte length, the failing rank's message.
void Parse(Peer& p) {
  while (p.inbox.size() >= 5 && p.inbox[0] == 'F') {
    uint32_t len = 0;
    memcpy(&len, p.inbox.data() + 1, 4);
    if (p.inbox.size() < 5 + static_cast<size_t>(len)) return;
    std::string msg = p.inbox.substr(5, len);
    p.inbox.erase(0, 5 + static_cast<size_t>(len));
    g_failure.failed.emplace_back(p.rank, msg);
    g_failure.any = true;
    g_any = true;
    Report("rank " + std::to_string(p.rank) + Where(p.rank) + " failed: " + msg);
  }
}

// Accepts one connection on the listening socket and checks its hello (job token) before watching it.
void AcceptOne() {
  int fd = accept4(g_listen, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return;
  Hello h{};
  if (!Transfer(fd, &h, sizeof h, false, 2000) || h.magic != kMagic || h.token != g_token) {
    close(fd);
    return;
  }
  KeepAlive(fd);
  {
    std::lock_guard<std::mutex> lock(g_mu);
    g_peers.push_back(Peer{fd, h.rank, {}});
  }
  Hello reply{kMagic, g_rank, g_token};
  if (!Transfer(fd, &reply, sizeof reply, true, 2000)) Report("could not answer rank " + std::to_string(h.rank));
}

void Watch() {
  std::vector<pollfd> fds;
  while (!g_stop.load()) {
    fds.clear();
    fds.push_back(pollfd{g_wake[0], POLLIN, 0});
    fds.push_back(pollfd{g_listen, POLLIN, 0});
    {
      std::lock_guard<std::mutex> lock(g_mu);
      for (const auto& p : g_peers) fds.push_back(pollfd{p.fd, POLLIN, 0});
    }
    if (poll(fds.data(), fds.size(), 500) <= 0) continue;
    if (fds[0].revents & POLLIN) {
      char b[64];
      ssize_t ignored = read(g_wake[0], b, sizeof b);
      (void)ignored;
    }
    if (fds[1].revents & POLLIN) AcceptOne();
    std::lock_guard<std::mutex> lock(g_mu);
    for (size_t i = 2; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      for (auto& p : g_peers) {
        if (p.fd != fds[i].fd) continue;
        char buf[4096];
        ssize_t r = recv(p.fd, buf, sizeof buf, MSG_DONTWAIT);
        if (r > 0) {
          p.inbox.append(buf, static_cast<size_t>(r));
          Parse(p);
        } else if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
          MarkClosed(p);
        }
      }
    }
    g_peers.erase(std::remove_if(g_peers.begin(), g_peers.end(), [](const Peer& p) { return p.fd < 0; }), g_peers.end());
  }
}

Card MyCard(uint16_t port) {
  Card c{};
  c.token = g_token;
  c.pid = static_cast<int32_t>(getpid());
  c.port = port;
  gethostname(c.host, sizeof c.host - 1);
  ifaddrs* ifs = nullptr;
  if (getifaddrs(&ifs) == 0) {
    for (ifaddrs* i = ifs; i != nullptr && c.naddr < kMaxAddrs - 1; i = i->ifa_next) {
      if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
      if (!(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK)) continue;
      c.addr[c.naddr++] = reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr.s_addr;
    }
    freeifaddrs(ifs);
  }
  c.addr[c.naddr++] = htonl(INADDR_LOOPBACK);
  return c;
}

// Connects to `rank` through the first of its addresses that answers with this job's token.
bool ConnectTo(int rank) {
  const Card& c = g_cards[static_cast<size_t>(rank)];
  for (int a = 0; a < c.naddr; ++a) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return false;
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(c.port);
    sa.sin_addr.s_addr = c.addr[a];
    int rc = connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    pollfd pfd{fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    bool ok = (rc == 0 || (errno == EINPROGRESS && poll(&pfd, 1, 2000) == 1 &&
                           getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0));
    Hello h{kMagic, g_rank, g_token}, reply{};
    ok = ok && Transfer(fd, &h, sizeof h, true, 2000) && Transfer(fd, &reply, sizeof reply, false, 3000) &&
         reply.magic == kMagic && reply.token == g_token && reply.rank == rank;
    if (ok) {
      KeepAlive(fd);
      std::lock_guard<std::mutex> lock(g_mu);
      g_peers.push_back(Peer{fd, rank, {}});
      ssize_t ignored = write(g_wake[1], "w", 1);
      (void)ignored;
      return true;
    }
    close(fd);
  }
  return false;
}

}  // namespace

std::string Failure::Describe() const {
  std::string out;
  for (const auto& f : failed) {
    out += (out.empty() ? "" : "; ") + std::string("rank ") + std::to_string(f.first) + Where(f.first) + " failed: " + f.second;
  }
  for (int r : lost) {
    out += (out.empty() ? "" : "; ") + std::string("lost rank ") + std::to_string(r) + Where(r) +
           ": its process ended or its host became unreachable";
  }
  return out;
}

std::string Start(MPI_Comm world) {
  int size = 1;
  MPI_Comm_rank(world, &g_rank);
  MPI_Comm_size(world, &size);
  if (size < 2 || g_thread != nullptr) return "";
  if (g_rank == 0) g_token = std::random_device{}() * 0x100000001ull ^ static_cast<uint64_t>(getpid());
  MPI_Bcast(&g_token, 1, MPI_UINT64_T, 0, world);
  g_listen = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_ANY);
  socklen_t len = sizeof sa;
  bool listening = g_listen >= 0 && bind(g_listen, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 &&
                   listen(g_listen, 256) == 0 && getsockname(g_listen, reinterpret_cast<sockaddr*>(&sa), &len) == 0 &&
                   pipe2(g_wake, O_CLOEXEC | O_NONBLOCK) == 0;
  Card mine = MyCard(listening ? ntohs(sa.sin_port) : 0);
  g_cards.assign(static_cast<size_t>(size), Card{});
  MPI_Allgather(&mine, sizeof mine, MPI_BYTE, g_cards.data(), sizeof mine, MPI_BYTE, world);
  if (!listening) return "could not open the liveness socket: a lost rank will be noticed only by the collective timeout";
  g_thread = new std::thread(Watch);
  std::string missing;
  for (int r = 0; r < g_rank; ++r) {
    if (g_cards[static_cast<size_t>(r)].port == 0 || !ConnectTo(r)) missing += (missing.empty() ? "" : ", ") + std::to_string(r);
  }
  MPI_Barrier(world);
  if (missing.empty()) return "";
  return "could not reach rank(s) " + missing + " over TCP for liveness; their loss will be noticed only by the collective timeout";
}

void Quiesce() { g_quiet = true; }

void Stop() {
  if (g_thread == nullptr) return;
  g_quiet = true;
  g_stop = true;
  ssize_t ignored = write(g_wake[1], "s", 1);
  (void)ignored;
  g_thread->join();
  delete g_thread;
  g_thread = nullptr;
  std::lock_guard<std::mutex> lock(g_mu);
  for (auto& p : g_peers) close(p.fd);
  g_peers.clear();
  close(g_listen);
  close(g_wake[0]);
  close(g_wake[1]);
}

Failure Current() {
  std::lock_guard<std::mutex> lock(g_mu);
  return g_failure;
}

bool AnyFailure() { return g_any.load(); }

void Announce(const std::string& message) {
  std::vector<int> fds;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    for (const auto& p : g_peers) fds.push_back(p.fd);
  }
  std::string frame = "F";
  uint32_t len = static_cast<uint32_t>(message.size());
  frame.append(reinterpret_cast<const char*>(&len), 4);
  frame += message;
  for (int fd : fds) Transfer(fd, frame.data(), frame.size(), true, 1000);
  // Let the peers print the message before MPI_Abort makes the launcher kill them.
  if (!fds.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(300));
}

}  // namespace kindling_liveness
