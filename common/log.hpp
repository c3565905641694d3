// DOC: the log bus. Engines emit two kinds of lines:
//  - debug lines (`debugging l2tp control` ...): module + class + text, delivered only when
//    that switch is on, to subscribers (terminals with `terminal monitor` + `terminal
//    debugging`) in Comware format
//    `*Nov 24 03:33:12:123 2026 VPDN L2TP/7/CONTROL: text`, and to syslog;
//  - operational log lines (key=value, `log_info("event=... tunnel_id=...")`) to stderr
//    and syslog, and to monitoring terminals as informational messages.
// Text from a peer goes into a line through printable() (common/printable.hpp); the bus
// also passes every line through terminal_safe(), so no control byte reaches a terminal or
// syslog (a log line stays one line; a debug line keeps its '\n').
// Emission happens on the protocol thread; switches are atomics so the check is cheap and
// a CLI thread may read them for `display debugging`. Subscribers are called on the
// emitting thread and must only queue the line (see cli's per-session queue).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace vpdnd {

enum class DebugModule : std::uint8_t { l2tp, ppp, pppoe, aaa, radius, ike, ipsec, count };
enum class DebugClass : std::uint8_t { control, error, event, hidden, payload, count };

std::string_view to_string(DebugModule m);  // "L2TP", "PPP", ...
std::string_view to_string(DebugClass c);   // "CONTROL", "ERROR", ...
std::string_view keyword(DebugModule m);    // "l2tp", "ppp", ...
std::string_view keyword(DebugClass c);     // "control", ...

enum class LogLevel : std::uint8_t { error = 3, warning = 4, notice = 5, info = 6, debug = 7 };

struct LogRecord {
  std::chrono::system_clock::time_point time;
  LogLevel level = LogLevel::debug;
  DebugModule module = DebugModule::l2tp;
  DebugClass cls = DebugClass::event;  // meaningful for debug lines
  bool is_debug = true;
  std::string text;
};

class LogBus {
 public:
  using Sink = std::function<void(const LogRecord&)>;
  using SinkId = std::uint64_t;

  static LogBus& instance();

  bool enabled(DebugModule m, DebugClass c) const {
    return switches_[index(m, c)].load(std::memory_order_relaxed);
  }
  void set(DebugModule m, DebugClass c, bool on) {
    switches_[index(m, c)].store(on, std::memory_order_relaxed);
  }
  void set_all(DebugModule m, bool on);
  void clear_all();
  bool any_enabled(DebugModule m) const;

  void debug(DebugModule m, DebugClass c, std::string text);  // no-op when switched off
  void log(LogLevel level, DebugModule m, std::string text);

  SinkId subscribe(Sink sink);
  void unsubscribe(SinkId id);

  void set_sysname(std::string name);
  std::string sysname() const;
  void set_stderr(bool on) { stderr_on_.store(on); }
  void set_syslog(bool on) { syslog_on_.store(on); }

  // `*Nov 24 03:33:12:123 2026 VPDN L2TP/7/CONTROL: text` (debug) or
  // `%Nov 24 03:33:12:123 2026 VPDN L2TP/6/INFO: text` (log).
  std::string format(const LogRecord& r) const;

 private:
  static std::size_t index(DebugModule m, DebugClass c) {
    return static_cast<std::size_t>(m) * static_cast<std::size_t>(DebugClass::count) +
           static_cast<std::size_t>(c);
  }
  void publish(const LogRecord& r);

  std::array<std::atomic<bool>, static_cast<std::size_t>(DebugModule::count) *
                                    static_cast<std::size_t>(DebugClass::count)>
      switches_{};
  mutable std::mutex mutex_;  // guards sinks_ and sysname_, never held while protocol runs
  std::vector<std::pair<SinkId, Sink>> sinks_;
  SinkId next_sink_ = 1;
  std::string sysname_ = "VPDN";
  std::atomic<bool> stderr_on_{true};
  std::atomic<bool> syslog_on_{false};
};

// Shorthands. The text is built only if the switch is on: pass a lambda for costly text.
inline bool debug_on(DebugModule m, DebugClass c) {
  return LogBus::instance().enabled(m, c);
}
template <class MakeText>
inline void debug_lazy(DebugModule m, DebugClass c, MakeText&& make) {
  if (debug_on(m, c)) LogBus::instance().debug(m, c, make());
}
inline void log_info(DebugModule m, std::string text) {
  LogBus::instance().log(LogLevel::info, m, std::move(text));
}
inline void log_warning(DebugModule m, std::string text) {
  LogBus::instance().log(LogLevel::warning, m, std::move(text));
}
inline void log_error(DebugModule m, std::string text) {
  LogBus::instance().log(LogLevel::error, m, std::move(text));
}

}  // namespace vpdnd
