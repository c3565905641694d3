// SessionTable against std::unordered_map under random inserts, erases (also while
// iterating) and lookups: the same contents after every step.
#include "vpdn/engine/session_table.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <unordered_map>

namespace vpdnd::vpdn::detail {
namespace {

using Table = SessionTable<int>;

std::set<std::pair<std::uint16_t, int>> contents(const Table& t) {
  std::set<std::pair<std::uint16_t, int>> out;
  for (const auto& [id, v] : t) out.insert({id, *v});
  return out;
}
std::set<std::pair<std::uint16_t, int>> contents(const std::unordered_map<std::uint16_t, int>& m) {
  return {m.begin(), m.end()};
}

TEST(SessionTable, MatchesUnorderedMapUnderRandomChurn) {
  std::mt19937 rng(7);
  Table t;
  std::unordered_map<std::uint16_t, int> ref;
  // Ids from a small range so that erased ids come back (tombstones on probe paths).
  std::uniform_int_distribution<int> id_of(1, 3000), op(0, 9);
  for (int step = 0; step < 200000; ++step) {
    const auto id = static_cast<std::uint16_t>(id_of(rng));
    const int o = op(rng);
    if (o < 5) {
      const bool fresh = !ref.contains(id);
      auto [it, inserted] = t.emplace(id, std::make_unique<int>(step));
      ASSERT_EQ(inserted, fresh);
      ASSERT_EQ(it->first, id);
      if (fresh) ref.emplace(id, step);
      ASSERT_EQ(*it->second, ref.at(id));
    } else if (o < 8) {
      ASSERT_EQ(t.erase(id), ref.erase(id));
    } else {
      auto it = t.find(id);
      ASSERT_EQ(it != t.end(), ref.contains(id));
      if (it != t.end()) ASSERT_EQ(*it->second, ref.at(id));
    }
    ASSERT_EQ(t.size(), ref.size());
    if (step % 5000 == 0) ASSERT_EQ(contents(t), contents(ref));
  }
  ASSERT_EQ(contents(t), contents(ref));
}

TEST(SessionTable, EraseWhileIteratingVisitsEveryElementOnce) {
  Table t;
  for (std::uint16_t id = 1; id <= 1000; ++id) t.emplace(id, std::make_unique<int>(id));
  std::set<std::uint16_t> seen;
  for (auto it = t.begin(); it != t.end();) {
    EXPECT_TRUE(seen.insert(it->first).second);
    if (it->first % 3 == 0)
      it = t.erase(it);
    else
      ++it;
  }
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_EQ(t.size(), 1000u - 333u);
  for (std::uint16_t id = 1; id <= 1000; ++id) EXPECT_EQ(t.contains(id), id % 3 != 0) << id;
}

TEST(SessionTable, EmptyAndClearedTablesFindNothing) {
  Table t;
  EXPECT_EQ(t.find(5), t.end());
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(t.begin(), t.end());
  t.emplace(5, std::make_unique<int>(1));
  t.clear();
  EXPECT_EQ(t.find(5), t.end());
  EXPECT_EQ(t.size(), 0u);
  t.emplace(5, std::make_unique<int>(2));
  EXPECT_EQ(*t.find(5)->second, 2);
}

}  // namespace
}  // namespace vpdnd::vpdn::detail
