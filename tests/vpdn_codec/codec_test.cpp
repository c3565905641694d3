#include "vpdn/codec.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "tests/vpdn_codec/avp_samples.hpp"
#include "xl2tpd_fixtures.hpp"

namespace vpdnd::vpdn {
namespace {

using test::kXl2tpdCaptureA;
using test::kXl2tpdCaptureB;
using test::kXl2tpdSecret;

Bytes hex(std::string_view text) {
  Bytes out;
  EXPECT_TRUE(parse_hex(text, out)) << text;
  return out;
}

Bytes str_bytes(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

const HidingContext kSecret{std::string(kXl2tpdSecret)};

// ---------------------------------------------------------------------------------------
// Real xl2tpd packets.

TEST(L2tpCodecXl2tpdCapture, EveryPacketDecodes) {
  for (std::span<const test::CapturedPacket> set :
       {std::span<const test::CapturedPacket>(kXl2tpdCaptureA),
        std::span<const test::CapturedPacket>(kXl2tpdCaptureB)}) {
    for (const auto& p : set) {
      SCOPED_TRACE(p.name);
      const Bytes b = hex(p.hex);
      auto m = decode_control(b, &kSecret);
      ASSERT_TRUE(m) << describe(m.error());
      EXPECT_EQ(m->zlb, p.zlb);
      if (!p.zlb) {
        EXPECT_EQ(m->type, p.type);
      }
      EXPECT_EQ(m->skipped_avps, 0);
      // Same result without a secret: xl2tpd hides nothing.
      EXPECT_TRUE(decode_control(b, nullptr));
    }
  }
}

TEST(L2tpCodecXl2tpdCapture, SccrqFields) {
  auto m = decode_control(hex(kXl2tpdCaptureA[0].hex), nullptr);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->tunnel_id, 0);
  EXPECT_EQ(m->ns, 0);
  EXPECT_EQ(m->nr, 0);
  EXPECT_EQ(m->string(AvpType::host_name), "xl2tpd-lac");
  EXPECT_EQ(m->string(AvpType::vendor_name), "xelerance.com");
  EXPECT_EQ(m->u16(AvpType::assigned_tunnel_id), 0x8a9e);
  EXPECT_EQ(m->u16(AvpType::receive_window_size), 4);
  EXPECT_EQ(m->u32(AvpType::framing_capabilities), kFramingSync | kFramingAsync);
  EXPECT_EQ(m->u32(AvpType::bearer_capabilities), 0u);
  EXPECT_EQ(m->u16(AvpType::firmware_revision), 0x0690);
  auto pv = m->protocol_version();
  ASSERT_TRUE(pv);
  EXPECT_EQ(pv->first, 1);
  EXPECT_EQ(pv->second, 0);
  EXPECT_EQ(m->bytes(AvpType::challenge), hex("c48dbf6f9d945733978827b08a29930a"));
  // The Random Vector is consumed by the codec, not listed.
  EXPECT_FALSE(m->has(AvpType::random_vector));
}

TEST(L2tpCodecXl2tpdCapture, ChallengeResponsesMatchXl2tpd) {
  auto sccrq = decode_control(hex(kXl2tpdCaptureA[0].hex), nullptr);
  auto sccrp = decode_control(hex(kXl2tpdCaptureA[1].hex), nullptr);
  auto scccn = decode_control(hex(kXl2tpdCaptureA[2].hex), nullptr);
  ASSERT_TRUE(sccrq && sccrp && scccn);
  // §4.2: the LNS answers the LAC's challenge in SCCRP with ID 2 ...
  const auto expect_rp = chap_response(2, kXl2tpdSecret, *sccrq->bytes(AvpType::challenge));
  EXPECT_TRUE(chap_response_matches(*sccrp->bytes(AvpType::challenge_response), expect_rp));
  // ... and the LAC answers the LNS's challenge in SCCCN with ID 3.
  const auto expect_cn = chap_response(3, kXl2tpdSecret, *sccrp->bytes(AvpType::challenge));
  EXPECT_TRUE(chap_response_matches(*scccn->bytes(AvpType::challenge_response), expect_cn));
  // Wrong secret or wrong ID must not match.
  EXPECT_FALSE(
      chap_response_matches(*scccn->bytes(AvpType::challenge_response),
                            chap_response(2, kXl2tpdSecret, *sccrp->bytes(AvpType::challenge))));
  EXPECT_FALSE(chap_response_matches(*scccn->bytes(AvpType::challenge_response),
                                     chap_response(3, "other", *sccrp->bytes(AvpType::challenge))));
  EXPECT_FALSE(chap_response_matches(hex("00"), expect_cn));
}

TEST(L2tpCodecXl2tpdCapture, SessionAndTeardownFields) {
  auto icrq = decode_control(hex(kXl2tpdCaptureB[4].hex), nullptr);
  ASSERT_TRUE(icrq);
  EXPECT_EQ(icrq->u16(AvpType::assigned_session_id), 0x396b);
  EXPECT_EQ(icrq->u32(AvpType::call_serial_number), 1u);
  EXPECT_EQ(icrq->u32(AvpType::bearer_type), 0u);

  auto iccn = decode_control(hex(kXl2tpdCaptureB[6].hex), nullptr);
  ASSERT_TRUE(iccn);
  EXPECT_EQ(iccn->session_id, 0x0eff);
  EXPECT_EQ(iccn->u32(AvpType::tx_connect_speed), 0u);
  EXPECT_EQ(iccn->u32(AvpType::framing_type), 1u);
  EXPECT_EQ(iccn->u32(AvpType::rx_connect_speed), 0u);
  EXPECT_FALSE(iccn->proxy_data());

  auto cdn = decode_control(hex(kXl2tpdCaptureB[7].hex), nullptr);
  ASSERT_TRUE(cdn);
  auto rc = cdn->result_code();
  ASSERT_TRUE(rc);
  EXPECT_EQ(rc->result, 1);
  EXPECT_EQ(rc->error, 0);
  EXPECT_EQ(cdn->u16(AvpType::assigned_session_id), 0x0eff);

  auto stop = decode_control(hex(kXl2tpdCaptureB[9].hex), nullptr);
  ASSERT_TRUE(stop);
  EXPECT_EQ(stop->type, MessageType::stopccn);
  EXPECT_EQ(stop->result_code(), (ResultCode{1, 0, "Goodbye!"}));
  EXPECT_EQ(stop->u16(AvpType::assigned_tunnel_id), 0xbc21);
}

// Our encoder reproduces xl2tpd's bytes exactly when given the same AVPs in the same order.
TEST(L2tpCodecXl2tpdCapture, EncoderIsByteExact) {
  SeededRandom rnd(1);
  for (const auto& p : kXl2tpdCaptureB) {
    SCOPED_TRACE(p.name);
    const Bytes wire = hex(p.hex);
    auto m = decode_control(wire, nullptr);
    ASSERT_TRUE(m);
    auto again = encode_control(*m, nullptr, rnd);
    ASSERT_TRUE(again);
    EXPECT_EQ(to_hex(*again), to_hex(wire));
  }
  ControlMessage sccrq = ControlMessage::make(MessageType::sccrq, 0);
  sccrq.add_protocol_version()
      .add_u32(AvpType::framing_capabilities, kFramingSync | kFramingAsync)
      .add_u32(AvpType::bearer_capabilities, 0)
      .add_u16(AvpType::firmware_revision, 0x0690)
      .add_string(AvpType::host_name, "xl2tpd-lac")
      .add_string(AvpType::vendor_name, "xelerance.com")
      .add_u16(AvpType::assigned_tunnel_id, 0xbc21)
      .add_u16(AvpType::receive_window_size, 4);
  auto bytes = encode_control(sccrq, nullptr, rnd);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(to_hex(*bytes, '\0'), kXl2tpdCaptureB[0].hex);
}

// ---------------------------------------------------------------------------------------
// Hand-built fixtures. Header "c802LLLL 0001 0000 0000 0000" then AVPs.

struct Fixture {
  std::string_view name;
  std::string_view hex;
  bool ok;
  DecodeErrorKind kind;  // when !ok
  std::uint16_t avp_type;
};
constexpr Fixture accepted(std::string_view name, std::string_view hex) {
  return {name, hex, true, {}, 0};
}
// Refused with `kind`, naming AVP `avp_type` (0: none, or Message Type).
constexpr Fixture refused(std::string_view name, std::string_view hex, DecodeErrorKind kind,
                          std::uint16_t avp_type = 0) {
  return {name, hex, false, kind, avp_type};
}
using E = DecodeErrorKind;

// AVP snippets (hex): MT HELLO, MT ICRQ, Assigned Session ID 7, Call Serial 1.
#define MT_HELLO "8008 0000 0000 0006"
#define MT_ICRQ "8008 0000 0000 000a"
#define ASID "8008 0000 000e 0007"
#define CSN "800a 0000 000f 00000001"

const Fixture kFixtures[] = {
    refused("empty datagram", "", E::too_short),
    refused("one byte", "c8", E::too_short),
    refused("version 3", "c803 000c 0001 0000 0000 0000", E::bad_version),
    refused("version 1 (L2F)", "c801 000c 0001 0000 0000 0000", E::bad_version),
    refused("control without L", "8802 0001 0000 0000 0000", E::bad_control_flags),
    refused("control without S", "c002 000c 0001 0000", E::bad_control_flags),
    refused("control with O", "ca02 000e 0001 0000 0000 0000 0000", E::bad_control_flags),
    refused("control with P", "c902 000c 0001 0000 0000 0000", E::bad_control_flags),
    refused("truncated header", "c802 000c 0001 0000", E::too_short),
    refused("length beyond datagram", "c802 0016 0001 0000 0000 0000 " MT_HELLO " 00",
            E::bad_length_field),
    refused("length inside header", "c802 0008 0001 0000 0000 0000", E::bad_length_field),
    accepted("zlb", "c802 000c 0001 0000 0005 0007"),
    accepted("zlb with trailing padding beyond Length", "c802 000c 0001 0000 0005 0007 dead"),
    accepted("hello", "c802 0014 0001 0000 0000 0000 " MT_HELLO),
    refused("zero-length AVP", "c802 001a 0001 0000 0000 0000 " MT_HELLO " 0000 0000 0000",
            E::avp_too_short),
    refused("AVP length 5", "c802 001a 0001 0000 0000 0000 " MT_HELLO " 8005 0000 0009",
            E::avp_too_short, 9),
    refused("AVP runs past Length",
            "c802 001c 0001 0000 0000 0000 " MT_HELLO " 800a 0000 0009 1234", E::avp_truncated, 9),
    refused("three stray bytes after last AVP",
            "c802 0017 0001 0000 0000 0000 " MT_HELLO " 800a 00", E::avp_truncated),
    refused("Length shorter than the AVPs present (rest ignored, AVP cut)",
            "c802 0018 0001 0000 0000 0000 " MT_HELLO " 8008 0000 0009 0001", E::avp_truncated),
    refused("over-long mandatory Assigned Tunnel ID",
            "c802 001d 0001 0000 0000 0000 " MT_HELLO " 8009 0000 0009 123456", E::avp_bad_length,
            9),
    accepted("over-long non-mandatory Firmware Revision is skipped",
             "c802 001d 0001 0000 0000 0000 " MT_HELLO " 0009 0000 0006 123456"),
    refused("Result Code with a half error code",
            "c802 0025 0001 0000 0000 0000 8008 0000 0000 0004 "
            "8008 0000 0009 0001 8009 0000 0001 000100",
            E::avp_bad_length, 1),
    refused("Message Type not first", "c802 001c 0001 0000 0000 0000 8008 0000 0009 0001 " MT_HELLO,
            E::first_avp_not_message_type, 9),
    refused("Message Type too long", "c802 0015 0001 0000 0000 0000 8009 0000 0000 000600",
            E::avp_bad_length),
    refused("Message Type hidden", "c802 0014 0001 0000 0000 0000 c008 0000 0000 0006",
            E::message_type_hidden),
    refused("unknown message type with M", "c802 0014 0001 0000 0000 0000 8008 0000 0000 0063",
            E::unknown_message_type),
    refused("reserved message type 5 with M", "c802 0014 0001 0000 0000 0000 8008 0000 0000 0005",
            E::unknown_message_type),
    refused("unknown message type without M", "c802 0014 0001 0000 0000 0000 0008 0000 0000 0063",
            E::ignorable_message_type),
    refused("unknown IETF AVP with M",
            "c802 001c 0001 0000 0000 0000 " MT_HELLO " 8008 0000 00c8 0001",
            E::unknown_mandatory_avp, 200),
    refused("reserved AVP type 20 with M",
            "c802 001c 0001 0000 0000 0000 " MT_HELLO " 8008 0000 0014 0001",
            E::unknown_mandatory_avp, 20),
    refused("vendor AVP with M", "c802 001c 0001 0000 0000 0000 " MT_HELLO " 8008 0137 0005 0001",
            E::unknown_mandatory_avp, 5),
    refused("known AVP with reserved bits and M",
            "c802 001c 0001 0000 0000 0000 " MT_HELLO " 8408 0000 0009 0001",
            E::unknown_mandatory_avp, 9),
    refused("second Message Type AVP with M",
            "c802 001c 0001 0000 0000 0000 " MT_HELLO " " MT_HELLO, E::unknown_mandatory_avp),
    accepted("unknown AVP without M skipped",
             "c802 001c 0001 0000 0000 0000 " MT_HELLO " 0008 0000 00c8 0001"),
    refused("ICRQ missing Call Serial Number", "c802 001c 0001 0000 0000 0000 " MT_ICRQ " " ASID,
            E::missing_required_avp, 15),
    accepted("ICRQ complete", "c802 0026 0001 0000 0000 0000 " MT_ICRQ " " ASID " " CSN),
    refused("SCCRQ missing everything", "c802 0014 0000 0000 0000 0000 8008 0000 0000 0001",
            E::missing_required_avp, 2),
    refused("hidden AVP without Random Vector",
            "c802 001e 0001 0000 0000 0000 " MT_HELLO " c00a 0000 0009 4dd191b5",
            E::hidden_without_random_vector, 9),
    accepted("hidden non-mandatory AVP without Random Vector is skipped",
             "c802 001e 0001 0000 0000 0000 " MT_HELLO " 400a 0000 0006 4dd191b5"),
    refused("data message", "0002 0001 0002 ff03", E::not_control),
};

TEST(L2tpCodecControlFixtures, Table) {
  for (const Fixture& f : kFixtures) {
    SCOPED_TRACE(f.name);
    const Bytes b = hex(f.hex);
    auto m = decode_control(b, &kSecret);
    ASSERT_EQ(m.has_value(), f.ok) << (m ? describe(*m) : describe(m.error()));
    if (!f.ok) {
      EXPECT_EQ(error_name(m.error().kind), error_name(f.kind));
      EXPECT_EQ(m.error().avp_type, f.avp_type);
      EXPECT_LE(m.error().offset, b.size());
    }
  }
}

TEST(L2tpCodecControlFixtures, VendorAvpIsSkippedAndConsumed) {
  // HELLO, a vendor (311) AVP of 10 bytes without M, an unknown IETF AVP of odd length,
  // then Firmware Revision: the last one must be read from the right place.
  const Bytes b = hex("c802 002f 0001 0000 0000 0000 " MT_HELLO
                      " 000a 0137 0005 aabbccdd 0009 0000 00c8 eeeeee 0008 0000 0006 0102");
  auto m = decode_control(b, nullptr);
  ASSERT_TRUE(m) << describe(m.error());
  EXPECT_EQ(m->skipped_avps, 2);
  ASSERT_EQ(m->avps.size(), 1u);
  EXPECT_EQ(m->u16(AvpType::firmware_revision), 0x0102);
}

TEST(L2tpCodecControlFixtures, OddOffsetsAndNonZeroStart) {
  ControlMessage icrq = ControlMessage::make(MessageType::icrq, 0x1234, 0);
  icrq.add_u16(AvpType::assigned_session_id, 0x55aa)
      .add_u32(AvpType::call_serial_number, 77)
      .add_string(AvpType::calling_number, "abc")  // 9-byte AVP: next ones sit at odd offsets
      .add_string(AvpType::called_number, "12345")
      .add_u32(AvpType::bearer_type, kBearerAnalog)
      .add_u32(AvpType::physical_channel_id, 0xdeadbeef);
  SeededRandom rnd(7);
  auto wire = encode_control(icrq, nullptr, rnd);
  ASSERT_TRUE(wire);
  for (std::size_t lead : {1u, 3u, 8u}) {
    SCOPED_TRACE(lead);
    Bytes buf(lead, 0xee);
    buf.insert(buf.end(), wire->begin(), wire->end());
    buf.insert(buf.end(), {0x11, 0x22, 0x33});  // trailing junk past Length is ignored
    auto m = decode_control(ByteView(buf).subspan(lead), nullptr);
    ASSERT_TRUE(m) << describe(m.error());
    EXPECT_EQ(*m, icrq);
  }
}

TEST(L2tpCodecControlFixtures, RecommendedActions) {
  auto action_for = [](std::string_view h) {
    Bytes b = hex(h);
    auto m = decode_control(b, nullptr);
    EXPECT_FALSE(m);
    return m ? Recommendation{} : recommend(m.error());
  };
  // Header garbage: drop silently.
  EXPECT_EQ(action_for("c803 000c 0001 0000 0000 0000").action, DecodeAction::drop);
  // Unknown message type without M: ignore (but ack).
  auto ign = action_for("c802 0014 0001 0000 0000 0000 0008 0000 0000 0063");
  EXPECT_EQ(ign.action, DecodeAction::ignore);
  // Unknown message type with M: clear the tunnel.
  auto umt = action_for("c802 0014 0001 0000 0000 0000 8008 0000 0000 0063");
  EXPECT_EQ(umt.action, DecodeAction::stop_tunnel);
  EXPECT_EQ(umt.result.result, stopccn_result::general_error);
  // Unknown M AVP in a tunnel message: StopCCN result 2, error 8.
  auto tun = action_for("c802 001c 0001 0000 0000 0000 " MT_HELLO " 8008 0000 00c8 0001");
  EXPECT_EQ(tun.action, DecodeAction::stop_tunnel);
  EXPECT_EQ(tun.result.result, stopccn_result::general_error);
  EXPECT_EQ(tun.result.error, general_error::unknown_mandatory_avp);
  // ... in a session message: CDN result 2, error 8.
  auto ses =
      action_for("c802 002e 0001 0005 0000 0000 " MT_ICRQ " " ASID " " CSN " 8008 0000 00c8 0001");
  EXPECT_EQ(ses.action, DecodeAction::close_session);
  EXPECT_EQ(ses.result.result, cdn_result::general_error);
  EXPECT_EQ(ses.result.error, general_error::unknown_mandatory_avp);
  // Missing required AVP in ICRQ: CDN general error with the AVP named.
  auto miss = action_for("c802 001c 0001 0000 0000 0000 " MT_ICRQ " " ASID);
  EXPECT_EQ(miss.action, DecodeAction::close_session);
  EXPECT_NE(miss.result.message.find("Call Serial Number"), std::string::npos);
  // Bad AVP length in a tunnel message: StopCCN 2 / error 2.
  auto len = action_for("c802 001d 0001 0000 0000 0000 " MT_HELLO " 8009 0000 0009 123456");
  EXPECT_EQ(len.action, DecodeAction::stop_tunnel);
  EXPECT_EQ(len.result.error, general_error::bad_length);
}

TEST(L2tpCodecControlFixtures, DecodeErrorCarriesHeaderForAcking) {
  const Bytes b = hex("c802 001c 0007 0000 0003 0009 " MT_HELLO " 8008 0000 00c8 0001");
  auto m = decode_control(b, nullptr);
  ASSERT_FALSE(m);
  ASSERT_TRUE(m.error().header);
  EXPECT_EQ(m.error().header->tunnel_id, 7);
  EXPECT_EQ(m.error().header->ns, 3);
  EXPECT_EQ(m.error().header->nr, 9);
  EXPECT_EQ(m.error().message_type, MessageType::hello);
  EXPECT_EQ(m.error().offset, 20u);
  EXPECT_NE(describe(m.error()).find("unknown-mandatory-avp"), std::string::npos);
}

// ---------------------------------------------------------------------------------------
// Hidden AVPs (§4.3). Known answers computed with an independent MD5 (Python hashlib).

TEST(L2tpCodecHiding, KnownAnswers) {
  Bytes rv;
  for (int i = 0; i < 16; ++i) rv.push_back(static_cast<std::uint8_t>(i));
  EXPECT_EQ(to_hex(hide_value(9, hex("1234"), "s3cr3t", rv), '\0'), "4dd191b5");
  EXPECT_EQ(to_hex(hide_value(9, hex("1234"), "s3cr3t", rv, 12), '\0'),
            "4dd191b561c8328c1fd99a981b42db62");
  // 42-byte sub-format: three MD5 blocks chained over the ciphertext.
  EXPECT_EQ(
      to_hex(hide_value(22, str_bytes("0123456789abcdefghijklmnopqrstuvwxyzABCD"), "s3cr3t", rv),
             '\0'),
      "cd4ffc0b43ae0349b6ea3a8e2543936ab45362a8f99f2827627f0e00fd1e244533c9fe59c4e93c3ecfc5");
  EXPECT_EQ(unhide_value(22,
                         hex("cd4ffc0b43ae0349b6ea3a8e2543936ab45362a8f99f2827627f0e00fd1e244533c9f"
                             "e59c4e93c3ecfc5"),
                         "s3cr3t", rv),
            str_bytes("0123456789abcdefghijklmnopqrstuvwxyzABCD"));
  EXPECT_EQ(unhide_value(9, hex("4dd191b561c8328c1fd99a981b42db62"), "s3cr3t", rv), hex("1234"));
  EXPECT_EQ(unhide_value(9, hex("4d"), "s3cr3t", rv), std::nullopt);
}

TEST(L2tpCodecHiding, DecodeKnownAnswerMessage) {
  // HELLO + Random Vector 000102..0f + hidden Assigned Tunnel ID 0x1234 (padded form) +
  // hidden Calling Number (3 blocks).
  const std::string msg =
      "c802 0070 0001 0000 0000 0000 " MT_HELLO
      " 8016 0000 0024 000102030405060708090a0b0c0d0e0f"
      " c016 0000 0009 4dd191b561c8328c1fd99a981b42db62"
      " c030 0000 0016 "
      "cd4ffc0b43ae0349b6ea3a8e2543936ab45362a8f99f2827627f0e00fd1e244533c9fe59c4e93c3ecfc5";
  const Bytes b = hex(msg);
  auto m = decode_control(b, &kSecret);
  ASSERT_TRUE(m) << describe(m.error());
  EXPECT_EQ(m->u16(AvpType::assigned_tunnel_id), 0x1234);
  EXPECT_EQ(m->string(AvpType::calling_number), "0123456789abcdefghijklmnopqrstuvwxyzABCD");
  ASSERT_EQ(m->avps.size(), 2u);
  EXPECT_TRUE(m->avps[0].hidden);
  EXPECT_TRUE(m->avps[0].mandatory);

  // No secret: mandatory hidden AVP -> the tunnel is refused (StopCCN result 4).
  auto no_secret = decode_control(b, nullptr);
  ASSERT_FALSE(no_secret);
  EXPECT_EQ(no_secret.error().kind, DecodeErrorKind::hidden_without_secret);
  EXPECT_EQ(recommend(no_secret.error()).action, DecodeAction::stop_tunnel);
  EXPECT_EQ(recommend(no_secret.error()).result.result, stopccn_result::not_authorized);

  // Wrong secret: the Original Length is garbage (for this fixture it is, verified below).
  const HidingContext wrong{"wrong"};
  auto bad = decode_control(b, &wrong);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, DecodeErrorKind::hidden_bad_length);
}

TEST(L2tpCodecHiding, EncodeRoundTripAndLayout) {
  ControlMessage m = ControlMessage::make(MessageType::icrq, 9, 0);
  m.add_u16(AvpType::assigned_session_id, 4242, true)
      .add_u32(AvpType::call_serial_number, 1, true)
      .add_string(AvpType::calling_number, std::string(300, 'x'), true)
      .add_string(AvpType::called_number, "dnis", false);
  SeededRandom rnd(42);
  auto wire = encode_control(m, &kSecret, rnd);
  ASSERT_TRUE(wire);
  // Layout: MT, RV (16 octets), then hidden AVPs whose value is a multiple of 16 octets.
  ByteReader r(*wire);
  r.skip(kControlHeaderSize + 8);
  EXPECT_EQ(r.u16(), 0x8000 | 22);
  EXPECT_EQ(r.u16(), 0);
  EXPECT_EQ(r.u16(), 36);
  r.skip(16);
  for (int i = 0; i < 3; ++i) {
    const std::uint16_t word = r.u16();
    EXPECT_TRUE(word & 0x4000);
    EXPECT_EQ(((word & 0x3ff) - 6) % 16, 0) << i;
    r.skip(4 + (word & 0x3ff) - 6);
  }
  // The plain value never appears on the wire.
  const std::string s(wire->begin(), wire->end());
  EXPECT_EQ(s.find("xxxxxxxx"), std::string::npos);

  auto back = decode_control(*wire, &kSecret);
  ASSERT_TRUE(back) << describe(back.error());
  EXPECT_EQ(*back, m);
  // Different random vector each time.
  auto wire2 = encode_control(m, &kSecret, rnd);
  ASSERT_TRUE(wire2);
  EXPECT_NE(*wire, *wire2);
}

TEST(L2tpCodecHiding, LnsFindsSecretByHostNameBeforeDecodingHiddenSccrq) {
  SeededRandom rnd(11);
  ControlMessage sccrq = ControlMessage::make(MessageType::sccrq, 0);
  sccrq.add_protocol_version()
      .add_string(AvpType::host_name, "lac-7")
      .add_u32(AvpType::framing_capabilities, kFramingSync, true)
      .add_u16(AvpType::assigned_tunnel_id, 77, true);
  const HidingContext lac_secret{"per-lac"};
  auto wire = encode_control(sccrq, &lac_secret, rnd);
  ASSERT_TRUE(wire);
  auto blind = decode_control(*wire, nullptr);
  ASSERT_FALSE(blind);
  EXPECT_EQ(blind.error().kind, DecodeErrorKind::hidden_without_secret);
  EXPECT_EQ(peek_host_name(*wire), "lac-7");
  auto m = decode_control(*wire, &lac_secret);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->u16(AvpType::assigned_tunnel_id), 77);
  // No Host Name, data messages, garbage: nullopt, never a crash.
  EXPECT_EQ(peek_host_name(hex("c802 0014 0001 0000 0000 0000 " MT_HELLO)), std::nullopt);
  EXPECT_EQ(peek_host_name(hex("0002 0001 0002")), std::nullopt);
  EXPECT_EQ(peek_host_name(hex("c802 0016 0001 0000 0000 0000 " MT_HELLO " 0003")), std::nullopt);
  EXPECT_EQ(peek_host_name(hex("c802 001a 0001 0000 0000 0000 " MT_HELLO " 0006 0000 0007")), "");
}

