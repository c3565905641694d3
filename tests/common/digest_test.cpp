#include "common/digest.hpp"

#include <gtest/gtest.h>

#include <string>

namespace vpdnd {
namespace {

std::string hex(const Md5Digest& d) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (auto b : d) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

// RFC 1321 appendix A.5 test suite.
TEST(Md5, MatchesRfc1321Vectors) {
  EXPECT_EQ(hex(md5({})), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(hex(md5({as_bytes("abc")})), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(hex(md5({as_bytes("message digest")})), "f96b697d7cb7938d525a2f31aaf161d0");
}

TEST(Md5, DigestsTheConcatenationOfItsParts) {
  EXPECT_EQ(md5({as_bytes("mess"), as_bytes(""), as_bytes("age digest")}),
            md5({as_bytes("message digest")}));
}

TEST(EqualSecret, ComparesContentAndLength) {
  EXPECT_TRUE(equal_secret(std::string_view("secret"), std::string_view("secret")));
  EXPECT_FALSE(equal_secret(std::string_view("secret"), std::string_view("secreT")));
  EXPECT_FALSE(equal_secret(std::string_view("secret"), std::string_view("secret1")));
  EXPECT_FALSE(equal_secret(std::string_view(""), std::string_view("x")));
  EXPECT_TRUE(equal_secret(std::string_view(""), std::string_view("")));
}

}  // namespace
}  // namespace vpdnd
