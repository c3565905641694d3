// build/vpdn-dial --l2tp (client-initiated: LAC and user at once) against an LNS built in
// this test from the same parts vpdnd uses (L2tpEngine + PppSession in local mode), on
// 127.0.0.1 port 23100..23101: tunnel (with and without challenge), sessions, CHAP, IPCP,
// hang-up with CDN, and the summary line.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "ppp/ppp.hpp"
#include "startup-config/model.hpp"
#include "tests/pppoe/dial_lab.hpp"
#include "tests/support/netns.hpp"
#include "vpdn/engine.hpp"

namespace vpdnd::ppp {
namespace {

class LabLns : public vpdn::SessionHandler {
 public:
  LabLns(boost::asio::io_context& io, TimerService& timers, const config::RunningConfig& cfg,
         std::uint16_t port)
      : io_(io), timers_(timers) {
    vpdn::EngineOptions eo;
    eo.bind_address = *Ipv4::parse("127.0.0.1");
    eo.port_override = port;
    engine_ = std::make_unique<vpdn::L2tpEngine>(cfg, timers, random_, eo);
    engine_->set_handler(this);
    auto st = engine_->open_udp(io);
    open_error = st ? "" : st.error();
  }
  std::string open_error;
  std::atomic<int> incoming{0}, up{0}, down{0};
  std::atomic<std::size_t> tunnels{0};
  std::atomic<std::size_t> distinct_tunnels{0};  // tunnels that carried a session

  bool on_incoming_session(const vpdn::IncomingSession& s) override {
    ++incoming;
    tunnel_ids_.insert(s.ref.tunnel);
    distinct_tunnels = tunnel_ids_.size();
    {
      std::lock_guard lock(names_mutex_);
      peer_names_[s.ref.tunnel] = s.peer_name;
    }
    auto sess = std::make_unique<Sess>();
    sess->lns = this;
    sess->ref = s.ref;
    SessionConfig c;
    c.mode = SessionMode::local;
    c.auth_methods = {AuthMethod::chap_md5};
    c.local_address = *Ipv4::parse("10.99.0.1");
    sess->ppp = std::make_unique<PppSession>(c, *sess, *sess, timers_, &auth_, &pool_);
    auto* raw = sess.get();
    sessions_[s.ref] = std::move(sess);
    // Started at once: the user's first LCP Configure-Request may be in the very next
    // datagram, and a session not yet started would drop it (costing a 3 s restart).
    raw->ppp->start();
    return true;
  }
  void on_session_down(vpdn::SessionRef ref, const vpdn::SessionEnd&) override {
    ++down;
    auto it = sessions_.find(ref);
    if (it == sessions_.end()) return;
    it->second->closed = true;
    it->second->ppp->lower_down();
  }
  void on_data(vpdn::SessionRef ref, ByteView frame) override {
    auto it = sessions_.find(ref);
    if (it != sessions_.end() && it->second->ppp) it->second->ppp->receive(frame);
  }
  void count_tunnels() { tunnels = engine_->tunnel_count(); }
  std::set<std::string> peer_names() {
    std::lock_guard lock(names_mutex_);
    std::set<std::string> out;
    for (auto& [t, n] : peer_names_) out.insert(n);
    return out;
  }

 private:
  struct Sess : PppLowerLayer, PppListener {
    LabLns* lns;
    vpdn::SessionRef ref;
    std::unique_ptr<PppSession> ppp;
    bool closed = false;
    Bytes buf;
    void send(ByteView frame) override {
      buf.assign({0xff, 0x03});
      buf.insert(buf.end(), frame.begin(), frame.end());
      lns->engine_->send_data(ref, buf);
    }
    void on_ready_to_tunnel(const ProxyData&, const AuthResult&) override {}
    void on_up(const SessionUpInfo&) override { ++lns->up; }
    void on_down(DownReason, std::string_view) override {
      if (!closed) lns->engine_->close_session(ref);
      closed = true;
    }
  };
  boost::asio::io_context& io_;
  TimerService& timers_;
  vpdn::OsRandom random_;
  LabAuth auth_;
  LabPool pool_;
  std::unique_ptr<vpdn::L2tpEngine> engine_;
  std::set<std::uint16_t> tunnel_ids_;
  std::mutex names_mutex_;
  std::map<std::uint16_t, std::string> peer_names_;  // Host Name by tunnel
  std::map<vpdn::SessionRef, std::unique_ptr<Sess>> sessions_;
};

class DialL2tp : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(dial_path().c_str(), X_OK) != 0) GTEST_SKIP() << dial_path() << " not built";
  }
  void start(bool challenge, std::uint16_t port) {
    cfg_.l2tp.enabled = true;
    cfg_.sysname = "lab-lns";
    config::L2tpGroup g;
    g.number = 1;
    g.allow_virtual_template = 1;
    g.tunnel_authentication = challenge;
    if (challenge) g.tunnel_password.plain = "tunnel-secret";
    cfg_.l2tp_groups[1] = g;
    timers_ = std::make_unique<AsioTimerService>(io_);
    lns_ = std::make_unique<LabLns>(io_, *timers_, cfg_, port);
    ASSERT_EQ(lns_->open_error, "");
    thread_.start(io_);
  }
  void TearDown() override {
    thread_.stop();
    lns_.reset();
    timers_.reset();
  }
  int dial(const std::string& args, std::string& out) {
    FILE* p = ::popen(("timeout 50 " + dial_path() + " " + args + " 2>&1").c_str(), "r");
    char buf[512];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    int st = ::pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  }

  config::RunningConfig cfg_;
  boost::asio::io_context io_;
  LabThread thread_;
  std::unique_ptr<AsioTimerService> timers_;
  std::unique_ptr<LabLns> lns_;
};

