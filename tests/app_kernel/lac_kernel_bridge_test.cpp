// LacKernelBridge (app/services/lac_kernel_bridge.hpp) driven with a fake LacBridgeOps:
// socketpairs stand in for the tunnel's connected UDP socket, so the set-up order, the
// fallbacks to the user-space switch, the counters and the teardown are checked on kernels
// without l2tp/pppoe modules. The sockaddr bytes of the real bridge are checked here too.
#include "app/services/lac_kernel_bridge.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <cerrno>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace vpdnd::app {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using vpdn::AccessId;
using vpdn::SessionRef;
using Log = std::vector<std::string>;

Ipv4 ip(const char* s) {
  return *Ipv4::parse(s);
}

bool zero(const aaa::Counters& c) {
  return c.input_octets == 0 && c.output_octets == 0 && c.input_packets == 0 &&
         c.output_packets == 0;
}

class FakeBridged final : public BridgedCall {
 public:
  FakeBridged(Log& log, std::string name, netlink::L2tpSessionStats& stats, bool& fail)
      : log_(log), name_(std::move(name)), stats_(stats), fail_(fail) {}
  ~FakeBridged() override { log_.push_back("unbridge " + name_); }
  Result<netlink::L2tpSessionStats, netlink::Error> stats() override {
    if (fail_) return unexpected(netlink::Error{"PPPIOCGL2TPSTATS: Bad file descriptor", EBADF});
    return stats_;
  }

 private:
  Log& log_;
  std::string name_;
  netlink::L2tpSessionStats& stats_;
  bool& fail_;
};

// The fake kernel's state and knobs, shared by the tunnel and the bridge fakes.
struct FakeKernel {
  explicit FakeKernel(Log& l) : log(l) {}
  ~FakeKernel() {
    for (auto [near, far] : tunnel_far) ::close(far);
  }
  Log& log;
  std::string fail_at;  // "socket", "create", or a netlink::BridgeStep's text
  int fail_code = EINVAL;
  std::map<int, int> tunnel_far;  // near -> far end of each tunnel socket
  netlink::L2tpSessionStats stats;
  bool fail_stats = false;
};

class FakeTunnels final : public KernelTunnelOps {
 public:
  explicit FakeTunnels(FakeKernel& k) : k_(k) {}
  Result<int, netlink::Error> open_tunnel_socket(netlink::Endpoint local,
                                                 netlink::Endpoint peer) override {
    k_.log.push_back("socket " + local.to_string() + "->" + peer.to_string());
    if (k_.fail_at == "socket") return unexpected(netlink::Error{"bind: in use", k_.fail_code});
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) != 0) return -1;
    k_.tunnel_far[sv[0]] = sv[1];
    return sv[0];
  }
  Status<netlink::Error> create_tunnel(const netlink::KernelTunnelParams& p) override {
    k_.log.push_back("create_tunnel " + std::to_string(p.tunnel_id) + " peer " +
                     std::to_string(p.peer_tunnel_id) +
                     (k_.tunnel_far.count(p.udp_fd) ? " fd ok" : " fd BAD"));
    if (k_.fail_at == "create") return unexpected(netlink::Error{"genetlink l2tp: not found", -12});
    return {};
  }
  Status<netlink::Error> delete_tunnel(std::uint32_t id) override {
    k_.log.push_back("delete_tunnel " + std::to_string(id));
    return {};
  }

 private:
  FakeKernel& k_;
};

class FakeBridges final : public LacBridgeOps {
 public:
  explicit FakeBridges(FakeKernel& k) : k_(k) {}
  Result<std::unique_ptr<BridgedCall>, netlink::BridgeError> open_bridge(
      const netlink::PppoeSessionParams& user, const netlink::PppoL2tpParams& l2tp,
      std::uint16_t catch_up) override {
    const std::string name = user.device + "/" + std::to_string(user.session_id);
    k_.log.push_back("bridge " + name + " mac " + std::to_string(user.peer[5]) + " to " +
                     std::to_string(l2tp.tunnel_id) + "/" + std::to_string(l2tp.session_id) +
                     " peer " + std::to_string(l2tp.peer_tunnel_id) + "/" +
                     std::to_string(l2tp.peer_session_id) + (l2tp.send_seq ? " seq" : "") +
                     " catch-up " + std::to_string(catch_up) +
                     (k_.tunnel_far.count(l2tp.udp_fd) ? " fd ok" : " fd BAD"));
    for (auto step : netlink::bridge_steps())
      if (k_.fail_at == netlink::describe(step))
        return unexpected(netlink::bridge_step_error(step, k_.fail_code));
    return std::unique_ptr<BridgedCall>(
        std::make_unique<FakeBridged>(k_.log, name, k_.stats, k_.fail_stats));
  }

