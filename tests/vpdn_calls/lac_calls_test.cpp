// LacCalls with the real PPP session and AAA against fake PPPoE/L2TP/TUN ports, and a full
// in-process chain user -> LacCalls -> (L2TP bridge) -> LnsCalls -> TUN with proxy data,
// with and without mandatory-chap / mandatory-lcp. Virtual time, no sockets.
#include <gtest/gtest.h>

#include "common/log.hpp"
#include "tests/vpdn_calls/config.hpp"
#include "tests/vpdn_calls/fakes.hpp"
#include "vpdn/calls.hpp"

namespace vpdnd::vpdn {
namespace {

using namespace test_config;

void lac_config(config::RunningConfig& c) {
  c.l2tp.enabled = true;
  virtual_template(c, 1).auth_modes = {config::PppAuthMode::chap};
  lac_group(c, 1, {ipv4("10.0.0.2")}, config::LacMatchKind::domain, "corp.com");
  lac_group(c, 2, {ipv4("10.0.0.3")}, config::LacMatchKind::fullusername, "carol@x.com");
  domain(c, "corp.com");
  ppp_user(c, "corp.com", "whatever");
  ppp_user(c, "carol@x.com", "carolpw");
  ppp_user(c, "bob@other.com", "bobpw");
  domain(c, "other.com");
}

void lns_config(config::RunningConfig& c, bool mandatory_chap, bool mandatory_lcp) {
  c.l2tp.enabled = true;
  serving_template(c, 1, "192.168.0.1", "255.255.255.0", "1").auth_domain = "corp.com";
  ip_pool(c, "1", "192.168.0.10", "192.168.0.20");
  domain(c, "corp.com");
  ppp_user(c, "alice@corp.com", "alicepw");
  auto& g = lns_group(c, 1, 1);
  g.mandatory_chap = mandatory_chap;
  g.mandatory_lcp = mandatory_lcp;
}

// The Name field of every CHAP Challenge among `frames` (what the user got).
std::vector<std::string> challenge_names(const std::vector<Bytes>& frames) {
  std::vector<std::string> names;
  for (const Bytes& f : frames) {
    auto fr = ppp::decode_frame(f);
    if (!fr || fr->protocol != ppp::proto::chap) continue;
    auto cp = ppp::decode_control(fr->payload);
    if (!cp || cp->code != ppp::chap_code::challenge) continue;
    if (auto v = ppp::decode_chap_value(*cp)) names.push_back(v->name);
  }
  return names;
}

// The user dialling over PPPoE (MRU 1492) as `name` with `password`.
ppp::SessionConfig pppoe_user(const std::string& name, const std::string& password,
                              std::uint8_t seed) {
  ppp::SessionConfig sc = user_config(name, password, counter_random(seed));
  sc.mru = 1492;
  return sc;
}

// The PPPoE session `id` on eth1, bound to virtual-template 1.
AccessCall pppoe_call(AccessId id) {
  AccessCall in;
  in.id = id;
  in.interface = "eth1";
  in.virtual_template = 1;
  return in;
}

class LacCallsTest : public UserCallsTest {
 protected:
  LacCallsTest() {
    lac_config(store.mutable_running());
    aaa_ = std::make_unique<aaa::Aaa>(store, timers, radius);
    calls = std::make_unique<LacCalls>(store, timers, *aaa_, l2tp, access, ip);
    calls->set_random(counter_random(1));
  }

  // Template 1 gets an address and a one-address pool "p" (172.16.0.10), so a user that is
  // not a VPDN user is terminated on the LAC itself.
  void terminate_non_vpdn_users_locally() {
    std::vector<config::ConfigChange> changes = {{config::ConfigSection::ip_pool, "p"},
                                                 {config::ConfigSection::virtual_template, "1"}};
    store.edit(changes, [](config::RunningConfig& c) {
      c.virtual_templates[1].remote_pool = "p";
      c.virtual_templates[1].ip_address = ipv4("172.16.0.1");
      ip_pool(c, "p", "172.16.0.10", "172.16.0.10");
      return std::string();
    });
  }