TEST(L2tpCodecHiding, EncodeErrors) {
  SeededRandom rnd(1);
  ControlMessage m = ControlMessage::make(MessageType::hello, 1);
  m.add_u16(AvpType::assigned_tunnel_id, 5, true);
  auto e = encode_control(m, nullptr, rnd);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().kind, EncodeErrorKind::hide_without_secret);

  ControlMessage big = ControlMessage::make(MessageType::hello, 1);
  big.add_string(AvpType::vendor_name, std::string(1018, 'v'));
  auto e2 = encode_control(big, nullptr, rnd);
  ASSERT_FALSE(e2);
  EXPECT_EQ(e2.error().kind, EncodeErrorKind::avp_too_long);
  ControlMessage fits = ControlMessage::make(MessageType::hello, 1);
  fits.add_string(AvpType::vendor_name, std::string(1017, 'v'));
  EXPECT_TRUE(encode_control(fits, nullptr, rnd));
  ControlMessage fits_hidden = ControlMessage::make(MessageType::hello, 1);
  fits_hidden.add_string(AvpType::vendor_name, std::string(1015, 'v'), true);
  auto h = encode_control(fits_hidden, &kSecret, rnd);
  ASSERT_TRUE(h);
  auto back = decode_control(*h, &kSecret);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->string(AvpType::vendor_name)->size(), 1015u);

  ControlMessage huge = ControlMessage::make(MessageType::hello, 1);
  for (int i = 0; i < 70; ++i) huge.add_string(AvpType::vendor_name, std::string(1000, 'v'));
  auto e3 = encode_control(huge, nullptr, rnd);
  ASSERT_FALSE(e3);
  EXPECT_EQ(e3.error().kind, EncodeErrorKind::message_too_long);
}

