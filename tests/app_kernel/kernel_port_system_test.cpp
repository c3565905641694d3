// System test of KernelPort over the real kernel (make_netlink_kernel_ops): in its own
// network namespace, an "engine" UDP socket (SO_REUSEADDR after bind, as vpdn/engine/udp.cpp
// does) and a "LAC" made of a kernel tunnel + PPPoL2TP channel on a second loopback socket.
// session_ip_up must create the kernel tunnel on a connected socket sharing the engine's
// port, bring pppN up with the template address, the user's address as peer and the host
// route; an LCP frame the LAC's channel sends must reach the calls-side callback, a control
// message the LAC sends must reach the engine callback; session_ip_down must remove pppN and
// the tunnel. Skips with detection's reason on kernels without l2tp/ppp (like this one).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "app/services/kernel_port.hpp"
#include "tests/support/netns.hpp"
#include "tests/support/udp_socket.hpp"

namespace vpdnd::app {
namespace {

Ipv4 ip(const char* s) {
  return *Ipv4::parse(s);
}

using test::Fd;
using test::loopback_udp;

class NullTun final : public vpdn::IpPort {
 public:
  bool add_host_route(std::uint16_t, Ipv4) override { return true; }
  void remove_host_route(std::uint16_t, Ipv4) override {}
  void write_ip(std::uint16_t, ByteView) override {}
};

// Whether the namespace's kernel still lists L2TP tunnel `id` (`ip l2tp`, which reads the
// same genetlink family). The kernel finishes deleting a tunnel in a work item after the
// delete request returns, so the caller polls; a second delete request would not do: the
// kernel accepts one for a tunnel it is still deleting.
bool kernel_lists_tunnel(std::uint32_t id) {
  FILE* p = ::popen("ip l2tp show tunnel 2>/dev/null", "r");
  if (!p) return true;
  const std::string line = "Tunnel " + std::to_string(id) + ",";
  char buf[256];
  bool listed = false;
  while (std::fgets(buf, sizeof buf, p)) listed = listed || std::string(buf).starts_with(line);
  ::pclose(p);
  return listed;
}

bool gone_within_seconds(std::uint32_t id, int seconds) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (kernel_lists_tunnel(id)) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return true;
}

template <class Pred>
bool run_until(boost::asio::io_context& io, Pred done) {
  for (int i = 0; i < 200 && !done(); ++i) {
    io.restart();  // a poll that found no work left the context stopped
    io.poll();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

// pppN as KernelPort configures it: up, `local` with `peer` as its peer, `mtu`.
void expect_configured(const std::string& ifname, Ipv4 local, Ipv4 peer, std::uint32_t mtu) {
  auto rtnl = netlink::RouteNetlink::open();
  ASSERT_TRUE(rtnl);
  auto index = (*rtnl)->link_index(ifname);
  ASSERT_TRUE(index) << ifname;
  auto m = (*rtnl)->link_mtu(*index);
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, mtu);
  auto is_up = (*rtnl)->link_up(*index);
  ASSERT_TRUE(is_up);
  EXPECT_TRUE(*is_up);
  auto addrs = (*rtnl)->addresses(*index);
  ASSERT_TRUE(addrs);
  ASSERT_EQ(addrs->size(), 1u);
  EXPECT_EQ((*addrs)[0].address, local);
  EXPECT_EQ((*addrs)[0].peer, peer);
}

TEST(KernelPortSystem, SessionMovesIntoPppNAndBack) {
  std::string reason;
  if (!netlink::kernel_l2tp_available(&reason)) GTEST_SKIP() << reason;
  if (!netlink::pppol2tp_available(&reason)) GTEST_SKIP() << reason;
  if (!test::have_root()) GTEST_SKIP() << "needs root";
  if (!test::have_ip_tool()) GTEST_SKIP() << "no `ip` (iproute2) to make netns";

  test::Netns ns("vdp-kp-" + std::to_string(::getpid()));
  ASSERT_TRUE(ns.ok());
  ASSERT_TRUE(ns.enter());

  constexpr std::uint16_t kLns = 23034, kLac = 23035;
  Fd engine{loopback_udp(kLns, 0, /*reuse_after_bind=*/true)};
  Fd lac{loopback_udp(kLac, kLns)};
  ASSERT_GE(engine.fd, 0);
  ASSERT_GE(lac.fd, 0);

  // The LAC end: tunnel 402 (peer 401), session 42 (peer 41), in the kernel.
  auto k = netlink::KernelL2tp::open();
  ASSERT_TRUE(k) << k.error().message;
  ASSERT_TRUE((*k)->create_tunnel({.tunnel_id = 402, .peer_tunnel_id = 401, .udp_fd = lac.fd}));
  auto lac_channel = netlink::PppoL2tpChannel::open({.udp_fd = lac.fd,
                                                     .peer = {ip("127.0.0.1"), kLns},
                                                     .tunnel_id = 402,
                                                     .session_id = 42,
                                                     .peer_tunnel_id = 401,
                                                     .peer_session_id = 41});
  ASSERT_TRUE(lac_channel) << lac_channel.error().message;

  boost::asio::io_context io;
  NullTun tun;
  std::vector<Bytes> frames, datagrams;
  KernelPort::Hooks h;
  h.session_info = [](vpdn::SessionRef, std::uint16_t) {
    KernelSessionInfo i;
    i.peer_session_id = 42;
    i.template_address = ip("10.77.0.1");
    i.mtu = 1400;
    return std::optional<KernelSessionInfo>(i);
  };
  h.tunnel_info = [](std::uint16_t) {
    return std::optional<KernelTunnelInfo>(
        KernelTunnelInfo{{ip("127.0.0.1"), kLns}, {ip("127.0.0.1"), kLac}, 402});
  };
  h.on_datagram = [&](netlink::Endpoint, ByteView d) {
    datagrams.emplace_back(d.begin(), d.end());
  };
  h.on_ppp_frame = [&](vpdn::SessionRef, ByteView f) { frames.emplace_back(f.begin(), f.end()); };
  KernelPort port(io, tun, make_netlink_kernel_ops(), h);

  port.session_ip_up({401, 41}, 1, ip("10.77.0.2"));
  ASSERT_TRUE(port.in_kernel({401, 41})) << port.summary();
  const std::string ifname = port.ifname({401, 41});
  expect_configured(ifname, ip("10.77.0.1"), ip("10.77.0.2"), 1400);
  auto rtnl = netlink::RouteNetlink::open();
  ASSERT_TRUE(rtnl);
  auto index = (*rtnl)->link_index(ifname);
  ASSERT_TRUE(index) << ifname;
  auto routes = (*rtnl)->routes(*index);
  ASSERT_TRUE(routes);
  bool route = false;
  for (const auto& r : *routes)
    route = route || (r.destination == ip("10.77.0.2") && r.prefix == 32);
  EXPECT_TRUE(route);

  // LCP Echo-Request from the LAC's channel: the kernel carries it over L2TP and queues it
  // on our channel fd.
  const Bytes echo = {0xc0, 0x21, 0x09, 0x01, 0x00, 0x08, 0x01, 0x02, 0x03, 0x04};
  ASSERT_EQ(::write((*lac_channel)->channel_fd(), echo.data(), echo.size()),
            static_cast<ssize_t>(echo.size()));
  EXPECT_TRUE(run_until(io, [&] { return !frames.empty(); }));
  if (!frames.empty()) {
    EXPECT_EQ(frames[0], echo);
  }

  // A control message (T bit) from the LAC's socket is passed up to ours.
  const Bytes zlb = {0xc8, 0x02, 0x00, 0x0c, 0x01, 0x91, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};
  ASSERT_EQ(::send(lac.fd, zlb.data(), zlb.size(), 0), static_cast<ssize_t>(zlb.size()));
  EXPECT_TRUE(run_until(io, [&] { return !datagrams.empty(); }));
  if (!datagrams.empty()) {
    EXPECT_EQ(datagrams[0], zlb);
  }

  // An IPv4 packet from the LAC's channel crosses pppN, which counts it (whatever routing
  // then does with it); data_counters reports it from a dump read on the io_context, and
  // the session's down from its last single read.
  const Bytes ip_frame = {0x00, 0x21, 0x45, 0,  0,  20, 0, 0,  0,  0, 64,
                          17,   0,    0,    10, 77, 0,  2, 10, 77, 0, 1};
  ASSERT_EQ(::write((*lac_channel)->channel_fd(), ip_frame.data(), ip_frame.size()),
            static_cast<ssize_t>(ip_frame.size()));
  port.set_stats_max_age(std::chrono::seconds(0));
  EXPECT_TRUE(run_until(io, [&] {
    return port.data_counters({401, 41}).input_packets >= 1;
  })) << port.summary();
  EXPECT_GE(port.data_counters({401, 41}).input_octets, 20u + 4u);
  EXPECT_EQ(port.counters().stats_errors, 0u) << port.summary();

  const aaa::Counters last = port.session_ip_down({401, 41}, 1, ip("10.77.0.2"));
  EXPECT_GE(last.input_packets, 1u);
  EXPECT_EQ(port.tunnel_count(), 0u);
  // pppN goes in the next batch delete, which the port posts to its io_context.
  EXPECT_TRUE(run_until(io, [&] { return !(*rtnl)->link_index(ifname); }))
      << ifname << " still there";
  EXPECT_TRUE(gone_within_seconds(401, 10)) << "kernel tunnel 401 left behind";
  lac_channel->reset();
  EXPECT_TRUE((*k)->delete_tunnel(402));
}

int count_lines(const std::string& command) {
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) return -1;
  int n = 0;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) ++n;
  ::pclose(p);
  return n;
}
int ppp_links() {
  return count_lines("ip -o link show type ppp 2>/dev/null");
}
int open_fds() {
  return count_lines("ls /proc/" + std::to_string(::getpid()) + "/fd");
}

