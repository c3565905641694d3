#include "common/protocol_thread.hpp"

#include <gtest/gtest.h>

namespace vpdnd {
namespace {

TEST(ProtocolThread, CallRunsOnEngineThreadAndReturns) {
  ProtocolThread engine;
  engine.start();
  std::thread::id where;
  int v = engine.call([&] {
    where = std::this_thread::get_id();
    return 41 + 1;
  });
  EXPECT_EQ(v, 42);
  EXPECT_NE(where, std::this_thread::get_id());
  EXPECT_TRUE(engine.call([&] { return engine.on_protocol_thread(); }));
  // Nested call from the protocol thread runs inline instead of deadlocking.
  EXPECT_EQ(engine.call([&] { return engine.call([] { return 7; }); }), 7);
  EXPECT_THROW(engine.call([]() -> int { throw std::runtime_error("x"); }), std::runtime_error);
  engine.stop();
}

}  // namespace
}  // namespace vpdnd
