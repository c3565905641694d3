// `display stop-accounting-buffer ...` and `reset stop-accounting-buffer ...`: selectors,
// output, `?` and Tab, and the scheme-view settings in `display radius scheme`.
#include <time.h>

#include <ctime>

#include "fixture.hpp"

namespace vpdnd::cli::test {
namespace {

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

// Seconds since the epoch of a local wall-clock time written "YYYY-MM-DD HH:MM:SS".
std::int64_t local_time(const char* text) {
  std::tm tm{};
  EXPECT_NE(::strptime(text, "%Y-%m-%d %H:%M:%S", &tm), nullptr) << text;
  tm.tm_isdst = -1;
  return std::mktime(&tm);
}

class StopBufferCli : public ShellTestOf<BufferOperations> {
 protected:
  void SetUp() override {
    ShellTestOf::SetUp();
    ops.stops = {
        {"r1", "AAAA000000000001", "alice@corp.com", local_time("2026-12-07 01:00:00"), 3},
        {"r1", "AAAA000000000002", "bob\x1b[2J", local_time("2026-12-07 02:00:00"), 1},
        {"r2", "AAAA000000000003", "carol", local_time("2026-12-08 00:00:00"), 500},
    };
  }
};

TEST_F(StopBufferCli, DisplayBySchemeUserSessionAndTimeRange) {
  auto out = shown("display stop-accounting-buffer radius-scheme r1");
  EXPECT_THAT(out, HasSubstrs({"AAAA000000000001", "alice@corp.com", "01:00:00-12/07/2026",
                               " Total 2 record(s) matched.",
                               "Buffer: 3 of 10000 entries; buffered 7, delivered 2, dropped 1"}));
  EXPECT_THAT(out, Not(HasSubstr("carol")));
  // A user name from a PPP peer never reaches the terminal as a control sequence.
  EXPECT_THAT(out, Not(HasSubstr("\x1b")));
  EXPECT_THAT(out, HasSubstr("bob\\x1b[2J"));

  // Each selector with the count of the records it matches and what they show.
  const std::pair<const char*, std::vector<std::string>> kSelectors[] = {
      {"user-name carol", {" Total 1 record(s) matched.", "500"}},
      {"session-id AAAA000000000002", {" Total 1 record(s) matched.", "AAAA000000000002"}},
      {"time-range 00:30:00-12/07/2026 01:30:00-2026/12/07",
       {" Total 1 record(s) matched.", "alice@corp.com"}},
      {"user-name nobody", {" Total 0 record(s) matched."}},
  };
  for (const auto& [selector, shows] : kSelectors)
    EXPECT_THAT(shown("display stop-accounting-buffer " + std::string(selector)), HasSubstrs(shows))
        << selector;
  refused("display stop-accounting-buffer time-range 25:00:00-12/07/2026 01:30:00-12/07/2026");
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
  EXPECT_THAT(s->help("display stop-accounting-buffer "),
              HasSubstrs({"radius-scheme", "session-id", "time-range", "user-name"}));
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
