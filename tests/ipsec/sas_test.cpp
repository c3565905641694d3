// parse_list_sas over swanctl output (one captured from charon 5.9.8, one written in its
// format with child SAs), and the L2TP guard decision.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/ipsec/support.hpp"

namespace vpdnd::ipsec {
namespace {

TEST(ParseListSas, MainModeSaFromCharon) {
  auto sas = parse_list_sas(fixture("list-sas-ike-only.txt"));
  ASSERT_EQ(sas.size(), 1u);
  const auto& sa = sas[0];
  EXPECT_EQ(sa.name, "pol-1");
  EXPECT_EQ(sa.uniqueid, 1u);
  EXPECT_EQ(sa.version, 1u);
  EXPECT_EQ(sa.state, "ESTABLISHED");
  EXPECT_EQ(sa.local_host, "10.77.0.1");
  EXPECT_EQ(sa.remote_host, "10.77.0.2");
  EXPECT_EQ(sa.remote_port, 4500);
  EXPECT_TRUE(sa.initiator);
  EXPECT_TRUE(sa.nat_remote);
  EXPECT_EQ(sa.encr_alg, "AES_CBC");
  EXPECT_EQ(sa.encr_keysize, 256u);
  EXPECT_EQ(sa.dh_group, "MODP_2048");
  EXPECT_TRUE(sa.children.empty());
  // An IKE SA alone protects no L2TP.
  EXPECT_TRUE(protected_peers(sas).empty());
}

TEST(ParseListSas, ChildSasWithTrafficSelectorsAndCounters) {
  auto sas = parse_list_sas(fixture("list-sas-client.txt"));
  ASSERT_EQ(sas.size(), 2u);
  ASSERT_EQ(sas[0].children.size(), 1u);
  const auto& c = sas[0].children[0];
  EXPECT_EQ(c.name, "vpdn-10-1");
  EXPECT_EQ(c.uniqueid, 4u);
  EXPECT_EQ(c.state, "INSTALLED");
  EXPECT_EQ(c.mode, "TRANSPORT");
  EXPECT_TRUE(c.encap);
  EXPECT_EQ(c.spi_in, "c1d2e3f4");
  EXPECT_EQ(c.packets_in, 20u);
  EXPECT_EQ(c.bytes_out, 1024u);
  EXPECT_EQ(c.local_ts, std::vector<std::string>{"192.0.2.1/32[udp/l2f]"});
  EXPECT_EQ(c.remote_ts, std::vector<std::string>{"198.51.100.9/32[udp/1701]"});
  EXPECT_EQ(sas[1].state, "CONNECTING");
  EXPECT_TRUE(sas[1].children.empty());
  EXPECT_EQ(protected_peers(sas), std::vector<Ipv4>{ip("198.51.100.9")});
}

TEST(ParseListSas, GarbageGivesNoSaAndNoCrash) {
  EXPECT_TRUE(parse_list_sas("").empty());
  EXPECT_TRUE(parse_list_sas("}}}\n{ {\n = [\n").empty());
  EXPECT_TRUE(parse_list_sas("list-sas reply {\n}\n").empty());
  auto sas = parse_list_sas("list-sa event {\n x {\n uniqueid = notanumber\n");
  ASSERT_EQ(sas.size(), 1u);
  EXPECT_EQ(sas[0].uniqueid, 0u);
}

TEST(L2tpGuard, NoPolicyAdmitsEveryone) {
  EXPECT_TRUE(l2tp_admitted({}, ip("198.51.100.9"), {}));
}

TEST(L2tpGuard, DialInPolicyRefusesPeersWithoutAnInstalledSa) {
  GuardPolicy g;
  g.any_peer = true;
  std::vector<Ipv4> prot{ip("198.51.100.9")};
  EXPECT_TRUE(l2tp_admitted(g, ip("198.51.100.9"), prot));
  EXPECT_FALSE(l2tp_admitted(g, ip("198.51.100.10"), prot));
  EXPECT_FALSE(l2tp_admitted(g, ip("198.51.100.9"), {}));
}

TEST(L2tpGuard, PeerPolicyOnlyConcernsThatPeer) {
  GuardPolicy g;
  g.peers = {ip("192.0.2.7")};
  EXPECT_FALSE(l2tp_admitted(g, ip("192.0.2.7"), {}));
  EXPECT_TRUE(l2tp_admitted(g, ip("192.0.2.7"), {ip("192.0.2.7")}));
  EXPECT_TRUE(l2tp_admitted(g, ip("192.0.2.8"), {}));
}

}  // namespace
}  // namespace vpdnd::ipsec
