// DOC: time for state machines. FSMs take a TimerService (which is also their Clock) and
// never see Asio: production passes AsioTimerService (one steady_timer driving an ordered
// queue, so 100k armed timers cost one kernel timer), tests pass ManualTimerService and
// move virtual time with advance(). All calls happen on the protocol thread; no locks.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace vpdnd {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;
using Duration = SteadyClock::duration;
using namespace std::chrono_literals;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class TimerService : public Clock {
 public:
  using Id = std::uint64_t;  // never 0, never reused
  static constexpr Id kNoTimer = 0;
  virtual Id schedule(Duration after, std::function<void()> fire) = 0;
  // Cancelling an unknown or already-fired id is a no-op, so owners may cancel blindly.
  virtual void cancel(Id id) = 0;
  virtual std::size_t pending() const = 0;
};

// Owner-side helper: one timer slot that re-arming replaces and destruction cancels.
class TimerSlot {
 public:
  explicit TimerSlot(TimerService& timers) : timers_(&timers) {}
  TimerSlot(const TimerSlot&) = delete;
  TimerSlot& operator=(const TimerSlot&) = delete;
  ~TimerSlot() { cancel(); }
  void arm(Duration after, std::function<void()> fire);
  void cancel();
  bool armed() const { return id_ != TimerService::kNoTimer; }

 private:
  TimerService* timers_;
  TimerService::Id id_ = TimerService::kNoTimer;
};

// Deadline-ordered queue shared by both services. An LNS arms one or two timers per user
// (LCP echo, accounting), re-arming the echo timer on every expiry, so add/remove/fire are
// per-packet costs and the per-timer size is per-user memory. Timers sit in buckets, one
// per distinct deadline, ordered by deadline; coalesced timers (AsioTimerService) share a
// bucket per grid step, so 100,000 echo timers are about a hundred buckets of ids. The
// callbacks live in a slab indexed by the id's low half, the high half a generation that
// tells a live id from a cancelled one: add, remove and fire touch one slot and one bucket
// end, no hash and no heap. A cancelled id stays in its bucket until the bucket fires or
// empties, or the buckets are compacted (when stale ids outnumber live timers).
class TimerQueue {
 public:
  TimerService::Id add(TimePoint when, std::function<void()> fire);
  bool remove(TimerService::Id id);
  bool empty() const { return live_ == 0; }
  std::size_t size() const { return live_; }
  TimePoint earliest() const { return buckets_.begin()->first; }  // not empty()
  // Removes and returns the earliest entry if it is due at `now`; equal deadlines come in
  // the order they were added.
  std::function<void()> pop_due(TimePoint now, TimePoint* deadline = nullptr);

 private:
  struct Slot {
    std::function<void()> fire;
    TimePoint when;
    std::uint32_t generation = 0;
    bool armed = false;
  };
  struct Bucket {
    std::vector<TimerService::Id> ids;  // in arming order; ids[head..] not fired yet
    std::size_t head = 0;
    std::size_t live = 0;  // armed timers among them; a bucket with none is erased
  };
  Slot* live_slot(TimerService::Id id);
  void release(std::uint32_t index);
  void compact();

  std::map<TimePoint, Bucket> buckets_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;  // slot indexes
  std::size_t live_ = 0;
  std::size_t stale_ = 0;  // cancelled ids still in buckets
};

class ManualTimerService final : public TimerService {
 public:
  explicit ManualTimerService(TimePoint start = TimePoint{} + 1000h) : now_(start) {}
  TimePoint now() const override { return now_; }
  Id schedule(Duration after, std::function<void()> fire) override;
  void cancel(Id id) override { queue_.remove(id); }
  std::size_t pending() const override { return queue_.size(); }
  // Moves time forward, firing due timers in deadline order with now() at each deadline.
  void advance(Duration by);
  // Fires everything that is due now (timers scheduled with zero delay).
  void run_due() { advance(Duration::zero()); }

 private:
  TimePoint now_;
  TimerQueue queue_;
};

// Timers of at least kCoalesceFrom fire on the next kCoalesceGrid boundary of the steady
// clock after their deadline (at most that much late): an LNS's per-user timers (LCP echo
// every 10 s for each of 100,000 users) then wake the thread ten times a second with a
// batch each, whose packets leave in a few sendmmsg calls, instead of 10,000 times with one
// packet each. Shorter timers (retransmission back-off, zero-delay posts) stay exact.
class AsioTimerService final : public TimerService {
 public:
  static constexpr Duration kCoalesceFrom = 1s;
  static constexpr Duration kCoalesceGrid = 100ms;
  explicit AsioTimerService(boost::asio::io_context& io);
  ~AsioTimerService() override;
  TimePoint now() const override { return SteadyClock::now(); }
  Id schedule(Duration after, std::function<void()> fire) override;
  void cancel(Id id) override;
  std::size_t pending() const override { return queue_.size(); }
  // Times the thread woke for due timers (each wake-up fires everything due).
  std::uint64_t wakeups() const { return wakeups_; }

 private:
  void rearm();
  std::uint64_t wakeups_ = 0;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  TimerQueue queue_;
};

}  // namespace vpdnd
