// DOC: the L2TPv2 (RFC 2661) wire codec: header, AVPs, hidden AVPs, message validation.
//
// Ownership: l2tp-codec. Pure functions over bytes: no I/O, no logging, no mutable global
// state (the tables are constant; hiding.cpp caches the MD5 method once and keeps one
// digest context per thread). Safe to call from any thread; the protocol thread is the usual
// caller. A RandomSource object is not thread-safe: one per thread. Every length is checked here
// once, before anything is copied, so callers may trust a decoded ControlMessage: each AVP listed
// in its message's spec as required is present, every known AVP's value length is within the table
// bounds, hidden AVPs are already un-hidden.
//
// Layout of the implementation: vpdn/codec/tables.cpp (AVP + message tables),
// header.cpp (v2 header, data messages), control.cpp (AVP parse/serialise, validation,
// error -> RFC action, ControlMessage helpers), hiding.cpp (§4.3 hiding, §4.2 challenge
// response, random sources; MD5 via OpenSSL EVP), describe.cpp (debug printer).
//
// Interop notes (each has a test): xl2tpd 1.3.18 rejects a Result Code without an Error
// Code, so add_result_code() always writes one; xl2tpd cannot un-hide AVPs in SCCRQ (it
// looks the secret up afterwards), so a LAC talking to it should hide from SCCCN on.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "ppp/proxy.hpp"

namespace vpdnd::vpdn {

inline constexpr std::uint16_t kL2tpPort = 1701;
inline constexpr std::size_t kControlHeaderSize = 12;  // flags, length, tunnel, session, Ns, Nr
inline constexpr std::size_t kAvpHeaderSize = 6;       // flags+length, vendor, type
inline constexpr std::size_t kMaxAvpLength = 1023;     // 10-bit length field (§4.1)

// ---------------------------------------------------------------------------------------
// Message types (RFC 2661 §3.2). 0, 5 and 13 are reserved.
enum class MessageType : std::uint16_t {
  sccrq = 1,
  sccrp = 2,
  scccn = 3,
  stopccn = 4,
  hello = 6,
  ocrq = 7,
  ocrp = 8,
  occn = 9,
  icrq = 10,
  icrp = 11,
  iccn = 12,
  cdn = 14,
  wen = 15,
  sli = 16,
};

// RFC abbreviations: "SCCRQ", "StopCCN", "HELLO", "ICCN", ...; "Unknown" for a value
// outside the enum (only reachable by casting).
std::string_view message_name(MessageType type);
bool is_known_message_type(std::uint16_t value);
// True for messages that belong to the control connection as a whole (SCCRQ, SCCRP, SCCCN,
// StopCCN, HELLO); false for session (call) messages. Decides StopCCN vs CDN on errors.
bool is_tunnel_message(MessageType type);

// ---------------------------------------------------------------------------------------
// AVP types (RFC 2661 §4.4), IETF vendor 0.
enum class AvpType : std::uint16_t {
  message_type = 0,
  result_code = 1,
  protocol_version = 2,
  framing_capabilities = 3,
  bearer_capabilities = 4,
  tie_breaker = 5,
  firmware_revision = 6,
  host_name = 7,
  vendor_name = 8,
  assigned_tunnel_id = 9,
  receive_window_size = 10,
  challenge = 11,
  q931_cause_code = 12,
  challenge_response = 13,
  assigned_session_id = 14,
  call_serial_number = 15,
  minimum_bps = 16,
  maximum_bps = 17,
  bearer_type = 18,
  framing_type = 19,
  called_number = 21,
  calling_number = 22,
  sub_address = 23,
  tx_connect_speed = 24,
  physical_channel_id = 25,
  initial_received_lcp_confreq = 26,
  last_sent_lcp_confreq = 27,
  last_received_lcp_confreq = 28,
  proxy_authen_type = 29,
  proxy_authen_name = 30,
  proxy_authen_challenge = 31,
  proxy_authen_id = 32,
  proxy_authen_response = 33,
  call_errors = 34,
  accm = 35,
  random_vector = 36,
  private_group_id = 37,
  rx_connect_speed = 38,
  sequencing_required = 39,
};

enum class AvpValueKind : std::uint8_t {
  empty,             // no value (Sequencing Required)
  u16,               // 2 octets
  u32,               // 4 octets
  u64,               // 8 octets (Tie Breaker)
  string,            // printable text (Host Name, Called Number, ...)
  bytes,             // opaque octets (Challenge, LCP CONFREQ, ...)
  result_code,       // u16 result [, u16 error [, text]]  (§4.4.2)
  q931_cause,        // u16 cause, u8 msg code [, text]   (§4.4.10)
  call_errors,       // u16 reserved + 6 x u32             (§4.4.6)
  accm,              // u16 reserved + u32 send + u32 recv (§4.4.6)
  protocol_version,  // u8 version, u8 revision
};

// One row per AVP: the single source of truth for M bits, value kinds and length bounds.
struct AvpInfo {
  AvpType type;
  std::string_view name;  // "Host Name" (RFC spelling, used by describe())
  bool mandatory;         // default M bit we send (§4.4 tables)
  AvpValueKind kind;
  std::uint16_t min_len;  // value length bounds (after un-hiding), in octets
  std::uint16_t max_len;
  bool may_hide;  // H bit allowed by the RFC
  bool secret;    // value must never be printed (masked by describe())
};
// nullptr for an unknown (or reserved, e.g. 20) type.
const AvpInfo* avp_info(std::uint16_t type);
inline const AvpInfo* avp_info(AvpType type) {
  return avp_info(static_cast<std::uint16_t>(type));
}
std::string_view avp_name(std::uint16_t type);  // "Unknown" when not in the table
std::span<const AvpInfo> avp_table();

// Required / optional AVPs per message (RFC 2661 §6). Known AVPs outside both lists are
// accepted (peers such as xl2tpd add them) but not required.
struct MessageSpec {
  MessageType type;
  std::string_view name;          // as message_name() gives it
  std::vector<AvpType> required;  // Message Type itself is implied and not listed
  std::vector<AvpType> optional;
};
const MessageSpec* message_spec(MessageType type);

// ---------------------------------------------------------------------------------------
// One attribute. `value` is always the plain value (un-hidden on decode). On encode,
// `hidden` asks for the AVP to be hidden (needs a HidingContext); on decode it reports
// that the peer hid it.
struct Avp {
  std::uint16_t vendor = 0;
  std::uint16_t type = 0;
  bool mandatory = false;
  bool hidden = false;
  Bytes value;

