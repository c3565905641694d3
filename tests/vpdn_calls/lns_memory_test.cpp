// Heap held per established LNS call (RSS per session at 10,000 sessions): the
// LnsCalls call glue, its PppSession, the AAA session and the pool lease, measured with a
// counting operator new (tests/vpdn_calls/heap_count.hpp). The users are client-mode
// PppSessions on their own timer service, paused while they run, so only the LNS side is
// counted. A bound per call catches a regression (e.g. the call copying the template or
// the incoming-call record again); after the calls end the heap must be back where it was.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/log.hpp"
#include "tests/support/no_radius.hpp"
#include "tests/vpdn_calls/config.hpp"
#include "tests/vpdn_calls/harness.hpp"
#include "tests/vpdn_calls/heap_count.hpp"
#include "vpdn/calls.hpp"

namespace vpdnd::vpdn {
namespace {

namespace hc = heap_count;

struct Wire final : L2tpPort {
  std::deque<std::pair<SessionRef, Bytes>> to_peer;
  std::size_t hangups = 0;
  void send_ppp(SessionRef c, ByteView f) override {
    to_peer.emplace_back(c, Bytes(f.begin(), f.end()));
  }
  void hang_up(SessionRef, HangupCause) override { ++hangups; }
  // What the engine keeps of this is the engine's (measured in vpdn_engine_memory_test).
  void set_call_info(SessionRef, const std::string&, std::optional<Ipv4>, const std::string&,
                     const std::string&) override {}
  Result<CallHandle, std::string> place_call(LacCallRequest, LacCallbacks) override {
    return unexpected(std::string("not a LAC"));
  }
  void cancel_call(CallHandle) override {}
};

struct Tun final : IpPort {
  bool add_host_route(std::uint16_t, Ipv4) override { return true; }
  void remove_host_route(std::uint16_t, Ipv4) override {}
  void write_ip(std::uint16_t, ByteView) override {}
};

// One dial-in user: a client PppSession whose frames go to LnsCalls.
struct User final : ppp::PppLowerLayer, ppp::PppListener {
  std::deque<Bytes> out;
  bool up = false, down = false;
  std::unique_ptr<ppp::PppSession> ppp;
  void send(ByteView f) override { out.emplace_back(f.begin(), f.end()); }
  void on_ready_to_tunnel(const ppp::ProxyData&, const ppp::AuthResult&) override {}
  void on_up(const ppp::SessionUpInfo&) override { up = true; }
  void on_down(ppp::DownReason, std::string_view) override { down = true; }
};

// A bare LNS-mode PppSession (what LnsCalls builds, without the glue) and its user: what
// the PPP session alone holds per session, so the glue's share can be told apart from it
// (ppp/core changes under its own owner).
struct BarePair final : ppp::PppLowerLayer,
                        ppp::PppListener,
                        ppp::Authenticator,
                        ppp::AddressProvider {
  BarePair(ManualTimerService& t, std::uint32_t n) : timers(t), address{0x0ac80000u + n} {}
  ManualTimerService& timers;
  Ipv4 address;
  User user;
  std::deque<Bytes> to_user;
  std::unique_ptr<ppp::PppSession> lns;
  bool up = false;
  void send(ByteView f) override { to_user.emplace_back(f.begin(), f.end()); }
  void on_ready_to_tunnel(const ppp::ProxyData&, const ppp::AuthResult&) override {}
  void on_up(const ppp::SessionUpInfo&) override { up = true; }
  void on_down(ppp::DownReason, std::string_view) override {}
  Handle authenticate(const ppp::AuthRequest&, Done done) override {
    // Answered from a zero-delay timer, as aaa::Aaa does for local users.
    return timers.schedule(Duration::zero(), [done = std::move(done)] {
      ppp::AuthResult r;
      r.accepted = true;
      r.message = "Welcome";
      done(r);
    });
  }
  void cancel(Handle h) override { timers.cancel(h); }
  std::optional<Ipv4> acquire(const std::string&, const ppp::AuthResult&) override {
    return address;
  }
  void release(Ipv4) override {}
};

// Dial-in user `n` (user1234/pw). The LNS's magic numbers are 01 02 03 04 (its set_random):
// the users' never match them (high bit set), or LCP would see a loop.
ppp::SessionConfig numbered_user(int n) {
  return user_config("user1234", "pw", counter_random(static_cast<std::uint8_t>(n), 0x80));
}

class LnsMemoryTest : public ::testing::Test {
 protected:
  LnsMemoryTest() {
    LogBus::instance().set_stderr(false);  // thousands of session lines
    using namespace test_config;
    auto& c = store.mutable_running();
    serving_template(c, 1, "10.200.0.1", "255.255.0.0", "1");
    ip_pool(c, "1", "10.200.0.10", "10.200.255.250");
    domain(c, "system");
    ppp_user(c, "user1234", "pw");
    lns_group(c, 1, 1);
    aaa_ = std::make_unique<aaa::Aaa>(store, timers, radius);
    calls = std::make_unique<LnsCalls>(store, timers, *aaa_, wire, tun);
    calls->set_random(counter_random(1));
  }
  ~LnsMemoryTest() override {
    LogBus::instance().set_stderr(true);
    calls.reset();
    hc::Paused p;
    users.clear();
  }

