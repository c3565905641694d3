#include <gtest/gtest.h>
// clang-format off
// glibc's socket headers before the kernel's (linux/l2tp.h pulls in linux/in.h).
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/l2tp.h>
#include <linux/netlink.h>
// clang-format on

#include <cerrno>
#include <cstring>

#include "netlink/netlink.hpp"
#include "tests/support/ipv4_packet.hpp"

namespace vpdnd::netlink {
namespace {

using test::ipv4_packet;
constexpr std::uint8_t kUdp = 17;

TEST(Ipv4Peek, ReadsSourceAndDestination) {
  auto p = ipv4_packet(*Ipv4::parse("10.1.2.3"), *Ipv4::parse("192.168.7.9"), kUdp);
  EXPECT_EQ(ipv4_destination(p)->to_string(), "192.168.7.9");
  EXPECT_EQ(ipv4_source(p)->to_string(), "10.1.2.3");
}

TEST(Ipv4Peek, RejectsShortAndNonIpv4) {
  auto p = ipv4_packet(Ipv4{1}, Ipv4{2}, kUdp);
  EXPECT_FALSE(ipv4_destination(ByteView(p).first(19)));
  p[0] = 0x65;  // IPv6 version nibble
  EXPECT_FALSE(ipv4_destination(p));
  p[0] = 0x44;  // IHL 4 < 5
  EXPECT_FALSE(ipv4_destination(p));
  EXPECT_FALSE(ipv4_destination(ByteView{}));
}

TEST(AddressMap, FindsSessionForPacketAndCountsMisses) {
  AddressMap<std::uint32_t> map;
  EXPECT_TRUE(map.insert(*Ipv4::parse("10.0.0.5"), 77));
  EXPECT_FALSE(map.insert(*Ipv4::parse("10.0.0.5"), 78));  // one session per address
  DataPlaneCounters c;
  auto hit = ipv4_packet(Ipv4{1}, *Ipv4::parse("10.0.0.5"), kUdp);
  auto miss = ipv4_packet(Ipv4{1}, *Ipv4::parse("10.0.0.6"), kUdp);
  Bytes junk{0x60, 0, 0};
  ASSERT_NE(map.find_for_packet(hit, c), nullptr);
  EXPECT_EQ(*map.find_for_packet(hit, c), 77u);
  EXPECT_EQ(map.find_for_packet(miss, c), nullptr);
  EXPECT_EQ(map.find_for_packet(junk, c), nullptr);
  EXPECT_EQ(c.drops_no_session, 1u);
  EXPECT_EQ(c.drops_not_ipv4, 1u);
  EXPECT_TRUE(map.erase(*Ipv4::parse("10.0.0.5")));
  EXPECT_EQ(map.find_for_packet(hit, c), nullptr);
  EXPECT_EQ(map.size(), 0u);
}

TEST(AddressMap, ScalesToManySessions) {
  AddressMap<std::uint32_t> map;
  for (std::uint32_t i = 0; i < 100000; ++i) ASSERT_TRUE(map.insert(Ipv4{0x0a000000 + i}, i));
  for (std::uint32_t i = 0; i < 100000; i += 997) EXPECT_EQ(*map.find(Ipv4{0x0a000000 + i}), i);
}

TEST(PacketBatch, SlotsAreIndependent) {
  PacketBatch b(4, 64);
  std::memset(b.slot(0), 1, 64);
  std::memset(b.slot(3), 3, 64);
  b.set_length(0, 10);
  b.set_length(3, 64);
  b.set_size(4);
  EXPECT_EQ(b[0].size(), 10u);
  EXPECT_EQ(b[3][63], 3);
  EXPECT_EQ(b[0][9], 1);
}

TEST(PacketBatch, HeadroomTakesAHeaderWithoutCopy) {
  PacketBatch b(2, 64, 4);
  std::memset(b.slot(1), 7, 10);
  b.set_length(1, 10);
  b.set_size(2);
  auto framed = b.prepend(1, 4);
  ASSERT_EQ(framed.size(), 14u);
  framed[0] = 0xff;
  framed[3] = 0x21;
  EXPECT_EQ(framed.data() + 4, b[1].data());
  EXPECT_EQ(framed[4], 7);
  EXPECT_EQ(b[1][0], 7);  // the packet itself is untouched
  EXPECT_EQ(b.slot(1) - b.slot(0), 68);
}

TEST(Backend, NamesForDisplay) {
  EXPECT_EQ(backend_name(Backend::user_space), "user-space (TUN)");
  EXPECT_EQ(backend_name(Backend::kernel), "kernel (l2tp_ppp)");
  std::string reason;
  bool available = kernel_l2tp_available(&reason);
  if (!available) {
    EXPECT_FALSE(reason.empty());
    EXPECT_EQ(choose_backend(true), Backend::user_space);
  }
  EXPECT_EQ(choose_backend(false), Backend::user_space);
}

std::uint32_t u32_of(const Bytes& b) {
  std::uint32_t v;
  EXPECT_EQ(b.size(), 4u);
  std::memcpy(&v, b.data(), 4);
  return v;
}
std::uint16_t u16_of(const Bytes& b) {
  std::uint16_t v;
  EXPECT_EQ(b.size(), 2u);
  std::memcpy(&v, b.data(), 2);
  return v;
}

TEST(KernelMessages, TunnelCreateCarriesIdsVersionEncapAndFd) {
  KernelTunnelParams p{.tunnel_id = 0x1234, .peer_tunnel_id = 0xbeef, .udp_fd = 9};
  Bytes m = build_tunnel_create(27, p, 5);
  auto g = parse_genl_message(m);
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_EQ(g->nlmsg_type, 27);
  EXPECT_EQ(g->nlmsg_flags & (NLM_F_REQUEST | NLM_F_ACK), NLM_F_REQUEST | NLM_F_ACK);
  EXPECT_EQ(g->command, L2TP_CMD_TUNNEL_CREATE);
  EXPECT_EQ(g->version, L2TP_GENL_VERSION);
  ASSERT_NE(g->attribute(L2TP_ATTR_CONN_ID), nullptr);
  EXPECT_EQ(u32_of(*g->attribute(L2TP_ATTR_CONN_ID)), 0x1234u);
  EXPECT_EQ(u32_of(*g->attribute(L2TP_ATTR_PEER_CONN_ID)), 0xbeefu);
  ASSERT_NE(g->attribute(L2TP_ATTR_PROTO_VERSION), nullptr);
  EXPECT_EQ((*g->attribute(L2TP_ATTR_PROTO_VERSION))[0], 2);
  EXPECT_EQ(u16_of(*g->attribute(L2TP_ATTR_ENCAP_TYPE)), L2TP_ENCAPTYPE_UDP);
  EXPECT_EQ(u32_of(*g->attribute(L2TP_ATTR_FD)), 9u);
  EXPECT_EQ(g->attributes.size(), 5u);
}

TEST(KernelMessages, TunnelDeleteNamesTheTunnel) {
  auto t = parse_genl_message(build_tunnel_delete(30, 9));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->command, L2TP_CMD_TUNNEL_DELETE);
  EXPECT_EQ(u32_of(*t->attribute(L2TP_ATTR_CONN_ID)), 9u);
  EXPECT_EQ(t->attribute(L2TP_ATTR_SESSION_ID), nullptr);
}

TEST(KernelMessages, ParserRejectsMalformed) {
  Bytes m = build_tunnel_delete(30, 9);
  EXPECT_FALSE(parse_genl_message(ByteView(m).first(19)));
  Bytes bad_len = m;
  bad_len[0] = 0xff;  // nlmsg_len beyond the buffer
  EXPECT_FALSE(parse_genl_message(bad_len));
  Bytes bad_attr = m;
  bad_attr[20] = 2;  // attribute length < header
  EXPECT_FALSE(parse_genl_message(bad_attr));
}

TEST(UdpBatchSocket, SendsAndReceivesBatchesOnLoopback) {
  auto a = UdpBatchSocket::bind({*Ipv4::parse("127.0.0.1"), 0}, 8, 1500);
  auto b = UdpBatchSocket::bind({*Ipv4::parse("127.0.0.1"), 0}, 8, 1500);
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_TRUE(b) << b.error().message;
  auto b_ep = (*b)->local_endpoint();
  ASSERT_TRUE(b_ep);
  Bytes head{0xc8, 0x02};
  for (std::uint8_t i = 0; i < 20; ++i) {
    Bytes payload(10 + i, i);
    (*a)->queue(*b_ep, head, payload);  // auto-flushes at 8
  }
  EXPECT_EQ((*a)->flush(), 4u);
  EXPECT_EQ((*a)->counters().packets_out, 20u);
  std::size_t got = 0;
  for (int round = 0; round < 100 && got < 20; ++round) {
    std::size_t n = (*b)->receive();
    EXPECT_LE(n, 8u);
    for (std::size_t i = 0; i < n; ++i) {
      ByteView d = (*b)->datagram(i);
      ASSERT_EQ(d.size(), 2u + 10u + got);
      EXPECT_EQ(d[0], 0xc8);
      EXPECT_EQ(d[2], got);
      EXPECT_EQ((*b)->from(i), *(*a)->local_endpoint());
      ++got;
    }
    if (n == 0) usleep(1000);
  }
  EXPECT_EQ(got, 20u);
  EXPECT_EQ((*b)->receive(), 0u);  // non-blocking when empty
}

// Queued datagrams to several destinations, of several sizes, interleaved: each
// destination gets its datagrams whole and in the order queued (a tunnel's control
// messages carry Ns), whatever runs the socket sends them in.
TEST(UdpBatchSocket, KeepsEachDestinationsOrderAcrossDestinationsAndSizes) {
  const Ipv4 lo = *Ipv4::parse("127.0.0.1");
  auto a = UdpBatchSocket::bind({lo, 0}, 32, 1500);
  auto b = UdpBatchSocket::bind({lo, 0}, 64, 1500);
  auto c = UdpBatchSocket::bind({lo, 0}, 64, 1500);
  ASSERT_TRUE(a && b && c);
  const Endpoint to[2] = {*(*b)->local_endpoint(), *(*c)->local_endpoint()};
  std::vector<Bytes> expect[2];
  std::size_t flushed = 0;
  for (std::uint8_t i = 0; i < 100; ++i) {
    const int d = (i % 3 == 0) ? 1 : 0;
    // Mostly runs of one size (GSO candidates), broken by a longer datagram now and then.
    Bytes dgram(i % 7 == 0 ? 40 : 12, i);
    expect[d].push_back(dgram);
    if ((*a)->queued() == 32) flushed += 32;  // queue() flushes a full batch itself
    (*a)->queue(to[d], dgram);
  }
  flushed += (*a)->flush();
  EXPECT_EQ(flushed, 100u);
  EXPECT_EQ((*a)->counters().packets_out, 100u);
  EXPECT_EQ((*a)->counters().write_errors, 0u);
  UdpBatchSocket* rx[2] = {b->get(), c->get()};
  for (int d = 0; d < 2; ++d) {
    std::vector<Bytes> got;
    for (int round = 0; round < 200 && got.size() < expect[d].size(); ++round) {
      const std::size_t n = rx[d]->receive();
      for (std::size_t i = 0; i < n; ++i)
        got.emplace_back(rx[d]->datagram(i).begin(), rx[d]->datagram(i).end());
      if (n == 0) usleep(1000);
    }
    EXPECT_EQ(got, expect[d]) << "destination " << d;
  }
}

// A run of same-size datagrams to one destination leaves as one UDP GSO send: a receiver
// that accepts GRO (UDP_GRO) gets the run as one buffer of segments, where datagrams sent
// one by one arrive one by one.
TEST(UdpBatchSocket, SendsARunOfOneSizeToOneDestinationAsOneGsoSend) {
  const Ipv4 lo = *Ipv4::parse("127.0.0.1");
  auto a = UdpBatchSocket::bind({lo, 0}, 32, 1500);
  ASSERT_TRUE(a);
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  ASSERT_GE(fd, 0);
  const int on = 1;
  ASSERT_EQ(::setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof on), 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  socklen_t len = sizeof sa;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len), 0);
  const Endpoint to{lo, ntohs(sa.sin_port)};
  for (std::uint8_t i = 0; i < 5; ++i) (*a)->queue(to, Bytes(16, i));
  EXPECT_EQ((*a)->flush(), 5u);
  EXPECT_EQ((*a)->counters().packets_out, 5u);
  std::uint8_t buf[2048];
  alignas(cmsghdr) char control[64];
  iovec iov{buf, sizeof buf};
  msghdr h{};
  h.msg_iov = &iov;
  h.msg_iovlen = 1;
  h.msg_control = control;
  h.msg_controllen = sizeof control;
  ssize_t n = -1;
  for (int round = 0; round < 100 && n < 0; ++round) {
    n = ::recvmsg(fd, &h, 0);
    if (n < 0) usleep(1000);
  }
  int segment = 0;
  for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c))
    if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO)
      std::memcpy(&segment, CMSG_DATA(c), sizeof segment);
  ::close(fd);
  ASSERT_EQ(n, 5 * 16);
  EXPECT_EQ(segment, 16);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(buf[i * 16], i);
}

