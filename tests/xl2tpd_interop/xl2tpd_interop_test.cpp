// Interop with xl2tpd (Debian package) on loopback, in both directions, with tunnel
// authentication on and off: xl2tpd as LAC dialling our LNS engine, and our LAC engine
// dialling xl2tpd as LNS. The control plane must reach ICCN and keep Hello going; xl2tpd
// then starts pppd, which fails on a kernel without PPP, and the CDN that follows must be
// handled. tshark (if present) captures lo and every packet we sent must decode without
// expert warnings or malformed flags.
// Ports: 21100-21199 (this suite's share of the 21000-21999 range).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/process.hpp"
#include "vpdn/engine.hpp"

namespace vpdnd::vpdn {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string find_tool(const std::string& name) {
  for (const char* dir : {"/usr/sbin/", "/usr/bin/", "/sbin/", "/bin/"}) {
    std::string p = std::string(dir) + name;
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

using test::Child;
using test::read_file;

struct Recorder : SessionHandler {
  std::vector<IncomingSession> incoming;
  std::vector<std::pair<SessionRef, SessionEnd>> down;
  bool on_incoming_session(const IncomingSession& s) override {
    incoming.push_back(s);
    return true;
  }
  void on_session_down(SessionRef r, const SessionEnd& e) override { down.push_back({r, e}); }
  void on_data(SessionRef, ByteView) override {}
};

const char* kSecret = "interop-secret";

// Param: 0 = tunnel authentication off, 1 = on, 2 = on with hidden AVPs both ways.
class Xl2tpd : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    xl2tpd_ = find_tool("xl2tpd");
    if (xl2tpd_.empty()) GTEST_SKIP() << "xl2tpd not installed (Debian package xl2tpd)";
    if (::geteuid() != 0) GTEST_SKIP() << "xl2tpd needs root";
    const char* build = std::getenv("VPDND_BUILD_DIR");
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    // xl2tpd keeps paths in 100-byte buffers (STRLEN): keep the directory short.
    const std::string name = std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                             "-" + std::to_string(std::hash<std::string>{}(info->name()) % 100000);
    dir_ = fs::path(build ? build : fs::temp_directory_path().string()) / "xl2tpd" / name;
    if (dir_.string().size() > 70) dir_ = fs::temp_directory_path() / "vpdnd-xl2tpd" / name;
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::ofstream(dir_ / "l2tp-secrets") << "*\t*\t" << kSecret << "\n";
    fs::permissions(dir_ / "l2tp-secrets", fs::perms::owner_read | fs::perms::owner_write);
    std::ofstream(dir_ / "options") << "noauth\nnodefaultroute\nmtu 1400\nmru 1400\n";
    tshark_ = find_tool("tshark");
  }
  void TearDown() override {
    xl2tpd_child_.stop(2s);
    capture_.stop(2s, SIGINT);
  }

  void start_engine(std::uint16_t port, bool lns_role, bool auth, const std::string& peer_name,
                    bool hidden = false) {
    cfg_.l2tp.enabled = true;
    cfg_.sysname = "vpdnd";
    config::L2tpGroup g;
    g.number = 1;
    g.tunnel_name = lns_role ? "vpdnd-lns" : "vpdnd-lac";
    g.tunnel_authentication = auth;
    g.tunnel_password.plain = kSecret;
    g.avp_hidden = hidden;
    if (lns_role) {
      g.allow_virtual_template = 1;
      g.allow_remote = peer_name;
    } else {
      g.lns_addresses = {*Ipv4::parse("127.0.0.1")};
    }
    cfg_.l2tp_groups[1] = g;
    EngineOptions o;
    o.bind_address = *Ipv4::parse("127.0.0.1");
    o.port_override = port;
    o.hello_override = 2s;  // so the test sees Hello/ZLB both ways quickly
    engine_ = std::make_unique<L2tpEngine>(cfg_, timers_, random_, o);
    engine_->set_handler(&handler_);
    auto st = engine_->open_udp(io_);
    ASSERT_TRUE(st.has_value()) << st.error();
    our_port_ = port;
  }

