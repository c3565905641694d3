#include <gtest/gtest.h>

#include "ppp/ppp.hpp"
#include "tests/support/bytes.hpp"

namespace vpdnd::ppp {
namespace {

using test::hex;

// ---- frames ---------------------------------------------------------------------------

struct FrameCase {
  const char* name;
  const char* bytes;
  bool ok;
  std::uint16_t protocol;
  std::size_t payload;
};

TEST(PppCodec, FrameFixtures) {
  const FrameCase cases[] = {
      {"acfc-off pfc-off", "ff 03 c0 21 01 01 00 04", true, proto::lcp, 4},
      {"acfc-on pfc-off", "c0 21 01 01 00 04", true, proto::lcp, 4},
      {"ip with pfc", "21 45 00", true, proto::ip, 2},
      {"ip with ff03 and pfc", "ff 03 21 45", true, proto::ip, 1},
      {"ipcp", "80 21 01 01 00 04", true, proto::ipcp, 4},
      {"empty payload", "c0 23", true, proto::pap, 0},
      {"empty", "", false, 0, 0},
      {"address only", "ff", false, 0, 0},
      {"bad control", "ff 05 c0 21", false, 0, 0},
      {"ff03 no protocol", "ff 03", false, 0, 0},
      {"protocol cut", "c0", false, 0, 0},
      {"even protocol", "c0 20 00", false, 0, 0},
  };
  for (const auto& c : cases) {
    Bytes b = hex(c.bytes);
    auto f = decode_frame(b);
    ASSERT_EQ(f.has_value(), c.ok) << c.name;
    if (!c.ok) continue;
    EXPECT_EQ(f->protocol, c.protocol) << c.name;
    EXPECT_EQ(f->payload.size(), c.payload) << c.name;
  }
}

TEST(PppCodec, FrameEncodeRoundTrip) {
  Bytes payload = hex("45 00 00 14");
  for (bool ac : {false, true})
    for (bool pfc : {false, true}) {
      Bytes f = encode_frame(proto::ip, payload, ac, pfc);
      EXPECT_EQ(f.size(), payload.size() + (ac ? 2 : 0) + (pfc ? 1 : 2));
      auto d = decode_frame(f);
      ASSERT_TRUE(d);
      EXPECT_EQ(d->protocol, proto::ip);
      EXPECT_EQ(Bytes(d->payload.begin(), d->payload.end()), payload);
    }
  // PFC never compresses protocols >= 0x100.
  EXPECT_EQ(encode_frame(proto::lcp, {}, false, true), hex("c0 21"));
  EXPECT_EQ(encode_frame(proto::lcp, hex("09")), hex("c0 21 09"));
}

// ---- control packets ----------------------------------------------------------------

TEST(PppCodec, ControlFixtures) {
  struct Case {
    const char* name;
    const char* bytes;
    bool ok;
    std::size_t data;
  } cases[] = {
      {"minimal", "05 07 00 04", true, 0},
      {"with data", "01 01 00 08 05 06 11 22", true, 4},
      {"padding after length ignored", "06 02 00 04 00 00 00", true, 0},
      {"short header", "01 01 00", false, 0},
      {"length 3", "01 01 00 03", false, 0},
      {"length beyond", "01 01 00 0a 05 06 11 22 33", false, 0},
      {"length zero", "01 01 00 00", false, 0},
  };
  for (const auto& c : cases) {
    Bytes b = hex(c.bytes);
    auto p = decode_control(b);
    ASSERT_EQ(p.has_value(), c.ok) << c.name;
    if (c.ok) {
      EXPECT_EQ(p->data.size(), c.data) << c.name;
    }
  }
  // Decode at a non-zero offset inside a larger buffer.
  Bytes buf = hex("aa bb 09 03 00 08 01 02 03 04 cc");
  auto p = decode_control(ByteView(buf).subspan(2));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->code, 9);
  EXPECT_EQ(p->id, 3);
  EXPECT_EQ(Bytes(p->data.begin(), p->data.end()), hex("01 02 03 04"));
  EXPECT_EQ(encode_control(9, 3, hex("01 02 03 04")), hex("09 03 00 08 01 02 03 04"));
}

TEST(PppCodec, OptionListFixtures) {
  EXPECT_TRUE(decode_options({}));
  EXPECT_FALSE(decode_options(hex("01")));           // header cut
  EXPECT_FALSE(decode_options(hex("01 01")));        // length < 2
  EXPECT_FALSE(decode_options(hex("01 00")));        // zero length: would loop forever
  EXPECT_FALSE(decode_options(hex("01 05 00 00")));  // beyond packet
  auto o = decode_options(hex("07 02 08 02 63 03 01"));
  ASSERT_TRUE(o);
  ASSERT_EQ(o->size(), 3u);
  EXPECT_EQ((*o)[2].type, 0x63);
  EXPECT_EQ((*o)[2].value, hex("01"));
  EXPECT_EQ(encode_options(*o), hex("07 02 08 02 63 03 01"));
}

// ---- LCP ----------------------------------------------------------------------------

TEST(PppCodec, LcpOptionsGood) {
  // A real Windows-style CONFREQ body: MRU 1400, Magic, PFC, ACFC, Callback (13) unknown.
  Bytes b = hex("01 04 05 78 05 06 12 34 56 78 07 02 08 02 0d 03 06");
  auto o = decode_lcp_options(b);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->mru, 1400);
  EXPECT_EQ(o->magic, 0x12345678u);
  EXPECT_TRUE(o->pfc);
  EXPECT_TRUE(o->acfc);
  ASSERT_EQ(o->unknown.size(), 1u);
  EXPECT_EQ(o->unknown[0].type, 13);
  EXPECT_EQ(encode_lcp_options(*o), b);

