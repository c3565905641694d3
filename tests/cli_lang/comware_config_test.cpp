// A real Comware configuration loads clean: Comware interface names (with `linux-interface`
// naming their Linux interfaces), Comware commands vpdnd does not apply accepted with a
// warning and kept (printed back in their view), truly unknown lines still errors; and four
// full V5/V7 LAC/LNS configurations load with no error and round-trip through `save`.
#include <fstream>
#include <sstream>

#include "cli/cli.hpp"
#include "fixture.hpp"

namespace vpdnd::cli::test {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ComwareInterfaceName, CanonicalFormsAndLinuxNames) {
  using config::comware_interface_name;
  EXPECT_EQ(comware_interface_name("GigabitEthernet0/0"), "GigabitEthernet0/0");
  EXPECT_EQ(comware_interface_name("gigabitethernet1/0/1"), "GigabitEthernet1/0/1");
  EXPECT_EQ(comware_interface_name("GE0/0"), "GigabitEthernet0/0");
  EXPECT_EQ(comware_interface_name("g0/1"), "GigabitEthernet0/1");
  EXPECT_EQ(comware_interface_name("Eth0/1"), "Ethernet0/1");
  EXPECT_EQ(comware_interface_name("Ethernet0/1"), "Ethernet0/1");
  EXPECT_EQ(comware_interface_name("XGE1/0/49"), "Ten-GigabitEthernet1/0/49");
  EXPECT_EQ(comware_interface_name("Vlan-interface1"), "Vlan-interface1");
  EXPECT_EQ(comware_interface_name("LoopBack0"), "LoopBack0");
  EXPECT_EQ(comware_interface_name("GigabitEthernet0/0.100"), "GigabitEthernet0/0.100");
  EXPECT_EQ(comware_interface_name("gi", "0/0"), "GigabitEthernet0/0");
  EXPECT_EQ(comware_interface_name("vlan", "10"), "Vlan-interface10");
  // Linux names stay Linux names.
  for (const char* linux_name : {"eth0", "eth1", "vlan100", "ens3", "veth-lac", "lo", "ppp0",
                                 "GigabitEthernet", "GigabitEthernet0", "t1/0/1"})
    EXPECT_EQ(comware_interface_name(linux_name), "") << linux_name;
}

TEST_F(ShellTest, ComwareInterfaceNamesEnterTheInterfaceView) {
  auto s = system_session();
  for (const char* typed : {"interface GigabitEthernet0/0", "interface GE0/0", "int g0/0",
                            "interface GigabitEthernet 0/0", "int gi 0/0"}) {
    auto r = s->execute(typed);
    ASSERT_TRUE(r.ok) << typed << ": " << r.output;
    EXPECT_EQ(s->prompt(), "[VPDN-GigabitEthernet0/0]") << typed;
    ASSERT_TRUE(s->execute("quit").ok);
  }
  ASSERT_TRUE(s->execute("interface Vlan-interface 1").ok);
  EXPECT_EQ(s->prompt(), "[VPDN-Vlan-interface1]");
  ASSERT_TRUE(s->execute("interface Virtual-Template 2").ok);
  EXPECT_EQ(s->prompt(), "[VPDN-Virtual-Template2]");
  // Linux names as before.
  ASSERT_TRUE(s->execute("interface eth1").ok);
  EXPECT_EQ(s->prompt(), "[VPDN-eth1]");
  EXPECT_FALSE(s->execute("interface GigabitEthernet 0").ok);  // a slot/port type
}

TEST_F(ShellTest, PppoeBindOnAComwareInterfaceUsesItsLinuxInterface) {
  auto s = system_session();
  ASSERT_TRUE(s->execute("interface virtual-template 1").ok);
  ASSERT_TRUE(s->execute("interface GigabitEthernet0/0").ok);
  auto r = s->execute("pppoe-server bind virtual-template 1");
  ASSERT_TRUE(r.ok) << r.output;
  // Not mapped yet: kept, and said once.
  EXPECT_THAT(r.output, HasSubstr("Warning: GigabitEthernet0/0 has no Linux interface"));
  auto c = running();
  ASSERT_TRUE(c.interfaces.count("GigabitEthernet0/0"));
  EXPECT_EQ(c.interfaces.at("GigabitEthernet0/0").pppoe_server_template, 1);
  EXPECT_EQ(c.linux_interface("GigabitEthernet0/0"), "");

  r = s->execute("linux-interface GE0/0 eth0");
  ASSERT_TRUE(r.ok) << r.output;
  EXPECT_EQ(running().linux_interface("GigabitEthernet0/0"), "eth0");
  EXPECT_EQ(running().linux_interface("eth3"), "eth3");
  // One Linux interface is one Comware interface.
  EXPECT_FALSE(s->execute("linux-interface GigabitEthernet0/1 eth0").ok);
  EXPECT_FALSE(s->execute("linux-interface eth2 eth0").ok);
  EXPECT_FALSE(s->execute("linux-interface GigabitEthernet0/1 GE0/2").ok);

  r = s->execute("display linux-interface");
  ASSERT_TRUE(r.ok) << r.output;
  EXPECT_THAT(r.output, HasSubstr(" GigabitEthernet0/0        eth0             yes"));
  r = s->execute("display current-configuration");
  EXPECT_THAT(r.output, HasSubstr("\n linux-interface GigabitEthernet0/0 eth0\n"));
  EXPECT_THAT(r.output, HasSubstr("\ninterface GigabitEthernet0/0\n pppoe-server bind "
                                  "virtual-template 1\n"));

  ASSERT_TRUE(s->execute("undo linux-interface GigabitEthernet0/0").ok);
  EXPECT_TRUE(running().interface_map.empty());
  ASSERT_TRUE(s->execute("undo interface GE0/0").ok);
  EXPECT_TRUE(running().interfaces.empty());
}