 private:
  FakeKernel& k_;
};

struct LacBridgeTest : ::testing::Test {
  boost::asio::io_context io;
  Log log;
  FakeKernel kernel{log};
  FakeKernel* ops = &kernel;
  std::unique_ptr<LacKernelBridge> bridge;
  std::set<AccessId> gone_users;  // the PPPoE server no longer holds them
  bool sequencing = false;
  std::uint16_t next_ns = 0;
  std::vector<std::pair<netlink::Endpoint, Bytes>> datagrams;
  std::function<void()> on_datagram;

  void SetUp() override {
    LacKernelBridge::Hooks h;
    h.access = [this](AccessId id) -> std::optional<netlink::PppoeSessionParams> {
      if (gone_users.count(id)) return std::nullopt;
      return netlink::PppoeSessionParams{"eth" + std::to_string(id.port),
                                         id.session,
                                         {2, 0, 0, 0, 0, static_cast<std::uint8_t>(id.session)}};
    };
    h.session = [this](SessionRef c) -> std::optional<LacBridgeSessionInfo> {
      if (c.session == 0) return std::nullopt;
      return LacBridgeSessionInfo{static_cast<std::uint16_t>(c.session + 500), sequencing, next_ns};
    };
    h.tunnel_info = [](std::uint16_t t) -> std::optional<KernelTunnelInfo> {
      if (t == 99) return std::nullopt;
      return KernelTunnelInfo{
          {ip("192.0.2.1"), 1701}, {ip("192.0.2.2"), 1701}, static_cast<std::uint16_t>(t + 1000)};
    };
    h.on_datagram = [this](netlink::Endpoint from, ByteView d) {
      datagrams.emplace_back(from, Bytes(d.begin(), d.end()));
      if (on_datagram) on_datagram();
    };
    bridge = std::make_unique<LacKernelBridge>(io, std::make_unique<FakeTunnels>(kernel),
                                               std::make_unique<FakeBridges>(kernel), std::move(h));
  }
  Log take() {
    Log out;
    out.swap(log);
    return out;
  }
};

TEST_F(LacBridgeTest, FirstCallCreatesTheTunnelSecondReusesItLastDeletesIt) {
  EXPECT_TRUE(bridge->bridge({1, 7}, {10, 1}));
  EXPECT_THAT(take(), ElementsAre("socket 192.0.2.1:1701->192.0.2.2:1701",
                                  "create_tunnel 10 peer 1010 fd ok",
                                  "bridge eth1/7 mac 7 to 10/1 peer 1010/501 catch-up 0 fd ok"));
  EXPECT_TRUE(bridge->bridge({1, 8}, {10, 2}));
  EXPECT_THAT(take(), ElementsAre("bridge eth1/8 mac 8 to 10/2 peer 1010/502 catch-up 0 fd ok"));
  EXPECT_TRUE(bridge->bridged({1, 7}));
  EXPECT_EQ(bridge->call_count(), 2u);
  EXPECT_EQ(bridge->tunnel_count(), 1u);
  EXPECT_FALSE(bridge->bridge({1, 7}, {10, 1}));  // already
  EXPECT_THAT(bridge->summary(), HasSubstr("2 calls bridged in the kernel over 1 tunnel"));
  bridge->unbridge({1, 7});
  EXPECT_THAT(take(), ElementsAre("unbridge eth1/7"));
  bridge->unbridge({1, 8});
  EXPECT_THAT(take(), ElementsAre("unbridge eth1/8", "delete_tunnel 10"));
  EXPECT_EQ(bridge->tunnel_count(), 0u);
  EXPECT_EQ(bridge->stats().tunnels_created, 1u);
  EXPECT_EQ(bridge->stats().tunnels_deleted, 1u);
  EXPECT_TRUE(zero(bridge->unbridge({1, 8})));  // twice: nothing
  EXPECT_TRUE(take().empty());
}

