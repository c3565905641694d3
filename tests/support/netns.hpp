// Test helper: run the calling thread inside a fresh network namespace ("vdp-..."),
// restored and deleted on destruction even when the test fails.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/support/process.hpp"

namespace vpdnd::test {

inline bool have_root() {
  return ::geteuid() == 0;
}
inline bool have_tun() {
  return ::access("/dev/net/tun", R_OK | W_OK) == 0;
}
inline bool have_ip_tool() {
  return std::system("ip -V >/dev/null 2>&1") == 0;
}

class Netns {
 public:
  // Creates namespace `name` (deleting a stale one of the same name first).
  explicit Netns(std::string name) : name_(std::move(name)) {
    std::system(("ip netns del " + name_ + " 2>/dev/null").c_str());
    ok_ = std::system(("ip netns add " + name_).c_str()) == 0;
    if (ok_) std::system(("ip -n " + name_ + " link set lo up").c_str());
  }
  ~Netns() {
    leave();
    std::system(("ip netns del " + name_ + " 2>/dev/null").c_str());
  }
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;

  bool ok() const { return ok_; }
  const std::string& name() const { return name_; }
  // Moves the calling thread into the namespace.
  bool enter() {
    if (!ok_) return false;
    original_ = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    int fd = ::open(("/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || original_ < 0) return false;
    bool entered = ::setns(fd, CLONE_NEWNET) == 0;
    ::close(fd);
    return entered;
  }
  void leave() {
    if (original_ >= 0) {
      (void)::setns(original_, CLONE_NEWNET);
      ::close(original_);
      original_ = -1;
    }
  }
  // Runs a shell command inside the namespace.
  int exec(const std::string& cmd) const {
    return std::system(("ip netns exec " + name_ + " " + cmd).c_str());
  }
  std::string output(const std::string& cmd) const {
    return run_output("ip netns exec " + name_ + " " + cmd);
  }

 private:
  std::string name_;
  bool ok_ = false;
  int original_ = -1;
};

}  // namespace vpdnd::test
