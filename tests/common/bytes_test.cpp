#include "common/bytes.hpp"

#include <gtest/gtest.h>

namespace vpdnd {
namespace {

TEST(ByteReader, ReadsBigEndianAndFailsStickyOnShortInput) {
  const Bytes data{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
  ByteReader r(data);
  EXPECT_EQ(r.u8(), 0x01);
  EXPECT_EQ(r.u16(), 0x0203);
  EXPECT_EQ(r.u32(), 0x04050607u);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.u16(), 0);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.u8(), 0);
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(ByteReader, BytesViewDoesNotOverrun) {
  const Bytes data{1, 2, 3};
  ByteReader r(data);
  EXPECT_EQ(r.bytes(2).size(), 2u);
  EXPECT_TRUE(r.bytes(2).empty());
  EXPECT_FALSE(r.ok());
}

TEST(ByteWriter, WritesAndPatches) {
  ByteWriter w;
  w.u16(0);
  w.u32(0xdeadbeef);
  w.bytes(std::string_view("ab"));
  w.patch_u16(0, 0xc802);
  EXPECT_EQ(to_hex(w.buffer()), "c8 02 de ad be ef 61 62");
}

TEST(Hex, ParsesAndRejects) {
  Bytes out;
  EXPECT_TRUE(parse_hex("c8 02:00\n0a", out));
  EXPECT_EQ(out, (Bytes{0xc8, 0x02, 0x00, 0x0a}));
  Bytes bad;
  EXPECT_FALSE(parse_hex("zz", bad));
  Bytes odd;
  EXPECT_FALSE(parse_hex("abc", odd));
}

}  // namespace
}  // namespace vpdnd