// A socket whose buffers hold the largest UDP payload takes UDP GRO: a peer's GSO run
// arrives as one message and is handed over as the datagrams the peer queued, whole, in
// order and with their sender, between plain datagrams of other sizes.
TEST(UdpBatchSocket, GroReceivesAGsoRunInOneMessageAsItsDatagrams) {
  const Ipv4 lo = *Ipv4::parse("127.0.0.1");
  auto a = UdpBatchSocket::bind({lo, 0}, 32, 1500);
  auto b = UdpBatchSocket::bind({lo, 0}, 8, 65536);
  ASSERT_TRUE(a && b);
  if (!(*b)->gro()) GTEST_SKIP() << "kernel without UDP_GRO";
  EXPECT_FALSE((*a)->gro());  // 1,500-octet buffers could not hold a coalesced message
  const Endpoint to = *(*b)->local_endpoint();
  std::vector<Bytes> expect;
  auto add = [&](std::size_t size, std::uint8_t fill) {
    expect.push_back(Bytes(size, fill));
    (*a)->queue(to, expect.back());
  };
  for (std::uint8_t i = 0; i < 5; ++i) add(16, i);  // one GSO send
  add(20, 5);
  add(16, 6);
  add(16, 7);
  EXPECT_EQ((*a)->flush(), 8u);
  std::vector<Bytes> got;
  std::size_t messages = 0;
  for (int round = 0; round < 200 && got.size() < expect.size(); ++round) {
    const std::size_t n = (*b)->receive();
    messages += (*b)->messages();
    for (std::size_t i = 0; i < n; ++i) {
      got.emplace_back((*b)->datagram(i).begin(), (*b)->datagram(i).end());
      EXPECT_EQ((*b)->from(i), *(*a)->local_endpoint());
    }
    if (n == 0) usleep(1000);
  }
  EXPECT_EQ(got, expect);
  EXPECT_EQ(messages, 3u);  // 5 x 16 coalesced, 20 alone, 2 x 16 coalesced
  EXPECT_EQ((*b)->counters().packets_in, 8u);
  EXPECT_EQ((*b)->counters().bytes_in, 7u * 16u + 20u);
}

