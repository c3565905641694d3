// RFC 2516 discovery and session frames. Pure: no I/O, no logging.
#include <cstdio>
#include <cstring>
#include <optional>

#include "common/enum_names.hpp"
#include "ppp/pppoe.hpp"

namespace vpdnd::ppp {

namespace {
constexpr std::size_t kEthHeader = 14;
constexpr std::size_t kPppoeHeader = 6;

using Kind = PppoeDecodeErrorKind;

bool is_group(const MacAddress& m) {
  return (m[0] & 1) != 0;
}

MacAddress read_mac(ByteReader& r) {
  MacAddress m{};
  ByteView b = r.bytes(6);
  if (b.size() == 6) std::memcpy(m.data(), b.data(), 6);
  return m;
}

void write_eth(ByteWriter& w, const MacAddress& dst, const MacAddress& src, std::uint16_t type) {
  w.bytes(ByteView(dst.data(), 6));
  w.bytes(ByteView(src.data(), 6));
  w.u16(type);
}

// The Ethernet header and the PPPoE VER/TYPE octet (RFC 2516 §4) of a frame whose
// EtherType must be `type` (`not_type` says otherwise); `r` is left at CODE.
std::optional<PppoeDecodeError> read_headers(ByteView frame, ByteReader& r, std::uint16_t type,
                                             std::string_view not_type, MacAddress& dst,
                                             MacAddress& src) {
  if (frame.size() < kEthHeader + kPppoeHeader)
    return PppoeDecodeError{Kind::truncated, frame.size(), "shorter than Ethernet + PPPoE header"};
  dst = read_mac(r);
  src = read_mac(r);
  if (r.u16() != type) return PppoeDecodeError{Kind::bad_ethertype, 12, not_type};
  if (r.u8() != 0x11) return PppoeDecodeError{Kind::bad_version, 14, "VER/TYPE must be 1/1"};
  return std::nullopt;
}

constexpr EnumName<PppoeCode> kCodes[] = {
    {PppoeCode::session, "SESSION"}, {PppoeCode::pado, "PADO"}, {PppoeCode::padi, "PADI"},
    {PppoeCode::padr, "PADR"},       {PppoeCode::pads, "PADS"}, {PppoeCode::padt, "PADT"},
};

// A discovery CODE (the session CODE 0 is none).
bool known_code(std::uint8_t c) {
  return c != static_cast<std::uint8_t>(PppoeCode::session) && find_enum_name(c, kCodes);
}
}  // namespace

std::string to_string(const MacAddress& mac) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                mac[4], mac[5]);
  return buf;
}