TEST_F(ShellTest, ResetPppoeServerTakesAComwareInterfaceName) {
  auto s = session();
  ppp::PppoeSessionStatus st;
  st.interface = "GigabitEthernet0/0";
  ops.pppoe.push_back(st);
  auto r = s->execute("reset pppoe-server interface GE0/0");
  ASSERT_TRUE(r.ok) << r.output;
  ASSERT_EQ(ops.pppoe_resets.size(), 1u);
  EXPECT_EQ(ops.pppoe_resets[0].interface, "GigabitEthernet0/0");
  EXPECT_TRUE(ops.pppoe.empty());
}

TEST_F(ShellTest, AnUnmappedComwareInterfaceInAFileIsOneWarning) {
  std::string path =
      write_file("unmapped.cfg",
                 "interface virtual-template 1\n#\ninterface GigabitEthernet0/0\n"
                 " pppoe-server bind virtual-template 1\n#\ninterface GigabitEthernet0/1\n"
                 " pppoe-server bind virtual-template 1\n#\n"
                 " linux-interface GigabitEthernet0/1 eth1\n");
  auto report = load_config_file(context, path);
  EXPECT_THAT(report.errors, IsEmpty());
  EXPECT_THAT(report.warnings,
              ElementsAre(path + ":3: warning: GigabitEthernet0/0 has no Linux interface "
                                 "(linux-interface GigabitEthernet0/0 LINUX-NAME): its "
                                 "configuration is kept but not applied"));
  EXPECT_EQ(running().interfaces.size(), 2u);
}

TEST_F(ShellTest, KnownComwareLinesAreKeptWithAWarningUnknownOnesAreErrors) {
  std::string path = write_file("mixed.cfg",
                                "#\n"
                                " sysname LAC\n"
                                " undo copyright-info enable\n"
                                " stp enable\n"
                                "#\n"
                                "vlan 1\n"
                                " description users\n"
                                "#\n"
                                " header motd %\n"
                                "Welcome\n"
                                "# not a separator inside a banner\n"
                                "%\n"
                                "#\n"
                                "interface GigabitEthernet0/1\n"
                                " port link-mode route\n"
                                " ip address 10.0.0.1 255.255.255.0\n"
                                " undo ip redirects\n"
                                " frobnicate now\n"
                                "#\n"
                                "domain system\n"
                                " idle-cut disable\n"
                                " authentication ppp radius-sheme r\n"
                                "#\n"
                                "user-interface con 0\n"
                                "user-interface vty 0 4\n"
                                " authentication-mode scheme\n"
                                "#\n"
                                " frobnicate everything\n"
                                "return\n");
  auto report = load_config_file(context, path);
  ASSERT_EQ(report.errors.size(), 3u) << ::testing::PrintToString(report.errors);
  EXPECT_THAT(report.errors[0], HasSubstr("mixed.cfg:18: % Unrecognized command"));
  EXPECT_THAT(report.errors[1], HasSubstr("mixed.cfg:22: % "));
  EXPECT_THAT(report.errors[2], HasSubstr("mixed.cfg:28: % Unrecognized command"));
  EXPECT_THAT(report.warnings,
              testing::Contains(path + ":3: warning: \"undo copyright-info enable\" is not "
                                       "applied by vpdnd: ignored, kept"));
  EXPECT_EQ(report.warnings.size(), 10u) << ::testing::PrintToString(report.warnings);

  auto c = running();
  EXPECT_EQ(c.sysname, "LAC");
  EXPECT_THAT(c.kept.at(""), ElementsAre("undo copyright-info enable", "stp enable",
                                         "header motd %\nWelcome\n# not a separator inside a "
                                         "banner\n%"));
  EXPECT_THAT(c.kept.at("vlan 1"), ElementsAre("description users"));
  EXPECT_THAT(c.kept.at("interface GigabitEthernet0/1"),
              ElementsAre("port link-mode route", "ip address 10.0.0.1 255.255.255.0",
                          "undo ip redirects"));
  EXPECT_THAT(c.kept.at("domain system"), ElementsAre("idle-cut disable"));
  EXPECT_TRUE(c.kept.count("user-interface con 0"));

  std::string shown = render_configuration(c);
  EXPECT_THAT(shown, HasSubstr("#\n sysname LAC\n undo copyright-info enable\n stp enable\n"
                               " header motd %\nWelcome\n# not a separator inside a banner\n%\n"));
  EXPECT_THAT(shown, HasSubstr("#\nvlan 1\n description users\n#\n"));
  EXPECT_THAT(shown, HasSubstr("#\ndomain system\n idle-cut disable\n#\n"));
  EXPECT_THAT(shown, HasSubstr("#\ninterface GigabitEthernet0/1\n port link-mode route\n"
                               " ip address 10.0.0.1 255.255.255.0\n undo ip redirects\n#\n"));
  EXPECT_THAT(shown, HasSubstr("#\nuser-interface con 0\n#\n"));
}