  void dial(const std::string& name, const std::string& password) {
    client = std::make_unique<ppp::PppSession>(pppoe_user(name, password, 100), user, user, timers);
    AccessCall in = pppoe_call(id);
    in.calling_number = "02:00:00:00:00:01";
    calls->on_access_up(in);
    client->start();
  }

  // alice@corp.com dials; whether the LAC placed one L2TP call for her.
  bool alice_dials() {
    dial("alice@corp.com", "alicepw");
    run(2s);
    return l2tp.placed.size() == 1;
  }
  // ... and the LNS answered it: session {5, 6}.
  bool alice_tunnelled() {
    if (!alice_dials()) return false;
    l2tp.placed[0].up(SessionRef{5, 6});
    return true;
  }

  bool deliver() override {
    bool any = drain(user.out, [&](const Bytes& f) { calls->on_access_frame(id, f); });
    return drain(access.to_user,
                 [&](const auto& m) {
                   EXPECT_EQ(m.first, id);
                   seen_by_user.push_back(m.second);
                   if (client) client->receive(m.second);
                 }) ||
           any;
  }

  FakeL2tp l2tp;
  FakeAccess access;
  std::unique_ptr<LacCalls> calls;
  AccessId id{0, 0x11};
  std::vector<Bytes> seen_by_user;  // every frame the LAC sent the user
};

TEST_F(LacCallsTest, ChapChallengeNamesTheSysname) {
  store.mutable_running().sysname = "LAC-1";
  dial("alice@corp.com", "alicepw");
  run(2s);
  ASSERT_EQ(challenge_names(seen_by_user), std::vector<std::string>{"LAC-1"});
  ASSERT_EQ(l2tp.placed.size(), 1u);

  // A new sysname applies to the next call.
  store.mutable_running().sysname = "LAC-2";
  seen_by_user.clear();
  id = AccessId{0, 0x12};
  dial("alice@corp.com", "alicepw");
  run(2s);
  EXPECT_EQ(challenge_names(seen_by_user), std::vector<std::string>{"LAC-2"});
}

TEST_F(LacCallsTest, ChapChallengeNamesTheTemplatesChapUser) {
  store.mutable_running().sysname = "LAC-1";
  store.mutable_running().virtual_templates[1].chap_user = "lac-auth";
  dial("alice@corp.com", "alicepw");
  run(2s);
  EXPECT_EQ(challenge_names(seen_by_user), std::vector<std::string>{"lac-auth"});
}

TEST_F(LacCallsTest, DomainUserIsTunnelledWithProxyDataAndFramesAreSwitched) {
  ASSERT_TRUE(alice_dials());
  const LacCallRequest& plan = l2tp.placed[0].plan;
  EXPECT_EQ(plan.group, 1);
  EXPECT_EQ(plan.user, "alice@corp.com");
  EXPECT_EQ(plan.interface, "eth1");
  EXPECT_EQ(plan.calling_number, "02:00:00:00:00:01");
  ASSERT_TRUE(plan.proxy.has_value());
  EXPECT_EQ(plan.proxy->auth_type, ppp::ProxyAuthType::chap);
  EXPECT_EQ(plan.proxy->auth_name, "alice@corp.com");
  EXPECT_EQ(plan.proxy->auth_response.size(), 16u);
  EXPECT_FALSE(plan.proxy->auth_challenge.empty());
  EXPECT_TRUE(plan.proxy->has_lcp());
  EXPECT_TRUE(access.terminated.empty());

  // Frames the user sends while the call is placed are held and passed on at hand-over.
  Bytes early{0x80, 0x21, 0x01, 0x07, 0x00, 0x04};
  calls->on_access_frame(id, early);
  EXPECT_TRUE(l2tp.to_peer.empty());
  SessionRef c{5, 6};
  l2tp.placed[0].up(c);
  ASSERT_GE(l2tp.to_peer.size(), 2u);  // the user's own IPCP Configure-Request, then ours
  EXPECT_EQ(l2tp.to_peer[0].second[2], 0x80);
  EXPECT_EQ(l2tp.to_peer.back().second, (Bytes{0xff, 0x03, 0x80, 0x21, 0x01, 0x07, 0x00, 0x04}));
  l2tp.to_peer.clear();
  EXPECT_EQ(access.info[id].state, "Up");
  EXPECT_EQ(access.info[id].l2tp, c);
  EXPECT_EQ(l2tp.info[c].user, "alice@corp.com");
  EXPECT_EQ(l2tp.info[c].interface, "eth1");
  ASSERT_EQ(aaa_->online_users().size(), 1u);  // accounted at the LAC too
  EXPECT_EQ(aaa_->online_users()[0].user, "alice@corp.com");

  // user -> LNS: unchanged, with FF 03 in front.
  Bytes from_user{0x80, 0x21, 0x01, 0x01, 0x00, 0x04};
  calls->on_access_frame(id, from_user);
  ASSERT_FALSE(l2tp.to_peer.empty());
  Bytes expect{0xff, 0x03};
  expect.insert(expect.end(), from_user.begin(), from_user.end());
  EXPECT_EQ(l2tp.to_peer.back().second, expect);
  EXPECT_EQ(l2tp.to_peer.back().first, c);
  // LNS -> user: FF 03 dropped (PPPoE carries none).
  access.to_user.clear();
  Bytes from_lns{0xff, 0x03, 0x00, 0x21, 0x45, 0x00};
  EXPECT_TRUE(calls->on_l2tp_data(c, from_lns));
  ASSERT_EQ(access.to_user.size(), 1u);
  EXPECT_EQ(access.to_user[0].second, (Bytes{0x00, 0x21, 0x45, 0x00}));
  EXPECT_FALSE(calls->on_l2tp_data(SessionRef{9, 9}, from_lns));

  // PADT from the user -> CDN to the LNS, nothing left.
  calls->on_access_down(id);
  timers.run_due();
  ASSERT_EQ(l2tp.hangups.size(), 1u);
  EXPECT_EQ(l2tp.hangups[0].first, c);
  EXPECT_EQ(l2tp.hangups[0].second, HangupCause::user_request);
  EXPECT_TRUE(access.terminated.empty());  // the user already left: no PADT back
  EXPECT_EQ(calls->size(), 0u);
  EXPECT_EQ(calls->counters().tunnelled, 0u);
  EXPECT_TRUE(aaa_->online_users().empty());
  EXPECT_FALSE(calls->on_l2tp_data(c, from_lns));
}

// A data plane that bridges calls (the kernel's PPP channel bridge), as LacCalls sees it.
struct FakeSwitch final : SwitchPort {
  explicit FakeSwitch(FakeL2tp& l) : l2tp(l) {}
  FakeL2tp& l2tp;
  bool accept = true;
  std::vector<std::pair<AccessId, SessionRef>> bridged;
  std::vector<AccessId> unbridged;
  std::size_t hangups_at_unbridge = 99;
  aaa::Counters kernel;
  bool bridge(AccessId u, SessionRef c) override {
    bridged.emplace_back(u, c);
    return accept;
  }
  aaa::Counters counters(AccessId) override { return kernel; }
  aaa::Counters unbridge(AccessId u) override {
    unbridged.push_back(u);
    hangups_at_unbridge = l2tp.hangups.size();
    return kernel;
  }
};

// Once handed over, a bridged call's frames are the data plane's: LacCalls passes the frames
// it held while placing, then leaves the rest (copies the access socket still sees are
// dropped and counted) and, at the end, takes the bridge down before the CDN goes.
TEST_F(LacCallsTest, BridgedCallLeavesItsFramesToTheDataPlaneAndUnbridgesBeforeTheCdn) {
  FakeSwitch sw(l2tp);
  calls->set_switch(&sw);
  dial("alice@corp.com", "alicepw");
  run(2s);
  ASSERT_EQ(l2tp.placed.size(), 1u);
  const Bytes early{0x80, 0x21, 0x01, 0x07, 0x00, 0x04};
  calls->on_access_frame(id, early);
  EXPECT_TRUE(sw.bridged.empty());  // not before the hand-over
  const SessionRef c{5, 6};
  l2tp.placed[0].up(c);
  ASSERT_EQ(sw.bridged.size(), 1u);
  EXPECT_EQ(sw.bridged[0], std::make_pair(id, c));
  ASSERT_FALSE(l2tp.to_peer.empty());
  EXPECT_EQ(l2tp.to_peer.back().second, (Bytes{0xff, 0x03, 0x80, 0x21, 0x01, 0x07, 0x00, 0x04}));
  l2tp.to_peer.clear();
  EXPECT_EQ(calls->counters().bridged, 1u);
  const std::uint64_t switched = calls->counters().frames_to_l2tp;  // the held frames
  calls->on_access_frame(id, Bytes{0x00, 0x21, 0x45, 0x00});
  calls->on_access_frame(id, Bytes{0xc0, 0x21, 0x09, 0x01, 0x00, 0x08, 1, 2, 3, 4});
  EXPECT_TRUE(l2tp.to_peer.empty());
  EXPECT_EQ(calls->counters().drop_bridged, 2u);
  EXPECT_EQ(calls->counters().frames_to_l2tp, switched);
  calls->on_access_down(id);
  timers.run_due();
  ASSERT_EQ(sw.unbridged.size(), 1u);
  EXPECT_EQ(sw.unbridged[0], id);
  EXPECT_EQ(sw.hangups_at_unbridge, 0u);
  EXPECT_EQ(l2tp.hangups.size(), 1u);
  EXPECT_EQ(calls->counters().bridged, 0u);
  EXPECT_EQ(calls->size(), 0u);
}

// A bridge the data plane refuses (the kernel said no): LacCalls switches as before, and
// there is nothing to take down at the end.
TEST_F(LacCallsTest, RefusedBridgeKeepsTheUserSpaceSwitch) {
  FakeSwitch sw(l2tp);
  sw.accept = false;
  calls->set_switch(&sw);
  dial("alice@corp.com", "alicepw");
  run(2s);
  ASSERT_EQ(l2tp.placed.size(), 1u);
  l2tp.placed[0].up(SessionRef{5, 6});
  ASSERT_EQ(sw.bridged.size(), 1u);
  l2tp.to_peer.clear();
  calls->on_access_frame(id, Bytes{0x00, 0x21, 0x45, 0x00});
  ASSERT_EQ(l2tp.to_peer.size(), 1u);
  EXPECT_EQ(calls->counters().bridged, 0u);
  EXPECT_EQ(calls->counters().drop_bridged, 0u);
  EXPECT_TRUE(calls->close(id));
  timers.run_due();
  EXPECT_TRUE(sw.unbridged.empty());
  EXPECT_EQ(l2tp.hangups.size(), 1u);
}

TEST_F(LacCallsTest, CdnFromTheLnsSendsPadt) {
  ASSERT_TRUE(alice_tunnelled());
  l2tp.placed[0].down("peer sent CDN result 3");
  timers.run_due();
  ASSERT_EQ(access.terminated.size(), 1u);
  EXPECT_EQ(access.terminated[0], id);
  EXPECT_TRUE(l2tp.hangups.empty());
  EXPECT_EQ(calls->size(), 0u);
}

TEST_F(LacCallsTest, CloseByTheOperatorHangsUpBothSides) {
  ASSERT_TRUE(alice_tunnelled());
  auto online = aaa_->online_users();
  ASSERT_EQ(online.size(), 1u);
  auto st = calls->status();
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].aaa_session, online[0].index);  // `cut connection ucibindex N` finds the call
  EXPECT_FALSE(calls->close(AccessId{99, 99}));
  EXPECT_TRUE(calls->close(id));
  timers.run_due();
  ASSERT_EQ(l2tp.hangups.size(), 1u);
  EXPECT_EQ(l2tp.hangups[0].second, HangupCause::admin);  // CDN to the LNS
  ASSERT_EQ(access.terminated.size(), 1u);                // PADT to the user
  EXPECT_EQ(calls->size(), 0u);
  EXPECT_TRUE(aaa_->online_users().empty());
}