// ---------------------------------------------------------------------------------------
// Round trips for every message type with every AVP its spec allows.

TEST(L2tpCodecRoundTrip, EveryMessageTypeEveryAvp) {
  SeededRandom rnd(3);
  for (std::uint16_t t = 1; t <= 16; ++t) {
    if (!is_known_message_type(t)) continue;
    const auto type = static_cast<MessageType>(t);
    const MessageSpec* spec = message_spec(type);
    ASSERT_NE(spec, nullptr);
    for (bool with_hiding : {false, true}) {
      SCOPED_TRACE(std::string(message_name(type)) + (with_hiding ? " hidden" : " plain"));
      ControlMessage m = ControlMessage::make(type, 0x1001, is_tunnel_message(type) ? 0 : 0x2002);
      m.ns = t;
      m.nr = static_cast<std::uint16_t>(t + 100);
      std::uint8_t seed = 1;
      for (const auto* list : {&spec->required, &spec->optional}) {
        for (AvpType a : *list) {
          const AvpInfo* info = avp_info(a);
          ASSERT_NE(info, nullptr);
          Avp avp{0, static_cast<std::uint16_t>(a), info->mandatory, with_hiding && info->may_hide,
                  sample_value(*info, seed++)};
          m.add(avp);
        }
      }
      auto wire = encode_control(m, with_hiding ? &kSecret : nullptr, rnd);
      ASSERT_TRUE(wire);
      EXPECT_EQ((*wire)[2] << 8 | (*wire)[3], static_cast<int>(wire->size()));
      auto back = decode_control(*wire, with_hiding ? &kSecret : nullptr);
      ASSERT_TRUE(back) << describe(back.error());
      EXPECT_EQ(*back, m) << describe(*back);
    }
  }
}

