// DOC: the log buffer (`display logbuffer`): the last `capacity` log lines at `level` or more
// severe, formatted as LogBus::format() writes them (Comware
// `%Nov 24 03:33:12:123 2026 VPDN L2TP/6/INFO: text`). It is a LogBus subscriber that
// exists from program start, so it holds the daemon's first lines too.
// Bounded: at most kMaxCapacity lines (a line is one log record; log records are short,
// escaped and, like every log line, carry no secret). Thread-safe: the bus calls it on
// whichever thread logs (engine, terminals); its own mutex is held only to append or copy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "common/log.hpp"

namespace vpdnd {

class LogBuffer {
 public:
  static constexpr std::size_t kMaxCapacity = 1024;
  struct Settings {
    bool enabled = true;         // `info-center enable` and `info-center logbuffer` both on
    std::size_t capacity = 512;  // `info-center logbuffer size N`
    int level = 6;  // records of this severity (0..7) or more severe; debug lines are 7
    bool operator==(const Settings&) const = default;
  };
  struct Snapshot {
    Settings settings;
    std::uint64_t overwritten = 0;   // oldest lines pushed out by newer ones or a shrink
    std::vector<std::string> lines;  // oldest first
  };

  static LogBuffer& instance();  // subscribed to LogBus::instance()

  // Shrinking drops the oldest lines (counted as overwritten).
  void configure(const Settings& s);
  Settings settings() const;
  // Keeps the record's formatted line if enabled and severe enough.
  void offer(const LogRecord& r);
  Snapshot snapshot() const;
  void clear();  // `reset logbuffer`: lines and counter

 private:
  mutable std::mutex mutex_;
  Settings settings_;
  std::vector<std::string> ring_;  // size() <= capacity; head_ is the oldest once full
  std::size_t head_ = 0;
  std::uint64_t overwritten_ = 0;
};

}  // namespace vpdnd
