// Link counters over rtnetlink: the request bytes, the reply parser against messages built
// here by hand, and LinkStatsReader on this host's loopback (reading links needs no
// privileges).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <vector>

#include "netlink/netlink.hpp"

namespace vpdnd::netlink {
namespace {

// Little builders with their own arithmetic, so the parser is checked against an
// independent encoding.
void append(Bytes& b, const void* p, std::size_t n) {
  const auto* c = static_cast<const std::uint8_t*>(p);
  b.insert(b.end(), c, c + n);
  while (b.size() % 4) b.push_back(0);
}
void attr(Bytes& b, std::uint16_t type, const void* p, std::size_t n) {
  std::uint16_t hdr[2] = {static_cast<std::uint16_t>(4 + n), type};
  b.insert(b.end(), reinterpret_cast<const std::uint8_t*>(hdr),
           reinterpret_cast<const std::uint8_t*>(hdr) + 4);
  append(b, p, n);
}
Bytes message(std::uint16_t type, std::uint32_t seq, const Bytes& body) {
  Bytes m(16, 0);
  std::uint32_t len = static_cast<std::uint32_t>(16 + body.size());
  std::memcpy(m.data(), &len, 4);
  std::memcpy(m.data() + 4, &type, 2);
  std::memcpy(m.data() + 8, &seq, 4);
  m.insert(m.end(), body.begin(), body.end());
  return m;
}
Bytes newlink(int ifindex, std::uint32_t seq, const std::uint64_t (&stats)[4],
              bool stats64 = true) {
  Bytes body(16, 0);  // ifinfomsg
  std::memcpy(body.data() + 4, &ifindex, 4);
  const char name[] = "ppp7";
  attr(body, IFLA_IFNAME, name, sizeof name);
  if (stats64) {
    std::uint64_t full[24] = {stats[0], stats[1], stats[2], stats[3]};
    attr(body, IFLA_STATS64, full, sizeof full);
  } else {
    std::uint32_t full[24] = {
        static_cast<std::uint32_t>(stats[0]), static_cast<std::uint32_t>(stats[1]),
        static_cast<std::uint32_t>(stats[2]), static_cast<std::uint32_t>(stats[3])};
    attr(body, IFLA_STATS, full, sizeof full);
  }
  return message(RTM_NEWLINK, seq, body);
}
Bytes done(std::uint32_t seq) {
  Bytes body(4, 0);
  return message(NLMSG_DONE, seq, body);
}
Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

TEST(LinkStatsRequest, DumpOfOneKindCarriesTheKindFilter) {
  Bytes r = build_link_stats_request(0, "ppp", 9);
  ASSERT_GE(r.size(), 16u);
  std::uint32_t len, seq;
  std::uint16_t type, flags;
  std::memcpy(&len, r.data(), 4);
  std::memcpy(&type, r.data() + 4, 2);
  std::memcpy(&flags, r.data() + 6, 2);
  std::memcpy(&seq, r.data() + 8, 4);
  EXPECT_EQ(len, r.size());
  EXPECT_EQ(type, RTM_GETLINK);
  EXPECT_EQ(flags, NLM_F_REQUEST | NLM_F_DUMP);
  EXPECT_EQ(seq, 9u);
  // nlmsghdr(16) ifinfomsg(16), then IFLA_LINKINFO { IFLA_INFO_KIND "ppp\0" }.
  ASSERT_EQ(r.size(), 16u + 16u + 4u + 4u + 4u);
  std::uint16_t outer[2], inner[2];
  std::memcpy(outer, r.data() + 32, 4);
  std::memcpy(inner, r.data() + 36, 4);
  EXPECT_EQ(outer[1], IFLA_LINKINFO);
  EXPECT_EQ(outer[0], 12);
  EXPECT_EQ(inner[1], IFLA_INFO_KIND);
  EXPECT_EQ(inner[0], 8);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(r.data() + 40)), "ppp");
}

TEST(LinkStatsRequest, OneLinkIsAPlainGetOfItsIndex) {
  Bytes r = build_link_stats_request(42, "ppp", 1);
  ASSERT_EQ(r.size(), 32u);
  std::uint16_t flags;
  std::memcpy(&flags, r.data() + 6, 2);
  EXPECT_EQ(flags, NLM_F_REQUEST);
  int index;
  std::memcpy(&index, r.data() + 16 + 4, 4);
  EXPECT_EQ(index, 42);
}

