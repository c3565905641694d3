// The language itself: views and prompts, abbreviation, aliases, the five caret errors,
// `?` listings, Tab completion, the system-view fallback from sub-views.
#include "cli/cli.hpp"
#include "fixture.hpp"

namespace vpdnd::cli::test {
namespace {

using ::testing::HasSubstr;

class GrammarTest : public ShellTest {};

TEST_F(GrammarTest, ViewsAndPrompts) {
  auto s = session();
  EXPECT_EQ(s->prompt(), "<VPDN>");
  auto r = s->execute("system-view");
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.output, "System View: return to User View with Ctrl+Z.");
  EXPECT_EQ(s->prompt(), "[VPDN]");
  // Each sub-view's prompt; `quit` goes back to system view.
  const std::pair<const char*, const char*> kViews[] = {
      {"l2tp-group 1", "[VPDN-l2tp1]"},
      {"interface virtual-template 1", "[VPDN-Virtual-Template1]"},
      {"domain corp.com", "[VPDN-isp-corp.com]"},
      {"radius scheme r1", "[VPDN-radius-r1]"},
      {"user-interface vty 0 4", "[VPDN-ui-vty0-4]"},
  };
  for (auto [command, prompt] : kViews) {
    s->execute(command);
    EXPECT_EQ(s->prompt(), prompt) << command;
    s->execute("quit");
    EXPECT_EQ(s->prompt(), "[VPDN]") << command;
  }
  r = s->execute("local-user alice");
  EXPECT_EQ(r.output, "New local user added.");
  EXPECT_EQ(s->prompt(), "[VPDN-luser-alice]");
  s->execute("quit");
  r = s->execute("local-user alice");
  EXPECT_EQ(r.output, "");  // not new any more
  s->execute("quit");
  s->execute("interface eth1");
  EXPECT_EQ(s->prompt(), "[VPDN-eth1]");
  s->execute("return");
  EXPECT_EQ(s->prompt(), "<VPDN>");
  r = s->execute("quit");
  EXPECT_TRUE(r.close_session);
}

TEST_F(GrammarTest, SysnameChangesPrompt) {
  auto s = system_session();
  s->execute("sysname LNS");
  EXPECT_EQ(s->prompt(), "[LNS]");
  s->execute("l2tp-group 7 mode lns");
  EXPECT_EQ(s->prompt(), "[LNS-l2tp7]");
  s->execute("hostname BOX");  // alias
  EXPECT_EQ(s->prompt(), "[BOX]");
  s->execute("no hostname");
  EXPECT_EQ(s->prompt(), "[VPDN]");
}

TEST_F(GrammarTest, SystemCommandFromSubViewMovesThere) {
  auto s = system_session();
  s->execute("domain corp.com");
  auto r = s->execute("l2tp-group 2");
  EXPECT_TRUE(r.ok) << r.output;
  EXPECT_EQ(s->prompt(), "[VPDN-l2tp2]");
  r = s->execute("l2tp enable");
  EXPECT_TRUE(r.ok) << r.output;
  EXPECT_EQ(s->prompt(), "[VPDN]");
  EXPECT_TRUE(running().l2tp.enabled);
}

TEST_F(GrammarTest, AbbreviationsAndAliases) {
  auto s = session();
  EXPECT_TRUE(s->execute("sy").ok);
  EXPECT_EQ(s->prompt(), "[VPDN]");
  EXPECT_TRUE(s->execute("l2tp-g 3").ok);
  EXPECT_TRUE(s->execute("tun pass sim abc").ok);
  EXPECT_TRUE(s->execute("exit").ok);
  EXPECT_EQ(s->prompt(), "[VPDN]");
  EXPECT_TRUE(s->execute("l2tp en").ok);
  EXPECT_TRUE(s->execute("end").ok);
  EXPECT_EQ(s->prompt(), "<VPDN>");
  auto r = s->execute("show l2tp tun");
  EXPECT_TRUE(r.ok);
  EXPECT_THAT(r.output, HasSubstr("Total tunnel = 0"));
  auto c = running();
  EXPECT_TRUE(c.l2tp.enabled);
  EXPECT_EQ(c.l2tp_groups.at(3).tunnel_password.plain, "abc");
  // `domain de` is the domain "de", not the keyword `default`.
  s->execute("system-view");
  EXPECT_TRUE(s->execute("domain de").ok);
  EXPECT_EQ(s->prompt(), "[VPDN-isp-de]");
}

TEST_F(GrammarTest, CommentsAndBlankLines) {
  auto s = system_session();
  EXPECT_TRUE(s->execute("# l2tp enable").ok);
  EXPECT_TRUE(s->execute("   ").ok);
  EXPECT_TRUE(s->execute("").ok);
  EXPECT_FALSE(running().l2tp.enabled);
}

// Caret under the offending token, the prompt counted, then the message.
TEST_F(GrammarTest, UnrecognizedCaret) {
  auto s = session();
  auto r = s->execute("dis l2tp tunel");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.output,
            std::string(6 + 9, ' ') + "^\n % Unrecognized command found at '^' position.");
  r = s->execute("frobnicate");
  EXPECT_EQ(r.output, std::string(6, ' ') + "^\n % Unrecognized command found at '^' position.");
}