  bool is(AvpType t) const { return vendor == 0 && type == static_cast<std::uint16_t>(t); }
  bool operator==(const Avp&) const = default;
};

// Result Code AVP (§4.4.2). StopCCN results: 1 general request to clear, 2 general error
// (see error), 3 control channel exists, 4 requester not authorized, 5 protocol version not
// supported, 6 shutting down, 7 FSM error. CDN results: 1 lost carrier, 2 general error,
// 3 administrative, 4 no facilities temporary, 5 no facilities permanent, 6 invalid
// destination, 7 no carrier, 8 busy, 9 no dial tone, 10 timeout, 11 no framing.
struct ResultCode {
  std::uint16_t result = 0;
  std::optional<std::uint16_t> error;  // §4.4.2 general error codes 0..8
  std::string message;                 // only sent when error is present
  bool operator==(const ResultCode&) const = default;
};

namespace stopccn_result {
inline constexpr std::uint16_t clear = 1, general_error = 2, channel_exists = 3, not_authorized = 4,
                               bad_protocol_version = 5, shutting_down = 6, fsm_error = 7;
}
namespace cdn_result {
inline constexpr std::uint16_t lost_carrier = 1, general_error = 2, administrative = 3,
                               no_facilities_temporary = 4, no_facilities_permanent = 5,
                               invalid_destination = 6, no_carrier = 7, busy = 8, no_dial_tone = 9,
                               timeout = 10, no_framing = 11;
}
// §4.4.2 General Error Codes.
namespace general_error {
inline constexpr std::uint16_t none = 0, no_control_connection = 1, bad_length = 2, bad_value = 3,
                               insufficient_resources = 4, invalid_session_id = 5,
                               vendor_specific = 6, try_another = 7, unknown_mandatory_avp = 8;
}

struct Q931Cause {
  std::uint16_t cause = 0;
  std::uint8_t message = 0;
  std::string advisory;
  bool operator==(const Q931Cause&) const = default;
};

struct CallErrors {  // §4.4.6 WEN
  std::uint32_t crc_errors = 0, framing_errors = 0, hardware_overruns = 0, buffer_overruns = 0,
                timeout_errors = 0, alignment_errors = 0;
  bool operator==(const CallErrors&) const = default;
};

struct Accm {  // §4.4.6 SLI
  std::uint32_t send = 0xffffffff, receive = 0xffffffff;
  bool operator==(const Accm&) const = default;
};

// Framing / bearer capability and type bits (§4.4.3, §4.4.5).
inline constexpr std::uint32_t kFramingSync = 0x1, kFramingAsync = 0x2;
inline constexpr std::uint32_t kBearerDigital = 0x1, kBearerAnalog = 0x2;

// ---------------------------------------------------------------------------------------
struct ControlMessage {
  std::uint16_t tunnel_id = 0;   // header Tunnel ID (the receiver's id)
  std::uint16_t session_id = 0;  // header Session ID
  std::uint16_t ns = 0;
  std::uint16_t nr = 0;
  bool zlb = false;  // no AVPs at all (pure acknowledgement); `type` meaningless
  MessageType type = MessageType::hello;
  bool type_mandatory = true;      // M bit of the Message Type AVP
  std::vector<Avp> avps;           // every AVP after Message Type, Random Vectors excluded
  std::uint16_t skipped_avps = 0;  // decode: unknown non-mandatory / vendor AVPs consumed

