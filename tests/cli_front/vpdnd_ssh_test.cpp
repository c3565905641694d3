// System tests: the real build/vpdnd's SSH server driven by the real OpenSSH client (ssh on
// a pty, keys from ssh-keygen): password and public-key logins into the Comware shell,
// wrong credentials refused and delayed, `undo ssh server enable` ending SSH sessions only.
// Loopback only; ports 20700-20799.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/vpdnd.hpp"

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using namespace vpdnd::test;  // the support library: vpdnd, terminals, ports

using Child = vpdnd::test::TermChild;

class VpdndSsh : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Vpdnd::built()) GTEST_SKIP() << vpdnd_path() << " is not built";
    if (!have_tool("ssh") || !have_tool("ssh-keygen"))
      GTEST_SKIP() << "openssh-client is not installed";
    dir_ = test_dir("vpdnd-ssh");
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    for (const char* key : {"id_alice", "id_other"}) {
      std::string cmd =
          "ssh-keygen -q -t ed25519 -N '' -C test -f " + (dir_ / key).string() + " >/dev/null 2>&1";
      ASSERT_EQ(std::system(cmd.c_str()), 0);
    }
    fs::copy_file(dir_ / "id_alice.pub", dir_ / "alice.pub");
    const std::string config =
        " sysname LAB\n"
        "#\n"
        " ssh server enable\n"
        "#\n"
        "public-key peer alice import sshkey alice.pub\n"
        "#\n"
        "local-user admin\n"
        " password simple Adm1n-pw\n"
        " service-type telnet ssh\n"
        "#\n"
        "local-user both\n"
        " password simple Both-pw\n"
        " service-type ssh\n"
        "#\n"
        " ssh user both service-type stelnet "
        "authentication-type password-publickey assign "
        "publickey alice\n"
        "#\n"
        "local-user tel\n"
        " password simple Tel-pw\n"
        " service-type telnet\n"
        "#\n"
        " ssh user alice service-type stelnet "
        "authentication-type publickey assign publickey alice\n"
        "#\n"
        "user-interface vty 0 4\n"
        " authentication-mode scheme\n"
        "#\n"
        "return\n";
    const bool up = take_port_slot(50, 7, 10, [&](std::size_t slot) {
      telnet_port_ = static_cast<std::uint16_t>(20700 + slot);
      ssh_port_ = static_cast<std::uint16_t>(20750 + slot);
      daemon_.emplace();
      if (daemon_->start(dir_, config,
                         {"--no-console", "--telnet-port", std::to_string(telnet_port_),
                          "--ssh-port", std::to_string(ssh_port_)}) &&
          wait_log("SSH server on 127.0.0.1:" + std::to_string(ssh_port_)))
        return true;
      daemon_->kill_hard();
      return false;
    });
    if (!up) FAIL() << "no free port pair for vpdnd: " << log();
  }
  void TearDown() override {
    clients_.clear();
    if (daemon_) daemon_->kill_hard();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string log() const { return read_file(dir_ / "vpdnd.log"); }
  bool wait_log(const std::string& text, std::chrono::milliseconds timeout = 15000ms) {
    return wait_until([&] { return log().find(text) != std::string::npos; }, timeout);
  }

  // ssh USER@127.0.0.1 on a pty; `key`: log in with that key only, else by password only.
  Child& ssh(const std::string& user, const char* key = nullptr, unsigned short rows = 24) {
    if (key)
      return ssh_with(user, {"-o", "PasswordAuthentication=no", "-i", (dir_ / key).string()}, rows);
    return ssh_with(user, {"-o", "PubkeyAuthentication=no"}, rows);
  }
  // The same with `options` saying how it may log in (and from where).
  Child& ssh_with(const std::string& user, const std::vector<std::string>& options,
                  unsigned short rows = 24) {
    std::vector<std::string> args{"ssh",
                                  "-o",
                                  "StrictHostKeyChecking=no",
                                  "-o",
                                  "UserKnownHostsFile=/dev/null",
                                  "-o",
                                  "LogLevel=ERROR",
                                  "-o",
                                  "IdentitiesOnly=yes",
                                  "-o",
                                  "NumberOfPasswordPrompts=1",
                                  "-F",
                                  "/dev/null",
                                  "-p",
                                  std::to_string(ssh_port_)};
    args.insert(args.end(), options.begin(), options.end());
    args.push_back(user + "@127.0.0.1");
    auto& c = clients_.emplace_back(std::make_unique<Child>());
    EXPECT_TRUE(c->spawn(args, rows));
    return *c;
  }

  Child& password_login() {
    Child& c = ssh("admin");
    EXPECT_TRUE(c.term().expect("password:", 10000ms)) << c.term().all();
    c.term().send("Adm1n-pw\r");
    EXPECT_TRUE(c.term().expect("<LAB>", 10000ms)) << c.term().all();
    return c;
  }

  std::optional<Vpdnd> daemon_;
  std::vector<std::unique_ptr<Child>> clients_;
  fs::path dir_;
  std::uint16_t telnet_port_ = 0, ssh_port_ = 0;
};

