#include <gtest/gtest.h>

#include "aaa/aaa.hpp"

// Designated initializers leave the other fields at their defaults on purpose.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include <chrono>
#include <set>

#include "fake_radius.hpp"

namespace vpdnd::aaa {
namespace {

class PoolTest : public ::testing::Test {
 protected:
  void make(std::string start, std::string end) {
    store.mutable_running().ip_pools["p"] =
        config::IpPool{.name = "p", .start = *Ipv4::parse(start), .end = *Ipv4::parse(end)};
    aaa = std::make_unique<Aaa>(store, timers, radius);
  }
  config::ConfigStore store;
  ManualTimerService timers;
  test::FakeRadius radius;
  std::unique_ptr<Aaa> aaa;
};

TEST_F(PoolTest, ExhaustionAndNoDoubleAssignment) {
  make("10.0.0.1", "10.0.0.4");
  std::set<std::uint32_t> seen;
  for (int i = 0; i < 4; ++i) {
    auto a = aaa->allocate("p", "u" + std::to_string(i));
    ASSERT_TRUE(a);
    EXPECT_TRUE(seen.insert(a->value).second);
    EXPECT_GE(a->value, Ipv4::parse("10.0.0.1")->value);
    EXPECT_LE(a->value, Ipv4::parse("10.0.0.4")->value);
  }
  auto r = aaa->allocate("p", "late");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), PoolError::exhausted);
  auto st = aaa->pool_status("p")[0];
  EXPECT_EQ(st.free, 0u);
  EXPECT_EQ(st.in_use, 4u);
  ASSERT_EQ(st.leases.size(), 4u);
  EXPECT_EQ(st.leases[0].address, *Ipv4::parse("10.0.0.1"));
  EXPECT_EQ(st.leases[3].address, *Ipv4::parse("10.0.0.4"));
  EXPECT_TRUE(aaa->release("p", *Ipv4::parse("10.0.0.3")));
  EXPECT_FALSE(aaa->release("p", *Ipv4::parse("10.0.0.3")));  // double release refused
  auto again = aaa->allocate("p", "late");
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *Ipv4::parse("10.0.0.3"));
}

TEST_F(PoolTest, ExplicitAddress) {
  make("10.0.0.1", "10.0.0.10");
  auto a = aaa->allocate("p", "a", Ipv4::parse("10.0.0.7"));
  EXPECT_EQ(*a, *Ipv4::parse("10.0.0.7"));
  // Taken: strict fails, lenient gives another one.
  auto b = aaa->allocate("p", "b", Ipv4::parse("10.0.0.7"), true);
  EXPECT_EQ(b.error(), PoolError::address_in_use);
  auto c = aaa->allocate("p", "c", Ipv4::parse("10.0.0.7"));
  ASSERT_TRUE(c);
  EXPECT_NE(*c, *Ipv4::parse("10.0.0.7"));
  // Outside the pool.
  EXPECT_EQ(aaa->allocate("p", "d", Ipv4::parse("10.9.9.9"), true).error(),
            PoolError::address_not_in_pool);
  auto e = aaa->allocate("p", "e", Ipv4::parse("10.9.9.9"));
  ASSERT_TRUE(e);
  EXPECT_NE(*e, *Ipv4::parse("10.9.9.9"));
  // 0.0.0.0 (IPCP "give me one") is not a wish.
  EXPECT_TRUE(aaa->allocate("p", "f", Ipv4{0}, true));
  EXPECT_FALSE(aaa->release("p", *Ipv4::parse("10.9.9.9")));
  EXPECT_EQ(aaa->allocate("nope", "x").error(), PoolError::no_such_pool);
}

TEST_F(PoolTest, SingleAddressPool) {
  make("10.0.0.1", "10.0.0.1");
  EXPECT_TRUE(aaa->allocate("p", "a"));
  EXPECT_FALSE(aaa->allocate("p", "b"));
  EXPECT_EQ(aaa->pool_status("p")[0].end, *Ipv4::parse("10.0.0.1"));
}

TEST_F(PoolTest, TenThousandAllocateReleaseCycles) {
  make("10.0.0.0", "10.0.255.255");  // 65536 addresses
  std::vector<Ipv4> held;
  auto t0 = std::chrono::steady_clock::now();
  for (int round = 0; round < 10; ++round) {
    for (int i = 0; i < 10000; ++i) {
      auto a = aaa->allocate("p", "u");
      ASSERT_TRUE(a);
      held.push_back(*a);
    }
    for (auto a : held) ASSERT_TRUE(aaa->release("p", a));
    held.clear();
  }
  // Fill up completely, with every address distinct.
  std::vector<bool> seen(65536);
  for (int i = 0; i < 65536; ++i) {
    auto a = aaa->allocate("p", "u");
    ASSERT_TRUE(a);
    auto idx = a->value - Ipv4::parse("10.0.0.0")->value;
    ASSERT_FALSE(seen[idx]);
    seen[idx] = true;
  }
  EXPECT_FALSE(aaa->allocate("p", "u"));
  auto elapsed = std::chrono::steady_clock::now() - t0;
  // 265k operations; O(1) each keeps this far under a second even under sanitizers.
  EXPECT_LT(elapsed, std::chrono::seconds(5));
  RecordProperty("ms", static_cast<int>(
                           std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()));
}

TEST_F(PoolTest, HugePoolIsTruncatedNotFatal) {
  make("10.0.0.0", "10.255.255.255");
  auto st = aaa->pool_status("p")[0];
  EXPECT_EQ(st.free, 1u << 20);
  EXPECT_TRUE(aaa->allocate("p", "u"));
}

}  // namespace
}  // namespace vpdnd::aaa
