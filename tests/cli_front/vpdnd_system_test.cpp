// System tests: the real build/vpdnd driven over telnet (our own client, which strips the
// IAC negotiation) and through a pty console. Ports 20100-20199 (cli-front's range).
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pty.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/vpdnd.hpp"

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using namespace vpdnd::test;  // the support library: vpdnd, terminals, ports

constexpr char kConfig[] =
    " sysname LAB\n"
    "#\n"
    "local-user admin\n"
    " password simple Adm1n-pw\n"
    " service-type telnet\n"
    "#\n"
    "local-user pppuser\n"
    " password simple ppp-pw\n"
    " service-type ppp\n"
    "#\n"
    "user-interface vty 0 4\n"
    " authentication-mode scheme\n"
    " idle-timeout 0 4\n"
    "#\n"
    "return\n";

// The daemon on the scratch config (kConfig).
class Daemon : public Vpdnd {
 public:
  bool start(const std::vector<std::string>& args, const fs::path& dir, bool pty = false) {
    return Vpdnd::start(dir, kConfig, args, pty);
  }
};

class VpdndTelnet : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Vpdnd::built()) GTEST_SKIP() << vpdnd_path() << " is not built";
    dir_ = test_dir("vpdnd-cli-front");
    const bool up = take_port_slot(100, 37, 20, [&](std::size_t slot) {
      port_ = static_cast<std::uint16_t>(20100 + slot);
      Daemon& d = daemon_.emplace();
      return d.start({"--no-console", "--telnet-port", std::to_string(port_), "--telnet-bind",
                      "127.0.0.1"},
                     dir_) &&
             d.wait_log("telnet server on 127.0.0.1:" + std::to_string(port_));
    });
    if (!up) FAIL() << "no free port for vpdnd: " << daemon_->log();
  }
  void TearDown() override {
    for (int fd : fds_) ::close(fd);
    if (daemon_) daemon_->kill_hard();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  TermClient open(const char* source = nullptr) {
    int fd = connect_tcp(port_, source);
    EXPECT_GE(fd, 0);
    fds_.push_back(fd);
    return TermClient(fd);
  }

  // Logs in as admin and waits for the user-view prompt.
  TermClient login() {
    TermClient c = open();
    EXPECT_TRUE(c.expect("Username:"));
    c.send("admin\r\n");
    EXPECT_TRUE(c.expect("Password:"));
    c.send("Adm1n-pw\r\n");
    EXPECT_TRUE(c.expect("<LAB>")) << c.all();
    return c;
  }

  std::optional<Daemon> daemon_;
  fs::path dir_;
  std::uint16_t port_ = 0;
  std::vector<int> fds_;
};

TEST_F(VpdndTelnet, SchemeLoginPromptsViewsAndDisplayCurrent) {
  TermClient c = login();
  EXPECT_EQ(c.all().find("Adm1n-pw"), std::string::npos) << "password echoed";
  ASSERT_TRUE(c.sends("screen-length disable\r\n", "<LAB>"));
  ASSERT_TRUE(c.sends("sys\r\n", "[LAB]")) << c.all();
  ASSERT_TRUE(c.sends("l2tp-group 1\r\n", "[LAB-l2tp1]")) << c.all();
  ASSERT_TRUE(c.sends("tunnel password simple s3cret\r\n", "[LAB-l2tp1]"));
  ASSERT_TRUE(c.sends("return\r\n", "<LAB>"));
  ASSERT_TRUE(c.sends("dis cur\r\n", "l2tp-group 1")) << c.all();
  ASSERT_TRUE(c.expect("return"));
  ASSERT_TRUE(c.expect("<LAB>"));
  EXPECT_EQ(c.all().find("s3cret", c.all().find("dis cur")), std::string::npos)
      << "secret shown in clear";
  // The transcript reads as on a Comware box: no old prompt before a new one, no blank
  // line after a command, the prompt right after the last output line.
  const std::string& all = c.all();
  EXPECT_NE(
      all.find("<LAB>sys\r\nSystem View: return to User View with Ctrl+Z.\r\n[LAB]l2tp-group 1\r\n"
               "[LAB-l2tp1]tunnel password simple s3cret\r\n[LAB-l2tp1]return\r\n<LAB>dis cur\r\n"),
      std::string::npos)
      << all;
  EXPECT_EQ(all.find("<LAB>[LAB"), std::string::npos) << all;
  EXPECT_EQ(all.find("\r\n\r\n\r\n<LAB>"), std::string::npos)
      << "two blank lines before the first prompt";
  EXPECT_EQ(all.find("<LAB>\r[LAB"), std::string::npos) << all;
  EXPECT_NE(all.find("\r\nreturn\r\n<LAB>"), std::string::npos) << all;
}

