#include "common/mschap.hpp"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/bytes.hpp"

namespace vpdnd::mschap {
namespace {

using test::hex;

template <typename T>
std::string up(const T& v) {
  std::string s = to_hex(ByteView(v.data(), v.size()), '\0');
  std::string out;
  for (char c : s)
    if (c != '\0') out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// RFC 2759 §9.2 (and RFC 3079 §3.5.3).
const Bytes kAuthChallenge = hex("5B5D7C7D7B3F2F3E3C2C602132262628");
const Bytes kPeerChallenge = hex("21402324255E262A28295F2B3A337C7E");
constexpr std::string_view kUser = "User";
constexpr std::string_view kPassword = "clientPass";

TEST(MsChap, LegacyProviderAvailable) {
  EXPECT_TRUE(available());
}

TEST(MsChapV2, Rfc2759Vectors) {
  const Hash16 ph = nt_password_hash(kPassword);
  EXPECT_EQ(up(ph), "44EBBA8D5312B8D611474411F56989AE");
  EXPECT_EQ(up(hash_nt_password_hash(ph)), "41C00C584BD2D91C4017A2A12FA59F3F");
  EXPECT_EQ(up(challenge_hash(kPeerChallenge, kAuthChallenge, kUser)), "D02E4386BCE91226");
  const NtResponse nt = v2_nt_response(kAuthChallenge, kPeerChallenge, kUser, ph);
  EXPECT_EQ(up(nt), "82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF");
  EXPECT_EQ(authenticator_response(ph, nt, kPeerChallenge, kAuthChallenge, kUser),
            "S=407A5589115FD0D6209F510FE9C04566932CDA56");
}

TEST(MsChapV2, ChecksTheAuthenticatorResponse) {
  const Hash16 ph = nt_password_hash(kPassword);
  const NtResponse nt = v2_nt_response(kAuthChallenge, kPeerChallenge, kUser, ph);
  EXPECT_TRUE(check_authenticator_response(ph, nt, kPeerChallenge, kAuthChallenge, kUser,
                                           "S=407A5589115FD0D6209F510FE9C04566932CDA56"));
  EXPECT_TRUE(check_authenticator_response(ph, nt, kPeerChallenge, kAuthChallenge, kUser,
                                           "S=407a5589115fd0d6209f510fe9c04566932cda56"));
  EXPECT_FALSE(check_authenticator_response(ph, nt, kPeerChallenge, kAuthChallenge, kUser,
                                            "S=407A5589115FD0D6209F510FE9C04566932CDA57"));
  EXPECT_FALSE(check_authenticator_response(ph, nt, kPeerChallenge, kAuthChallenge, kUser, ""));
  EXPECT_FALSE(check_authenticator_response(nt_password_hash("other"), nt, kPeerChallenge,
                                            kAuthChallenge, kUser,
                                            "S=407A5589115FD0D6209F510FE9C04566932CDA56"));
}

TEST(MsChapV2, DomainPrefixIsNotHashed) {
  EXPECT_EQ(challenge_hash(kPeerChallenge, kAuthChallenge, "CORP\\User"),
            challenge_hash(kPeerChallenge, kAuthChallenge, kUser));
}

// RFC 3079 §3.5.3: MasterKey and the 128-bit start keys (the RFC's SendStartKey128 is
// the server's send key).
TEST(MsChapV2, Rfc3079MppeKeys) {
  const Hash16 ph = nt_password_hash(kPassword);
  const NtResponse nt = v2_nt_response(kAuthChallenge, kPeerChallenge, kUser, ph);
  EXPECT_EQ(up(master_key(hash_nt_password_hash(ph), nt)), "FDECE3717A8C838CB388E527AE3CDD31");
  MppeKeys server = v2_mppe_keys(ph, nt, true);
  EXPECT_EQ(up(server.send), "8B7CDC149B993A1BA118CB153F56DCCB");
  EXPECT_EQ(up(server.recv), "D5F0E9521E3EA9589645E86051C82226");
  MppeKeys client = v2_mppe_keys(ph, nt, false);
  EXPECT_EQ(client.send, server.recv);
  EXPECT_EQ(client.recv, server.send);
}

TEST(MsChapV2, VerifiesAResponse) {
  V2Response r;
  std::copy(kPeerChallenge.begin(), kPeerChallenge.end(), r.peer_challenge.begin());
  r.nt_response =
      v2_nt_response(kAuthChallenge, kPeerChallenge, kUser, nt_password_hash(kPassword));
  Bytes value = encode_v2_response(r);
  ASSERT_EQ(value.size(), kResponseSize);
  auto ok = verify_v2(kPassword, kAuthChallenge, value, kUser);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->authenticator_response, "S=407A5589115FD0D6209F510FE9C04566932CDA56");
  EXPECT_EQ(up(ok->keys.send), "8B7CDC149B993A1BA118CB153F56DCCB");
  EXPECT_FALSE(verify_v2("clientpass", kAuthChallenge, value, kUser));
  EXPECT_FALSE(verify_v2(kPassword, kAuthChallenge, value, "Other"));
  EXPECT_FALSE(verify_v2(kPassword, ByteView(kAuthChallenge).first(8), value, kUser));
  value[20] = 1;  // reserved octets must be zero
  EXPECT_FALSE(verify_v2(kPassword, kAuthChallenge, value, kUser));
  value.pop_back();
  EXPECT_FALSE(verify_v2(kPassword, kAuthChallenge, value, kUser));
}

// RFC 2433 §B.2: password "MyPw", challenge 102DB5DF085D3041.
TEST(MsChapV1, Rfc2433Vectors) {
  const Hash16 ph = nt_password_hash("MyPw");
  EXPECT_EQ(up(ph), "FC156AF7EDCD6C0EDDE3337D427F4EAC");
  const Bytes challenge = hex("102DB5DF085D3041");
  EXPECT_EQ(up(v1_nt_response(challenge, ph)), "4E9D3C8F9CFD385D5BF4D3246791956CA4C351AB409A3D61");
}

TEST(MsChapV1, VerifiesAResponse) {
  const Bytes challenge = hex("102DB5DF085D3041");
  V1Response r;
  r.nt_response = v1_nt_response(challenge, nt_password_hash("MyPw"));
  Bytes value = encode_v1_response(r);
  auto ok = verify_v1("MyPw", challenge, value);
  ASSERT_TRUE(ok);
  EXPECT_TRUE(ok->authenticator_response.empty());
  EXPECT_EQ(ok->keys.send, ok->keys.recv);
  EXPECT_FALSE(verify_v1("mypw", challenge, value));
  value[48] = 0;  // LAN Manager response only: refused
  EXPECT_FALSE(verify_v1("MyPw", challenge, value));
}

TEST(MsChap, PasswordIsUtf16) {
  // "é" is U+00E9 whether given as UTF-8 or as a lone Latin-1 byte.
  EXPECT_EQ(nt_password_hash("\xc3\xa9"), nt_password_hash("\xe9"));
  EXPECT_NE(nt_password_hash("\xc3\xa9"), nt_password_hash("e"));
}

TEST(MsChap, Messages) {
  EXPECT_EQ(v2_success_message("S=407A5589115FD0D6209F510FE9C04566932CDA56", "Welcome"),
            "S=407A5589115FD0D6209F510FE9C04566932CDA56 M=Welcome");
  EXPECT_EQ(failure_message(691, false, kAuthChallenge, "Authentication failure"),
            "E=691 R=0 C=5B5D7C7D7B3F2F3E3C2C602132262628 V=3 M=Authentication failure");
  EXPECT_EQ(success_authenticator("S=407A5589115FD0D6209F510FE9C04566932CDA56 M=hi there"),
            "S=407A5589115FD0D6209F510FE9C04566932CDA56");
  EXPECT_FALSE(success_authenticator("S=407A M=x"));
  EXPECT_FALSE(success_authenticator("M=S=407A5589115FD0D6209F510FE9C04566932CDA56"));
  auto f = parse_failure("E=691 R=1 C=00 V=3 M=bad password here");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->error, 691u);
  EXPECT_TRUE(f->retry);
  EXPECT_EQ(f->message, "bad password here");
  EXPECT_FALSE(parse_failure("M=E=691"));
  EXPECT_FALSE(parse_failure("E=abc"));
}

}  // namespace
}  // namespace vpdnd::mschap