TEST(L2tpCodecRoundTrip, TypedHelpers) {
  SeededRandom rnd(5);
  ppp::ProxyData proxy = sample_chap_proxy();
  proxy.initial_received_confreq = {0x01, 0x04, 0x05, 0xdc};
  ControlMessage iccn = ControlMessage::make(MessageType::iccn, 3, 4);
  iccn.add_u32(AvpType::tx_connect_speed, 100000000)
      .add_u32(AvpType::framing_type, kFramingSync)
      .add_proxy(proxy, true)
      .add_u32(AvpType::rx_connect_speed, 1000)
      .add_empty(AvpType::sequencing_required);
  auto wire = encode_control(iccn, &kSecret, rnd);
  ASSERT_TRUE(wire);
  auto back = decode_control(*wire, &kSecret);
  ASSERT_TRUE(back) << describe(back.error());
  EXPECT_EQ(back->proxy_data(), proxy);
  EXPECT_TRUE(back->has(AvpType::sequencing_required));
  EXPECT_TRUE(back->find(AvpType::proxy_authen_response)->hidden);
  EXPECT_FALSE(back->find(AvpType::proxy_authen_type)->hidden);

  ppp::ProxyData pap;
  pap.auth_type = ppp::ProxyAuthType::pap;
  pap.auth_name = "bob";
  pap.auth_id = 1;
  pap.auth_response = str_bytes("password");
  pap.last_sent_confreq = {1, 4, 5, 0xd4};
  ControlMessage m2 = ControlMessage::make(MessageType::iccn, 3, 4);
  m2.add_u32(AvpType::tx_connect_speed, 1).add_u32(AvpType::framing_type, 1).add_proxy(pap);
  auto w2 = encode_control(m2, nullptr, rnd);
  ASSERT_TRUE(w2);
  EXPECT_EQ(decode_control(*w2, nullptr)->proxy_data(), pap);

  ControlMessage cdn = ControlMessage::make(MessageType::cdn, 3, 4);
  cdn.add_result_code({cdn_result::administrative, std::nullopt, {}})
      .add_u16(AvpType::assigned_session_id, 77)
      .add_q931_cause({16, 0x5a, "normal"});
  auto w3 = encode_control(cdn, nullptr, rnd);
  ASSERT_TRUE(w3);
  auto c = decode_control(*w3, nullptr);
  ASSERT_TRUE(c);
  // An Error Code is always written (xl2tpd insists on one); a 2-octet one still decodes.
  EXPECT_EQ(c->result_code(), (ResultCode{3, 0, ""}));
  EXPECT_EQ(c->find(AvpType::result_code)->value.size(), 4u);
  auto short_rc = decode_control(
      hex("c802 001c 0001 0004 0000 0000 800800000000000e 8008 0000 0001 0003"), nullptr);
  ASSERT_FALSE(short_rc);  // CDN without Assigned Session ID...
  EXPECT_EQ(short_rc.error().kind, DecodeErrorKind::missing_required_avp);
  ControlMessage rc_only = ControlMessage::make(MessageType::hello, 1);
  rc_only.add(Avp{0, 1, true, false, {0, 3}});
  auto rc2 = decode_control(*encode_control(rc_only, nullptr, rnd), nullptr);
  ASSERT_TRUE(rc2);
  EXPECT_EQ(rc2->result_code(), (ResultCode{3, std::nullopt, ""}));
  EXPECT_EQ(c->q931_cause(), (Q931Cause{16, 0x5a, "normal"}));

  ControlMessage stop = ControlMessage::make(MessageType::stopccn, 3);
  stop.add_u16(AvpType::assigned_tunnel_id, 9).add_result_code({2, 8, "unknown AVP"});
  auto s = decode_control(*encode_control(stop, nullptr, rnd), nullptr);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->result_code(), (ResultCode{2, 8, "unknown AVP"}));

  ControlMessage wen = ControlMessage::make(MessageType::wen, 3, 4);
  const CallErrors ce{1, 2, 3, 4, 5, 6};
  wen.add_call_errors(ce, true);
  auto w = decode_control(*encode_control(wen, &kSecret, rnd), &kSecret);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->call_errors(), ce);

  ControlMessage sli = ControlMessage::make(MessageType::sli, 3, 4);
  sli.add_accm({0x000a0000, 0xffffffff});
  auto l = decode_control(*encode_control(sli, nullptr, rnd), nullptr);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->accm(), (Accm{0x000a0000, 0xffffffff}));

  ControlMessage sccrq = ControlMessage::make(MessageType::sccrq, 0);
  sccrq.add_protocol_version()
      .add_string(AvpType::host_name, "lac")
      .add_u32(AvpType::framing_capabilities, 3)
      .add_u16(AvpType::assigned_tunnel_id, 1)
      .add_u64(AvpType::tie_breaker, 0x0102030405060708ull);
  auto q = decode_control(*encode_control(sccrq, nullptr, rnd), nullptr);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->u64(AvpType::tie_breaker), 0x0102030405060708ull);
  EXPECT_FALSE(q->find(AvpType::tie_breaker)->mandatory);  // §4.4.3: M=0
  EXPECT_TRUE(q->find(AvpType::host_name)->mandatory);
  EXPECT_EQ(q->u32(AvpType::host_name), std::nullopt);  // wrong size -> nullopt
}