struct Failure {
  std::string at;
  std::string counted_as;
  bool tunnel_made;
};
class LacBridgeFailure : public LacBridgeTest, public ::testing::WithParamInterface<Failure> {};

TEST_P(LacBridgeFailure, EachStepLeavesTheCallInUserSpaceUndoneAndCounted) {
  ops->fail_at = GetParam().at;
  EXPECT_FALSE(bridge->bridge({1, 7}, {10, 1}));
  EXPECT_FALSE(bridge->bridged({1, 7}));
  EXPECT_EQ(bridge->tunnel_count(), 0u);
  EXPECT_EQ(bridge->fallbacks().at(GetParam().counted_as), 1u);
  EXPECT_THAT(bridge->summary(), HasSubstr("kept in user space: " + GetParam().counted_as + " 1"));
  Log l = take();
  // A tunnel made for this call only goes again.
  EXPECT_EQ(std::count(l.begin(), l.end(), "delete_tunnel 10"), GetParam().tunnel_made ? 1 : 0);
  // The next call, once the step works, is bridged.
  ops->fail_at.clear();
  EXPECT_TRUE(bridge->bridge({1, 7}, {10, 1}));
}
INSTANTIATE_TEST_SUITE_P(
    Steps, LacBridgeFailure,
    ::testing::Values(Failure{"socket", "tunnel UDP socket", false},
                      Failure{"create", "create kernel tunnel", false},
                      Failure{"socket(AF_PPPOX, SOCK_STREAM, PX_PROTO_OE)",
                              "socket(AF_PPPOX, SOCK_STREAM, PX_PROTO_OE)", true},
                      Failure{"ioctl PPPIOCBRIDGECHAN", "ioctl PPPIOCBRIDGECHAN", true}));

TEST_F(LacBridgeTest, UnknownUserSessionOrTunnelAndDescriptorLimitStayInUserSpace) {
  gone_users.insert({1, 7});
  EXPECT_FALSE(bridge->bridge({1, 7}, {10, 1}));
  EXPECT_FALSE(bridge->bridge({1, 8}, {10, 0}));  // the engine does not know the session
  EXPECT_FALSE(bridge->bridge({1, 9}, {99, 1}));  // nor the tunnel
  EXPECT_EQ(bridge->fallbacks().at("session info"), 3u);
  ops->fail_at = "ioctl PPPIOCATTCHAN on /dev/ppp";
  ops->fail_code = EMFILE;
  EXPECT_FALSE(bridge->bridge({1, 10}, {10, 1}));
  EXPECT_EQ(bridge->fallbacks().at("descriptor limit"), 1u);
  EXPECT_EQ(bridge->tunnel_count(), 0u);
}

// With data sequencing the kernel sends Ns from 0: the bridge asks for as many catch-up
// frames as the engine numbered; past kMaxCatchUp the call stays in user space.
TEST_F(LacBridgeTest, SequencedCallsCatchUpTheEnginesNs) {
  sequencing = true;
  next_ns = 4;
  EXPECT_TRUE(bridge->bridge({1, 7}, {10, 1}));
  EXPECT_EQ(take().back(), "bridge eth1/7 mac 7 to 10/1 peer 1010/501 seq catch-up 4 fd ok");
  next_ns = LacKernelBridge::kMaxCatchUp + 1;
  EXPECT_FALSE(bridge->bridge({1, 8}, {10, 2}));
  EXPECT_EQ(bridge->fallbacks().at("data sequencing catch-up too long"), 1u);
  // Without sequencing the engine's Ns does not matter.
  sequencing = false;
  EXPECT_TRUE(bridge->bridge({1, 8}, {10, 2}));
  EXPECT_EQ(take().back(), "bridge eth1/8 mac 8 to 10/2 peer 1010/502 catch-up 0 fd ok");
}