TEST_F(VpdndSsh, HostKeysAreCreatedBesideTheConfigPrivately) {
  for (const char* name : {"ssh_host_rsa_key", "ssh_host_ecdsa_key"}) {
    auto st = fs::status(dir_ / name);
    ASSERT_TRUE(fs::exists(st)) << name;
    EXPECT_EQ(st.permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  }
}

TEST_F(VpdndSsh, PasswordLoginGetsTheComwareShell) {
  Child& c = password_login();
  TermClient& t = c.term();
  ASSERT_TRUE(t.sends("display version\r", "vpdnd VPDN appliance")) << t.all();
  ASSERT_TRUE(t.expect("<LAB>"));
  ASSERT_TRUE(t.sends("system-view\r", "[LAB]")) << t.all();
  // `?` lists the view's commands, Tab completes, the caret marks an error.
  ASSERT_TRUE(t.sends("displ?", "display")) << t.all();
  ASSERT_TRUE(t.expect("Display current system information")) << t.all();
  t.send("\x15");  // Ctrl+U
  t.send("display ssh ser\t");
  ASSERT_TRUE(t.expect("server ")) << t.all();  // the line editor completes the word in place
  ASSERT_TRUE(t.sends("session\r", "Established")) << t.all();
  ASSERT_TRUE(t.expect("admin")) << t.all();
  ASSERT_TRUE(t.expect("[LAB]"));
  ASSERT_TRUE(t.sends("frobnicate\r", "% Unrecognized command found at '^' position.")) << t.all();
  // Ctrl+Z goes back to user view; quit ends the session.
  ASSERT_TRUE(t.sends("\x1a", "<LAB>")) << t.all();
  t.send("quit\r");
  EXPECT_TRUE(c.exited(5000ms)) << t.all();
}

TEST_F(VpdndSsh, LongOutputIsPagedByTheClientWindowHeight) {
  Child& c = ssh("admin", nullptr, 10);
  TermClient& t = c.term();
  ASSERT_TRUE(t.expect("password:", 10000ms));
  ASSERT_TRUE(t.sends("Adm1n-pw\r", "<LAB>", 10000ms)) << t.all();
  ASSERT_TRUE(t.sends("display current-configuration\r", "---- More ----")) << t.all();
  // A 10-row window: 9 lines before the prompt for more.
  std::string page = t.all().substr(t.all().find("display current-configuration"));
  EXPECT_EQ(std::count(page.begin(), page.end(), '\n'), 10) << page;
  ASSERT_TRUE(t.sends("q", "<LAB>")) << t.all();
}

TEST_F(VpdndSsh, KeyLoginWorksAndAWrongKeyIsRefusedAfterADelay) {
  Child& good = ssh("alice", "id_alice");
  ASSERT_TRUE(good.term().expect("<LAB>", 10000ms)) << good.term().all();
  good.term().send("quit\r");
  EXPECT_TRUE(good.exited(5000ms));

  auto t0 = std::chrono::steady_clock::now();
  Child& bad = ssh("alice", "id_other");
  ASSERT_TRUE(bad.term().expect("Permission denied", 15000ms)) << bad.term().all();
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, 1900ms);
  EXPECT_FALSE(bad.term().all().find("<LAB>") != std::string::npos);
  // A key is not a password: admin has none assigned.
  Child& other = ssh("admin", "id_alice");
  ASSERT_TRUE(other.term().expect("Permission denied", 15000ms)) << other.term().all();
  EXPECT_TRUE(wait_log("event=login_failed service=ssh method=publickey"));
}

