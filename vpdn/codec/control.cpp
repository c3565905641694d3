// Control messages: AVP parsing against the tables, hiding, the message spec check, the
// RFC consequence of each error, and the typed getters/builders of ControlMessage.
#include <algorithm>
#include <cstring>

#include "common/enum_names.hpp"
#include "vpdn/codec.hpp"

namespace vpdnd::vpdn {
namespace {

// Call Errors and ACCM (RFC 2661 §4.4.6): two reserved octets, then exactly `words` 32-bit
// fields; a reader at the first field, or nothing when the AVP is absent or not that size.
std::optional<ByteReader> reserved_then_u32s(const Avp* a, std::size_t words) {
  if (a == nullptr || a->value.size() != 2 + 4 * words) return std::nullopt;
  ByteReader r(a->value);
  r.skip(2);
  return r;
}

constexpr std::uint16_t kAvpM = 0x8000, kAvpH = 0x4000, kAvpReserved = 0x3c00,
                        kAvpLengthMask = 0x03ff;
constexpr std::uint16_t kControlFlags = 0xc802;  // T=1 L=1 S=1 Ver=2

std::uint16_t to_u16(AvpType t) {
  return static_cast<std::uint16_t>(t);
}

void put16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void put32(Bytes& b, std::uint32_t v) {
  put16(b, static_cast<std::uint16_t>(v >> 16));
  put16(b, static_cast<std::uint16_t>(v));
}

bool default_m(AvpType t) {
  const AvpInfo* info = avp_info(t);
  return info != nullptr && info->mandatory;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Decode

Result<ControlMessage, DecodeError> decode_control(ByteView datagram, const HidingContext* hiding) {
  auto parsed = decode_header(datagram);
  if (!parsed) return unexpected(parsed.error());
  const Header& h = *parsed;

  DecodeError err;
  err.header = h;
  auto fail = [&err](DecodeErrorKind kind, std::size_t offset, std::uint16_t type = 0,
                     std::uint16_t vendor = 0) {
    err.kind = kind;
    err.offset = offset;
    err.avp_type = type;
    err.avp_vendor = vendor;
    return unexpected(err);
  };
  if (!h.control) return fail(DecodeErrorKind::not_control, 0);

  ControlMessage msg;
  msg.tunnel_id = h.tunnel_id;
  msg.session_id = h.session_id;
  msg.ns = h.ns;
  msg.nr = h.nr;
  const std::size_t end = h.length;
  std::size_t pos = h.payload_offset;
  if (pos == end) {
    msg.zlb = true;
    return msg;
  }

  ByteView random_vector;
  bool first = true;
  while (pos < end) {
    if (end - pos < kAvpHeaderSize) return fail(DecodeErrorKind::avp_truncated, pos);
    ByteReader r(datagram.subspan(pos, end - pos));
    const std::uint16_t word = r.u16();
    const std::uint16_t vendor = r.u16();
    const std::uint16_t type = r.u16();
    const std::size_t len = word & kAvpLengthMask;
    const bool m = (word & kAvpM) != 0;
    const bool hidden = (word & kAvpH) != 0;
    if (len < kAvpHeaderSize) return fail(DecodeErrorKind::avp_too_short, pos, type, vendor);
    if (len > end - pos) return fail(DecodeErrorKind::avp_truncated, pos, type, vendor);
    const ByteView raw = datagram.subspan(pos + kAvpHeaderSize, len - kAvpHeaderSize);
    const std::size_t at = pos;
    pos += len;

    if (first) {
      // §4.1: the Message Type AVP comes first; its M bit speaks for the whole message.
      first = false;
      if (vendor != 0 || type != to_u16(AvpType::message_type))
        return fail(DecodeErrorKind::first_avp_not_message_type, at, type, vendor);
      if (hidden) return fail(DecodeErrorKind::message_type_hidden, at, type);
      if (raw.size() != 2) return fail(DecodeErrorKind::avp_bad_length, at, type);
      const std::uint16_t value = static_cast<std::uint16_t>(raw[0] << 8 | raw[1]);
      err.raw_message_type = value;
      msg.type_mandatory = m;
      if (!is_known_message_type(value))
        return fail(
            m ? DecodeErrorKind::unknown_message_type : DecodeErrorKind::ignorable_message_type, at,
            type);
      msg.type = static_cast<MessageType>(value);
      err.message_type = msg.type;
      continue;
    }

    // §4.1: reserved bits set means "treat as unrecognized"; vendor AVPs we do not know.
    const AvpInfo* info = (vendor == 0 && (word & kAvpReserved) == 0) ? avp_info(type) : nullptr;
    if (info == nullptr || type == to_u16(AvpType::message_type)) {
      if (m) return fail(DecodeErrorKind::unknown_mandatory_avp, at, type, vendor);
      ++msg.skipped_avps;
      continue;
    }
    if (info->type == AvpType::random_vector) {
      // §4.3: it applies to the hidden AVPs that follow it, up to the next one.
      if (raw.empty() || hidden) {
        if (m) return fail(DecodeErrorKind::avp_bad_length, at, type);
        ++msg.skipped_avps;
        continue;
      }
      random_vector = raw;
      continue;
    }

    Avp avp;
    avp.vendor = 0;
    avp.type = type;
    avp.mandatory = m;
    avp.hidden = hidden;
    if (hidden) {
      DecodeErrorKind problem{};
      std::optional<Bytes> plain;
      if (random_vector.empty()) {
        problem = DecodeErrorKind::hidden_without_random_vector;
      } else if (hiding == nullptr) {
        problem = DecodeErrorKind::hidden_without_secret;
      } else {
        plain = unhide_value(type, raw, hiding->secret, random_vector);
        if (!plain) problem = DecodeErrorKind::hidden_bad_length;
      }
      if (!plain) {
        if (m) return fail(problem, at, type);
        ++msg.skipped_avps;
        continue;
      }
      avp.value = std::move(*plain);
    } else {
      avp.value.assign(raw.begin(), raw.end());
    }
    // §4.4.2: a Result Code carries either no Error Code or a whole one.
    const bool shape_ok = !(info->kind == AvpValueKind::result_code && avp.value.size() == 3);
    if (!shape_ok || avp.value.size() < info->min_len || avp.value.size() > info->max_len) {
      if (m) return fail(DecodeErrorKind::avp_bad_length, at, type);
      ++msg.skipped_avps;
      continue;
    }
    msg.avps.push_back(std::move(avp));
  }

  if (first) return fail(DecodeErrorKind::first_avp_not_message_type, h.payload_offset);
  if (const MessageSpec* spec = message_spec(msg.type)) {
    for (AvpType need : spec->required)
      if (!msg.has(need)) return fail(DecodeErrorKind::missing_required_avp, end, to_u16(need));
  }
  return msg;
}

std::optional<std::string> peek_host_name(ByteView datagram) {
  auto h = decode_header(datagram);
  if (!h || !h->control) return std::nullopt;
  std::size_t pos = h->payload_offset;
  const std::size_t end = h->length;
  while (end - pos >= kAvpHeaderSize) {
    ByteReader r(datagram.subspan(pos, end - pos));
    const std::uint16_t word = r.u16();
    const std::uint16_t vendor = r.u16();
    const std::uint16_t type = r.u16();
    const std::size_t len = word & kAvpLengthMask;
    if (len < kAvpHeaderSize || len > end - pos) return std::nullopt;
    if (vendor == 0 && type == to_u16(AvpType::host_name) && (word & (kAvpH | kAvpReserved)) == 0) {
      const ByteView v = datagram.subspan(pos + kAvpHeaderSize, len - kAvpHeaderSize);
      return std::string(v.begin(), v.end());
    }
    pos += len;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------
// Encode

Result<Bytes, EncodeError> encode_control(const ControlMessage& msg, const HidingContext* hiding,
                                          RandomSource& random) {
  Bytes out;
  std::size_t reserve = kControlHeaderSize + 8;
  for (const Avp& a : msg.avps) reserve += kAvpHeaderSize + a.value.size() + (a.hidden ? 34 : 0);
  out.reserve(reserve);
  put16(out, kControlFlags);
  put16(out, 0);  // Length, patched below
  put16(out, msg.tunnel_id);
  put16(out, msg.session_id);
  put16(out, msg.ns);
  put16(out, msg.nr);

  auto put_avp_header = [&out](bool m, bool h, std::size_t value_len, std::uint16_t vendor,
                               std::uint16_t type) {
    put16(out, static_cast<std::uint16_t>((m ? kAvpM : 0) | (h ? kAvpH : 0) |
                                          (kAvpHeaderSize + value_len)));
    put16(out, vendor);
    put16(out, type);
  };

  if (!msg.zlb) {
    put_avp_header(msg.type_mandatory, false, 2, 0, to_u16(AvpType::message_type));
    put16(out, static_cast<std::uint16_t>(msg.type));
    std::array<std::uint8_t, 16> rv{};
    bool rv_sent = false;
    for (const Avp& a : msg.avps) {
      // We generate our own Random Vector, and the Message Type is msg.type: copies of
      // either in `avps` (say, from a decoded message being re-sent) are not written.
      if (a.is(AvpType::random_vector) || a.is(AvpType::message_type)) continue;
      if (!a.hidden) {
        if (kAvpHeaderSize + a.value.size() > kMaxAvpLength)
          return unexpected(EncodeError{EncodeErrorKind::avp_too_long, a.type});
        put_avp_header(a.mandatory, false, a.value.size(), a.vendor, a.type);
        out.insert(out.end(), a.value.begin(), a.value.end());
        continue;
      }
      if (hiding == nullptr)
        return unexpected(EncodeError{EncodeErrorKind::hide_without_secret, a.type});
      // Sub-format = Original Length (2) + value + padding; pad to a 16-octet multiple so
      // short values do not reveal their length (§4.3 recommends padding), within 10 bits.
      const std::size_t base = 2 + a.value.size();
      std::size_t padding = (16 - base % 16) % 16;
      if (kAvpHeaderSize + base > kMaxAvpLength)
        return unexpected(EncodeError{EncodeErrorKind::avp_too_long, a.type});
      padding = std::min(padding, kMaxAvpLength - kAvpHeaderSize - base);
      if (!rv_sent) {
        random.fill(rv);
        put_avp_header(true, false, rv.size(), 0, to_u16(AvpType::random_vector));
        out.insert(out.end(), rv.begin(), rv.end());
        rv_sent = true;
      }
      const Bytes hidden = hide_value(a.type, a.value, hiding->secret, rv, padding, &random);
      put_avp_header(a.mandatory, true, hidden.size(), a.vendor, a.type);
      out.insert(out.end(), hidden.begin(), hidden.end());
    }
  }
  if (out.size() > 0xffff) return unexpected(EncodeError{EncodeErrorKind::message_too_long, 0});
  out[2] = static_cast<std::uint8_t>(out.size() >> 8);
  out[3] = static_cast<std::uint8_t>(out.size());
  return out;
}

// ---------------------------------------------------------------------------------------
// Errors

// In the order of DecodeErrorKind.
constexpr std::string_view kDecodeErrorNames[] = {
    // header level
    "too-short", "bad-version", "bad-control-flags", "bad-length-field", "bad-offset",
    "not-control", "not-data",
    // AVP level
    "avp-truncated", "avp-too-short", "avp-bad-length", "first-avp-not-message-type",
    "message-type-hidden", "unknown-message-type", "ignorable-message-type",
    "unknown-mandatory-avp", "missing-required-avp", "hidden-without-random-vector",
    "hidden-without-secret", "hidden-bad-length"};

std::string_view error_name(DecodeErrorKind kind) {
  return enum_name<DecodeErrorKind::too_short, DecodeErrorKind::hidden_bad_length>(
      kind, kDecodeErrorNames, "unknown");
}

Recommendation recommend(const DecodeError& e) {
  Recommendation r;
  // Tunnel or session scope (§4.1): by message type when known, else a message for
  // session 0 concerns the tunnel.
  const bool tunnel_scope = e.message_type ? is_tunnel_message(*e.message_type)
                                           : (!e.header || e.header->session_id == 0);
  auto teardown = [&](std::uint16_t error_code, std::string text) {
    r.action = tunnel_scope ? DecodeAction::stop_tunnel : DecodeAction::close_session;
    r.result.result = tunnel_scope ? stopccn_result::general_error : cdn_result::general_error;
    r.result.error = error_code;
    r.result.message = std::move(text);
  };
  const std::string avp = std::string(avp_name(e.avp_type));
  switch (e.kind) {
    case DecodeErrorKind::too_short:
    case DecodeErrorKind::bad_version:
    case DecodeErrorKind::bad_control_flags:
    case DecodeErrorKind::bad_length_field:
    case DecodeErrorKind::bad_offset:
    case DecodeErrorKind::not_control:
    case DecodeErrorKind::not_data:
    case DecodeErrorKind::first_avp_not_message_type:
    case DecodeErrorKind::message_type_hidden:
      // Nothing in the body can be trusted enough to answer; the peer retransmits and the
      // transport's own limits end the tunnel if it keeps happening.
      r.action = DecodeAction::drop;
      break;
    case DecodeErrorKind::ignorable_message_type:
      // §4.4.1: M bit clear on an unknown Message Type: the message may be ignored.
      r.action = DecodeAction::ignore;
      break;
    case DecodeErrorKind::unknown_message_type:
      // §4.4.1: M bit set on an unknown Message Type: the tunnel MUST be cleared.
      r.action = DecodeAction::stop_tunnel;
      r.result = {stopccn_result::general_error, general_error::bad_value,
                  "unknown mandatory message type " + std::to_string(e.raw_message_type)};
      break;
    case DecodeErrorKind::unknown_mandatory_avp:
      // §4.1: unrecognized AVP with M set terminates the session or the whole tunnel;
      // §4.4.2 error code 8 names exactly this case.
      teardown(general_error::unknown_mandatory_avp, "unknown mandatory AVP vendor " +
                                                         std::to_string(e.avp_vendor) + " type " +
                                                         std::to_string(e.avp_type));
      break;
    case DecodeErrorKind::avp_truncated:
    case DecodeErrorKind::avp_too_short:
    case DecodeErrorKind::avp_bad_length:
      teardown(general_error::bad_length, "bad length in AVP " + avp);
      break;
    case DecodeErrorKind::missing_required_avp:
      teardown(general_error::bad_value, "missing mandatory AVP " + avp);
      break;
    case DecodeErrorKind::hidden_without_random_vector:
      teardown(general_error::bad_value, "hidden AVP " + avp + " without Random Vector");
      break;
    case DecodeErrorKind::hidden_without_secret:
    case DecodeErrorKind::hidden_bad_length:
      // A peer hiding with a secret we do not share: for the control connection that is
      // the §4.4.2 StopCCN result 4 "requester is not authorized".
      if (tunnel_scope) {
        r.action = DecodeAction::stop_tunnel;
        r.result = {stopccn_result::not_authorized, std::nullopt, {}};
      } else {
        teardown(general_error::bad_value, "cannot un-hide AVP " + avp);
      }
      break;
  }
  return r;
}

std::string describe(const DecodeError& e) {
  std::string s = "error=";
  s += error_name(e.kind);
  s += " offset=" + std::to_string(e.offset);
  if (e.message_type)
    s += " message=" + std::string(message_name(*e.message_type));
  else if (e.raw_message_type != 0)
    s += " message-type=" + std::to_string(e.raw_message_type);
  if (e.avp_type != 0 || e.avp_vendor != 0 || e.kind == DecodeErrorKind::unknown_mandatory_avp) {
    s += " avp=" + std::to_string(e.avp_type);
    if (e.avp_vendor != 0)
      s += " vendor=" + std::to_string(e.avp_vendor);
    else
      s += " (" + std::string(avp_name(e.avp_type)) + ")";
  }
  if (e.header) {
    s += " tid=" + std::to_string(e.header->tunnel_id) +
         " sid=" + std::to_string(e.header->session_id);
    if (e.header->control)
      s += " ns=" + std::to_string(e.header->ns) + " nr=" + std::to_string(e.header->nr);
  }
  return s;
}

// ---------------------------------------------------------------------------------------
// ControlMessage getters and builders

ControlMessage ControlMessage::make(MessageType type, std::uint16_t tunnel_id,
                                    std::uint16_t session_id) {
  ControlMessage m;
  m.type = type;
  m.tunnel_id = tunnel_id;
  m.session_id = session_id;
  return m;
}

ControlMessage ControlMessage::make_zlb(std::uint16_t tunnel_id, std::uint16_t session_id) {
  ControlMessage m = make(MessageType::hello, tunnel_id, session_id);
  m.zlb = true;
  return m;
}

const Avp* ControlMessage::find(AvpType type) const {
  for (const Avp& a : avps)
    if (a.is(type)) return &a;
  return nullptr;
}

std::optional<std::uint16_t> ControlMessage::u16(AvpType type) const {
  const Avp* a = find(type);
  if (a == nullptr || a->value.size() != 2) return std::nullopt;
  return static_cast<std::uint16_t>(a->value[0] << 8 | a->value[1]);
}

std::optional<std::uint32_t> ControlMessage::u32(AvpType type) const {
  const Avp* a = find(type);
  if (a == nullptr || a->value.size() != 4) return std::nullopt;
  ByteReader r(a->value);
  return r.u32();
}

std::optional<std::uint64_t> ControlMessage::u64(AvpType type) const {
  const Avp* a = find(type);
  if (a == nullptr || a->value.size() != 8) return std::nullopt;
  ByteReader r(a->value);
  const std::uint64_t hi = r.u32();
  return hi << 32 | r.u32();
}

std::optional<std::string> ControlMessage::string(AvpType type) const {
  const Avp* a = find(type);
  if (a == nullptr) return std::nullopt;
  return std::string(a->value.begin(), a->value.end());
}

std::optional<Bytes> ControlMessage::bytes(AvpType type) const {
  const Avp* a = find(type);
  if (a == nullptr) return std::nullopt;
  return a->value;
}

std::optional<ResultCode> ControlMessage::result_code() const {
  const Avp* a = find(AvpType::result_code);
  if (a == nullptr || a->value.size() < 2 || a->value.size() == 3) return std::nullopt;
  ByteReader r(a->value);
  ResultCode rc;
  rc.result = r.u16();
  if (!r.empty()) rc.error = r.u16();
  ByteView text = r.rest();
  rc.message.assign(text.begin(), text.end());
  return rc;
}

std::optional<Q931Cause> ControlMessage::q931_cause() const {
  const Avp* a = find(AvpType::q931_cause_code);
  if (a == nullptr || a->value.size() < 3) return std::nullopt;
  ByteReader r(a->value);
  Q931Cause c;
  c.cause = r.u16();
  c.message = r.u8();
  ByteView text = r.rest();
  c.advisory.assign(text.begin(), text.end());
  return c;
}

std::optional<CallErrors> ControlMessage::call_errors() const {
  auto r = reserved_then_u32s(find(AvpType::call_errors), 6);
  if (!r) return std::nullopt;
  CallErrors e;
  e.crc_errors = r->u32();
  e.framing_errors = r->u32();
  e.hardware_overruns = r->u32();
  e.buffer_overruns = r->u32();
  e.timeout_errors = r->u32();
  e.alignment_errors = r->u32();
  return e;
}

std::optional<Accm> ControlMessage::accm() const {
  auto r = reserved_then_u32s(find(AvpType::accm), 2);
  if (!r) return std::nullopt;
  Accm x;
  x.send = r->u32();
  x.receive = r->u32();
  return x;
}

std::optional<std::pair<std::uint8_t, std::uint8_t>> ControlMessage::protocol_version() const {
  const Avp* a = find(AvpType::protocol_version);
  if (a == nullptr || a->value.size() != 2) return std::nullopt;
  return std::pair{a->value[0], a->value[1]};
}

std::optional<ppp::ProxyData> ControlMessage::proxy_data() const {
  bool any = false;
  ppp::ProxyData p;
  auto take = [&](AvpType t, std::vector<std::uint8_t>& dst) {
    if (const Avp* a = find(t)) {
      dst = a->value;
      any = true;
    }
  };
  take(AvpType::initial_received_lcp_confreq, p.initial_received_confreq);
  take(AvpType::last_sent_lcp_confreq, p.last_sent_confreq);
  take(AvpType::last_received_lcp_confreq, p.last_received_confreq);
  take(AvpType::proxy_authen_challenge, p.auth_challenge);
  take(AvpType::proxy_authen_response, p.auth_response);
  if (auto t = u16(AvpType::proxy_authen_type)) {
    p.auth_type = static_cast<ppp::ProxyAuthType>(*t);
    any = true;
  }
  if (auto n = string(AvpType::proxy_authen_name)) {
    p.auth_name = std::move(*n);
    any = true;
  }
  if (auto id = u16(AvpType::proxy_authen_id)) {
    p.auth_id = static_cast<std::uint8_t>(*id & 0xff);
    any = true;
  }
  if (!any) return std::nullopt;
  return p;
}

ControlMessage& ControlMessage::add(Avp avp) {
  avps.push_back(std::move(avp));
  return *this;
}

ControlMessage& ControlMessage::add_bytes(AvpType type, ByteView v, bool hide) {
  Avp a;
  a.type = to_u16(type);
  a.mandatory = default_m(type);
  a.hidden = hide;
  a.value.assign(v.begin(), v.end());
  return add(std::move(a));
}

ControlMessage& ControlMessage::add_empty(AvpType type) {
  return add_bytes(type, {}, false);
}

ControlMessage& ControlMessage::add_u16(AvpType type, std::uint16_t v, bool hide) {
  Bytes b;
  put16(b, v);
  return add_bytes(type, b, hide);
}

ControlMessage& ControlMessage::add_u32(AvpType type, std::uint32_t v, bool hide) {
  Bytes b;
  put32(b, v);
  return add_bytes(type, b, hide);
}

ControlMessage& ControlMessage::add_u64(AvpType type, std::uint64_t v, bool hide) {
  Bytes b;
  put32(b, static_cast<std::uint32_t>(v >> 32));
  put32(b, static_cast<std::uint32_t>(v));
  return add_bytes(type, b, hide);
}

ControlMessage& ControlMessage::add_string(AvpType type, std::string_view v, bool hide) {
  return add_bytes(type, ByteView(reinterpret_cast<const std::uint8_t*>(v.data()), v.size()), hide);
}

ControlMessage& ControlMessage::add_result_code(const ResultCode& rc) {
  Bytes b;
  put16(b, rc.result);
  // §4.4.2 makes the Error Code optional, but xl2tpd 1.3.18 rejects a Result Code shorter
  // than result + error ("expected at least 10"), so we always send one (0 = no error).
  put16(b, rc.error.value_or(general_error::none));
  b.insert(b.end(), rc.message.begin(), rc.message.end());
  return add_bytes(AvpType::result_code, b);
}

ControlMessage& ControlMessage::add_q931_cause(const Q931Cause& c) {
  Bytes b;
  put16(b, c.cause);
  b.push_back(c.message);
  b.insert(b.end(), c.advisory.begin(), c.advisory.end());
  return add_bytes(AvpType::q931_cause_code, b);
}

ControlMessage& ControlMessage::add_call_errors(const CallErrors& e, bool hide) {
  Bytes b;
  put16(b, 0);
  for (std::uint32_t v : {e.crc_errors, e.framing_errors, e.hardware_overruns, e.buffer_overruns,
                          e.timeout_errors, e.alignment_errors})
    put32(b, v);
  return add_bytes(AvpType::call_errors, b, hide);
}

ControlMessage& ControlMessage::add_accm(const Accm& a, bool hide) {
  Bytes b;
  put16(b, 0);
  put32(b, a.send);
  put32(b, a.receive);
  return add_bytes(AvpType::accm, b, hide);
}

ControlMessage& ControlMessage::add_protocol_version(std::uint8_t version, std::uint8_t revision) {
  const std::uint8_t b[2] = {version, revision};
  return add_bytes(AvpType::protocol_version, b);
}

ControlMessage& ControlMessage::add_proxy(const ppp::ProxyData& p, bool hide) {
  if (!p.initial_received_confreq.empty())
    add_bytes(AvpType::initial_received_lcp_confreq, p.initial_received_confreq);
  if (!p.last_sent_confreq.empty()) add_bytes(AvpType::last_sent_lcp_confreq, p.last_sent_confreq);
  if (!p.last_received_confreq.empty())
    add_bytes(AvpType::last_received_lcp_confreq, p.last_received_confreq);
  add_u16(AvpType::proxy_authen_type, static_cast<std::uint16_t>(p.auth_type));
  if (!p.auth_name.empty()) add_string(AvpType::proxy_authen_name, p.auth_name, hide);
  if (!p.auth_challenge.empty()) add_bytes(AvpType::proxy_authen_challenge, p.auth_challenge, hide);
  if (p.auth_id) add_u16(AvpType::proxy_authen_id, *p.auth_id);
  if (!p.auth_response.empty()) add_bytes(AvpType::proxy_authen_response, p.auth_response, hide);
  return *this;
}

}  // namespace vpdnd::vpdn