TEST(L2tpCodecRoundTrip, StrayMessageTypeAndRandomVectorAreNotWritten) {
  SeededRandom rnd(9);
  ControlMessage m = ControlMessage::make(MessageType::hello, 1);
  m.add_u16(AvpType::message_type, 1).add_bytes(AvpType::random_vector, Bytes(16, 7));
  auto w = encode_control(m, nullptr, rnd);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->size(), kControlHeaderSize + 8);
  auto back = decode_control(*w, nullptr);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->type, MessageType::hello);
  EXPECT_TRUE(back->avps.empty());
}

TEST(L2tpCodecRoundTrip, Zlb) {
  SeededRandom rnd(1);
  ControlMessage z = ControlMessage::make_zlb(0x1234, 0);
  z.ns = 5;
  z.nr = 6;
  auto w = encode_control(z, nullptr, rnd);
  ASSERT_TRUE(w);
  EXPECT_EQ(to_hex(*w, '\0'), "c802000c1234000000050006");
  auto back = decode_control(*w, nullptr);
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->zlb);
  EXPECT_EQ(summary(*back), "ZLB tid=4660 sid=0 ns=5 nr=6");
}

// ---------------------------------------------------------------------------------------
// Data messages.

TEST(L2tpCodecData, DecodeVariants) {
  struct Case {
    std::string_view name, hex;
    bool ok;
    std::uint16_t tid, sid;
    std::optional<std::uint16_t> ns;
    std::string_view payload;
  } cases[] = {
      {"minimal", "0002 0001 0002 ff03c021", true, 1, 2, std::nullopt, "ff03c021"},
      {"with L", "4002 000a 0001 0002 c021 dead", true, 1, 2, std::nullopt, "c021"},
      {"with S", "0802 0001 0002 0003 0004 c021", true, 1, 2, 3, "c021"},
      {"with O", "0202 0001 0002 0003 aabbcc c021", true, 1, 2, std::nullopt, "c021"},
      {"L S O P", "4b02 0012 0001 0002 0003 0004 0002 0000 c021", true, 1, 2, 3, "c021"},
      {"empty payload", "0002 0001 0002", true, 1, 2, std::nullopt, ""},
      {"offset runs past end", "0202 0001 0002 0009 aa", false, 0, 0, std::nullopt, ""},
      {"offset past Length", "4202 000a 0001 0002 0002 aabb", false, 0, 0, std::nullopt, ""},
      {"truncated", "0802 0001 0002 0003", false, 0, 0, std::nullopt, ""},
      {"length too big", "4002 00ff 0001 0002", false, 0, 0, std::nullopt, ""},
      {"control", "c802000c1234000000050006", false, 0, 0, std::nullopt, ""},
      {"bad version", "0003 0001 0002", false, 0, 0, std::nullopt, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const Bytes b = hex(c.hex);
    auto d = decode_data(b);
    ASSERT_EQ(d.has_value(), c.ok);
    if (!c.ok) {
      EXPECT_EQ(recommend(d.error()).action, DecodeAction::drop);
      continue;
    }
    EXPECT_EQ(d->tunnel_id, c.tid);
    EXPECT_EQ(d->session_id, c.sid);
    EXPECT_EQ(d->ns, c.ns);
    EXPECT_EQ(to_hex(d->payload, '\0'), c.payload);
  }
  EXPECT_EQ(decode_data(hex("c802000c1234000000050006")).error().kind, DecodeErrorKind::not_data);
}

TEST(L2tpCodecData, EncodeRoundTrip) {
  const Bytes ppp = hex("ff03 c021 0101 0004");
  const Bytes plain = encode_data(7, 8, std::nullopt, ppp);
  EXPECT_EQ(to_hex(plain, '\0'), "000200070008ff03c02101010004");
  auto d = decode_data(plain);
  ASSERT_TRUE(d);
  EXPECT_EQ(Bytes(d->payload.begin(), d->payload.end()), ppp);
  EXPECT_FALSE(d->ns);

  const Bytes seq = encode_data(7, 8, DataSequence{10, 20}, ppp);
  auto s = decode_data(seq);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->ns, 10);
  EXPECT_EQ(s->nr, 20);
  EXPECT_EQ(Bytes(s->payload.begin(), s->payload.end()), ppp);

  Bytes buf = {0xaa};
  EXPECT_EQ(append_data_header(buf, 1, 2), 6u);
  EXPECT_EQ(append_data_header(buf, 1, 2, DataSequence{}), 10u);
  EXPECT_EQ(buf.size(), 17u);
  EXPECT_FALSE(peek_is_control(plain));
  EXPECT_TRUE(peek_is_control(hex("c802")));
  EXPECT_FALSE(peek_is_control(hex("c8")));
}