TEST_F(VpdndTelnet, QuestionMarkListingsAndCaretErrors) {
  TermClient c = login();
  c.mark_end();
  ASSERT_TRUE(c.sends("?", "display")) << c.all();
  ASSERT_TRUE(c.expect("system-view")) << c.all();
  c.send("\x15");  // Ctrl+U
  c.mark_end();
  ASSERT_TRUE(c.sends("display ?", "current-configuration")) << c.all();
  c.send("\x15");
  c.mark_end();
  ASSERT_TRUE(c.sends("dispaly version\r\n", "^")) << c.all();
  ASSERT_TRUE(c.expect("% Unrecognized command found at '^' position.")) << c.all();
  EXPECT_EQ(c.all().find("Invalid command"), std::string::npos);
  c.mark_end();
  ASSERT_TRUE(c.sends("sys\r\n", "[LAB]"));
  ASSERT_TRUE(c.sends("l2tp-group 99999\r\n", "% ")) << c.all();
  ASSERT_TRUE(c.expect("[LAB]"));
}

TEST_F(VpdndTelnet, TabCompletesOverTelnet) {
  TermClient c = login();
  c.mark_end();
  ASSERT_TRUE(c.sends("system-v\t", "system-view ")) << c.all();
  ASSERT_TRUE(c.sends("\r\n", "[LAB]")) << c.all();
}

TEST_F(VpdndTelnet, TwoSessionsInDifferentViews) {
  TermClient a = login();
  TermClient b = login();
  ASSERT_TRUE(a.sends("system-view\r\n", "[LAB]"));
  ASSERT_TRUE(a.sends("l2tp-group 7\r\n", "[LAB-l2tp7]"));
  ASSERT_TRUE(b.sends("screen-length disable\r\n", "<LAB>"));
  ASSERT_TRUE(b.sends("display current-configuration\r\n", "l2tp-group 7")) << b.all();
  ASSERT_TRUE(b.expect("<LAB>"));
  // A is still where it was.
  ASSERT_TRUE(a.sends("display this\r\n", "l2tp-group 7"));
  ASSERT_TRUE(a.expect("[LAB-l2tp7]"));
}

TEST_F(VpdndTelnet, DisplayUsersShowsEveryTelnetLineAndMarksThisOne) {
  TermClient a = login();
  TermClient b = login();
  ASSERT_TRUE(b.sends("screen-length disable\r\n", "<LAB>"));
  b.mark_end();
  ASSERT_TRUE(b.sends("display users\r\n", "Current operation user.")) << b.all();
  ASSERT_TRUE(b.expect("<LAB>"));
  const std::string& out = b.all();
  EXPECT_NE(out.find("\r\n  1    VTY 0   "), std::string::npos) << out;
  EXPECT_NE(out.find("\r\n+ 2    VTY 1   "), std::string::npos) << out;
  EXPECT_NE(out.find("VTY 1   :\r\n        Location: 127.0.0.1\r\n        User name: admin"),
            std::string::npos)
      << out;
  ASSERT_TRUE(
      b.sends("display history-command\r\n", "  display users\r\n  display history-command"))
      << b.all();
}