TEST_F(VpdndSsh, WrongPasswordIsRefusedDelayedAndNotLogged) {
  auto t0 = std::chrono::steady_clock::now();
  Child& c = ssh("admin");
  ASSERT_TRUE(c.term().expect("password:", 10000ms));
  c.term().send("Secret-guess-1\r");
  ASSERT_TRUE(c.term().expect("Permission denied", 15000ms)) << c.term().all();
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 1900ms);
  // A telnet-only user may not use SSH, even with the right password.
  Child& tel = ssh("tel");
  ASSERT_TRUE(tel.term().expect("password:", 10000ms));
  tel.term().send("Tel-pw\r");
  ASSERT_TRUE(tel.term().expect("Permission denied", 15000ms)) << tel.term().all();
  ASSERT_TRUE(wait_log("event=login_failed service=ssh method=password"));
  EXPECT_EQ(log().find("Secret-guess-1"), std::string::npos);
}

TEST_F(VpdndSsh, UndoSshServerEnableDropsSshSessionsOnlyTelnetStays) {
  Child& c = password_login();
  int fd = connect_tcp(telnet_port_);
  ASSERT_GE(fd, 0);
  TermClient tel(fd);
  ASSERT_TRUE(tel.expect("Username:"));
  ASSERT_TRUE(tel.sends("admin\r\n", "Password:"));
  ASSERT_TRUE(tel.sends("Adm1n-pw\r\n", "<LAB>")) << tel.all();
  ASSERT_TRUE(tel.sends("system-view\r\n", "[LAB]"));
  ASSERT_TRUE(tel.sends("undo ssh server enable\r\n", "[LAB]"));
  EXPECT_TRUE(c.exited(5000ms)) << c.term().all();
  // Telnet goes on; a new SSH connection is turned away.
  ASSERT_TRUE(tel.sends("display ssh server status\r\n", "SSH server: Disable")) << tel.all();
  Child& late = ssh("admin");
  EXPECT_TRUE(late.exited(10000ms));
  EXPECT_EQ(late.term().all().find("password:"), std::string::npos) << late.term().all();
  // And back on.
  ASSERT_TRUE(tel.sends("ssh server enable\r\n", "[LAB]"));
  password_login();
  ::close(fd);
}

TEST_F(VpdndSsh, ProtocolInboundTelnetRefusesSsh) {
  int fd = connect_tcp(telnet_port_);
  ASSERT_GE(fd, 0);
  TermClient tel(fd);
  ASSERT_TRUE(tel.expect("Username:"));
  ASSERT_TRUE(tel.sends("admin\r\n", "Password:"));
  ASSERT_TRUE(tel.sends("Adm1n-pw\r\n", "<LAB>"));
  tel.send("system-view\r\n");
  tel.send("user-interface vty 0 4\r\n");
  ASSERT_TRUE(tel.sends("protocol inbound telnet\r\n", "[LAB-ui-vty0-4]")) << tel.all();
  tel.drain(300ms);
  Child& c = ssh("admin");
  EXPECT_TRUE(c.exited(10000ms));
  EXPECT_EQ(c.term().all().find("password:"), std::string::npos) << c.term().all();
  ::close(fd);
}

TEST_F(VpdndSsh, PasswordPublickeyNeedsBothFactors) {
  // The key alone is not enough: the server then asks for the password.
  Child& c = ssh("both", "id_alice");
  ASSERT_TRUE(c.term().expect("Permission denied", 15000ms)) << c.term().all();
  EXPECT_EQ(c.term().all().find("<LAB>"), std::string::npos);
  // Key and password.
  Child& both = ssh_with("both", {"-i", (dir_ / "id_alice").string()});
  ASSERT_TRUE(both.term().expect("password:", 10000ms)) << both.term().all();
  both.term().send("Both-pw\r");
  ASSERT_TRUE(both.term().expect("<LAB>", 10000ms)) << both.term().all();
  EXPECT_TRUE(wait_log("event=login service=ssh method=password-publickey user=both"));
}

