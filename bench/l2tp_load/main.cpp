// l2tp_load: acts as many LACs towards one LNS (vpdnd, xl2tpd, ...) on loopback and
// measures control-plane setup rates.
//
//   l2tp_load --target 127.0.0.1:1701 --tunnels 1000 --sessions 10 --secret s3cr3t
//
// Phase 1 opens --tunnels tunnels (SCCRQ -> SCCRP -> SCCCN, with Challenge / Challenge
// Response when --secret is given; a tunnel counts once the LNS acknowledged SCCCN), at
// most --concurrency in flight. Phase 2 places --sessions incoming calls on every tunnel
// (ICRQ -> ICRP -> ICCN; a session counts once ICCN is acknowledged), pipelined within the
// peer's receive window. Phase 3 sends StopCCN everywhere and waits for the acks (bounded).
// With --pid, the target's RSS is sampled after each phase to give bytes per tunnel and per
// session. Every loop is bounded by --timeout; traffic goes only to the loopback target.
//
// Single-threaded: one epoll loop over --sources UDP sockets bound to 127.1.x.y, tunnels
// spread round-robin over them. Uses the project's codec (vpdn/codec.hpp) for every packet.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "bench/common/flags.hpp"
#include "vpdn/codec.hpp"

using namespace vpdnd;
using namespace vpdnd::vpdn;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  std::string target_ip = "127.0.0.1";
  std::uint16_t target_port = 1701;
  int tunnels = 100;
  int sessions = 0;       // per tunnel
  int sources = 0;        // 0 = min(tunnels, 512)
  int concurrency = 128;  // 256+ overflowed default socket buffers of loaded targets
  std::string secret;
  double timeout = 60;
  int pid = 0;
  bool teardown = true;
  double hold = 0;  // seconds to keep everything up (answering Hellos) before teardown
  bool quiet = false;
  bool hide = false;  // hide AVPs (RFC 2661 §4.3) from SCCCN on; needs --secret
};

void usage() {
  std::fprintf(stderr,
               "usage: l2tp_load --target IP:PORT [--tunnels N] [--sessions N-per-tunnel]\n"
               "                 [--secret S] [--sources N] [--concurrency N] [--timeout SEC]\n"
               "                 [--pid LNS-PID] [--hold SEC] [--hide] [--no-teardown] [--quiet]\n"
               "target must be a 127.0.0.0/8 address.\n");
}

bool parse(int argc, char** argv, Options& o) {
  std::string target = o.target_ip + ":" + std::to_string(o.target_port);
  const bench::Flag flags[] = {{"--no-teardown", bench::Switch{&o.teardown, false}},
                               {"--quiet", bench::Switch{&o.quiet, true}},
                               {"--hide", bench::Switch{&o.hide, true}},
                               {"--target", &target},
                               {"--tunnels", &o.tunnels},
                               {"--sessions", &o.sessions},
                               {"--sources", &o.sources},
                               {"--concurrency", &o.concurrency},
                               {"--secret", &o.secret},
                               {"--timeout", &o.timeout},
                               {"--pid", &o.pid},
                               {"--hold", &o.hold}};
  if (!bench::parse_flags(argc, argv, flags)) return false;
  const auto colon = target.rfind(':');
  if (colon == std::string::npos) return false;
  o.target_ip = target.substr(0, colon);
  o.target_port = static_cast<std::uint16_t>(std::atoi(target.c_str() + colon + 1));
  in_addr addr{};
  if (inet_pton(AF_INET, o.target_ip.c_str(), &addr) != 1) return false;
  if ((ntohl(addr.s_addr) >> 24) != 127) return false;  // loopback only, by design
  if (o.tunnels < 1 || o.tunnels > 60000 || o.sessions < 0 || o.sessions > 60000) return false;
  if (o.sources <= 0) o.sources = std::min(o.tunnels, 512);
  if (o.concurrency < 1) o.concurrency = 1;
  if (o.hide && o.secret.empty()) return false;
  return true;
}