  static ControlMessage make(MessageType type, std::uint16_t tunnel_id,
                             std::uint16_t session_id = 0);
  static ControlMessage make_zlb(std::uint16_t tunnel_id, std::uint16_t session_id = 0);

  // ---- getters (first occurrence; nullopt when absent or the wrong size) ----
  const Avp* find(AvpType type) const;
  bool has(AvpType type) const { return find(type) != nullptr; }
  std::optional<std::uint16_t> u16(AvpType type) const;
  std::optional<std::uint32_t> u32(AvpType type) const;
  std::optional<std::uint64_t> u64(AvpType type) const;
  std::optional<std::string> string(AvpType type) const;
  std::optional<Bytes> bytes(AvpType type) const;
  std::optional<ResultCode> result_code() const;
  std::optional<Q931Cause> q931_cause() const;
  std::optional<CallErrors> call_errors() const;
  std::optional<Accm> accm() const;
  // (version, revision) of the Protocol Version AVP; RFC 2661 peers send (1, 0).
  std::optional<std::pair<std::uint8_t, std::uint8_t>> protocol_version() const;
  // Proxy LCP / authentication AVPs 26-33 (§4.4.5) -> ppp::ProxyData; nullopt when none of
  // them is present. Proxy Authen ID carries the id in its low octet.
  std::optional<ppp::ProxyData> proxy_data() const;

  // ---- builders; M bit defaults to the table; `hide` asks for §4.3 hiding on encode ----
  ControlMessage& add(Avp avp);
  ControlMessage& add_empty(AvpType type);
  ControlMessage& add_u16(AvpType type, std::uint16_t v, bool hide = false);
  ControlMessage& add_u32(AvpType type, std::uint32_t v, bool hide = false);
  ControlMessage& add_u64(AvpType type, std::uint64_t v, bool hide = false);
  ControlMessage& add_string(AvpType type, std::string_view v, bool hide = false);
  ControlMessage& add_bytes(AvpType type, ByteView v, bool hide = false);
  // Always writes an Error Code (0 when rc.error is empty): xl2tpd requires one.
  ControlMessage& add_result_code(const ResultCode& rc);
  ControlMessage& add_q931_cause(const Q931Cause& c);
  ControlMessage& add_call_errors(const CallErrors& e, bool hide = false);
  ControlMessage& add_accm(const Accm& a, bool hide = false);
  ControlMessage& add_protocol_version(std::uint8_t version = 1, std::uint8_t revision = 0);
  // Adds the proxy AVPs that carry data (empty CONFREQs / name / challenge / response are
  // omitted; Proxy Authen Type is always added). `hide` applies to name/challenge/response.
  ControlMessage& add_proxy(const ppp::ProxyData& p, bool hide = false);