TEST_F(GrammarTest, IncompleteCaret) {
  auto s = system_session();
  auto r = s->execute("l2tp-group");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.output, std::string(6 + 11, ' ') + "^\n % Incomplete command found at '^' position.");
}

TEST_F(GrammarTest, AmbiguousCaret) {
  auto s = session();
  auto r = s->execute("d l2tp tunnel");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.output, std::string(6, ' ') + "^\n % Ambiguous command found at '^' position.");
  r = s->execute("display l2tp s");
  EXPECT_EQ(r.output, std::string(6 + 13, ' ') + "^\n % Ambiguous command found at '^' position.");
}

TEST_F(GrammarTest, TooManyParametersCaret) {
  auto s = system_session();
  auto r = s->execute("l2tp enable now");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.output,
            std::string(6 + 12, ' ') + "^\n % Too many parameters found at '^' position.");
}

TEST_F(GrammarTest, WrongParameterCaret) {
  auto s = system_session();
  auto r = s->execute("l2tp-group 70000");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.output, std::string(6 + 11, ' ') + "^\n % Wrong parameter found at '^' position.");
  s->execute("l2tp-group 1");
  r = s->execute("start l2tp ip 10.0.0.300 domain x");
  EXPECT_EQ(r.output, std::string(12 + 14, ' ') + "^\n % Wrong parameter found at '^' position.");
  r = s->execute("tunnel name " + std::string(31, 'n'));
  EXPECT_EQ(r.output, std::string(12 + 12, ' ') + "^\n % Wrong parameter found at '^' position.");
  EXPECT_TRUE(running().l2tp_groups.at(1).lns_addresses.empty());
}

TEST_F(GrammarTest, QuestionMarkListsNextWords) {
  auto s = session();
  std::string h = s->help("display l2tp ");
  EXPECT_THAT(h, HasSubstr("  session "));
  EXPECT_THAT(h, HasSubstr("  statistics "));
  EXPECT_THAT(h, HasSubstr("  tunnel "));
  EXPECT_THAT(h, ::testing::Not(HasSubstr("<cr>")));
  h = s->help("display l2tp tunnel ");
  EXPECT_THAT(h, HasSubstr("  statistics"));
  EXPECT_THAT(h, HasSubstr("  verbose"));
  EXPECT_THAT(h, HasSubstr("  <cr>"));
  // one-line help beside each keyword
  EXPECT_THAT(s->help(""), HasSubstr("  system-view  "));
  EXPECT_THAT(s->help(""), HasSubstr("Enter the System View"));
  // `xy?`: the keywords starting with xy
  EXPECT_EQ(s->help("d"), "  debugging\n  display\n");
  EXPECT_EQ(s->help("dis l2tp t"), "  tunnel\n");
  s->execute("system-view");
  h = s->help("l2tp-group ");
  EXPECT_THAT(h, HasSubstr("INTEGER<1-65535>"));
  h = s->help("l2tp-group 1 ");
  EXPECT_THAT(h, HasSubstr("  mode"));
  EXPECT_THAT(h, HasSubstr("<cr>"));
  // an error in the words before the ? shows the caret
  EXPECT_THAT(s->help("l2tq "), HasSubstr("% Unrecognized command"));
}

TEST_F(GrammarTest, TabCompletes) {
  auto s = session();
  EXPECT_EQ(s->complete("sys"), std::vector<std::string>{"system-view"});
  EXPECT_EQ(s->complete("dis l2tp t"), std::vector<std::string>{"tunnel"});
  EXPECT_EQ(s->complete("d"), (std::vector<std::string>{"debugging", "display"}));
  EXPECT_TRUE(s->complete("xyz").empty());
  s->execute("system-view");
  s->execute("l2tp-group 1");
  EXPECT_EQ(s->complete("tunnel p"), std::vector<std::string>{"password"});
  EXPECT_EQ(s->complete("mand"), (std::vector<std::string>{"mandatory-chap", "mandatory-lcp"}));
}

