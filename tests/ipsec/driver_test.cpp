// The charon driver against stand-in charon and swanctl scripts (no strongSwan needed):
// a charon slow to open its VICI socket must still get the configuration loaded.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <fstream>
#include <memory>

#include "ipsec/plain_filter.hpp"
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
    o.xfrm_stat = "";  // the host's kernel stays out of these tests
    return o;
  }
  // A charon that opens its socket at once, on a kernel with XFRM whose counters are
  // `xfrm_stat`.
  DriverOptions kernel_options(const std::string& xfrm_stat) {
    script(dir_ + "/charon", "touch " + dir_ + "/run/charon.vici\nexec sleep 30\n");
    std::ofstream(dir_ + "/xfrm_stat") << xfrm_stat;
    DriverOptions o = options();
    o.xfrm_stat = dir_ + "/xfrm_stat";
    // nft: records its commands; `nft_script` decides what it answers.
    nft_script("exit 0\n");
    o.nft = dir_ + "/nft";
    return o;
  }
  // kernel_options where charon lists the drop shunt as installed.
  DriverOptions listing_kernel_options() {
    script(dir_ + "/swanctl",
           "case \"$*\" in *--list-pols*) echo 'vpdnd-plain-l2tp-drop/vpdnd-plain-l2tp-drop, "
           "DROP';; esac\nexit 0\n");
    return kernel_options("XfrmInPolBlock\t0\nXfrmOutPolBlock\t0\n");
  }
  void nft_script(const std::string& answer) {
    script(dir_ + "/nft", "echo \"$*\" >> " + dir_ + "/nft-calls\n" + answer);
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

// Where the kernel has XFRM, the configuration charon loads carries the drop policies for
// plain L2TP while a policy is applied, and loses them with `undo ipsec apply policy`; the
// statistics show the kernel's block counters.
TEST_F(DriverTest, KernelXfrmGetsPlainL2tpDropPoliciesWhileAPolicyIsApplied) {
  // charon lists the shunt once its policies are in the kernel.
  script(dir_ + "/swanctl",
         "case \"$*\" in *--list-pols*) echo 'vpdnd-plain-l2tp-drop/vpdnd-plain-l2tp-drop, DROP';; "
         "esac\nexit 0\n");
  DriverOptions o = kernel_options(
      "XfrmInError             \t0\nXfrmInPolBlock          \t7\n"
      "XfrmOutPolBlock         \t3\nXfrmFwdHdrError\t0\n");
  boost::asio::io_context io;
  Driver d(io, o);
  d.apply(dial_in());
  ASSERT_TRUE(run_until(io, [&] { return d.statistics().config_loads > 0; }));
  std::string conf = read_file(dir_ + "/run/swanctl.conf");
  EXPECT_THAT(conf, ::testing::HasSubstr("mode = drop"));
  EXPECT_THAT(conf, ::testing::HasSubstr("local_ts = 0.0.0.0/0[udp/1701]"));
  Statistics s = d.statistics();
  EXPECT_TRUE(s.kernel_block);
  EXPECT_EQ(s.kernel_blocked_in, 7u);
  EXPECT_EQ(s.kernel_blocked_out, 3u);
  // The kernel decides on each datagram; the SA list (empty here) is not asked.
  EXPECT_TRUE(d.admit_l2tp(*Ipv4::parse("192.0.2.9")));
  EXPECT_TRUE(d.l2tp_sendable(*Ipv4::parse("192.0.2.9")));

  config::RunningConfig undone = dial_in();
  undone.interfaces["eth1"].ipsec_policy.clear();
  d.apply(undone);
  ASSERT_TRUE(run_until(io, [&] { return d.statistics().config_loads > 1; }));
  EXPECT_THAT(read_file(dir_ + "/run/swanctl.conf"), ::testing::Not(::testing::HasSubstr("drop")));
  EXPECT_FALSE(d.statistics().kernel_block);
  EXPECT_FALSE(d.statistics().l2tp_filter);
}

// With the drop policies goes vpdnd's nftables filter (plain L2TP dropped before any
// socket, counted): installed with the policy, removed with `undo ipsec apply policy`, and
// removed when vpdnd stops.
TEST_F(DriverTest, PlainL2tpFilterFollowsTheAppliedPolicy) {
  DriverOptions o = listing_kernel_options();
  boost::asio::io_context io;
  auto d = std::make_unique<Driver>(io, o);
  d->apply(dial_in());
  ASSERT_TRUE(run_until(io, [&] { return d->statistics().config_loads > 0; }));
  EXPECT_TRUE(d->statistics().l2tp_filter);
  EXPECT_TRUE(d->statistics().kernel_block);
  GuardPolicy any;
  any.any_peer = true;
  std::string calls = read_file(dir_ + "/nft-calls");
  // A filter left by an earlier vpdnd goes first; then the probe and the filter.
  EXPECT_EQ(calls, render_plain_l2tp_filter_removal() + "\nlist tables\n" +
                       render_plain_l2tp_filter(any) + "\n");

  config::RunningConfig undone = dial_in();
  undone.interfaces["eth1"].ipsec_policy.clear();
  d->apply(undone);
  ASSERT_TRUE(run_until(io, [&] { return d->statistics().config_loads > 1; }));
  EXPECT_FALSE(d->statistics().l2tp_filter);
  calls = read_file(dir_ + "/nft-calls");
  EXPECT_THAT(calls, ::testing::EndsWith(render_plain_l2tp_filter_removal() + "\n"));

  d->apply(dial_in());
  ASSERT_TRUE(run_until(io, [&] { return d->statistics().config_loads > 2; }));
  EXPECT_TRUE(d->statistics().l2tp_filter);
  d.reset();  // vpdnd stops (SIGTERM)
  EXPECT_THAT(read_file(dir_ + "/nft-calls"),
              ::testing::EndsWith(render_plain_l2tp_filter(any) + "\n" +
                                  render_plain_l2tp_filter_removal() + "\n"));
}

// nft there but refusing the filter: never silently open; the user-space guard stays on.
TEST_F(DriverTest, PlainL2tpFilterFailureKeepsTheUserSpaceGuardOn) {
  DriverOptions o = listing_kernel_options();
  nft_script("case \"$*\" in *'add rule'*) echo 'Error: syntax error'; exit 1;; esac\nexit 0\n");
  boost::asio::io_context io;
  Driver d(io, o);
  d.apply(dial_in());
  ASSERT_TRUE(run_until(io, [&] { return d.statistics().config_loads > 0; }));
  EXPECT_FALSE(d.statistics().l2tp_filter);
  EXPECT_FALSE(d.statistics().kernel_block);
  EXPECT_FALSE(d.admit_l2tp(*Ipv4::parse("192.0.2.9")));
  EXPECT_EQ(d.statistics().plain_l2tp_refused, 1u);
}

// A kernel without nftables: the drop policies guard as they do alone (user-space data
// path sessions are guarded by them), no filter is counted.
TEST_F(DriverTest, NoNftablesLeavesTheKernelPoliciesGuarding) {
  DriverOptions o = listing_kernel_options();
  nft_script("echo 'Error: Could not process rule: Operation not supported'; exit 1\n");
  boost::asio::io_context io;
  Driver d(io, o);
  d.apply(dial_in());
  ASSERT_TRUE(run_until(io, [&] { return d.statistics().config_loads > 0; }));
  EXPECT_FALSE(d.statistics().l2tp_filter);
  EXPECT_TRUE(d.statistics().kernel_block);
  // Probed once: no filter command after a failed probe.
  EXPECT_THAT(read_file(dir_ + "/nft-calls"), ::testing::Not(::testing::HasSubstr("add rule")));
}

// A kernel that refuses the drop policies (no xfrm_user): charon does not list the shunt,
// and the user-space guard stays on.
TEST_F(DriverTest, DropPoliciesCharonDoesNotListLeaveTheUserSpaceGuardOn) {
  DriverOptions o = kernel_options("XfrmInPolBlock\t0\nXfrmOutPolBlock\t0\n");
  boost::asio::io_context io;
  Driver d(io, o);
  d.apply(dial_in());
  ASSERT_TRUE(run_until(io, [&] { return d.statistics().config_loads > 0; }));
  EXPECT_THAT(read_file(dir_ + "/calls"), ::testing::HasSubstr("--list-pols --drop"));
  EXPECT_FALSE(d.statistics().kernel_block);
  EXPECT_FALSE(d.admit_l2tp(*Ipv4::parse("192.0.2.9")));
}

// kernel-libipsec does ESP inside charon: no kernel policy to install, the user-space guard
// is the only one.
TEST_F(DriverTest, KernelLibipsecGetsNoKernelDropPolicies) {
  DriverOptions o = kernel_options("XfrmInPolBlock\t0\nXfrmOutPolBlock\t0\n");
  o.extra_plugins = {"kernel-libipsec"};
  boost::asio::io_context io;
  Driver d(io, o);
  d.apply(dial_in());
  ASSERT_TRUE(run_until(io, [&] { return d.statistics().config_loads > 0; }));
  EXPECT_THAT(read_file(dir_ + "/run/swanctl.conf"), ::testing::Not(::testing::HasSubstr("drop")));
  EXPECT_FALSE(d.statistics().kernel_block);
  EXPECT_FALSE(d.admit_l2tp(*Ipv4::parse("192.0.2.9")));
  EXPECT_FALSE(d.l2tp_sendable(*Ipv4::parse("192.0.2.9")));
}

}  // namespace
}  // namespace vpdnd::ipsec