// `reset l2tp session id N`: services finds the access call by its L2TP session and ends it
// like `cut connection`, so the user gets a PADT and leaves the online list with the CDN.
TEST_F(LacCallsTest, FindL2tpNamesTheAccessCallForReset) {
  ASSERT_TRUE(alice_dials());
  EXPECT_FALSE(calls->find_l2tp(SessionRef{5, 6}).has_value());  // not up yet
  l2tp.placed[0].up(SessionRef{5, 6});
  EXPECT_FALSE(calls->find_l2tp(SessionRef{5, 7}).has_value());
  auto found = calls->find_l2tp(SessionRef{5, 6});
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(*found, id);
  EXPECT_TRUE(calls->close(*found));
  timers.run_due();
  ASSERT_EQ(l2tp.hangups.size(), 1u);
  EXPECT_EQ(l2tp.hangups[0].first, (SessionRef{5, 6}));
  ASSERT_EQ(access.terminated.size(), 1u);
  EXPECT_EQ(access.terminated[0], id);
  EXPECT_TRUE(aaa_->online_users().empty());
  EXPECT_FALSE(calls->find_l2tp(SessionRef{5, 6}).has_value());
}

// A tunnelled user does not use its template's device: removing the template leaves it up.
TEST_F(LacCallsTest, RemovedTemplateLeavesTunnelledUsers) {
  ASSERT_TRUE(alice_tunnelled());
  auto st = calls->status();
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].virtual_template, 1u);
  EXPECT_EQ(calls->close_local_template(1), 0u);
  timers.run_due();
  EXPECT_EQ(calls->size(), 1u);
  EXPECT_TRUE(access.terminated.empty());
  EXPECT_TRUE(l2tp.hangups.empty());
}