// recvmmsg's answers, scripted: each message's bytes, sender port, the segment size of a
// UDP_GRO control message (0: none) and whether it was cut (MSG_TRUNC).
struct ScriptedReceive {
  struct Message {
    Bytes bytes;
    std::uint16_t port;
    int segment;
    bool truncated;
  };
  std::vector<Message> messages;
  static int receive(void* context, int, ::mmsghdr* msgs, unsigned count) {
    auto& self = *static_cast<ScriptedReceive*>(context);
    unsigned n = 0;
    for (; n < count && n < self.messages.size(); ++n) {
      const Message& m = self.messages[n];
      msghdr& h = msgs[n].msg_hdr;
      if (!m.bytes.empty())  // an empty message's data() may be null, which memcpy must not get
        std::memcpy(h.msg_iov[0].iov_base, m.bytes.data(), m.bytes.size());
      msgs[n].msg_len = static_cast<unsigned>(m.bytes.size());
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      sa.sin_port = htons(m.port);
      std::memcpy(h.msg_name, &sa, sizeof sa);
      h.msg_flags = m.truncated ? MSG_TRUNC : 0;
      if (m.segment == 0) {
        h.msg_controllen = 0;
        continue;
      }
      cmsghdr* c = CMSG_FIRSTHDR(&h);
      c->cmsg_level = SOL_UDP;
      c->cmsg_type = UDP_GRO;
      c->cmsg_len = CMSG_LEN(sizeof(int));
      std::memcpy(CMSG_DATA(c), &m.segment, sizeof(int));
      h.msg_controllen = CMSG_SPACE(sizeof(int));
    }
    self.messages.erase(self.messages.begin(), self.messages.begin() + n);
    if (n == 0) {
      errno = EAGAIN;
      return -1;
    }
    return static_cast<int>(n);
  }
};

