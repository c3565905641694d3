// The LNS control plane against peers that never finish a tunnel: tunnels in setup expire,
// are capped in total and per source, do not count against `l2tp tunnel-limit`, and a
// source that never proves it receives our packets gets at most twice the bytes it sent.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "common/log.hpp"
#include "harness.hpp"
#include "vpdn/engine.hpp"

namespace vpdnd::vpdn::test {
namespace {

using namespace std::chrono_literals;

const Endpoint kAttacker{ip("127.0.0.66"), 1701};

Endpoint source(std::uint32_t i) {
  return Endpoint{Ipv4{static_cast<std::uint32_t>(0x0A000000u + i)}, 1701};  // 10.x.y.z
}

struct Guard : ::testing::Test {
  World w;
  std::unique_ptr<Node> lns;
  SeededRandom random{99};
  std::vector<LogRecord> logs;
  LogBus::SinkId sink = 0;

  void start(EngineOptions opt = {}, bool auth = false, const std::string& host = "raw") {
    lns = std::make_unique<Node>(w.net, w.timers, kLns, 5, opt);
    lns->config.l2tp_groups[1] = lns_group(1, 1, "", "LNS", auth ? "secret" : "");
    lns->config.l2tp_groups[1].tunnel_authentication = auth;
    host_ = host;
  }
  void SetUp() override {
    sink = LogBus::instance().subscribe([this](const LogRecord& r) {
      if (!r.is_debug) logs.push_back(r);
    });
  }
  void TearDown() override { LogBus::instance().unsubscribe(sink); }

