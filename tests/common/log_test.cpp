#include "common/log.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

// syslog(3) replaced for this test binary (the definition here wins over libc's at link
// time), so the tests can count what LogBus hands to it.
static int g_syslog_calls = 0;
extern "C" void syslog(int, const char*, ...) {
  ++g_syslog_calls;
}
extern "C" void __syslog_chk(int, int, const char*, ...) {
  ++g_syslog_calls;
}

namespace vpdnd {
namespace {

// With no syslog daemon's socket (/dev/log) records are not handed to syslog(3), which
// would open, connect and close a socket for each of them.
TEST(LogBus, NoSyslogCallsWithoutASyslogSocket) {
  if (::access("/dev/log", F_OK) == 0) GTEST_SKIP() << "this host has a /dev/log";
  auto& bus = LogBus::instance();
  bus.set_stderr(false);
  bus.set_syslog(true);
  const int before = g_syslog_calls;
  for (int i = 0; i < 100; ++i) bus.log(LogLevel::info, DebugModule::l2tp, "session down");
  bus.set_syslog(false);
  bus.set_stderr(true);
  EXPECT_EQ(g_syslog_calls - before, 0);
}

TEST(LogBus, DebugLinesOnlyWhenSwitchedOnAndInComwareFormat) {
  auto& bus = LogBus::instance();
  bus.set_stderr(false);
  bus.clear_all();
  bus.set_sysname("LAC");
  std::vector<std::string> lines;
  auto id = bus.subscribe([&](const LogRecord& r) { lines.push_back(bus.format(r)); });
  bus.debug(DebugModule::l2tp, DebugClass::control, "not shown");
  bus.set(DebugModule::l2tp, DebugClass::control, true);
  bus.debug(DebugModule::l2tp, DebugClass::control, "Tunnel 1 sent SCCRQ");
  bus.unsubscribe(id);
  bus.debug(DebugModule::l2tp, DebugClass::control, "after unsubscribe");
  ASSERT_EQ(lines.size(), 1u);
  // *Nov 24 03:33:12:123 2026 LAC L2TP/7/CONTROL: Tunnel 1 sent SCCRQ
  EXPECT_EQ(lines[0][0], '*');
  EXPECT_NE(lines[0].find(" LAC L2TP/7/CONTROL: Tunnel 1 sent SCCRQ"), std::string::npos)
      << lines[0];
  EXPECT_EQ(lines[0][16], ':');  // milliseconds follow the seconds
  bus.clear_all();
  EXPECT_FALSE(bus.any_enabled(DebugModule::l2tp));
  bus.set_sysname("VPDN");
}

TEST(LogBus, LogLinesNameTheirSeverity) {
  auto& bus = LogBus::instance();
  bus.set_stderr(false);
  std::vector<std::string> lines;
  auto id = bus.subscribe([&](const LogRecord& r) { lines.push_back(bus.format(r)); });
  bus.log(LogLevel::error, DebugModule::pppoe, "no such device");
  bus.log(LogLevel::info, DebugModule::l2tp, "listening");
  bus.unsubscribe(id);
  bus.set_stderr(true);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0][0], '%');
  EXPECT_NE(lines[0].find(" PPPOE/3/ERROR: no such device"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find(" L2TP/6/INFO: listening"), std::string::npos) << lines[1];
}

}  // namespace
}  // namespace vpdnd