TEST_F(DialL2tp, ManyUsersOverOneTunnelWithChallenge) {
  start(true, 23100);
  std::string out;
  int rc = dial(
      "--l2tp 127.0.0.1:23100 --secret tunnel-secret --user 'u{n}@corp.com' --password pw "
      "--count 20 --rate 500 --concurrency 20 --hold 0.5",
      out);
  EXPECT_EQ(rc, 0) << out;
  auto s = summary(out);
  EXPECT_EQ(s["established"], "20") << out;
  EXPECT_EQ(s["failed"], "0") << out;
  EXPECT_EQ(lns_->incoming.load(), 20);
  EXPECT_EQ(lns_->up.load(), 20);
  if (std::getenv("VDP_SHOW")) std::printf("%s", out.c_str());
}

// --tunnels: the users come over that many tunnels (one per source port), round-robin.
TEST_F(DialL2tp, UsersSpreadOverSeveralTunnels) {
  start(false, 23105);
  std::string out;
  EXPECT_EQ(dial("--l2tp 127.0.0.1:23105 --user 'u{n}' --password pw --count 8 --tunnels 4 "
                 "--rate 500 --hold 0.5",
                 out),
            0)
      << out;
  EXPECT_EQ(summary(out)["established"], "8") << out;
  EXPECT_EQ(lns_->distinct_tunnels.load(), 4u) << out;
}

// --hostname with {t}: each tunnel introduces itself by its own number, so that an LNS can
// map the tunnels to different l2tp-groups (and templates, and pools).
TEST_F(DialL2tp, HostNamePerTunnel) {
  start(false, 23106);
  std::string out;
  EXPECT_EQ(dial("--l2tp 127.0.0.1:23106 --user 'u{n}' --password pw --count 6 --tunnels 3 "
                 "--hostname 'lac{t}' --rate 500 --hold 0.5",
                 out),
            0)
      << out;
  EXPECT_EQ(lns_->peer_names(), (std::set<std::string>{"lac1", "lac2", "lac3"})) << out;
}

TEST_F(DialL2tp, WithoutTunnelAuthentication) {
  start(false, 23101);
  std::string out;
  int rc = dial("--l2tp 127.0.0.1:23101 --user alice --password pw --count 2 --hold 0", out);
  expect_outcome(rc, out, 0, "established", "2");
}

TEST_F(DialL2tp, WrongTunnelSecretFails) {
  start(true, 23102);
  std::string out;
  int rc =
      dial("--l2tp 127.0.0.1:23102 --secret wrong --user alice --password pw --count 1 --timeout 8",
           out);
  expect_outcome(rc, out, 1, "failed", "1");
  EXPECT_EQ(lns_->incoming.load(), 0);
}

TEST_F(DialL2tp, WrongUserPasswordFails) {
  start(false, 23103);
  std::string out;
  int rc = dial("--l2tp 127.0.0.1:23103 --user alice --password nope --count 1 --timeout 8", out);
  expect_outcome(rc, out, 1, "established", "0");
}

}  // namespace
}  // namespace vpdnd::ppp

namespace vpdnd::ppp {
namespace {

// Load figure for docs/PERFORMANCE.md (run with --gtest_also_run_disabled_tests;
// VDP_DIAL_COUNT users over one tunnel, default 2000).
TEST_F(DialL2tp, DISABLED_SetupRateLoad) {
  start(true, 23104);
  const char* n = std::getenv("VDP_DIAL_COUNT");
  std::string count = n ? n : "2000";
  std::string out;
  int rc =
      dial("--l2tp 127.0.0.1:23104 --secret tunnel-secret --user 'u{n}' --password pw --count " +
               count + " --rate 100000 --concurrency 500 --hold 0 --quiet",
           out);
  expect_load_done(rc, out, count);
}

}  // namespace
}  // namespace vpdnd::ppp