  auto chap = decode_lcp_options(hex("03 05 c2 23 05 02 06 00 00 00 00"));
  ASSERT_TRUE(chap);
  EXPECT_EQ(chap->auth, AuthProtocol::chap_md5);
  EXPECT_EQ(chap->accm, 0u);
  auto pap = decode_lcp_options(hex("03 04 c0 23"));
  ASSERT_TRUE(pap);
  EXPECT_EQ(pap->auth, AuthProtocol::pap);
  auto mschap2 = decode_lcp_options(hex("03 05 c2 23 81"));
  ASSERT_TRUE(mschap2);
  EXPECT_EQ(mschap2->auth, AuthProtocol::mschap_v2);
  EXPECT_FALSE(mschap2->auth_other);
  EXPECT_EQ(encode_lcp_options(*mschap2), hex("03 05 c2 23 81"));
  auto mschap1 = decode_lcp_options(hex("03 05 c2 23 80"));
  ASSERT_TRUE(mschap1);
  EXPECT_EQ(mschap1->auth, AuthProtocol::mschap_v1);
  EXPECT_EQ(encode_lcp_options(*mschap1), hex("03 05 c2 23 80"));
  // A CHAP algorithm we do not implement (SHA-1, 6) stays foreign and round-trips.
  auto sha = decode_lcp_options(hex("03 05 c2 23 06"));
  ASSERT_TRUE(sha);
  EXPECT_FALSE(sha->auth);
  ASSERT_TRUE(sha->auth_other);
  EXPECT_EQ(sha->auth_other->first, proto::chap);
  EXPECT_EQ(encode_lcp_options(*sha), hex("03 05 c2 23 06"));
}

TEST(PppCodec, LcpRepeatedAuthProtocolLastWins) {
  // Found by fuzzing: CHAP-MD5 then an unknown protocol kept both and did not round-trip.
  auto o = decode_lcp_options(hex("03 05 c2 23 05 03 04 06 c0"));
  ASSERT_TRUE(o);
  EXPECT_FALSE(o->auth);
  ASSERT_TRUE(o->auth_other);
  EXPECT_EQ(o->auth_other->first, 0x06c0);
  EXPECT_EQ(decode_lcp_options(encode_lcp_options(*o)).value(), *o);
  auto p = decode_lcp_options(hex("03 04 06 c0 03 04 c0 23"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->auth, AuthProtocol::pap);
  EXPECT_FALSE(p->auth_other);
}

TEST(PppCodec, LcpOptionsMalformed) {
  const char* bad[] = {
      "01 03 05",        // MRU length 3
      "01 05 05 dc 00",  // MRU length 5
      "02 04 00 00",     // ACCM short
      "03 03 c0",        // auth protocol cut
      "05 04 12 34",     // magic short
      "07 03 00",        // PFC with data
      "08 03 00",        // ACFC with data
      "01 04 05",        // option beyond packet
  };
  for (const char* s : bad) EXPECT_FALSE(decode_lcp_options(hex(s))) << s;
}

TEST(PppCodec, LcpBodies) {
  auto e = decode_echo(hex("de ad be ef 01 02"));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->magic, 0xdeadbeefu);
  EXPECT_EQ(e->data.size(), 2u);
  EXPECT_FALSE(decode_echo(hex("de ad be")));
  auto pr = decode_protocol_reject(hex("80 57 01 01 00 04"));
  ASSERT_TRUE(pr);
  EXPECT_EQ(pr->protocol, proto::ipv6cp);
  EXPECT_EQ(pr->info.size(), 4u);
  EXPECT_FALSE(decode_protocol_reject(hex("80")));
}

// ---- IPCP ---------------------------------------------------------------------------

