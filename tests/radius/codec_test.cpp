// The RADIUS codec on byte fixtures: RFC 2865 §7.1's PAP exchange, and replies that must be
// refused.
#include "aaa/radius/codec.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "aaa/radius/tunnel.hpp"
#include "tests/support/bytes.hpp"

namespace vpdnd::aaa::radius {
namespace {

// RFC 2865 §7.1: NAS 192.168.1.16 sends user "nemo", password "arctangent", secret
// "xyzzy5461"; the server answers with an Access-Accept.
const Bytes kRfcRequest = test::hex(
    "01000038 0f403f94 73978057 bd83d5cb 98f4227a 01066e65 6d6f0212 0dbe708d "
    "93d413ce 3196e43f 782a0aee 0406c0a8 01100506 00000003");
const Bytes kRfcAccept = test::hex(
    "02000026 86fe220e 7624ba2a 1005f6bf 9b55e0b2 06060000 00010f06 00000000 "
    "0e06c0a8 0103");
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
  EXPECT_EQ(p->attributes[1].type, PW_USER_PASSWORD);
  EXPECT_EQ(hide_user_password("arctangent", kRfcSecret, rfc_ra()), p->attributes[1].value);
  EXPECT_EQ(unhide_user_password(p->attributes[1].value, kRfcSecret, rfc_ra()), "arctangent");
}

TEST(RadiusCodec, RfcAcceptVerifies) {
  Packet p;
  EXPECT_EQ(check_reply(kRfcAccept, 0, rfc_ra(), kRfcSecret, false, false, &p), ReplyCheck::ok);
  EXPECT_EQ(p.code, PW_ACCESS_ACCEPT);
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
  std::vector<Attribute> attrs = {{PW_REPLY_MESSAGE, {'h', 'i'}}};
  auto signed_reply = encode_reply(PW_ACCESS_REJECT, 7, ra, attrs, "k", true);
  EXPECT_EQ(signed_reply[20], PW_MESSAGE_AUTHENTICATOR);
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
  EXPECT_FALSE(a.add(PW_USER_NAME, std::vector<std::uint8_t>(254, 'x')));
  EXPECT_TRUE(a.add(PW_USER_NAME, std::vector<std::uint8_t>(253, 'x')));
  std::vector<Attribute> many(20, Attribute{PW_REPLY_MESSAGE, std::vector<std::uint8_t>(253, 'y')});
  EXPECT_FALSE(encode_accounting_request(1, many, "k"));
}

}  // namespace
}  // namespace vpdnd::aaa::radius