TEST_F(VpdndTelnet, FailedLoginIsDelayedRejectedAndLoggedWithoutThePassword) {
  TermClient bad = open();
  ASSERT_TRUE(bad.expect("Username:"));
  ASSERT_TRUE(bad.sends("admin\r\n", "Password:"));
  auto t0 = std::chrono::steady_clock::now();
  bad.send("wrong-pw-xyz\r\n");
  // Meanwhile another client logs in without waiting for the delayed one.
  auto t1 = std::chrono::steady_clock::now();
  TermClient good = login();
  EXPECT_LT(std::chrono::steady_clock::now() - t1, 1500ms);
  ASSERT_TRUE(bad.expect("% Authentication failed.", 5000ms)) << bad.all();
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 1800ms);
  ASSERT_TRUE(bad.expect("Username:"));
  EXPECT_EQ(bad.all().find("<LAB>"), std::string::npos);
  // A ppp-only user may not use telnet.
  ASSERT_TRUE(bad.sends("pppuser\r\n", "Password:"));
  ASSERT_TRUE(bad.sends("ppp-pw\r\n", "% Authentication failed.", 5000ms));
  std::string log = daemon_->log();
  EXPECT_NE(log.find("event=login_failed"), std::string::npos) << log;
  EXPECT_EQ(log.find("wrong-pw-xyz"), std::string::npos) << "password in the log";
}

TEST_F(VpdndTelnet, SilentClientsDoNotBlockOthersAndIdleTimeoutCloses) {
  // 16 clients connect and say nothing; one more logs in and works at once.
  std::vector<TermClient> silent;
  const char* sources[] = {"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"};
  for (int i = 0; i < 16; ++i) silent.push_back(open(sources[i % 4]));
  for (auto& s : silent) ASSERT_TRUE(s.expect("Username:"));
  auto t0 = std::chrono::steady_clock::now();
  TermClient c = login();
  ASSERT_TRUE(c.sends("display version\r\n", "<LAB>"));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3000ms);
  // idle-timeout 0 4 in the config: an idle logged-in session is closed.
  ASSERT_TRUE(c.wait_eof(9000ms)) << c.all();
}

TEST_F(VpdndTelnet, IdleConnectionsFromOneAddressNeverLockOperatorsOut) {
  // An attacker opens 64 connections from one address and never logs in: only a few are
  // let in, the others are refused at once, and an operator elsewhere logs in.
  std::vector<TermClient> idle;
  for (int i = 0; i < 64; ++i) idle.push_back(open("127.0.0.2"));
  std::size_t prompted = 0, refused = 0;
  for (auto& c : idle) {
    c.drain(50ms);
    if (c.all().find("Username:") != std::string::npos) ++prompted;
    if (c.all().find("Too many logins in progress from your address") != std::string::npos)
      ++refused;
  }
  EXPECT_LE(prompted, 4u);
  EXPECT_GE(refused, 60u);
  TermClient op = login();
  ASSERT_TRUE(op.sends("display version\r\n", "<LAB>")) << op.all();
}

TEST_F(VpdndTelnet, IdleConnectionsFromManyAddressesMakeRoomForNewLogins) {
  // 16 addresses x 4 idle connections: the pending slots are full, every new connection
  // evicts the oldest idle one, so an operator still gets a prompt and logs in.
  std::vector<TermClient> idle;
  for (int i = 0; i < 64; ++i)
    idle.push_back(open(("127.0.1." + std::to_string(1 + i / 4)).c_str()));
  TermClient op = login();
  ASSERT_TRUE(op.sends("display version\r\n", "<LAB>")) << op.all();
  std::size_t closed = 0;
  for (auto& c : idle)
    if (c.wait_eof(10ms)) ++closed;
  EXPECT_GE(closed, 48u);
  EXPECT_NE(daemon_->log().find("event=telnet_login_evicted"), std::string::npos);
}