std::optional<MacAddress> parse_mac(std::string_view text) {
  MacAddress m{};
  if (text.size() != 17) return std::nullopt;
  for (std::size_t i = 0; i < 6; ++i) {
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    int hi = hex(text[i * 3]), lo = hex(text[i * 3 + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    if (i < 5 && text[i * 3 + 2] != ':') return std::nullopt;
    m[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return m;
}

std::string_view to_string(PppoeCode c) {
  return enum_name(c, kCodes, "UNKNOWN");
}

std::string to_string(const PppoeDecodeError& e) {
  static constexpr std::string_view kKinds[] = {"truncated",      "bad ethertype",  "bad version",
                                                "bad code",       "bad tag",        "missing tag",
                                                "bad session id", "bad destination"};
  return describe(e, kKinds);
}

std::string_view to_string(PppoeCloseReason r) {
  return r == PppoeCloseReason::admin ? "admin" : "peer PADT";
}

const PppoeTag* PppoeDiscovery::find(std::uint16_t type) const {
  for (const auto& t : tags)
    if (t.type == type) return &t;
  return nullptr;
}

std::string PppoeDiscovery::text(std::uint16_t type) const {
  const PppoeTag* t = find(type);
  return t ? std::string(t->value.begin(), t->value.end()) : std::string();
}

void PppoeDiscovery::add(std::uint16_t type, ByteView value) {
  tags.push_back(PppoeTag{type, Bytes(value.begin(), value.end())});
}
void PppoeDiscovery::add(std::uint16_t type, std::string_view value) {
  tags.push_back(PppoeTag{type, Bytes(value.begin(), value.end())});
}

std::uint16_t ether_type(ByteView frame) {
  if (frame.size() < kEthHeader) return 0;
  return static_cast<std::uint16_t>((frame[12] << 8) | frame[13]);
}

Result<PppoeDiscovery, PppoeDecodeError> decode_pppoe_discovery(ByteView frame) {
  ByteReader r(frame);
  PppoeDiscovery p;
  if (auto e = read_headers(frame, r, kEtherTypePppoeDiscovery, "not 0x8863", p.dst, p.src))
    return unexpected(*e);
  std::uint8_t code = r.u8();
  if (!known_code(code)) return codec_error(Kind::bad_code, 15, "unknown discovery code");
  p.code = static_cast<PppoeCode>(code);
  p.session_id = r.u16();
  std::uint16_t length = r.u16();
  if (length > r.remaining()) return codec_error(Kind::truncated, 18, "Length past end of frame");
  ByteReader tags(r.bytes(length));
  while (!tags.empty()) {
    std::size_t at = kEthHeader + kPppoeHeader + tags.offset();
    if (tags.remaining() < 4) return codec_error(Kind::bad_tag, at, "truncated tag header");
    std::uint16_t type = tags.u16();
    std::uint16_t len = tags.u16();
    if (len > tags.remaining()) return codec_error(Kind::bad_tag, at, "tag length past payload");
    ByteView value = tags.bytes(len);
    if (type == pppoe_tag::end_of_list) break;  // §A: later bytes are ignored
    p.tags.push_back(PppoeTag{type, Bytes(value.begin(), value.end())});
  }
  // Per-code rules, RFC 2516 §5.1-5.5.
  switch (p.code) {
    case PppoeCode::padi:
      if (p.dst != kBroadcastMac)
        return codec_error(Kind::bad_destination, 0, "PADI not broadcast");
      if (p.session_id != 0)
        return codec_error(Kind::bad_session_id, 16, "PADI SESSION_ID must be 0");
      if (!p.has(pppoe_tag::service_name))
        return codec_error(Kind::missing_tag, 20, "PADI without Service-Name");
      break;
    case PppoeCode::pado:
      if (is_group(p.dst)) return codec_error(Kind::bad_destination, 0, "PADO to a group address");
      if (p.session_id != 0)
        return codec_error(Kind::bad_session_id, 16, "PADO SESSION_ID must be 0");
      if (!p.has(pppoe_tag::ac_name))
        return codec_error(Kind::missing_tag, 20, "PADO without AC-Name");
      break;
    case PppoeCode::padr:
      if (is_group(p.dst)) return codec_error(Kind::bad_destination, 0, "PADR to a group address");
      if (p.session_id != 0)
        return codec_error(Kind::bad_session_id, 16, "PADR SESSION_ID must be 0");
      if (!p.has(pppoe_tag::service_name))
        return codec_error(Kind::missing_tag, 20, "PADR without Service-Name");
      break;
    case PppoeCode::pads:
      if (is_group(p.dst)) return codec_error(Kind::bad_destination, 0, "PADS to a group address");
      break;
    case PppoeCode::padt:
      if (is_group(p.dst)) return codec_error(Kind::bad_destination, 0, "PADT to a group address");
      if (p.session_id == 0)
        return codec_error(Kind::bad_session_id, 16, "PADT SESSION_ID must not be 0");
      break;
    case PppoeCode::session:
      break;
  }
  return p;
}

Bytes encode_pppoe_discovery(const PppoeDiscovery& p) {
  ByteWriter w(64);
  write_eth(w, p.dst, p.src, kEtherTypePppoeDiscovery);
  w.u8(0x11);
  w.u8(static_cast<std::uint8_t>(p.code));
  w.u16(p.session_id);
  std::size_t length_at = w.size();
  w.u16(0);
  for (const auto& t : p.tags) {
    w.u16(t.type);
    w.u16(static_cast<std::uint16_t>(t.value.size()));
    w.bytes(t.value);
  }
  w.patch_u16(length_at, static_cast<std::uint16_t>(w.size() - length_at - 2));
  return w.take();
}

Result<PppoeSessionFrame, PppoeDecodeError> decode_pppoe_session(ByteView frame) {
  ByteReader r(frame);
  PppoeSessionFrame s;
  if (auto e = read_headers(frame, r, kEtherTypePppoeSession, "not 0x8864", s.dst, s.src))
    return unexpected(*e);
  if (r.u8() != 0) return codec_error(Kind::bad_code, 15, "session CODE must be 0");
  s.session_id = r.u16();
  if (s.session_id == 0 || s.session_id == 0xffff)
    return codec_error(Kind::bad_session_id, 16, "session id 0 or 0xffff");
  std::uint16_t length = r.u16();
  if (length > r.remaining()) return codec_error(Kind::truncated, 18, "Length past end of frame");
  if (length < 2) return codec_error(Kind::truncated, 18, "no PPP protocol field");
  s.ppp = r.bytes(length);
  return s;
}

Bytes encode_pppoe_session(const MacAddress& dst, const MacAddress& src, std::uint16_t session_id,
                           ByteView ppp_frame) {
  ByteWriter w(kEthHeader + kPppoeHeader + ppp_frame.size());
  write_eth(w, dst, src, kEtherTypePppoeSession);
  w.u8(0x11);
  w.u8(0);
  w.u16(session_id);
  w.u16(static_cast<std::uint16_t>(ppp_frame.size()));
  w.bytes(ppp_frame);
  return w.take();
}

}  // namespace vpdnd::ppp