TEST_F(LacCallsTest, NoLnsAnsweringEndsTheUserSession) {
  ASSERT_TRUE(alice_dials());
  l2tp.placed[0].down("no LNS answered");
  timers.run_due();
  ASSERT_EQ(access.terminated.size(), 1u);
  EXPECT_EQ(calls->counters().place_failed, 1u);
}

TEST_F(LacCallsTest, PadtWhilePlacingCancelsTheCall) {
  ASSERT_TRUE(alice_dials());
  calls->on_access_down(id);
  EXPECT_TRUE(l2tp.placed[0].cancelled);
  EXPECT_TRUE(l2tp.hangups.empty());
}

TEST_F(LacCallsTest, PlaceCallRefusedEndsTheUser) {
  l2tp.refuse = "l2tp is disabled";
  dial("alice@corp.com", "alicepw");
  run(10s);
  EXPECT_TRUE(l2tp.placed.empty());
  ASSERT_EQ(access.terminated.size(), 1u);
  EXPECT_EQ(calls->size(), 0u);
}

TEST_F(LacCallsTest, FullUserNameIsCheckedLocally) {
  dial("carol@x.com", "wrong");
  run(10s);
  EXPECT_TRUE(l2tp.placed.empty());
  ASSERT_EQ(access.terminated.size(), 1u);
  EXPECT_FALSE(user.up.has_value());
}

