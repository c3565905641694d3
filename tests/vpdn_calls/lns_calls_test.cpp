// LnsCalls with the real PPP session and the real AAA (local users, pools) against fake L2TP
// and TUN ports. The "LAC and user" is a client-mode PppSession whose frames travel through
// the fake L2TP port; virtual time (ManualTimerService), no sockets.
#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>
#include <set>

#include "tests/vpdn_calls/config.hpp"
#include "tests/vpdn_calls/fakes.hpp"
#include "vpdn/calls.hpp"

namespace vpdnd::vpdn {
namespace {

class LnsCallsTest : public UserCallsTest {
 protected:
  LnsCallsTest() {
    using namespace test_config;
    auto& c = store.mutable_running();
    serving_template(c, 1, "192.168.0.1", "255.255.255.0", "1").auth_domain = "corp.com";
    ip_pool(c, "1", "192.168.0.10", "192.168.0.12");
    domain(c, "corp.com");
    ppp_user(c, "alice@corp.com", "alicepw");
    ppp_user(c, "alice", "alicepw");
    lns_group(c, 1, 1);
    aaa_ = std::make_unique<aaa::Aaa>(store, timers, radius);
    calls = std::make_unique<LnsCalls>(store, timers, *aaa_, l2tp, ip);
    calls->set_random(counter_random(1));
  }

  void dial(const std::string& password) {
    client = std::make_unique<ppp::PppSession>(
        user_config("alice@corp.com", password, counter_random(100)), user, user, timers);
    calls->on_call_up(incoming_call(id));
    client->start();
  }

  // alice dials with the right password; whether her PPP came up.
  bool dial_up() {
    dial("alicepw");
    run(2s);
    return user.up.has_value();
  }

  // The call ended with one hang-up for `why`, and its route and address are gone.
  void expect_ended(HangupCause why) {
    EXPECT_EQ(l2tp.hangups, (std::vector<std::pair<SessionRef, HangupCause>>{{id, why}}));
    EXPECT_TRUE(ip.routes.empty());
    EXPECT_EQ(in_use(), 0u);
  }

  bool deliver() override {
    bool any = drain(user.out, [&](const Bytes& f) { calls->on_l2tp_data(id, f); });
    return drain(l2tp.to_peer,
                 [&](const auto& m) {
                   EXPECT_EQ(m.first, id);
                   if (client) client->receive(m.second);
                 }) ||
           any;
  }

  std::uint32_t in_use() {
    auto p = aaa_->pool_status("1");
    return p.empty() ? 999 : p[0].in_use;
  }

