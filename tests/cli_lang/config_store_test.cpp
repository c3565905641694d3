// ConfigStore: an edit is a transaction on a candidate copy; listeners see the old and the
// new config and go with their Subscription. CowMap: copies share chunks, writes do not leak.
#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>

#include "cli/lang/session.hpp"
#include "fixture.hpp"

namespace vpdnd::cli::test {
namespace {

using config::ConfigSection;
using config::RunningConfig;

config::ConfigStore with_group(std::uint16_t number) {
  config::ConfigStore store;
  store.edit({ConfigSection::l2tp_group, std::to_string(number)}, [&](RunningConfig& c) {
    c.l2tp_groups[number].number = number;
    c.l2tp_groups[number].tunnel_name = "before";
    return std::string();
  });
  return store;
}

TEST(ConfigStore, RejectedEditLeavesTheRunningConfigAsItWas) {
  auto store = with_group(1);
  RunningConfig before = store.running();
  int notified = 0;
  auto sub = store.subscribe([&](auto&, auto&, auto&) { ++notified; });
  std::string error = store.edit({ConfigSection::l2tp_group, "1"}, [](RunningConfig& c) {
    c.l2tp_groups[1].tunnel_name = "half";
    c.l2tp_groups[2].number = 2;
    c.local_users["u"].name = "u";
    c.sysname = "HALF";
    return std::string("Error: failed midway");
  });
  EXPECT_EQ(error, "Error: failed midway");
  EXPECT_TRUE(store.running() == before);
  EXPECT_EQ(store.running().l2tp_groups.at(1).tunnel_name, "before");
  EXPECT_EQ(notified, 0);
}

TEST(ConfigStore, ThrowingEditLeavesTheRunningConfigAsItWas) {
  auto store = with_group(1);
  RunningConfig before = store.running();
  EXPECT_THROW(store.edit({ConfigSection::l2tp_group, "1"},
                          [](RunningConfig& c) -> std::string {
                            c.l2tp_groups.erase(1);
                            throw std::out_of_range("midway");
                          }),
               std::out_of_range);
  EXPECT_TRUE(store.running() == before);
}

TEST(ConfigStore, ListenersSeeTheOldAndTheNewConfig) {
  auto store = with_group(1);
  std::string old_name, new_name;
  auto sub = store.subscribe(
      [&](const config::ConfigChange& change, const RunningConfig& old, const RunningConfig& now) {
        EXPECT_EQ(change.key, "1");
        old_name = old.l2tp_groups.at(1).tunnel_name;
        new_name = now.l2tp_groups.at(1).tunnel_name;
        EXPECT_EQ(&now, &store.running());
      });
  store.edit({ConfigSection::l2tp_group, "1"}, [](RunningConfig& c) {
    c.l2tp_groups[1].tunnel_name = "after";
    return std::string();
  });
  EXPECT_EQ(old_name, "before");
  EXPECT_EQ(new_name, "after");
}

TEST(ConfigStore, SubscriptionEndsWithItsHandle) {
  config::ConfigStore store;
  int a = 0, b = 0;
  auto noop = [](RunningConfig&) { return std::string(); };
  config::Subscription sub_b;
  {
    auto sub_a = store.subscribe([&](auto&, auto&, auto&) { ++a; });
    sub_b = store.subscribe([&](auto&, auto&, auto&) { ++b; });
    store.edit({ConfigSection::system, ""}, noop);
  }
  store.edit({ConfigSection::system, ""}, noop);
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 2);
  sub_b.reset();
  store.edit({ConfigSection::system, ""}, noop);
  EXPECT_EQ(b, 2);
}

TEST(ConfigStore, ListenerMayDropHandlesWhileCalled) {
  config::ConfigStore store;
  int a = 0, b = 0;
  config::Subscription sub_a, sub_b;
  sub_a = store.subscribe([&](auto&, auto&, auto&) {
    ++a;
    sub_a.reset();  // itself
    sub_b.reset();  // the next one: not called any more
  });
  sub_b = store.subscribe([&](auto&, auto&, auto&) { ++b; });
  auto noop = [](RunningConfig&) { return std::string(); };
  store.edit({ConfigSection::system, ""}, noop);
  store.edit({ConfigSection::system, ""}, noop);
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 0);
}

TEST(ConfigStore, HandleOutlivingTheStoreIsHarmless) {
  config::Subscription sub;
  {
    config::ConfigStore store;
    sub = store.subscribe([](auto&, auto&, auto&) {});
    EXPECT_TRUE(sub.active());
  }
  EXPECT_FALSE(sub.active());
  sub.reset();
}

// A command's edit function that fails after changing part of the candidate: the command
// fails and the running config is unchanged (it used to keep the half-made change).
TEST_F(ShellTest, CommandFailingMidwayLeavesTheRunningConfigUnchanged) {
  auto s = system_session();
  ASSERT_TRUE(s->execute("l2tp-group 3").ok);
  ASSERT_TRUE(s->execute("tunnel name before").ok);
  RunningConfig before = running();
  lang::Session session(context, SessionOrigin::console, "");
  lang::Call call(session, {});
  call.edit({ConfigSection::l2tp_group, "3"}, [](RunningConfig& c) {
    c.l2tp_groups.at(3).tunnel_name = "half";
    c.sysname = "HALF";
    return std::string("Error: failed midway");
  });
  EXPECT_TRUE(call.failed);
  EXPECT_TRUE(running() == before);
  EXPECT_EQ(running().l2tp_groups.at(3).tunnel_name, "before");
  EXPECT_TRUE(engine.call([&] { return store.running() == before; }));
}

TEST(CowMap, CopiesShareUntilWrittenAndWritesStayLocal) {
  config::CowMap<int, std::string> a;
  std::map<int, std::string> model;
  for (int i = 0; i < 1000; ++i) {
    int k = (i * 7919) % 1000;
    a[k] = std::to_string(k);
    model[k] = std::to_string(k);
  }
  auto b = a;
  b[5] = "changed";
  b.erase(6);
  b.emplace(2000, "new");
  EXPECT_EQ(a.at(5), "5");
  EXPECT_TRUE(a.contains(6));
  EXPECT_FALSE(a.contains(2000));
  EXPECT_EQ(a.size(), 1000u);
  EXPECT_EQ(b.size(), 1000u);
  EXPECT_FALSE(a == b);
  // Iteration is in key order and sees every entry once.
  std::map<int, std::string> seen(a.begin(), a.end());
  EXPECT_EQ(seen, model);
  int previous = -1;
  for (auto& [k, v] : b) {
    EXPECT_LT(previous, k);
    previous = k;
  }
  // Erasing while iterating, down to empty.
  auto c = a;
  std::size_t erased = erase_if(c, [](const auto& e) { return e.first % 2 == 0; });
  EXPECT_EQ(erased, 500u);
  EXPECT_EQ(c.size(), 500u);
  EXPECT_EQ(a.size(), 1000u);
  for (auto it = c.cbegin(); it != c.cend();) it = c.erase(it);
  EXPECT_TRUE(c.empty());
  EXPECT_EQ(c.begin(), c.end());
  c[1] = "again";
  EXPECT_EQ(c.at(1), "again");
}

TEST(CowMap, ReferencesSurviveInsertions) {
  config::CowMap<int, int> m;
  int& first = m[500];
  for (int i = 0; i < 1000; ++i) m[i] = i;  // splits chunks around `first`
  first = -1;
  EXPECT_EQ(m.at(500), -1);
  EXPECT_THROW(static_cast<void>(m.at(5000)), std::out_of_range);
}

}  // namespace
}  // namespace vpdnd::cli::test