// CPU time a process has used, in nanoseconds: the sum of its threads' run time from
// /proc/PID/task/*/schedstat (ns resolution), else utime + stime from /proc/PID/stat in
// clock ticks (10 ms resolution). -1 when the process is gone.
long long cpu_ns(int pid) {
  if (pid <= 0) return -1;
  const std::string base = "/proc/" + std::to_string(pid);
  std::error_code ec;
  long long sum = 0;
  bool any = false;
  for (const auto& task : std::filesystem::directory_iterator(base + "/task", ec)) {
    std::ifstream f(task.path() / "schedstat");
    long long run_ns = 0;
    if (f >> run_ns) {
      sum += run_ns;
      any = true;
    }
  }
  if (any) return sum;
  std::ifstream f(base + "/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const auto close_paren = stat.rfind(')');
  if (close_paren == std::string::npos) return -1;
  std::istringstream rest(stat.substr(close_paren + 2));
  std::string field;
  long long ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i)
    if (i == 14 || i == 15) ticks += std::atoll(field.c_str());
  return ticks * 1000000000LL / sysconf(_SC_CLK_TCK);
}

long rss_kib(int pid) {
  if (pid <= 0) return -1;
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}

enum class TunnelPhase { idle, wait_sccrp, wait_ack, up, failed, stopping, closed };

struct Pending {
  std::uint16_t ns;
  Bytes wire;
};

struct Session {
  std::uint16_t peer_id = 0;
  std::uint16_t iccn_ns = 0;
  bool iccn_sent = false;
  bool up = false;
  bool closed_by_peer = false;
};

struct Tunnel {
  int socket = 0;
  std::uint16_t local_id = 0;
  std::uint16_t peer_id = 0;
  TunnelPhase phase = TunnelPhase::idle;
  std::uint16_t ns = 0;  // next Ns we send
  std::uint16_t nr = 0;  // next Ns we expect from the peer
  std::uint16_t peer_rws = 4;
  std::deque<Pending> unacked;
  std::deque<ControlMessage> queue;  // waiting for window space
  Bytes challenge;
  Clock::time_point last_progress;
  int retries = 0;
  std::vector<Session> sessions;  // index = local session id - 1
  int next_session = 0;           // sessions started
  int sessions_up = 0;
};

// Serial-number arithmetic (RFC 2661 §5.8): a < b modulo 2^16.
bool seq_lt(std::uint16_t a, std::uint16_t b) {
  return static_cast<std::int16_t>(a - b) < 0;
}

class Load {
 public:
  explicit Load(const Options& o) : o_(o), rnd_(), hiding_{o.secret} {}

  int run();

 private:
  bool open_sockets();
  void send_raw(Tunnel& t, const Bytes& wire);
  void enqueue(Tunnel& t, ControlMessage m);
  void pump(Tunnel& t);
  void send_zlb(Tunnel& t);
  void start_tunnel(Tunnel& t);
  void start_sessions(Tunnel& t, int budget);
  void on_datagram(int sock, ByteView data);
  void on_message(Tunnel& t, const ControlMessage& m);
  void ack_up_to(Tunnel& t, std::uint16_t nr);
  void check_timers(Clock::time_point now);
  bool poll_once(int timeout_ms);
  template <class Done>
  bool loop_until(Done done, Clock::time_point deadline);

  Options o_;
  OsRandom rnd_;
  HidingContext hiding_;
  std::vector<int> socks_;
  int epfd_ = -1;
  sockaddr_in target_{};
  std::vector<Tunnel> tunnels_;
  std::vector<int> by_local_id_;  // local tunnel id -> index in tunnels_, -1 when unused
  int tunnels_up_ = 0, tunnels_failed_ = 0, tunnels_in_flight_ = 0;
  long sessions_up_ = 0, sessions_failed_ = 0, sessions_in_flight_ = 0;
  long sent_ = 0, received_ = 0, retransmits_ = 0, decode_errors_ = 0, peer_cdns_ = 0;
  long auth_failures_ = 0, hellos_ = 0, data_packets_ = 0;
};