  FakeL2tp l2tp;
  std::unique_ptr<LnsCalls> calls;
  SessionRef id{7, 9};
};

TEST_F(LnsCallsTest, ClientInitiatedCallComesUpAndCarriesIpBothWays) {
  ASSERT_TRUE(dial_up()) << "PPP did not come up";
  Ipv4 addr = user.up->local_address;
  EXPECT_EQ(addr.to_string(), "192.168.0.10");
  EXPECT_EQ(user.up->peer_address.to_string(), "192.168.0.1");
  EXPECT_TRUE(ip.routes.count(addr.value));
  ASSERT_TRUE(l2tp.info.count(id));
  EXPECT_EQ(l2tp.info[id].user, "alice@corp.com");
  EXPECT_EQ(l2tp.info[id].address, addr);
  EXPECT_EQ(l2tp.info[id].method, "CHAP");
  EXPECT_EQ(l2tp.info[id].interface, "Virtual-Template1:9");
  EXPECT_EQ(in_use(), 1u);
  ASSERT_EQ(aaa_->online_users().size(), 1u);
  EXPECT_EQ(calls->counters().calls_up, 1u);
  // `cut connection` finds the call by its accounting session (display connection's Index).
  ASSERT_EQ(calls->status().size(), 1u);
  EXPECT_EQ(calls->status()[0].aaa_session, aaa_->online_users()[0].index);
  EXPECT_NE(calls->status()[0].aaa_session, 0u);

  // user -> corp: an IP frame on the L2TP data channel reaches the TUN unchanged.
  Bytes pkt = ip_packet(addr, *Ipv4::parse("10.1.1.1"));
  Bytes frame{0xff, 0x03, 0x00, 0x21};
  frame.insert(frame.end(), pkt.begin(), pkt.end());
  calls->on_l2tp_data(id, frame);
  ASSERT_EQ(ip.written.size(), 1u);
  EXPECT_EQ(ip.written[0], pkt);

  // corp -> user: a TUN packet for the address goes out as a PPP IP frame.
  Bytes back = ip_packet(*Ipv4::parse("10.1.1.1"), addr);
  calls->on_tun_packet(1, back);
  ASSERT_EQ(l2tp.to_peer.size(), 1u);
  Bytes expect{0xff, 0x03, 0x00, 0x21};
  expect.insert(expect.end(), back.begin(), back.end());
  EXPECT_EQ(l2tp.to_peer.front().second, expect);
  EXPECT_EQ(client->receive(l2tp.to_peer.front().second), ppp::Disposition::ip);
  l2tp.to_peer.clear();

  // Nobody owns 192.168.0.99: counted drop, nothing sent.
  calls->on_tun_packet(1, ip_packet(*Ipv4::parse("10.1.1.1"), *Ipv4::parse("192.168.0.99")));
  EXPECT_TRUE(l2tp.to_peer.empty());
  EXPECT_EQ(calls->counters().drop_no_session, 1u);
  Bytes junk{0x60, 0, 0};
  calls->on_tun_packet(1, junk);
  EXPECT_EQ(calls->counters().drop_not_ipv4, 1u);

  // The LAC clears the session (CDN): route, lease and online user go; no CDN back.
  calls->on_call_down(id);
  timers.run_due();
  EXPECT_TRUE(ip.routes.empty());
  EXPECT_EQ(in_use(), 0u);
  EXPECT_TRUE(aaa_->online_users().empty());
  EXPECT_TRUE(l2tp.hangups.empty());
  EXPECT_EQ(calls->size(), 0u);
  EXPECT_EQ(calls->counters().calls_up, 0u);
  calls->on_tun_packet(1, back);
  EXPECT_EQ(calls->counters().drop_no_session, 2u);
}

// The user renegotiates LCP on an established call (an LCP Configure-Request in Opened):
// PPP re-authenticates and IPCP comes up again. The call stays one call: one route, one
// lease, one online user and accounting session (no second Start), counted up once.
TEST_F(LnsCallsTest, LcpRenegotiationKeepsOneCallAndOneAccountingSession) {
  ASSERT_TRUE(dial_up());
  const Ipv4 addr = user.up->local_address;
  const auto online = aaa_->online_users();
  ASSERT_EQ(online.size(), 1u);
  const std::string acct_id = online[0].acct_session_id;
  user.up.reset();
  // LCP Configure-Request, id 0x77, no options.
  Bytes confreq{0xff, 0x03, 0xc0, 0x21, 0x01, 0x77, 0x00, 0x04};
  calls->on_l2tp_data(id, confreq);
  run(5s);
  ASSERT_TRUE(user.up.has_value()) << "the user's PPP did not come back up";
  EXPECT_EQ(user.up->local_address, addr);
  EXPECT_EQ(calls->size(), 1u);
  EXPECT_EQ(calls->counters().calls_up, 1u);
  EXPECT_EQ(calls->counters().no_route, 0u);
  EXPECT_EQ(ip.routes.size(), 1u);
  EXPECT_EQ(in_use(), 1u);
  const auto again = aaa_->online_users();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].acct_session_id, acct_id);
  EXPECT_EQ(again[0].user, "alice@corp.com");
  auto st = calls->find(id);
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->address, addr);
  EXPECT_EQ(st->phase, "Running");

  // It still ends once, with everything released.
  calls->on_call_down(id);
  timers.run_due();
  EXPECT_TRUE(ip.routes.empty());
  EXPECT_EQ(in_use(), 0u);
  EXPECT_TRUE(aaa_->online_users().empty());
  EXPECT_EQ(calls->counters().calls_up, 0u);
}

TEST_F(LnsCallsTest, WrongPasswordHangsUpAndLeavesNothing) {
  dial("wrong");
  run(5s);
  EXPECT_FALSE(user.up.has_value());
  expect_ended(HangupCause::auth_failed);
  EXPECT_EQ(calls->size(), 0u);
}

TEST_F(LnsCallsTest, UserTerminatesThenCdnGoesOut) {
  ASSERT_TRUE(dial_up());
  client->close("bye");
  run(5s);
  expect_ended(HangupCause::user_request);
  EXPECT_TRUE(aaa_->online_users().empty());
}

TEST_F(LnsCallsTest, EchoTimeoutWhenTheUserGoesSilent) {
  ASSERT_TRUE(dial_up());
  client.reset();  // frames to the user now vanish
  for (int i = 0; i < 20 && l2tp.hangups.empty(); ++i) run(10s);
  expect_ended(HangupCause::keepalive);
}

TEST_F(LnsCallsTest, CloseAllSendsCdnAndFreesEverything) {
  ASSERT_TRUE(dial_up());
  calls->close_all();
  timers.run_due();
  expect_ended(HangupCause::admin);
  EXPECT_EQ(calls->size(), 0u);
}

