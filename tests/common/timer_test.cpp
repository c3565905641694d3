#include "common/timer.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <map>
#include <random>
#include <set>
#include <vector>

namespace vpdnd {
namespace {

TEST(ManualTimerService, FiresInDeadlineOrderWithVirtualTime) {
  ManualTimerService timers;
  const TimePoint start = timers.now();
  std::vector<std::pair<int, Duration>> fired;
  timers.schedule(2s, [&] { fired.emplace_back(2, timers.now() - start); });
  timers.schedule(1s, [&] { fired.emplace_back(1, timers.now() - start); });
  auto cancelled = timers.schedule(1500ms, [&] { fired.emplace_back(99, Duration{}); });
  timers.cancel(cancelled);
  timers.advance(500ms);
  EXPECT_TRUE(fired.empty());
  timers.advance(5s);
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[0].first, 1);
  EXPECT_EQ(fired[0].second, Duration(1s));
  EXPECT_EQ(fired[1].first, 2);
  EXPECT_EQ(timers.now() - start, Duration(5500ms));
}

TEST(ManualTimerService, CallbackMayReschedule) {
  ManualTimerService timers;
  int count = 0;
  std::function<void()> tick = [&] {
    if (++count < 5) timers.schedule(1s, tick);
  };
  timers.schedule(1s, tick);
  timers.advance(10s);
  EXPECT_EQ(count, 5);
  EXPECT_EQ(timers.pending(), 0u);
}

TEST(TimerSlot, RearmReplacesAndDestructionCancels) {
  ManualTimerService timers;
  int a = 0;
  {
    TimerSlot slot(timers);
    slot.arm(1s, [&] { a = 1; });
    slot.arm(2s, [&] { a = 2; });
    EXPECT_EQ(timers.pending(), 1u);
    timers.advance(3s);
    EXPECT_EQ(a, 2);
    EXPECT_FALSE(slot.armed());
    slot.arm(1s, [&] { a = 3; });
  }
  timers.advance(3s);
  EXPECT_EQ(a, 2);
}

TEST(AsioTimerService, FiresOnTheLoop) {
  boost::asio::io_context io;
  AsioTimerService timers(io);
  std::vector<int> order;
  timers.schedule(20ms, [&] { order.push_back(2); });
  timers.schedule(5ms, [&] { order.push_back(1); });
  auto gone = timers.schedule(10ms, [&] { order.push_back(9); });
  timers.cancel(gone);
  io.run_for(std::chrono::milliseconds(200));
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

// Long timers armed a little apart (as users come up one after another) fire together on
// the coalescing grid: one wake-up per grid step their deadlines fall in (plus one for a
// short timer, which stays exact), never early.
TEST(AsioTimerService, LongTimersArmedApartFireInOneWakeUpPerGridStep) {
  boost::asio::io_context io;
  AsioTimerService timers(io);
  constexpr int kTimers = 200;
  std::vector<TimePoint> due(kTimers), fired(kTimers);
  std::set<Duration::rep> steps;  // grid steps the deadlines fall in
  int count = 0;
  const auto grid = std::chrono::duration_cast<Duration>(AsioTimerService::kCoalesceGrid);
  for (int i = 0; i < kTimers; ++i) {
    // Each armed 0.2 ms after the previous one: 40 ms from the first to the last.
    const TimePoint armed = SteadyClock::now();
    while (SteadyClock::now() - armed < std::chrono::microseconds(200)) {
    }
    due[i] = SteadyClock::now() + 1s;
    steps.insert((due[i].time_since_epoch() + grid - Duration(1)) / grid);
    timers.schedule(1s, [&, i] {
      fired[i] = timers.now();
      ++count;
    });
  }
  TimePoint short_due = SteadyClock::now() + 30ms, short_fired{};
  timers.schedule(30ms, [&] {
    short_fired = timers.now();
    ++count;
  });
  const TimePoint limit = SteadyClock::now() + 20s;  // a loaded CI machine
  while (count < kTimers + 1 && SteadyClock::now() < limit) io.run_for(50ms);
  ASSERT_EQ(count, kTimers + 1);
  for (int i = 0; i < kTimers; ++i) EXPECT_GE(fired[i], due[i]) << i;
  EXPECT_GE(short_fired, short_due);
  // Without coalescing: one wake-up per timer (fewer only where a starved loop found
  // several due at once).
  EXPECT_LE(timers.wakeups(), steps.size() + 1) << steps.size() << " grid steps";
  EXPECT_LT(steps.size(), static_cast<std::size_t>(kTimers / 4));
}

// The queue against a plain ordered model under random arming, cancelling (also of fired
// and unknown ids, and of most timers so the heap is rebuilt) and time steps: the same
// timers fire, in (deadline, arming) order, at their deadlines, and pending() agrees.
TEST(TimerQueue, MatchesAnOrderedModelUnderRandomUse) {
  ManualTimerService timers;
  std::mt19937 rng(20261126);
  std::map<std::pair<TimePoint, TimerService::Id>, int> model;  // live timers
  std::map<TimerService::Id, TimePoint> deadline_of;
  std::vector<TimerService::Id> ids;
  std::vector<std::pair<int, TimePoint>> fired, expected;
  int next_tag = 0;
  for (int step = 0; step < 20000; ++step) {
    int op = static_cast<int>(rng() % 10);
    if (op < 5) {
      int tag = next_tag++;
      Duration after = std::chrono::milliseconds(rng() % 4 == 0 ? 0 : rng() % 5000);
      auto id = timers.schedule(after, [&, tag] { fired.emplace_back(tag, timers.now()); });
      model.emplace(std::pair{timers.now() + after, id}, tag);
      deadline_of[id] = timers.now() + after;
      ids.push_back(id);
    } else if (op < 9 && !ids.empty()) {
      auto id = ids[rng() % ids.size()];
      timers.cancel(id);  // may be fired or cancelled already: a no-op then
      if (auto d = deadline_of.find(id); d != deadline_of.end()) {
        model.erase(std::pair{d->second, id});
        deadline_of.erase(d);
      }
      timers.cancel(0xFFFFFFFFFFull);  // unknown
    } else {
      TimePoint target = timers.now() + std::chrono::milliseconds(rng() % 700);
      while (!model.empty() && model.begin()->first.first <= target) {
        expected.emplace_back(model.begin()->second, model.begin()->first.first);
        deadline_of.erase(model.begin()->first.second);
        model.erase(model.begin());
      }
      timers.advance(target - timers.now());
    }
    ASSERT_EQ(timers.pending(), model.size()) << "step " << step;
  }
  ASSERT_EQ(fired, expected);
  EXPECT_GT(fired.size(), 1000u);
}

TEST(TimerQueue, EqualDeadlinesFireInArmingOrderAndCancelledTopIsSkipped) {
  ManualTimerService timers;
  std::vector<int> order;
  auto first = timers.schedule(1s, [&] { order.push_back(0); });
  for (int i = 1; i <= 5; ++i) timers.schedule(1s, [&, i] { order.push_back(i); });
  timers.cancel(first);
  auto late = timers.schedule(3s, [&] { order.push_back(9); });
  timers.advance(2s);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4, 5}));
  timers.cancel(late);
  EXPECT_EQ(timers.pending(), 0u);
  timers.advance(5s);
  EXPECT_EQ(order.size(), 5u);
}

}  // namespace
}  // namespace vpdnd
