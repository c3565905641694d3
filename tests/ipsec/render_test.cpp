// render_swanctl over configurations built in code, compared with text fixtures.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/ipsec/support.hpp"

namespace vpdnd::ipsec {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(RenderSwanctl, DialInTemplateGivesTheClientFriendlyTransportConnection) {
  Rendered r = render_swanctl(dial_in());
  EXPECT_EQ(r.swanctl_conf, fixture("dialin.swanctl.conf"));
  EXPECT_TRUE(r.warnings.empty());
  ASSERT_EQ(r.connections.size(), 1u);
  EXPECT_EQ(r.connections[0].connection, "vpdn-10-1");
  EXPECT_EQ(r.connections[0].interface, "eth1");
  EXPECT_TRUE(r.guard.any_peer);
}

TEST(RenderSwanctl, LacToLnsPolicyUsesItsProposalsAndNamesThePeer) {
  config::RunningConfig c = dial_in();
  auto& s = c.ipsec;
  s.policies.clear();
  auto& pr = s.proposals[5];
  pr.number = 5;
  pr.encryption = config::IkeCipher::aes_cbc_256;
  pr.authentication = config::IkeHash::sha256;
  pr.dh = config::DhGroup::group14;
  pr.sa_duration_s = 3600;
  s.profiles["clients"].proposals = {5};
  s.keychains["clients"].keys.push_back({ip("192.0.2.7"), ip("255.255.255.255"), {"lns-key"}});
  auto& t = s.transform_sets["l2tp"];
  t.mode = config::EncapsulationMode::tunnel;
  t.esp_encryption = {config::EspCipher::aes_cbc_128};
  t.esp_authentication = {config::EspHash::sha256};
  t.pfs = config::DhGroup::group14;
  auto& pol = s.policies[{"tolns", 20}];
  pol.name = "tolns";
  pol.sequence = 20;
  pol.remote_address = ip("192.0.2.7");
  pol.transform_sets = {"l2tp"};
  pol.ike_profile = "clients";
  pol.lifetime = 7200;
  c.interfaces["eth1"].ipsec_policy = "tolns";
  Rendered r = render_swanctl(c);
  EXPECT_EQ(r.swanctl_conf, fixture("lac-lns.swanctl.conf"));
  EXPECT_FALSE(r.guard.any_peer);
  EXPECT_EQ(r.guard.peers, std::vector<Ipv4>{ip("192.0.2.7")});
}

// Only the LAC (the end that opens the L2TP tunnel) initiates and renews; the LNS answers,
// and renews nothing.
TEST(RenderSwanctl, OnlyTheLacInitiatesAndRenewsTheSaToItsLns) {
  Rendered lac_r = render_swanctl(named_peer(config::GroupMode::lac));
  ASSERT_EQ(lac_r.connections.size(), 1u);
  EXPECT_TRUE(lac_r.connections[0].initiator);
  EXPECT_FALSE(render_swanctl(named_peer(config::GroupMode::lns)).connections.at(0).initiator);
  std::string lac = lac_r.swanctl_conf;
  EXPECT_THAT(lac, HasSubstr("    rekey_time = 86400s\n    unique = replace\n"));
  EXPECT_THAT(lac, HasSubstr("        rekey_time = 144s\n        rand_time = 18s\n"
                             "        life_time = 180s\n"
                             "        start_action = start\n"
                             "        dpd_action = restart\n        close_action = start\n"));
  std::string lns = render_swanctl(named_peer(config::GroupMode::lns)).swanctl_conf;
  EXPECT_THAT(lns, HasSubstr("    rekey_time = 0s\n    unique = replace\n"));
  EXPECT_THAT(lns, HasSubstr("      id = 192.0.2.7\n"));
  EXPECT_THAT(lns, HasSubstr("        rekey_time = 162s\n        life_time = 180s\n"
                             "        start_action = none\n        dpd_action = clear\n"
                             "      }\n"));
  EXPECT_THAT(lns, Not(HasSubstr("close_action")));
  // An LNS that is also a LAC toward that address (its own tunnels to it) initiates.
  config::RunningConfig both = named_peer(config::GroupMode::lns);
  both.l2tp_groups[2].number = 2;
  both.l2tp_groups[2].lns_addresses = {ip("192.0.2.7")};
  EXPECT_THAT(render_swanctl(both).swanctl_conf, HasSubstr("start_action = start"));
}

// The lifetime is the hard one: charon must renew the SA before it, whatever its own
// default renewal time (3600 s) says, or a short lifetime expires with no successor.
// `local-identity address` is the identity this end sends; without it there is no local id
// (charon then sends the address the peer reached).
TEST(RenderSwanctl, LocalIdentityIsTheIdThisEndSends) {
  config::RunningConfig c = named_peer(config::GroupMode::lac);
  EXPECT_THAT(render_swanctl(c).swanctl_conf, HasSubstr("    local {\n      auth = psk\n    }\n"));
  c.ipsec.profiles["clients"].local_identity = ip("198.51.100.9");
  EXPECT_THAT(render_swanctl(c).swanctl_conf,
              HasSubstr("    local {\n      auth = psk\n      id = 198.51.100.9\n    }\n"));
}

TEST(RenderSwanctl, ChildSaIsRenewedBeforeItsLifetimeEnds) {
  config::RunningConfig c = dial_in();
  c.ipsec.templates[{"dialin", 1}].lifetime = 180;
  Rendered r = render_swanctl(c);
  EXPECT_THAT(r.swanctl_conf, HasSubstr("        rekey_time = 162s\n        life_time = 180s\n"));
}

TEST(RenderSwanctl, IncompleteOrUnappliedPoliciesAreSkippedWithAReason) {
  config::RunningConfig c = dial_in();
  c.interfaces["eth1"].ipsec_policy.clear();
  Rendered r = render_swanctl(c);
  EXPECT_TRUE(r.connections.empty());
  EXPECT_FALSE(r.guard.active());
  EXPECT_THAT(r.swanctl_conf, Not(HasSubstr("0x")));  // no key for nothing applied

  c = dial_in();
  c.ipsec.templates.begin()->second.ike_profile = "nosuch";
  r = render_swanctl(c);
  EXPECT_TRUE(r.connections.empty());
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_THAT(r.warnings[0], HasSubstr("IKE profile nosuch does not exist"));

  c = dial_in();
  c.ipsec.policies.begin()->second.template_name = "gone";
  r = render_swanctl(c);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_THAT(r.warnings[0], HasSubstr("policy template gone does not exist"));
}

TEST(RenderSwanctl, NamesThatAreNotSettingsKeysAreMadeSafe) {
  config::RunningConfig c = dial_in();
  auto pol = c.ipsec.policies.begin()->second;
  c.ipsec.policies.clear();
  pol.name = "a.b{c}";
  c.ipsec.policies[{pol.name, pol.sequence}] = pol;
  c.interfaces["eth1"].ipsec_policy = pol.name;
  Rendered r = render_swanctl(c);
  ASSERT_EQ(r.connections.size(), 1u);
  EXPECT_EQ(r.connections[0].connection, "a_b_c_-10-1");
  EXPECT_EQ(r.connections[0].policy, "a.b{c}");
}

// The kernel's drop policies for plain L2TP: charon installs a `mode = drop` shunt (at its
// fallback priority, behind every SA's policy) for our UDP 1701 and the guard's peers.
TEST(RenderSwanctl, KernelBlockAddsADropShuntForTheGuardedPeers) {
  Rendered r = render_swanctl(dial_in(), true);
  EXPECT_EQ(r.swanctl_conf, fixture("dialin-kernel-block.swanctl.conf"));
  ASSERT_EQ(r.connections.size(), 1u) << "the shunt is no connection of the displays";
  EXPECT_THAT(render_swanctl(dial_in()).swanctl_conf, Not(HasSubstr("drop")));

  GuardPolicy peers;
  peers.peers = {ip("192.0.2.7"), ip("198.51.100.1")};
  std::string lac = render_plain_l2tp_drop(peers);
  EXPECT_THAT(lac, HasSubstr("remote_ts = 192.0.2.7/32[udp],198.51.100.1/32[udp]\n"));
  EXPECT_THAT(lac, HasSubstr("local_ts = 0.0.0.0/0[udp/1701]\n"));
  EXPECT_EQ(render_plain_l2tp_drop(GuardPolicy{}), "");
}

TEST(ParseXfrmStat, ReadsThePolicyBlockCounters) {
  auto b = parse_xfrm_stat(
      "XfrmInError             \t0\nXfrmInPolBlock          \t12\n"
      "XfrmOutPolBlock         \t4\nXfrmOutPolError\t0\n");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->in, 12u);
  EXPECT_EQ(b->out, 4u);
  EXPECT_FALSE(parse_xfrm_stat(""));
}