// `reset l2tp session id N` ends the call through close(): PPP Terminate to the user, then
// CDN; route, address and online user go with it (not at the echo timeout).
TEST_F(LnsCallsTest, CloseByResetTerminatesPppThenHangsUp) {
  ASSERT_TRUE(dial_up());
  ASSERT_EQ(aaa_->online_users().size(), 1u);
  EXPECT_FALSE(calls->close(SessionRef{7, 10}));
  EXPECT_TRUE(calls->close(id));
  run(2s);
  expect_ended(HangupCause::admin);
  EXPECT_TRUE(aaa_->online_users().empty());
  EXPECT_EQ(calls->size(), 0u);
}

// What the accounting Stop said (the domain accounts to a RADIUS scheme that never answers).
class LnsCallsTimeoutTest : public LnsCallsTest {
 protected:
  LnsCallsTimeoutTest() {
    auto& c = store.mutable_running();
    config::RadiusScheme r;
    r.name = "acct";
    r.primary_accounting = config::RadiusServer{*Ipv4::parse("127.0.0.1"), 1813};
    r.key_accounting.plain = "k";
    c.radius_schemes["acct"] = r;
    c.domains["corp.com"].accounting_radius = true;
    c.domains["corp.com"].accounting_radius_scheme = "acct";
  }
  std::optional<aaa::TerminateCause> stop_cause() {
    radius.answer_accounting();  // a session's Stop waits for its Start's answer
    for (const auto& r : radius.accounting)
      if (r.status == aaa::AcctStatus::stop) return r.terminate_cause;
    return std::nullopt;
  }
  void user_sends_ip() {
    Bytes frame{0xff, 0x03, 0x00, 0x21};
    Bytes pkt = ip_packet(user.up->local_address, *Ipv4::parse("10.1.1.1"));
    frame.insert(frame.end(), pkt.begin(), pkt.end());
    calls->on_l2tp_data(id, frame);
  }
};

// A session whose data the kernel switches: the data plane's counts join the call's own in
// the displays, and the accounting Stop carries them (handed over as the call leaves it).
TEST_F(LnsCallsTimeoutTest, DataPlaneCountsReachDisplaysAndTheAccountingStop) {
  ASSERT_TRUE(dial_up());
  const aaa::Counters own = calls->find(id)->counters;
  ip.data.input_octets = (std::uint64_t{3} << 32) + 1000;  // past 4 GiB: Gigawords
  ip.data.input_packets = 40;
  ip.data.output_octets = 7000;
  ip.data.output_packets = 70;
  const aaa::Counters shown = calls->find(id)->counters;
  EXPECT_EQ(shown.input_octets, own.input_octets + ip.data.input_octets);
  EXPECT_EQ(shown.input_packets, own.input_packets + 40);
  EXPECT_EQ(shown.output_octets, own.output_octets + 7000);
  EXPECT_EQ(shown.output_packets, own.output_packets + 70);
  EXPECT_TRUE(calls->close(id));
  run(2s);
  EXPECT_EQ(calls->size(), 0u);
  radius.answer_accounting();
  const aaa::RadiusAccountingRequest* stop = nullptr;
  for (const auto& r : radius.accounting)
    if (r.status == aaa::AcctStatus::stop) stop = &r;
  ASSERT_NE(stop, nullptr);
  EXPECT_GE(stop->counters.input_octets, own.input_octets + (std::uint64_t{3} << 32) + 1000);
  EXPECT_GE(stop->counters.input_packets, own.input_packets + 40);
  EXPECT_GE(stop->counters.output_octets, own.output_octets + 7000);
  EXPECT_GE(stop->counters.output_packets, own.output_packets + 70);
}

// RADIUS CoA Idle-Timeout: IP from the user keeps the call; LCP keepalives do not.
TEST_F(LnsCallsTimeoutTest, IdleTimeoutEndsTheCallOnlyWithoutUserData) {
  EXPECT_FALSE(calls->set_idle_timeout(id, 60s));  // no call yet
  ASSERT_TRUE(dial_up());
  ASSERT_TRUE(calls->set_idle_timeout(id, 60s));
  for (int i = 0; i < 6; ++i) {
    run(20s);
    user_sends_ip();
  }
  EXPECT_TRUE(l2tp.hangups.empty()) << "ended while the user was sending";
  // Silent from now on (keepalives still answered): not before 60 s, by 60 + 60/8 s.
  run(58s);
  EXPECT_TRUE(l2tp.hangups.empty());
  run(12s);
  ASSERT_EQ(l2tp.hangups.size(), 1u);
  EXPECT_EQ(stop_cause(), aaa::TerminateCause::idle_timeout);
  EXPECT_EQ(in_use(), 0u);
  EXPECT_TRUE(aaa_->online_users().empty());
}

