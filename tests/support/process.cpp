#include "tests/support/process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pty.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <thread>

namespace vpdnd::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string build_dir() {
  if (const char* b = std::getenv("VPDND_BUILD_DIR"); b && *b) return b;
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "build";
  return self.parent_path().parent_path().string();
}

std::string vpdnd_path() {
  return build_dir() + "/vpdnd";
}

bool have_tool(const char* name) {
  std::string cmd = std::string("command -v ") + name + " >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string run_output(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  ::pclose(p);
  return out;
}

ScriptOutcome run_script(const std::string& script, const std::string& args, int timeout_s) {
  // The scripts bound each of their waits; timeout(1) bounds the whole in case one hangs.
  const std::string cmd = "VPDND_BUILD_DIR='" + build_dir() + "' timeout -k 5 " +
                          std::to_string(timeout_s) + " bash '" + script + "' " + args + " 2>&1";
  ScriptOutcome out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p)) out.output += buf;
  const int status = ::pclose(p);
  out.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

bool script_passes(const std::string& script, const std::string& args, int timeout_s) {
  const ScriptOutcome o = run_script(script, args, timeout_s);
  std::printf("%s", o.output.c_str());
  if (o.code == 77) {
    [] { GTEST_SKIP() << "skipped by the script (its output above)"; }();
    return true;
  }
  if (o.code != 0) std::printf("exit code %d\n", o.code);
  return o.code == 0 || o.code == 77;
}

int connect_tcp(std::uint16_t port, const char* source) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (source) {
    sockaddr_in s{};
    s.sin_family = AF_INET;
    ::inet_pton(AF_INET, source, &s.sin_addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&s), sizeof s) < 0) {
      ::close(fd);
      return -1;
    }
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval) {
  auto end = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(interval);
  }
}

bool Child::spawn(const std::vector<std::string>& args, const Options& o) {
  kill_hard();
  log_ = o.log;
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (o.pty) {
    winsize ws{};
    ws.ws_row = o.rows;
    ws.ws_col = o.columns;
    pid_ = ::forkpty(&master_, nullptr, nullptr, o.rows ? &ws : nullptr);
  } else {
    pid_ = ::fork();
  }
  if (pid_ < 0) return false;
  group_ = o.own_group;
  if (pid_ == 0) {
    if (o.own_group) ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (!o.log.empty()) {
      int fd = ::open(o.log.c_str(), O_WRONLY | O_CREAT | (o.append ? O_APPEND : O_TRUNC), 0644);
      if (!o.pty) {
        int null = ::open("/dev/null", O_RDONLY);
        ::dup2(null, 0);
        ::dup2(fd, 1);
      }
      ::dup2(fd, 2);
    }
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  if (o.own_group) ::setpgid(pid_, pid_);  // whichever of the two runs first
  return true;
}

void Child::signal(int number) const {
  if (pid_ > 0) ::kill(group_ ? -pid_ : pid_, number);
}

bool Child::exited() {
  if (pid_ <= 0) return true;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    status_ = status;
    if (group_) ::kill(-pid_, SIGKILL);  // what it started goes with it
    pid_ = -1;
    return true;
  }
  return false;
}

int Child::exit_code() const {
  return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
}

int Child::wait_exit(std::chrono::milliseconds timeout, std::chrono::milliseconds* took,
                     const std::function<void()>& meanwhile) {
  if (pid_ <= 0) return -1;
  auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - t0 < timeout) {
    if (exited()) {
      if (took)
        *took = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - t0);
      return exit_code();
    }
    if (meanwhile)
      meanwhile();
    else
      std::this_thread::sleep_for(20ms);
  }
  return -1;
}

int Child::terminate(std::chrono::milliseconds timeout, std::chrono::milliseconds* took) {
  if (pid_ <= 0) return -1;
  signal(SIGTERM);
  return wait_exit(timeout, took);
}

int Child::signal_until_exit(int number, std::chrono::milliseconds interval,
                             std::chrono::milliseconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (exited()) return exit_code();
    signal(number);
    std::this_thread::sleep_for(interval);
  }
  return -1;
}

void Child::stop(std::chrono::milliseconds grace, int number) {
  if (pid_ <= 0) return;
  signal(number);
  if (wait_exit(grace) < 0) kill_hard();
}

void Child::kill_hard() {
  if (pid_ > 0) {
    signal(SIGKILL);
    ::waitpid(pid_, &status_, 0);
    pid_ = -1;
  }
  if (master_ >= 0) ::close(master_);
  master_ = -1;
}

std::string Child::log() const {
  return read_file(log_);
}

std::size_t Child::count_in_log(const std::string& text) const {
  const std::string all = log();
  std::size_t n = 0;
  for (auto at = all.find(text); at != std::string::npos; at = all.find(text, at + text.size()))
    ++n;
  return n;
}

bool Child::wait_log(const std::string& text, std::chrono::milliseconds timeout,
                     std::size_t seen_before) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (count_in_log(text) > seen_before) return true;
    if (exited()) return false;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

}  // namespace vpdnd::test
