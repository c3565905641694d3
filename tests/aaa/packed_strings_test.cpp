// common/packed_strings.hpp, which the AAA session, the LNS call and the L2TP session keep
// their per-session texts in (tested here, with its main user).
#include "common/packed_strings.hpp"

#include <gtest/gtest.h>

#include <string>

namespace vpdnd {
namespace {

TEST(PackedStrings, AssignGetAndSetKeepEveryOtherString) {
  PackedStrings<4> p;
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(p.get(i), "");
  p.assign({"alice@corp.com", "", "Virtual-Template1:5"});  // the fourth stays empty
  EXPECT_EQ(p.get(0), "alice@corp.com");
  EXPECT_EQ(p.get(1), "");
  EXPECT_EQ(p.get(2), "Virtual-Template1:5");
  EXPECT_EQ(p.get(3), "");
  p.set(1, "corp.com");
  p.set(3, "last");
  p.set(0, "bob");
  EXPECT_EQ(p.str(0), "bob");
  EXPECT_EQ(p.get(1), "corp.com");
  EXPECT_EQ(p.get(2), "Virtual-Template1:5");
  EXPECT_EQ(p.get(3), "last");
  p.set(2, "");
  EXPECT_EQ(p.get(1), "corp.com");
  EXPECT_EQ(p.get(2), "");
  EXPECT_EQ(p.get(3), "last");
  // A value taken from the object itself.
  p.set(2, p.get(1));
  EXPECT_EQ(p.get(2), "corp.com");
  p.assign({p.get(3), p.get(0)});
  EXPECT_EQ(p.get(0), "last");
  EXPECT_EQ(p.get(1), "bob");
  EXPECT_EQ(p.get(2), "");
  EXPECT_EQ(p.get(3), "");
  PackedStrings<4> q{"last", "bob"};
  EXPECT_EQ(p, q);
}

TEST(PackedStrings, BinaryTextAndTheLengthCap) {
  const std::string nul("a\0b", 3);
  PackedStrings<2> p{nul, "x"};
  EXPECT_EQ(p.get(0), nul);
  EXPECT_EQ(p.get(1), "x");
  // 65,535 bytes in all at most: longer input is cut, the strings stay consistent.
  const std::string big(70000, 'z');
  p.set(0, big);
  EXPECT_EQ(p.get(0).size() + p.get(1).size(), 65535u);
  EXPECT_EQ(p.get(1), "x");
  p.set(0, "small");
  EXPECT_EQ(p.get(0), "small");
  EXPECT_EQ(p.get(1), "x");
  PackedStrings<2> q{big, big};
  EXPECT_EQ(q.get(0).size(), 65535u);
  EXPECT_EQ(q.get(1), "");
}

}  // namespace
}  // namespace vpdnd
