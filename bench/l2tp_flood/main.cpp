// l2tp_flood: SCCRQ flood against the L2TP engine over loopback UDP, from one source that
// never completes a tunnel. Prints the bytes it sent and received (the reflection ratio),
// the tunnels in setup the engine kept, and how long until they were all gone.
//
//   l2tp_flood [--sccrqs 10000] [--ack] [--setup-timeout SEC] [--rate PER_S]
//              [--setup-limit N] [--per-source N]
//
// The engine (vpdn/engine, default EngineOptions unless given; 0 = no cap) listens on
// 127.0.0.1 (ephemeral port) as an LNS whose l2tp-group 1 takes any peer. The flooder is a
// plain UDP socket on 127.0.0.66 sending SCCRQs, each with a new Assigned Tunnel ID (every
// one asks for a new tunnel), and reading everything that comes back. Without --ack it
// never answers (a spoofed address); with --ack it acknowledges every SCCRP with a ZLB on
// the tunnel id the SCCRP gave and never sends SCCCN (the half-open attack). After the
// flood it waits until the engine has no tunnel in setup (bounded by setup timeout + 10 s).
// Traffic goes only to loopback.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "bench/common/flags.hpp"
#include "common/timer.hpp"
#include "vpdn/codec.hpp"
#include "vpdn/engine.hpp"

using namespace vpdnd;
using namespace vpdnd::vpdn;
using Wall = std::chrono::steady_clock;

namespace {

struct Options {
  int sccrqs = 10000;
  bool ack = false;
  double setup_timeout = 0;  // 0 = engine default
  double rate = 0;           // SCCRQs per second; 0 = as fast as the socket takes them
  long setup_limit = -1;     // EngineOptions::max_setup_tunnels; -1 = default
  long per_source = -1;      // EngineOptions::max_setup_tunnels_per_source; -1 = default
};

bool parse(int argc, char** argv, Options& o) {
  const bench::Flag flags[] = {
      {"--ack", bench::Switch{&o.ack, true}}, {"--sccrqs", &o.sccrqs},
      {"--setup-timeout", &o.setup_timeout},  {"--rate", &o.rate},
      {"--setup-limit", &o.setup_limit},      {"--per-source", &o.per_source}};
  return bench::parse_flags(argc, argv, flags) && o.sccrqs > 0 && o.sccrqs <= 65535;
}

struct Flooder {
  int fd = -1;
  sockaddr_in target{};
  std::uint64_t bytes_out = 0, bytes_in = 0, datagrams_in = 0, sccrps = 0;
  SeededRandom random{1};