TEST_F(GrammarTest, SubViewCompletesSystemCommands) {
  auto s = system_session();
  s->execute("domain corp.com");
  EXPECT_EQ(s->complete("l2tp-gr"), std::vector<std::string>{"l2tp-group"});
  EXPECT_EQ(s->help("l2tp-gr"), "  l2tp-group\n");
  EXPECT_EQ(s->complete("acc"), std::vector<std::string>{"accounting"});  // own view first
}

TEST_F(GrammarTest, FileBlocksEndAtBareHash) {
  // V5 `ip pool` in a domain block belongs to the domain; after a bare `#` it is global.
  auto errors = load_text("domain d\n ip pool a 10.0.0.1\n#\n ip pool b 10.0.1.1\n# a comment\n");
  EXPECT_TRUE(errors.empty());
  auto c = running();
  EXPECT_EQ(c.ip_pools.at("a").domain, "d");
  EXPECT_EQ(c.ip_pools.at("b").domain, "");
  // `# text` inside a block is only a comment.
  errors = load_text("l2tp-group 1\n # LNS side\n allow l2tp virtual-template 1\n");
  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_TRUE(running().l2tp_groups.at(1).allow_virtual_template.has_value());
}

TEST_F(GrammarTest, WrongViewIsUnrecognized) {
  auto s = session();
  auto r = s->execute("l2tp enable");  // system view only
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.output, HasSubstr("% Unrecognized command"));
  s->execute("system-view");
  r = s->execute("mandatory-chap");  // group view only
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(running().l2tp.enabled);
}

TEST_F(GrammarTest, TerminalSettingsPerSession) {
  auto a = session();
  auto b = session();
  EXPECT_TRUE(a->execute("terminal monitor").ok);
  EXPECT_TRUE(a->execute("terminal debugging").ok);
  EXPECT_TRUE(a->execute("screen-length disable").ok);
  EXPECT_TRUE(a->terminal().monitor);
  EXPECT_TRUE(a->terminal().debugging);
  EXPECT_EQ(a->terminal().screen_length, 0u);
  EXPECT_FALSE(b->terminal().monitor);
  EXPECT_EQ(b->terminal().screen_length, 24u);
  a->execute("undo terminal monitor");
  a->execute("undo terminal logging");
  a->execute("screen-length 40");
  EXPECT_FALSE(a->terminal().monitor);
  EXPECT_FALSE(a->terminal().logging);
  EXPECT_EQ(a->terminal().screen_length, 40u);
}

TEST_F(GrammarTest, DebuggingSwitches) {
  auto s = session();
  EXPECT_TRUE(s->execute("debugging l2tp control").ok);
  EXPECT_TRUE(s->execute("debugging ppp all").ok);
  EXPECT_TRUE(LogBus::instance().enabled(DebugModule::l2tp, DebugClass::control));
  EXPECT_FALSE(LogBus::instance().enabled(DebugModule::l2tp, DebugClass::event));
  EXPECT_TRUE(LogBus::instance().enabled(DebugModule::ppp, DebugClass::payload));
  auto r = s->execute("display debugging");
  EXPECT_THAT(r.output, HasSubstr("L2TP control debugging switch is on"));
  s->execute("undo debugging ppp event");
  EXPECT_FALSE(LogBus::instance().enabled(DebugModule::ppp, DebugClass::event));
  s->execute("undo debugging all");
  EXPECT_FALSE(LogBus::instance().enabled(DebugModule::l2tp, DebugClass::control));
  EXPECT_THAT(s->execute("display debugging").output, HasSubstr("No debugging switch is on"));
}

TEST_F(GrammarTest, DisplayWorksInEveryView) {
  auto s = system_session();
  s->execute("radius scheme r1");
  auto r = s->execute("display l2tp session");
  EXPECT_TRUE(r.ok);
  EXPECT_THAT(r.output, HasSubstr("Total session = 0"));
  EXPECT_EQ(s->prompt(), "[VPDN-radius-r1]");
  r = s->execute("dis this");
  EXPECT_EQ(r.output, "#\nradius scheme r1\n#\nreturn");
}

TEST_F(GrammarTest, ResetCallsOperations) {
  auto s = session();
  EXPECT_TRUE(s->execute("reset l2tp tunnel id 5").ok);
  auto r = s->execute("reset l2tp tunnel id 6");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.output, "% Tunnel 6 does not exist.");
  EXPECT_TRUE(s->execute("reset l2tp tunnel name LAC").ok);
  EXPECT_TRUE(s->execute("reset l2tp session id 9").ok);
  EXPECT_EQ(ops.resets, (std::vector<std::string>{"tunnel id 5", "tunnel id 6", "tunnel name LAC",
                                                  "session id 9"}));
}

}  // namespace
}  // namespace vpdnd::cli::test
