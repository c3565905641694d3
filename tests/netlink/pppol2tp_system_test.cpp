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
#include "tests/support/udp_socket.hpp"

namespace vpdnd::netlink {
namespace {

using test::Fd;
using test::loopback_udp;

// One end of the test's tunnel: its socket's port and its own tunnel and session ids.
struct End {
  int fd;
  std::uint16_t port, tunnel_id, session_id;
};

// The channel parameters of end `me` talking to end `peer`.
PppoL2tpParams channel(const End& me, const End& peer) {
  return {.udp_fd = me.fd,
          .peer = {*Ipv4::parse("127.0.0.1"), peer.port},
          .tunnel_id = me.tunnel_id,
          .session_id = me.session_id,
          .peer_tunnel_id = peer.tunnel_id,
          .peer_session_id = peer.session_id};
}

TEST(PppoL2tpChannelSystem, UnitAppearsAndDisappears) {
  std::string reason;
  if (!kernel_l2tp_available(&reason)) GTEST_SKIP() << reason;
  if (!pppol2tp_available(&reason)) GTEST_SKIP() << reason;
  if (!test::have_root()) GTEST_SKIP() << "needs root";
  if (!test::have_ip_tool()) GTEST_SKIP() << "no `ip` (iproute2) to make netns";

  test::Netns ns("vdp-ppp-" + std::to_string(::getpid()));
  ASSERT_TRUE(ns.ok());
  ASSERT_TRUE(ns.enter());

  Fd a{loopback_udp(23024, 23025)};
  Fd b{loopback_udp(23025, 23024)};
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
    const End end_a{a.fd, 23024, 301, 31}, end_b{b.fd, 23025, 302, 32};
    auto ca = PppoL2tpChannel::open(channel(end_a, end_b));
    ASSERT_TRUE(ca) << ca.error().message;
    auto cb = PppoL2tpChannel::open(channel(end_b, end_a));
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