TEST_F(ShellTest, KnownComwareLinesOnATerminal) {
  auto s = system_session();
  auto r = s->execute("stp enable");
  ASSERT_TRUE(r.ok) << r.output;
  EXPECT_EQ(r.output, "Warning: \"stp enable\" is not applied by vpdnd: ignored, kept");
  r = s->execute("vlan 10");
  ASSERT_TRUE(r.ok) << r.output;
  EXPECT_EQ(s->prompt(), "[VPDN-vlan10]");
  ASSERT_TRUE(s->execute("name users").ok);
  r = s->execute("display this");
  EXPECT_THAT(r.output, HasSubstr("vlan 10\n name users\n"));
  // A system-view command leaves the foreign view, as on Comware.
  ASSERT_TRUE(s->execute("l2tp enable").ok);
  EXPECT_EQ(s->prompt(), "[VPDN]");
  EXPECT_FALSE(s->execute("frobnicate").ok);
  // A sub-view keeps its own Comware lines.
  ASSERT_TRUE(s->execute("l2tp-group 1").ok);
  r = s->execute("description to-lns");
  ASSERT_TRUE(r.ok) << r.output;
  EXPECT_EQ(s->prompt(), "[VPDN-l2tp1]");
  EXPECT_THAT(running().kept.at("l2tp-group 1"), ElementsAre("description to-lns"));
  EXPECT_THAT(s->execute("display this").output, HasSubstr("l2tp-group 1\n description to-lns\n"));
  // Removing the group removes its kept lines (printed alone they would create it again).
  ASSERT_TRUE(s->execute("undo l2tp-group 1").ok);
  EXPECT_FALSE(running().kept.count("l2tp-group 1"));
  EXPECT_THAT(render_configuration(running()), Not(HasSubstr("l2tp-group 1")));
}

class ComwareFixtureTest : public ShellTest, public ::testing::WithParamInterface<const char*> {};

// Loads with no error, then `save`, then the saved file loaded into an empty model gives
// the same running config (and the same text).
TEST_P(ComwareFixtureTest, LoadsCleanAndRoundTripsThroughSave) {
  const std::string path = std::string(COMWARE_FIXTURES) + "/" + GetParam();
  const std::string original = read_file(path);
  ASSERT_FALSE(original.empty()) << path;
  auto report = load_config_file(context, path);
  EXPECT_THAT(report.errors, IsEmpty()) << ::testing::PrintToString(report.errors);
  EXPECT_FALSE(report.warnings.empty());
  for (auto& w : report.warnings) EXPECT_THAT(w, HasSubstr(": warning: ")) << w;
  const auto loaded = running();
  const std::string shown = render_configuration(loaded);

  // Every line the loader warned about (kept, not applied) is printed back: nothing lost.
  std::vector<std::string> lines;
  {
    std::istringstream in(original);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
  }
  std::size_t kept = 0;
  for (auto& w : report.warnings) {
    auto colon = w.find(':', path.size() + 1);
    std::size_t n = std::stoul(w.substr(path.size() + 1, colon - path.size() - 1));
    ASSERT_GE(n, 1u);
    ASSERT_LE(n, lines.size());
    std::string line = lines[n - 1];
    std::string text = line.substr(line.find_first_not_of(' '));
    EXPECT_TRUE(shown.find("\n" + text + "\n") != std::string::npos ||
                shown.find("\n " + text + "\n") != std::string::npos)
        << "lost: '" << line << "'\n"
        << shown;
    ++kept;
  }
  EXPECT_GE(kept, 10u);

  auto s = system_session();
  auto r = s->execute("save force");
  ASSERT_TRUE(r.ok) << r.output;
  reset_model();
  auto again = load_config_file(context, context.startup_path);
  EXPECT_THAT(again.errors, IsEmpty()) << ::testing::PrintToString(again.errors);
  EXPECT_TRUE(running() == loaded) << read_file(context.startup_path);
  EXPECT_EQ(render_configuration(running()), shown);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ComwareFixtureTest,
                         ::testing::Values("v5-lac.cfg", "v5-lns.cfg", "v7-lac.cfg", "v7-lns.cfg"));

}  // namespace
}  // namespace vpdnd::cli::test
