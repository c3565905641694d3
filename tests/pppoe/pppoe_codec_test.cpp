#include <gtest/gtest.h>

#include "ppp/pppoe.hpp"
#include "tests/support/bytes.hpp"

namespace vpdnd::ppp {
namespace {

using test::hex;

// A PADI as rp-pppoe's pppoe client sends it: broadcast, empty Service-Name, Host-Uniq.
const char* kPadi =
    "ff ff ff ff ff ff 02 00 00 00 00 01 88 63 11 09 00 00 00 0c"
    " 01 01 00 00 01 03 00 04 de ad be ef";
// The same with Ethernet padding to 60 octets (short frames are padded on the wire).
const char* kPadiPadded =
    "ff ff ff ff ff ff 02 00 00 00 00 01 88 63 11 09 00 00 00 0c"
    " 01 01 00 00 01 03 00 04 de ad be ef 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
    " 00 00 00 00 00 00 00 00 00 00 00 00";

TEST(PppoeCodec, DecodesPadi) {
  for (const char* fixture : {kPadi, kPadiPadded}) {
    auto p = decode_pppoe_discovery(hex(fixture));
    ASSERT_TRUE(p) << to_string(p.error());
    EXPECT_EQ(p->code, PppoeCode::padi);
    EXPECT_EQ(p->dst, kBroadcastMac);
    EXPECT_EQ(to_string(p->src), "02:00:00:00:00:01");
    ASSERT_EQ(p->tags.size(), 2u);
    EXPECT_EQ(p->tags[0].type, pppoe_tag::service_name);
    EXPECT_TRUE(p->tags[0].value.empty());
    EXPECT_EQ(p->find(pppoe_tag::host_uniq)->value, hex("deadbeef"));
  }
}

TEST(PppoeCodec, RoundTripsEveryCode) {
  for (PppoeCode code :
       {PppoeCode::padi, PppoeCode::pado, PppoeCode::padr, PppoeCode::pads, PppoeCode::padt}) {
    PppoeDiscovery p;
    p.dst = code == PppoeCode::padi ? kBroadcastMac : MacAddress{2, 0, 0, 0, 0, 9};
    p.src = {2, 0, 0, 0, 0, 1};
    p.code = code;
    p.session_id = (code == PppoeCode::pads || code == PppoeCode::padt) ? 0x1234 : 0;
    p.add(pppoe_tag::service_name, "corp");
    p.add(pppoe_tag::ac_name, "BRAS-1");
    p.add(pppoe_tag::ac_cookie, hex("01020304"));
    p.add(pppoe_tag::relay_session_id, hex("aabb"));
    Bytes wire = encode_pppoe_discovery(p);
    EXPECT_EQ(wire.size(), 14u + 6u + (4 + 4) + (4 + 6) + (4 + 4) + (4 + 2));
    auto back = decode_pppoe_discovery(wire);
    ASSERT_TRUE(back) << to_string(back.error());
    EXPECT_EQ(*back, p);
  }
}

TEST(PppoeCodec, EndOfListStopsTagParsing) {
  // Service-Name, End-Of-List, then garbage that would be a bad tag.
  auto p =
      decode_pppoe_discovery(hex("ff ff ff ff ff ff 02 00 00 00 00 01 88 63 11 09 00 00 00 0b"
                                 " 01 01 00 00 00 00 00 00 ff ff 09"));
  ASSERT_TRUE(p) << to_string(p.error());
  EXPECT_EQ(p->tags.size(), 1u);
}

struct Bad {
  const char* name;
  const char* hex;
  PppoeDecodeError::Kind kind;
};

class PppoeCodecBad : public ::testing::TestWithParam<Bad> {};

TEST_P(PppoeCodecBad, Rejects) {
  auto p = decode_pppoe_discovery(hex(GetParam().hex));
  ASSERT_FALSE(p) << GetParam().name;
  EXPECT_EQ(p.error().kind, GetParam().kind) << to_string(p.error());
}

using K = PppoeDecodeError::Kind;
INSTANTIATE_TEST_SUITE_P(
    Fixtures, PppoeCodecBad,
    ::testing::Values(
        Bad{"empty", "", K::truncated},
        Bad{"ethernet only", "ff ff ff ff ff ff 02 00 00 00 00 01 88 63", K::truncated},
        Bad{"session ethertype", "ff ff ff ff ff ff 02 00 00 00 00 01 88 64 11 09 00 00 00 00",
            K::bad_ethertype},
        Bad{"version 2", "ff ff ff ff ff ff 02 00 00 00 00 01 88 63 21 09 00 00 00 04 01 01 00 00",
            K::bad_version},
        Bad{"unknown code",
            "ff ff ff ff ff ff 02 00 00 00 00 01 88 63 11 42 00 00 00 04 01 01 00 00", K::bad_code},
        Bad{"session code on discovery",
            "ff ff ff ff ff ff 02 00 00 00 00 01 88 63 11 00 00 00 00 04 01 01 00 00", K::bad_code},
        Bad{"length past frame",
            "ff ff ff ff ff ff 02 00 00 00 00 01 88 63 11 09 00 00 00 10 01 01 00 00",
            K::truncated},
        Bad{"tag past payload",
            "ff ff ff ff ff ff 02 00 00 00 00 01 88 63 11 09 00 00 00 06 01 01 00 05 61 62",
            K::bad_tag},
        Bad{"truncated tag header",
            "ff ff ff ff ff ff 02 00 00 00 00 01 88 63 11 09 00 00 00 06 01 01 00 00 01 03",
            K::bad_tag},
        Bad{"padi without service name",
            "ff ff ff ff ff ff 02 00 00 00 00 01 88 63 11 09 00 00 00 04 01 03 00 00",
            K::missing_tag},
        Bad{"padi unicast",
            "02 00 00 00 00 09 02 00 00 00 00 01 88 63 11 09 00 00 00 04 01 01 00 00",
            K::bad_destination},
        Bad{"padi with session id",
            "ff ff ff ff ff ff 02 00 00 00 00 01 88 63 11 09 00 05 00 04 01 01 00 00",
            K::bad_session_id},
        Bad{"pado without ac-name",
            "02 00 00 00 00 01 02 00 00 00 00 09 88 63 11 07 00 00 00 04 01 01 00 00",
            K::missing_tag},
        Bad{"padr to broadcast",
            "ff ff ff ff ff ff 02 00 00 00 00 01 88 63 11 19 00 00 00 04 01 01 00 00",
            K::bad_destination},
        Bad{"padr without service name",
            "02 00 00 00 00 09 02 00 00 00 00 01 88 63 11 19 00 00 00 00", K::missing_tag},
        Bad{"padt session 0", "02 00 00 00 00 09 02 00 00 00 00 01 88 63 11 a7 00 00 00 00",
            K::bad_session_id}),
    [](const auto& info) {
      std::string n = info.param.name;
      for (auto& c : n)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      return n;
    });

TEST(PppoeCodec, DecodesAtNonZeroOffset) {
  Bytes buf(3, 0xee);
  Bytes f = hex(kPadi);
  buf.insert(buf.end(), f.begin(), f.end());
  auto p = decode_pppoe_discovery(ByteView(buf).subspan(3));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->code, PppoeCode::padi);
}

TEST(PppoeCodec, SessionFrames) {
  Bytes lcp = hex("c0 21 01 01 00 04");
  Bytes wire = encode_pppoe_session({2, 0, 0, 0, 0, 9}, {2, 0, 0, 0, 0, 1}, 0x0042, lcp);
  EXPECT_EQ(to_hex(ByteView(wire).first(20)),
            "02 00 00 00 00 09 02 00 00 00 00 01 88 64 11 00 00 42 00 06");
  wire.resize(60, 0);  // Ethernet padding
  auto f = decode_pppoe_session(wire);
  ASSERT_TRUE(f) << to_string(f.error());
  EXPECT_EQ(f->session_id, 0x42);
  EXPECT_EQ(Bytes(f->ppp.begin(), f->ppp.end()), lcp);

  EXPECT_EQ(
      decode_pppoe_session(hex("02 00 00 00 00 09 02 00 00 00 00 01 88 64 11 00 00 00 00 02 c0 21"))
          .error()
          .kind,
      K::bad_session_id);
  EXPECT_EQ(
      decode_pppoe_session(hex("02 00 00 00 00 09 02 00 00 00 00 01 88 64 11 09 00 01 00 02 c0 21"))
          .error()
          .kind,
      K::bad_code);
  EXPECT_EQ(
      decode_pppoe_session(hex("02 00 00 00 00 09 02 00 00 00 00 01 88 64 11 00 00 01 00 09 c0 21"))
          .error()
          .kind,
      K::truncated);
  EXPECT_EQ(
      decode_pppoe_session(hex("02 00 00 00 00 09 02 00 00 00 00 01 88 64 11 00 00 01 00 01 c0"))
          .error()
          .kind,
      K::truncated);
  EXPECT_EQ(decode_pppoe_session(hex(kPadi)).error().kind, K::bad_ethertype);
}

TEST(PppoeCodec, MacText) {
  auto m = parse_mac("02:0A:ff:00:10:01");
  ASSERT_TRUE(m);
  EXPECT_EQ(to_string(*m), "02:0a:ff:00:10:01");
  EXPECT_FALSE(parse_mac("02:0a:ff:00:10"));
  EXPECT_FALSE(parse_mac("02-0a-ff-00-10-01"));
  EXPECT_FALSE(parse_mac("02:0a:ff:00:10:0g"));
}

}  // namespace
}  // namespace vpdnd::ppp
