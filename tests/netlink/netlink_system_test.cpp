// System tests: real TUN device, rtnetlink through libnl, packets both ways, all inside a
// network namespace the test creates ("vdp-tun-<pid>") and deletes.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>

#include "netlink/netlink.hpp"
#include "tests/support/ipv4_packet.hpp"
#include "tests/support/netns.hpp"

namespace vpdnd::netlink {
namespace {

using test::Netns;

#define REQUIRE_NETNS()                                                            \
  do {                                                                             \
    if (!test::have_root()) GTEST_SKIP() << "needs root (netns, TUN)";             \
    if (!test::have_tun()) GTEST_SKIP() << "no /dev/net/tun";                      \
    if (!test::have_ip_tool()) GTEST_SKIP() << "no `ip` (iproute2) to make netns"; \
  } while (0)

std::uint16_t ip_checksum(const std::uint8_t* p, std::size_t n) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < n; i += 2) sum += (p[i] << 8) | p[i + 1];
  if (n & 1) sum += p[n - 1] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

// IPv4/UDP datagram with a valid header checksum and UDP checksum 0 (allowed for IPv4).
Bytes udp_packet(Ipv4 src, Ipv4 dst, std::uint16_t sport, std::uint16_t dport,
                 std::string_view data) {
  Bytes p = test::ipv4_packet(src, dst, 17, 28 + data.size());
  std::uint16_t c = ip_checksum(p.data(), 20);
  p[10] = static_cast<std::uint8_t>(c >> 8);
  p[11] = static_cast<std::uint8_t>(c);
  p[20] = static_cast<std::uint8_t>(sport >> 8);
  p[21] = static_cast<std::uint8_t>(sport);
  p[22] = static_cast<std::uint8_t>(dport >> 8);
  p[23] = static_cast<std::uint8_t>(dport);
  std::size_t ulen = 8 + data.size();
  p[24] = static_cast<std::uint8_t>(ulen >> 8);
  p[25] = static_cast<std::uint8_t>(ulen);
  std::memcpy(p.data() + 28, data.data(), data.size());
  return p;
}

int udp_socket(Ipv4 bind_to, std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(bind_to.value);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

class TunInNetns : public ::testing::Test {
 protected:
  void SetUp() override {
    REQUIRE_NETNS();
    ns_ = std::make_unique<Netns>("vdp-tun-" + std::to_string(::getpid()));
    ASSERT_TRUE(ns_->ok());
    ASSERT_TRUE(ns_->enter());
    auto tun = TunDevice::open("vdpt0");
    ASSERT_TRUE(tun) << tun.error().message;
    tun_ = std::move(*tun);
    auto rtnl = RouteNetlink::open();
    ASSERT_TRUE(rtnl) << rtnl.error().message;
    rtnl_ = std::move(*rtnl);
    ASSERT_TRUE(rtnl_->set_link(tun_->ifindex(), 1400, true));
    ASSERT_TRUE(rtnl_->add_address(tun_->ifindex(), local_, 24));
  }
  void TearDown() override {
    routes_.reset();
    tun_.reset();
    rtnl_.reset();
    ns_.reset();
  }

  const Ipv4 local_ = *Ipv4::parse("10.99.0.1");
  const Ipv4 user_ = *Ipv4::parse("10.77.1.5");  // outside the /24: reachable only by host route
  std::unique_ptr<Netns> ns_;
  std::unique_ptr<TunDevice> tun_;
  std::unique_ptr<RouteNetlink> rtnl_;
  std::unique_ptr<RouteTable> routes_;
};

TEST_F(TunInNetns, LinkIsUpWithMtuAndAddress) {
  EXPECT_EQ(tun_->name(), "vdpt0");
  EXPECT_EQ(*rtnl_->link_mtu(tun_->ifindex()), 1400u);
  EXPECT_TRUE(*rtnl_->link_up(tun_->ifindex()));
  auto addrs = rtnl_->addresses(tun_->ifindex());
  ASSERT_TRUE(addrs) << addrs.error().message;
  ASSERT_EQ(addrs->size(), 1u);
  EXPECT_EQ((*addrs)[0].address, local_);
  EXPECT_EQ((*addrs)[0].prefix, 24);
  // Independent check with iproute2.
  std::string out = ns_->output("ip -o -4 addr show dev vdpt0");
  EXPECT_NE(out.find("inet 10.99.0.1/24"), std::string::npos) << out;
  EXPECT_NE(ns_->output("ip -o link show dev vdpt0").find("mtu 1400"), std::string::npos);
  // Adding it again is not an error (template re-applied).
  EXPECT_TRUE(rtnl_->add_address(tun_->ifindex(), local_, 24));
  ASSERT_TRUE(rtnl_->remove_address(tun_->ifindex(), local_, 24));
  EXPECT_EQ(ns_->output("ip -o -4 addr show dev vdpt0").find("10.99.0.1"), std::string::npos);
}

TEST_F(TunInNetns, HostRoutesAppearAndDisappear) {
  routes_ = std::make_unique<RouteTable>(*rtnl_, tun_->ifindex());
  ASSERT_TRUE(routes_->add_host(user_));
  ASSERT_TRUE(routes_->add_host(*Ipv4::parse("10.77.1.6")));
  EXPECT_TRUE(routes_->add_host(user_));  // idempotent
  EXPECT_EQ(routes_->size(), 2u);
  std::string out = ns_->output("ip -4 route show dev vdpt0");
  EXPECT_NE(out.find("10.77.1.5 "), std::string::npos) << out;
  EXPECT_NE(out.find("10.77.1.6 "), std::string::npos) << out;
  auto listed = rtnl_->routes(tun_->ifindex());
  ASSERT_TRUE(listed);
  int hosts = 0;
  for (const auto& r : *listed)
    if (r.prefix == 32 && (r.destination == user_ || r.destination == *Ipv4::parse("10.77.1.6")))
      ++hosts;
  EXPECT_EQ(hosts, 2);

  ASSERT_TRUE(routes_->remove_host(user_));
  EXPECT_FALSE(routes_->remove_host(user_));  // not installed any more
  out = ns_->output("ip -4 route show dev vdpt0");
  EXPECT_EQ(out.find("10.77.1.5 "), std::string::npos) << out;
  routes_->remove_all();
  out = ns_->output("ip -4 route show dev vdpt0");
  EXPECT_EQ(out.find("10.77.1.6"), std::string::npos) << out;
  EXPECT_FALSE(rtnl_->add_route(user_, 33, tun_->ifindex()));
}

// `ip route-static`: via a next hop (the kernel finds the device), out of a device, or both;
// the preference becomes the metric.
TEST_F(TunInNetns, StaticRoutesWithGatewayAndMetric) {
  const Ipv4 net = *Ipv4::parse("10.55.0.0"), net2 = *Ipv4::parse("10.66.0.0");
  const Ipv4 hop = *Ipv4::parse("10.99.0.9");
  ASSERT_TRUE(rtnl_->add_static_route(net, 16, hop, 0, 70));
  EXPECT_TRUE(rtnl_->add_static_route(net, 16, hop, 0, 70));  // again: not an error
  ASSERT_TRUE(rtnl_->add_static_route(net2, 16, std::nullopt, tun_->ifindex(), 60));
  std::string out = ns_->output("ip -4 route show proto static");
  EXPECT_NE(out.find("10.55.0.0/16 via 10.99.0.9 dev vdpt0 metric 70"), std::string::npos) << out;
  EXPECT_NE(out.find("10.66.0.0/16 dev vdpt0 scope link metric 60"), std::string::npos) << out;
  EXPECT_FALSE(rtnl_->add_static_route(net, 16, std::nullopt, 0, 60));  // neither
  // A next hop on no connected network is refused by the kernel.
  EXPECT_FALSE(rtnl_->add_static_route(net, 24, *Ipv4::parse("192.0.2.1"), 0, 60));
  ASSERT_TRUE(rtnl_->remove_static_route(net, 16, hop, 0, 70));
  ASSERT_TRUE(rtnl_->remove_static_route(net2, 16, std::nullopt, tun_->ifindex(), 60));
  out = ns_->output("ip -4 route show proto static");
  EXPECT_EQ(out.find("10.55.0.0"), std::string::npos) << out;
  EXPECT_EQ(out.find("10.66.0.0"), std::string::npos) << out;
}

TEST_F(TunInNetns, PacketsRoutedIntoTunAreReadInBatches) {
  routes_ = std::make_unique<RouteTable>(*rtnl_, tun_->ifindex());
  ASSERT_TRUE(routes_->add_host(user_));
  int fd = udp_socket(local_, 23010);
  ASSERT_GE(fd, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(23011);
  to.sin_addr.s_addr = htonl(user_.value);
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(::sendto(fd, "ping", 4, 0, reinterpret_cast<sockaddr*>(&to), sizeof to), 4);
  ::close(fd);

  boost::asio::io_context io;
  std::size_t seen = 0, wakeups = 0;
  AddressMap<int> sessions;
  sessions.insert(user_, 42);
  DataPlaneCounters c;
  tun_->start(io, [&](const PacketBatch& batch) {
    ++wakeups;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const int* s = sessions.find_for_packet(batch[i], c);
      if (s && *s == 42 && batch[i].size() == 32) ++seen;
    }
    if (seen >= 5) io.stop();
  });
  boost::asio::steady_timer guard(io, std::chrono::seconds(5));
  guard.async_wait([&](auto) { io.stop(); });
  io.run();
  tun_->stop();
  EXPECT_EQ(seen, 5u);
  EXPECT_LE(wakeups, 5u);
  EXPECT_GE(tun_->counters().packets_in, 5u);
}

TEST_F(TunInNetns, PacketsWrittenToTunReachLocalSockets) {
  routes_ = std::make_unique<RouteTable>(*rtnl_, tun_->ifindex());
  ASSERT_TRUE(routes_->add_host(user_));  // return path for rp_filter
  int fd = udp_socket(local_, 23012);
  ASSERT_GE(fd, 0);
  Bytes p = udp_packet(user_, local_, 23013, 23012, "hello-through-tun");
  ASSERT_TRUE(tun_->write(p));
  char buf[64];
  sockaddr_in from{};
  socklen_t len = sizeof from;
  ssize_t n = ::recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
  ::close(fd);
  ASSERT_EQ(n, 17);
  EXPECT_EQ(std::string(buf, 17), "hello-through-tun");
  EXPECT_EQ(ntohl(from.sin_addr.s_addr), user_.value);
  EXPECT_EQ(tun_->counters().packets_out, 1u);
}

// The batch delete of kernel sessions' pppN, on veth pairs (any link with rtnetlink
// delete works the same; pppN needs the ppp module): the listed links go in one request, a
// link not listed stays, and a listed link already gone, or one without an address, does
// not stop the others.
TEST(LinkGroupDelete, DeletesTheListedLinksTogetherAndNothingElse) {
  if (!test::have_root()) GTEST_SKIP() << "needs root (netns)";
  if (!test::have_ip_tool()) GTEST_SKIP() << "no `ip` (iproute2) to make netns";
  Netns ns("vdp-grp-" + std::to_string(::getpid()));
  ASSERT_TRUE(ns.ok());
  for (const char* n : {"a", "b", "c"})
    ASSERT_EQ(std::system(("ip -n " + ns.name() + " link add vdg" + n + " type veth peer name vdg" +
                           n + "p")
                              .c_str()),
              0);
  // A pppN's address (local/32 with a peer), and the same local address on the link that
  // stays: its address and routes are untouched.
  for (const char* n : {"a", "c"})
    ASSERT_EQ(std::system(("ip -n " + ns.name() + " addr add 10.77.0.1/32 peer 10.77.0." +
                           (n[0] == 'a' ? "2" : "3") + " dev vdg" + n + " && ip -n " + ns.name() +
                           " link set vdg" + n + " up")
                              .c_str()),
              0);
  ASSERT_TRUE(ns.enter());
  const int a = static_cast<int>(::if_nametoindex("vdga"));
  const int b = static_cast<int>(::if_nametoindex("vdgb"));
  ASSERT_GT(a, 0);
  ASSERT_GT(b, 0);
  auto reader = LinkStatsReader::open();
  ASSERT_TRUE(reader) << reader.error().message;
  auto s = (*reader)->delete_links({a, 99999, b}, 0x7670fffe);
  EXPECT_TRUE(s) << s.error().message;
  EXPECT_EQ(::if_nametoindex("vdga"), 0u);
  EXPECT_EQ(::if_nametoindex("vdgb"), 0u);
  EXPECT_NE(::if_nametoindex("vdgc"), 0u);
  EXPECT_EQ(std::system(("ip -n " + ns.name() + " -4 addr show dev vdgc | grep -q 10.77.0.1 && " +
                         "ip -n " + ns.name() + " route get 10.77.0.3 | grep -q vdgc")
                            .c_str()),
            0);
  // Nothing left in the group: refused, and the remaining link is untouched.
  EXPECT_FALSE((*reader)->delete_links({99999}, 0x7670fffe));
  EXPECT_NE(::if_nametoindex("vdgc"), 0u);
}

// Thousands of refused messages in one batch overflow the socket's receive buffer and the
// kernel drops replies, the delete's ack among them: the listed links that exist are still
// reported deleted, and are.
TEST(LinkGroupDelete, ManyRefusalsDoNotLoseTheOutcome) {
  if (!test::have_root()) GTEST_SKIP() << "needs root (netns)";
  if (!test::have_ip_tool()) GTEST_SKIP() << "no `ip` (iproute2) to make netns";
  Netns ns("vdp-grpo-" + std::to_string(::getpid()));
  ASSERT_TRUE(ns.ok());
  ASSERT_EQ(
      std::system(("ip -n " + ns.name() + " link add vdgo type veth peer name vdgop").c_str()), 0);
  ASSERT_TRUE(ns.enter());
  const int real = static_cast<int>(::if_nametoindex("vdgo"));
  ASSERT_GT(real, 0);
  std::vector<int> listed;
  for (int i = 0; i < 4000; ++i) listed.push_back(200000 + i);  // no such links
  listed.push_back(real);
  auto reader = LinkStatsReader::open();
  ASSERT_TRUE(reader) << reader.error().message;
  auto s = (*reader)->delete_links(listed, 0x7670fffd);
  EXPECT_TRUE(s) << s.error().message;
  EXPECT_EQ(::if_nametoindex("vdgo"), 0u);
  // The socket still answers the next batch correctly.
  EXPECT_FALSE((*reader)->delete_links({99999}, 0x7670fffd));
}

TEST(KernelL2tp, CreatesAndDeletesWhereTheKernelHasIt) {
  std::string reason;
  if (!kernel_l2tp_available(&reason))
    GTEST_SKIP() << "kernel L2TP backend unavailable: " << reason;
  if (!test::have_root()) GTEST_SKIP() << "needs root";
  auto k = KernelL2tp::open();
  ASSERT_TRUE(k) << k.error().message;
  int fd = udp_socket(*Ipv4::parse("127.0.0.1"), 23020);
  ASSERT_GE(fd, 0);
  sockaddr_in peer{};
  peer.sin_family = AF_INET;
  peer.sin_port = htons(23021);
  peer.sin_addr.s_addr = htonl(0x7f000001);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&peer), sizeof peer), 0);
  auto st = (*k)->create_tunnel({.tunnel_id = 4001, .peer_tunnel_id = 4002, .udp_fd = fd});
  EXPECT_TRUE(st) << st.error().message;
  EXPECT_TRUE((*k)->delete_tunnel(4001));
  ::close(fd);
}

}  // namespace
}  // namespace vpdnd::netlink