  void start_capture(std::uint16_t a, std::uint16_t b) {
    if (tshark_.empty()) return;
    pcap_ = dir_ / "capture.pcapng";
    capture_.spawn({tshark_, "-i", "lo", "-w", pcap_.string(), "-f",
                    "udp port " + std::to_string(a) + " or udp port " + std::to_string(b)},
                   {.log = dir_ / "tshark.log", .own_group = true});
    for (int i = 0; i < 250; ++i) {
      if (read_file(dir_ / "tshark.log").find("Capturing on") != std::string::npos) {
        // tshark says so slightly before dumpcap's filter is live.
        std::this_thread::sleep_for(1500ms);
        return;
      }
      std::this_thread::sleep_for(20ms);
    }
    capture_.kill_hard();
    pcap_.clear();  // capture unavailable: the wire check is skipped, not failed
  }

  void start_xl2tpd(const std::string& conf) {
    std::ofstream(dir_ / "xl2tpd.conf") << conf;
    ASSERT_TRUE(xl2tpd_child_.spawn(
        {xl2tpd_, "-D", "-c", (dir_ / "xl2tpd.conf").string(), "-p", (dir_ / "xl2tpd.pid").string(),
         "-C", (dir_ / "l2tp-control").string()},
        {.log = dir_ / "xl2tpd.log", .own_group = true}));
  }

  template <class Pred>
  bool run_until(Pred done, Duration limit) {
    auto deadline = SteadyClock::now() + limit;
    while (!done() && SteadyClock::now() < deadline) io_.run_for(10ms);
    return done();
  }

  std::string xl2tpd_log() { return read_file(dir_ / "xl2tpd.log"); }

  // Every L2TP packet we sent decodes in tshark without warnings or malformed marks.
  // The run's parameter: 0 plain, 1 tunnel authentication, 2 that and hidden AVPs.
  bool auth() const { return GetParam() >= 1; }
  bool hidden() const { return GetParam() == 2; }
  static const char* yes_no(bool b) { return b ? "yes" : "no"; }

  // Our engine (LNS or LAC, named `our_name`) on `ours`, the capture, and xl2tpd on ours + 1
  // with the common [global] section and then `section`.
  void start_both(std::uint16_t ours, bool lns_role, const std::string& our_name,
                  const std::string& section) {
    const std::uint16_t theirs = ours + 1;
    start_engine(ours, lns_role, auth(), our_name, hidden());
    start_capture(ours, theirs);
    std::ostringstream conf;
    conf << "[global]\nport = " << theirs << "\nlisten-addr = 127.0.0.1\n"
         << "auth file = " << (dir_ / "l2tp-secrets").string() << "\naccess control = no\n"
         << "debug tunnel = yes\ndebug state = yes\n"
         << section;
    start_xl2tpd(conf.str());
  }

  void check_wire(std::uint16_t xl2tpd_port, bool expect_hidden_from_us = false) {
    if (pcap_.empty()) {
      std::cout << "[ SKIPPED  ] wire check: tshark not available\n";
      return;
    }
    capture_.stop(2s, SIGINT);
    const std::string decode = " -d udp.port==" + std::to_string(our_port_) +
                               ",l2tp -d udp.port==" + std::to_string(xl2tpd_port) + ",l2tp";
    int status = 0;
    auto run = [&](const std::string& filter) {
      std::string cmd = tshark_ + " -r " + pcap_.string() + decode + " -Y '" + filter +
                        "' -T fields -e frame.number -e _ws.expert.message 2>/dev/null";
      std::string out;
      if (FILE* p = ::popen(cmd.c_str(), "r")) {
        char buf[512];
        while (std::fgets(buf, sizeof buf, p)) out += buf;
        status = ::pclose(p);
      }
      return out;
    };
    const std::string ours = "udp.srcport == " + std::to_string(our_port_);
    std::string all = run(ours + " && l2tp");
    std::size_t packets = std::count(all.begin(), all.end(), '\n');
    EXPECT_GE(packets, 3u) << "tshark saw too few of our L2TP packets:\n" << all;
    // Our handshake messages are among them (SCCRQ/SCCRP and ICRQ/ICRP).
    std::string handshake = run(ours +
                                " && (l2tp.avp.message_type == 1 || l2tp.avp.message_type == 2 || "
                                "l2tp.avp.message_type == 10 || l2tp.avp.message_type == 11)");
    EXPECT_GE(std::count(handshake.begin(), handshake.end(), '\n'), 2) << all;
    std::string bad = run(ours + " && (_ws.malformed || _ws.expert.severity >= 6291456)");
    EXPECT_EQ(status, 0)
        << "tshark rejected the filter";  // an invalid filter would hide everything
    EXPECT_TRUE(bad.empty()) << "tshark flags our packets:\n" << bad;
    if (expect_hidden_from_us) {
      std::string hidden = run(ours + " && l2tp.avp.hidden == 1");
      EXPECT_FALSE(hidden.empty()) << "no hidden AVP from us on the wire";
    }
    std::string theirs = run("udp.srcport == " + std::to_string(xl2tpd_port) + " && l2tp");
    EXPECT_FALSE(theirs.empty()) << "no xl2tpd packets captured";
  }

