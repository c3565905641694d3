// The language itself: views and prompts, abbreviation, aliases, the five caret errors,
// `?` listings, Tab completion, the system-view fallback from sub-views.
#include "cli/cli.hpp"
#include "fixture.hpp"

namespace vpdnd::cli::test {
namespace {

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

// A rejected line: the caret under the offending token, the prompt counted, then the
// message; the model unchanged.
struct CaretCase {
  std::vector<std::string> view;  // run first, from user view
  std::string command;
  std::size_t caret_column;
  std::string error;
};

void PrintTo(const CaretCase& c, std::ostream* os) {
  *os << "'" << c.command << "'";
}

class CaretTest : public ShellTest, public ::testing::WithParamInterface<CaretCase> {};

TEST_P(CaretTest, UnderTheOffendingTokenThenTheMessage) {
  auto s = session_in(GetParam().view);
  auto before = running();
  auto r = s->execute(GetParam().command);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.output, std::string(GetParam().caret_column, ' ') + "^\n % " + GetParam().error +
                          " found at '^' position.");
  EXPECT_TRUE(running() == before);
}

const std::vector<std::string> kUserView = {};
const std::vector<std::string> kSystemView = {"system-view"};
const std::vector<std::string> kGroupView = {"system-view", "l2tp-group 1"};

// The prompts "<VPDN>" and "[VPDN]" are 6 wide, "[VPDN-l2tp1]" 12.
INSTANTIATE_TEST_SUITE_P(
    All, CaretTest,
    ::testing::Values(
        CaretCase{kUserView, "dis l2tp tunel", 6 + 9, "Unrecognized command"},
        CaretCase{kUserView, "frobnicate", 6, "Unrecognized command"},
        CaretCase{kSystemView, "l2tp-group", 6 + 11, "Incomplete command"},
        CaretCase{kUserView, "d l2tp tunnel", 6, "Ambiguous command"},
        CaretCase{kUserView, "display l2tp s", 6 + 13, "Ambiguous command"},
        CaretCase{kSystemView, "l2tp enable now", 6 + 12, "Too many parameters"},
        CaretCase{kSystemView, "l2tp-group 70000", 6 + 11, "Wrong parameter"},
        CaretCase{kGroupView, "start l2tp ip 10.0.0.300 domain x", 12 + 14, "Wrong parameter"},
        CaretCase{kGroupView, "tunnel name " + std::string(31, 'n'), 12 + 12, "Wrong parameter"}));

TEST_F(GrammarTest, QuestionMarkListsNextWords) {
  auto s = session();
  std::string h = s->help("display l2tp ");
  EXPECT_THAT(h, HasSubstrs({"  session ", "  statistics ", "  tunnel "}));
  EXPECT_THAT(h, Not(HasSubstr("<cr>")));
  EXPECT_THAT(s->help("display l2tp tunnel "), HasSubstrs({"  statistics", "  verbose", "  <cr>"}));
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
  // Each view: a partial line and the words Tab offers for it.
  using Completions = std::vector<std::pair<std::string, std::vector<std::string>>>;
  const std::pair<std::vector<std::string>, Completions> kViews[] = {
      {{},
       {{"sys", {"system-view"}},
        {"dis l2tp t", {"tunnel"}},
        {"d", {"debugging", "display"}},
        {"xyz", {}}}},
      {{"system-view", "l2tp-group 1"},
       {{"tunnel p", {"password"}}, {"mand", {"mandatory-chap", "mandatory-lcp"}}}},
  };
  for (const auto& [view, completions] : kViews) {
    auto s = session_in(view);
    for (const auto& [line, words] : completions) EXPECT_EQ(s->complete(line), words) << line;
  }
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
  auto s = session_in({"debugging l2tp control", "debugging ppp all"});
  EXPECT_TRUE(LogBus::instance().enabled(DebugModule::l2tp, DebugClass::control));
  EXPECT_FALSE(LogBus::instance().enabled(DebugModule::l2tp, DebugClass::event));
  EXPECT_TRUE(LogBus::instance().enabled(DebugModule::ppp, DebugClass::payload));
  EXPECT_THAT(shown("display debugging"), HasSubstr("L2TP control debugging switch is on"));
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