// With opener and closer threads (as vpdnd runs it): a call goes in once the protocol
// thread takes its open's result; a call that ended before its open was handed back has
// its channel closed, and nothing stays: no pppN, no kernel tunnel, no descriptor.
TEST(KernelPortSystem, OpenerThreadsMoveACallAndLeaveNothingOfOneThatEndedFirst) {
  std::string reason;
  if (!netlink::kernel_l2tp_available(&reason) || !netlink::pppol2tp_available(&reason))
    GTEST_SKIP() << reason;
  if (!test::have_root() || !test::have_ip_tool()) GTEST_SKIP() << "needs root and `ip`";
  test::Netns ns("vdp-ko-" + std::to_string(::getpid()));
  ASSERT_TRUE(ns.ok() && ns.enter());

  constexpr std::uint16_t kLns = 23036, kLac = 23037;
  Fd engine{loopback_udp(kLns, 0, /*reuse_after_bind=*/true)};
  Fd lac{loopback_udp(kLac, kLns)};
  ASSERT_TRUE(engine.fd >= 0 && lac.fd >= 0);
  boost::asio::io_context io;
  NullTun tun;
  KernelPort::Hooks h;
  h.session_info = [](vpdn::SessionRef c, std::uint16_t) {
    KernelSessionInfo i;
    i.peer_session_id = static_cast<std::uint16_t>(c.session + 1);
    i.template_address = ip("10.78.0.1");
    return std::optional<KernelSessionInfo>(i);
  };
  h.tunnel_info = [](std::uint16_t) {
    return std::optional<KernelTunnelInfo>(
        KernelTunnelInfo{{ip("127.0.0.1"), kLns}, {ip("127.0.0.1"), kLac}, 402});
  };
  // The io_context's reactor (epoll, eventfd, timerfd) lives as long as the context:
  // created first, so that the count below is the port's alone.
  boost::asio::steady_timer reactor(io);
  const int fds_before = open_fds();
  auto port = std::make_unique<KernelPort>(io, tun, make_netlink_kernel_ops(), h);
  port->set_open_threads(4);
  port->set_close_threads(4);

  port->session_ip_up({401, 41}, 1, ip("10.78.0.2"));
  port->session_ip_up({401, 43}, 1, ip("10.78.0.3"));
  port->session_ip_down({401, 43}, 1, ip("10.78.0.3"));  // before its open is handed back
  EXPECT_FALSE(port->in_kernel({401, 41}));  // not until the protocol thread has the result
  const auto until = [&](auto done) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done() && std::chrono::steady_clock::now() < end) {
      io.restart();
      io.run_for(std::chrono::milliseconds(10));
    }
    return done();
  };
  ASSERT_TRUE(until([&] { return port->opening_count() == 0; }));
  EXPECT_TRUE(port->in_kernel({401, 41})) << port->summary();
  EXPECT_FALSE(port->in_kernel({401, 43}));
  EXPECT_TRUE(port->fallbacks().empty()) << port->summary();
  EXPECT_TRUE(until([&] { return ppp_links() == 1; })) << ppp_links() << " pppN";
  // Configured on the opener thread: up, with the template's address and the user's as peer.
  expect_configured(port->ifname({401, 41}), ip("10.78.0.1"), ip("10.78.0.2"), 1500);

  port->session_ip_down({401, 41}, 1, ip("10.78.0.2"));
  port->stop();  // the last batch delete; the closers joined
  EXPECT_EQ(ppp_links(), 0);
  EXPECT_TRUE(gone_within_seconds(401, 10)) << "kernel tunnel 401 left behind";
  port.reset();  // its netlink sockets
  EXPECT_EQ(open_fds(), fds_before);
}

}  // namespace
}  // namespace vpdnd::app