TEST_F(LacCallsTest, FullUserNameWithTheRightPasswordUsesItsGroup) {
  dial("carol@x.com", "carolpw");
  run(2s);
  ASSERT_EQ(l2tp.placed.size(), 1u);
  EXPECT_EQ(l2tp.placed[0].plan.group, 2);
}

TEST_F(LacCallsTest, NotAVpdnUserWithoutLocalAddressIsRefused) {
  dial("bob@other.com", "bobpw");
  run(10s);
  EXPECT_TRUE(l2tp.placed.empty());
  ASSERT_EQ(access.terminated.size(), 1u);
  EXPECT_EQ(calls->counters().refused, 1u);
  EXPECT_FALSE(user.up.has_value());
}

TEST_F(LacCallsTest, NotAVpdnUserIsTerminatedLocallyWhenTheTemplateHasAPool) {
  terminate_non_vpdn_users_locally();
  dial("bob@other.com", "bobpw");
  run(3s);
  EXPECT_TRUE(l2tp.placed.empty());
  ASSERT_TRUE(user.up.has_value());
  EXPECT_EQ(user.up->local_address.to_string(), "172.16.0.10");
  EXPECT_TRUE(ip.routes.count(user.up->local_address.value));
  EXPECT_EQ(calls->counters().local, 1u);
  calls->on_access_down(id);
  timers.run_due();
  EXPECT_TRUE(ip.routes.empty());
  EXPECT_EQ(aaa_->pool_status("p")[0].in_use, 0u);
}

