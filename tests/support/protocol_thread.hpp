// Test helper: ending a test's protocol thread.
#pragma once

#include "common/protocol_thread.hpp"

namespace vpdnd::test {

// Destroys each of `owned` (smart pointers, in order) on `engine`'s thread, where what they
// hold lives and must die, then stops the thread. Nothing to do when it is not running.
template <class... Owned>
void stop_protocol_thread(ProtocolThread& engine, Owned&... owned) {
  if (!engine.running()) return;
  engine.call([&] { (owned.reset(), ...); });
  engine.stop();
}

}  // namespace vpdnd::test