  void dial(std::uint16_t n) {
    SessionRef id{1, n};
    {
      hc::Paused p;
      auto& u = users[id];
      u = std::make_unique<User>();
      u->ppp = std::make_unique<ppp::PppSession>(numbered_user(n), *u, *u, user_timers);
    }
    calls->on_call_up(incoming_call(id));
    hc::Paused p;
    users[id]->ppp->start();
  }

  // Frames both ways until quiet; the users (and their timers) are not counted.
  void pump() {
    for (int i = 0; i < 100000; ++i) {
      bool moved = false;
      for (auto& [id, u] : users) {
        while (!u->out.empty()) {
          Bytes f;
          {
            hc::Paused p;
            f = std::move(u->out.front());
            u->out.pop_front();
          }
          calls->on_l2tp_data(id, f);
          hc::Paused p;
          f = Bytes();
          moved = true;
        }
      }
      while (!wire.to_peer.empty()) {
        auto [c, f] = std::move(wire.to_peer.front());
        wire.to_peer.pop_front();
        hc::Paused p;
        if (auto it = users.find(c); it != users.end()) it->second->ppp->receive(f);
        moved = true;
      }
      timers.run_due();
      {
        hc::Paused p;
        user_timers.run_due();
      }
      if (!moved && wire.to_peer.empty()) break;
    }
  }
  void run(Duration d) {
    for (int i = 0; i < 20; ++i) {
      pump();
      timers.advance(d / 20);
      hc::Paused p;
      user_timers.advance(d / 20);
    }
    pump();
  }
  // Heap per session of `n` bare LNS PppSessions brought up (counted: the LNS sessions).
  std::int64_t bare_ppp_bytes(int n) {
    std::vector<std::unique_ptr<BarePair>> pairs;
    const auto& t = store.running().virtual_templates.at(1);
    auto make = [&](int i) {
      {
        hc::Paused p;
        pairs.push_back(std::make_unique<BarePair>(timers, static_cast<std::uint32_t>(i)));
        auto& b = *pairs.back();
        b.user.ppp =
            std::make_unique<ppp::PppSession>(numbered_user(i), b.user, b.user, user_timers);
      }
      auto& b = *pairs.back();
      ppp::SessionConfig sc = ppp::config_from_template(t);
      sc.mode = ppp::SessionMode::lns;
      sc.tag = "l2tp 1/" + std::to_string(i);
      std::uint8_t seed = 1;
      sc.random = [seed](std::span<std::uint8_t> out) mutable {
        for (auto& x : out) x = seed++;
      };
      b.lns = std::make_unique<ppp::PppSession>(std::move(sc), b, b, timers, &b, &b);
      b.lns->start();
      hc::Paused p;
      b.user.ppp->start();
    };
    auto settle = [&] {
      for (int round = 0; round < 100000; ++round) {
        bool moved = false;
        for (auto& b : pairs) {
          while (!b->user.out.empty()) {
            Bytes f;
            {
              hc::Paused p;
              f = std::move(b->user.out.front());
              b->user.out.pop_front();
            }
            b->lns->receive(f);
            hc::Paused p;
            f = Bytes();
            moved = true;
          }
          while (!b->to_user.empty()) {
            hc::Paused p;
            Bytes f = std::move(b->to_user.front());
            b->to_user.pop_front();
            b->user.ppp->receive(f);
            moved = true;
          }
        }
        timers.run_due();
        {
          hc::Paused p;
          user_timers.run_due();
        }
        if (!moved) break;
      }
    };
    make(0);  // warm-up
    settle();
    std::int64_t before = 0, after = 0;
    {
      hc::Counting counting;
      before = hc::live();
      for (int i = 1; i <= n; ++i) make(i);
      for (int i = 0; i < 20; ++i) {
        settle();
        timers.advance(100ms);
        hc::Paused p;
        user_timers.advance(100ms);
      }
      settle();
      after = hc::live();
    }
    std::size_t up = 0;
    for (auto& b : pairs) up += b->up && b->user.up;
    EXPECT_EQ(up, static_cast<std::size_t>(n + 1)) << "not every bare PPP session came up";
    {
      hc::Counting counting;
      for (auto& b : pairs) b->lns.reset();
      timers.run_due();
    }
    hc::Paused p;
    pairs.clear();
    return (after - before) / n;
  }