// `undo interface virtual-template 1` with a locally terminated user on it: PADT, the
// address back to the pool, the route and the online user gone at once.
TEST_F(LacCallsTest, RemovedTemplateEndsItsLocalUsers) {
  terminate_non_vpdn_users_locally();
  dial("bob@other.com", "bobpw");
  run(3s);
  ASSERT_TRUE(user.up.has_value());
  ASSERT_EQ(aaa_->online_users().size(), 1u);
  EXPECT_EQ(calls->close_local_template(2), 0u);
  EXPECT_EQ(calls->size(), 1u);
  EXPECT_EQ(calls->close_local_template(1), 1u);
  timers.run_due();
  EXPECT_EQ(calls->size(), 0u);
  ASSERT_EQ(access.terminated.size(), 1u);
  EXPECT_EQ(access.terminated[0], id);
  EXPECT_TRUE(ip.routes.empty());
  EXPECT_EQ(aaa_->pool_status("p")[0].in_use, 0u);
  EXPECT_TRUE(aaa_->online_users().empty());
  EXPECT_EQ(calls->counters().local, 0u);
}

// A locally terminated user renegotiates LCP (and re-authenticates): still one session,
// counted once, one route, one online user with the same accounting session.
TEST_F(LacCallsTest, LocalUserRenegotiatingKeepsOneSession) {
  terminate_non_vpdn_users_locally();
  dial("bob@other.com", "bobpw");
  run(3s);
  ASSERT_TRUE(user.up.has_value());
  const auto online = aaa_->online_users();
  ASSERT_EQ(online.size(), 1u);
  user.up.reset();
  Bytes confreq{0xc0, 0x21, 0x01, 0x77, 0x00, 0x04};  // LCP Configure-Request, no options
  calls->on_access_frame(id, confreq);
  run(5s);
  ASSERT_TRUE(user.up.has_value()) << "the user's PPP did not come back up";
  EXPECT_EQ(user.up->local_address.to_string(), "172.16.0.10");
  EXPECT_EQ(calls->counters().local, 1u);
  EXPECT_EQ(ip.routes.size(), 1u);
  const auto again = aaa_->online_users();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].acct_session_id, online[0].acct_session_id);
  calls->on_access_down(id);
  timers.run_due();
  EXPECT_TRUE(ip.routes.empty());
  EXPECT_TRUE(aaa_->online_users().empty());
  EXPECT_EQ(calls->counters().local, 0u);
  EXPECT_EQ(aaa_->pool_status("p")[0].in_use, 0u);
}

// ---- the whole chain in one process -------------------------------------------------------

