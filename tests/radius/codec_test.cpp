// The RADIUS codec on byte fixtures: RFC 2865 §7.1's PAP exchange, and replies that must be
// refused.
#include "aaa/radius/codec.hpp"

#include <gtest/gtest.h>

namespace vpdnd::aaa::radius {
namespace {

// RFC 2865 §7.1: NAS 192.168.1.16 sends user "nemo", password "arctangent", secret
// "xyzzy5461"; the server answers with an Access-Accept.
const std::vector<std::uint8_t> kRfcRequest = {
    0x01, 0x00, 0x00, 0x38, 0x0f, 0x40, 0x3f, 0x94, 0x73, 0x97, 0x80, 0x57, 0xbd, 0x83,
    0xd5, 0xcb, 0x98, 0xf4, 0x22, 0x7a, 0x01, 0x06, 0x6e, 0x65, 0x6d, 0x6f, 0x02, 0x12,
    0x0d, 0xbe, 0x70, 0x8d, 0x93, 0xd4, 0x13, 0xce, 0x31, 0x96, 0xe4, 0x3f, 0x78, 0x2a,
    0x0a, 0xee, 0x04, 0x06, 0xc0, 0xa8, 0x01, 0x10, 0x05, 0x06, 0x00, 0x00, 0x00, 0x03};
const std::vector<std::uint8_t> kRfcAccept = {
    0x02, 0x00, 0x00, 0x26, 0x86, 0xfe, 0x22, 0x0e, 0x76, 0x24, 0xba, 0x2a, 0x10,
    0x05, 0xf6, 0xbf, 0x9b, 0x55, 0xe0, 0xb2, 0x06, 0x06, 0x00, 0x00, 0x00, 0x01,
    0x0f, 0x06, 0x00, 0x00, 0x00, 0x00, 0x0e, 0x06, 0xc0, 0xa8, 0x01, 0x03};
constexpr const char* kRfcSecret = "xyzzy5461";

Authenticator rfc_ra() {
  Authenticator a{};
  std::copy(kRfcRequest.begin() + 4, kRfcRequest.begin() + 20, a.begin());
  return a;
}

TEST(RadiusCodec, UserPasswordHidingMatchesRfcExample) {
  auto p = decode(kRfcRequest);
  ASSERT_TRUE(p);
  ASSERT_EQ(p->attributes.size(), 4u);
  EXPECT_EQ(p->attributes[1].type, kUserPassword);
  EXPECT_EQ(hide_user_password("arctangent", kRfcSecret, rfc_ra()), p->attributes[1].value);
  EXPECT_EQ(unhide_user_password(p->attributes[1].value, kRfcSecret, rfc_ra()), "arctangent");
}

TEST(RadiusCodec, RfcAcceptVerifies) {
  Packet p;
  EXPECT_EQ(check_reply(kRfcAccept, 0, rfc_ra(), kRfcSecret, false, false, &p), ReplyCheck::ok);
  EXPECT_EQ(p.code, kAccessAccept);
  EXPECT_EQ(p.attributes.size(), 3u);
  // The RFC's server sends no Message-Authenticator: refused when one is required.
  EXPECT_EQ(check_reply(kRfcAccept, 0, rfc_ra(), kRfcSecret, false, true),
            ReplyCheck::missing_message_authenticator);
}

TEST(RadiusCodec, ForgedRepliesRefused) {
  auto zero = kRfcAccept;
  std::fill(zero.begin() + 4, zero.begin() + 20, 0);
  EXPECT_EQ(check_reply(zero, 0, rfc_ra(), kRfcSecret, false, false),
            ReplyCheck::bad_authenticator);
  EXPECT_EQ(check_reply(kRfcAccept, 0, rfc_ra(), "another", false, false),
            ReplyCheck::bad_authenticator);
  EXPECT_EQ(check_reply(kRfcAccept, 1, rfc_ra(), kRfcSecret, false, false), ReplyCheck::bad_id);
  EXPECT_EQ(check_reply(kRfcAccept, 0, rfc_ra(), kRfcSecret, true, false), ReplyCheck::bad_code);
  auto flipped = kRfcAccept;
  flipped.back() ^= 1;  // attribute changed in transit
  EXPECT_EQ(check_reply(flipped, 0, rfc_ra(), kRfcSecret, false, false),
            ReplyCheck::bad_authenticator);
}

TEST(RadiusCodec, MalformedRefused) {
  EXPECT_EQ(check_reply(std::vector<std::uint8_t>(19, 0), 0, {}, "s", false, false),
            ReplyCheck::malformed);
  auto longer = kRfcAccept;
  longer[3] = 0x27;  // Length beyond the datagram
  EXPECT_FALSE(decode(longer));
  auto bad_attr = kRfcAccept;
  bad_attr[21] = 1;  // attribute length < 2
  EXPECT_FALSE(decode(bad_attr));
  // Octets past Length are padding (RFC 2865 §3).
  auto padded = kRfcAccept;
  padded.push_back(0xff);
  EXPECT_EQ(check_reply(padded, 0, rfc_ra(), kRfcSecret, false, false), ReplyCheck::ok);
}

TEST(RadiusCodec, MessageAuthenticatorRoundTrip) {
  Authenticator ra{};
  ra.fill(0x5a);
  std::vector<Attribute> attrs = {{kReplyMessage, {'h', 'i'}}};
  auto signed_reply = encode_reply(kAccessReject, 7, ra, attrs, "k", true);
  EXPECT_EQ(signed_reply[20], kMessageAuthenticator);
  EXPECT_EQ(check_reply(signed_reply, 7, ra, "k", false, true), ReplyCheck::ok);
  auto tampered = signed_reply;
  tampered[25] ^= 1;  // inside the Message-Authenticator; Response Authenticator fixed up
  Authenticator req = ra;
  std::vector<std::uint8_t> tmp = tampered;
  std::copy(req.begin(), req.end(), tmp.begin() + 4);
  const auto auth = md5({tmp, bytes("k")});
  std::copy(auth.begin(), auth.end(), tampered.begin() + 4);
  EXPECT_EQ(check_reply(tampered, 7, ra, "k", false, false), ReplyCheck::bad_message_authenticator);
  auto req_packet = encode_access_request(7, ra, attrs, "k");
  ASSERT_TRUE(req_packet);
  auto zeroed = *req_packet;
  std::fill(zeroed.begin() + 22, zeroed.begin() + 38, 0);
  const auto mac = hmac_md5("k", zeroed);
  EXPECT_TRUE(std::equal(mac.begin(), mac.end(), req_packet->begin() + 22));
}

TEST(RadiusCodec, OversizedValuesRefused) {
  AttributeList a;
  EXPECT_FALSE(a.add(kUserName, std::vector<std::uint8_t>(254, 'x')));
  EXPECT_TRUE(a.add(kUserName, std::vector<std::uint8_t>(253, 'x')));
  std::vector<Attribute> many(20, Attribute{kReplyMessage, std::vector<std::uint8_t>(253, 'y')});
  EXPECT_FALSE(encode_accounting_request(1, many, "k"));
}

}  // namespace
}  // namespace vpdnd::aaa::radius