  std::size_t users_up() const {
    std::size_t n = 0;
    for (auto& [id, u] : users) n += u->up;
    return n;
  }

  config::ConfigStore store;
  ManualTimerService timers;
  ManualTimerService user_timers;
  test::NoRadius radius{false};  // nothing kept: the heap is counted
  Wire wire;
  Tun tun;
  std::unique_ptr<aaa::Aaa> aaa_;
  std::unique_ptr<LnsCalls> calls;
  std::map<SessionRef, std::unique_ptr<User>> users;
};

// What the call glue (LnsCalls::Call and its table entries, the AAA session record, the
// pool lease) may hold per established call, on top of the PppSession. Measured
// 2026-11-26: 557 B (it was about 1,750 B when the call copied the virtual template
// and the IncomingSession and the AAA record held eight std::strings).
constexpr std::int64_t kMaxGlueBytesPerCall = 700;

TEST_F(LnsMemoryTest, EstablishedCallHeapStaysUnderBound) {
  constexpr int kCalls = 300;
  // First the PPP session alone, then the same through LnsCalls.
  const std::int64_t ppp = bare_ppp_bytes(kCalls);
  // Warm-up: one call up before counting, so one-time costs (buffers, the pool's tables,
  // first bucket arrays) are not charged to the measured calls.
  dial(1);
  run(2s);
  ASSERT_EQ(users_up(), 1u);

  std::int64_t before = 0, after = 0, blocks = 0;
  {
    hc::Counting counting;
    before = hc::live();
    const auto blocks_before = hc::blocks();
    for (int i = 0; i < kCalls; ++i) dial(static_cast<std::uint16_t>(100 + i));
    run(2s);
    after = hc::live();
    blocks = hc::blocks() - blocks_before;
  }
  ASSERT_EQ(users_up(), static_cast<std::size_t>(kCalls + 1)) << "not every call came up";
  ASSERT_EQ(calls->counters().calls_up, static_cast<std::uint64_t>(kCalls + 1));
  ASSERT_EQ(aaa_->session_count(), static_cast<std::size_t>(kCalls + 1));
  const std::int64_t per_call = (after - before) / kCalls;
  if (std::getenv("HEAP_COUNT_HISTOGRAM")) std::printf("%s", hc::histogram().c_str());
  const std::string live_blocks = hc::histogram();
  const std::int64_t glue = per_call - ppp;
  std::printf(
      "LNS heap per established call: %lld bytes in %.1f blocks, of which the "
      "PppSession %lld and the call glue + AAA %lld\n",
      static_cast<long long>(per_call), static_cast<double>(blocks) / kCalls,
      static_cast<long long>(ppp), static_cast<long long>(glue));
  EXPECT_GT(ppp, 0);
  EXPECT_GT(glue, 0);
  EXPECT_LE(glue, kMaxGlueBytesPerCall) << "live blocks per call:\n" << live_blocks;

  // Everything the measured calls held is given back when they end.
  std::int64_t left_blocks = 0;
  {
    hc::Counting counting;
    const auto blocks_before = hc::blocks();
    calls->close_all();
    run(2s);
    timers.advance(10s);
    left_blocks = hc::blocks() - blocks_before + blocks;
  }
  EXPECT_EQ(calls->size(), 0u);
  EXPECT_EQ(aaa_->session_count(), 0u);
  // Tables keep their capacity (bucket arrays, vectors): a few blocks may stay, not one
  // per call.
  EXPECT_LE(left_blocks, 16) << "calls leave blocks behind:\n" << hc::histogram();
}

}  // namespace
}  // namespace vpdnd::vpdn