// L2TP between LacCalls and LnsCalls: what one side sends, the other receives.
class Bridge {
 public:
  struct Side final : L2tpPort {
    Bridge* b = nullptr;
    bool lac = false;
    void send_ppp(SessionRef c, ByteView f) override {
      (lac ? b->to_lns : b->to_lac).emplace_back(c, Bytes(f.begin(), f.end()));
    }
    void hang_up(SessionRef c, HangupCause) override {
      if (lac) {
        if (b->lns) b->lns->on_call_down(c);
      } else if (b->lac_down) {
        auto down = std::move(b->lac_down);
        down("CDN from LNS");
      }
      ++b->cdns;
    }
    void set_call_info(SessionRef c, const std::string& u, std::optional<Ipv4> a,
                       const std::string&, const std::string& m) override {
      if (!lac) b->lns_info = {u, a, m, ""};
      (void)c;
    }
    Result<CallHandle, std::string> place_call(LacCallRequest p, LacCallbacks cb) override {
      SessionRef c{100, 200};
      b->lac_down = [on_down = std::move(cb.on_down)](std::string reason) {
        SessionEnd end;
        end.reason = std::move(reason);
        on_down(end);
      };
      cb.on_up(c);
      IncomingSession in = incoming_call(c);
      in.proxy = p.proxy;
      in.peer_name = "LAC";
      b->lns->on_call_up(in);
      return 1;
    }
    void cancel_call(CallHandle) override {}
  };
  Bridge() {
    lac_side.b = this;
    lac_side.lac = true;
    lns_side.b = this;
  }
  Side lac_side, lns_side;
  LnsCalls* lns = nullptr;
  LacCalls* lac = nullptr;
  std::deque<std::pair<SessionRef, Bytes>> to_lns, to_lac;
  std::function<void(std::string)> lac_down;
  FakeL2tp::Info lns_info;
  int cdns = 0;
};

class CallsChainTest : public ::testing::TestWithParam<std::pair<bool, bool>> {
 protected:
  CallsChainTest() {
    lac_config(lac_store.mutable_running());
    lns_config(lns_store.mutable_running(), GetParam().first, GetParam().second);
    lac_aaa = std::make_unique<aaa::Aaa>(lac_store, timers, radius);
    lns_aaa = std::make_unique<aaa::Aaa>(lns_store, timers, radius);
    lac = std::make_unique<LacCalls>(lac_store, timers, *lac_aaa, bridge.lac_side, access, lac_ip);
    lns = std::make_unique<LnsCalls>(lns_store, timers, *lns_aaa, bridge.lns_side, lns_ip);
    lac->set_random(counter_random(1));
    lns->set_random(counter_random(50));
    bridge.lns = lns.get();
    bridge.lac = lac.get();
  }
  // The LNS side goes first (its CDNs still reach the LAC's calls); the LAC's calls, ended
  // by its destructor, must then not reach the LNS calls that are gone.
  ~CallsChainTest() override {
    lns.reset();
    bridge.lns = nullptr;
  }
  void pump() {
    for (int i = 0; i < 1000; ++i) {
      bool any = drain(user.out, [&](const Bytes& f) { lac->on_access_frame(id, f); });
      any = drain(access.to_user,
                  [&](const auto& m) {
                    seen_by_user.push_back(m.second);
                    if (client) client->receive(m.second);
                  }) ||
            any;
      any =
          drain(bridge.to_lns, [&](const auto& m) { lns->on_l2tp_data(m.first, m.second); }) || any;
      any =
          drain(bridge.to_lac, [&](const auto& m) { lac->on_l2tp_data(m.first, m.second); }) || any;
      timers.run_due();
      if (!any) break;
    }
  }
  void run(Duration d) {
    run_for(timers, d, 100, [this] { pump(); });
  }
  void dial(const std::string& pw) {
    client = std::make_unique<ppp::PppSession>(pppoe_user("alice@corp.com", pw, 150), user, user,
                                               timers);
    lac->on_access_up(pppoe_call(id));
    client->start();
  }

  ManualTimerService timers;
  NoRadius radius;
  config::ConfigStore lac_store, lns_store;
  std::unique_ptr<aaa::Aaa> lac_aaa, lns_aaa;
  Bridge bridge;
  FakeAccess access;
  FakeIp lac_ip, lns_ip;
  User user;
  std::unique_ptr<LacCalls> lac;
  std::unique_ptr<LnsCalls> lns;
  std::unique_ptr<ppp::PppSession> client;
  AccessId id{0, 3};
  std::vector<Bytes> seen_by_user;
};

