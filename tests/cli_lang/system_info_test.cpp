// `display clock`, `clock datetime`, `display users [all]`, `display history-command`.
#include <algorithm>
#include <regex>

#include "cli/front/lines.hpp"
#include "tests/cli_lang/fixture.hpp"

namespace vpdnd::cli::test {
namespace {

TEST_F(ShellTest, DisplayClockIsComwareLayout) {
  auto s = session();
  auto r = s->execute("display clock");
  ASSERT_TRUE(r.ok) << r.output;
  EXPECT_TRUE(std::regex_match(
      r.output,
      std::regex(R"(\d\d:\d\d:\d\d\.\d{3} \S+ (Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d\d/\d\d/\d{4})")))
      << r.output;
  auto help = s->help("display ");
  for (auto word : {"clock", "users", "history-command"})
    EXPECT_NE(help.find("  " + std::string(word) + " "), std::string::npos) << help;
  EXPECT_NE(s->help("display users ").find("  all "), std::string::npos);
  EXPECT_EQ(s->complete("display hi"), std::vector<std::string>{"history-command"});
  EXPECT_EQ(s->complete("display us"), std::vector<std::string>{"users"});
  // Every view has it, abbreviated too.
  auto sys = system_session();
  EXPECT_TRUE(sys->execute("dis clo").ok);
}

TEST_F(ShellTest, ClockDatetimeIsRefusedAndNeverSetsTheHostClock) {
  auto s = session();
  auto before = std::chrono::system_clock::now();
  auto r = s->execute("clock datetime 14:10:20 2011/08/01");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.output.find("does not set the system clock"), std::string::npos) << r.output;
  EXPECT_GE(std::chrono::system_clock::now(), before);
  // Both date orders and short times parse; bad ones are wrong parameters.
  EXPECT_NE(s->execute("clock datetime 0 8/1/2011").output.find("does not set"), std::string::npos);
  EXPECT_NE(s->execute("clock datetime 0:6 2011/1/1").output.find("does not set"),
            std::string::npos);
  EXPECT_NE(s->execute("clock datetime 24:00:00 2011/1/1").output.find("Wrong parameter"),
            std::string::npos);
  EXPECT_NE(s->execute("clock datetime 10:00:00 2011/2/29").output.find("Wrong parameter"),
            std::string::npos);
  EXPECT_NE(s->execute("clock datetime 10:00:00 2036/1/1").output.find("Wrong parameter"),
            std::string::npos);
  EXPECT_NE(s->execute("clock datetime 10:00:00").output.find("Incomplete"), std::string::npos);
  // User view only.
  auto sys = system_session();
  EXPECT_FALSE(sys->execute("clock datetime 10:00:00 2011/1/1").ok);
  EXPECT_NE(s->help("clock datetime ").find("HH:MM:SS"), std::string::npos);
  EXPECT_EQ(s->complete("clock da"), std::vector<std::string>{"datetime"});
}

TEST_F(ShellTest, DisplayUsersListsTheLinesAndMarksThisOne) {
  auto console = session();
  auto telnet = session(SessionOrigin::telnet);
  auto now = std::chrono::steady_clock::now();
  engine.call([&] {
    process_lines().open(true, "", "", console.get(), std::chrono::system_clock::now(), now);
    process_lines().open(false, "admin", "192.0.2.7", telnet.get(),
                         std::chrono::system_clock::now(), now - std::chrono::seconds(3725));
  });
  // The telnet user sees its own line marked, idle 0 (typing the command was input).
  auto r = telnet->execute("display users");
  ASSERT_TRUE(r.ok) << r.output;
  EXPECT_NE(r.output.find("  Idx  Line    Idle       Time              Type\n"), std::string::npos)
      << r.output;
  EXPECT_TRUE(std::regex_search(r.output, std::regex(R"(\n  0    CON 0   00:00:0\d   )")))
      << r.output;
  EXPECT_TRUE(std::regex_search(r.output, std::regex(R"(\n\+ 1    VTY 0   00:00:0\d   .* TEL\n)")))
      << r.output;
  EXPECT_NE(r.output.find("VTY 0   :\n        Location: 192.0.2.7\n        User name: admin\n"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find(" +    : Current operation user."), std::string::npos);
  // The console sees the telnet line idle since its last input, and its own line marked.
  engine.call([&] { process_lines().touch(telnet.get(), now - std::chrono::seconds(3725)); });
  r = console->execute("display users");
  EXPECT_TRUE(std::regex_search(r.output, std::regex(R"(\n\+ 0    CON 0 )"))) << r.output;
  EXPECT_TRUE(std::regex_search(r.output, std::regex(R"(\n  1    VTY 0   01:02:0\d   .* TEL\n)")))
      << r.output;
  // Any line entered there, a wrong one too, ends that idle time.
  telnet->execute("nonsense");
  r = console->execute("display users");
  EXPECT_TRUE(std::regex_search(r.output, std::regex(R"(\n  1    VTY 0   00:00:0\d)"))) << r.output;
  // `all` lists the free lines too.
  r = console->execute("display users all");
  EXPECT_NE(r.output.find("\n  64   VTY 63\n"), std::string::npos) << r.output;
  engine.call([&] {
    process_lines().close(console.get());
    process_lines().close(telnet.get());
  });
  r = console->execute("display users");
  EXPECT_EQ(r.output.find("CON 0"), std::string::npos) << r.output;
}

TEST(LineTable, TakesTheLowestFreeVtyAndRefusesWhenFull) {
  LineTable t;
  auto now = std::chrono::steady_clock::now();
  auto sys = std::chrono::system_clock::now();
  std::vector<int> owners(LineTable::kVtyLines + 1);
  for (std::uint32_t i = 0; i < LineTable::kVtyLines; ++i)
    EXPECT_EQ(t.open(false, "", "", reinterpret_cast<const CommandSession*>(&owners[i]), sys, now),
              i);
  EXPECT_FALSE(
      t.open(false, "", "", reinterpret_cast<const CommandSession*>(&owners.back()), sys, now));
  t.close(reinterpret_cast<const CommandSession*>(&owners[5]));
  EXPECT_EQ(
      t.open(false, "", "", reinterpret_cast<const CommandSession*>(&owners.back()), sys, now), 5u);
  EXPECT_EQ(t.open(true, "", "", nullptr, sys, now), 0u);
  EXPECT_TRUE(t.lines().front().console);
}

TEST_F(ShellTest, DisplayHistoryCommandShowsTheLastTenAsTyped) {
  auto s = session();
  s->execute("dis  clock");
  s->execute("dis  clock");  // a repeat is kept once
  s->execute("nonsense");    // did not parse
  auto r = s->execute("display history-command");
  EXPECT_EQ(r.output, "  dis  clock\n  display history-command");
  for (int i = 0; i < 12; ++i) s->execute("screen-length " + std::to_string(i));
  r = s->execute("display history-command");
  EXPECT_EQ(r.output.find("screen-length 2\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("  screen-length 3\n"), std::string::npos) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 9) << r.output;
  // A secret typed in a command is not kept.
  auto sys = system_session();
  ASSERT_TRUE(sys->execute("local-user bob").ok);
  ASSERT_TRUE(sys->execute("pass sim  Top-s3cret").ok);
  r = sys->execute("display history-command");
  EXPECT_EQ(r.output.find("Top-s3cret"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("  pass sim  ******\n"), std::string::npos) << r.output;
  // Another terminal has its own history.
  auto other = session();
  EXPECT_EQ(other->execute("display history-command").output, "  display history-command");
}

}  // namespace
}  // namespace vpdnd::cli::test