  Bytes sccrq(std::uint16_t assigned, std::uint16_t nr = 0) {
    auto m = ControlMessage::make(MessageType::sccrq, 0);
    m.add_protocol_version()
        .add_string(AvpType::host_name, host_)
        .add_u32(AvpType::framing_capabilities, 3)
        .add_u16(AvpType::assigned_tunnel_id, assigned);
    m.ns = 0;
    m.nr = nr;
    auto b = encode_control(m, nullptr, random);
    EXPECT_TRUE(b.has_value());
    return *b;
  }
  // What the LNS sent to `to`, and the SCCRPs among it.
  std::uint64_t bytes_to(const Endpoint& to) const {
    std::uint64_t n = 0;
    for (auto& p : w.net.wire)
      if (p.from == kLns && p.to.address == to.address) n += p.data.size();
    return n;
  }
  std::vector<ControlMessage> sccrps_to(const Endpoint& to) const {
    std::vector<ControlMessage> out;
    for (auto& p : w.net.wire)
      if (p.from == kLns && p.to == to && p.is(MessageType::sccrp)) out.push_back(*p.decode());
    return out;
  }
  std::size_t count_to(const Endpoint& to, MessageType t) const {
    std::size_t n = 0;
    for (auto& p : w.net.wire)
      if (p.from == kLns && p.to == to && p.is(t)) ++n;
    return n;
  }
  std::size_t warnings_containing(const std::string& text) const {
    return static_cast<std::size_t>(
        std::count_if(logs.begin(), logs.end(), [&](const LogRecord& r) {
          return r.level == LogLevel::warning && r.text.find(text) != std::string::npos;
        }));
  }
  // The half-open attack: SCCRQ, then a ZLB acknowledging the SCCRP, never SCCCN.
  std::uint16_t half_open(const Endpoint& from, std::uint16_t assigned) {
    lns->engine->on_datagram(from, sccrq(assigned));
    w.net.pump();
    auto rp = sccrps_to(from);
    for (auto it = rp.rbegin(); it != rp.rend(); ++it) {
      if (it->tunnel_id != assigned) continue;
      const std::uint16_t tid = *it->u16(AvpType::assigned_tunnel_id);
      auto zlb = ControlMessage::make_zlb(tid);
      zlb.ns = 1;
      zlb.nr = 1;
      auto b = encode_control(zlb, nullptr, random);
      lns->engine->on_datagram(from, *b);
      w.net.pump();
      return tid;
    }
    return 0;
  }
  std::string host_ = "raw";
};

TEST_F(Guard, HalfOpenTunnelIsRemovedQuietlyAfterTheSetupTimeout) {
  start();
  const std::uint16_t tid = half_open(kAttacker, 100);
  ASSERT_NE(tid, 0);
  EXPECT_EQ(lns->engine->tunnel_count(), 1u);
  EXPECT_EQ(lns->engine->statistics().tunnels_in_setup, 1u);
  w.run(39s, 100ms);
  EXPECT_EQ(lns->engine->tunnel_count(), 1u);
  w.run(2s, 100ms);
  EXPECT_EQ(lns->engine->tunnel_count(), 0u);
  auto st = lns->engine->statistics();
  EXPECT_EQ(st.tunnels_in_setup, 0u);
  EXPECT_EQ(st.setup_expired, 1u);
  EXPECT_EQ(st.setup_timeout_s, 40u);
  EXPECT_EQ(count_to(kAttacker, MessageType::stopccn), 0u);  // quietly
  // Acknowledged at once, so never retransmitted.
  EXPECT_EQ(sccrps_to(kAttacker).size(), 1u);
}

TEST_F(Guard, TunnelsInSetupAreCappedInTotalAndCountedAndLogged) {
  EngineOptions opt;
  opt.max_setup_tunnels = 8;
  start(opt);
  for (std::uint32_t i = 1; i <= 20; ++i) half_open(source(i), 100);
  EXPECT_EQ(lns->engine->tunnel_count(), 8u);
  auto st = lns->engine->statistics();
  EXPECT_EQ(st.tunnels_in_setup, 8u);
  EXPECT_EQ(st.setup_limit, 8u);
  EXPECT_EQ(st.sccrq_over_limit, 12u);
  EXPECT_EQ(st.drops["SCCRQ over tunnels-in-setup limit"], 12u);
  // Rate-limited: one warning for the burst.
  EXPECT_EQ(warnings_containing("event=sccrq_dropped"), 1u);
  // Once they expire, new SCCRQs are taken again.
  w.run(41s, 500ms);
  EXPECT_EQ(lns->engine->tunnel_count(), 0u);
  half_open(source(21), 100);
  EXPECT_EQ(lns->engine->tunnel_count(), 1u);
  EXPECT_EQ(warnings_containing("event=sccrq_dropped"), 1u);
  half_open(source(22), 100);
  EXPECT_EQ(lns->engine->statistics().tunnels_in_setup, 2u);
}

TEST_F(Guard, TunnelsInSetupAreCappedPerSource) {
  EngineOptions opt;
  opt.max_setup_tunnels_per_source = 4;
  start(opt);
  for (std::uint16_t i = 1; i <= 10; ++i) half_open(kAttacker, i);
  EXPECT_EQ(lns->engine->tunnel_count(), 4u);
  EXPECT_EQ(lns->engine->statistics().drops["SCCRQ over per-source tunnels-in-setup limit"], 6u);
  // Another source is not affected.
  half_open(source(1), 1);
  EXPECT_EQ(lns->engine->tunnel_count(), 5u);
}

TEST_F(Guard, TunnelIdsCannotBeExhaustedWithoutTheSecret) {
  start();  // defaults: 1024 in setup, 32 per source
  // More half-open attempts than there are tunnel ids, from 2,100 sources.
  for (std::uint32_t i = 0; i < 66000; ++i)
    lns->engine->on_datagram(source(i % 2100), sccrq(static_cast<std::uint16_t>(1 + i / 2100)));
  w.net.pump();
  EXPECT_LE(lns->engine->tunnel_count(), 1024u);
  EXPECT_EQ(lns->engine->statistics().tunnels_in_setup, lns->engine->tunnel_count());
  EXPECT_GT(lns->engine->statistics().sccrq_over_limit, 60000u);
  // They all expire; the ids are free again.
  w.run(41s, 1s);
  EXPECT_EQ(lns->engine->tunnel_count(), 0u);
}

// A legitimate LAC is served while another source floods half-open tunnels, also with
// `l2tp tunnel-limit` configured: tunnels in setup do not count against it.
TEST_F(Guard, LegitimateTunnelComesUpDuringAHalfOpenFlood) {
  start();
  lns->config.l2tp.tunnel_limit = 10;
  lns->config.l2tp_groups[2] = lns_group(2, 1, "LAC", "LNS", "aabbcc");
  Node lac{w.net, w.timers, kLac, 1};
  lac.config.l2tp_groups[1] = lac_group(1, {kLns.address}, "LAC", "aabbcc");
  // The flood: one source, new Assigned Tunnel IDs, acking each SCCRP; plus many sources.
  for (std::uint16_t i = 1; i <= 200; ++i) half_open(kAttacker, i);
  for (std::uint32_t i = 1; i <= 50; ++i) half_open(source(i), 7);
  CallLog calls;
  LacCallRequest r;
  r.group = 1;
  r.user = "alice@corp.com";
  ASSERT_TRUE(lac.engine->place_call(r, calls.callbacks()).has_value());
  for (std::uint16_t i = 201; i <= 260; ++i) {  // the flood goes on meanwhile
    half_open(kAttacker, i);
    w.run(20ms, 10ms);
  }
  w.settle();
  ASSERT_EQ(calls.up.size(), 1u);
  EXPECT_TRUE(calls.down.empty());
  ASSERT_EQ(lns->handler.incoming.size(), 1u);
  EXPECT_EQ(lns->engine->statistics().tunnels_up, 1u);
  EXPECT_GT(lns->engine->statistics().drops["SCCRQ over per-source tunnels-in-setup limit"], 0u);
}

// A source that never answers (a spoofed address): each SCCRQ sent once (the reflection
// attack: every one a new tunnel), or retransmitted as RFC 2661 does (1, 2, 4, 8, 8 s).
// The LNS sends it at most twice the bytes it received.
struct Reflection : Guard {
  double ratio(EngineOptions opt, bool auth, const std::string& host, std::uint16_t tunnels,
               bool retransmit = true) {
    start(opt, auth, host);
    std::uint64_t in = 0;
    std::vector<Duration> schedule{0s, 1s, 2s, 4s, 8s, 8s};
    if (!retransmit) schedule.resize(1);
    for (Duration d : schedule) {
      w.run(d, 500ms);
      for (std::uint16_t i = 1; i <= tunnels; ++i) {
        Bytes b = sccrq(i);
        in += b.size();
        lns->engine->on_datagram(kAttacker, b);
      }
      w.net.pump();
    }
    w.run(60s, 500ms);
    const std::uint64_t out = bytes_to(kAttacker);
    auto st = lns->engine->statistics();
    EXPECT_EQ(st.unconfirmed_bytes_in, in);
    EXPECT_EQ(st.unconfirmed_bytes_out, out);
    EXPECT_GT(out, 0u);
    EXPECT_EQ(lns->engine->tunnel_count(), 0u);
    return static_cast<double>(out) / static_cast<double>(in);
  }
};

TEST_F(Reflection, NeverAnsweringSourceGetsAtMostTwiceItsBytes) {
  EngineOptions opt;
  opt.max_setup_tunnels = 100000;  // the byte budget alone, not the caps
  opt.max_setup_tunnels_per_source = 100000;
  const double r = ratio(opt, false, "raw", 1000);
  EXPECT_LE(r, 2.0);
  EXPECT_GT(r, 1.0);  // the SCCRPs do go out (answers to its retransmissions)
  std::printf("amplification (budget only): %.3f\n", r);
}

TEST_F(Reflection, SccrqsSentOnceDrawOneSccrpEachAtMost) {
  EngineOptions opt;
  opt.max_setup_tunnels = 100000;
  opt.max_setup_tunnels_per_source = 100000;
  const double r = ratio(opt, false, "raw", 10000, /*retransmit=*/false);
  EXPECT_LE(r, 2.0);
  EXPECT_EQ(lns->engine->statistics().retransmits, 0u);
  std::printf("amplification (SCCRQs sent once): %.3f\n", r);
}

TEST_F(Reflection, MinimalSccrqsAndLargeSccrpsStayWithinTwice) {
  EngineOptions opt;
  opt.max_setup_tunnels = 100000;
  opt.max_setup_tunnels_per_source = 100000;
  // One-byte host name; our SCCRP carries a Challenge: larger than twice the SCCRQ.
  const double r = ratio(opt, true, "x", 1000);
  EXPECT_LE(r, 2.0);
  std::printf("amplification (minimal SCCRQ, challenge): %.3f\n", r);
}

TEST_F(Reflection, DefaultsUnderFlood) {
  const double r = ratio({}, false, "raw", 10000, /*retransmit=*/false);
  EXPECT_LE(r, 2.0);
  std::printf("amplification (defaults): %.3f\n", r);
}

// A LAC whose first SCCRQ does not pay for the SCCRP gets it on its retransmission.
TEST_F(Guard, SmallSccrqGetsTheSccrpOnItsRetransmission) {
  start({}, true, "x");
  lns->config.l2tp_groups[1].tunnel_password.plain = "secret";
  lns->engine->on_datagram(kAttacker, sccrq(5));
  w.net.pump();
  const auto first = sccrps_to(kAttacker).size();
  lns->engine->on_datagram(kAttacker, sccrq(5));
  w.net.pump();
  EXPECT_EQ(sccrps_to(kAttacker).size(), first + 1);
  EXPECT_EQ(lns->engine->tunnel_count(), 1u);
}

// The lossy wire: 20 % of all datagrams lost in both directions; every LAC's tunnel and
// call still come up (the SCCRP to an unproven peer is repeated on its SCCRQ retransmissions).
TEST(GuardLoss, TwentyPercentLossStillEstablishesEveryTunnel) {
  World w;
  Node lns{w.net, w.timers, kLns, 5};
  lns.config.l2tp_groups[1] = lns_group(1, 1, "", "LNS", "aabbcc");
  std::mt19937 rng(2661);
  std::bernoulli_distribution lose(0.2);
  w.net.drop = [&](const Packet&) { return lose(rng); };
  constexpr int kLacs = 40;
  std::vector<std::unique_ptr<Node>> lacs;
  std::vector<CallLog> calls(kLacs);
  for (int i = 0; i < kLacs; ++i) {
    Endpoint ep{Ipv4{static_cast<std::uint32_t>(0x7F010000u + static_cast<std::uint32_t>(i) + 1)},
                1701};
    lacs.push_back(
        std::make_unique<Node>(w.net, w.timers, ep, 100 + static_cast<std::uint64_t>(i)));
    lacs.back()->config.l2tp_groups[1] =
        lac_group(1, {kLns.address}, "LAC" + std::to_string(i), "aabbcc");
    LacCallRequest r;
    r.group = 1;
    r.user = "u" + std::to_string(i) + "@corp.com";
    ASSERT_TRUE(lacs.back()->engine->place_call(r, calls[static_cast<std::size_t>(i)].callbacks()));
  }
  w.run(60s, 50ms);
  int up = 0;
  for (auto& c : calls) up += c.up.size() == 1 && c.down.empty();
  EXPECT_EQ(up, kLacs);
  EXPECT_EQ(lns.engine->statistics().tunnels_up, static_cast<std::uint64_t>(kLacs));
  EXPECT_EQ(lns.handler.incoming.size(), static_cast<std::size_t>(kLacs));
  EXPECT_GT(w.net.dropped, 0);
}

}  // namespace
}  // namespace vpdnd::vpdn::test