TEST_F(VpdndSsh, TerminalMonitorAndIdleTimeoutWorkOverSsh) {
  Child& c = password_login();
  TermClient& t = c.term();
  ASSERT_TRUE(t.sends("terminal monitor\r", "<LAB>")) << t.all();
  t.send("system-view\r");
  t.send("user-interface vty 0 4\r");
  ASSERT_TRUE(t.sends("idle-timeout 0 3\r", "[LAB-ui-vty0-4]")) << t.all();
  ASSERT_TRUE(t.sends("return\r", "<LAB>")) << t.all();
  // Another login's failure shows on this monitoring terminal.
  Child& bad = ssh("nobody");
  ASSERT_TRUE(bad.term().expect("password:", 10000ms));
  bad.term().send("x\r");
  ASSERT_TRUE(t.expect("event=login_failed service=ssh", 10000ms)) << t.all();
  // A new session gets the new idle timeout.
  Child& idle = password_login();
  ASSERT_TRUE(idle.term().expect("% Idle timeout", 10000ms)) << idle.term().all();
  EXPECT_TRUE(idle.exited(5000ms));
}

TEST_F(VpdndSsh, RepeatedFailuresLockTheAddressForSshToo) {
  for (int i = 0; i < 3; ++i) {
    Child& c = ssh("admin");
    ASSERT_TRUE(c.term().expect("password:", 10000ms)) << c.term().all();
    c.term().send("wrong-" + std::to_string(i) + "\r");
    ASSERT_TRUE(c.term().expect("Permission denied", 15000ms)) << c.term().all();
  }
  // Locked now: even the right password gets nowhere, the connection ends before the
  // key exchange.
  Child& c = ssh("admin");
  EXPECT_TRUE(c.exited(10000ms));
  EXPECT_EQ(c.term().all().find("password:"), std::string::npos) << c.term().all();
  EXPECT_TRUE(wait_log("event=login_refused service=ssh reason=address_locked"));
}

TEST_F(VpdndSsh, SilentConnectionsFromOneAddressCannotTakeEverySlot) {
  std::vector<int> silent;
  for (int i = 0; i < 4; ++i) {
    int fd = connect_tcp(ssh_port_);
    ASSERT_GE(fd, 0);
    silent.push_back(fd);
  }
  std::this_thread::sleep_for(300ms);
  // A fifth one from the same address is closed at once.
  int fifth = connect_tcp(ssh_port_);
  ASSERT_GE(fifth, 0);
  TermClient t(fifth);
  EXPECT_TRUE(t.wait_eof(3000ms));
  ::close(fifth);
  // An operator from another address still logs in.
  Child& op = ssh_with("admin", {"-o", "PubkeyAuthentication=no", "-b", "127.0.0.2"});
  ASSERT_TRUE(op.term().expect("password:", 10000ms)) << op.term().all();
  op.term().send("Adm1n-pw\r");
  EXPECT_TRUE(op.term().expect("<LAB>", 10000ms)) << op.term().all();
  for (int fd : silent) ::close(fd);
}

// Keys sent right behind the shell request (a script piping commands into ssh) reach the
// shell: none are lost while the terminal starts.
TEST_F(VpdndSsh, CommandsPipedRightAfterLoginAreRun) {
  for (int i = 0; i < 10; ++i) {
    fs::path out = dir_ / ("piped-" + std::to_string(i));
    std::string cmd =
        "(printf 'display version\\r'; sleep 0.5) | ssh -F /dev/null -T -o "
        "StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR "
        "-o IdentitiesOnly=yes -o PasswordAuthentication=no -i " +
        (dir_ / "id_alice").string() + " -p " + std::to_string(ssh_port_) + " alice@127.0.0.1 > " +
        out.string() + " 2>&1";
    std::system(cmd.c_str());
    std::ifstream in(out);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    ASSERT_NE(text.find("vpdnd VPDN appliance"), std::string::npos) << "run " << i << ": " << text;
  }
}

}  // namespace
