// System test of the kernel backend's per-session channel: a kernel L2TP tunnel over a
// loopback UDP socket pair and a PPPoL2TP session on it; pppN must appear, then disappear on
// teardown. Runs in its own network namespace. Skips, with detection's exact reason, on
// kernels without l2tp/ppp (like the CI kernel).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netlink/netlink.hpp"
#include "tests/support/netns.hpp"

namespace vpdnd::netlink {
namespace {

// A UDP socket bound to 127.0.0.1:local and connected to 127.0.0.1:remote (the kernel's
// L2TP transmit path uses the connected destination).
int connected_udp(std::uint16_t local, std::uint16_t remote) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(0x7f000001);
  a.sin_port = htons(local);
  sockaddr_in b = a;
  b.sin_port = htons(remote);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&b), sizeof b) < 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

TEST(PppoL2tpChannelSystem, UnitAppearsAndDisappears) {
  std::string reason;
  if (!kernel_l2tp_available(&reason)) GTEST_SKIP() << reason;
  if (!pppol2tp_available(&reason)) GTEST_SKIP() << reason;
  if (!test::have_root()) GTEST_SKIP() << "needs root";
  if (!test::have_ip_tool()) GTEST_SKIP() << "no `ip` (iproute2) to make netns";

  test::Netns ns("vdp-ppp-" + std::to_string(::getpid()));
  ASSERT_TRUE(ns.ok());
  ASSERT_TRUE(ns.enter());

  Fd a{connected_udp(23024, 23025)};
  Fd b{connected_udp(23025, 23024)};
  ASSERT_GE(a.fd, 0);
  ASSERT_GE(b.fd, 0);

  auto k = KernelL2tp::open();
  ASSERT_TRUE(k) << k.error().message;
  auto rtnl = RouteNetlink::open();
  ASSERT_TRUE(rtnl) << rtnl.error().message;

  // Two ends of one tunnel: A (ids 301/31) and B (ids 302/32), each over its own socket.
  ASSERT_TRUE((*k)->create_tunnel({.tunnel_id = 301, .peer_tunnel_id = 302, .udp_fd = a.fd}));
  ASSERT_TRUE((*k)->create_tunnel({.tunnel_id = 302, .peer_tunnel_id = 301, .udp_fd = b.fd}));

  std::string name_a, name_b;
  {
    PppoL2tpParams pa{.udp_fd = a.fd,
                      .peer = {*Ipv4::parse("127.0.0.1"), 23025},
                      .tunnel_id = 301,
                      .session_id = 31,
                      .peer_tunnel_id = 302,
                      .peer_session_id = 32};
    PppoL2tpParams pb{.udp_fd = b.fd,
                      .peer = {*Ipv4::parse("127.0.0.1"), 23024},
                      .tunnel_id = 302,
                      .session_id = 32,
                      .peer_tunnel_id = 301,
                      .peer_session_id = 31};
    auto ca = PppoL2tpChannel::open(pa);
    ASSERT_TRUE(ca) << ca.error().message;
    auto cb = PppoL2tpChannel::open(pb);
    ASSERT_TRUE(cb) << cb.error().message;
    EXPECT_GE((*ca)->channel_index(), 0);
    EXPECT_GE((*ca)->unit(), 0);
    EXPECT_NE((*ca)->unit(), (*cb)->unit());
    name_a = (*ca)->ifname();
    name_b = (*cb)->ifname();
    EXPECT_TRUE((*rtnl)->link_index(name_a)) << name_a << " did not appear";
    EXPECT_TRUE((*rtnl)->link_index(name_b)) << name_b << " did not appear";
  }
  // Channels destroyed: the units went with them.
  EXPECT_FALSE((*rtnl)->link_index(name_a)) << name_a << " still there after teardown";
  EXPECT_FALSE((*rtnl)->link_index(name_b)) << name_b << " still there after teardown";
  EXPECT_TRUE((*k)->delete_tunnel(301));
  EXPECT_TRUE((*k)->delete_tunnel(302));
}

}  // namespace
}  // namespace vpdnd::netlink