TEST_F(VpdndTelnet, RepeatedFailuresLockTheAddressAndBlacklistShowsIt) {
  // 3 failures (the default login-attempt) from one address lock it for a minute, even on
  // parallel connections; a different address can still log in.
  std::vector<TermClient> guessers;
  for (int i = 0; i < 3; ++i) guessers.push_back(open("127.0.0.7"));
  for (auto& g : guessers) {
    ASSERT_TRUE(g.expect("Username:"));
    ASSERT_TRUE(g.sends("guest\r\n", "Password:"));
    g.send("guess\r\n");
  }
  for (auto& g : guessers) ASSERT_TRUE(g.expect("% Authentication failed.", 6000ms)) << g.all();
  TermClient late = open("127.0.0.7");
  ASSERT_TRUE(late.expect("Too many failed logins from your address", 3000ms)) << late.all();
  EXPECT_TRUE(late.wait_eof(2000ms));
  TermClient op = login();
  ASSERT_TRUE(op.sends("display password-control blacklist\r\n", "Username: guest")) << op.all();
  ASSERT_TRUE(op.expect("127.0.0.7")) << op.all();
  ASSERT_TRUE(op.expect("Lock flag: lock")) << op.all();
  ASSERT_TRUE(op.expect("<LAB>"));
  ASSERT_TRUE(op.sends("reset password-control blacklist ip 127.0.0.7\r\n", "<LAB>"));
  TermClient again = open("127.0.0.7");
  ASSERT_TRUE(again.expect("Username:")) << again.all();
  std::string log = daemon_->log();
  EXPECT_NE(log.find("event=login_failed mode=scheme user=guest peer=127.0.0.7:"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("locked=yes"), std::string::npos) << log;
  EXPECT_EQ(log.find("guess"), std::string::npos) << "password in the log";
}

TEST_F(VpdndTelnet, PasswordControlLoginAttemptIsConfigurationAndApplies) {
  TermClient op = login();
  ASSERT_TRUE(op.sends("system-view\r\n", "[LAB]"));
  ASSERT_TRUE(op.sends("password-control login-attempt 2 exceed lock\r\n", "[LAB]"));
  ASSERT_TRUE(op.sends("display current-configuration | include password-control\r\n",
                       " password-control login-attempt 2 exceed lock"))
      << op.all();
  ASSERT_TRUE(op.expect("[LAB]"));
  for (int i = 0; i < 2; ++i) {
    TermClient g = open("127.0.0.8");
    ASSERT_TRUE(g.expect("Username:")) << g.all();
    ASSERT_TRUE(g.sends("nobody\r\n", "Password:"));
    ASSERT_TRUE(g.sends("x\r\n", "% Authentication failed.", 6000ms)) << g.all();
  }
  TermClient late = open("127.0.0.8");
  ASSERT_TRUE(late.expect("Too many failed logins from your address", 3000ms)) << late.all();
  TermClient op2 = login();  // the first one met the 4 s idle-timeout meanwhile
  ASSERT_TRUE(op2.sends("system-view\r\n", "[LAB]"));
  ASSERT_TRUE(op2.sends("undo password-control login-attempt\r\n", "[LAB]"));
  ASSERT_TRUE(op2.sends("display current-configuration | include password-control\r\n", "[LAB]"));
  EXPECT_EQ(op2.all().find("login-attempt 2", op2.all().rfind("undo password-control")),
            std::string::npos);
}

TEST_F(VpdndTelnet, LoginTimeIsLimitedFromTheConnectNotPerPrompt) {
  // 60 s in total: a user name typed late does not buy another minute for the password.
  TermClient slow = open("127.0.0.9");
  ASSERT_TRUE(slow.expect("Username:"));
  auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(50s);
  ASSERT_TRUE(slow.sends("admin\r\n", "Password:")) << slow.all();
  ASSERT_TRUE(slow.expect("% Login timed out.", 15000ms)) << slow.all();
  EXPECT_TRUE(slow.wait_eof(3000ms));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 63s);
  EXPECT_NE(daemon_->log().find("event=login_failed reason=timeout peer=127.0.0.9:"),
            std::string::npos);
}

