#include "common/log.hpp"

#include <syslog.h>

#include <cstdio>
#include <ctime>

#include "common/printable.hpp"

namespace vpdnd {

std::string_view to_string(DebugModule m) {
  switch (m) {
    case DebugModule::l2tp:
      return "L2TP";
    case DebugModule::ppp:
      return "PPP";
    case DebugModule::pppoe:
      return "PPPOE";
    case DebugModule::aaa:
      return "AAA";
    case DebugModule::radius:
      return "RADIUS";
    case DebugModule::ike:
      return "IKE";
    case DebugModule::ipsec:
      return "IPsec";
    case DebugModule::count:
      break;
  }
  return "?";
}

std::string_view keyword(DebugModule m) {
  switch (m) {
    case DebugModule::l2tp:
      return "l2tp";
    case DebugModule::ppp:
      return "ppp";
    case DebugModule::pppoe:
      return "pppoe";
    case DebugModule::aaa:
      return "aaa";
    case DebugModule::radius:
      return "radius";
    case DebugModule::ike:
      return "ike";
    case DebugModule::ipsec:
      return "ipsec";
    case DebugModule::count:
      break;
  }
  return "?";
}

std::string_view to_string(DebugClass c) {
  switch (c) {
    case DebugClass::control:
      return "CONTROL";
    case DebugClass::error:
      return "ERROR";
    case DebugClass::event:
      return "EVENT";
    case DebugClass::hidden:
      return "HIDDEN";
    case DebugClass::payload:
      return "PAYLOAD";
    case DebugClass::count:
      break;
  }
  return "?";
}

std::string_view keyword(DebugClass c) {
  switch (c) {
    case DebugClass::control:
      return "control";
    case DebugClass::error:
      return "error";
    case DebugClass::event:
      return "event";
    case DebugClass::hidden:
      return "hidden";
    case DebugClass::payload:
      return "payload";
    case DebugClass::count:
      break;
  }
  return "?";
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
  switch (level) {
    case LogLevel::error:
      return "ERROR";
    case LogLevel::warning:
      return "WARNING";
    case LogLevel::notice:
      return "NOTICE";
    case LogLevel::info:
      return "INFO";
    case LogLevel::debug:
      return "DEBUG";
  }
  return "INFO";
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

void LogBus::publish(const LogRecord& r) {
  if (stderr_on_.load() && !r.is_debug) {
    std::string line = format(r);
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  if (syslog_on_.load()) {
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