TEST(LinkStatsParse, ReadsEveryLinkAndTheEndOfTheDump) {
  Bytes b = cat({newlink(5, 3, {10, 20, 1000, 2000}), newlink(6, 3, {1, 2, 3, 4}, false), done(3)});
  auto r = parse_link_stats(b, 3);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_EQ(r->links.size(), 2u);
  EXPECT_EQ(r->links[0].ifindex, 5);
  EXPECT_EQ(r->links[0].rx_packets, 10u);
  EXPECT_EQ(r->links[0].tx_packets, 20u);
  EXPECT_EQ(r->links[0].rx_bytes, 1000u);
  EXPECT_EQ(r->links[0].tx_bytes, 2000u);
  EXPECT_EQ(r->links[1].ifindex, 6);  // from the 32-bit IFLA_STATS
  EXPECT_EQ(r->links[1].tx_bytes, 4u);
  EXPECT_TRUE(r->done);
  EXPECT_EQ(r->error, 0);
}

TEST(LinkStatsParse, SixtyFourBitCountersKeepTheirHighBits) {
  const std::uint64_t big = (std::uint64_t{5} << 32) + 7;
  auto r = parse_link_stats(newlink(9, 0, {1, 1, big, big + 1}));
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->links.size(), 1u);
  EXPECT_EQ(r->links[0].rx_bytes, big);
  EXPECT_EQ(r->links[0].tx_bytes, big + 1);
  EXPECT_FALSE(r->done);
}

TEST(LinkStatsParse, RepliesToAnotherRequestAreSkipped) {
  Bytes b = cat({newlink(5, 2, {1, 1, 1, 1}), newlink(6, 3, {2, 2, 2, 2}), done(3)});
  auto r = parse_link_stats(b, 3);
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->links.size(), 1u);
  EXPECT_EQ(r->links[0].ifindex, 6);
  EXPECT_EQ(r->stale, 1u);
}

TEST(LinkStatsParse, AnErrorReplyIsReported) {
  Bytes body(20, 0);
  const int e = -ENODEV;
  std::memcpy(body.data(), &e, 4);
  auto r = parse_link_stats(message(NLMSG_ERROR, 1, body), 1);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->error, -ENODEV);
}

TEST(LinkStatsParse, MalformedLengthsFailWithoutReadingPastTheBuffer) {
  Bytes b = newlink(5, 0, {1, 2, 3, 4});
  Bytes cut(b.begin(), b.end() - 8);  // nlmsg_len says more than is there
  EXPECT_FALSE(parse_link_stats(cut).has_value());
  Bytes bad_attr = b;
  // ifname attribute claims 200 octets
  std::uint16_t len = 200;
  std::memcpy(bad_attr.data() + 32, &len, 2);
  auto r = parse_link_stats(bad_attr);
  ASSERT_TRUE(r.has_value());  // the link is still listed, its counters unread
  ASSERT_EQ(r->links.size(), 1u);
  EXPECT_EQ(r->links[0].rx_bytes, 0u);
  EXPECT_FALSE(parse_link_stats(Bytes{1, 2, 3}).has_value());
}

// The real kernel: loopback's counters grow by what we send through it.
TEST(LinkStatsReader, LoopbackCountsADatagramSentThroughIt) {
  auto reader = LinkStatsReader::open();
  ASSERT_TRUE(reader.has_value()) << reader.error().message;
  auto before = (*reader)->get(1);
  ASSERT_TRUE(before.has_value()) << before.error().message;
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(9);  // discard: nobody listens, the datagram still crosses lo
  char payload[1000] = {};
  ASSERT_EQ(::sendto(fd, payload, sizeof payload, 0, reinterpret_cast<sockaddr*>(&to), sizeof to),
            static_cast<ssize_t>(sizeof payload));
  ::close(fd);
  auto after = (*reader)->get(1);
  ASSERT_TRUE(after.has_value());
  EXPECT_GE(after->tx_packets, before->tx_packets + 1);
  EXPECT_GE(after->tx_bytes, before->tx_bytes + sizeof payload);
  // A dump of every link has loopback too. (A kind filter names a registered link type;
  // the kernel ignores an unknown one, so which kinds filter depends on loaded modules.)
  auto all = (*reader)->dump("");
  ASSERT_TRUE(all.has_value()) << all.error().message;
  bool lo = false;
  for (const auto& l : *all) lo = lo || l.ifindex == 1;
  EXPECT_TRUE(lo);
  EXPECT_FALSE((*reader)->get(999999).has_value());
}

