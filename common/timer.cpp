#include "common/timer.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace vpdnd {

void TimerSlot::arm(Duration after, std::function<void()> fire) {
  cancel();
  id_ = timers_->schedule(after, [this, fire = std::move(fire)] {
    id_ = TimerService::kNoTimer;
    fire();
  });
}

void TimerSlot::cancel() {
  if (id_ != TimerService::kNoTimer) timers_->cancel(id_);
  id_ = TimerService::kNoTimer;
}

// Id: generation << 32 | (slot index + 1), so never 0, and an id comes back only after
// its slot has been re-armed 2^32 times.
TimerQueue::Slot* TimerQueue::live_slot(TimerService::Id id) {
  const std::uint64_t low = id & 0xffffffffu;
  if (low == 0 || low > slots_.size()) return nullptr;
  Slot& s = slots_[low - 1];
  if (!s.armed || s.generation != static_cast<std::uint32_t>(id >> 32)) return nullptr;
  return &s;
}

void TimerQueue::release(std::uint32_t index) {
  Slot& s = slots_[index];
  s.armed = false;
  s.fire = nullptr;
  free_.push_back(index);
  --live_;
}

TimerService::Id TimerQueue::add(TimePoint when, std::function<void()> fire) {
  std::uint32_t index;
  if (free_.empty()) {
    index = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  } else {
    index = free_.back();
    free_.pop_back();
  }
  Slot& s = slots_[index];
  ++s.generation;
  s.armed = true;
  s.when = when;
  s.fire = std::move(fire);
  ++live_;
  const TimerService::Id id = std::uint64_t{s.generation} << 32 | (std::uint64_t{index} + 1);
  Bucket& b = buckets_[when];
  b.ids.push_back(id);
  ++b.live;
  return id;
}

bool TimerQueue::remove(TimerService::Id id) {
  Slot* s = live_slot(id);
  if (!s) return false;
  auto b = buckets_.find(s->when);
  release(static_cast<std::uint32_t>((id & 0xffffffffu) - 1));
  if (--b->second.live == 0) {
    stale_ -= b->second.ids.size() - b->second.head - 1;
    buckets_.erase(b);
  } else {
    ++stale_;
    if (stale_ > 64 && stale_ > live_) compact();
  }
  return true;
}

void TimerQueue::compact() {
  for (auto& [when, b] : buckets_) {
    std::erase_if(b.ids, [this](TimerService::Id id) { return !live_slot(id); });
    b.head = 0;  // every fired id was live once, and is not now
  }
  stale_ = 0;
}

std::function<void()> TimerQueue::pop_due(TimePoint now, TimePoint* deadline) {
  if (buckets_.empty()) return {};
  auto b = buckets_.begin();
  if (b->first > now) return {};
  Bucket& bucket = b->second;
  // The bucket holds a live id (else it would have been erased): skip the stale ones.
  for (;;) {
    const TimerService::Id id = bucket.ids[bucket.head++];
    Slot* s = live_slot(id);
    if (!s) {
      --stale_;
      continue;
    }
    auto fire = std::move(s->fire);
    release(static_cast<std::uint32_t>((id & 0xffffffffu) - 1));
    if (deadline) *deadline = b->first;
    if (--bucket.live == 0) {
      stale_ -= bucket.ids.size() - bucket.head;
      buckets_.erase(b);
    }
    return fire;
  }
}

TimerService::Id ManualTimerService::schedule(Duration after, std::function<void()> fire) {
  return queue_.add(now_ + (after < Duration::zero() ? Duration::zero() : after), std::move(fire));
}

void ManualTimerService::advance(Duration by) {
  const TimePoint target = now_ + by;
  for (;;) {
    TimePoint deadline;
    auto fire = queue_.pop_due(target, &deadline);
    if (!fire) break;
    if (deadline > now_) now_ = deadline;
    fire();
  }
  now_ = target;
}

struct AsioTimerService::Impl {
  explicit Impl(boost::asio::io_context& io) : timer(io) {}
  boost::asio::steady_timer timer;
  TimePoint armed_for = TimePoint::max();
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);
};

AsioTimerService::AsioTimerService(boost::asio::io_context& io)
    : impl_(std::make_unique<Impl>(io)) {}

AsioTimerService::~AsioTimerService() {
  *impl_->alive = false;
}

TimerService::Id AsioTimerService::schedule(Duration after, std::function<void()> fire) {
  TimePoint when = now() + after;
  if (after >= kCoalesceFrom) {
    const auto since = when.time_since_epoch();
    const auto grid = std::chrono::duration_cast<Duration>(kCoalesceGrid);
    when = TimePoint((since + grid - Duration(1)) / grid * grid);
  }
  Id id = queue_.add(when, std::move(fire));
  rearm();
  return id;
}

void AsioTimerService::cancel(Id id) {
  queue_.remove(id);
  // The steady_timer may stay armed for a deadline nobody wants; its handler finds nothing
  // due and re-arms, which is cheaper than cancelling on every cancel().
}

void AsioTimerService::rearm() {
  if (queue_.empty()) return;
  TimePoint next = queue_.earliest();
  if (next >= impl_->armed_for) return;
  impl_->armed_for = next;
  impl_->timer.expires_at(next);
  std::weak_ptr<bool> alive = impl_->alive;
  impl_->timer.async_wait([this, alive](const boost::system::error_code& ec) {
    if (alive.expired()) return;
    if (ec == boost::asio::error::operation_aborted) return;
    impl_->armed_for = TimePoint::max();
    ++wakeups_;
    // Fire what is due; a callback may schedule or cancel other timers.
    for (int budget = 0; budget < 100000; ++budget) {
      auto fire = queue_.pop_due(now());
      if (!fire) break;
      fire();
      if (alive.expired()) return;
    }
    rearm();
  });
}

}  // namespace vpdnd
