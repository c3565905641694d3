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

namespace {
// std::*_heap build a max-heap: "later" is "less" so the earliest deadline is on top.
bool later(const TimerQueue::Entry& a, const TimerQueue::Entry& b) {
  return a.when != b.when ? a.when > b.when : a.id > b.id;
}
}  // namespace

TimerService::Id TimerQueue::add(TimePoint when, std::function<void()> fire) {
  TimerService::Id id = next_id_++;
  fire_.emplace(id, std::move(fire));
  heap_.push_back(Entry{when, id});
  std::push_heap(heap_.begin(), heap_.end(), later);
  return id;
}

bool TimerQueue::remove(TimerService::Id id) {
  if (fire_.erase(id) == 0) return false;
  if (heap_.size() > 64 && heap_.size() > 2 * fire_.size()) {
    rebuild();
  } else {
    drop_stale_top();
  }
  return true;
}

void TimerQueue::drop_stale_top() {
  while (!heap_.empty() && !fire_.contains(heap_.front().id)) {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    heap_.pop_back();
  }
}

void TimerQueue::rebuild() {
  std::erase_if(heap_, [this](const Entry& e) { return !fire_.contains(e.id); });
  std::make_heap(heap_.begin(), heap_.end(), later);
}

std::function<void()> TimerQueue::pop_due(TimePoint now, TimePoint* deadline) {
  drop_stale_top();  // a no-op: every removal already left a live top
  if (heap_.empty() || heap_.front().when > now) return {};
  Entry top = heap_.front();
  std::pop_heap(heap_.begin(), heap_.end(), later);
  heap_.pop_back();
  auto it = fire_.find(top.id);
  auto fire = std::move(it->second);
  fire_.erase(it);
  drop_stale_top();
  if (deadline) *deadline = top.when;
  return fire;
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