  std::string xl2tpd_;
  std::string tshark_;
  fs::path dir_;
  fs::path pcap_;
  Child xl2tpd_child_;
  Child capture_;
  boost::asio::io_context io_;
  AsioTimerService timers_{io_};
  OsRandom random_;
  config::RunningConfig cfg_;
  Recorder handler_;
  std::unique_ptr<L2tpEngine> engine_;
  std::uint16_t our_port_ = 0;
};

// xl2tpd is the LAC and dials our LNS.
TEST_P(Xl2tpd, Xl2tpdLacDialsOurLns) {
  const bool auth = this->auth();
  const std::uint16_t ours = static_cast<std::uint16_t>(21101 + 10 * GetParam()), theirs = ours + 1;
  start_both(ours, /*lns_role=*/true, "xl2tpd-lac",
             "[lac vpdnd]\nlns = 127.0.0.1:" + std::to_string(ours) +
                 "\nhostname = xl2tpd-lac\nchallenge = " + yes_no(auth) +
                 "\nautodial = yes\nredial = no\nhidden bit = " + yes_no(hidden()) +
                 "\nlength bit = yes\ntunnel rws = 8\npppoptfile = " + (dir_ / "options").string() +
                 "\n");

  ASSERT_TRUE(run_until([&] { return !handler_.incoming.empty(); }, 15s))
      << "no session reached ICCN\n"
      << xl2tpd_log();
  auto tunnels = engine_->snapshot_tunnels();
  ASSERT_EQ(tunnels.size(), 1u);
  EXPECT_EQ(tunnels[0].remote_name, "xl2tpd-lac");
  EXPECT_EQ(tunnels[0].authenticated, auth);
  EXPECT_EQ(handler_.incoming[0].virtual_template, 1);
  EXPECT_EQ(handler_.incoming[0].peer_name, "xl2tpd-lac");

  // pppd cannot run here: xl2tpd clears the call with a CDN, which we must process.
  ASSERT_TRUE(run_until([&] { return !handler_.down.empty(); }, 20s))
      << "no CDN after pppd failed\n"
      << xl2tpd_log();
  EXPECT_TRUE(handler_.down[0].second.by_peer);
  EXPECT_EQ(engine_->session_count(), 0u);
  // Hello from us must be acknowledged: no retransmission and the tunnel stays up (xl2tpd
  // may also clear the tunnel after its last call; then it must have been by StopCCN).
  run_until([&] { return engine_->statistics().messages_out["HELLO"] >= 1; }, 5s);
  run_until([] { return false; }, 1500ms);
  auto st = engine_->statistics();
  auto t = engine_->snapshot_tunnels();
  if (!t.empty() && t[0].state == TunnelState::established) {
    EXPECT_GE(st.messages_out["HELLO"], 1u);
    EXPECT_EQ(st.retransmits, 0u) << xl2tpd_log();
  } else {
    EXPECT_GE(st.messages_in["StopCCN"] + st.messages_in["STOPCCN"], 1u);
  }
  EXPECT_TRUE(st.drops.empty()) << st.drops.begin()->first;
  xl2tpd_child_.stop(2s);
  run_until([] { return false; }, 300ms);
  check_wire(theirs);
}

// Our LAC dials xl2tpd as LNS.
TEST_P(Xl2tpd, OurLacDialsXl2tpdLns) {
  const bool auth = this->auth(), hidden = this->hidden();
  const std::uint16_t ours = static_cast<std::uint16_t>(21105 + 10 * GetParam()), theirs = ours + 1;
  start_both(
      ours, /*lns_role=*/false, "",
      std::string("[lns default]\nip range = 10.99.0.10-10.99.0.20\nlocal ip = 10.99.0.1\n") +
          "hostname = xl2tpd-lns\nchallenge = " + yes_no(auth) +
          "\nhidden bit = " + yes_no(hidden) + "\nrequire authentication = no\nlength bit = yes\n" +
          "tunnel rws = 8\npppoptfile = " + (dir_ / "options").string() + "\n");
  std::this_thread::sleep_for(300ms);  // let xl2tpd bind

  std::vector<SessionRef> up;
  std::vector<SessionEnd> down;
  LacCallRequest req;
  req.group = 1;
  req.lns_port = theirs;
  req.user = "alice@corp.com";
  req.calling_number = "00:11:22:33:44:55";
  req.called_number = "5551234";
  req.bearer_type = kBearerDigital;
  ppp::ProxyData p;
  p.initial_received_confreq = {0x01, 0x04, 0x05, 0xd4, 0x05, 0x06, 0x11, 0x22, 0x33, 0x44};
  p.last_sent_confreq = {0x01, 0x04, 0x05, 0xd4, 0x03, 0x05, 0xc2, 0x23, 0x05};
  p.last_received_confreq = p.initial_received_confreq;
  p.auth_type = ppp::ProxyAuthType::chap;
  p.auth_name = "alice@corp.com";
  p.auth_challenge = Bytes(16, 0x11);
  p.auth_id = 1;
  p.auth_response = Bytes(16, 0x22);
  req.proxy = p;
  auto h = engine_->place_call(req, LacCallbacks{[&](SessionRef r) { up.push_back(r); },
                                                 [&](const SessionEnd& e) { down.push_back(e); }});
  ASSERT_TRUE(h.has_value()) << h.error();
  ASSERT_TRUE(run_until([&] { return !up.empty() || !down.empty(); }, 15s)) << xl2tpd_log();
  ASSERT_EQ(up.size(), 1u) << (down.empty() ? "" : down[0].reason) << "\n" << xl2tpd_log();
  auto tunnels = engine_->snapshot_tunnels();
  ASSERT_EQ(tunnels.size(), 1u);
  EXPECT_EQ(tunnels[0].remote_name, "xl2tpd-lns");
  EXPECT_EQ(tunnels[0].authenticated, auth);
  EXPECT_EQ(tunnels[0].state, TunnelState::established);

  // Hello (every 2 s here) acknowledged by xl2tpd's ZLB while the tunnel lives.
  run_until([&] { return engine_->statistics().messages_out["HELLO"] >= 1; }, 6s);
  // pppd fails on the LNS: xl2tpd sends CDN, which ends our call.
  ASSERT_TRUE(run_until([&] { return !down.empty(); }, 20s)) << "no CDN\n" << xl2tpd_log();
  EXPECT_TRUE(down[0].by_peer);
  EXPECT_EQ(engine_->session_count(), 0u);
  auto st = engine_->statistics();
  EXPECT_EQ(st.retransmits, 0u) << xl2tpd_log();
  EXPECT_TRUE(st.drops.empty()) << st.drops.begin()->first;
  // Then we clear the tunnel ourselves: StopCCN acknowledged by xl2tpd.
  auto t = engine_->snapshot_tunnels();
  if (!t.empty() && t[0].state == TunnelState::established) {
    bool done = false;
    engine_->shutdown([&] { done = true; }, 3s);
    ASSERT_TRUE(run_until([&] { return done; }, 5s));
    EXPECT_EQ(engine_->statistics().retransmits, 0u) << "StopCCN not acknowledged\n"
                                                     << xl2tpd_log();
  }
  xl2tpd_child_.stop(2s);
  run_until([] { return false; }, 300ms);
  check_wire(theirs, hidden);
}

INSTANTIATE_TEST_SUITE_P(TunnelAuth, Xl2tpd, ::testing::Values(1, 0, 2), [](const auto& info) {
  return std::string(info.param == 0 ? "auth_off" : info.param == 1 ? "auth_on" : "auth_hidden");
});

}  // namespace
}  // namespace vpdnd::vpdn