TEST_F(LnsCallsTimeoutTest, IdleTimeoutZeroRemovesIt) {
  ASSERT_TRUE(dial_up());
  ASSERT_TRUE(calls->set_idle_timeout(id, 10s));
  ASSERT_TRUE(calls->set_idle_timeout(id, 0s));
  run(60s);
  EXPECT_TRUE(l2tp.hangups.empty());
}

// RADIUS CoA Session-Timeout on a live call: it ends at the new limit, Stop Session-Timeout;
// nullopt lifts the limit.
TEST_F(LnsCallsTimeoutTest, SessionTimeoutChangedOnALiveCall) {
  ASSERT_TRUE(dial_up());
  ASSERT_TRUE(calls->set_session_timeout(id, 10s));
  ASSERT_TRUE(calls->set_session_timeout(id, std::nullopt));
  run(30s);
  EXPECT_TRUE(l2tp.hangups.empty());
  ASSERT_TRUE(calls->set_session_timeout(id, 30s));
  run(25s);
  EXPECT_TRUE(l2tp.hangups.empty());
  run(10s);
  ASSERT_EQ(l2tp.hangups.size(), 1u);
  EXPECT_EQ(stop_cause(), aaa::TerminateCause::session_timeout);
  EXPECT_FALSE(calls->set_session_timeout(id, 30s));
}

// `undo interface virtual-template N`: only that template's calls end, the same way.
TEST_F(LnsCallsTest, CloseTemplateEndsOnlyThatTemplatesCalls) {
  ASSERT_TRUE(dial_up());
  EXPECT_EQ(calls->close_template(2), 0u);
  run(1s);
  EXPECT_EQ(calls->size(), 1u);
  EXPECT_TRUE(l2tp.hangups.empty());
  EXPECT_EQ(calls->close_template(1), 1u);
  run(2s);
  expect_ended(HangupCause::admin);
  EXPECT_TRUE(aaa_->online_users().empty());
  EXPECT_EQ(calls->size(), 0u);
}

TEST_F(LnsCallsTest, MissingTemplateIsRefused) {
  IncomingSession in = incoming_call(id);
  in.virtual_template = 42;
  calls->on_call_up(in);
  ASSERT_EQ(l2tp.hangups.size(), 1u);
  EXPECT_EQ(l2tp.hangups[0].second, HangupCause::negotiation);
  EXPECT_EQ(calls->size(), 0u);
}

TEST_F(LnsCallsTest, DataForUnknownCallIsCounted) {
  Bytes f{0x00, 0x21, 0x45};
  calls->on_l2tp_data(SessionRef{1, 1}, f);
  EXPECT_EQ(calls->counters().drop_unknown_call, 1u);
}

// The call tags its engine session; a frame carrying the tag reaches the call without a
// lookup, but only if the tag's call is the frame's session: a tag that names another
// call (or none) is not trusted and the session decides.
TEST_F(LnsCallsTest, DataTagReachesTheCallOnlyForItsOwnSession) {
  ASSERT_TRUE(dial_up());
  ASSERT_TRUE(l2tp.tags.count(id));
  const std::uint32_t tag = l2tp.tags[id];
  EXPECT_NE(tag, 0u);
  Bytes pkt = ip_packet(user.up->local_address, *Ipv4::parse("10.1.1.1"));
  Bytes frame{0xff, 0x03, 0x00, 0x21};
  frame.insert(frame.end(), pkt.begin(), pkt.end());
  calls->on_l2tp_data(id, frame, tag);
  EXPECT_EQ(ip.written.size(), 1u);
  calls->on_l2tp_data(id, frame, tag + 1000);  // unknown tag: found by its ref
  EXPECT_EQ(ip.written.size(), 2u);
  calls->on_l2tp_data(SessionRef{1, 1}, frame, tag);  // another session with this tag
  EXPECT_EQ(ip.written.size(), 2u);
  EXPECT_EQ(calls->counters().drop_unknown_call, 1u);
  calls->close(id);
  run(2s);
  EXPECT_EQ(calls->size(), 0u);
  calls->on_l2tp_data(id, frame, tag);  // the call is gone: its tag finds nothing
  EXPECT_EQ(calls->counters().drop_unknown_call, 2u);
  EXPECT_EQ(ip.written.size(), 2u);
}

TEST_F(LnsCallsTest, DestroyingWithLiveCallsReleasesLeases) {
  ASSERT_TRUE(dial_up());
  client.reset();  // the user's own timers (echo) out of the way
  std::size_t others = timers.pending();
  calls.reset();
  EXPECT_EQ(in_use(), 0u);
  EXPECT_TRUE(aaa_->online_users().empty());
  EXPECT_LT(timers.pending(), others) << "a timer still points into the destroyed LnsCalls";
  timers.advance(1min);  // nothing may fire into freed memory (ASan checks)
}

}  // namespace
}  // namespace vpdnd::vpdn