// ---- pppN set-up ---------------------------------------------------------------------------

// Reads one netlink message at `at` with its own arithmetic: header fields, body.
struct Msg {
  std::uint32_t len = 0, seq = 0;
  std::uint16_t type = 0, flags = 0;
  Bytes body;
};
Msg read_message(const Bytes& b, std::size_t at) {
  Msg m;
  std::memcpy(&m.len, b.data() + at, 4);
  std::memcpy(&m.type, b.data() + at + 4, 2);
  std::memcpy(&m.flags, b.data() + at + 6, 2);
  std::memcpy(&m.seq, b.data() + at + 8, 4);
  m.body.assign(b.begin() + static_cast<std::ptrdiff_t>(at + 16),
                b.begin() + static_cast<std::ptrdiff_t>(at + m.len));
  return m;
}
// Attributes after a fixed header of `skip` octets: type -> value.
std::map<std::uint16_t, Bytes> attributes(const Bytes& body, std::size_t skip) {
  std::map<std::uint16_t, Bytes> out;
  for (std::size_t at = skip; at + 4 <= body.size();) {
    std::uint16_t len, type;
    std::memcpy(&len, body.data() + at, 2);
    std::memcpy(&type, body.data() + at + 2, 2);
    out[type] = Bytes(body.begin() + static_cast<std::ptrdiff_t>(at + 4),
                      body.begin() + static_cast<std::ptrdiff_t>(at + len));
    at += (len + 3u) & ~3u;
  }
  return out;
}
Bytes be32(const char* address) {
  std::uint32_t v = htonl(Ipv4::parse(address)->value);
  return Bytes(reinterpret_cast<const std::uint8_t*>(&v),
               reinterpret_cast<const std::uint8_t*>(&v) + 4);
}

// The whole set-up of a pppN in one buffer: the address with its peer (the kernel's peer
// route is the host route: no RTM_NEWROUTE), then MTU and up; both acked, same sequence.
TEST(PppLinkSetup, AddressWithPeerThenMtuAndUpInOneBuffer) {
  Bytes b = build_ppp_link_setup(42, *Ipv4::parse("10.9.0.1"), *Ipv4::parse("10.9.0.2"), 1400, 7);
  Msg addr = read_message(b, 0);
  ASSERT_LE(addr.len, b.size());
  EXPECT_EQ(addr.type, RTM_NEWADDR);
  EXPECT_EQ(addr.flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE);
  EXPECT_EQ(addr.seq, 7u);
  ifaddrmsg ifa;
  std::memcpy(&ifa, addr.body.data(), sizeof ifa);
  EXPECT_EQ(ifa.ifa_family, AF_INET);
  EXPECT_EQ(ifa.ifa_prefixlen, 32);
  EXPECT_EQ(ifa.ifa_index, 42u);
  auto aa = attributes(addr.body, NLMSG_ALIGN(sizeof ifa));
  EXPECT_EQ(aa[IFA_LOCAL], be32("10.9.0.1"));
  EXPECT_EQ(aa[IFA_ADDRESS], be32("10.9.0.2"));
  const std::size_t second = (addr.len + 3u) & ~3u;
  Msg link = read_message(b, second);
  EXPECT_EQ(second + ((link.len + 3u) & ~3u), b.size());  // nothing else: two messages
  EXPECT_EQ(link.type, RTM_NEWLINK);
  EXPECT_EQ(link.flags, NLM_F_REQUEST | NLM_F_ACK);
  EXPECT_EQ(link.seq, 7u);
  ifinfomsg ifi;
  std::memcpy(&ifi, link.body.data(), sizeof ifi);
  EXPECT_EQ(ifi.ifi_index, 42);
  EXPECT_EQ(ifi.ifi_flags & IFF_UP, static_cast<unsigned>(IFF_UP));
  EXPECT_EQ(ifi.ifi_change, static_cast<unsigned>(IFF_UP));
  auto la = attributes(link.body, NLMSG_ALIGN(sizeof ifi));
  std::uint32_t mtu = 0;
  ASSERT_EQ(la[IFLA_MTU].size(), 4u);
  std::memcpy(&mtu, la[IFLA_MTU].data(), 4);
  EXPECT_EQ(mtu, 1400u);
  EXPECT_EQ(kPppLinkSetupAcks, 2u);
}

