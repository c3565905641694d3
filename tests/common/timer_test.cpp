#include "common/timer.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
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

}  // namespace
}  // namespace vpdnd