  bool operator==(const ControlMessage&) const = default;
};

// Tunnel secret for hiding (§4.3) - the same secret as for tunnel authentication.
struct HidingContext {
  std::string secret;
};

// Injectable randomness (Random Vector, hiding padding; the engine uses it for ids and
// challenges too). Production: OsRandom (OpenSSL RAND_bytes). Tests: SeededRandom.
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  virtual void fill(std::span<std::uint8_t> out) = 0;
  std::uint16_t u16() {
    std::uint8_t b[2];
    fill(b);
    return static_cast<std::uint16_t>(b[0] << 8 | b[1]);
  }
  std::uint32_t u32() {
    std::uint8_t b[4];
    fill(b);
    return std::uint32_t(b[0]) << 24 | std::uint32_t(b[1]) << 16 | std::uint32_t(b[2]) << 8 | b[3];
  }
  std::uint64_t u64() { return std::uint64_t(u32()) << 32 | u32(); }
};
class OsRandom final : public RandomSource {
 public:
  void fill(
      std::span<std::uint8_t> out) override;  // RAND_bytes; aborts only if OpenSSL cannot seed
};
class SeededRandom final : public RandomSource {
 public:
  explicit SeededRandom(std::uint64_t seed) : engine_(seed) {}
  void fill(std::span<std::uint8_t> out) override;

 private:
  std::mt19937_64 engine_;
};

// ---------------------------------------------------------------------------------------
// Decode errors. Each kind maps to one RFC consequence via recommend().
enum class DecodeErrorKind : std::uint8_t {
  // header level: the datagram is dropped silently and counted (no ack, no state change)
  too_short,          // fewer bytes than the header needs
  bad_version,        // Ver != 2 (L2F=1, L2TPv3=3 ...)
  bad_control_flags,  // T=1 without L=1 and S=1
  bad_length_field,   // Length field < header or > datagram
  bad_offset,         // O bit: Offset Size runs past the datagram
  not_control,        // decode_control() on a data message
  not_data,           // decode_data() on a control message
  // AVP level: the message was delivered in sequence (ack it), then acted on as the RFC says
  avp_truncated,                 // AVP header or length runs past the message
  avp_too_short,                 // AVP Length < 6
  avp_bad_length,                // known mandatory AVP whose value length is outside the table
  first_avp_not_message_type,    // §4.1 Message Type must be the first AVP
  message_type_hidden,           // Message Type AVP with H set
  unknown_message_type,          // unknown type with M set: the tunnel MUST be cleared (§4.4.1)
  ignorable_message_type,        // unknown type without M: ignore the message (§4.4.1)
  unknown_mandatory_avp,         // unknown (or reserved-bit) AVP with M set (§4.1)
  missing_required_avp,          // message spec (§6) not met
  hidden_without_random_vector,  // H set but no Random Vector earlier in the message
  hidden_without_secret,         // H set on a mandatory AVP and we have no secret
  hidden_bad_length,             // un-hidden Original Length inconsistent (wrong secret?)
};
std::string_view error_name(DecodeErrorKind kind);  // "too-short", "unknown-mandatory-avp", ...

// The header as far as it was parsed; control headers carry Ns/Nr so the transport can
// still sequence and acknowledge a message whose body failed.
struct Header {
  bool control = false;
  bool has_length = false, has_sequence = false, has_offset = false, priority = false;
  std::uint16_t length = 0;  // Length field, or datagram size when L=0
  std::uint16_t tunnel_id = 0;
  std::uint16_t session_id = 0;
  std::uint16_t ns = 0, nr = 0;
  std::size_t payload_offset = 0;  // first byte after header (and offset padding)
};

struct DecodeError {
  DecodeErrorKind kind = DecodeErrorKind::too_short;
  std::uint16_t avp_type = 0;  // the offending AVP (vendor in avp_vendor)
  std::uint16_t avp_vendor = 0;
  std::size_t offset = 0;                   // byte offset in the datagram where it went wrong
  std::optional<MessageType> message_type;  // when the Message Type AVP was read
  std::uint16_t raw_message_type = 0;       // the value as sent (unknown types too)
  std::optional<Header> header;             // set once the header itself was valid
};

// What to do about a DecodeError (RFC 2661 §4.1, §4.4.1, §4.4.2).
enum class DecodeAction : std::uint8_t {
  drop,           // drop silently, count; do not ack (header untrustworthy)
  ignore,         // ack in sequence, otherwise ignore the message
  stop_tunnel,    // send StopCCN with result/error below, tear down the tunnel
  close_session,  // send CDN with result/error below (session of header.session_id)
};
struct Recommendation {
  DecodeAction action = DecodeAction::drop;
  ResultCode result;  // meaningful for stop_tunnel / close_session
};
Recommendation recommend(const DecodeError& error);
std::string describe(const DecodeError& error);  // one line, for debug/error logs

