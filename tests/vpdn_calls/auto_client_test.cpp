// AutoClients (`l2tp-auto-client`) against the real LnsCalls as the LNS: the client's
// frames travel through one fake L2TP port to LnsCalls and back through the other. Real
// PPP (client and LNS mode) and real AAA (local user, pool); virtual time, no sockets.
#include <gtest/gtest.h>

#include "tests/vpdn_calls/config.hpp"
#include "tests/vpdn_calls/fakes.hpp"
#include "vpdn/calls.hpp"

namespace vpdnd::vpdn {
namespace {

using namespace std::chrono_literals;

// The client box's device: records the address IPCP gave and the packets written.
struct FakeClientIp final : IpPort {
  bool has_device = true;
  std::optional<std::pair<Ipv4, Ipv4>> address;  // local, peer
  int sets = 0, clears = 0;
  std::vector<Bytes> written;
  bool add_host_route(std::uint16_t, Ipv4) override { return false; }
  void remove_host_route(std::uint16_t, Ipv4) override {}
  void write_ip(std::uint16_t vt, ByteView p) override {
    EXPECT_EQ(vt, 2);
    written.emplace_back(p.begin(), p.end());
  }
  bool set_peer_address(std::uint16_t vt, Ipv4 local, Ipv4 peer) override {
    EXPECT_EQ(vt, 2);
    if (!has_device) return false;
    address = {local, peer};
    ++sets;
    return true;
  }
  void clear_peer_address(std::uint16_t vt) override {
    EXPECT_EQ(vt, 2);
    address.reset();
    ++clears;
  }
};

class AutoClientTest : public CallsTest {
 protected:
  AutoClientTest() {
    using namespace test_config;
    auto& c = store.mutable_running();
    c.l2tp.enabled = true;
    // LNS side: template 1, pool, local user.
    serving_template(c, 1, "10.77.0.1", "255.255.255.0", "1");
    ip_pool(c, "1", "10.77.0.10", "10.77.0.20");
    ppp_user(c, "box", "boxpw");
    lns_group(c, 1, 1);
    // Client side: group 2 dials 192.0.2.1; template 2 is the auto client.
    lac_group(c, 2, {ipv4("192.0.2.1")}).mode = config::GroupMode::lac;
    auto& a = virtual_template(c, 2);
    a.auto_client_group = 2;
    a.chap_user = "box";
    a.chap_password.plain = "boxpw";

    aaa_ = std::make_unique<aaa::Aaa>(store, timers, radius);
    lns_calls = std::make_unique<LnsCalls>(store, timers, *aaa_, lns_l2tp, lns_ip);
    client = std::make_unique<AutoClients>(store, timers, client_l2tp, client_ip);
    lns_calls->set_random(counter_random(1));
    client->set_random(counter_random(100));
  }

  // The last placed call is answered: both sides see the session.
  void answer(SessionRef lns_id, SessionRef client_id) {
    ASSERT_FALSE(client_l2tp.placed.empty());
    lns_id_ = lns_id;
    client_id_ = client_id;
    lns_calls->on_call_up(incoming_call(lns_id));
    client_l2tp.placed.back().up(client_id);
  }

  bool deliver() override {
    bool any = drain(client_l2tp.to_peer, [&](const auto& m) {
      EXPECT_EQ(m.first, client_id_);
      lns_calls->on_l2tp_data(lns_id_, m.second);
    });
    return drain(lns_l2tp.to_peer,
                 [&](const auto& m) {
                   EXPECT_EQ(m.first, lns_id_);
                   client->on_l2tp_data(client_id_, m.second);
                 }) ||
           any;
  }

