// Fakes shared by the calls tests: L2TP, TUN and PPPoE ports that record what they get,
// the RADIUS client of local-only tests (tests/support), and a PPP user (client-mode PppSession)
// harness.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/ipv4_packet.hpp"
#include "tests/support/no_radius.hpp"
#include "tests/vpdn_calls/harness.hpp"
#include "vpdn/calls.hpp"

namespace vpdnd::vpdn {
namespace {

using test::NoRadius;

struct FakeL2tp final : L2tpPort {
  std::deque<std::pair<SessionRef, Bytes>> to_peer;
  std::vector<std::pair<SessionRef, HangupCause>> hangups;
  struct Info {
    std::string user;
    std::optional<Ipv4> address;
    std::string method;
    std::string interface;
  };
  std::map<SessionRef, Info> info;
  void send_ppp(SessionRef c, ByteView f) override {
    to_peer.emplace_back(c, Bytes(f.begin(), f.end()));
  }
  void hang_up(SessionRef c, HangupCause why) override { hangups.emplace_back(c, why); }
  std::map<SessionRef, std::uint32_t> tags;
  void set_session_tag(SessionRef c, std::uint32_t tag) override { tags[c] = tag; }
  struct Placed {
    LacCallRequest plan;
    std::function<void(SessionRef)> up;
    std::function<void(std::string)> down;  // the engine's SessionEnd with this reason
    bool cancelled = false;
  };
  std::vector<Placed> placed;
  std::string refuse;  // non-empty: place_call fails with it
  Result<CallHandle, std::string> place_call(LacCallRequest p, LacCallbacks cb) override {
    if (!refuse.empty()) return unexpected(refuse);
    auto down = [on_down = std::move(cb.on_down)](std::string reason) {
      SessionEnd end;
      end.reason = std::move(reason);
      on_down(end);
    };
    placed.push_back({std::move(p), std::move(cb.on_up), std::move(down)});
    return placed.size();
  }
  void cancel_call(CallHandle h) override { placed.at(h - 1).cancelled = true; }
  void set_call_info(SessionRef c, const std::string& u, std::optional<Ipv4> a,
                     const std::string& i, const std::string& m) override {
    info[c] = {u, a, m, i};
  }
};

struct FakeIp final : IpPort {
  bool has_device = true;
  std::set<std::uint32_t> routes;
  std::vector<Bytes> written;
  bool add_host_route(std::uint16_t vt, Ipv4 a) override {
    EXPECT_EQ(vt, 1);
    if (!has_device) return false;
    return routes.insert(a.value).second;
  }
  void remove_host_route(std::uint16_t, Ipv4 a) override { routes.erase(a.value); }
  void write_ip(std::uint16_t, ByteView p) override { written.emplace_back(p.begin(), p.end()); }
  // What a kernel data plane counted for the up call; handed over (and zeroed) when it
  // leaves the data plane.
  aaa::Counters data;
  aaa::Counters data_counters(SessionRef) override { return data; }
  aaa::Counters session_ip_down(SessionRef, std::uint16_t, Ipv4) override {
    return std::exchange(data, aaa::Counters{});
  }
};

// The user's side: a PPP client whose frames go to LnsCalls as L2TP data.
struct User final : ppp::PppLowerLayer, ppp::PppListener {
  std::deque<Bytes> out;
  std::optional<ppp::SessionUpInfo> up;
  std::optional<ppp::DownReason> down;
  void send(ByteView f) override { out.emplace_back(f.begin(), f.end()); }
  void on_ready_to_tunnel(const ppp::ProxyData&, const ppp::AuthResult&) override {}
  void on_up(const ppp::SessionUpInfo& i) override { up = i; }
  void on_down(ppp::DownReason r, std::string_view) override { down = r; }
};

// An ICMP-protocol packet (header only).
[[maybe_unused]] Bytes ip_packet(Ipv4 src, Ipv4 dst) {
  return test::ipv4_packet(src, dst, 1);
}

struct FakeAccess final : AccessPort {
  std::deque<std::pair<AccessId, Bytes>> to_user;
  std::vector<AccessId> terminated;
  struct Info {
    std::string state, user;
    SessionRef l2tp;
  };
  std::map<AccessId, Info> info;
  void send_ppp(AccessId id, ByteView f) override {
    to_user.emplace_back(id, Bytes(f.begin(), f.end()));
  }
  void terminate(AccessId id) override { terminated.push_back(id); }
  void set_access_info(AccessId id, const std::string& s, const std::string& u,
                       SessionRef c) override {
    info[id] = {s, u, c};
  }
};

// The calls fixtures' common part: configuration, virtual time, AAA without RADIUS (made by
// the fixture once it has configured). deliver() hands every queued frame on once (whether
// there was any); pump() repeats that, with the timers it makes due, until quiet; run(d)
// pumps through `d` of virtual time.
class CallsTest : public ::testing::Test {
 protected:
  virtual bool deliver() = 0;
  void pump() {
    for (int i = 0; i < 1000 && deliver(); ++i) timers.run_due();
  }
  void run(Duration d) {
    run_for(timers, d, 50, [this] { pump(); });
  }

  config::ConfigStore store;
  ManualTimerService timers;
  NoRadius radius;
  std::unique_ptr<aaa::Aaa> aaa_;
};

// A calls fixture with one dialling user: `client` is the user's PPP, its frames in `user`;
// `ip` is the box's TUN.
class UserCallsTest : public CallsTest {
 protected:
  FakeIp ip;
  User user;
  std::unique_ptr<ppp::PppSession> client;
};

}  // namespace
}  // namespace vpdnd::vpdn
