// l2tp_engine_lns: the L2TP engine alone as an LNS on a real io_context, for load runs
// (bench/l2tp_load) and manual interop checks. Config is built here, not parsed:
//   l2tp_engine_lns --port 21201 [--bind 127.0.0.1] [--secret S] [--hello SECONDS]
// Any peer is accepted through the default group 1 (virtual template 1); sessions are
// accepted and counted. SIGINT/SIGTERM: StopCCN to every peer, then exit.
#include <signal.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/log.hpp"
#include "vpdn/engine.hpp"

using namespace vpdnd;
using namespace vpdnd::vpdn;

namespace {
struct CountingHandler : SessionHandler {
  std::uint64_t up = 0, down = 0;
  bool on_incoming_session(const IncomingSession&) override {
    ++up;
    return true;
  }
  void on_session_down(SessionRef, const SessionEnd&) override { ++down; }
  void on_data(SessionRef, ByteView) override {}
};
}  // namespace

int main(int argc, char** argv) {
  std::uint16_t port = 1701;
  std::string bind = "127.0.0.1", secret;
  std::uint32_t hello = 60;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--port")
      port = static_cast<std::uint16_t>(std::atoi(v.c_str()));
    else if (k == "--bind")
      bind = v;
    else if (k == "--secret")
      secret = v;
    else if (k == "--hello")
      hello = static_cast<std::uint32_t>(std::atoi(v.c_str()));
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  auto bind_ip = Ipv4::parse(bind);
  if (!bind_ip) {
    std::fprintf(stderr, "bad --bind %s\n", bind.c_str());
    return 2;
  }
  LogBus::instance().set_stderr(false);
  boost::asio::io_context io;
  AsioTimerService timers(io);
  OsRandom random;
  config::RunningConfig cfg;
  cfg.sysname = "vpdnd-lns";
  cfg.l2tp.enabled = true;
  config::L2tpGroup g;
  g.number = 1;
  g.allow_virtual_template = 1;
  g.tunnel_authentication = !secret.empty();
  g.tunnel_password.plain = secret;
  g.hello_interval_s = hello;
  cfg.l2tp_groups[1] = g;
  EngineOptions opt;
  opt.bind_address = *bind_ip;
  opt.port_override = port;
  L2tpEngine engine(cfg, timers, random, opt);
  CountingHandler handler;
  engine.set_handler(&handler);
  if (auto st = engine.open_udp(io); !st) {
    std::fprintf(stderr, "%s\n", st.error().c_str());
    return 1;
  }
  std::printf("l2tp_engine_lns pid=%d listening %s:%u\n", static_cast<int>(::getpid()),
              bind.c_str(), port);
  std::fflush(stdout);
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait(
      [&](const boost::system::error_code&, int) { engine.shutdown([&] { io.stop(); }); });
  io.run();
  auto st = engine.statistics();
  std::printf("tunnels_total=%llu sessions_total=%llu sessions_accepted=%llu retransmits=%llu\n",
              static_cast<unsigned long long>(st.tunnels_total),
              static_cast<unsigned long long>(st.sessions_total),
              static_cast<unsigned long long>(handler.up),
              static_cast<unsigned long long>(st.retransmits));
  return 0;
}
