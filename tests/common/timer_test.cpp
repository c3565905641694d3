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
// and unknown ids, and of most timers so stale ids are compacted away) and time steps: the
// same timers fire, in (deadline, arming) order, at their deadlines, and pending() agrees.
TEST(TimerQueue, MatchesAnOrderedModelUnderRandomUse) {
  ManualTimerService timers;
  std::mt19937 rng(20261126);
  std::map<std::pair<TimePoint, int>, int> model;  // live timers by (deadline, arming order)
  std::map<TimerService::Id, std::pair<TimePoint, int>> key_of;
  std::vector<TimerService::Id> ids;
  std::vector<std::pair<int, TimePoint>> fired, expected;
  int next_tag = 0;
  for (int step = 0; step < 20000; ++step) {
    int op = static_cast<int>(rng() % 10);
    if (op < 5) {
      int tag = next_tag++;
      Duration after = std::chrono::milliseconds(rng() % 4 == 0 ? 0 : rng() % 5000);
      auto id = timers.schedule(after, [&, tag] { fired.emplace_back(tag, timers.now()); });
      ASSERT_FALSE(key_of.contains(id)) << "id of a live timer handed out again";
      model.emplace(std::pair{timers.now() + after, tag}, tag);
      key_of[id] = {timers.now() + after, tag};
      ids.push_back(id);
    } else if (op < 9 && !ids.empty()) {
      auto id = ids[rng() % ids.size()];
      timers.cancel(id);  // may be fired or cancelled already: a no-op then
      if (auto d = key_of.find(id); d != key_of.end()) {
        model.erase(d->second);
        key_of.erase(d);
      }
      timers.cancel(0xFFFFFFFFFFull);  // unknown
    } else {
      TimePoint target = timers.now() + std::chrono::milliseconds(rng() % 700);
      while (!model.empty() && model.begin()->first.first <= target) {
        expected.emplace_back(model.begin()->second, model.begin()->first.first);
        model.erase(model.begin());
      }
      std::erase_if(key_of, [&](const auto& k) { return !model.contains(k.second); });
      timers.advance(target - timers.now());
    }
    ASSERT_EQ(timers.pending(), model.size()) << "step " << step;
  }
  ASSERT_EQ(fired, expected);
  EXPECT_GT(fired.size(), 1000u);
}

// Ids are never handed out twice, even when the queue reuses a fired or cancelled timer's
// storage: cancelling a stale id must not cancel the timer armed after it.
TEST(TimerQueue, StaleIdsNeverCancelALaterTimer) {
  ManualTimerService timers;
  std::set<TimerService::Id> seen;
  std::vector<TimerService::Id> stale;
  int fired = 0;
  for (int i = 0; i < 1000; ++i) {
    auto id = timers.schedule(1s, [&] { ++fired; });
    ASSERT_TRUE(seen.insert(id).second);
    ASSERT_NE(id, TimerService::kNoTimer);
    if (i % 2) {
      timers.cancel(id);
      stale.push_back(id);
    } else {
      timers.advance(1s);  // fires it
      stale.push_back(id);
    }
  }
  EXPECT_EQ(fired, 500);
  auto live = timers.schedule(1s, [&] { ++fired; });
  for (auto id : stale) timers.cancel(id);
  EXPECT_EQ(timers.pending(), 1u);
  timers.advance(1s);
  EXPECT_EQ(fired, 501);
  timers.cancel(live);  // fired: a no-op
}

// The LNS pattern: many timers on one deadline (a coalescing grid step), most cancelled and
// re-armed further out while waiting; those that stay fire together, in arming order, and
// the cancelled ones neither fire nor stay counted.
TEST(TimerQueue, SharedDeadlineWithMostCancelledAndRearmed) {
  ManualTimerService timers;
  std::vector<int> order;
  std::vector<TimerService::Id> ids;
  for (int i = 0; i < 1000; ++i)
    ids.push_back(timers.schedule(10s, [&, i] { order.push_back(i); }));
  for (int i = 0; i < 1000; ++i) {
    if (i % 10 == 0) continue;
    timers.cancel(ids[i]);
    timers.schedule(20s, [&, i] { order.push_back(1000 + i); });
  }
  EXPECT_EQ(timers.pending(), 1000u);
  timers.advance(10s);
  ASSERT_EQ(order.size(), 100u);
  for (int k = 0; k < 100; ++k) EXPECT_EQ(order[k], k * 10);
  timers.advance(10s);
  ASSERT_EQ(order.size(), 1000u);
  EXPECT_EQ(order[100], 1001);
  EXPECT_EQ(order.back(), 1999);
  EXPECT_EQ(timers.pending(), 0u);
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
