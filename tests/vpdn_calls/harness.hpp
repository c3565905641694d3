// What the calls tests share beyond the fakes: fixed random bytes, the user's PPP client
// configuration, the incoming call record, and moving queued frames in virtual time.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <utility>

#include "common/timer.hpp"
#include "ppp/ppp.hpp"
#include "vpdn/calls.hpp"

namespace vpdnd::vpdn {
namespace {

// Random bytes that are a counter from `seed` (each or'ed with `high`): fixed Magic-Numbers
// and challenges, distinct per side.
[[maybe_unused]] std::function<void(std::span<std::uint8_t>)> counter_random(
    std::uint8_t seed, std::uint8_t high = 0) {
  return [seed, high](std::span<std::uint8_t> out) mutable {
    for (auto& b : out) b = static_cast<std::uint8_t>(high | seed++);
  };
}

// The user's PPP client configuration: dials as `name` with `password`.
[[maybe_unused]] ppp::SessionConfig user_config(
    const std::string& name, const std::string& password,
    std::function<void(std::span<std::uint8_t>)> random) {
  ppp::SessionConfig sc;
  sc.mode = ppp::SessionMode::client;
  sc.user = name;
  sc.password = password;
  sc.tag = "user";
  sc.random = std::move(random);
  return sc;
}

// An incoming L2TP call `ref` for l2tp-group 1 on virtual-template 1.
[[maybe_unused]] IncomingSession incoming_call(SessionRef ref) {
  IncomingSession in;
  in.ref = ref;
  in.group = 1;
  in.virtual_template = 1;
  return in;
}

// Hands every queued item to `deliver`, oldest first (deliver may queue more); whether there
// was any.
template <class Queue, class Deliver>
bool drain(Queue& q, Deliver&& deliver) {
  bool any = false;
  while (!q.empty()) {
    auto item = std::move(q.front());
    q.pop_front();
    deliver(item);
    any = true;
  }
  return any;
}

// `d` of virtual time in `steps` steps, with pump() (deliver what is queued) before each step
// and after the last.
template <class Pump>
void run_for(ManualTimerService& timers, Duration d, int steps, Pump&& pump) {
  for (int i = 0; i < steps; ++i) {
    pump();
    timers.advance(d / steps);
  }
  pump();
}

}  // namespace
}  // namespace vpdnd::vpdn