// The kernel session's counters as LacCalls counts frames: protocol + information.
TEST(BridgeCounters, TakeOffTheL2tpHeaderFf03AndTheCatchUpFrames) {
  netlink::L2tpSessionStats s;
  // To the LNS: 10 user frames of 100 octets (+6 header +2 FF 03).
  s.tx_packets = 10, s.tx_bytes = 10 * 108;
  // From the LNS: 4 frames of 50.
  s.rx_packets = 4, s.rx_bytes = 4 * 58;
  aaa::Counters c = bridge_counters(s, false, 0);
  EXPECT_EQ(c.input_packets, 10u);
  EXPECT_EQ(c.input_octets, 1000u);
  EXPECT_EQ(c.output_packets, 4u);
  EXPECT_EQ(c.output_octets, 200u);
  // Sequenced: 10-octet headers, and 3 catch-up Discard-Requests (10 octets) came first.
  s.tx_packets = 3 + 10, s.tx_bytes = 3 * (12 + 10) + 10 * 112;
  s.rx_packets = 4, s.rx_bytes = 4 * 62;
  c = bridge_counters(s, true, 3);
  EXPECT_EQ(c.input_packets, 10u);
  EXPECT_EQ(c.input_octets, 1000u);
  EXPECT_EQ(c.output_octets, 200u);
  // Nothing yet: zero, not an underflow.
  c = bridge_counters(netlink::L2tpSessionStats{}, true, 3);
  EXPECT_TRUE(zero(c));
}

TEST_F(LacBridgeTest, CountersReadTheKernelAndKeepTheLastGoodReading) {
  ASSERT_TRUE(bridge->bridge({1, 7}, {10, 1}));
  ops->stats.tx_packets = 2, ops->stats.tx_bytes = 2 * 108;
  EXPECT_EQ(bridge->counters({1, 7}).input_octets, 200u);
  ops->fail_stats = true;
  EXPECT_EQ(bridge->counters({1, 7}).input_octets, 200u);
  EXPECT_EQ(bridge->stats().stats_errors, 1u);
  ops->fail_stats = false;
  ops->stats.tx_packets = 3, ops->stats.tx_bytes = 3 * 108;
  EXPECT_EQ(bridge->unbridge({1, 7}).input_packets, 3u);  // the final reading
  EXPECT_TRUE(zero(bridge->counters({1, 7})));
}

// The L2TP displays list sessions, not users: the same reading by the call's L2TP session.
TEST_F(LacBridgeTest, CountersAreFoundByTheCallsL2tpSessionToo) {
  ASSERT_TRUE(bridge->bridge({1, 7}, {10, 1}));
  ops->stats.tx_packets = 2, ops->stats.tx_bytes = 2 * 108;
  EXPECT_EQ(bridge->session_counters({10, 1}).input_octets, 200u);
  EXPECT_EQ(bridge->session_counters({10, 1}).input_packets, 2u);
  EXPECT_TRUE(zero(bridge->session_counters({10, 2})));  // not bridged
  (void)bridge->unbridge({1, 7});
  EXPECT_TRUE(zero(bridge->session_counters({10, 1})));
}

void run_until(boost::asio::io_context& io, const std::function<bool()>& done) {
  for (int i = 0; i < 200 && !done(); ++i) {
    io.restart();
    io.run_for(std::chrono::milliseconds(5));
  }
}

