// What the front-end system tests share: where build/vpdnd is, loopback connections, and
// a child process on a pty (vpdnd itself, or a client such as ssh).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pty.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "term_client.hpp"

namespace vpdnd::test {

// VPDND_BUILD_DIR, else the build tree this test binary sits in (<build>/tests/...).
inline std::string vpdnd_path() {
  namespace fs = std::filesystem;
  if (const char* dir = std::getenv("VPDND_BUILD_DIR"); dir && *dir)
    return std::string(dir) + "/vpdnd";
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec && self.parent_path().filename() == "tests")
    return (self.parent_path().parent_path() / "vpdnd").string();
  return "build/vpdnd";
}

inline bool have(const char* tool) {
  std::string cmd = std::string("command -v ") + tool + " >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

// A TCP connection to 127.0.0.1:`port`, or -1. `source`: a loopback address of 127/8 to
// connect from, so that one test plays several clients with addresses of their own.
inline int connect_to(std::uint16_t port, const char* source = nullptr) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
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

// A child process, on a pty (its terminal is term()) or with its output in a log file.
class Child {
 public:
  ~Child() { kill(); }

  // `log`: stdout and stderr go there (stdin from /dev/null); with a pty only stderr.
  bool spawn(const std::vector<std::string>& args, const std::filesystem::path& log = {},
             bool on_pty = true, unsigned short rows = 24) {
    std::vector<std::string> copy = args;
    std::vector<char*> argv;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    winsize ws{};
    ws.ws_row = rows;
    ws.ws_col = 120;
    pid_ = on_pty ? ::forkpty(&master_, nullptr, nullptr, &ws) : ::fork();
    if (pid_ < 0) return false;
    if (pid_ == 0) {
      if (!log.empty()) {
        int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (!on_pty) {
          int null = ::open("/dev/null", O_RDONLY);
          ::dup2(null, 0);
          ::dup2(fd, 1);
        }
        ::dup2(fd, 2);
      }
      ::execvp(argv[0], argv.data());
      ::_exit(127);
    }
    term_.set_fd(master_);
    return true;
  }

  TermClient& term() { return term_; }
  int master() const { return master_; }

  // True once the child ended (its status is then kept for status()).
  bool exited() {
    if (pid_ <= 0) return true;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    pid_ = -1;
    return true;
  }
  // Waits up to `timeout` for the end, reading the pty meanwhile (a pty child blocks when
  // nobody reads its output).
  bool exited(std::chrono::milliseconds timeout) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      if (exited()) return true;
      if (master_ >= 0)
        term_.drain(std::chrono::milliseconds(20));
      else
        ::usleep(20000);
    }
    return false;
  }
  // The exit status (128 + signal when killed by one); -1 while it runs.
  int status() const { return pid_ > 0 ? -1 : status_; }
  void signal(int number) {
    if (pid_ > 0) ::kill(pid_, number);
  }

  void kill() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    if (master_ >= 0) ::close(master_);
    master_ = -1;
  }

 private:
  pid_t pid_ = -1;
  int master_ = -1;
  int status_ = -1;
  TermClient term_;
};

}  // namespace vpdnd::test