TEST_P(CallsChainTest, LnsChallengesWithItsSysname) {
  lac_store.mutable_running().sysname = "LAC";
  lns_store.mutable_running().sysname = "LNS";
  dial("alicepw");
  run(20s);
  ASSERT_TRUE(user.up.has_value());
  // The LAC challenges first; the LNS challenges again only when it renegotiates.
  std::vector<std::string> want{"LAC"};
  if (GetParam().first || GetParam().second) want.push_back("LNS");
  EXPECT_EQ(challenge_names(seen_by_user), want);
}

TEST_P(CallsChainTest, UserReachesTheLnsAndPacketsFlow) {
  dial("alicepw");
  run(20s);
  ASSERT_TRUE(user.up.has_value()) << "user PPP not up through LAC and LNS";
  Ipv4 addr = user.up->local_address;
  EXPECT_EQ(addr.to_string(), "192.168.0.10");
  EXPECT_EQ(bridge.lns_info.user, "alice@corp.com");
  EXPECT_EQ(bridge.lns_info.address, addr);
  bool mandatory = GetParam().first || GetParam().second;
  EXPECT_EQ(bridge.lns_info.method.rfind("proxy", 0) == 0, !mandatory) << bridge.lns_info.method;
  EXPECT_TRUE(lns_ip.routes.count(addr.value));

  // corp -> user through LNS TUN, L2TP, LAC switch, PPPoE.
  Bytes pkt = ip_packet(*Ipv4::parse("10.9.9.9"), addr);
  lns->on_tun_packet(1, pkt);
  ASSERT_EQ(bridge.to_lac.size(), 1u);
  auto [c, f] = bridge.to_lac.front();
  bridge.to_lac.clear();
  EXPECT_TRUE(lac->on_l2tp_data(c, f));
  ASSERT_EQ(access.to_user.size(), 1u);
  EXPECT_EQ(client->receive(access.to_user[0].second), ppp::Disposition::ip);
  access.to_user.clear();

  // The user hangs up (PADT): CDN reaches the LNS, whose route and lease go.
  lac->on_access_down(id);
  timers.run_due();
  EXPECT_TRUE(lns_ip.routes.empty());
  EXPECT_EQ(lns_aaa->pool_status("1")[0].in_use, 0u);
  EXPECT_EQ(lns->size(), 0u);
  EXPECT_EQ(lac->size(), 0u);
}

TEST_P(CallsChainTest, WrongPasswordFailsAtTheLnsAndEverythingEnds) {
  dial("wrong");  // the LAC only recognises the domain; the LNS checks the password
  run(30s);
  EXPECT_FALSE(user.up.has_value());
  EXPECT_EQ(lns->size(), 0u);
  EXPECT_EQ(lac->size(), 0u);
  EXPECT_FALSE(access.terminated.empty());
  EXPECT_TRUE(lns_ip.routes.empty());
  EXPECT_EQ(lns_aaa->pool_status("1")[0].in_use, 0u);
}

TEST_P(CallsChainTest, RefusedCallIsLoggedWithTheUserName) {
  std::vector<std::string> lns_down;
  auto& bus = LogBus::instance();
  bus.set_stderr(false);
  auto sink = bus.subscribe([&](const LogRecord& r) {
    if (!r.is_debug && r.text.rfind("call=", 0) == 0 &&
        r.text.find(" PPP down ") != std::string::npos)
      lns_down.push_back(r.text);
  });
  dial("wrong");
  run(30s);
  bus.unsubscribe(sink);
  bus.set_stderr(true);
  ASSERT_EQ(lns_down.size(), 1u);
  EXPECT_NE(lns_down[0].find(" user=alice@corp.com PPP down reason=auth-failed"), std::string::npos)
      << lns_down[0];
}

INSTANTIATE_TEST_SUITE_P(Modes, CallsChainTest,
                         ::testing::Values(std::pair{false, false}, std::pair{true, false},
                                           std::pair{false, true}),
                         [](const auto& info) {
                           return std::string(info.param.second  ? "MandatoryLcp"
                                              : info.param.first ? "MandatoryChap"
                                                                 : "ProxyOnly");
                         });

}  // namespace
}  // namespace vpdnd::vpdn
