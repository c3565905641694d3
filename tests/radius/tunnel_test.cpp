#include "aaa/radius/tunnel.hpp"

#include <gtest/gtest.h>

namespace vpdnd::aaa::detail {
namespace {

Authenticator auth_of(std::uint8_t seed) {
  Authenticator a{};
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<std::uint8_t>(seed + i * 7);
  return a;
}

TEST(TunnelPassword, RoundTripsAllLengths) {
  auto ra = auth_of(3);
  for (std::size_t n = 0; n < 60; ++n) {
    std::string pw(n, 'x');
    for (std::size_t i = 0; i < n; ++i) pw[i] = static_cast<char>('a' + i % 26);
    auto enc = encrypt_tunnel_password(pw, 0x1234, "testing123", ra);
    EXPECT_EQ((enc.size() - 2) % 16, 0u);
    EXPECT_TRUE(enc[0] & 0x80);
    auto dec = decrypt_tunnel_password(enc, "testing123", ra);
    ASSERT_TRUE(dec) << n;
    EXPECT_EQ(*dec, pw);
    // A wrong secret or authenticator does not give the password back.
    auto wrong = decrypt_tunnel_password(enc, "testing124", ra);
    EXPECT_TRUE(!wrong || *wrong != pw || pw.empty());
  }
}

TEST(TunnelPassword, KnownAnswer) {
  // b1 = MD5("s" + RA(0..15) + salt 0x80 0x01), first cipher block = (len,'p','w',0...) ^ b1.
  // Cross-checked with Python hashlib: see the expected bytes below.
  Authenticator ra{};
  for (std::size_t i = 0; i < 16; ++i) ra[i] = static_cast<std::uint8_t>(i);
  auto enc = encrypt_tunnel_password("pw", 0x0001, "s", ra);
  ASSERT_EQ(enc.size(), 18u);
  EXPECT_EQ(enc[0], 0x80);
  EXPECT_EQ(enc[1], 0x01);
  const std::uint8_t expect[16] = {0x6f, 0x0c, 0xd4, 0x99, 0x02, 0x30, 0x92, 0xb5,
                                   0xc5, 0x9f, 0x31, 0x80, 0xde, 0x1e, 0xed, 0xb4};
  EXPECT_EQ(std::vector<std::uint8_t>(enc.begin() + 2, enc.end()),
            std::vector<std::uint8_t>(expect, expect + 16));
}

TEST(TunnelPassword, MalformedIsRejected) {
  auto ra = auth_of(1);
  EXPECT_FALSE(decrypt_tunnel_password({}, "k", ra));
  std::vector<std::uint8_t> short_one(17, 0x80);
  EXPECT_FALSE(decrypt_tunnel_password(short_one, "k", ra));
  std::vector<std::uint8_t> odd(2 + 20, 0x80);
  EXPECT_FALSE(decrypt_tunnel_password(odd, "k", ra));
  auto enc = encrypt_tunnel_password("pw", 7, "k", ra);
  enc[0] &= 0x7f;  // salt high bit clear
  EXPECT_FALSE(decrypt_tunnel_password(enc, "k", ra));
  // A length octet beyond the data.
  auto enc2 = encrypt_tunnel_password("", 7, "k", ra);
  enc2[2] ^= 0xff;  // plaintext length becomes 0xff
  EXPECT_FALSE(decrypt_tunnel_password(enc2, "k", ra));
}

std::vector<std::uint8_t> tagged_int(std::uint8_t tag, std::uint32_t v) {
  return {tag, static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 8),
          static_cast<std::uint8_t>(v)};
}
std::vector<std::uint8_t> tagged_str(std::uint8_t tag, std::string s) {
  if (tag) s.insert(s.begin(), static_cast<char>(tag));
  return std::vector<std::uint8_t>(s.begin(), s.end());
}

TEST(TunnelAttributes, GroupsByTagAndDecrypts) {
  auto ra = auth_of(9);
  auto pw1 = encrypt_tunnel_password("one", 0x11, "sec", ra);
  pw1.insert(pw1.begin(), 1);
  auto pw2 = encrypt_tunnel_password("two-two-two-two-two", 0x22, "sec", ra);
  pw2.insert(pw2.begin(), 2);
  std::vector<RawAttribute> attrs = {
      {64, tagged_int(1, 3)},
      {65, tagged_int(1, 1)},
      {67, tagged_str(1, "10.0.0.3")},
      {69, pw1},
      {83, tagged_int(1, 20)},
      {82, tagged_str(1, "b")},
      {90, tagged_str(1, "LAC")},
      {64, tagged_int(2, 3)},
      {65, tagged_int(2, 1)},
      {67, tagged_str(2, "10.0.0.2")},
      {69, pw2},
      {83, tagged_int(2, 10)},
      {18, {'x'}},   // not a tunnel attribute
      {83, {1, 2}},  // malformed: ignored
  };
  int bad = 0;
  auto sets = decode_tunnel_attributes(attrs, "sec", ra, &bad);
  EXPECT_EQ(bad, 0);
  ASSERT_EQ(sets.size(), 2u);
  EXPECT_EQ(sets[0].tag, 1);
  EXPECT_EQ(sets[0].type, 3u);
  EXPECT_EQ(sets[0].medium, 1u);
  EXPECT_EQ(sets[0].server_endpoint, Ipv4::parse("10.0.0.3"));
  EXPECT_EQ(sets[0].password, "one");
  EXPECT_EQ(sets[0].preference, 20u);
  EXPECT_EQ(sets[0].assignment_id, "b");
  EXPECT_EQ(sets[0].client_auth_id, "LAC");
  EXPECT_EQ(sets[1].password, "two-two-two-two-two");
  auto ordered = order_l2tp_tunnels(sets);
  EXPECT_EQ(ordered[0].server_endpoint, Ipv4::parse("10.0.0.2"));
  // Wrong secret: the password is counted bad (or garbage), never a crash.
  bad = 0;
  auto wrong = decode_tunnel_attributes(attrs, "other", ra, &bad);
  EXPECT_NE(wrong[0].password, "one");
}

TEST(TunnelAttributes, UntaggedStringsAndHostNames) {
  Authenticator ra{};
  std::vector<RawAttribute> attrs = {
      {64, tagged_int(0, 3)},
      {67, tagged_str(0, "lns.example.com")},  // no tag octet, first char > 0x1f
  };
  auto sets = decode_tunnel_attributes(attrs, "k", ra);
  ASSERT_EQ(sets.size(), 1u);
  EXPECT_EQ(sets[0].tag, 0);
  EXPECT_FALSE(sets[0].server_endpoint);
  EXPECT_EQ(sets[0].server_endpoint_text, "lns.example.com");
}

}  // namespace
}  // namespace vpdnd::aaa::detail
