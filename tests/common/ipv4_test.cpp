#include "common/ipv4.hpp"

#include <gtest/gtest.h>

namespace vpdnd {
namespace {

TEST(Ipv4, ParsesAndPrints) {
  auto a = Ipv4::parse("192.168.0.10");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->value, 0xc0a8000au);
  EXPECT_EQ(a->to_string(), "192.168.0.10");
  EXPECT_EQ(Ipv4::parse("0.0.0.0")->value, 0u);
}

TEST(Ipv4, RejectsMalformed) {
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.a", "01.2.3.4", "1..2.3",
                          " 1.2.3.4", "1.2.3.4 ", "-1.2.3.4", "1.2.3.4/24"}) {
    EXPECT_FALSE(Ipv4::parse(bad)) << bad;
  }
}

TEST(Ipv4, MaskPrefix) {
  EXPECT_EQ(mask_to_prefix(*Ipv4::parse("255.255.255.0")), 24);
  EXPECT_EQ(mask_to_prefix(*Ipv4::parse("0.0.0.0")), 0);
  EXPECT_EQ(mask_to_prefix(*Ipv4::parse("255.255.255.255")), 32);
  EXPECT_FALSE(mask_to_prefix(*Ipv4::parse("255.0.255.0")));
  EXPECT_EQ(prefix_to_mask(20).to_string(), "255.255.240.0");
}

}  // namespace
}  // namespace vpdnd