// ---------------------------------------------------------------------------------------
// Tables and printing.

TEST(L2tpCodecTables, ConsistentWithEnums) {
  int known = 0;
  for (std::uint16_t t = 0; t < 64; ++t) {
    const AvpInfo* info = avp_info(t);
    if (t <= 39 && t != 20) {
      ASSERT_NE(info, nullptr) << t;
      EXPECT_EQ(static_cast<std::uint16_t>(info->type), t);
      EXPECT_LE(info->min_len, info->max_len);
      EXPECT_NE(avp_name(t), "Unknown");
      ++known;
    } else {
      EXPECT_EQ(info, nullptr) << t;
      EXPECT_EQ(avp_name(t), "Unknown");
    }
  }
  EXPECT_EQ(known, 39);
  EXPECT_EQ(avp_table().size(), 39u);
  for (std::uint16_t t = 0; t < 20; ++t) {
    const bool k = is_known_message_type(t);
    EXPECT_EQ(k, t >= 1 && t <= 16 && t != 5 && t != 13) << t;
    if (k) {
      EXPECT_NE(message_spec(static_cast<MessageType>(t)), nullptr);
      EXPECT_NE(message_name(static_cast<MessageType>(t)), "Unknown");
    }
  }
  EXPECT_EQ(message_name(MessageType::stopccn), "StopCCN");
  EXPECT_TRUE(is_tunnel_message(MessageType::hello));
  EXPECT_FALSE(is_tunnel_message(MessageType::cdn));
}