// ---------------------------------------------------------------------------------------
// Control messages.

// Fast demultiplexing without a full decode: T bit of the first octet (false when < 2 bytes).
bool peek_is_control(ByteView datagram);
// Parses and validates the v2 header of a control or data message.
Result<Header, DecodeError> decode_header(ByteView datagram);

// Full decode + validation against the tables. `hiding` may be nullptr (no secret): hidden
// mandatory AVPs then fail with hidden_without_secret.
Result<ControlMessage, DecodeError> decode_control(ByteView datagram, const HidingContext* hiding);

// For an LNS receiving SCCRQ: which secret un-hides it depends on the peer's Host Name,
// and a LAC may hide Assigned Tunnel ID etc. in SCCRQ already. This walks the AVPs of a
// control message (bounded, no validation, nothing copied but the name) and returns the
// first plain Host Name; then call decode_control() with that peer's secret.
std::optional<std::string> peek_host_name(ByteView datagram);

enum class EncodeErrorKind : std::uint8_t {
  hide_without_secret,  // an AVP asks for hiding and no HidingContext was given
  avp_too_long,         // value does not fit the 10-bit AVP length
  message_too_long,     // > 65535 octets
};
struct EncodeError {
  EncodeErrorKind kind;
  std::uint16_t avp_type = 0;
};
// T=1 L=1 S=1 Ver=2, correct Length; hidden AVPs get one fresh Random Vector AVP placed
// before the first of them; the hidden sub-format is padded to a multiple of 16 octets.
// ZLB when msg.zlb (no AVPs written).
Result<Bytes, EncodeError> encode_control(const ControlMessage& msg, const HidingContext* hiding,
                                          RandomSource& random);

// ---------------------------------------------------------------------------------------
// Data messages (§3.1): T=0; L, S, O optional on receive.
struct DataMessage {
  std::uint16_t tunnel_id = 0;
  std::uint16_t session_id = 0;
  std::optional<std::uint16_t> ns;
  std::optional<std::uint16_t> nr;
  bool priority = false;
  ByteView payload;  // PPP frame (address/control field may or may not be present)
};
Result<DataMessage, DecodeError> decode_data(ByteView datagram);

struct DataSequence {
  std::uint16_t ns = 0, nr = 0;
};
// Appends a data header to `out` (no L bit, no offset: the smallest header RFC 2661 allows;
// S only when `seq` is set). Returns the header size. Use with a pre-reserved buffer and
// append the payload after it.
std::size_t append_data_header(Bytes& out, std::uint16_t tunnel_id, std::uint16_t session_id,
                               std::optional<DataSequence> seq = std::nullopt);
Bytes encode_data(std::uint16_t tunnel_id, std::uint16_t session_id,
                  std::optional<DataSequence> seq, ByteView payload);

// ---------------------------------------------------------------------------------------
// Tunnel authentication (§4.2, §5.1.1): MD5(ID || secret || challenge) where ID is the
// Message Type value of the message carrying the response (SCCRP = 2, SCCCN = 3).
std::array<std::uint8_t, 16> chap_response(std::uint8_t id, std::string_view secret,
                                           ByteView challenge);
// Constant-time comparison of a received Challenge Response against the expected one.
bool chap_response_matches(ByteView received, const std::array<std::uint8_t, 16>& expected);

// §4.3 primitives, exposed for tests and known-answer checks. `value` is the plain value;
// the result is the hidden sub-format (Original Length + value + padding) XOR the MD5 chain.
Bytes hide_value(std::uint16_t avp_type, ByteView value, std::string_view secret,
                 ByteView random_vector, std::size_t padding = 0,
                 RandomSource* pad_random = nullptr);
// nullopt when the Original Length field does not fit (wrong secret or corrupt AVP).
std::optional<Bytes> unhide_value(std::uint16_t avp_type, ByteView hidden, std::string_view secret,
                                  ByteView random_vector);

// ---------------------------------------------------------------------------------------
// Debug printing: header line then one AVP per line ("  Host Name: lns1"). Secret AVPs
// (Challenge Response, Proxy Authen Response) are masked; hidden ones are
// marked "(hidden)".
std::string describe(const ControlMessage& msg);
// One-line summary: "SCCRQ tid=0 sid=0 ns=0 nr=0 avps=9" / "ZLB tid=5 ns=3 nr=4".
std::string summary(const ControlMessage& msg);

}  // namespace vpdnd::vpdn