TEST(PppCodec, IpcpOptions) {
  Bytes b = hex("03 06 c0 a8 00 0a 81 06 08 08 08 08 83 06 08 08 04 04 02 06 00 2d 0f 01");
  auto o = decode_ipcp_options(b);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->address->to_string(), "192.168.0.10");
  EXPECT_EQ(o->primary_dns->to_string(), "8.8.8.8");
  EXPECT_EQ(o->secondary_dns->to_string(), "8.8.4.4");
  ASSERT_EQ(o->unknown.size(), 1u);  // VJ compression
  EXPECT_EQ(o->unknown[0].type, ipcp_opt::ip_compression);
  EXPECT_EQ(encode_ipcp_options(*o), b);
  EXPECT_FALSE(decode_ipcp_options(hex("03 05 c0 a8 00")));
  EXPECT_FALSE(decode_ipcp_options(hex("81 07 08 08 08 08 00")));
  EXPECT_FALSE(decode_ipcp_options(hex("03 06 c0 a8")));
}

// ---- PAP ----------------------------------------------------------------------------

TEST(PppCodec, Pap) {
  Bytes req = encode_pap_request({7, "alice@corp.com", "alicepw"});
  EXPECT_EQ(
      req, hex("01 07 00 1b 0e 61 6c 69 63 65 40 63 6f 72 70 2e 63 6f 6d 07 61 6c 69 63 65 70 77"));
  auto p = decode_control(req);
  ASSERT_TRUE(p);
  auto r = decode_pap_request(*p);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->peer_id, "alice@corp.com");
  EXPECT_EQ(r->password, "alicepw");
  EXPECT_EQ(r->id, 7);

  Bytes ack = encode_pap_reply({pap_code::ack, 7, "Welcome"});
  auto a = decode_pap_reply(*decode_control(ack));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->code, pap_code::ack);
  EXPECT_EQ(a->message, "Welcome");
  // Ack without a Msg-Length octet (seen from old peers) is accepted.
  auto bare = decode_pap_reply(*decode_control(hex("02 01 00 04")));
  ASSERT_TRUE(bare);
  EXPECT_TRUE(bare->message.empty());

  const char* bad_requests[] = {
      "01 01 00 04",           // no Peer-ID length
      "01 01 00 06 05 61",     // Peer-ID beyond packet
      "01 01 00 07 01 61 05",  // Password beyond packet
  };
  for (const char* s : bad_requests) {
    Bytes raw = hex(s);
    auto c = decode_control(raw);
    ASSERT_TRUE(c) << s;
    EXPECT_FALSE(decode_pap_request(*c)) << s;
  }
  EXPECT_FALSE(decode_pap_reply(*decode_control(hex("02 01 00 06 05 61"))));
  EXPECT_FALSE(decode_pap_reply(*decode_control(hex("01 01 00 04"))));  // wrong code
}

// ---- CHAP ---------------------------------------------------------------------------

TEST(PppCodec, Chap) {
  ChapValue ch{chap_code::challenge, 0x2a, hex("00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff"),
               "LNS"};
  Bytes wire = encode_chap_value(ch);
  EXPECT_EQ(wire, hex("01 2a 00 18 10 00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff 4c 4e 53"));
  auto back = decode_chap_value(*decode_control(wire));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, ch);
  auto st = decode_chap_status(*decode_control(encode_chap_status({chap_code::failure, 3, "bad"})));
  ASSERT_TRUE(st);
  EXPECT_EQ(st->code, chap_code::failure);
  EXPECT_EQ(st->message, "bad");
  EXPECT_FALSE(decode_chap_value(*decode_control(hex("02 01 00 04"))));        // no Value-Size
  EXPECT_FALSE(decode_chap_value(*decode_control(hex("02 01 00 06 10 00"))));  // value cut
  EXPECT_FALSE(decode_chap_value(*decode_control(hex("02 01 00 05 00"))));     // Value-Size 0
  EXPECT_FALSE(decode_chap_status(*decode_control(hex("01 01 00 04"))));       // wrong code
}

// RFC 1994 has no official vectors; these are MD5(id || secret || challenge) computed
// independently with Python's hashlib.
TEST(PppCodec, ChapMd5KnownAnswers) {
  // id=1, secret "secret", challenge 16 x 0x00
  EXPECT_EQ(to_hex(chap_md5_response(1, "secret", Bytes(16, 0)), 0),
            "7570c653cdf4755ccffcaa80f29268d1");
  // id=0x2a, secret "alicepw", challenge 00..ff pattern
  EXPECT_EQ(to_hex(chap_md5_response(0x2a, "alicepw",
                                     hex("00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff")),
                   0),
            "254fd3a56fd2b7145e727d10be1735ee");
  // Empty secret and empty challenge: MD5 of the single id octet 0x00.
  EXPECT_EQ(to_hex(chap_md5_response(0, "", {}), 0), "93b885adfe0da089cdf634904fd59f71");
}

}  // namespace
}  // namespace vpdnd::ppp
