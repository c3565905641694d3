#include "common/id_index.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <vector>

namespace vpdnd {
namespace {

// The index against std::map under random puts and erases of random ids (clusters grow,
// backward shifts run across the wrap of the table), growing to 65,535 ids and back.
TEST(IdIndex, MatchesAMapUnderRandomPutAndErase) {
  IdIndex<int> index;
  std::map<std::uint16_t, int*> model;
  std::vector<int> values(65536);
  std::mt19937 rng(20261207);
  for (int round = 0; round < 3; ++round) {
    for (int step = 0; step < 200000; ++step) {
      const auto id = static_cast<std::uint16_t>(1 + rng() % 65535);
      const bool add = round == 1 ? rng() % 4 != 0 : rng() % 3 == 0;
      if (add) {
        index.put(id, &values[id]);
        model[id] = &values[id];
      } else {
        index.erase(id);
        model.erase(id);
      }
      const auto probe = static_cast<std::uint16_t>(1 + rng() % 65535);
      auto m = model.find(probe);
      ASSERT_EQ(index.get(probe), m == model.end() ? nullptr : m->second) << probe;
      ASSERT_EQ(index.size(), model.size());
    }
    for (std::uint32_t id = 1; id <= 65535; ++id) {
      auto m = model.find(static_cast<std::uint16_t>(id));
      ASSERT_EQ(index.get(static_cast<std::uint16_t>(id)), m == model.end() ? nullptr : m->second);
    }
  }
  for (auto& [id, v] : model) index.erase(id);
  EXPECT_EQ(index.size(), 0u);
  EXPECT_EQ(index.capacity(), 0u);
}

TEST(IdIndex, PutReplacesAndEraseOfUnknownIsANoOp) {
  IdIndex<int> index;
  int a = 1, b = 2;
  EXPECT_EQ(index.get(7), nullptr);
  index.erase(7);
  index.put(7, &a);
  index.put(7, &b);
  EXPECT_EQ(index.size(), 1u);
  EXPECT_EQ(index.get(7), &b);
  index.erase(8);
  EXPECT_EQ(index.get(7), &b);
}

// prefetch() is a hint: on an empty index, on absent and present ids it changes nothing.
TEST(IdIndex, PrefetchChangesNothing) {
  IdIndex<int> index;
  index.prefetch(5);  // empty: no table to touch
  EXPECT_EQ(index.size(), 0u);
  int a = 1;
  index.put(5, &a);
  for (std::uint16_t id : {0, 5, 6, 65535}) index.prefetch(id);
  EXPECT_EQ(index.size(), 1u);
  EXPECT_EQ(index.get(5), &a);
  EXPECT_EQ(index.get(6), nullptr);
}

}  // namespace
}  // namespace vpdnd