namespace vpdnd::vpdn::test {
namespace {

// Plain L2TP where IPsec is required: the admission check (ipsec::Driver's decision in
// vpdnd) refuses it before any parsing, counted; an admitted peer gets its SCCRP.
TEST_F(Guard, DatagramsTheAdmissionCheckRefusesAreDroppedAndCounted) {
  start();
  lns->engine->set_admission([](const Endpoint& from) { return from.address == kLac.address; });
  lns->engine->on_datagram(kAttacker, sccrq(100));
  lns->engine->on_datagram(kAttacker, Bytes{0xc8, 0x02});  // garbage is refused the same way
  w.net.pump();
  EXPECT_TRUE(sccrps_to(kAttacker).empty());
  EXPECT_EQ(lns->engine->tunnel_count(), 0u);
  EXPECT_EQ(lns->engine->statistics().drops["no IPsec SA"], 2u);
  lns->engine->on_datagram(kLac, sccrq(101));
  w.net.pump();
  EXPECT_EQ(sccrps_to(kLac).size(), 1u);
  EXPECT_EQ(lns->engine->statistics().drops["no IPsec SA"], 2u);
}

// Outbound: once the peer's SA is gone (the egress check refuses it), nothing more goes to
// it in clear: the SCCRP is not sent but counted.
TEST_F(Guard, NothingIsSentInClearToAPeerTheEgressCheckRefuses) {
  start();
  bool sa_up = true;
  lns->engine->set_egress_check([&sa_up](const Endpoint&) { return sa_up; });
  sa_up = false;
  lns->engine->on_datagram(kLac, sccrq(102));
  w.net.pump();
  EXPECT_TRUE(sccrps_to(kLac).empty());
  EXPECT_EQ(lns->engine->statistics().drops["not sent: no IPsec SA"], 1u);
  sa_up = true;
  lns->engine->on_datagram(kLac, sccrq(103));
  w.net.pump();
  EXPECT_EQ(sccrps_to(kLac).size(), 1u);
}

}  // namespace
}  // namespace vpdnd::vpdn::test
