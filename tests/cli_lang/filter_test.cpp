// Comware V5 output filters after any `display ...`: `| include|exclude|begin REGEX`
// (ECMAScript, the rest of the line, may be quoted), their errors, `?` and Tab after the
// `|`, and that `|` after any other command is still an error.
#include "cli/cli.hpp"
#include "fixture.hpp"

namespace vpdnd::cli::test {
namespace {

const char* kConfig = R"(sysname LNS
l2tp enable
ip pool 1 192.168.0.10 192.168.0.200
domain corp.com
 authentication ppp local
 ip pool 2 10.1.0.1 10.1.0.9
l2tp-group 1
 tunnel name LNS
 allow l2tp virtual-template 1 remote LAC
)";

class FilterTest : public ShellTest {
 protected:
  void SetUp() override {
    ShellTest::SetUp();
    ASSERT_TRUE(load_text(kConfig).empty());
  }
};

// Each line on a user-view terminal and the whole output it prints.
TEST_F(FilterTest, FiltersKeepTheLinesTheyMatch) {
  struct Case {
    const char* line;
    const char* output;
  };
  const Case cases[] = {
      {"display current-configuration | include l2tp",
       " l2tp enable\nl2tp-group 1\n allow l2tp virtual-template 1 remote LAC"},
      // abbreviations, an alias, spaces inside the expression, regex syntax
      {"show cur | i ip pool [0-9]+ 10\\.", " ip pool 2 10.1.0.1 10.1.0.9"},
      {"dis cur | inc ^l2tp", "l2tp-group 1"},
      // A quoted expression keeps its spaces; blanks at the ends count only when quoted.
      {"display current-configuration | include \" ip pool\"",
       " ip pool 1 192.168.0.10 192.168.0.200\n ip pool 2 10.1.0.1 10.1.0.9"},
      {"display current-configuration | include \"l2tp \"",
       " l2tp enable\n allow l2tp virtual-template 1 remote LAC"},
      {"display current-configuration | include l2tp   ",
       " l2tp enable\nl2tp-group 1\n allow l2tp virtual-template 1 remote LAC"},
      {"display current-configuration | exclude ^[# ]",
       "domain system\ndomain corp.com\nl2tp-group 1\nuser-interface vty 0 4\nreturn"},
      {"display current-configuration | begin user-interface", "user-interface vty 0 4\n#\nreturn"},
      {"display current-configuration | begin nothing-matches-this", ""},
  };
  auto s = session();
  for (const auto& c : cases) {
    auto r = s->execute(c.line);
    EXPECT_TRUE(r.ok) << c.line << "\n" << r.output;
    EXPECT_EQ(r.output, c.output) << c.line;
  }
}

TEST_F(FilterTest, EveryDisplayCommandTakesAFilter) {
  auto s = session();
  auto r = s->execute("display version | include ^Uptime");
  EXPECT_TRUE(r.ok) << r.output;
  EXPECT_EQ(r.output.rfind("Uptime is ", 0), 0u) << r.output;
  EXPECT_EQ(r.output.find('\n'), std::string::npos);
  s->execute("system-view");
  s->execute("domain corp.com");
  r = s->execute("display this | exclude ^#|return");
  EXPECT_EQ(r.output, "domain corp.com\n ip pool 2 10.1.0.1 10.1.0.9");
  // A display that fails shows its error, unfiltered.
  r = s->execute("display domain nosuch | include x");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.output, "Error: Domain nosuch does not exist.");
}

TEST_F(FilterTest, Errors) {
  auto s = session();  // prompt "<LNS>", 5 columns
  // `|` after a command that is not `display`: as before.
  s->execute("system-view");
  auto r = s->execute("sysname X | include a");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.output,
            std::string(5 + 10, ' ') + "^\n % Too many parameters found at '^' position.");
  EXPECT_EQ(running().sysname, "LNS");
  s->execute("quit");
  r = s->execute("display current-configuration |");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.output, std::string(5 + 32, ' ') + "^\n % Incomplete command found at '^' position.");
  r = s->execute("display current-configuration | include");
  EXPECT_EQ(r.output, std::string(5 + 40, ' ') + "^\n % Incomplete command found at '^' position.");
  r = s->execute("display current-configuration | grep x");
  EXPECT_EQ(r.output,
            std::string(5 + 32, ' ') + "^\n % Unrecognized command found at '^' position.");
  r = s->execute("display current-configuratio x | include x");
  EXPECT_EQ(r.output,
            std::string(5 + 29, ' ') + "^\n % Too many parameters found at '^' position.");
  r = s->execute("display nothing | include x");
  EXPECT_EQ(r.output,
            std::string(5 + 8, ' ') + "^\n % Unrecognized command found at '^' position.");
  // A bad expression: caret under it and the reason; nothing escapes.
  r = s->execute("display current-configuration | include ab(c");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(
      r.output.rfind(std::string(5 + 40, ' ') + "^\n % Wrong parameter found at '^' position.\n"
                                                " % Invalid regular expression: ",
                     0),
      0u)
      << r.output;
  r = s->execute("display current-configuration | exclude [z-a]");
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.output, HasSubstr("% Invalid regular expression"));
  EXPECT_TRUE(s->execute("display version").ok);
}

TEST_F(FilterTest, FileSessionsReportColumns) {
  auto errors = load_text("display current-configuration | include (\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("% Wrong parameter found at '(' (column 41)."));
  EXPECT_THAT(errors[0], HasSubstr("Invalid regular expression"));
}

TEST_F(FilterTest, QuestionMarkAndTab) {
  auto s = session();
  std::string listing =
      "  begin         Begin with the line that matches\n"
      "  exclude       Match not the regular expression\n"
      "  include       Match the regular expression\n";
  EXPECT_EQ(s->help("display current-configuration | "), listing);
  EXPECT_EQ(s->help("display current-configuration |"), listing);
  EXPECT_EQ(s->help("dis cur | in"), "  include\n");
  EXPECT_EQ(s->help("dis cur | include "), "  TEXT          Regular expression\n");
  EXPECT_EQ(s->help("dis cur | include l2tp "), "  <cr>\n");
  EXPECT_THAT(s->help("dis cur | xy"), HasSubstr("% Unrecognized command"));
  EXPECT_THAT(s->help("dis nothing | "), HasSubstr("% Unrecognized command"));
  // The `|` is offered where a display command is complete, not elsewhere.
  EXPECT_THAT(s->help("display current-configuration "), HasSubstr("  |  "));
  EXPECT_THAT(s->help("display current-configuration "), HasSubstr("Matching output"));
  EXPECT_THAT(s->help("display l2tp "), ::testing::Not(HasSubstr("Matching output")));
  EXPECT_THAT(s->help("system-view "), ::testing::Not(HasSubstr("Matching output")));
  EXPECT_EQ(s->complete("dis cur | e"), std::vector<std::string>{"exclude"});
  EXPECT_EQ(s->complete("dis cur | "), (std::vector<std::string>{"begin", "exclude", "include"}));
  EXPECT_TRUE(s->complete("dis cur | include l2").empty());
}

}  // namespace
}  // namespace vpdnd::cli::test
