// Test helper: a real FreeRADIUS (Debian's freeradius 3.2) configured from scratch in a
// private directory and listening on 127.0.0.1 only: authentication on a port the test
// picks, accounting on the next one, shared secret "testing123", PAP, CHAP and MS-CHAP
// against a users file the test writes, and accounting into <dir>/acct-detail.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "tests/support/process.hpp"

namespace vpdnd::test {

class FreeRadius {
 public:
  static constexpr const char* kBinary = "/usr/sbin/freeradius";
  static constexpr const char* kSecret = "testing123";
  static bool installed();

  // Writes the configuration and `users` (FreeRADIUS `files` syntax) into `dir`, which is
  // emptied first. Nothing runs yet.
  FreeRadius(std::filesystem::path dir, std::uint16_t auth_port, const std::string& users);
  ~FreeRadius() { stop(); }

  // Starts the server (again, after stop()) and waits until it serves. False when it exits
  // or is not ready in 15 s; its output (log()) tells why.
  bool start();
  // SIGTERM, SIGKILL if it is still there after `grace`.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

  std::uint16_t auth_port() const { return auth_port_; }
  std::uint16_t acct_port() const { return static_cast<std::uint16_t>(auth_port_ + 1); }
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path detail_file() const { return dir_ / "acct-detail"; }
  std::string log() const { return process_.log(); }  // every run's output (-X)

 private:
  std::filesystem::path dir_;
  std::uint16_t auth_port_;
  Child process_;
};

// A scratch directory for one test's servers: <build>/radius-test/<name>-<pid> (the system
// temporary directory when there is no build tree).
std::filesystem::path radius_scratch_dir(const std::string& name);

// A test with its own FreeRADIUS: skipped where none is installed. TearDown stops the server
// and removes its directory, which stays when the test failed (the server's files and log
// tell why); a fixture that talks to the server stops its client first, then calls it.
class FreeRadiusFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!FreeRadius::installed())
      GTEST_SKIP() << FreeRadius::kBinary << " missing (apt install freeradius)";
  }
  void TearDown() override {
    if (radius_server_) radius_server_->stop(std::chrono::seconds(2));
    radius_server_.reset();
    if (!HasFailure() && !dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // The server (not started) in scratch directory `name`, authentication on `auth_port`,
  // accounting on the next port, answering from `users`.
  void configure_server(const std::string& name, std::uint16_t auth_port,
                        const std::string& users) {
    radius_server_.emplace(radius_scratch_dir(name), auth_port, users);
    dir_ = radius_server_->dir();
  }
  // Starts (or restarts) it: a fatal failure, with its log, when it does not serve.
  void start_server() {
    ASSERT_TRUE(radius_server_->start()) << "freeradius not ready:\n" << radius_server_->log();
  }
  std::filesystem::path detail_file() const { return radius_server_->detail_file(); }

  std::optional<FreeRadius> radius_server_;
  std::filesystem::path dir_;
};

}  // namespace vpdnd::test
