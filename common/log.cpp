#include "common/log.hpp"

#include <syslog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>

#include "common/enum_names.hpp"
#include "common/printable.hpp"

namespace vpdnd {

std::string_view to_string(DebugModule m) {
  static constexpr std::string_view kNames[] = {"L2TP",   "PPP", "PPPOE", "AAA",
                                                "RADIUS", "IKE", "IPsec"};
  return enum_name<DebugModule::l2tp, DebugModule::ipsec>(m, kNames);
}

std::string_view keyword(DebugModule m) {
  static constexpr std::string_view kNames[] = {"l2tp",   "ppp", "pppoe", "aaa",
                                                "radius", "ike", "ipsec"};
  return enum_name<DebugModule::l2tp, DebugModule::ipsec>(m, kNames);
}

std::string_view to_string(DebugClass c) {
  static constexpr std::string_view kNames[] = {"CONTROL", "ERROR", "EVENT", "HIDDEN", "PAYLOAD"};
  return enum_name<DebugClass::control, DebugClass::payload>(c, kNames);
}

std::string_view keyword(DebugClass c) {
  static constexpr std::string_view kNames[] = {"control", "error", "event", "hidden", "payload"};
  return enum_name<DebugClass::control, DebugClass::payload>(c, kNames);
}

LogBus& LogBus::instance() {
  static LogBus bus;
  return bus;
}

void LogBus::set_all(DebugModule m, bool on) {
  for (std::size_t c = 0; c < static_cast<std::size_t>(DebugClass::count); ++c)
    set(m, static_cast<DebugClass>(c), on);
}

void LogBus::clear_all() {
  for (auto& s : switches_) s.store(false, std::memory_order_relaxed);
}

bool LogBus::any_enabled(DebugModule m) const {
  for (std::size_t c = 0; c < static_cast<std::size_t>(DebugClass::count); ++c)
    if (enabled(m, static_cast<DebugClass>(c))) return true;
  return false;
}

void LogBus::debug(DebugModule m, DebugClass c, std::string text) {
  if (!enabled(m, c)) return;
  // Peer data is escaped where each line is built; this catches a field that was not, so
  // no line can carry a terminal control sequence. Debug lines may span lines (an AVP per
  // line); log lines are one line each.
  LogRecord r{std::chrono::system_clock::now(),    LogLevel::debug, m, c, true,
              terminal_safe(std::move(text), true)};
  publish(r);
}

void LogBus::log(LogLevel level, DebugModule m, std::string text) {
  LogRecord r{std::chrono::system_clock::now(),     level, m, DebugClass::event, false,
              terminal_safe(std::move(text), false)};
  publish(r);
}

LogBus::SinkId LogBus::subscribe(Sink sink) {
  std::lock_guard lock(mutex_);
  SinkId id = next_sink_++;
  sinks_.emplace_back(id, std::move(sink));
  return id;
}

void LogBus::unsubscribe(SinkId id) {
  std::lock_guard lock(mutex_);
  std::erase_if(sinks_, [id](const auto& s) { return s.first == id; });
}

void LogBus::set_sysname(std::string name) {
  std::lock_guard lock(mutex_);
  sysname_ = std::move(name);
}

std::string LogBus::sysname() const {
  std::lock_guard lock(mutex_);
  return sysname_;
}

namespace {
std::string_view level_mnemonic(LogLevel level) {
  static constexpr std::string_view kNames[] = {"ERROR", "WARNING", "NOTICE", "INFO", "DEBUG"};
  return enum_name<LogLevel::error, LogLevel::debug>(level, kNames, "INFO");
}
}  // namespace

std::string LogBus::format(const LogRecord& r) const {
  using namespace std::chrono;
  std::time_t t = system_clock::to_time_t(r.time);
  std::tm tm{};
  localtime_r(&t, &tm);
  char stamp[64];
  std::strftime(stamp, sizeof stamp, "%b %d %H:%M:%S", &tm);
  auto ms = duration_cast<milliseconds>(r.time.time_since_epoch()).count() % 1000;
  // Debug lines name their class; log lines name their severity, so an error reads as
  // `PPPOE/3/ERROR:` rather than `PPPOE/3/INFO:`.
  const std::string_view mnemonic = r.is_debug ? to_string(r.cls) : level_mnemonic(r.level);
  char head[160];
  std::snprintf(head, sizeof head, "%c%s:%03lld %d %s %.*s/%d/%.*s: ", r.is_debug ? '*' : '%',
                stamp, static_cast<long long>(ms), tm.tm_year + 1900, sysname().c_str(),
                static_cast<int>(to_string(r.module).size()), to_string(r.module).data(),
                static_cast<int>(r.level), static_cast<int>(mnemonic.size()), mnemonic.data());
  return head + r.text;
}

namespace {
// glibc's syslog() tries to connect to /dev/log on every call while it cannot (socket,
// connect, close per record): on a host without a syslog daemon that was a third of the
// CPU of ending 10,000 sessions at once. So records go to syslog only while /dev/log
// exists, checked at most every 10 s (a daemon started later is picked up).
bool syslog_socket_present() {
  static std::atomic<std::int64_t> next_check_ms{0};
  static std::atomic<bool> present{false};
  const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
  if (now >= next_check_ms.load(std::memory_order_relaxed)) {
    present.store(::access("/dev/log", F_OK) == 0, std::memory_order_relaxed);
    next_check_ms.store(now + 10000, std::memory_order_relaxed);
  }
  return present.load(std::memory_order_relaxed);
}
}  // namespace

void LogBus::publish(const LogRecord& r) {
  if (stderr_on_.load() && !r.is_debug) {
    std::string line = format(r);
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  if (syslog_on_.load() && syslog_socket_present()) {
    ::syslog(static_cast<int>(r.level) | LOG_DAEMON, "%.*s/%.*s: %s",
             static_cast<int>(to_string(r.module).size()), to_string(r.module).data(),
             static_cast<int>(to_string(r.cls).size()), to_string(r.cls).data(), r.text.c_str());
  }
  std::vector<Sink> sinks;
  {
    std::lock_guard lock(mutex_);
    sinks.reserve(sinks_.size());
    for (auto& s : sinks_) sinks.push_back(s.second);
  }
  for (auto& s : sinks) s(r);
}

}  // namespace vpdnd