  FakeL2tp lns_l2tp, client_l2tp;
  FakeIp lns_ip;
  FakeClientIp client_ip;
  std::unique_ptr<LnsCalls> lns_calls;
  std::unique_ptr<AutoClients> client;
  SessionRef lns_id_{7, 9}, client_id_{3, 4};
};

TEST_F(AutoClientTest, DialsComesUpAppliesAddressAndCarriesIp) {
  client->reconcile();
  ASSERT_EQ(client_l2tp.placed.size(), 1u);
  const auto& plan = client_l2tp.placed[0].plan;
  EXPECT_EQ(plan.group, 2);
  EXPECT_TRUE(plan.lns_addresses.empty());  // the group's list
  EXPECT_FALSE(plan.proxy.has_value());     // no proxy data
  EXPECT_EQ(plan.user, "box");
  EXPECT_EQ(client->status().at(0).state, "Placing");

  answer({7, 9}, {3, 4});
  run(2s);
  ASSERT_TRUE(client_ip.address.has_value()) << "IPCP did not come up";
  EXPECT_EQ(client_ip.address->first.to_string(), "10.77.0.10");
  EXPECT_EQ(client_ip.address->second.to_string(), "10.77.0.1");
  EXPECT_TRUE(lns_ip.routes.count(Ipv4::parse("10.77.0.10")->value));
  auto st = client->status().at(0);
  EXPECT_EQ(st.state, "Up");
  EXPECT_EQ(st.address, client_ip.address->first);
  ASSERT_TRUE(client_l2tp.info.count(SessionRef{3, 4}));
  EXPECT_EQ(client_l2tp.info[(SessionRef{3, 4})].user, "box");
  EXPECT_EQ(client_l2tp.info[(SessionRef{3, 4})].method, "CHAP");
  EXPECT_EQ(lns_l2tp.info[(SessionRef{7, 9})].user, "box");

  // client TUN -> LNS TUN, and back.
  Bytes up = ip_packet(*Ipv4::parse("10.77.0.10"), *Ipv4::parse("10.77.0.1"));
  EXPECT_TRUE(client->on_tun_packet(2, up));
  pump();
  ASSERT_EQ(lns_ip.written.size(), 1u);
  EXPECT_EQ(lns_ip.written[0], up);
  Bytes down = ip_packet(*Ipv4::parse("10.77.0.1"), *Ipv4::parse("10.77.0.10"));
  lns_calls->on_tun_packet(1, down);
  pump();
  ASSERT_EQ(client_ip.written.size(), 1u);
  EXPECT_EQ(client_ip.written[0], down);
  EXPECT_FALSE(client->on_tun_packet(1, down));  // not an auto-client template
  EXPECT_EQ(client->counters().ups, 1u);
}

TEST_F(AutoClientTest, DropIsRetriedWithBackOffAndComesUpAgain) {
  client->reconcile();
  answer({7, 9}, {3, 4});
  run(2s);
  ASSERT_TRUE(client_ip.address.has_value());

  // The LNS side clears the call (CDN): the engine reports it down to both.
  lns_calls->on_call_down({7, 9});
  client_l2tp.placed[0].down("peer sent CDN result 3");
  EXPECT_FALSE(client_ip.address.has_value());
  EXPECT_EQ(client_ip.clears, 1);
  EXPECT_TRUE(client_l2tp.hangups.empty());  // the engine ended it: no CDN from us
  auto st = client->status().at(0);
  EXPECT_EQ(st.state, "Waiting");
  ASSERT_TRUE(st.retry_in.has_value());
  EXPECT_EQ(*st.retry_in, 5s);
  EXPECT_FALSE(client->on_l2tp_data({3, 4}, Bytes{0xff, 0x03, 0xc0, 0x21}));

  // Failures in a row back off 5, 10, 20, 40, 60, 60 s.
  timers.advance(4999ms);
  EXPECT_EQ(client_l2tp.placed.size(), 1u);
  timers.advance(1ms);
  const Duration backoff[] = {10s, 20s, 40s, 60s, 60s};
  for (std::size_t i = 0; i < std::size(backoff); ++i) {
    ASSERT_EQ(client_l2tp.placed.size(), i + 2);
    client_l2tp.placed[i + 1].down("no LNS answered");
    EXPECT_EQ(*client->status().at(0).retry_in, backoff[i]) << "after failure " << i + 2;
    timers.advance(backoff[i]);
  }
  ASSERT_EQ(client_l2tp.placed.size(), 7u);

  // This one is answered: up again, back-off reset.
  answer({7, 10}, {3, 5});
  run(2s);
  ASSERT_TRUE(client_ip.address.has_value());
  EXPECT_EQ(client->status().at(0).state, "Up");
  EXPECT_EQ(client->status().at(0).failures, 0u);
  EXPECT_EQ(client->counters().ups, 2u);
}

TEST_F(AutoClientTest, WrongPasswordFailsAndRetries) {
  store.mutable_running().virtual_templates[2].chap_password.plain = "wrong";
  client->reconcile();
  answer({7, 9}, {3, 4});
  run(2s);
  EXPECT_FALSE(client_ip.address.has_value());
  EXPECT_EQ(client->status().at(0).state, "Waiting");
  EXPECT_EQ(client->counters().failures, 1u);
  ASSERT_EQ(client_l2tp.hangups.size(), 1u);  // CDN for the failed call
  EXPECT_EQ(client_l2tp.hangups[0].second, HangupCause::auth_failed);
  timers.advance(5s);
  EXPECT_EQ(client_l2tp.placed.size(), 2u);
}

TEST_F(AutoClientTest, UndoAutoClientOrL2tpEnableHangsUp) {
  client->reconcile();
  answer({7, 9}, {3, 4});
  run(2s);
  ASSERT_TRUE(client_ip.address.has_value());
  store.mutable_running().virtual_templates[2].auto_client_group.reset();
  client->reconcile();
  EXPECT_EQ(client->size(), 0u);
  ASSERT_EQ(client_l2tp.hangups.size(), 1u);
  EXPECT_EQ(client_l2tp.hangups[0].first, (SessionRef{3, 4}));
  EXPECT_EQ(client_l2tp.hangups[0].second, HangupCause::admin);
  EXPECT_FALSE(client_ip.address.has_value());
  timers.advance(120s);
  EXPECT_EQ(client_l2tp.placed.size(), 1u);  // no retry

  // Configured again while l2tp is disabled: nothing; enabled: it dials.
  store.mutable_running().virtual_templates[2].auto_client_group = 2;
  store.mutable_running().l2tp.enabled = false;
  client->reconcile();
  EXPECT_EQ(client_l2tp.placed.size(), 1u);
  store.mutable_running().l2tp.enabled = true;
  client->reconcile();
  ASSERT_EQ(client_l2tp.placed.size(), 2u);
  // `undo l2tp enable` while placing: the call is cancelled.
  store.mutable_running().l2tp.enabled = false;
  client->reconcile();
  EXPECT_TRUE(client_l2tp.placed[1].cancelled);
}

// `shutdown` on the template hangs the client up and stops it dialling; `undo shutdown`
// dials again.
TEST_F(AutoClientTest, ShutTemplateHangsUpAndDoesNotDial) {
  client->reconcile();
  answer({7, 9}, {3, 4});
  run(2s);
  ASSERT_TRUE(client_ip.address.has_value());
  store.mutable_running().virtual_templates[2].shutdown = true;
  client->reconcile();
  EXPECT_EQ(client->size(), 0u);
  ASSERT_EQ(client_l2tp.hangups.size(), 1u);
  EXPECT_EQ(client_l2tp.hangups[0].second, HangupCause::admin);
  EXPECT_FALSE(client_ip.address.has_value());
  timers.advance(120s);
  EXPECT_EQ(client_l2tp.placed.size(), 1u);
  store.mutable_running().virtual_templates[2].shutdown = false;
  client->reconcile();
  EXPECT_EQ(client_l2tp.placed.size(), 2u);
}

TEST_F(AutoClientTest, PapLocalUserAnswersAPapLns) {
  auto& c = store.mutable_running();
  c.virtual_templates[1].auth_modes = {config::PppAuthMode::pap};
  c.virtual_templates[2].chap_user.clear();
  c.virtual_templates[2].chap_password = {};
  c.virtual_templates[2].pap_user = "box";
  c.virtual_templates[2].pap_password.plain = "boxpw";
  client->reconcile();
  EXPECT_EQ(client_l2tp.placed.at(0).plan.user, "box");
  answer({7, 9}, {3, 4});
  run(2s);
  ASSERT_TRUE(client_ip.address.has_value()) << "PAP client did not come up";
  EXPECT_EQ(client_l2tp.info[(SessionRef{3, 4})].method, "PAP");
  EXPECT_EQ(lns_l2tp.info[(SessionRef{7, 9})].user, "box");
}

TEST_F(AutoClientTest, ChangedCredentialsRedialAndMissingGroupStops) {
  client->reconcile();
  answer({7, 9}, {3, 4});
  run(2s);
  ASSERT_TRUE(client_ip.address.has_value());
  // New secret: the running call is cleared and a new one placed at once.
  store.mutable_running().virtual_templates[2].chap_password.plain = "other";
  client->reconcile();
  ASSERT_EQ(client_l2tp.hangups.size(), 1u);
  EXPECT_EQ(client_l2tp.placed.size(), 2u);
  // The group disappears: nothing runs any more.
  store.mutable_running().l2tp_groups.erase(2);
  client->reconcile();
  EXPECT_EQ(client->size(), 0u);
  EXPECT_TRUE(client_l2tp.placed[1].cancelled);
}

TEST_F(AutoClientTest, PlaceCallRefusedIsRetried) {
  client_l2tp.refuse = "l2tp tunnel-limit reached";
  client->reconcile();
  EXPECT_EQ(client->status().at(0).state, "Waiting");
  EXPECT_EQ(*client->status().at(0).retry_in, 5s);
  client_l2tp.refuse.clear();
  timers.advance(5s);
  EXPECT_EQ(client_l2tp.placed.size(), 1u);
  EXPECT_EQ(client->status().at(0).state, "Placing");
}

}  // namespace
}  // namespace vpdnd::vpdn