TEST_F(VpdndTelnet, QuitDisconnectsAndSigtermExitsZeroQuickly) {
  TermClient c = login();
  c.send("quit\r\n");
  ASSERT_TRUE(c.wait_eof(3000ms));
  TermClient d = login();  // a logged-in session is open during shutdown
  std::chrono::milliseconds took{};
  EXPECT_EQ(daemon_->terminate(6000ms, &took), 0) << daemon_->log();
  EXPECT_LT(took, 5000ms);
  EXPECT_TRUE(d.wait_eof(1000ms));
}

// An init system or an impatient operator repeats the stop signal; every repeat during the
// shutdown must be ignored, not kill the process half way through its cleanup.
TEST_F(VpdndTelnet, RepeatedStopSignalsDuringShutdownStillExitZero) {
  TermClient d = login();
  EXPECT_EQ(daemon_->signal_until_exit(SIGTERM, 1ms, 8000ms), 0) << daemon_->log();
}

TEST_F(VpdndTelnet, VtyAuthenticationModesPasswordAndNoneApplyToNewConnections) {
  TermClient c = login();
  ASSERT_TRUE(c.sends("system-view\r\n", "[LAB]"));
  ASSERT_TRUE(c.sends("user-interface vty 0 4\r\n", "[LAB-ui-vty0-4]")) << c.all();
  ASSERT_TRUE(c.sends("set authentication password simple Line-pw\r\n", "[LAB-ui-vty0-4]"));
  ASSERT_TRUE(c.sends("authentication-mode password\r\n", "[LAB-ui-vty0-4]"));
  {
    TermClient p = open();
    ASSERT_TRUE(p.expect("Password:"));
    EXPECT_EQ(p.all().find("Username:"), std::string::npos);
    ASSERT_TRUE(p.sends("Line-pw\r\n", "<LAB>")) << p.all();
  }
  ASSERT_TRUE(c.sends("authentication-mode none\r\n", "[LAB-ui-vty0-4]"));
  TermClient n = open();
  ASSERT_TRUE(n.expect("<LAB>")) << n.all();
  EXPECT_EQ(n.all().find("Password:"), std::string::npos);
}

TEST_F(VpdndTelnet, LongOutputPagesWithMore) {
  TermClient c = login();
  ASSERT_TRUE(c.sends("screen-length 4\r\n", "<LAB>"));
  c.mark_end();
  ASSERT_TRUE(c.sends("display current-configuration\r\n", "  ---- More ----")) << c.all();
  c.drain(300ms);
  EXPECT_EQ(c.since_mark(), "") << "the LF after CR was taken for a key";
  ASSERT_TRUE(c.sends(" ", "  ---- More ----")) << c.all();
  ASSERT_TRUE(c.sends("q", "<LAB>"));
  EXPECT_EQ(c.since_mark().find("return"), std::string::npos);
}

TEST_F(VpdndTelnet, NawsSetsThePageLengthAndIsNeverTakenForKeys) {
  TermClient c = login();
  // A window of 5 rows: pages of 4 lines.
  c.send(std::string("\xff\xfa\x1f\x00\x50\x00\x05\xff\xf0", 9));
  c.mark_end();
  std::size_t start = c.all().size();
  ASSERT_TRUE(c.sends("display current-configuration\r\n", "  ---- More ----")) << c.all();
  std::string page = c.all().substr(start);
  auto body = page.substr(page.find("display current-configuration\r\n") + 31);
  std::size_t lines = 0;
  for (std::size_t at = 0; (at = body.find("\r\n", at)) != std::string::npos; at += 2) ++lines;
  EXPECT_EQ(lines, 4u) << page;
  ASSERT_TRUE(c.sends("q", "<LAB>"));
  // A 1x1 window (clamped) sent right before a command: the command runs as typed.
  c.mark_end();
  start = c.all().size();
  ASSERT_TRUE(
      c.sends(std::string("\xff\xfa\x1f\x00\x01\x00\x01\xff\xf0", 9) + "system-view\r\n", "[LAB]"))
      << c.all();
  EXPECT_EQ(c.all().find("% ", start), std::string::npos) << c.all();
}