// Every AVP's length bounds from the table are enforced on decode: one octet below the
// minimum or above the maximum fails the message when M is set and is skipped otherwise.
TEST(L2tpCodecTables, EveryAvpLengthBoundIsEnforced) {
  SeededRandom rnd(4);
  int checked = 0;
  for (const AvpInfo& info : avp_table()) {
    if (info.type == AvpType::message_type || info.type == AvpType::random_vector) continue;
    std::vector<std::size_t> bad;
    if (info.min_len > 0) bad.push_back(info.min_len - 1);
    if (info.max_len < kMaxAvpLength - kAvpHeaderSize) bad.push_back(info.max_len + 1u);
    for (std::size_t len : bad) {
      if (info.kind == AvpValueKind::result_code && len == 3) continue;  // covered by its own rule
      for (bool m : {true, false}) {
        SCOPED_TRACE(std::string(info.name) + " len=" + std::to_string(len) + (m ? " M" : ""));
        ControlMessage msg = ControlMessage::make(MessageType::hello, 1);
        msg.add(Avp{0, static_cast<std::uint16_t>(info.type), m, false, Bytes(len, 0x31)});
        auto wire = encode_control(msg, nullptr, rnd);
        ASSERT_TRUE(wire);
        auto d = decode_control(*wire, nullptr);
        if (m) {
          ASSERT_FALSE(d);
          EXPECT_EQ(d.error().kind, DecodeErrorKind::avp_bad_length);
          EXPECT_EQ(d.error().avp_type, static_cast<std::uint16_t>(info.type));
        } else {
          ASSERT_TRUE(d) << describe(d.error());
          EXPECT_EQ(d->skipped_avps, 1);
          EXPECT_FALSE(d->has(info.type));
        }
        ++checked;
      }
    }
    // The bounds themselves are accepted.
    for (std::size_t len : {static_cast<std::size_t>(info.min_len),
                            static_cast<std::size_t>(std::min<std::size_t>(info.max_len, 64))}) {
      if (len < info.min_len || (info.kind == AvpValueKind::result_code && len == 3)) continue;
      ControlMessage msg = ControlMessage::make(MessageType::hello, 1);
      msg.add(Avp{0, static_cast<std::uint16_t>(info.type), true, false, Bytes(len, 0x31)});
      auto d = decode_control(*encode_control(msg, nullptr, rnd), nullptr);
      ASSERT_TRUE(d) << info.name << " len=" << len << ": " << describe(d.error());
      EXPECT_TRUE(d->has(info.type));
    }
  }
  EXPECT_GT(checked, 60);
}

