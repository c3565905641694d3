// What the vpdn-dial system tests share: the lab's Authenticator and address pool (for the
// access concentrator or LNS a test builds from vpdnd's parts), where vpdn-dial is, and its
// summary line parsed.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "ppp/ppp.hpp"
#include "tests/support/netns.hpp"

namespace vpdnd::ppp {
namespace {

// Accepts any user whose PAP password / CHAP secret is "pw".
struct LabAuth : Authenticator {
  Handle authenticate(const AuthRequest& r, Done done) override {
    AuthResult res;
    if (r.method == AuthMethod::pap)
      res.accepted = r.password == "pw";
    else
      res.accepted = chap_md5_response(r.chap_id, "pw", r.chap_challenge) == r.chap_response;
    res.message = res.accepted ? "welcome" : "denied";
    done(res);
    return 1;
  }
  void cancel(Handle) override {}
};

struct LabPool : AddressProvider {
  std::uint32_t next = 0x0a630101;  // 10.99.1.1
  std::set<std::uint32_t> in_use;
  std::optional<Ipv4> acquire(const std::string&, const AuthResult&) override {
    in_use.insert(next);
    return Ipv4{next++};
  }
  void release(Ipv4 a) override { in_use.erase(a.value); }
};

// The thread that runs the lab's io_context: start() once the lab's objects exist, stop()
// (and join) before they go.
class LabThread {
 public:
  ~LabThread() { stop(); }
  void start(boost::asio::io_context& io) {
    io_ = &io;
    work_.emplace(io.get_executor());
    thread_ = std::thread([&io] { io.run(); });
  }
  void stop() {
    if (!thread_.joinable()) return;
    work_.reset();
    io_->stop();
    thread_.join();
  }

 private:
  boost::asio::io_context* io_ = nullptr;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
};

inline std::string dial_path() {
  return test::build_dir() + "/vpdn-dial";
}

// The summary line `established=N failed=F setup_rate=R/s p50_ms=.. p99_ms=..` as
// key -> value ("rate" without "/s"). Hand-parsed: std::regex trips GCC 12's
// -Wmaybe-uninitialized under the sanitizer build.
inline std::map<std::string, std::string> summary(const std::string& out) {
  std::map<std::string, std::string> kv;
  auto at = out.rfind("established=");
  if (at == std::string::npos) return kv;
  std::string line = out.substr(at, out.find('\n', at) - at);
  std::size_t pos = 0;
  while (pos < line.size()) {
    auto sp = line.find(' ', pos);
    std::string tok = line.substr(pos, sp == std::string::npos ? std::string::npos : sp - pos);
    auto eq = tok.find('=');
    if (eq != std::string::npos) {
      std::string k = tok.substr(0, eq), v = tok.substr(eq + 1);
      if (k == "setup_rate") {
        k = "rate";
        if (v.size() > 2 && v.ends_with("/s")) v.resize(v.size() - 2);
      }
      if (k == "p50_ms") k = "p50";
      if (k == "p99_ms") k = "p99";
      kv[k] = v;
    }
    if (sp == std::string::npos) break;
    pos = sp + 1;
  }
  return kv;
}

// vpdn-dial exited with `status` and its summary says `key`=`value` (the output `out`
// goes with a failure).
inline void expect_outcome(int rc, const std::string& out, int status, const std::string& key,
                           const std::string& value) {
  EXPECT_EQ(rc, status) << out;
  EXPECT_EQ(summary(out)[key], value) << out;
}

// A load run: its output printed (it carries the figures), exit 0, all `count` established.
inline void expect_load_done(int rc, const std::string& out, const std::string& count) {
  std::printf("%s", out.c_str());
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(summary(out)["established"], count);
}

}  // namespace
}  // namespace vpdnd::ppp
