// Test helper: byte fixtures written as hex text.
#pragma once

#include <gtest/gtest.h>

#include <string_view>

#include "common/bytes.hpp"

namespace vpdnd::test {

// The bytes `text` spells (parse_hex syntax); a test failure when it is not hex.
inline Bytes hex(std::string_view text) {
  Bytes b;
  EXPECT_TRUE(parse_hex(text, b)) << text;
  return b;
}

}  // namespace vpdnd::test
