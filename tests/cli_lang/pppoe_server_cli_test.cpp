// PPPoE server operator commands in Comware V5 spellings, against a fake Operations.
#include "tests/cli_lang/fixture.hpp"

namespace vpdnd::cli::test {
namespace {

ppp::PppoeSessionStatus pppoe_session(std::uint16_t sid, std::string intf, std::uint16_t vt) {
  ppp::PppoeSessionStatus s;
  s.session_id = sid;
  s.interface = std::move(intf);
  s.virtual_template = vt;
  s.peer_mac = {0x00, 0x11, 0x22, 0x33, 0x44, static_cast<std::uint8_t>(sid)};
  s.local_mac = {0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee};
  s.state = "Up";
  // In the order of the columns of `display pppoe-server session packet`.
  static_cast<ppp::PppoeTraffic&>(s) = ppp::PppoeTraffic{7, 900, 1, 5, 600, 2};
  return s;
}

class PppoeServerCliTest : public ShellTest {};

TEST_F(PppoeServerCliTest, DisplaySessionAllListsInterfaceMacsAndState) {
  ops.pppoe = {pppoe_session(1, "eth1", 1), pppoe_session(2, "eth2", 2)};
  EXPECT_THAT(shown("display pppoe-server session all"),
              HasSubstrs({"SID   Intf            RemMAC          LocMAC          State",
                          "1     eth1            0011-2233-4401  02aa-bbcc-ddee  Up",
                          "2     eth2            0011-2233-4402  02aa-bbcc-ddee  Up"}));
}

TEST_F(PppoeServerCliTest, DisplaySessionPacketShowsPerSessionCounters) {
  ops.pppoe = {pppoe_session(3, "eth1", 1)};
  EXPECT_THAT(shown("display pppoe-server session packet"),
              HasSubstrs({"SID   InP        InO        InD        OutP       OutO       OutD",
                          "3     7          900        1          5          600        2"}));
}

TEST_F(PppoeServerCliTest, HelpAndTabOfferTheV5Keywords) {
  auto s = session();
  std::string h = s->help("display pppoe-server session ");
  EXPECT_THAT(h, HasSubstr("all"));
  EXPECT_THAT(h, HasSubstr("packet"));
  std::string rh = s->help("reset pppoe-server ");
  EXPECT_THAT(rh, HasSubstr("all"));
  EXPECT_THAT(rh, HasSubstr("interface"));
  EXPECT_THAT(rh, HasSubstr("virtual-template"));
  std::string dh = s->help("debugging pppoe-server ");
  for (const char* w : {"all", "error", "event", "packet", "verbose"})
    EXPECT_THAT(dh, HasSubstr(w));
  auto c = s->complete("debugging pppoe-server ver");
  ASSERT_FALSE(c.empty());
  EXPECT_THAT(c[0], HasSubstr("verbose"));
}

TEST_F(PppoeServerCliTest, DebuggingSwitchesThePppoeClassesShownByDisplayDebugging) {
  LogBus::instance().clear_all();
  auto s = session_in({"debugging pppoe-server packet", "debugging pppoe-server error"});
  EXPECT_TRUE(LogBus::instance().enabled(DebugModule::pppoe, DebugClass::control));
  EXPECT_TRUE(LogBus::instance().enabled(DebugModule::pppoe, DebugClass::error));
  EXPECT_FALSE(LogBus::instance().enabled(DebugModule::pppoe, DebugClass::payload));
  EXPECT_THAT(shown("display debugging"), HasSubstr("PPPOE control debugging switch is on"));
  ASSERT_TRUE(s->execute("undo debugging pppoe-server packet").ok);
  EXPECT_FALSE(LogBus::instance().enabled(DebugModule::pppoe, DebugClass::control));
  ASSERT_TRUE(s->execute("debugging pppoe-server all").ok);
  EXPECT_TRUE(LogBus::instance().enabled(DebugModule::pppoe, DebugClass::payload));
  EXPECT_TRUE(LogBus::instance().enabled(DebugModule::pppoe, DebugClass::event));
  ASSERT_TRUE(s->execute("undo debugging pppoe-server all").ok);
  EXPECT_FALSE(LogBus::instance().any_enabled(DebugModule::pppoe));
  LogBus::instance().clear_all();
}

TEST_F(PppoeServerCliTest, ResetEndsTheMatchingSessions) {
  ops.pppoe = {pppoe_session(1, "eth1", 1), pppoe_session(2, "eth2", 2),
               pppoe_session(3, "eth1", 2)};
  auto s = session();
  ASSERT_TRUE(s->execute("reset pppoe-server interface eth1").ok);
  ASSERT_EQ(ops.pppoe.size(), 1u);
  EXPECT_EQ(ops.pppoe[0].session_id, 2);
  ops.pppoe = {pppoe_session(1, "eth1", 1), pppoe_session(2, "eth2", 2),
               pppoe_session(3, "eth1", 2)};
  ASSERT_TRUE(s->execute("reset pppoe-server virtual-template 2").ok);
  ASSERT_EQ(ops.pppoe.size(), 1u);
  EXPECT_EQ(ops.pppoe[0].session_id, 1);
  ASSERT_TRUE(s->execute("reset pppoe-server all").ok);
  EXPECT_TRUE(ops.pppoe.empty());
  auto r = s->execute("reset pppoe-server all");
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.output, HasSubstr("No PPPoE session matched"));
  EXPECT_THAT(s->execute("system-view").output, Not(HasSubstr("Unrecognized")));
}

}  // namespace
}  // namespace vpdnd::cli::test