TEST(RenderStrongswanConf, OwnPathsAndKeepalive) {
  DriverOptions o;
  o.run_dir = "/run/test-ipsec";
  o.extra_plugins = {"kernel-libipsec"};
  config::IpsecConfig c;
  c.nat_keepalive_s = 45;
  std::string s = render_strongswan_conf(o, c);
  EXPECT_THAT(s, HasSubstr("socket = unix:///run/test-ipsec/charon.vici\n"));
  EXPECT_THAT(s, HasSubstr("path = /run/test-ipsec/charon.log\n"));
  EXPECT_THAT(s, HasSubstr("keep_alive = 45s\n"));
  EXPECT_THAT(s, HasSubstr("kernel-libipsec {\n      load = yes\n"));
}

// charon's own default list is some sixty plugins: seconds to start on a slow box (more
// than the driver waited in an emulated guest). The list names what PSK IKEv1 with the
// rendered algorithms needs, plus the extra ones.
TEST(RenderStrongswanConf, LoadsOnlyThePluginsItNeeds) {
  DriverOptions o;
  o.extra_plugins = {"kernel-libipsec"};
  std::string s = render_strongswan_conf(o, config::IpsecConfig{});
  EXPECT_THAT(s,
              HasSubstr("\n  load = random nonce aes sha1 sha2 md5 hmac kdf gmp curve25519 gcrypt "
                        "kernel-netlink socket-default vici kernel-libipsec\n"));
  EXPECT_THAT(s, HasSubstr("swanctl {\n  load = random\n}\n"));
}

}  // namespace
}  // namespace vpdnd::ipsec