TEST_F(LacBridgeTest, DatagramsOnTheTunnelSocketReachTheEngineEvenOneThatEndsTheTunnel) {
  ASSERT_TRUE(bridge->bridge({1, 7}, {10, 1}));
  ASSERT_EQ(ops->tunnel_far.size(), 1u);
  const int far = ops->tunnel_far.begin()->second;
  const Bytes hello{0xc8, 0x02, 0x00, 0x0c};
  ASSERT_EQ(::send(far, hello.data(), hello.size(), 0), 4);
  run_until(io, [&] { return !datagrams.empty(); });
  ASSERT_EQ(datagrams.size(), 1u);
  EXPECT_EQ(datagrams[0].first.to_string(), "192.0.2.2:1701");
  EXPECT_EQ(datagrams[0].second, hello);
  // A StopCCN from the LNS ends the call inside the handler: the tunnel goes with it and
  // the second queued datagram is not read from a closed socket.
  on_datagram = [this] { bridge->unbridge({1, 7}); };
  ASSERT_EQ(::send(far, hello.data(), hello.size(), 0), 4);
  ASSERT_EQ(::send(far, hello.data(), hello.size(), 0), 4);
  run_until(io, [&] { return datagrams.size() >= 2; });
  io.restart();
  io.run_for(std::chrono::milliseconds(20));
  EXPECT_EQ(datagrams.size(), 2u);
  EXPECT_EQ(bridge->tunnel_count(), 0u);
  EXPECT_EQ(take().back(), "delete_tunnel 10");
}

TEST_F(LacBridgeTest, StopTakesEveryBridgeAndTunnelDownAndRefusesNewOnes) {
  ASSERT_TRUE(bridge->bridge({1, 7}, {10, 1}));
  ASSERT_TRUE(bridge->bridge({1, 8}, {11, 1}));
  take();
  bridge->stop();
  Log l = take();
  EXPECT_EQ(std::count(l.begin(), l.end(), "unbridge eth1/7"), 1);
  EXPECT_EQ(std::count(l.begin(), l.end(), "unbridge eth1/8"), 1);
  EXPECT_EQ(std::count(l.begin(), l.end(), "delete_tunnel 10"), 1);
  EXPECT_EQ(std::count(l.begin(), l.end(), "delete_tunnel 11"), 1);
  EXPECT_EQ(bridge->call_count(), 0u);
  EXPECT_EQ(bridge->tunnel_count(), 0u);
  EXPECT_FALSE(bridge->bridge({1, 9}, {10, 2}));
  bridge->stop();  // idempotent
  EXPECT_TRUE(take().empty());
}

// struct sockaddr_pppox, packed: family (2), protocol (4), sid (2, network order), the
// peer's MAC (6), device (16).
TEST(PppoeSockaddr, CarriesTheSessionMacAndDevice) {
  netlink::PppoeSessionParams p{"eth1", 0x1234, {2, 0, 0, 0, 0, 9}};
  Bytes b = netlink::build_pppoe_sockaddr(p);
  ASSERT_EQ(b.size(), 30u);
  EXPECT_EQ(b[0] | (b[1] << 8), AF_PPPOX);
  EXPECT_EQ(Bytes(b.begin() + 2, b.begin() + 6), (Bytes{0, 0, 0, 0}));  // PX_PROTO_OE
  EXPECT_EQ(Bytes(b.begin() + 6, b.begin() + 8), (Bytes{0x12, 0x34}));
  EXPECT_EQ(Bytes(b.begin() + 8, b.begin() + 14), (Bytes{2, 0, 0, 0, 0, 9}));
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(b.data() + 14)), "eth1");
  EXPECT_TRUE(netlink::build_pppoe_sockaddr({"eth1", 0, {}}).empty());
  EXPECT_TRUE(netlink::build_pppoe_sockaddr({"", 1, {}}).empty());
  EXPECT_TRUE(netlink::build_pppoe_sockaddr({"a-very-long-name", 1, {}}).empty());
}

TEST(BridgeSteps, EveryStepHasItsTextAndErrorsNameIt) {
  EXPECT_EQ(netlink::bridge_steps().size(), 11u);
  for (auto step : netlink::bridge_steps()) {
    EXPECT_NE(netlink::describe(step), "unknown bridge step");
    auto e = netlink::bridge_step_error(step, EPERM);
    EXPECT_EQ(e.step, step);
    EXPECT_EQ(e.error.code, EPERM);
  }
  EXPECT_THAT(netlink::bridge_step_error(netlink::BridgeStep::bridge, ENOTTY).error.message,
              HasSubstr("Linux 5.11"));
  EXPECT_THAT(
      netlink::bridge_step_error(netlink::BridgeStep::open_pppoe, EAFNOSUPPORT).error.message,
      HasSubstr("no pppoe module"));
}

}  // namespace
}  // namespace vpdnd::app
