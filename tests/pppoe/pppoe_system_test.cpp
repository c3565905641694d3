// PPPoE server and clients over AF_PACKET on a veth pair between two namespaces the test
// creates ("vdp-ac-<pid>", "vdp-user-<pid>"): real discovery, cookies, session frames, PADT.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "ppp/pppoe.hpp"
#include "tests/support/netns.hpp"

namespace vpdnd::ppp {
namespace {

using test::Netns;

struct Echo : PppoeSessionListener {
  PppoeServer* server = nullptr;
  std::vector<std::uint16_t> opened;
  std::vector<std::pair<std::uint16_t, PppoeCloseReason>> closed;
  void on_session_open(std::uint16_t id, const MacAddress&, std::string_view) override {
    opened.push_back(id);
  }
  void on_session_frame(std::uint16_t id, ByteView f) override {
    server->send(id, f);
  }  // loop PPP back
  void on_session_closed(std::uint16_t id, PppoeCloseReason r) override {
    closed.emplace_back(id, r);
  }
};

struct User : PppoeClientListener {
  std::unique_ptr<PppoeClient> client;
  bool up = false;
  std::vector<Bytes> frames;
  std::string down;
  std::function<void()> changed;
  void on_pppoe_up(std::uint16_t, const MacAddress&) override {
    up = true;
    Bytes lcp{0xc0, 0x21, 0x09, 0x01, 0x00, 0x08, 0x12, 0x34, 0x56, 0x78};  // Echo-Request
    client->send(lcp);
    changed();
  }
  void on_pppoe_frame(ByteView f) override {
    frames.emplace_back(f.begin(), f.end());
    changed();
  }
  void on_pppoe_down(std::string_view why) override {
    down = std::string(why);
    changed();
  }
};

TEST(PppoeOverVeth, DiscoverySessionFramesAndPadtBothWays) {
  if (!test::have_root()) GTEST_SKIP() << "needs root (netns, AF_PACKET)";
  if (!test::have_ip_tool()) GTEST_SKIP() << "no `ip` (iproute2)";
  std::string pid = std::to_string(::getpid());
  Netns ac_ns("vdp-ac-" + pid), user_ns("vdp-user-" + pid);
  ASSERT_TRUE(ac_ns.ok() && user_ns.ok());
  ASSERT_EQ(ac_ns.exec("ip link add vdpac type veth peer name vdpuser netns " + user_ns.name()), 0);
  ASSERT_EQ(ac_ns.exec("ip link set vdpac up"), 0);
  ASSERT_EQ(user_ns.exec("ip link set vdpuser up"), 0);

  boost::asio::io_context io;
  AsioTimerService timers(io);
  ASSERT_TRUE(ac_ns.enter());
  auto ac_sock = PppoeSocket::open(io, "vdpac");
  ac_ns.leave();
  ASSERT_TRUE(ac_sock) << ac_sock.error();
  ASSERT_TRUE(user_ns.enter());
  auto user_sock = PppoeSocket::open(io, "vdpuser", /*promiscuous=*/true);
  user_ns.leave();
  ASSERT_TRUE(user_sock) << user_sock.error();

  PppoeServerConfig sc;
  sc.interface = "vdpac";
  sc.mac = (*ac_sock)->mac();
  sc.ac_name = "vdp-bras";
  Echo echo;
  PppoeServer server(sc, **ac_sock, timers, &echo);
  echo.server = &server;
  std::function<void()> check = [] {};  // the current phase's completion test
  (*ac_sock)->start([&](ByteView f) {
    server.on_frame(f);
    check();
  });

  constexpr int kUsers = 3;
  std::vector<std::unique_ptr<User>> users;
  auto all = [&](auto pred) {
    for (auto& u : users)
      if (!pred(*u)) return false;
    return true;
  };
  for (int i = 0; i < kUsers; ++i) {
    auto u = std::make_unique<User>();
    PppoeClientConfig cc;
    cc.mac = {0x02, 0x11, 0x22, 0x33, 0x44, static_cast<std::uint8_t>(i + 1)};
    cc.host_uniq = {static_cast<std::uint8_t>(i)};
    cc.timeout = 500ms;
    u->client = std::make_unique<PppoeClient>(cc, **user_sock, timers, *u);
    u->changed = [&] { check(); };
    users.push_back(std::move(u));
  }
  (*user_sock)->start([&](ByteView f) {
    for (auto& u : users) u->client->on_frame(f);
  });

  // Each phase runs the loop until its condition holds, bounded by 10 s.
  auto run_until = [&](std::function<bool()> done) {
    check = [&, done] {
      if (done()) io.stop();
    };
    io.restart();
    boost::asio::steady_timer guard(io, std::chrono::seconds(10));
    guard.async_wait([&](auto ec) {
      if (!ec) io.stop();
    });
    if (!done()) io.run();
    guard.cancel();
    return done();
  };

  // Phase 1: all users discover, get sessions, and see their LCP frame looped back.
  for (auto& u : users) u->client->start();
  ASSERT_TRUE(run_until([&] { return all([](User& u) { return u.up && !u.frames.empty(); }); }))
      << "sessions up: " << echo.opened.size();
  EXPECT_EQ(server.session_count(), static_cast<std::size_t>(kUsers));
  EXPECT_EQ(server.counters().pads_out, static_cast<std::uint64_t>(kUsers));
  EXPECT_EQ(users[0]->frames[0][2], 0x09);
  EXPECT_EQ(users[0]->client->ac_name(), "vdp-bras");

  // Phase 2: a forged PADR from the user side is dropped (no cookie state on the AC).
  PppoeDiscovery forged;
  forged.dst = (*ac_sock)->mac();
  forged.src = {0x02, 0x66, 0, 0, 0, 1};
  forged.code = PppoeCode::padr;
  forged.add(pppoe_tag::service_name, "");
  forged.add(pppoe_tag::ac_cookie, Bytes(20, 0x42));
  (*user_sock)->send_frame(encode_pppoe_discovery(forged));
  ASSERT_TRUE(run_until([&] { return server.counters().drops.contains("bad cookie"); }));
  EXPECT_EQ(server.session_count(), static_cast<std::size_t>(kUsers));

  // Phase 3: user 0 hangs up (PADT to the AC); the AC closes user 1 (PADT to the user).
  users[0]->client->close();
  std::uint16_t id1 = users[1]->client->session_id();
  server.close(id1);
  ASSERT_TRUE(run_until([&] { return echo.closed.size() == 2 && !users[1]->down.empty(); }));
  EXPECT_EQ(users[1]->down, "PADT from AC");
  bool saw_peer_padt = false;
  for (auto& [id, why] : echo.closed)
    if (id == users[0]->client->session_id() && why == PppoeCloseReason::peer_padt)
      saw_peer_padt = true;
  EXPECT_TRUE(saw_peer_padt);
  EXPECT_EQ(server.session_count(), 1u);

  // Phase 4: shutdown sends PADT to the rest.
  server.close_all();
  ASSERT_TRUE(run_until([&] { return !users[2]->down.empty(); }));
  EXPECT_EQ(server.session_count(), 0u);
  (*ac_sock)->stop();
  (*user_sock)->stop();
}

}  // namespace
}  // namespace vpdnd::ppp
