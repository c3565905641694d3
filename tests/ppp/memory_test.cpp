// Heap held by one established PppSession (an LNS keeps tens of thousands).
//
// This binary replaces the global operator new/delete (that is why it is a test binary of
// its own) and counts live bytes with malloc_usable_size, so the figure is exact and
// deterministic: the bytes an established session holds are the bytes its destruction
// frees (its Impl, strings, policies if any, its armed timers' queue entries). A glibc
// chunk costs usable size + 8, which is what "chunk bytes" adds; under ASan usable size is
// the requested size, so the budgets hold a fortiori.
#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <new>

#include "ppp/ppp.hpp"
#include "tests/ppp/virtual_link.hpp"

namespace {
bool g_counting = false;
long long g_live_bytes = 0;
long long g_live_chunks = 0;

void* counted_alloc(std::size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (!p) throw std::bad_alloc();
  if (g_counting) {
    g_live_bytes += static_cast<long long>(malloc_usable_size(p));
    ++g_live_chunks;
  }
  return p;
}
void counted_free(void* p) noexcept {
  if (!p) return;
  if (g_counting) {
    g_live_bytes -= static_cast<long long>(malloc_usable_size(p));
    if (std::getenv("PPP_MEMORY_TRACE"))
      std::fprintf(stderr, "  free %zu\n", malloc_usable_size(p));
    --g_live_chunks;
  }
  std::free(p);
}
}  // namespace