Bytes counting(std::size_t n) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i);
  return b;
}

// Splitting coalesced messages: on the segment size, the last datagram shorter; a plain
// datagram (no control message) whole, an empty one too; a cut coalesced message keeps its
// whole datagrams and counts one read error; a cut plain one is dropped and counted.
TEST(UdpBatchSocket, SplitsCoalescedMessagesOnTheReportedSegmentSize) {
  auto b = UdpBatchSocket::bind({*Ipv4::parse("127.0.0.1"), 0}, 8, 65536);
  ASSERT_TRUE(b);
  if (!(*b)->gro()) GTEST_SKIP() << "kernel without UDP_GRO";
  ScriptedReceive fake;
  fake.messages = {{counting(10), 1000, 0, false},  {counting(40), 1001, 16, false},
                   {counting(12), 1002, 0, true},   {counting(40), 1003, 16, true},
                   {Bytes{}, 1004, 0, false},       {counting(32), 1005, 16, false},
                   {counting(10), 1006, 16, false}, {counting(8), 1007, 16, true}};
  (*b)->set_receive_for_testing(&ScriptedReceive::receive, &fake);
  const std::size_t n = (*b)->receive();
  EXPECT_EQ((*b)->messages(), 8u);
  struct Want {
    std::size_t offset, size;
    std::uint16_t port;
  };
  const std::vector<Want> want = {{0, 10, 1000},  {0, 16, 1001},  {16, 16, 1001}, {32, 8, 1001},
                                  {0, 16, 1003},  {16, 16, 1003}, {0, 0, 1004},   {0, 16, 1005},
                                  {16, 16, 1005}, {0, 10, 1006}};
  ASSERT_EQ(n, want.size());
  for (std::size_t i = 0; i < n; ++i) {
    const Bytes c = counting(want[i].offset + want[i].size);
    EXPECT_EQ(Bytes((*b)->datagram(i).begin(), (*b)->datagram(i).end()),
              Bytes(c.begin() + static_cast<std::ptrdiff_t>(want[i].offset), c.end()))
        << i;
    EXPECT_EQ((*b)->from(i).port, want[i].port) << i;
  }
  EXPECT_EQ((*b)->counters().packets_in, want.size());
  EXPECT_EQ((*b)->counters().read_errors, 3u);
  EXPECT_EQ((*b)->receive(), 0u);
  EXPECT_EQ((*b)->messages(), 0u);
}

