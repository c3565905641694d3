#include "common/timer.hpp"

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

TimerService::Id TimerQueue::add(TimePoint when, std::function<void()> fire) {
  TimerService::Id id = next_id_++;
  by_deadline_.emplace(Key{when, id}, std::move(fire));
  deadline_of_.emplace(id, when);
  return id;
}

bool TimerQueue::remove(TimerService::Id id) {
  auto it = deadline_of_.find(id);
  if (it == deadline_of_.end()) return false;
  by_deadline_.erase(Key{it->second, id});
  deadline_of_.erase(it);
  return true;
}

std::function<void()> TimerQueue::pop_due(TimePoint now, TimePoint* deadline) {
  if (by_deadline_.empty()) return {};
  auto first = by_deadline_.begin();
  if (first->first.first > now) return {};
  if (deadline) *deadline = first->first.first;
  auto fire = std::move(first->second);
  deadline_of_.erase(first->first.second);
  by_deadline_.erase(first);
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

AsioTimerService::~AsioTimerService() { *impl_->alive = false; }

TimerService::Id AsioTimerService::schedule(Duration after, std::function<void()> fire) {
  Id id = queue_.add(now() + after, std::move(fire));
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