namespace vpdnd::aaa::radius {
namespace {

std::vector<std::uint8_t> vsa(std::uint8_t type, const std::vector<std::uint8_t>& value) {
  AttributeList a;
  EXPECT_TRUE(a.add_vendor(VENDOR_MICROSOFT, type, value));
  return a.items().at(0).value;
}

// A server's reply `code` (Identifier 3, with Message-Authenticator) to the request
// authenticator `ra` as our client takes it in: the packet, or nullopt if the check refuses it.
std::optional<Packet> sent_reply(std::uint8_t code, const Authenticator& ra,
                                 const std::vector<Attribute>& attrs, const std::string& secret) {
  auto wire = encode_reply(code, 3, ra, attrs, secret, true);
  Packet p;
  if (check_reply(wire, 3, ra, secret, false, true, &p) != ReplyCheck::ok) return std::nullopt;
  return p;
}

TEST(RadiusMsChap, AccessRequestCarriesRfc2548Attributes) {
  MsChapCredentials c;
  c.version = 2;
  c.id = 7;
  c.challenge.assign(16, 0x11);
  // PPP value: Peer-Challenge(16) Reserved(8) NT-Response(24) Flags(1).
  c.response.assign(16, 0x22);
  c.response.resize(24, 0);
  c.response.resize(48, 0x33);
  c.response.push_back(0);
  AttributeList a;
  ASSERT_TRUE(add_mschap(a, c));
  auto ms = vendor_attributes(a.items(), VENDOR_MICROSOFT);
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_EQ(ms[0].type, PW_MS_CHAP_CHALLENGE);
  EXPECT_EQ(ms[0].value, c.challenge);
  EXPECT_EQ(ms[1].type, PW_MS_CHAP2_RESPONSE);
  ASSERT_EQ(ms[1].value.size(), 50u);  // Ident Flags Peer-Challenge Reserved Response
  EXPECT_EQ(ms[1].value[0], 7);
  EXPECT_EQ(ms[1].value[1], 0);
  EXPECT_EQ(ms[1].value[2], 0x22);
  EXPECT_EQ(ms[1].value[18], 0);
  EXPECT_EQ(ms[1].value[26], 0x33);
  // Raw form: Vendor-Specific, Vendor-Id 311, Vendor-Type 25, Vendor-Length 52.
  ASSERT_EQ(a.items()[1].type, PW_VENDOR_SPECIFIC);
  EXPECT_EQ(a.items()[1].value[3], 0x37);
  EXPECT_EQ(a.items()[1].value[4], 25);
  EXPECT_EQ(a.items()[1].value[5], 52);

  c.version = 1;
  c.challenge.assign(8, 0x11);
  c.response.back() = 1;
  AttributeList b;
  ASSERT_TRUE(add_mschap(b, c));
  ms = vendor_attributes(b.items(), VENDOR_MICROSOFT);
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_EQ(ms[1].type, PW_MS_CHAP_RESPONSE);
  EXPECT_EQ(ms[1].value[1], 1);  // Flags: use the NT-Response
  c.challenge.assign(16, 0x11);  // v1 with a v2-sized challenge: refused
  AttributeList bad;
  EXPECT_FALSE(add_mschap(bad, c));
}

TEST(RadiusMsChap, AcceptGivesSuccessTextAndDecryptedMppeKeys) {
  const std::string secret = "testing123";
  Authenticator ra{};
  for (std::size_t i = 0; i < ra.size(); ++i) ra[i] = static_cast<std::uint8_t>(i * 7);
  std::string send_key(16, '\0'), recv_key(16, '\0');
  for (int i = 0; i < 16; ++i) {
    send_key[i] = static_cast<char>(0xa0 + i);
    recv_key[i] = static_cast<char>(0x10 + i);
  }
  std::string success = "S=407A5589115FD0D6209F510FE9C04566932CDA56";
  std::vector<std::uint8_t> s{9};
  s.insert(s.end(), success.begin(), success.end());
  std::vector<Attribute> attrs{
      {PW_VENDOR_SPECIFIC, vsa(PW_MS_CHAP2_SUCCESS, s)},
      {PW_VENDOR_SPECIFIC,
       vsa(PW_MS_MPPE_SEND_KEY, detail::encrypt_tunnel_password(send_key, 0x8001, secret, ra))},
      {PW_VENDOR_SPECIFIC,
       vsa(PW_MS_MPPE_RECV_KEY, detail::encrypt_tunnel_password(recv_key, 0x8002, secret, ra))},
  };
  auto p = sent_reply(PW_ACCESS_ACCEPT, ra, attrs, secret);
  ASSERT_TRUE(p);
  auto reply = access_reply_from(*p, secret, ra);
  EXPECT_EQ(reply.outcome, RadiusOutcome::accept);
  EXPECT_EQ(reply.mschap2_success, success);
  ASSERT_TRUE(reply.mppe_keys);
  EXPECT_EQ(std::string(reply.mppe_keys->send.begin(), reply.mppe_keys->send.end()), send_key);
  EXPECT_EQ(std::string(reply.mppe_keys->recv.begin(), reply.mppe_keys->recv.end()), recv_key);
  // The wrong secret does not decrypt to 16-octet keys.
  auto other = access_reply_from(*p, "other", ra);
  EXPECT_FALSE(other.mppe_keys);
}

// A real FreeRADIUS MS-CHAP v1 Access-Accept (tests/radius/fixtures): its MS-CHAP-MPPE-Keys
// decrypt to the NT key FreeRADIUS puts there (the password hash's hash), from which the
// MPPE keys are the ones a local MS-CHAP v1 authentication derives.
TEST(RadiusMsChap, FreeRadiusV1MppeKeysDecodeToTheLocalKeys) {
  std::ifstream in(std::string(RADIUS_FIXTURES) + "/freeradius-mschap-v1-accept.txt");
  ASSERT_TRUE(in) << "fixture";
  std::map<std::string, std::string> f;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    auto sp = line.find(' ');
    f[line.substr(0, sp)] = line.substr(sp + 1);
  }
  Bytes request, accept, challenge;
  ASSERT_TRUE(parse_hex(f["request"], request));
  ASSERT_TRUE(parse_hex(f["accept"], accept));
  ASSERT_TRUE(parse_hex(f["challenge"], challenge));
  Authenticator ra{};
  std::copy(request.begin() + 4, request.begin() + 20, ra.begin());
  Packet p;
  ASSERT_EQ(check_reply(accept, request[1], ra, f["secret"], false, false, &p), ReplyCheck::ok);
  auto reply = access_reply_from(p, f["secret"], ra);
  EXPECT_EQ(reply.outcome, RadiusOutcome::accept);
  ASSERT_TRUE(reply.mschap_v1_nt_key);
  const auto hash = mschap::nt_password_hash(f["password"]);
  EXPECT_EQ(*reply.mschap_v1_nt_key, mschap::hash_nt_password_hash(hash));
  EXPECT_EQ(mschap::v1_mppe_keys_from_hash_hash(*reply.mschap_v1_nt_key, challenge),
            mschap::v1_mppe_keys(hash, challenge));
  // The wrong secret gives another key; a Reject carries none.
  auto other = access_reply_from(p, "other", ra);
  EXPECT_NE(other.mschap_v1_nt_key, reply.mschap_v1_nt_key);
  p.code = PW_ACCESS_REJECT;
  EXPECT_FALSE(access_reply_from(p, f["secret"], ra).mschap_v1_nt_key);
}

TEST(RadiusMsChap, RejectGivesMsChapErrorAndMalformedVsasAreSkipped) {
  const std::string secret = "testing123";
  Authenticator ra{};
  std::string error = "E=691 R=0 C=00112233445566778899AABBCCDDEEFF V=3 M=Authentication failure";
  std::vector<std::uint8_t> e{9};
  e.insert(e.end(), error.begin(), error.end());
  std::vector<Attribute> attrs{
      {PW_VENDOR_SPECIFIC, {0, 0, 1, 0x37, 2, 200}},  // Vendor-Length beyond the value
      {PW_VENDOR_SPECIFIC, vsa(kMsChapError, e)},
  };
  auto p = sent_reply(PW_ACCESS_REJECT, ra, attrs, secret);
  ASSERT_TRUE(p);
  auto reply = access_reply_from(*p, secret, ra);
  EXPECT_EQ(reply.outcome, RadiusOutcome::reject);
  EXPECT_EQ(reply.mschap_error, error);
  EXPECT_TRUE(reply.mschap2_success.empty());
}

}  // namespace
}  // namespace vpdnd::aaa::radius