bool Load::open_sockets() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  epfd_ = epoll_create1(0);
  if (epfd_ < 0) return false;
  target_.sin_family = AF_INET;
  target_.sin_port = htons(o_.target_port);
  inet_pton(AF_INET, o_.target_ip.c_str(), &target_.sin_addr);
  for (int i = 0; i < o_.sources; ++i) {
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      std::perror("socket");
      return false;
    }
    int buf = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    // 127.1.x.y: a distinct LAC address per source socket (x.y from the index).
    local.sin_addr.s_addr = htonl((127u << 24) | (1u << 16) | static_cast<unsigned>(i + 1));
    if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      std::perror("bind");
      close(fd);
      return false;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<std::uint32_t>(socks_.size());
    epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
    socks_.push_back(fd);
  }
  return true;
}

void Load::send_raw(Tunnel& t, const Bytes& wire) {
  ++sent_;
  if (sendto(socks_[t.socket], wire.data(), wire.size(), 0,
             reinterpret_cast<const sockaddr*>(&target_), sizeof target_) < 0 &&
      errno != EAGAIN) {
    // Counted as a loss; retransmission covers it.
  }
}

void Load::enqueue(Tunnel& t, ControlMessage m) {
  t.queue.push_back(std::move(m));
  pump(t);
}

void Load::pump(Tunnel& t) {
  while (!t.queue.empty() && t.unacked.size() < t.peer_rws) {
    ControlMessage m = std::move(t.queue.front());
    t.queue.pop_front();
    m.ns = t.ns++;
    m.nr = t.nr;
    auto wire = encode_control(m, hiding_.secret.empty() ? nullptr : &hiding_, rnd_);
    if (!wire) continue;
    if (m.type == MessageType::iccn) {
      // The ICCN's Ns tells us when the session is acknowledged.
      for (Session& s : t.sessions)
        if (s.peer_id == m.session_id && !s.iccn_sent) {
          s.iccn_sent = true;
          s.iccn_ns = m.ns;
          break;
        }
    }
    if (t.unacked.empty()) t.last_progress = Clock::now();
    send_raw(t, *wire);
    t.unacked.push_back({m.ns, std::move(*wire)});
  }
}

void Load::send_zlb(Tunnel& t) {
  ControlMessage z = ControlMessage::make_zlb(t.peer_id);
  z.ns = t.ns;
  z.nr = t.nr;
  auto wire = encode_control(z, nullptr, rnd_);
  if (wire) send_raw(t, *wire);
}

void Load::start_tunnel(Tunnel& t) {
  ControlMessage m = ControlMessage::make(MessageType::sccrq, 0);
  m.add_protocol_version()
      .add_string(AvpType::host_name, "loadlac-" + std::to_string(t.local_id))
      .add_u32(AvpType::framing_capabilities, kFramingSync | kFramingAsync)
      .add_u32(AvpType::bearer_capabilities, kBearerAnalog | kBearerDigital)
      .add_u16(AvpType::assigned_tunnel_id, t.local_id)
      .add_u16(AvpType::receive_window_size, 64)
      .add_string(AvpType::vendor_name, "vpdnd l2tp_load");
  if (!o_.secret.empty()) {
    t.challenge.resize(16);
    rnd_.fill(t.challenge);
    m.add_bytes(AvpType::challenge, t.challenge);
  }
  t.phase = TunnelPhase::wait_sccrp;
  ++tunnels_in_flight_;
  enqueue(t, std::move(m));
}

void Load::start_sessions(Tunnel& t, int budget) {
  while (t.next_session < o_.sessions && budget-- > 0) {
    const auto local = static_cast<std::uint16_t>(++t.next_session);
    ControlMessage m = ControlMessage::make(MessageType::icrq, t.peer_id, 0);
    m.add_u16(AvpType::assigned_session_id, local, o_.hide)
        .add_u32(AvpType::call_serial_number, local, o_.hide)
        .add_u32(AvpType::bearer_type, kBearerDigital)
        .add_string(AvpType::calling_number,
                    "load-" + std::to_string(t.local_id) + "-" + std::to_string(local));
    ++sessions_in_flight_;
    enqueue(t, std::move(m));
  }
}