// Every required AVP of every message (RFC 2661 §6) is really required.
TEST(L2tpCodecTables, EveryRequiredAvpIsChecked) {
  SeededRandom rnd(6);
  int checked = 0;
  for (std::uint16_t t = 1; t <= 16; ++t) {
    if (!is_known_message_type(t)) continue;
    const auto type = static_cast<MessageType>(t);
    const MessageSpec* spec = message_spec(type);
    for (std::size_t drop = 0; drop < spec->required.size(); ++drop) {
      SCOPED_TRACE(std::string(message_name(type)) + " without " +
                   std::string(avp_name(static_cast<std::uint16_t>(spec->required[drop]))));
      ControlMessage m = ControlMessage::make(type, 1, is_tunnel_message(type) ? 0 : 2);
      for (std::size_t i = 0; i < spec->required.size(); ++i) {
        if (i == drop) continue;
        const AvpInfo* info = avp_info(spec->required[i]);
        m.add(Avp{0, static_cast<std::uint16_t>(info->type), info->mandatory, false,
                  sample_value(*info, 1)});
      }
      auto d = decode_control(*encode_control(m, nullptr, rnd), nullptr);
      ASSERT_FALSE(d);
      EXPECT_EQ(d.error().kind, DecodeErrorKind::missing_required_avp);
      EXPECT_EQ(d.error().avp_type, static_cast<std::uint16_t>(spec->required[drop]));
      EXPECT_EQ(recommend(d.error()).action,
                is_tunnel_message(type) ? DecodeAction::stop_tunnel : DecodeAction::close_session);
      ++checked;
    }
  }
  EXPECT_EQ(checked, 4 + 4 + 2 + 7 + 1 + 2 + 2 + 1 + 2 + 2 + 1 + 1);
}

TEST(L2tpCodecDescribe, MasksSecretsAndShowsFields) {
  ControlMessage m = ControlMessage::make(MessageType::sccrp, 1);
  const Bytes resp = hex("0123456789abcdef0123456789abcdef");
  m.add_protocol_version()
      .add_string(AvpType::host_name, "lns\x01")
      .add_u16(AvpType::assigned_tunnel_id, 5, true)
      .add_bytes(AvpType::challenge, hex("c0ffee"))
      .add_bytes(AvpType::challenge_response, resp)
      .add_bytes(AvpType::proxy_authen_response, str_bytes("hunter2"))
      .add_result_code({2, 8, "bad"})
      .add(Avp{311, 9, false, false, hex("abcd")});
  const std::string text = describe(m);
  EXPECT_NE(text.find("SCCRP tid=1"), std::string::npos) << text;
  EXPECT_NE(text.find("Host Name [M]: \"lns\\x01\""), std::string::npos) << text;
  EXPECT_NE(text.find("Assigned Tunnel ID [M] (hidden): 5"), std::string::npos) << text;
  EXPECT_NE(text.find("Challenge [M]: c0 ff ee"), std::string::npos) << text;
  EXPECT_NE(text.find("Challenge Response [M]: <16 bytes masked>"), std::string::npos) << text;
  EXPECT_NE(text.find("result=2 error=8"), std::string::npos) << text;
  EXPECT_NE(text.find("Vendor 311 AVP 9: ab cd"), std::string::npos) << text;
  EXPECT_NE(text.find("Protocol Version [M]: 1.0"), std::string::npos) << text;
  EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
  EXPECT_EQ(text.find("01 23 45"), std::string::npos) << text;
}

// ---------------------------------------------------------------------------------------
// Robustness: mutated captures never crash, over-read or loop (ASan/UBSan in CI).

TEST(L2tpCodecRobustness, MutatedCapturesAreHandled) {
  std::mt19937 gen(12345);
  std::vector<Bytes> seeds;
  for (const auto& p : kXl2tpdCaptureA) seeds.push_back(hex(p.hex));
  for (const auto& p : kXl2tpdCaptureB) seeds.push_back(hex(p.hex));
  int decoded = 0, failed = 0;
  for (int i = 0; i < 20000; ++i) {
    Bytes b = seeds[gen() % seeds.size()];
    const int edits = 1 + static_cast<int>(gen() % 4);
    for (int e = 0; e < edits; ++e) {
      switch (gen() % 3) {
        case 0:
          if (!b.empty()) b[gen() % b.size()] ^= static_cast<std::uint8_t>(1u << (gen() % 8));
          break;
        case 1:
          if (!b.empty()) b.resize(gen() % b.size());
          break;
        case 2:
          b.insert(b.begin() + static_cast<std::ptrdiff_t>(gen() % (b.size() + 1)),
                   static_cast<std::uint8_t>(gen()));
          break;
      }
    }
    auto m = decode_control(b, &kSecret);
    if (m) {
      ++decoded;
      (void)describe(*m);
      SeededRandom rnd(i);
      auto again = encode_control(*m, &kSecret, rnd);
      ASSERT_TRUE(again);
      auto twice = decode_control(*again, &kSecret);
      ASSERT_TRUE(twice) << describe(twice.error());
      EXPECT_EQ(twice->avps, m->avps);
    } else {
      ++failed;
      (void)recommend(m.error());
      (void)describe(m.error());
    }
    (void)decode_data(b);
  }
  EXPECT_GT(decoded, 100);
  EXPECT_GT(failed, 100);
}

}  // namespace
}  // namespace vpdnd::vpdn
