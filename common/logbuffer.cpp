#include "common/logbuffer.hpp"

#include <algorithm>

namespace vpdnd {

LogBuffer& LogBuffer::instance() {
  static LogBuffer* buffer = [] {
    auto* b = new LogBuffer;  // never destroyed: the bus may log during static destruction
    LogBus::instance().subscribe([b](const LogRecord& r) { b->offer(r); });
    return b;
  }();
  return *buffer;
}

namespace {
// Subscribed at program start, not at the first `display logbuffer`.
[[maybe_unused]] const LogBuffer& kStartup = LogBuffer::instance();
}  // namespace

void LogBuffer::configure(const Settings& s) {
  std::lock_guard lock(mutex_);
  Settings next = s;
  next.capacity = std::min(next.capacity, kMaxCapacity);
  std::vector<std::string> lines;  // oldest first, then keep the newest `capacity`
  lines.reserve(ring_.size());
  for (std::size_t i = 0; i < ring_.size(); ++i)
    lines.push_back(std::move(ring_[(head_ + i) % ring_.size()]));
  if (lines.size() > next.capacity) {
    const std::size_t drop = lines.size() - next.capacity;
    overwritten_ += drop;
    lines.erase(lines.begin(), lines.begin() + static_cast<std::ptrdiff_t>(drop));
  }
  ring_ = std::move(lines);
  head_ = 0;
  settings_ = next;
}

LogBuffer::Settings LogBuffer::settings() const {
  std::lock_guard lock(mutex_);
  return settings_;
}

void LogBuffer::offer(const LogRecord& r) {
  {
    std::lock_guard lock(mutex_);
    if (!settings_.enabled || settings_.capacity == 0 ||
        static_cast<int>(r.level) > settings_.level)
      return;
  }
  // Formatted outside our lock (format() takes the bus's own lock for the sysname).
  std::string line = LogBus::instance().format(r);
  std::lock_guard lock(mutex_);
  if (!settings_.enabled || settings_.capacity == 0) return;
  if (ring_.size() < settings_.capacity) {
    ring_.push_back(std::move(line));
    return;
  }
  ring_[head_] = std::move(line);
  head_ = (head_ + 1) % ring_.size();
  ++overwritten_;
}

LogBuffer::Snapshot LogBuffer::snapshot() const {
  std::lock_guard lock(mutex_);
  Snapshot s;
  s.settings = settings_;
  s.overwritten = overwritten_;
  s.lines.reserve(ring_.size());
  for (std::size_t i = 0; i < ring_.size(); ++i)
    s.lines.push_back(ring_[(head_ + i) % ring_.size()]);
  return s;
}

void LogBuffer::clear() {
  std::lock_guard lock(mutex_);
  ring_.clear();
  head_ = 0;
  overwritten_ = 0;
}

}  // namespace vpdnd
