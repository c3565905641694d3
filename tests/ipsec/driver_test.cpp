// The charon driver against stand-in charon and swanctl scripts (no strongSwan needed):
// a charon slow to open its VICI socket must still get the configuration loaded.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <fstream>

#include "tests/ipsec/support.hpp"

namespace vpdnd::ipsec {
namespace {

void script(const std::string& path, const std::string& body) {
  std::ofstream(path) << "#!/bin/sh\n" << body;
  ::chmod(path.c_str(), 0755);
}

class DriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vpdnd-ipsec-driver.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    // swanctl: records its arguments; fails (as the real one does) while there is no socket.
    script(dir_ + "/swanctl", "echo \"$*\" >> " + dir_ +
                                  "/calls\n"
                                  "[ -e " +
                                  dir_ +
                                  "/run/charon.vici ] || { echo 'connecting failed'; exit 1; }\n"
                                  "exit 0\n");
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }

  DriverOptions options() {
    DriverOptions o;
    o.run_dir = dir_ + "/run";
    o.charon = dir_ + "/charon";
    o.swanctl = dir_ + "/swanctl";
    o.charon_start = std::chrono::milliseconds(200);
    o.load_retry = std::chrono::milliseconds(100);
    return o;
  }
  // Runs the engine until `done` or 10 s.
  template <class F>
  bool run_until(boost::asio::io_context& io, F done) {
    for (int i = 0; i < 200 && !done(); ++i) {
      io.restart();
      io.run_for(std::chrono::milliseconds(50));
    }
    return done();
  }
  std::string dir_;
};

// charon opens its VICI socket only after 1 s, well past charon_start: the first load
// fails, and a retry loads the configuration once the socket is there.
TEST_F(DriverTest, SlowCharonStillGetsTheConfigurationLoaded) {
  script(dir_ + "/charon", "sleep 1\ntouch " + dir_ + "/run/charon.vici\nexec sleep 30\n");
  boost::asio::io_context io;
  Driver d(io, options());
  d.apply(dial_in());
  auto loaded = [&] {
    return d.statistics().config_loads > d.statistics().config_load_failures &&
           d.statistics().last_load_error.empty();
  };
  EXPECT_TRUE(run_until(io, loaded)) << "last error: " << d.statistics().last_load_error;
  EXPECT_GE(d.statistics().config_load_failures, 1u);
  std::string calls = read_file(dir_ + "/calls");
  EXPECT_THAT(calls,
              ::testing::HasSubstr("--load-all --noprompt --file " + dir_ + "/run/swanctl.conf"));
}

// swanctl reads our strongswan.conf (its plugin list), not the system's.
TEST_F(DriverTest, SwanctlGetsOurStrongswanConf) {
  script(dir_ + "/charon", "touch " + dir_ + "/run/charon.vici\nexec sleep 30\n");
  script(dir_ + "/swanctl", "echo \"$STRONGSWAN_CONF\" >> " + dir_ + "/env\nexit 0\n");
  boost::asio::io_context io;
  Driver d(io, options());
  d.apply(dial_in());
  EXPECT_TRUE(run_until(io, [&] { return d.statistics().config_loads > 0; }));
  EXPECT_THAT(read_file(dir_ + "/env"), ::testing::HasSubstr(dir_ + "/run/strongswan.conf"));
}

}  // namespace
}  // namespace vpdnd::ipsec
