// The plain-L2TP nftables filter: its nft commands per guard, and the netlink codec of
// its counter read.
#include "ipsec/plain_filter.hpp"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <cstring>

#include "tests/ipsec/support.hpp"

namespace vpdnd::ipsec {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(PlainL2tpFilter, DialInTemplateDropsPlainL2tpFromAnySource) {
  GuardPolicy g;
  g.any_peer = true;
  std::string nft = render_plain_l2tp_filter(g);
  EXPECT_EQ(nft,
            "add table inet vpdnd_ipsec ; add counter inet vpdnd_ipsec plain_l2tp ; add chain "
            "inet vpdnd_ipsec input { type filter hook input priority filter ; policy accept ; } "
            "; flush chain inet vpdnd_ipsec input ; add rule inet vpdnd_ipsec input udp dport "
            "1701 meta ipsec missing counter name plain_l2tp drop");
  // IKE and NAT-T (UDP 500/4500) and ESP itself are never matched.
  EXPECT_THAT(nft, Not(HasSubstr("500")));
  EXPECT_THAT(nft, Not(HasSubstr("esp")));
  EXPECT_THAT(nft, Not(HasSubstr("saddr")));
}

TEST(PlainL2tpFilter, NamedPeersOnly) {
  GuardPolicy g;
  g.peers = {ip("10.241.1.2"), ip("192.0.2.7")};
  EXPECT_THAT(render_plain_l2tp_filter(g),
              HasSubstr("add rule inet vpdnd_ipsec input ip saddr { 10.241.1.2, 192.0.2.7 } udp "
                        "dport 1701 meta ipsec missing counter name plain_l2tp drop"));
}

TEST(PlainL2tpFilter, NoProtectedPeerNoFilter) {
  EXPECT_EQ(render_plain_l2tp_filter(GuardPolicy{}), "");
  EXPECT_EQ(render_plain_l2tp_filter_removal(),
            "add table inet vpdnd_ipsec ; delete table inet vpdnd_ipsec");
}

TEST(PlainL2tpFilter, CounterRequestAsksForTheCounterObject) {
  auto m = nft_counter_request(7);
  nlmsghdr h;
  ASSERT_GE(m.size(), sizeof h);
  std::memcpy(&h, m.data(), sizeof h);
  EXPECT_EQ(h.nlmsg_len, m.size());
  EXPECT_EQ(h.nlmsg_type, NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETOBJ);
  EXPECT_EQ(h.nlmsg_flags, NLM_F_REQUEST);
  EXPECT_EQ(h.nlmsg_seq, 7u);
  EXPECT_EQ(m[NLMSG_HDRLEN], NFPROTO_INET);
  std::string body(m.begin() + NLMSG_HDRLEN + 4, m.end());
  EXPECT_NE(body.find(std::string("vpdnd_ipsec\0", 12)), std::string::npos);
  EXPECT_NE(body.find(std::string("plain_l2tp\0", 11)), std::string::npos);
  // NFTA_OBJ_TYPE: 8-byte attribute, big-endian NFT_OBJECT_COUNTER, last.
  std::uint32_t type;
  std::memcpy(&type, m.data() + m.size() - 4, 4);
  EXPECT_EQ(ntohl(type), static_cast<std::uint32_t>(NFT_OBJECT_COUNTER));
}

// A NEWOBJ answer as the kernel builds it: table, name, type, then the nested counter.
std::vector<std::uint8_t> reply(std::uint64_t packets, std::uint64_t bytes) {
  std::vector<std::uint8_t> m(NLMSG_HDRLEN + 4, 0);
  auto attr = [&](std::vector<std::uint8_t>& to, std::uint16_t type, const void* d,
                  std::size_t len) {
    std::uint16_t alen = static_cast<std::uint16_t>(NLA_HDRLEN + len);
    std::size_t at = to.size();
    to.resize(at + NLA_ALIGN(alen), 0);
    std::memcpy(to.data() + at, &alen, 2);
    std::memcpy(to.data() + at + 2, &type, 2);
    if (len) std::memcpy(to.data() + at + NLA_HDRLEN, d, len);
  };
  attr(m, NFTA_OBJ_TABLE, "vpdnd_ipsec", 12);
  attr(m, NFTA_OBJ_NAME, "plain_l2tp", 11);
  std::uint32_t t = htonl(NFT_OBJECT_COUNTER);
  attr(m, NFTA_OBJ_TYPE, &t, 4);
  std::vector<std::uint8_t> nest;
  auto be = [](std::uint64_t v) {
    std::uint8_t b[8];
    for (int i = 7; i >= 0; --i, v >>= 8) b[i] = static_cast<std::uint8_t>(v);
    return std::vector<std::uint8_t>(b, b + 8);
  };
  auto bb = be(bytes), pb = be(packets);
  attr(nest, NFTA_COUNTER_BYTES, bb.data(), 8);
  attr(nest, NFTA_COUNTER_PACKETS, pb.data(), 8);
  attr(m, NFTA_OBJ_DATA, nest.data(), nest.size());
  nlmsghdr h{};
  h.nlmsg_len = static_cast<std::uint32_t>(m.size());
  h.nlmsg_type = NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWOBJ;
  std::memcpy(m.data(), &h, sizeof h);
  return m;
}

TEST(PlainL2tpFilter, CounterReplyGivesThePackets) {
  EXPECT_EQ(parse_nft_counter_reply(reply(0x1'0000'0005ULL, 900)), 0x1'0000'0005ULL);
  EXPECT_EQ(parse_nft_counter_reply(reply(0, 0)), 0u);
}

TEST(PlainL2tpFilter, ErrorOrMalformedReplyGivesNothing) {
  // No such table: NLMSG_ERROR with -ENOENT.
  std::vector<std::uint8_t> err(NLMSG_HDRLEN + sizeof(nlmsgerr), 0);
  nlmsghdr h{};
  h.nlmsg_len = static_cast<std::uint32_t>(err.size());
  h.nlmsg_type = NLMSG_ERROR;
  std::memcpy(err.data(), &h, sizeof h);
  int e = -2;
  std::memcpy(err.data() + NLMSG_HDRLEN, &e, sizeof e);
  EXPECT_EQ(parse_nft_counter_reply(err), std::nullopt);
  auto r = reply(3, 4);
  for (std::size_t cut : {std::size_t{0}, std::size_t{10}, r.size() - 4}) {
    std::vector<std::uint8_t> t(r.begin(), r.begin() + static_cast<std::ptrdiff_t>(cut));
    EXPECT_EQ(parse_nft_counter_reply(t), std::nullopt) << cut;
  }
  // An attribute claiming more than the message holds.
  auto bad = reply(3, 4);
  std::uint16_t huge = 0x7fff;
  std::memcpy(bad.data() + NLMSG_HDRLEN + 4, &huge, 2);
  EXPECT_EQ(parse_nft_counter_reply(bad), std::nullopt);
}

}  // namespace
}  // namespace vpdnd::ipsec