// The kernel's answers to flush()'s sendmmsg, scripted: the first `fail` calls fail with
// `error`, later ones send everything; each call's messages are recorded as the number of
// datagrams in each (more than 1: a GSO send).
struct ScriptedSend {
  int fail = 0;
  int error = 0;
  std::vector<std::vector<std::size_t>> calls;
  static int send(void* context, int, ::mmsghdr* msgs, unsigned count) {
    auto& self = *static_cast<ScriptedSend*>(context);
    std::vector<std::size_t> call;
    for (unsigned i = 0; i < count; ++i) call.push_back(msgs[i].msg_hdr.msg_iovlen);
    self.calls.push_back(call);
    if (self.fail > 0) {
      --self.fail;
      errno = self.error;
      return -1;
    }
    for (unsigned i = 0; i < count; ++i) msgs[i].msg_len = 16 * msgs[i].msg_hdr.msg_iovlen;
    return static_cast<int>(count);
  }
};

// A GSO send refused for a reason that is not GSO (a full queue, a policy dropping that
// destination) drops that send's datagrams only; the next flush still uses GSO.
TEST(UdpBatchSocket, GsoStaysOnAfterAnErrorThatIsNotAboutGso) {
  const Endpoint to{*Ipv4::parse("127.0.0.1"), 9};
  for (int error : {EPERM, EAGAIN, ENOBUFS}) {
    auto a = UdpBatchSocket::bind({*Ipv4::parse("127.0.0.1"), 0}, 32, 1500);
    ASSERT_TRUE(a);
    ScriptedSend fake{1, error, {}};
    (*a)->set_send_for_testing(&ScriptedSend::send, &fake);
    for (std::uint8_t i = 0; i < 5; ++i) (*a)->queue(to, Bytes(16, i));
    EXPECT_EQ((*a)->flush(), 0u);
    EXPECT_EQ((*a)->counters().write_errors, 5u);
    ASSERT_EQ(fake.calls.size(), 1u) << error;
    EXPECT_EQ(fake.calls[0], (std::vector<std::size_t>{5}));
    for (std::uint8_t i = 0; i < 5; ++i) (*a)->queue(to, Bytes(16, i));
    EXPECT_EQ((*a)->flush(), 5u);
    ASSERT_EQ(fake.calls.size(), 2u) << error;
    EXPECT_EQ(fake.calls[1], (std::vector<std::size_t>{5})) << "GSO turned off by errno " << error;
  }
}

