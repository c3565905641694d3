// What the PPP session tests' in-memory links share: taking frames off a wire's queue and
// running virtual time.
#pragma once

#include <algorithm>
#include <chrono>
#include <deque>
#include <functional>
#include <initializer_list>
#include <memory>
#include <utility>

#include "common/bytes.hpp"
#include "common/timer.hpp"
#include "ppp/ppp.hpp"

namespace vpdnd::ppp {

// Moves the oldest frame of `q` into `f`; false when `q` is empty.
inline bool take_frame(std::deque<Bytes>& q, Bytes& f) {
  if (q.empty()) return false;
  f = std::move(q.front());
  q.pop_front();
  return true;
}

// A wire's queue and where its frames go.
struct Route {
  std::deque<Bytes>* queue;
  std::function<void(const Bytes&)> deliver;
};

// The frames of `q` to the session `s` holds (dropped while it holds none).
inline Route to_session(std::deque<Bytes>& q, const std::unique_ptr<PppSession>& s) {
  return {&q, [&s](const Bytes& f) {
            if (s) s->receive(f);
          }};
}

// Delivers one frame at a time, always from the first of `routes` that has one, until every
// queue is empty; false if they never go quiet.
inline bool deliver_until_quiet(std::initializer_list<Route> routes) {
  for (int guard = 0; guard < 10000; ++guard) {
    auto r = std::find_if(routes.begin(), routes.end(),
                          [](const Route& r) { return !r.queue->empty(); });
    if (r == routes.end()) return true;
    Bytes f;
    take_frame(*r->queue, f);
    r->deliver(f);
  }
  return false;
}

// `d` of virtual time in 100 ms steps, with pump() (deliver what is queued) after each.
template <class Pump>
void run_in_steps(ManualTimerService& timers, Duration d, Pump&& pump) {
  for (Duration step = std::chrono::milliseconds(100); d > Duration::zero(); d -= step) {
    timers.advance(step);
    pump();
  }
}

}  // namespace vpdnd::ppp
