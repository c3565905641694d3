#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "snmp/snmp.hpp"

namespace vpdnd::snmp {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

config::SnmpConfig sample() {
  config::SnmpConfig c;
  c.enabled = true;
  c.port = 16161;
  c.communities.push_back({config::Secret{"pubc"}, false});
  config::SnmpUsmUser u;
  u.name = "admin";
  u.group = "g";
  u.auth = config::SnmpAuth::sha;
  u.auth_key.plain = "authpass1";
  u.priv = config::SnmpPriv::aes128;
  u.priv_key.plain = "privpass1";
  c.users["admin"] = u;
  config::SnmpTargetHost t;
  t.address = *Ipv4::parse("127.0.0.1");
  t.port = 16162;
  t.security_name.plain = "pubc";
  t.version = config::SnmpVersion::v2c;
  c.targets.push_back(t);
  return c;
}

RenderOptions options() {
  return {"/run/x/agentx.sock", ""};
}

TEST(RenderSnmpdConf, ListensAndServesAgentX) {
  auto text = render_snmpd_conf(sample(), options());
  EXPECT_THAT(text, HasSubstr("agentAddress udp:16161\n"));
  EXPECT_THAT(text, HasSubstr("master agentx\nagentXSocket /run/x/agentx.sock\n"));
  EXPECT_THAT(text, HasSubstr("trapsess -v 2c -c pubc 127.0.0.1:16162\n"));
  auto o = options();
  o.listen = "udp:127.0.0.1:9161";
  EXPECT_THAT(render_snmpd_conf(sample(), o), HasSubstr("agentAddress udp:127.0.0.1:9161\n"));
}

TEST(RenderSnmpdConf, CommunitiesOnlyForTheEnabledVersions) {
  auto c = sample();  // default: v3 only
  auto text = render_snmpd_conf(c, options());
  EXPECT_THAT(text, Not(HasSubstr("pubc default")));
  EXPECT_THAT(text, HasSubstr("createUser admin SHA \"authpass1\" AES \"privpass1\"\n"));
  EXPECT_THAT(text, HasSubstr("rouser admin priv .1\n"));
  c.versions = static_cast<std::uint8_t>(config::SnmpVersion::v2c);
  text = render_snmpd_conf(c, options());
  EXPECT_THAT(text, HasSubstr("com2sec vpdndCommunity1 default pubc\n"));
  EXPECT_THAT(text, HasSubstr("group vpdndCommunity1 v2c vpdndCommunity1\n"));
  EXPECT_THAT(text, Not(HasSubstr(" v1 ")));
  EXPECT_THAT(text, Not(HasSubstr("createUser")));  // v3 off: no user can log in
  EXPECT_THAT(text, Not(HasSubstr("rocommunity")));
}

TEST(RenderSnmpdConf, V3TargetUsesTheUsersKeys) {
  auto c = sample();
  config::SnmpTargetHost t;
  t.address = *Ipv4::parse("10.0.0.9");
  t.security_name.plain = "admin";
  t.version = config::SnmpVersion::v3;
  t.level = config::SnmpSecurityLevel::privacy;
  c.targets = {t};
  auto text = render_snmpd_conf(c, options());
  EXPECT_THAT(text, HasSubstr("trapsess -v 3 -u admin -l authPriv -a SHA -A \"authpass1\" -x AES "
                              "-X \"privpass1\" 10.0.0.9:162\n"));
  c.targets[0].security_name.plain = "nobody";
  text = render_snmpd_conf(c, options());
  EXPECT_THAT(text, Not(HasSubstr("trapsess")));
  EXPECT_THAT(text, HasSubstr("# target 10.0.0.9:162: no USM user nobody"));
}

}  // namespace
}  // namespace vpdnd::snmp