// The kernel's refusal of UDP_SEGMENT itself (EIO: no checksum offload or an IPsec
// transform on the route; EINVAL: a segment over the path MTU) turns GSO off for good and
// the same datagrams leave one at a time.
TEST(UdpBatchSocket, KernelRefusalOfGsoSendsSinglyFromThenOn) {
  const Endpoint to{*Ipv4::parse("127.0.0.1"), 9};
  for (int error : {EIO, EINVAL}) {
    auto a = UdpBatchSocket::bind({*Ipv4::parse("127.0.0.1"), 0}, 32, 1500);
    ASSERT_TRUE(a);
    ScriptedSend fake{1, error, {}};
    (*a)->set_send_for_testing(&ScriptedSend::send, &fake);
    for (std::uint8_t i = 0; i < 3; ++i) (*a)->queue(to, Bytes(16, i));
    EXPECT_EQ((*a)->flush(), 3u);
    EXPECT_EQ((*a)->counters().write_errors, 0u);
    ASSERT_EQ(fake.calls.size(), 2u);
    EXPECT_EQ(fake.calls[0], (std::vector<std::size_t>{3}));
    EXPECT_EQ(fake.calls[1], (std::vector<std::size_t>{1, 1, 1}));
    for (std::uint8_t i = 0; i < 3; ++i) (*a)->queue(to, Bytes(16, i));
    EXPECT_EQ((*a)->flush(), 3u);
    ASSERT_EQ(fake.calls.size(), 3u);
    EXPECT_EQ(fake.calls[2], (std::vector<std::size_t>{1, 1, 1}));
  }
}

TEST(UdpBatchSocket, OversizeDatagramIsCountedNotSent) {
  auto a = UdpBatchSocket::bind({*Ipv4::parse("127.0.0.1"), 0}, 4, 100);
  ASSERT_TRUE(a);
  Bytes big(101, 0);
  (*a)->queue({*Ipv4::parse("127.0.0.1"), 9}, big);
  EXPECT_EQ((*a)->queued(), 0u);
  EXPECT_EQ((*a)->counters().write_errors, 1u);
}

TEST(UdpBatchSocket, BindConflictIsAnError) {
  auto a = UdpBatchSocket::bind({*Ipv4::parse("127.0.0.1"), 23001});
  ASSERT_TRUE(a) << a.error().message;
  auto b = UdpBatchSocket::bind({*Ipv4::parse("127.0.0.1"), 23001});
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message.find("bind"), std::string::npos);
}

}  // namespace
}  // namespace vpdnd::netlink