  bool open(std::uint16_t port) {
    fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    sockaddr_in me{};
    me.sin_family = AF_INET;
    me.sin_addr.s_addr = htonl(0x7F000042);  // 127.0.0.66
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&me), sizeof me) != 0) return false;
    int buf = 8 << 20;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    target.sin_family = AF_INET;
    target.sin_addr.s_addr = htonl(0x7F000001);
    target.sin_port = htons(port);
    return true;
  }
  void send(const Bytes& b) {
    for (;;) {
      ssize_t n =
          ::sendto(fd, b.data(), b.size(), 0, reinterpret_cast<sockaddr*>(&target), sizeof target);
      if (n >= 0) {
        bytes_out += b.size();
        return;
      }
      if (errno != EAGAIN && errno != ENOBUFS) return;
      drain(1);
    }
  }
  Bytes sccrq(std::uint16_t assigned) {
    auto m = ControlMessage::make(MessageType::sccrq, 0);
    m.add_protocol_version()
        .add_u32(AvpType::framing_capabilities, 3)
        .add_u32(AvpType::bearer_capabilities, 3)
        .add_u16(AvpType::firmware_revision, 0x0690)
        .add_string(AvpType::host_name, "flood")
        .add_string(AvpType::vendor_name, "l2tp_flood")
        .add_u16(AvpType::assigned_tunnel_id, assigned)
        .add_u16(AvpType::receive_window_size, 4);
    return *encode_control(m, nullptr, random);
  }
  void drain(int timeout_ms, bool ack = false) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return;
    std::uint8_t buf[2048];
    for (;;) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n < 0) return;
      bytes_in += static_cast<std::uint64_t>(n);
      ++datagrams_in;
      ByteView v(buf, static_cast<std::size_t>(n));
      if (!peek_is_control(v) || static_cast<std::size_t>(n) <= kControlHeaderSize) continue;
      auto m = decode_control(v, nullptr);
      if (!m || m->type != MessageType::sccrp) continue;
      ++sccrps;
      if (!ack) continue;
      if (auto tid = m->u16(AvpType::assigned_tunnel_id)) {
        auto z = ControlMessage::make_zlb(*tid);
        z.ns = 1;
        z.nr = 1;
        send(*encode_control(z, nullptr, random));
      }
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, o)) {
    std::fprintf(
        stderr,
        "usage: l2tp_flood [--sccrqs N<=65535] [--ack] [--setup-timeout SEC] [--rate PER_S]\n"
        "                  [--setup-limit N] [--per-source N]\n");
    return 2;
  }
  boost::asio::io_context io;
  AsioTimerService timers(io);
  OsRandom random;
  config::RunningConfig config;
  config.l2tp.enabled = true;
  config::L2tpGroup g;
  g.number = 1;
  g.allow_virtual_template = 1;
  g.tunnel_name = "LNS";
  config.l2tp_groups[1] = g;
  EngineOptions opt;
  opt.bind_address = *Ipv4::parse("127.0.0.1");
  opt.port_override = 0;
  if (o.setup_timeout > 0)
    opt.tunnel_setup_timeout =
        std::chrono::duration_cast<Duration>(std::chrono::duration<double>(o.setup_timeout));
  if (o.setup_limit >= 0) opt.max_setup_tunnels = static_cast<std::size_t>(o.setup_limit);
  if (o.per_source >= 0) opt.max_setup_tunnels_per_source = static_cast<std::size_t>(o.per_source);
  const Duration setup_timeout = opt.tunnel_setup_timeout;
  L2tpEngine engine(config, timers, random, opt);
  if (auto st = engine.open_udp(io); !st) {
    std::fprintf(stderr, "open_udp: %s\n", st.error().c_str());
    return 1;
  }
  const std::uint16_t port = engine.local_endpoint().port;

  // Engine statistics are read on the protocol thread and published here.
  std::atomic<std::uint64_t> in_setup{0}, peak{0};
  std::atomic<bool> stop{false};
  boost::asio::steady_timer poll(io);
  std::function<void()> sample = [&] {
    const auto st = engine.statistics();
    in_setup = st.tunnels_in_setup;
    if (st.tunnels_in_setup > peak) peak = st.tunnels_in_setup;
    if (stop) return;
    poll.expires_after(std::chrono::milliseconds(20));
    poll.async_wait([&](auto) { sample(); });
  };
  sample();
  std::thread engine_thread([&] { io.run(); });

  Flooder f;
  if (!f.open(port)) {
    std::fprintf(stderr, "flooder socket failed\n");
    return 1;
  }
  const auto t0 = Wall::now();
  for (int i = 1; i <= o.sccrqs; ++i) {
    f.send(f.sccrq(static_cast<std::uint16_t>(i)));
    if (i % 64 == 0) f.drain(0, o.ack);
    if (o.rate > 0) {
      const auto due = t0 + std::chrono::duration_cast<Wall::duration>(
                                std::chrono::duration<double>(i / o.rate));
      while (Wall::now() < due) f.drain(1, o.ack);
    }
  }
  const auto t_flood = Wall::now();
  // Collect what the flood draws, then wait for the tunnels in setup to go.
  const auto limit = t_flood + setup_timeout + std::chrono::seconds(10);
  auto t_empty = Wall::time_point{};
  while (Wall::now() < limit) {
    f.drain(50, o.ack);
    if (Wall::now() - t_flood > std::chrono::seconds(1) && in_setup == 0) {
      t_empty = Wall::now();
      break;
    }
  }
  f.drain(200, o.ack);
  stop = true;
  io.stop();
  engine_thread.join();
  const auto st = engine.statistics();
  auto secs = [](auto d) { return std::chrono::duration<double>(d).count(); };
  std::printf(
      "l2tp_flood: %d SCCRQs from 127.0.0.66 (%s), setup timeout %.0f s, caps %zu total / %zu "
      "per source (0 = none)\n",
      o.sccrqs, o.ack ? "SCCRPs acked by ZLB, no SCCCN" : "never answering", secs(setup_timeout),
      opt.max_setup_tunnels, opt.max_setup_tunnels_per_source);
  std::printf("  flood sent in %.3f s\n", secs(t_flood - t0));
  std::printf("  bytes to engine:   %llu\n", static_cast<unsigned long long>(f.bytes_out));
  std::printf("  bytes from engine: %llu (%llu datagrams, %llu SCCRPs)\n",
              static_cast<unsigned long long>(f.bytes_in),
              static_cast<unsigned long long>(f.datagrams_in),
              static_cast<unsigned long long>(f.sccrps));
  std::printf("  ratio out/in:      %.3f\n",
              f.bytes_out ? double(f.bytes_in) / double(f.bytes_out) : 0.0);
  std::printf("  tunnels in setup: peak %llu; SCCRQs over the caps %llu; expired %llu\n",
              static_cast<unsigned long long>(peak.load()),
              static_cast<unsigned long long>(st.sccrq_over_limit),
              static_cast<unsigned long long>(st.setup_expired));
  if (t_empty != Wall::time_point{})
    std::printf("  all tunnels in setup gone %.1f s after the flood ended\n",
                secs(t_empty - t_flood));
  else
    std::printf("  tunnels in setup still present after %.0f s: %llu\n", secs(limit - t_flood),
                static_cast<unsigned long long>(in_setup.load()));
  return 0;
}