void* operator new(std::size_t n) {
  return counted_alloc(n);
}
void* operator new[](std::size_t n) {
  return counted_alloc(n);
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return counted_alloc(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return counted_alloc(n);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept {
  counted_free(p);
}
void operator delete[](void* p) noexcept {
  counted_free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  counted_free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  counted_free(p);
}

namespace vpdnd::ppp {
namespace {

struct Wire : PppLowerLayer {
  std::deque<Bytes> queue;
  void send(ByteView f) override { queue.emplace_back(f.begin(), f.end()); }
};

struct Events : PppListener {
  std::optional<ProxyData> proxy;
  bool up = false;
  bool down = false;
  void on_ready_to_tunnel(const ProxyData& p, const AuthResult&) override { proxy = p; }
  void on_up(const SessionUpInfo&) override { up = true; }
  void on_down(DownReason, std::string_view) override { down = true; }
};

// Accepts alice with a result as a RADIUS/local AAA gives it (message, no timeouts).
struct Auth : Authenticator {
  Handle authenticate(const AuthRequest& r, Done done) override {
    AuthResult res;
    res.accepted =
        r.method == AuthMethod::pap
            ? r.password == "alicepw"
            : chap_md5_response(r.chap_id, "alicepw", r.chap_challenge) == r.chap_response;
    res.message = res.accepted ? "Authentication success" : "Denied";
    done(std::move(res));
    return 1;
  }
  void cancel(Handle) override {}
};

// Releases without allocating (a vector push would be counted in the destruction).
struct Pool : AddressProvider {
  std::uint32_t next = 0x0a00000a;
  int released = 0;
  std::optional<Ipv4> acquire(const std::string&, const AuthResult&) override {
    return Ipv4{next++};
  }
  void release(Ipv4) override { ++released; }
};

// The user side and one server session, as an LNS (or a PPPoE box) runs them: server
// config as vpdn/calls/lns.cpp builds it (config_from_template + mode + tag, no injected
// RNG), the user as vpdn-dial's client.
struct Link {
  ManualTimerService timers;
  Auth auth;
  Pool pool;
  Wire to_user, to_server;
  Events user_ev, server_ev;
  std::unique_ptr<PppSession> user, server;

  void pump() {
    EXPECT_TRUE(deliver_until_quiet({
        to_session(to_server.queue, server),
        to_session(to_user.queue, user),
    })) << "link never went quiet";
  }
  void run(Duration d) {
    run_in_steps(timers, d, [this] { pump(); });
  }
  // A server on `server_cfg` and a user on `user_cfg`, both started, the link
  // then run until it goes quiet.
  void connect(SessionConfig server_cfg, SessionConfig user_cfg) {
    server = std::make_unique<PppSession>(std::move(server_cfg), to_user, server_ev, timers, &auth,
                                          &pool);
    user = std::make_unique<PppSession>(std::move(user_cfg), to_server, user_ev, timers);
    server->start();
    user->start();
    pump();
  }
};

SessionConfig lns_config() {
  SessionConfig c;
  c.mode = SessionMode::lns;
  c.auth_methods = {AuthMethod::chap_md5};
  c.local_address = *Ipv4::parse("10.200.0.1");
  c.tag = "l2tp 12345/54321";  // as long as LnsCalls makes them
  return c;
}

SessionConfig user_config() {
  SessionConfig c;
  c.mode = SessionMode::client;
  c.user = "alice";
  c.password = "alicepw";
  c.tag = "user";
  return c;
}

struct Held {
  long long bytes = 0;   // usable bytes freed by destroying the session
  long long chunks = 0;  // allocations freed
  long long malloc_bytes() const { return bytes + 8 * chunks; }  // glibc chunk headers
};

// Destroys the server session and returns what that freed (the session must be up and its
// link quiet). Counting runs only around the destruction.
Held destroy_server(Link& l) {
  l.pump();
  g_live_bytes = 0;
  g_live_chunks = 0;
  g_counting = true;
  l.server.reset();
  g_counting = false;
  Held h{-g_live_bytes, -g_live_chunks};
  std::printf("established session holds %lld B in %lld allocations (%lld B of malloc chunks)\n",
              h.bytes, h.chunks, h.malloc_bytes());
  return h;
}

// What an established LNS session may hold (2 KiB per session for the whole LNS;
// this is the PPP share), counting the PppSession, its Impl, its strings and its armed echo
// timer's TimerQueue entry (one hash node and a heap slot since the queue became a heap;
// two map nodes, ~160 B, before). Before the compact representation (policies freed, no
// config copy...) the same session held 2,544 B (2,640 B with proxy LCP) in 19
// allocations; then 832 B in 5 (Impl 600 B); 704 B in 4 with the heap timer queue.
constexpr long long kEstablishedBudget = 760;

TEST(PppMemory, EstablishedLnsSessionWithoutProxyIsSmall) {
  Link l;
  l.connect(lns_config(), user_config());
  l.run(25s);  // a few echo rounds: nothing accumulates
  ASSERT_TRUE(l.server_ev.up);
  ASSERT_EQ(l.server->ipcp_state(), "Opened");
  Held h = destroy_server(l);
  EXPECT_LE(h.malloc_bytes(), kEstablishedBudget);
  EXPECT_EQ(l.pool.released, 1);
}

TEST(PppMemory, EstablishedLnsSessionStaysSmallAfterRenegotiation) {
  Link l;
  l.connect(lns_config(), user_config());
  ASSERT_TRUE(l.server_ev.up);
  // The user restarts LCP (RFC 1661: a Configure-Request in Opened): everything is
  // negotiated again, then the policies are freed again.
  l.server->receive(encode_frame(proto::lcp, encode_control(1, 200, Bytes{5, 6, 1, 2, 3, 4})));
  l.pump();
  l.run(10s);
  ASSERT_EQ(l.server->lcp_state(), "Opened");
  ASSERT_EQ(l.server->ipcp_state(), "Opened");
  Held h = destroy_server(l);
  EXPECT_LE(h.malloc_bytes(), kEstablishedBudget);
}

TEST(PppMemory, EstablishedLnsSessionWithProxyLcpIsSmall) {
  // A LAC session makes the proxy data; the LNS session starts from it (proxied LCP).
  Link lac;
  SessionConfig lc = lns_config();
  lc.mode = SessionMode::lac;
  lac.server = std::make_unique<PppSession>(lc, lac.to_user, lac.server_ev, lac.timers, &lac.auth,
                                            &lac.pool);
  lac.user = std::make_unique<PppSession>(user_config(), lac.to_server, lac.user_ev, lac.timers);
  lac.server->start();
  lac.user->start();
  lac.pump();
  ASSERT_TRUE(lac.server_ev.proxy);
  lac.server->hand_over();

  Link l;
  l.user = std::move(lac.user);  // the user's frames now reach the LNS session
  SessionConfig c = lns_config();
  c.proxy = *lac.server_ev.proxy;
  l.server =
      std::make_unique<PppSession>(c, lac.to_user, l.server_ev, lac.timers, &l.auth, &l.pool);
  l.server->start();
  // Frames between the user and the LNS cross lac's wires: relay them by hand.
  for (int i = 0; i < 100; ++i) {
    while (!lac.to_server.queue.empty()) {
      Bytes f = std::move(lac.to_server.queue.front());
      lac.to_server.queue.pop_front();
      l.server->receive(f);
    }
    while (!lac.to_user.queue.empty()) {
      Bytes f = std::move(lac.to_user.queue.front());
      lac.to_user.queue.pop_front();
      l.user->receive(f);
    }
    lac.timers.advance(100ms);
  }
  ASSERT_TRUE(l.server_ev.up);
  ASSERT_EQ(l.server->lcp_state(), "Opened");
  Held h = destroy_server(l);
  EXPECT_LE(h.malloc_bytes(), kEstablishedBudget);
  // ManualTimerService of `lac` outlives both sessions (declared first).
  l.user.reset();
}

TEST(PppMemory, HandedOverLacSessionIsSmall) {
  // A LAC holds the user's PPP session for the whole tunnelled call: after hand_over() it
  // only switches frames, so the negotiation state and the proxy data are gone.
  Link l;
  SessionConfig c = lns_config();
  c.mode = SessionMode::lac;
  l.connect(c, user_config());
  ASSERT_TRUE(l.server_ev.proxy);
  l.server->hand_over();
  ASSERT_EQ(l.server->phase(), Phase::handed_over);
  EXPECT_EQ(l.server->lcp_state(), "Opened");
  EXPECT_EQ(l.server->user(), "alice");
  Held h = destroy_server(l);
  EXPECT_LE(h.malloc_bytes(), kEstablishedBudget);
}

}  // namespace
}  // namespace vpdnd::ppp