TEST_F(VpdndTelnet, MonitoringTerminalSeesLogLines) {
  TermClient m = login();
  ASSERT_TRUE(m.sends("terminal monitor\r\n", "<LAB>"));
  TermClient bad = open();
  ASSERT_TRUE(bad.expect("Username:"));
  ASSERT_TRUE(bad.sends("nobody\r\n", "Password:"));
  bad.send("x\r\n");
  ASSERT_TRUE(m.expect("event=login_failed", 5000ms)) << m.all();
}

// ping prints each reply as it comes, Ctrl+C stops it and the statistics follow; the
// engine answers other terminals meanwhile (ping runs on its terminal's thread).
TEST_F(VpdndTelnet, PingStreamsRepliesAndStopsOnCtrlC) {
  TermClient c = login();
  c.send("ping -c 100000 127.0.0.1\r\n");
  ASSERT_TRUE(c.expect("Ping 127.0.0.1 (127.0.0.1): 56 data bytes, press CTRL+C to break"))
      << c.all();
  ASSERT_TRUE(c.expect("56 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=")) << c.all();
  TermClient other = login();
  ASSERT_TRUE(other.sends("display l2tp tunnel\r\n", "Total tunnel = 0")) << other.all();
  ASSERT_TRUE(c.sends("\x03", "--- Ping statistics for 127.0.0.1 ---")) << c.all();
  ASSERT_TRUE(c.expect(" packet(s) received, 0.0% packet loss")) << c.all();
  ASSERT_TRUE(c.expect("round-trip min/avg/max/std-dev = ")) << c.all();
  ASSERT_TRUE(c.expect("<LAB>")) << c.all();
  // The daemon's own log lines are in the log buffer.
  ASSERT_TRUE(c.sends("screen-length disable\r\n", "<LAB>"));
  ASSERT_TRUE(c.sends("display logbuffer\r\n", "Log buffer: Enabled")) << c.all();
  ASSERT_TRUE(c.expect(" LAB ")) << c.all();
  ASSERT_TRUE(c.expect("<LAB>"));
  ASSERT_TRUE(
      c.sends("display interface brief\r\n", "Brief information on interfaces in route mode:"))
      << c.all();
  ASSERT_TRUE(c.expect("lo                   UP   UP(s)    127.0.0.1")) << c.all();
  c.send("display ip routing-table\r\n");
  ASSERT_TRUE(c.expect("127.0.0.0/8         Direct 0    0            127.0.0.1       lo"))
      << c.all();
}

TEST_F(VpdndTelnet, SaveAsksAndWritesTheStartupConfig) {
  TermClient c = login();
  c.send("sysname SAVED\r\n");  // user view: rejected, caret
  ASSERT_TRUE(c.expect("% "));
  ASSERT_TRUE(c.sends("system-view\r\n", "[LAB]"));
  ASSERT_TRUE(c.sends("sysname SAVED\r\n", "[SAVED]")) << c.all();
  ASSERT_TRUE(c.sends("save\r\n", "[Y/N]:")) << c.all();
  ASSERT_TRUE(c.sends("y\r\n", "[SAVED]")) << c.all();
  c.drain(300ms);
  std::ifstream in(dir_ / "startup.cfg");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(text.find("sysname SAVED"), std::string::npos) << text << c.all();
}

