// `?` and Tab in a sub-view offer what the view accepts: its own commands and the
// system-view commands execute() falls back to (Comware runs them and leaves the view).
#include "fixture.hpp"

namespace vpdnd::cli::test {
namespace {

using ::testing::Contains;

TEST_F(ShellTest, SubViewHelpListsTheSystemCommandsItRuns) {
  auto s = system_session();
  ASSERT_TRUE(s->execute("l2tp-group 1").ok);
  // First word: the view's own keywords and the system view's.
  auto first = s->complete("");
  EXPECT_THAT(first, Contains("tunnel"));
  EXPECT_THAT(first, Contains("l2tp"));
  EXPECT_THAT(first, Contains("radius"));
  EXPECT_THAT(s->help(""), HasSubstr("  l2tp "));
  EXPECT_THAT(s->help(""), HasSubstr("  start "));
  // `l2tp ?` lists what `l2tp ...` can run here.
  EXPECT_THAT(s->help("l2tp "), HasSubstr("match-order"));
  EXPECT_EQ(s->complete("l2tp match-order dnis-"),
            (std::vector<std::string>{"dnis-domain", "dnis-only"}));
  // `undo ?` offers both views' undo forms.
  EXPECT_THAT(s->help("undo "), HasSubstr("tunnel"));
  EXPECT_THAT(s->help("undo "), HasSubstr("l2tp"));
  EXPECT_THAT(s->complete("undo l2"), Contains("l2tp"));
  EXPECT_THAT(s->complete("undo l2"), Contains("l2tp-group"));
  // Execution agrees: the system command runs and leaves the view.
  auto r = s->execute("l2tp match-order domain-dnis");
  ASSERT_TRUE(r.ok) << r.output;
  EXPECT_EQ(s->prompt(), "[VPDN]");
  EXPECT_EQ(running().l2tp.match_order, config::MatchOrder::domain_dnis);
}

TEST_F(ShellTest, SystemViewHelpHasNoSubViewCommands) {
  auto s = system_session();
  EXPECT_THAT(s->complete(""), Not(Contains("tunnel")));
  EXPECT_THAT(s->complete(""), Not(Contains("start")));
}

}  // namespace
}  // namespace vpdnd::cli::test