void Load::ack_up_to(Tunnel& t, std::uint16_t nr) {
  bool progress = false;
  while (!t.unacked.empty() && seq_lt(t.unacked.front().ns, nr)) {
    t.unacked.pop_front();
    progress = true;
  }
  if (progress) {
    t.last_progress = Clock::now();
    t.retries = 0;
  }
  if (t.phase == TunnelPhase::wait_ack && !seq_lt(nr, 2)) {
    t.phase = TunnelPhase::up;
    ++tunnels_up_;
    --tunnels_in_flight_;
  }
  for (Session& s : t.sessions) {
    if (s.iccn_sent && !s.up && !s.closed_by_peer && seq_lt(s.iccn_ns, nr)) {
      s.up = true;
      ++t.sessions_up;
      ++sessions_up_;
      --sessions_in_flight_;
    }
  }
  pump(t);
}

void Load::on_message(Tunnel& t, const ControlMessage& m) {
  switch (m.type) {
    case MessageType::sccrp: {
      if (t.phase != TunnelPhase::wait_sccrp) break;
      t.peer_id = m.u16(AvpType::assigned_tunnel_id).value_or(0);
      if (auto rws = m.u16(AvpType::receive_window_size); rws && *rws > 0) t.peer_rws = *rws;
      ControlMessage cn = ControlMessage::make(MessageType::scccn, t.peer_id);
      if (!o_.secret.empty()) {
        const auto* resp = m.find(AvpType::challenge_response);
        if (resp == nullptr ||
            !chap_response_matches(resp->value, chap_response(2, o_.secret, t.challenge))) {
          ++auth_failures_;
          t.phase = TunnelPhase::failed;
          ++tunnels_failed_;
          --tunnels_in_flight_;
          break;
        }
      }
      if (auto ch = m.bytes(AvpType::challenge)) {
        const auto r = chap_response(3, o_.secret, *ch);
        cn.add_bytes(AvpType::challenge_response, r, o_.hide);
      }
      t.phase = TunnelPhase::wait_ack;
      enqueue(t, std::move(cn));
      break;
    }
    case MessageType::icrp: {
      const std::uint16_t local = m.session_id;
      if (local == 0 || local > t.sessions.size()) break;
      Session& s = t.sessions[local - 1];
      s.peer_id = m.u16(AvpType::assigned_session_id).value_or(0);
      ControlMessage cn = ControlMessage::make(MessageType::iccn, t.peer_id, s.peer_id);
      cn.add_u32(AvpType::tx_connect_speed, 100000000).add_u32(AvpType::framing_type, kFramingSync);
      enqueue(t, std::move(cn));
      break;
    }
    case MessageType::cdn: {
      ++peer_cdns_;
      const std::uint16_t local = m.session_id;
      if (local >= 1 && local <= t.sessions.size()) {
        Session& s = t.sessions[local - 1];
        if (!s.up && !s.closed_by_peer) {
          s.closed_by_peer = true;
          ++sessions_failed_;
          --sessions_in_flight_;
        }
      }
      break;
    }
    case MessageType::hello:
      ++hellos_;
      break;
    case MessageType::stopccn:
      if (t.phase == TunnelPhase::wait_sccrp || t.phase == TunnelPhase::wait_ack) {
        ++tunnels_failed_;
        --tunnels_in_flight_;
      }
      t.phase = TunnelPhase::closed;
      t.unacked.clear();
      t.queue.clear();
      break;
    default:
      break;  // HELLO and the rest only need the ack below
  }
}

