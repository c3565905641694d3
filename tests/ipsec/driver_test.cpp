// The charon driver against stand-in charon and swanctl scripts (no strongSwan needed):
// a charon slow to open its VICI socket must still get the configuration loaded.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>

#include "ipsec/plain_filter.hpp"
#include "ipsec/vici.hpp"
#include "tests/ipsec/support.hpp"

namespace vpdnd::ipsec {
namespace {

void script(const std::string& path, const std::string& body) {
  std::ofstream(path) << "#!/bin/sh\n" << body;
  ::chmod(path.c_str(), 0755);
}

// A charon's VICI socket as an attached vpdnd sees it: every request answered with
// success, and recorded as "command key=value ..." (top-level values only).
class FakeVici {
 public:
  explicit FakeVici(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 8) != 0)
      ADD_FAILURE() << "fake VICI socket " << path << ": " << std::strerror(errno);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeVici() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::vector<std::string> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  static bool read_all(int fd, std::string& buf, std::size_t n) {
    buf.resize(n);
    for (std::size_t done = 0; done < n;) {
      ssize_t got = ::read(fd, buf.data() + done, n - done);
      if (got <= 0) return false;
      done += static_cast<std::size_t>(got);
    }
    return true;
  }
  void serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      std::string len, packet;
      if (read_all(c, len, 4)) {
        std::uint32_t n = 0;
        for (unsigned char ch : len) n = (n << 8) | ch;
        if (read_all(c, packet, n) && packet.size() >= 2) {
          std::size_t name_len = static_cast<unsigned char>(packet[1]);
          std::string line = packet.substr(2, name_len);
          auto m = vici::decode_message(std::string_view(packet).substr(2 + name_len));
          if (!m) line += " MALFORMED";
          for (auto& e : m ? *m : vici::Message{})
            line += " " + e.name + (e.kind == vici::Element::Kind::value ? "=" + e.value : "");
          {
            std::lock_guard lock(mutex_);
            requests_.push_back(line);
          }
          std::string reply = std::string("\x01\x03\x07success\x00\x03yes", 15);
          std::string out;
          for (int shift = 24; shift >= 0; shift -= 8)
            out += static_cast<char>((reply.size() >> shift) & 0xff);
          out += reply;
          (void)!::write(c, out.data(), out.size());
        }
      }
      ::close(c);
    }
  }
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

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
  // Attached to the charon whose VICI socket is dir_/charon.vici.
  DriverOptions attach_options() {
    DriverOptions o = options();
    o.mode = DriverOptions::Mode::attach;
    o.vici_uri = "unix://" + dir_ + "/charon.vici";
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

// Attached, swanctl (the drop-policy check, the SA displays) reads a strongswan.conf with
// its own section only: the host's makes it load every installed plugin, which took a
// slow guest longer than swanctl's timeout.
TEST_F(DriverTest, AttachedSwanctlReadsOnlyItsOwnSettings) {
  FakeVici vici(dir_ + "/charon.vici");
  DriverOptions o = kernel_options("XfrmInPolBlock\t0\nXfrmOutPolBlock\t0\n");
  o.mode = DriverOptions::Mode::attach;
  o.vici_uri = "unix://" + dir_ + "/charon.vici";
  script(dir_ + "/swanctl", "echo \"$STRONGSWAN_CONF\" >> " + dir_ +
                                "/env\ncat \"$STRONGSWAN_CONF\" >> " + dir_ + "/confs\nexit 0\n");
  boost::asio::io_context io;
  Driver d(io, o);
  d.apply(dial_in());
  ASSERT_TRUE(run_until(io, [&] { return d.statistics().config_loads > 0; }));
  EXPECT_THAT(read_file(dir_ + "/env"),
              ::testing::HasSubstr(dir_ + "/run/swanctl-strongswan.conf"));
  std::string confs = read_file(dir_ + "/confs");
  EXPECT_THAT(confs, ::testing::HasSubstr("swanctl {"));
  EXPECT_THAT(confs, ::testing::Not(::testing::HasSubstr("charon")));
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

// `reset ipsec sa` and `reset ike sa` on the end that initiates bring its SA back at once
// (charon does not restart what it was told to close, and the LNS only answers); on the
// answering end they only close.
TEST_F(DriverTest, ResetOnTheInitiatingEndBringsTheSaBack) {
  script(dir_ + "/charon", "touch " + dir_ + "/run/charon.vici\nexec sleep 30\n");
  for (auto role : {config::GroupMode::lac, config::GroupMode::lns}) {
    std::remove((dir_ + "/calls").c_str());
    boost::asio::io_context io;
    Driver d(io, options());
    d.apply(named_peer(role));
    ASSERT_TRUE(run_until(io, [&] { return d.statistics().config_loads > 0; }));
    EXPECT_EQ(d.reset_ipsec("", std::nullopt), "");
    EXPECT_EQ(d.reset_ike(std::nullopt), "");
    auto done = [&] {
      return read_file(dir_ + "/calls").find("--terminate --ike peer-10") != std::string::npos;
    };
    ASSERT_TRUE(run_until(io, done));
    io.restart();
    io.run_for(std::chrono::milliseconds(300));
    std::string calls = read_file(dir_ + "/calls");
    std::string restart = "--initiate --child peer-10 --timeout 1";
    if (role == config::GroupMode::lac) {
      EXPECT_THAT(calls, ::testing::HasSubstr("--terminate --child peer-10 --force --uri"));
      EXPECT_THAT(calls, ::testing::HasSubstr("--terminate --child peer-10 --force --uri unix://" +
                                              dir_ + "/run/charon.vici\n" + restart));
      EXPECT_THAT(calls, ::testing::HasSubstr("--terminate --ike peer-10 --force --uri unix://" +
                                              dir_ + "/run/charon.vici\n" + restart));
    } else {
      EXPECT_THAT(calls, ::testing::HasSubstr("--terminate --child peer-10"));
      EXPECT_THAT(calls, ::testing::Not(::testing::HasSubstr("--initiate")));
    }
  }
}

// Own mode, on exit: charon is asked to close and unload each of our connections, the
// drop shunt last, before it gets SIGTERM. A charon slow to shut down is killed, and
// only what it was asked to unload while it answered is sure to leave the kernel.
TEST_F(DriverTest, OwnCharonUnloadsOurConnectionsBeforeItIsStopped) {
  DriverOptions o = listing_kernel_options();
  script(dir_ + "/charon", "touch " + dir_ + "/started\nexec sleep 30\n");
  o.charon_start = std::chrono::milliseconds(5000);
  std::unique_ptr<FakeVici> vici;
  {
    boost::asio::io_context io;
    Driver d(io, o);
    d.apply(dial_in());
    // The driver removes a stale socket before it starts charon; ours comes after.
    ASSERT_TRUE(run_until(io, [&] { return ::access((dir_ + "/started").c_str(), F_OK) == 0; }));
    vici = std::make_unique<FakeVici>(dir_ + "/run/charon.vici");
    ASSERT_TRUE(run_until(io, [&] { return d.statistics().config_loads > 0; }));
    EXPECT_TRUE(vici->requests().empty());
  }
  EXPECT_THAT(vici->requests(),
              ::testing::ElementsAre("terminate ike=vpdn-10-1 force=yes timeout=-1",
                                     "unload-conn name=vpdn-10-1",
                                     "terminate ike=vpdnd-plain-l2tp-drop force=yes timeout=-1",
                                     "unload-conn name=vpdnd-plain-l2tp-drop"));
}

// Attached to a charon that holds connections and keys of others: vpdnd loads its own one
// by one (never `swanctl --load-all`, which unloads every connection its file lacks and
// clears every credential), and on exit unloads exactly those, leaving charon as it was.
TEST_F(DriverTest, AttachedCharonGetsOnlyOursLoadedAndAllOfOursUnloadedOnExit) {
  FakeVici vici(dir_ + "/charon.vici");
  DriverOptions o = attach_options();
  {
    boost::asio::io_context io;
    Driver d(io, o);
    d.apply(dial_in());
    ASSERT_TRUE(run_until(io, [&] { return d.statistics().config_loads > 0; }));
    EXPECT_EQ(d.statistics().last_load_error, "");
    EXPECT_THAT(vici.requests(), ::testing::ElementsAre("load-conn vpdn-10-1",
                                                        "load-shared id=vpdnd-ike-1 type=IKE "
                                                        "data=Sup3r \"Secret\" owners"));
  }
  EXPECT_THAT(
      vici.requests(),
      ::testing::ElementsAre("load-conn vpdn-10-1",
                             "load-shared id=vpdnd-ike-1 type=IKE data=Sup3r \"Secret\" owners",
                             "terminate ike=vpdn-10-1 force=yes timeout=-1",
                             "unload-conn name=vpdn-10-1", "unload-shared id=vpdnd-ike-1"));
  EXPECT_THAT(read_file(dir_ + "/calls"), ::testing::Not(::testing::HasSubstr("--load")));
}

// `undo ipsec apply policy` on an attached charon: our connection and key are unloaded
// at once, and nothing is left for the exit to do.
TEST_F(DriverTest, AttachedCharonLosesOurConnectionOnUndo) {
  FakeVici vici(dir_ + "/charon.vici");
  DriverOptions o = attach_options();
  boost::asio::io_context io;
  auto d = std::make_unique<Driver>(io, o);
  d->apply(dial_in());
  ASSERT_TRUE(run_until(io, [&] { return d->statistics().config_loads > 0; }));
  config::RunningConfig undone = dial_in();
  undone.interfaces["eth1"].ipsec_policy.clear();
  d->apply(undone);
  ASSERT_TRUE(run_until(io, [&] { return d->statistics().config_loads > 1; }));
  auto after_undo = vici.requests();
  EXPECT_THAT(after_undo, ::testing::Contains("unload-conn name=vpdn-10-1"));
  EXPECT_THAT(after_undo, ::testing::Contains("unload-shared id=vpdnd-ike-1"));
  d.reset();
  EXPECT_EQ(vici.requests(), after_undo);
}

}  // namespace
}  // namespace vpdnd::ipsec
