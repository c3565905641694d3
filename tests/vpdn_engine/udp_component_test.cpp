// Component: a LAC engine and an LNS engine in one process over loopback UDP on a real
// io_context with the production timer service and sockets.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>

#include "harness.hpp"
#include "vpdn/engine.hpp"

namespace vpdnd::vpdn::test {
namespace {

using namespace std::chrono_literals;

// Ports from this suite's assigned range (21000-21999); each test its own pair so ctest -j
// may run them at once.
std::uint16_t base_port() {
  const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  if (name.rfind("Hundred", 0) == 0) return 21011;
  if (name.rfind("LacClears", 0) == 0) return 21013;
  return 21015;
}

struct Udp : ::testing::Test {
  boost::asio::io_context io;
  AsioTimerService timers{io};
  config::RunningConfig lac_cfg, lns_cfg;
  SeededRandom lac_rand{11}, lns_rand{12};
  RecordingHandler lac_h, lns_h;
  std::unique_ptr<L2tpEngine> lac, lns;
  CallLog calls;
  std::uint16_t kLacPort = base_port();
  std::uint16_t kLnsPort = static_cast<std::uint16_t>(kLacPort + 1);

  void SetUp() override {
    lac_cfg.l2tp.enabled = lns_cfg.l2tp.enabled = true;
    lac_cfg.l2tp_groups[1] = lac_group(1, {ip("127.0.0.1")}, "LAC", "s3cret");
    lns_cfg.l2tp_groups[1] = lns_group(1, 1, "LAC", "LNS", "s3cret");
    EngineOptions lo, no;
    lo.bind_address = no.bind_address = ip("127.0.0.1");
    lo.port_override = kLacPort;
    no.port_override = kLnsPort;
    lo.transport.ack_delay = no.transport.ack_delay = 20ms;
    lo.stopccn_hold = no.stopccn_hold = 300ms;
    lac = std::make_unique<L2tpEngine>(lac_cfg, timers, lac_rand, lo);
    lns = std::make_unique<L2tpEngine>(lns_cfg, timers, lns_rand, no);
    lac->set_handler(&lac_h);
    lns->set_handler(&lns_h);
    auto a = lac->open_udp(io);
    ASSERT_TRUE(a.has_value()) << a.error();
    auto b = lns->open_udp(io);
    ASSERT_TRUE(b.has_value()) << b.error();
    EXPECT_EQ(lns->local_endpoint(), (Endpoint{ip("127.0.0.1"), kLnsPort}));
  }
  template <class Pred>
  bool run_until(Pred done, Duration limit = 10s) {
    auto deadline = SteadyClock::now() + limit;
    while (!done() && SteadyClock::now() < deadline) io.run_for(5ms);
    return done();
  }
  LacCallRequest request(int i) {
    LacCallRequest r;
    r.group = 1;
    r.lns_port = kLnsPort;
    r.user = "user" + std::to_string(i) + "@corp.com";
    r.calling_number = std::to_string(1000 + i);
    ppp::ProxyData p;
    p.auth_type = ppp::ProxyAuthType::pap;
    p.auth_name = r.user;
    p.auth_response = {'p', 'w'};
    r.proxy = p;
    return r;
  }
};

TEST_F(Udp, HundredSessionsOverOneTunnelThenTeardownFromEachSide) {
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(lac->place_call(request(i), calls.callbacks()));
  ASSERT_TRUE(run_until([&] { return calls.up.size() == 100 && lns_h.incoming.size() == 100; }));
  EXPECT_TRUE(calls.down.empty());
  ASSERT_EQ(lac->tunnel_count(), 1u);
  ASSERT_EQ(lns->tunnel_count(), 1u);
  EXPECT_EQ(lns->session_count(), 100u);
  auto tunnels = lns->snapshot_tunnels();
  EXPECT_EQ(tunnels[0].sessions, 100u);
  EXPECT_EQ(tunnels[0].state, TunnelState::established);
  EXPECT_TRUE(tunnels[0].authenticated);
  // Session ids are distinct and non-zero.
  std::set<std::uint16_t> ids;
  for (auto& s : lns->snapshot_sessions()) ids.insert(s.local_id);
  EXPECT_EQ(ids.size(), 100u);
  EXPECT_EQ(ids.count(0), 0u);

  // Data both ways on every session.
  const Bytes frame{0xc0, 0x21, 0x09, 0x01, 0x00, 0x08, 0xde, 0xad, 0xbe, 0xef};
  for (auto& r : calls.up) EXPECT_TRUE(lac->send_data(r, frame));
  for (auto& in : lns_h.incoming) EXPECT_TRUE(lns->send_data(in.ref, frame));
  ASSERT_TRUE(run_until([&] { return lns_h.data.size() == 100 && lac_h.data.size() == 100; }));

  // The LAC hangs up half of the calls: CDNs reach the LNS handler.
  for (int i = 0; i < 50; ++i) EXPECT_TRUE(lac->close_session(calls.up[i]));
  ASSERT_TRUE(run_until([&] { return lns_h.down.size() == 50; }));
  EXPECT_EQ(lns->session_count(), 50u);
  // The LNS clears the tunnel: the other 50 go down at the LAC.
  EXPECT_EQ(lns->reset_tunnel_id(tunnels[0].local_id), "");
  ASSERT_TRUE(run_until([&] { return calls.down.size() == 50; }));
  for (auto& d : calls.down) EXPECT_TRUE(d.stopccn && d.by_peer);
  ASSERT_TRUE(run_until([&] { return lac->tunnel_count() == 0 && lns->tunnel_count() == 0; }));
  auto st = lns->statistics();
  EXPECT_EQ(st.messages_in["ICRQ"], 100u);
  EXPECT_EQ(st.messages_in["CDN"], 50u);
  EXPECT_EQ(st.messages_out["StopCCN"] + st.messages_out["STOPCCN"], 1u);
  EXPECT_TRUE(st.drops.empty()) << st.drops.begin()->first;
}

// Datagrams the kernel could not queue to the engine's socket (its receive buffer full
// while the protocol thread did not read) are counted in the statistics, and `reset l2tp
// statistics` starts that count again from zero.
TEST(UdpDrops, KernelReceiveBufferOverflowIsCountedAndReset) {
  boost::asio::io_context io;
  AsioTimerService timers{io};
  config::RunningConfig cfg;
  cfg.l2tp.enabled = true;
  SeededRandom rand{13};
  EngineOptions o;
  o.bind_address = ip("127.0.0.1");
  o.port_override = 21017;
  o.udp_receive_buffer = 8192;  // the kernel's minimum is a few KiB
  L2tpEngine lns(cfg, timers, rand, o);
  ASSERT_TRUE(lns.open_udp(io).has_value());
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(21017);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::uint8_t junk[64] = {};
  // The io_context does not run: nothing reads, so most of these overflow the buffer.
  for (int i = 0; i < 200; ++i)
    ::sendto(fd, junk, sizeof junk, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  ::close(fd);
  auto st = lns.statistics();
  ASSERT_EQ(st.drops.count("receive buffer full (kernel)"), 1u);
  const auto dropped = st.drops["receive buffer full (kernel)"];
  EXPECT_GT(dropped, 100u);
  EXPECT_LT(dropped, 200u);
  lns.reset_statistics();
  EXPECT_EQ(lns.statistics().drops.count("receive buffer full (kernel)"), 0u);
}

TEST_F(Udp, LacClearsTheTunnel) {
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(lac->place_call(request(i), calls.callbacks()));
  ASSERT_TRUE(run_until([&] { return lns_h.incoming.size() == 10; }));
  EXPECT_TRUE(lac->close_tunnel(lac->snapshot_tunnels()[0].local_id));
  ASSERT_TRUE(run_until([&] { return lns_h.down.size() == 10; }));
  for (auto& [r, e] : lns_h.down) EXPECT_TRUE(e.stopccn && e.by_peer);
  EXPECT_EQ(calls.down.size(), 10u);  // our own StopCCN reports our calls down too
  ASSERT_TRUE(run_until([&] { return lac->tunnel_count() == 0 && lns->tunnel_count() == 0; }));
}

TEST_F(Udp, ShutdownReturnsOnceStopCcnIsAcked) {
  ASSERT_TRUE(lac->place_call(request(0), calls.callbacks()));
  ASSERT_TRUE(run_until([&] { return calls.up.size() == 1; }));
  bool done = false;
  auto t0 = SteadyClock::now();
  lns->shutdown([&] { done = true; });
  ASSERT_TRUE(run_until([&] { return done; }));
  EXPECT_LT(SteadyClock::now() - t0, 2s);
  ASSERT_TRUE(run_until([&] { return calls.down.size() == 1; }));
  EXPECT_EQ(calls.down[0].result.result, stopccn_result::shutting_down);
}

// This process's UDP socket bound to `port`, found among its descriptors; its SO_RCVBUF
// (the kernel doubles what was asked), or -1.
int receive_buffer_of_port(std::uint16_t port) {
  for (int fd = 3; fd < 1024; ++fd) {
    int type = 0;
    socklen_t len = sizeof type;
    if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_DGRAM) continue;
    sockaddr_in sa{};
    len = sizeof sa;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0 ||
        sa.sin_family != AF_INET || ntohs(sa.sin_port) != port)
      continue;
    int bytes = -1;
    len = sizeof bytes;
    ::getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, &len);
    return bytes;
  }
  return -1;
}

// `l2tp receive-buffer` sizes the socket when it opens and, changed, the open socket at
// once (no re-bind: the tunnels on it stay).
TEST(UdpReceiveBuffer, ConfiguredSizeAppliesAtOpenAndOnChange) {
  boost::asio::io_context io;
  AsioTimerService timers{io};
  config::RunningConfig cfg;
  cfg.l2tp.enabled = true;
  cfg.l2tp.listen_port = 21019;
  cfg.l2tp.receive_buffer_kib = 64;
  SeededRandom rand{13};
  EngineOptions o;
  o.bind_address = ip("127.0.0.1");
  L2tpEngine lns(cfg, timers, rand, o);
  ASSERT_TRUE(lns.open_udp(io).has_value());
  EXPECT_EQ(receive_buffer_of_port(21019), 2 * 64 * 1024);
  cfg.l2tp.receive_buffer_kib = 96;
  lns.on_config_change({config::ConfigSection::l2tp_global, "", false});
  EXPECT_EQ(receive_buffer_of_port(21019), 2 * 96 * 1024);
  EXPECT_EQ(lns.local_endpoint().port, 21019);
}

}  // namespace
}  // namespace vpdnd::vpdn::test
