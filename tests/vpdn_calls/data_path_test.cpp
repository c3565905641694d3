// DataPath between a real LNS engine and LnsCalls, with a real LAC engine as the peer on
// the in-memory network of the engine tests (virtual time, no sockets): the frames a LAC
// sends right behind its ICCN all reach the call, and frames that overtake the ICCN are
// held by the engine alone, bounded, with each one beyond the bound counted as a drop.
#include "vpdn/data_path.hpp"

#include <gtest/gtest.h>

#include "tests/vpdn_calls/fakes.hpp"
#include "tests/vpdn_engine/harness.hpp"

namespace vpdnd::vpdn {
namespace {

using test::ip;

const Endpoint kLac{ip("10.0.0.1"), 1701};
const Endpoint kLns{ip("10.0.0.2"), 1701};

class DataPathTest : public ::testing::Test {
 protected:
  DataPathTest()
      : lac(world.net, world.timers, kLac, 1),
        aaa_(store, world.timers, radius),
        lns_engine(store.running(), world.timers, lns_random),
        path(store, lns_engine),
        calls(store, world.timers, aaa_, path, tun) {
    lac.config.l2tp_groups[1] = test::lac_group(1, {kLns.address}, "lac", "");
    auto& c = store.mutable_running();
    c.l2tp.enabled = true;
    config::VirtualTemplate t;
    t.number = 1;
    t.remote_address = ip("192.168.0.10");
    c.virtual_templates[1] = t;
    c.l2tp_groups[1] = test::lns_group(1, 1, "lac", "lns", "");
    lns_engine.attach(&lns_port);
    lns_engine.set_handler(&path);
    world.net.add(kLns,
                  [this](const Endpoint& from, ByteView d) { lns_engine.on_datagram(from, d); });
    path.attach(&calls, nullptr, nullptr);
  }
  ~DataPathTest() override { lns_engine.set_handler(nullptr); }

  // Places a call from the LAC; `on_up` runs when the LAC has sent its ICCN.
  void place(std::function<void(SessionRef)> on_up) {
    LacCallRequest r;
    r.group = 1;
    r.user = "alice@corp.com";
    LacCallbacks cb;
    cb.on_up = std::move(on_up);
    cb.on_down = [](const SessionEnd&) {};
    ASSERT_TRUE(lac.engine->place_call(std::move(r), std::move(cb)));
  }

  // An LCP Echo-Request as the LAC switches it (FF 03 in front); the LNS's PPP drops it
  // outside Opened, but the call counts every frame it is given.
  static Bytes echo(std::uint8_t id) {
    return {0xff, 0x03, 0xc0, 0x21, 0x09, id, 0x00, 0x08, 0, 0, 0, 0};
  }

  std::uint64_t frames_at_call() {
    auto s = calls.status();
    return s.size() == 1 ? s[0].counters.input_packets : 0;
  }
  std::uint64_t drops(const std::string& reason) {
    auto d = lns_engine.statistics().drops;
    auto it = d.find(reason);
    return it == d.end() ? 0 : it->second;
  }

  test::World world;
  test::Node lac;
  config::ConfigStore store;
  NoRadius radius;
  aaa::Aaa aaa_;
  SeededRandom lns_random{2};
  test::NetPort lns_port{world.net, kLns};
  L2tpEngine lns_engine;
  DataPath path;
  FakeIp tun;
  LnsCalls calls;
};

// The LAC passes the user's frames on right behind its ICCN (in the same receive batch at
// the LNS): each one reaches the LNS call, none waits in a second, uncounted buffer.
TEST_F(DataPathTest, FramesRightBehindTheIccnAllReachTheCall) {
  constexpr int kFrames = 20;
  place([this](SessionRef ref) {
    for (int i = 0; i < kFrames; ++i)
      lac.engine->send_data(ref, echo(static_cast<std::uint8_t>(i)));
  });
  world.settle();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(frames_at_call(), static_cast<std::uint64_t>(kFrames));
  EXPECT_EQ(drops("data before ICCN, hold full"), 0u);
}

// Frames that overtake the ICCN (here: the first ICCN is lost and retransmitted) wait in
// the engine, at most 8; the rest are dropped and counted where `display l2tp statistics`
// shows them, and the held ones reach the call once the session is established.
TEST_F(DataPathTest, FramesBeforeTheIccnAreHeldBoundedAndTheRestCounted) {
  bool lost_one = false;
  world.net.drop = [&](const test::Packet& p) {
    if (lost_one || !p.is(MessageType::iccn)) return false;
    lost_one = true;
    return true;
  };
  constexpr int kFrames = 12;
  place([this](SessionRef ref) {
    for (int i = 0; i < kFrames; ++i)
      lac.engine->send_data(ref, echo(static_cast<std::uint8_t>(i)));
  });
  world.run(std::chrono::seconds(3));
  ASSERT_TRUE(lost_one);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(frames_at_call(), 8u);
  EXPECT_EQ(drops("data before ICCN, hold full"), static_cast<std::uint64_t>(kFrames - 8));
}

// A template that is missing or shut down refuses the call at ICCN (CDN), and no call
// starts.
TEST_F(DataPathTest, ShutTemplateRefusesTheCall) {
  store.mutable_running().virtual_templates[1].shutdown = true;
  place([](SessionRef) {});
  world.settle();
  EXPECT_EQ(calls.size(), 0u);
  EXPECT_EQ(world.net.count(MessageType::cdn, kLns), 1u);
}

}  // namespace
}  // namespace vpdnd::vpdn