void Load::on_datagram(int /*sock*/, ByteView data) {
  ++received_;
  if (!peek_is_control(data)) {
    // The LNS's PPP starting LCP on a session we placed: not our business here.
    ++data_packets_;
    return;
  }
  auto m = decode_control(data, hiding_.secret.empty() ? nullptr : &hiding_);
  if (!m) {
    ++decode_errors_;
    return;
  }
  const int index = by_local_id_[m->tunnel_id];
  if (index < 0) return;
  Tunnel& t = tunnels_[static_cast<std::size_t>(index)];
  ack_up_to(t, m->nr);
  if (m->zlb) return;
  if (m->ns != t.nr) {
    // Duplicate (our ack was lost) or out of order: re-ack; the peer retransmits gaps.
    send_zlb(t);
    return;
  }
  ++t.nr;
  const std::uint16_t ns_before = t.ns;
  on_message(t, *m);
  // No message of ours carried the ack: send an explicit ZLB.
  if (t.ns == ns_before) send_zlb(t);
}

void Load::check_timers(Clock::time_point now) {
  for (Tunnel& t : tunnels_) {
    // A peer that acknowledged our request but never answers it (xl2tpd does this for a
    // tunnel id it believes it already has) fails the tunnel after 5 s.
    if (t.unacked.empty() &&
        (t.phase == TunnelPhase::wait_sccrp || t.phase == TunnelPhase::wait_ack) &&
        now - t.last_progress > std::chrono::seconds(5)) {
      t.phase = TunnelPhase::failed;
      ++tunnels_failed_;
      --tunnels_in_flight_;
      continue;
    }
    if (t.unacked.empty() ||
        now - t.last_progress < std::chrono::seconds(1 << std::min(t.retries, 3)))
      continue;
    if (++t.retries > 5) {
      if (t.phase == TunnelPhase::wait_sccrp || t.phase == TunnelPhase::wait_ack) {
        t.phase = TunnelPhase::failed;
        ++tunnels_failed_;
        --tunnels_in_flight_;
      }
      t.unacked.clear();
      t.queue.clear();
      continue;
    }
    t.last_progress = now;
    for (Pending& p : t.unacked) {
      // Refresh Nr so a retransmission also acknowledges what arrived since.
      p.wire[10] = static_cast<std::uint8_t>(t.nr >> 8);
      p.wire[11] = static_cast<std::uint8_t>(t.nr);
      send_raw(t, p.wire);
      ++retransmits_;
    }
  }
}

bool Load::poll_once(int timeout_ms) {
  epoll_event events[64];
  const int n = epoll_wait(epfd_, events, 64, timeout_ms);
  std::uint8_t buf[4096];
  for (int i = 0; i < n; ++i) {
    const int idx = static_cast<int>(events[i].data.u32);
    for (int k = 0; k < 64; ++k) {
      const ssize_t len = recv(socks_[idx], buf, sizeof buf, 0);
      if (len <= 0) break;
      on_datagram(idx, ByteView(buf, static_cast<std::size_t>(len)));
    }
  }
  return n >= 0;
}

template <class Done>
bool Load::loop_until(Done done, Clock::time_point deadline) {
  auto last_timer = Clock::now();
  while (!done()) {
    const auto now = Clock::now();
    if (now >= deadline) return false;
    if (!poll_once(10)) return false;
    if (Clock::now() - last_timer > std::chrono::milliseconds(100)) {
      check_timers(Clock::now());
      last_timer = Clock::now();
    }
  }
  return true;
}