// Links deleted together: each loses its IPv4 address (by ifindex: its routes go by
// lookup, not by a walk of every route when the link goes down) and is put in the group (no
// ack unless refused), then one delete of the group, acked under the next sequence number.
TEST(LinkGroupDelete, EachLinkLosesItsAddressAndJoinsTheGroupThenOneDeleteTakesTheGroup) {
  Bytes b = build_link_group_delete({5, 9}, 0x76701234u, 20);
  std::size_t at = 0;
  for (int ifindex : {5, 9}) {
    Msg d = read_message(b, at);
    EXPECT_EQ(d.type, RTM_DELADDR);
    EXPECT_EQ(d.flags, NLM_F_REQUEST);
    EXPECT_EQ(d.seq, 20u);
    ifaddrmsg ifa;
    ASSERT_GE(d.body.size(), sizeof ifa);
    std::memcpy(&ifa, d.body.data(), sizeof ifa);
    EXPECT_EQ(ifa.ifa_family, AF_INET);
    EXPECT_EQ(ifa.ifa_index, static_cast<unsigned>(ifindex));
    // No IFA_LOCAL/IFA_ADDRESS: the kernel takes the link's address, whichever it is.
    EXPECT_TRUE(attributes(d.body, NLMSG_ALIGN(sizeof ifa)).empty());
    at += (d.len + 3u) & ~3u;
    Msg m = read_message(b, at);
    EXPECT_EQ(m.type, RTM_NEWLINK);
    EXPECT_EQ(m.flags, NLM_F_REQUEST);
    EXPECT_EQ(m.seq, 20u);
    ifinfomsg ifi;
    std::memcpy(&ifi, m.body.data(), sizeof ifi);
    EXPECT_EQ(ifi.ifi_index, ifindex);
    EXPECT_EQ(ifi.ifi_change, 0u);  // nothing but the group changes
    auto a = attributes(m.body, NLMSG_ALIGN(sizeof ifi));
    std::uint32_t group = 0;
    ASSERT_EQ(a[IFLA_GROUP].size(), 4u);
    std::memcpy(&group, a[IFLA_GROUP].data(), 4);
    EXPECT_EQ(group, 0x76701234u);
    at += (m.len + 3u) & ~3u;
  }
  Msg del = read_message(b, at);
  EXPECT_EQ(at + ((del.len + 3u) & ~3u), b.size());
  EXPECT_EQ(del.type, RTM_DELLINK);
  EXPECT_EQ(del.flags, NLM_F_REQUEST | NLM_F_ACK);
  EXPECT_EQ(del.seq, 21u);
  ifinfomsg ifi;
  std::memcpy(&ifi, del.body.data(), sizeof ifi);
  EXPECT_EQ(ifi.ifi_index, 0);  // by group, not by link
  auto a = attributes(del.body, NLMSG_ALIGN(sizeof ifi));
  std::uint32_t group = 0;
  ASSERT_EQ(a[IFLA_GROUP].size(), 4u);
  std::memcpy(&group, a[IFLA_GROUP].data(), 4);
  EXPECT_EQ(group, 0x76701234u);
}

Bytes ack(std::uint32_t seq, int error) {
  Bytes body(sizeof(nlmsgerr), 0);
  std::memcpy(body.data(), &error, sizeof error);
  return message(NLMSG_ERROR, seq, body);
}

