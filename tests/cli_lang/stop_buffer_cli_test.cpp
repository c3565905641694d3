// `display stop-accounting-buffer ...` and `reset stop-accounting-buffer ...`: selectors,
// output, `?` and Tab, and the scheme-view settings in `display radius scheme`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ctime>

#include "fixture.hpp"

namespace vpdnd::cli::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class BufferOperations : public FakeOperations {
 public:
  std::vector<aaa::BufferedStop> stops;
  std::vector<StopBufferFilter> resets_done;
  std::vector<aaa::BufferedStop> stop_accounting_buffer() const override { return stops; }
  aaa::StopBufferStatistics stop_buffer_statistics() const override {
    aaa::StopBufferStatistics s;
    s.entries = stops.size();
    s.capacity = 10000;
    s.buffered = 7;
    s.answered = 2;
    s.dropped_full = 1;
    return s;
  }
  std::size_t reset_stop_accounting_buffer(const StopBufferFilter& f) override {
    resets_done.push_back(f);
    return std::erase_if(stops, [&](const aaa::BufferedStop& b) { return f.matches(b); });
  }
};

std::int64_t local_time(int year, int month, int day, int h, int m, int s) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = h;
  tm.tm_min = m;
  tm.tm_sec = s;
  tm.tm_isdst = -1;
  return std::mktime(&tm);
}

class StopBufferCli : public ::testing::Test {
 protected:
  void SetUp() override {
    engine.start();
    ops.stops = {
        {"r1", "AAAA000000000001", "alice@corp.com", local_time(2026, 12, 7, 1, 0, 0), 3},
        {"r1", "AAAA000000000002", "bob\x1b[2J", local_time(2026, 12, 7, 2, 0, 0), 1},
        {"r2", "AAAA000000000003", "carol", local_time(2026, 12, 8, 0, 0, 0), 500},
    };
  }
  void TearDown() override { engine.stop(); }
  std::unique_ptr<CommandSession> session() {
    return make_command_session(context, SessionOrigin::console);
  }

  Engine engine;
  config::ConfigStore store;
  BufferOperations ops;
  ShellContext context{engine, store, ops, ""};
};

TEST_F(StopBufferCli, DisplayBySchemeUserSessionAndTimeRange) {
  auto s = session();
  auto r = s->execute("display stop-accounting-buffer radius-scheme r1");
  ASSERT_TRUE(r.ok) << r.output;
  EXPECT_THAT(r.output, HasSubstr("AAAA000000000001"));
  EXPECT_THAT(r.output, HasSubstr("alice@corp.com"));
  EXPECT_THAT(r.output, HasSubstr("01:00:00-12/07/2026"));
  EXPECT_THAT(r.output, Not(HasSubstr("carol")));
  EXPECT_THAT(r.output, HasSubstr(" Total 2 record(s) matched."));
  EXPECT_THAT(r.output,
              HasSubstr("Buffer: 3 of 10000 entries; buffered 7, delivered 2, dropped 1"));
  // A user name from a PPP peer never reaches the terminal as a control sequence.
  EXPECT_THAT(r.output, Not(HasSubstr("\x1b")));
  EXPECT_THAT(r.output, HasSubstr("bob\\x1b[2J"));

  r = s->execute("display stop-accounting-buffer user-name carol");
  EXPECT_THAT(r.output, HasSubstr(" Total 1 record(s) matched."));
  EXPECT_THAT(r.output, HasSubstr("500"));
  r = s->execute("display stop-accounting-buffer session-id AAAA000000000002");
  EXPECT_THAT(r.output, HasSubstr(" Total 1 record(s) matched."));
  r = s->execute(
      "display stop-accounting-buffer time-range 00:30:00-12/07/2026 01:30:00-2026/12/07");
  ASSERT_TRUE(r.ok) << r.output;
  EXPECT_THAT(r.output, HasSubstr("alice@corp.com"));
  EXPECT_THAT(r.output, HasSubstr(" Total 1 record(s) matched."));
  r = s->execute("display stop-accounting-buffer user-name nobody");
  EXPECT_THAT(r.output, HasSubstr(" Total 0 record(s) matched."));
  r = s->execute(
      "display stop-accounting-buffer time-range 25:00:00-12/07/2026 01:30:00-12/07/2026");
  EXPECT_FALSE(r.ok);
}

TEST_F(StopBufferCli, ResetInUserViewRemovesTheMatchingStops) {
  auto s = session();
  auto r = s->execute("reset stop-accounting-buffer radius-scheme r1");
  ASSERT_TRUE(r.ok) << r.output;
  ASSERT_EQ(ops.stops.size(), 1u);
  EXPECT_EQ(ops.stops[0].user, "carol");
  r = s->execute("reset stop-accounting-buffer user-name nobody");
  EXPECT_THAT(r.output, HasSubstr("No buffered Stop matched"));
  r = s->execute("reset stop-accounting-buffer session-id AAAA000000000003");
  EXPECT_TRUE(ops.stops.empty());
  // Not a system-view command.
  s->execute("system-view");
  r = s->execute("reset stop-accounting-buffer user-name carol");
  EXPECT_FALSE(r.ok);
}

TEST_F(StopBufferCli, HelpAndCompletion) {
  auto s = session();
  std::string h = s->help("display stop-accounting-buffer ");
  EXPECT_THAT(h, HasSubstr("radius-scheme"));
  EXPECT_THAT(h, HasSubstr("session-id"));
  EXPECT_THAT(h, HasSubstr("time-range"));
  EXPECT_THAT(h, HasSubstr("user-name"));
  EXPECT_THAT(s->help("reset "), HasSubstr("stop-accounting-buffer"));
  auto c = s->complete("display stop-acc");
  ASSERT_FALSE(c.empty());
  EXPECT_THAT(c[0], HasSubstr("stop-accounting-buffer"));
  s->execute("system-view");
  s->execute("radius scheme r1");
  EXPECT_THAT(s->help("retry "), HasSubstr("stop-accounting"));
  EXPECT_THAT(s->help("stop-accounting-buffer "), HasSubstr("enable"));
}

TEST_F(StopBufferCli, SchemeSettingsShowInDisplayRadiusScheme) {
  auto s = session();
  s->execute("system-view");
  s->execute("radius scheme r1");
  ASSERT_TRUE(s->execute("undo stop-accounting-buffer enable").ok);
  ASSERT_TRUE(s->execute("retry stop-accounting 42").ok);
  auto r = s->execute("display radius scheme r1");
  EXPECT_THAT(r.output, HasSubstr("Stop-Accounting Buffer   : Disabled"));
  EXPECT_THAT(r.output, HasSubstr("Retry Stop-Accounting    : 42 time(s)"));
  auto c = engine.call([&] { return store.running().radius_schemes.at("r1"); });
  EXPECT_FALSE(c.stop_accounting_buffer);
  EXPECT_EQ(c.retry_stop_accounting, 42u);
}

}  // namespace
}  // namespace vpdnd::cli::test