int Load::run() {
  if (!open_sockets()) return 2;
  tunnels_.resize(static_cast<std::size_t>(o_.tunnels));
  by_local_id_.assign(65536, -1);
  // Random base for our tunnel ids so back-to-back runs from the same addresses do not
  // look like duplicates of tunnels the target still holds.
  const unsigned base = rnd_.u16();
  for (int i = 0; i < o_.tunnels; ++i) {
    tunnels_[i].local_id =
        static_cast<std::uint16_t>((base + static_cast<unsigned>(i)) % 65535u + 1u);
    by_local_id_[tunnels_[i].local_id] = i;
    tunnels_[i].socket = i % o_.sources;
    tunnels_[i].sessions.resize(static_cast<std::size_t>(o_.sessions));
  }
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(o_.timeout));
  const long rss0 = rss_kib(o_.pid);
  const long long ticks0 = cpu_ns(o_.pid);
  const double tick = 1e-9;  // cpu_ns() units
  // On a shared machine the wall-clock rate mostly measures the scheduler; the target's own
  // CPU seconds per phase give the rate it would reach with a core to itself.
  auto cpu_line = [&](const char* what, long done, long long from, long long to) {
    if (from < 0 || to < 0) return;
    const double secs = static_cast<double>(to - from) * tick;
    std::printf("%s_target_cpu: %.2fs", what, secs);
    if (secs > 0 && done > 0)
      std::printf(" = %.1f us each, %.0f/s per target core", 1e6 * secs / static_cast<double>(done),
                  static_cast<double>(done) / secs);
    std::printf("\n");
  };

  // Phase 1: tunnels, at most `concurrency` in flight.
  const auto t0 = Clock::now();
  int started = 0;
  auto tunnels_done = [&] {
    while (started < o_.tunnels && tunnels_in_flight_ < o_.concurrency)
      start_tunnel(tunnels_[started++]);
    return started == o_.tunnels && tunnels_in_flight_ == 0;
  };
  const bool phase1 = loop_until(tunnels_done, deadline);
  const double tunnel_secs = std::chrono::duration<double>(Clock::now() - t0).count();
  const long rss1 = rss_kib(o_.pid);
  std::printf("l2tp_load target=%s:%u challenge=%s sources=%d concurrency=%d\n",
              o_.target_ip.c_str(), o_.target_port, o_.secret.empty() ? "no" : "yes", o_.sources,
              o_.concurrency);
  std::printf(
      "tunnels: requested=%d established=%d failed=%d auth_failures=%ld retransmits=%ld time=%.3fs "
      "rate=%.0f/s%s\n",
      o_.tunnels, tunnels_up_, tunnels_failed_, auth_failures_, retransmits_, tunnel_secs,
      tunnels_up_ / std::max(tunnel_secs, 1e-9), phase1 ? "" : " (timeout)");
  const long long ticks1 = cpu_ns(o_.pid);
  cpu_line("tunnels", tunnels_up_, ticks0, ticks1);
  std::fflush(stdout);
  const long retransmits_phase1 = retransmits_;

  // Phase 2: sessions on every established tunnel, `concurrency` calls in flight overall.
  long rss2 = rss1;
  if (o_.sessions > 0) {
    const auto s0 = Clock::now();
    std::size_t cursor = 0;
    auto sessions_done = [&] {
      for (std::size_t scanned = 0;
           scanned < tunnels_.size() && sessions_in_flight_ < o_.concurrency; ++scanned) {
        Tunnel& t = tunnels_[cursor];
        cursor = (cursor + 1) % tunnels_.size();
        if (t.phase == TunnelPhase::up && t.next_session < o_.sessions)
          start_sessions(t,
                         static_cast<int>(std::min<long>(8, o_.concurrency - sessions_in_flight_)));
      }
      if (sessions_in_flight_ > 0) return false;
      for (const Tunnel& t : tunnels_)
        if (t.phase == TunnelPhase::up && t.next_session < o_.sessions) return false;
      return true;
    };
    const bool phase2 = loop_until(sessions_done, deadline);
    const double secs = std::chrono::duration<double>(Clock::now() - s0).count();
    rss2 = rss_kib(o_.pid);
    const long long ticks2 = cpu_ns(o_.pid);
    std::printf(
        "sessions: requested=%ld established=%ld failed=%ld peer_cdn=%ld retransmits=%ld "
        "time=%.3fs rate=%.0f/s%s\n",
        static_cast<long>(tunnels_up_) * o_.sessions, sessions_up_, sessions_failed_, peer_cdns_,
        retransmits_ - retransmits_phase1, secs, sessions_up_ / std::max(secs, 1e-9),
        phase2 ? "" : " (timeout)");
    cpu_line("sessions", sessions_up_, ticks1, ticks2);
  }
  if (o_.pid > 0 && rss0 > 0) {
    std::printf("target_rss: start=%ldKiB after_tunnels=%ldKiB after_sessions=%ldKiB", rss0, rss1,
                rss2);
    if (tunnels_up_ > 0) std::printf(" per_tunnel=%.0fB", (rss1 - rss0) * 1024.0 / tunnels_up_);
    if (sessions_up_ > 0)
      std::printf(" per_session=%.0fB", (rss2 - rss1) * 1024.0 / static_cast<double>(sessions_up_));
    std::printf("\n");
  }

  // Optional hold: everything stays up, Hellos are acknowledged; the target's CPU use at
  // rest is sampled from /proc (the "100,000 sessions with Hello at <= 1% of a core" figure).
  if (o_.hold > 0) {
    const long long ticks0 = cpu_ns(o_.pid);
    const long hellos0 = hellos_;
    const auto h0 = Clock::now();
    const auto hold_end =
        h0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o_.hold));
    loop_until([&] { return false; }, hold_end);
    const double secs = std::chrono::duration<double>(Clock::now() - h0).count();
    const long long ticks1 = cpu_ns(o_.pid);
    long lost = 0;
    for (const Tunnel& t : tunnels_)
      if (t.phase == TunnelPhase::closed) ++lost;
    std::printf("hold: time=%.1fs hellos_received=%ld tunnels_closed_by_peer=%ld", secs,
                hellos_ - hellos0, lost);
    if (ticks0 >= 0 && ticks1 >= 0)
      std::printf(" target_cpu=%.2f%%", 100.0 * static_cast<double>(ticks1 - ticks0) * 1e-9 / secs);
    std::printf("\n");
  }

  // Phase 3: StopCCN everywhere, wait (bounded) for the acks.
  if (o_.teardown) {
    // Paced like the setups (at most `concurrency` StopCCNs unacknowledged): a burst of
    // thousands overflows the target's socket buffer.
    std::size_t next = 0;
    long stopping_in_flight = 0;
    auto start_stops = [&] {
      stopping_in_flight = 0;
      for (const Tunnel& t : tunnels_)
        if (t.phase == TunnelPhase::stopping && !t.unacked.empty()) ++stopping_in_flight;
      for (; next < tunnels_.size() && stopping_in_flight < o_.concurrency; ++next) {
        Tunnel& t = tunnels_[next];
        if (t.phase != TunnelPhase::up) continue;
        t.queue.clear();
        ControlMessage stop = ControlMessage::make(MessageType::stopccn, t.peer_id);
        stop.add_u16(AvpType::assigned_tunnel_id, t.local_id)
            .add_result_code({stopccn_result::clear, std::nullopt, {}});
        t.phase = TunnelPhase::stopping;
        enqueue(t, std::move(stop));
        ++stopping_in_flight;
      }
      return next == tunnels_.size() && stopping_in_flight == 0;
    };
    loop_until(start_stops, Clock::now() + std::chrono::seconds(10));
    long stopped = 0, unacked = 0;
    for (const Tunnel& t : tunnels_) {
      if (t.phase != TunnelPhase::stopping && t.phase != TunnelPhase::closed) continue;
      ++stopped;
      if (!t.unacked.empty()) ++unacked;
    }
    std::printf("teardown: stopccn_sent=%ld unacknowledged=%ld\n", stopped, unacked);
  }
  std::printf(
      "packets: sent=%ld received=%ld data_received=%ld retransmits=%ld decode_errors=%ld\n", sent_,
      received_, data_packets_, retransmits_, decode_errors_);
  for (int fd : socks_) close(fd);
  close(epfd_);
  return (tunnels_up_ == o_.tunnels && sessions_up_ == static_cast<long>(tunnels_up_) * o_.sessions)
             ? 0
             : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, o)) {
    usage();
    return 2;
  }
  Load load(o);
  return load.run();
}