TEST(PppLinkSetup, AcksAreReadWithTheirSequenceNumberAndError) {
  Bytes b = ack(5, 0);
  Bytes refused = ack(6, -EEXIST);
  b.insert(b.end(), refused.begin(), refused.end());
  Bytes other = message(RTM_NEWLINK, 6, Bytes(sizeof(ifinfomsg), 0));
  b.insert(b.end(), other.begin(), other.end());
  auto r = parse_acks(b);
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].seq, 5u);
  EXPECT_EQ((*r)[0].error, 0);
  EXPECT_EQ((*r)[1].seq, 6u);
  EXPECT_EQ((*r)[1].error, -EEXIST);
  Bytes cut = ack(5, 0);
  cut.resize(cut.size() - 1);
  EXPECT_FALSE(parse_acks(cut).has_value());
  Bytes short_error = message(NLMSG_ERROR, 1, Bytes{});
  EXPECT_FALSE(parse_acks(short_error).has_value());
}

// The socket on this host: an interface index by ioctl, and a request the kernel refuses
// without privileges or for a missing link is acked with the error, read without blocking.
TEST(PppLinkSetup, SocketFindsLoopbackAndGetsAnAckWithoutWaitingForIt) {
  auto s = LinkSetupSocket::open();
  ASSERT_TRUE(s.has_value()) << s.error().message;
  auto lo = (*s)->ifindex("lo");
  ASSERT_TRUE(lo.has_value()) << lo.error().message;
  EXPECT_EQ(*lo, 1);
  EXPECT_FALSE((*s)->ifindex("no-such-if0").has_value());
  std::uint8_t buf[4096];
  EXPECT_LT(::recv((*s)->fd(), buf, sizeof buf, 0), 0);  // non-blocking: nothing yet
  EXPECT_EQ(errno, EAGAIN);
  auto seq = (*s)->send_setup(999999, *Ipv4::parse("10.9.0.1"), *Ipv4::parse("10.9.0.2"), 1400);
  ASSERT_TRUE(seq.has_value()) << seq.error().message;
  std::vector<NetlinkAck> acks;
  for (int tries = 0; tries < 100 && acks.size() < kPppLinkSetupAcks; ++tries) {
    ssize_t n = ::recv((*s)->fd(), buf, sizeof buf, 0);
    if (n < 0) {
      ::usleep(10000);
      continue;
    }
    auto r = parse_acks(ByteView(buf, static_cast<std::size_t>(n)));
    ASSERT_TRUE(r.has_value());
    acks.insert(acks.end(), r->begin(), r->end());
  }
  ASSERT_EQ(acks.size(), kPppLinkSetupAcks);
  for (const auto& a : acks) {
    EXPECT_EQ(a.seq, *seq);
    EXPECT_NE(a.error, 0);  // no such link (or not permitted)
  }
}

}  // namespace
}  // namespace vpdnd::netlink

namespace vpdnd::netlink {
namespace {

// The final reading of a pppN at session end comes from sysfs (no rtnl lock); it is the
// same as rtnetlink's for the same link, and refuses a name that is another link.
TEST(LinkStatsSysfs, ReadsLoopbacksCountersAsRtnetlinkDoes) {
  const int lo = static_cast<int>(::if_nametoindex("lo"));
  ASSERT_GT(lo, 0);
  auto s = read_link_stats_sysfs("lo", lo);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->ifindex, lo);
  auto reader = LinkStatsReader::open();
  ASSERT_TRUE(reader);
  auto r = (*reader)->get(lo);
  ASSERT_TRUE(r);
  // Read after: loopback traffic of other tests may only add.
  EXPECT_GE(r->rx_packets, s->rx_packets);
  EXPECT_GE(r->tx_bytes, s->tx_bytes);
  EXPECT_LE(r->rx_packets - s->rx_packets, 1000u);
}

TEST(LinkStatsSysfs, AnotherLinksIndexOrNoSuchLinkIsAnError) {
  const int lo = static_cast<int>(::if_nametoindex("lo"));
  ASSERT_GT(lo, 0);
  auto wrong = read_link_stats_sysfs("lo", lo + 1000);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ENODEV);
  EXPECT_FALSE(read_link_stats_sysfs("vpdnd-no-such0", lo));
  EXPECT_FALSE(read_link_stats_sysfs("../lo", lo));
  EXPECT_FALSE(read_link_stats_sysfs("", lo));
}

}  // namespace
}  // namespace vpdnd::netlink