TEST_F(VpdndTelnet, RealTelnetClientThroughExpect) {
  if (::system("command -v expect >/dev/null 2>&1 && command -v telnet >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "expect or telnet is not installed";
  fs::path script = dir_ / "session.exp";
  std::ofstream(script) << R"(set timeout 10
expect_after { timeout { puts "TIMEOUT"; exit 1 } eof { puts "EOF"; exit 2 } }
spawn telnet 127.0.0.1 )"
                        << port_ << R"(
expect -ex "Username:"
send "admin\r"
expect -ex "Password:"
send "Adm1n-pw\r"
expect -ex "<LAB>"
send "sys\r"
expect -ex {[LAB]}
send "l2tp-group 5\r"
expect -ex {[LAB-l2tp5]}
send "display this\r"
expect -ex "l2tp-group 5"
send "\x1a"
expect -ex "<LAB>"
send "display ?"
expect -ex "current-configuration"
send "\x15quit\r"
expect eof
exit 0
)";
  std::string cmd =
      "expect -f " + script.string() + " > " + (dir_ / "expect.log").string() + " 2>&1";
  int rc = ::system(cmd.c_str());
  std::ifstream in(dir_ / "expect.log");
  std::string log((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(rc, 0) << log;
}

TEST(VpdndConsole, PipedStdinRunsLineByLine) {
  if (!Vpdnd::built()) GTEST_SKIP() << vpdnd_path() << " is not built";
  fs::path dir = fs::temp_directory_path() / ("vpdnd-cli-front-pipe-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "startup.cfg") << kConfig;
  std::ofstream(dir / "cmds.txt") << "system-view\nl2tp-group 9\ndisplay this\nreturn\n";
  std::string cmd = "timeout 20 sh -c '" + vpdnd_path() + " --telnet-port 0 --config " +
                    (dir / "startup.cfg").string() + " < " + (dir / "cmds.txt").string() + " > " +
                    (dir / "out.txt").string() +
                    " 2>&1 & pid=$!; for i in $(seq 150); do grep -q \"l2tp9]return\" " +
                    (dir / "out.txt").string() +
                    " && break; sleep 0.1; done; kill -TERM $pid; wait $pid'";
  int rc = ::system(cmd.c_str());
  std::ifstream in(dir / "out.txt");
  std::string out((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(WEXITSTATUS(rc), 0) << out;
  EXPECT_NE(out.find("[LAB-l2tp9]"), std::string::npos) << out;
  EXPECT_NE(out.find("l2tp-group 9"), std::string::npos) << out;
  std::error_code ec;
  fs::remove_all(dir, ec);
}

TEST(VpdndConsole, PtyShellCtrlZAndSigterm) {
  if (!Vpdnd::built()) GTEST_SKIP() << vpdnd_path() << " is not built";
  fs::path dir =
      fs::temp_directory_path() / ("vpdnd-cli-front-console-" + std::to_string(::getpid()));
  Daemon d;
  ASSERT_TRUE(d.start({"--telnet-port", "0"}, dir, true));
  TermClient c(d.master());
  ASSERT_TRUE(c.expect("<LAB>", 15000ms)) << c.all() << d.log();
  ASSERT_TRUE(c.sends("sys\r", "[LAB]")) << c.all();
  ASSERT_TRUE(c.sends("l2tp-group 3\r", "[LAB-l2tp3]")) << c.all();
  c.mark_end();
  c.send("\x1a");  // Ctrl+Z
  ASSERT_TRUE(c.expect("<LAB>")) << c.all();
  c.drain(300ms);
  c.mark_end();
  c.send("\r");  // the prompt that follows is the user view's, with no system-view part
  ASSERT_TRUE(c.expect("<LAB>")) << c.all();
  c.drain(300ms);
  EXPECT_EQ(c.since_mark().find("[LAB"), std::string::npos) << c.all();
  c.mark_end();
  ASSERT_TRUE(c.sends("dis cu?", "current-configuration")) << c.all();
  c.send("\x15");
  ASSERT_TRUE(c.sends("sy?", "system-view")) << c.all();
  c.send("\x15");
  // Ctrl+C is a key on the console, as on Comware: the box keeps running and answers.
  c.send("\x03");
  std::this_thread::sleep_for(500ms);
  ASSERT_FALSE(d.exited()) << "Ctrl+C on the console stopped vpdnd\n" << d.log();
  c.mark_end();
  ASSERT_TRUE(c.sends("\r", "<LAB>")) << c.all();
  std::chrono::milliseconds took{};
  EXPECT_EQ(d.terminate(6000ms, &took), 0) << d.log();
  EXPECT_LT(took, 5000ms);
  std::error_code ec;
  fs::remove_all(dir, ec);
}

TEST(VpdndConsole, CtrlBackslashStopsTheDaemonGracefully) {
  if (!Vpdnd::built()) GTEST_SKIP() << vpdnd_path() << " is not built";
  fs::path dir = fs::temp_directory_path() / ("vpdnd-cli-front-quit-" + std::to_string(::getpid()));
  Daemon d;
  ASSERT_TRUE(d.start({"--telnet-port", "0"}, dir, true));
  TermClient c(d.master());
  ASSERT_TRUE(c.expect("<LAB>", 15000ms)) << c.all() << d.log();
  c.send("\x1c");  // Ctrl+\ -> SIGQUIT from the terminal
  EXPECT_EQ(d.wait_exit(6000ms), 0) << d.log();
  EXPECT_NE(d.log().find("event=shutdown signal=SIGQUIT"), std::string::npos) << d.log();
  std::error_code ec;
  fs::remove_all(dir, ec);
}

// The bundled default config holds no secret: vpdnd gives admin, the PPP user and the LNS
// group random ones, shows them once on its terminal, and telnet listens on loopback.
TEST(VpdndDefaults, BundledConfigGetsGeneratedSecretsAndLoopbackTelnet) {
  if (!Vpdnd::built()) GTEST_SKIP() << vpdnd_path() << " is not built";
  const char* src = std::getenv("VPDND_SOURCE_DIR");
  fs::path bundled =
      src ? fs::path(src) / "startup-config" / "default.cfg"
          : fs::path(vpdnd_path()).parent_path().parent_path() / "startup-config" / "default.cfg";
  ASSERT_TRUE(fs::exists(bundled)) << bundled;
  for (std::uint16_t port = 20196; port <= 20199; ++port) {
    vpdnd::test::Child d;
    vpdnd::test::Child::Options on_pty;
    on_pty.pty = true;
    on_pty.rows = 0;
    ASSERT_TRUE(
        d.spawn({vpdnd_path(), "--config", bundled.string(), "--telnet-port", std::to_string(port)},
                on_pty));
    TermClient con(d.master());
    bool up = con.expect("telnet server on ", 15000ms);
    auto stop = [&] { d.kill_hard(); };
    if (!up) {  // the port is taken (another test): the next one
      stop();
      continue;
    }
    const std::string& out = con.all();
    ASSERT_TRUE(con.expect("127.0.0.1:" + std::to_string(port))) << out;
    auto secret_after = [&](const std::string& label) {
      auto at = out.find(label);
      return at == std::string::npos ? std::string() : out.substr(at + label.size(), 12);
    };
    std::string admin = secret_after("local-user admin password: ");
    EXPECT_EQ(admin.size(), 12u) << out;
    EXPECT_EQ(secret_after("local-user user1 password: ").size(), 12u) << out;
    EXPECT_EQ(secret_after("l2tp-group 1 tunnel password: ").size(), 12u) << out;
    EXPECT_EQ(out.find("user1pw"), std::string::npos) << out;
    {
      TermClient t(connect_tcp(port));
      ASSERT_TRUE(t.expect("Username:")) << t.all();
      ASSERT_TRUE(t.sends("admin\r\n", "Password:"));
      t.send("admin\r\n");
      EXPECT_TRUE(t.expect("% Authentication failed.", 5000ms)) << t.all();
      ::close(t.fd());
    }
    TermClient t(connect_tcp(port));
    ASSERT_TRUE(t.expect("Username:")) << t.all();
    ASSERT_TRUE(t.sends("admin\r\n", "Password:"));
    t.send(admin + "\r\n");
    EXPECT_TRUE(t.expect("<VPDN>", 5000ms)) << t.all();
    ::close(t.fd());
    stop();
    return;
  }
  FAIL() << "no free port in 20196-20199";
}

}  // namespace
