// PPP codec: frames (RFC 1661 §2, §6.5/§6.6 compression), control packets (§5),
// LCP options (§6), IPCP options (RFC 1332 §3, RFC 1877), PAP (RFC 1334 §2.2),
// CHAP (RFC 1994 §4). Every length is checked here, once, before anything is copied.
#include <cstdio>
#include <span>
#include <utility>

#include "common/digest.hpp"
#include "common/enum_names.hpp"
#include "ppp/ppp.hpp"

namespace vpdnd::ppp {

namespace {
using Kind = DecodeErrorKind;

std::uint32_t get32(ByteView v) {
  return (std::uint32_t{v[0]} << 24) | (std::uint32_t{v[1]} << 16) | (std::uint32_t{v[2]} << 8) |
         v[3];
}
std::uint16_t get16(ByteView v) {
  return static_cast<std::uint16_t>((v[0] << 8) | v[1]);
}
}  // namespace

std::string_view to_string(Code code) {
  static constexpr std::string_view kNames[] = {"ConfReq", "ConfAck", "ConfNak", "ConfRej",
                                                "TermReq", "TermAck", "CodeRej", "ProtRej",
                                                "EchoReq", "EchoRep", "DiscReq"};
  return enum_name<Code::configure_request, Code::discard_request>(code, kNames, "Code?");
}

std::string protocol_name(std::uint16_t protocol) {
  static constexpr std::pair<std::uint16_t, std::string_view> kNames[] = {
      {proto::lcp, "LCP"}, {proto::ipcp, "IPCP"},     {proto::pap, "PAP"},   {proto::chap, "CHAP"},
      {proto::ip, "IP"},   {proto::ipv6cp, "IPV6CP"}, {proto::ipv6, "IPV6"}, {proto::ccp, "CCP"}};
  for (auto [number, name] : kNames)
    if (number == protocol) return std::string(name);
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04x", protocol);
  return buf;
}

std::string code_name(std::uint16_t protocol, std::uint8_t code) {
  // PAP's codes 1..3 (RFC 1334 §2.2) and CHAP's 1..4 (RFC 1994 §4) in order.
  static constexpr std::string_view kPap[] = {"Auth-Req", "Auth-Ack", "Auth-Nak"};
  static constexpr std::string_view kChap[] = {"Challenge", "Response", "Success", "Failure"};
  std::span<const std::string_view> names;
  if (protocol == proto::pap)
    names = kPap;
  else if (protocol == proto::chap)
    names = kChap;
  else if (code >= 1 && code <= (protocol == proto::lcp ? 11 : 7))
    return std::string(to_string(static_cast<Code>(code)));
  if (code >= 1 && code <= names.size()) return std::string(names[code - 1]);
  return "Code(" + std::to_string(code) + ")";
}

std::string to_string(const DecodeError& e) {
  static constexpr std::string_view kKinds[] = {"truncated", "bad-length", "bad-protocol",
                                                "bad-value", "bad-code"};
  return describe(e, kKinds);
}

std::string_view to_string(AuthProtocol p) {
  static constexpr std::string_view kNames[] = {"none", "PAP", "CHAP", "MS-CHAP", "MS-CHAP-V2"};
  return enum_name<AuthProtocol::none, AuthProtocol::mschap_v2>(p, kNames);
}

std::uint8_t chap_algorithm(AuthProtocol p) {
  switch (p) {
    case AuthProtocol::chap_md5:
      return kChapMd5;
    case AuthProtocol::mschap_v1:
      return kChapMsV1;
    case AuthProtocol::mschap_v2:
      return kChapMsV2;
    default:
      return 0;
  }
}

AuthProtocol to_protocol(AuthMethod m) {
  switch (m) {
    case AuthMethod::pap:
      return AuthProtocol::pap;
    case AuthMethod::chap_md5:
      return AuthProtocol::chap_md5;
    case AuthMethod::mschap_v1:
      return AuthProtocol::mschap_v1;
    case AuthMethod::mschap_v2:
      return AuthProtocol::mschap_v2;
  }
  return AuthProtocol::none;
}

// ---- frames ---------------------------------------------------------------------------

Result<Frame, DecodeError> decode_frame(ByteView data) {
  std::size_t at = 0;
  // RFC 1662 §3.1: All-Stations address 0xff, UI control 0x03. A protocol field never
  // starts with 0xff (the high octet of a protocol number is even), so this is unambiguous.
  if (data.size() >= 1 && data[0] == 0xff) {
    if (data.size() < 2) return codec_error(Kind::truncated, 0, "address without control");
    if (data[1] != 0x03) return codec_error(Kind::bad_value, 1, "control field not 0x03");
    at = 2;
  }
  if (data.size() <= at) return codec_error(Kind::truncated, at, "no protocol field");
  std::uint16_t protocol = 0;
  if (data[at] & 0x01) {
    // RFC 1661 §6.5: a compressed (1-octet) protocol field; its value is odd.
    protocol = data[at];
    at += 1;
  } else {
    if (data.size() < at + 2) return codec_error(Kind::truncated, at, "protocol field cut");
    protocol = get16(data.subspan(at, 2));
    // RFC 1661 §2: the least significant octet is odd.
    if ((protocol & 0x0001) == 0)
      return codec_error(Kind::bad_protocol, at, "protocol low octet even");
    at += 2;
  }
  return Frame{protocol, data.subspan(at)};
}

Bytes encode_frame(std::uint16_t protocol, ByteView payload) {
  return encode_frame(protocol, payload, false, false);
}

Bytes encode_frame(std::uint16_t protocol, ByteView payload, bool address_control,
                   bool compress_protocol) {
  ByteWriter w(payload.size() + 4);
  if (address_control) {
    w.u8(0xff);
    w.u8(0x03);
  }
  if (compress_protocol && protocol < 0x100)
    w.u8(static_cast<std::uint8_t>(protocol));
  else
    w.u16(protocol);
  w.bytes(payload);
  return w.take();
}

// ---- control packets ----------------------------------------------------------------

Result<ControlPacket, DecodeError> decode_control(ByteView data) {
  if (data.size() < 4) return codec_error(Kind::truncated, 0, "control header < 4 octets");
  std::uint16_t length = get16(data.subspan(2, 2));
  if (length < 4) return codec_error(Kind::bad_length, 2, "Length < 4");
  // RFC 1661 §5: octets beyond Length are padding and ignored; fewer is a malformed packet.
  if (length > data.size()) return codec_error(Kind::truncated, 2, "Length beyond the frame");
  return ControlPacket{data[0], data[1], data.subspan(4, length - 4u)};
}

Bytes encode_control(std::uint8_t code, std::uint8_t id, ByteView data) {
  ByteWriter w(data.size() + 4);
  w.u8(code);
  w.u8(id);
  w.u16(static_cast<std::uint16_t>(data.size() + 4));
  w.bytes(data);
  return w.take();
}

Result<std::vector<RawOption>, DecodeError> decode_options(ByteView data) {
  std::vector<RawOption> out;
  std::size_t at = 0;
  while (at < data.size()) {
    if (data.size() - at < 2) return codec_error(Kind::truncated, at, "option header cut");
    std::uint8_t len = data[at + 1];
    if (len < 2) return codec_error(Kind::bad_length, at + 1, "option length < 2");
    if (len > data.size() - at) return codec_error(Kind::truncated, at + 1, "option beyond packet");
    auto v = data.subspan(at + 2, len - 2u);
    out.push_back(RawOption{data[at], Bytes(v.begin(), v.end())});
    at += len;
  }
  return out;
}

void encode_option(ByteWriter& w, std::uint8_t type, ByteView value) {
  w.u8(type);
  w.u8(static_cast<std::uint8_t>(value.size() + 2));
  w.bytes(value);
}

namespace {
// Decodes the option list of `data` and hands each option to `each(option, value, at)`
// (`at`: where the option starts, for error offsets); the first error ends the walk.
template <class Each>
Status<DecodeError> each_option(ByteView data, Each each) {
  auto raw = decode_options(data);
  if (!raw) return unexpected(raw.error());
  std::size_t at = 0;
  for (auto& opt : *raw) {
    const ByteView v(opt.value);
    if (Status<DecodeError> s = each(opt, v, at); !s) return s;
    at += v.size() + 2;
  }
  return {};
}
}  // namespace

Bytes encode_options(const std::vector<RawOption>& options) {
  ByteWriter w;
  for (const auto& o : options) encode_option(w, o.type, o.value);
  return w.take();
}

// ---- LCP options --------------------------------------------------------------------

namespace {
// The LCP options of a fixed size (RFC 1661 §6): the value's octets, and the error, which
// names the option's Length.
struct FixedOption {
  std::uint8_t type;
  std::size_t size;
  std::string_view length_error;
};
constexpr FixedOption kLcpFixed[] = {
    {lcp_opt::mru, 2, "MRU length != 4"},
    {lcp_opt::accm, 4, "ACCM length != 6"},
    {lcp_opt::magic_number, 4, "Magic-Number length != 6"},
    {lcp_opt::pfc, 0, "PFC length != 2"},
    {lcp_opt::acfc, 0, "ACFC length != 2"},
};
}  // namespace

Result<LcpOptions, DecodeError> decode_lcp_options(ByteView data) {
  LcpOptions o;
  auto option = [&](RawOption& opt, ByteView v, std::size_t at) -> Status<DecodeError> {
    for (const FixedOption& f : kLcpFixed)
      if (f.type == opt.type && v.size() != f.size)
        return codec_error(Kind::bad_length, at, f.length_error);
    switch (opt.type) {
      case lcp_opt::mru:
        o.mru = get16(v);
        break;
      case lcp_opt::accm:
        o.accm = get32(v);
        break;
      case lcp_opt::auth_protocol: {
        if (v.size() < 2) return codec_error(Kind::bad_length, at, "Auth-Protocol length < 4");
        std::uint16_t p = get16(v);
        // A repeated option: the last one wins, as for every other option here (found by
        // fuzzing: CHAP-MD5 followed by an unknown protocol must not keep both).
        o.auth.reset();
        o.auth_other.reset();
        if (p == proto::pap && v.size() == 2) {
          o.auth = AuthProtocol::pap;
        } else if (p == proto::chap && v.size() == 3 && v[2] == kChapMd5) {
          o.auth = AuthProtocol::chap_md5;
        } else if (p == proto::chap && v.size() == 3 && v[2] == kChapMsV1) {
          o.auth = AuthProtocol::mschap_v1;
        } else if (p == proto::chap && v.size() == 3 && v[2] == kChapMsV2) {
          o.auth = AuthProtocol::mschap_v2;
        } else {
          o.auth_other = std::make_pair(p, Bytes(v.begin() + 2, v.end()));
        }
        break;
      }
      case lcp_opt::magic_number:
        o.magic = get32(v);
        break;
      case lcp_opt::pfc:
      case lcp_opt::acfc:
        (opt.type == lcp_opt::pfc ? o.pfc : o.acfc) = true;
        break;
      default:
        o.unknown.push_back(std::move(opt));
        break;
    }
    return {};
  };
  if (auto s = each_option(data, option); !s) return unexpected(s.error());
  return o;
}

Bytes encode_lcp_options(const LcpOptions& o) {
  ByteWriter w;
  if (o.mru) {
    ByteWriter v;
    v.u16(*o.mru);
    encode_option(w, lcp_opt::mru, v.buffer());
  }
  if (o.accm) {
    ByteWriter v;
    v.u32(*o.accm);
    encode_option(w, lcp_opt::accm, v.buffer());
  }
  if (o.auth && *o.auth != AuthProtocol::none) {
    ByteWriter v;
    if (*o.auth == AuthProtocol::pap) {
      v.u16(proto::pap);
    } else {
      v.u16(proto::chap);
      v.u8(chap_algorithm(*o.auth));
    }
    encode_option(w, lcp_opt::auth_protocol, v.buffer());
  } else if (o.auth_other) {
    ByteWriter v;
    v.u16(o.auth_other->first);
    v.bytes(o.auth_other->second);
    encode_option(w, lcp_opt::auth_protocol, v.buffer());
  }
  if (o.magic) {
    ByteWriter v;
    v.u32(*o.magic);
    encode_option(w, lcp_opt::magic_number, v.buffer());
  }
  if (o.pfc) encode_option(w, lcp_opt::pfc, {});
  if (o.acfc) encode_option(w, lcp_opt::acfc, {});
  for (const auto& u : o.unknown) encode_option(w, u.type, u.value);
  return w.take();
}

// ---- IPCP options -------------------------------------------------------------------

Result<IpcpOptions, DecodeError> decode_ipcp_options(ByteView data) {
  IpcpOptions o;
  auto option = [&](RawOption& opt, ByteView v, std::size_t at) -> Status<DecodeError> {
    std::optional<Ipv4>* slot = nullptr;
    if (opt.type == ipcp_opt::ip_address) slot = &o.address;
    if (opt.type == ipcp_opt::primary_dns) slot = &o.primary_dns;
    if (opt.type == ipcp_opt::secondary_dns) slot = &o.secondary_dns;
    if (slot) {
      if (v.size() != 4) return codec_error(Kind::bad_length, at, "IPv4 option length != 6");
      *slot = Ipv4{get32(v)};
    } else {
      o.unknown.push_back(std::move(opt));
    }
    return {};
  };
  if (auto s = each_option(data, option); !s) return unexpected(s.error());
  return o;
}

Bytes encode_ipcp_options(const IpcpOptions& o) {
  ByteWriter w;
  auto put = [&](std::uint8_t type, const std::optional<Ipv4>& a) {
    if (!a) return;
    ByteWriter v;
    v.u32(a->value);
    encode_option(w, type, v.buffer());
  };
  put(ipcp_opt::ip_address, o.address);
  put(ipcp_opt::primary_dns, o.primary_dns);
  put(ipcp_opt::secondary_dns, o.secondary_dns);
  for (const auto& u : o.unknown) encode_option(w, u.type, u.value);
  return w.take();
}

// ---- LCP bodies ---------------------------------------------------------------------

Result<EchoBody, DecodeError> decode_echo(ByteView data) {
  if (data.size() < 4) return codec_error(Kind::truncated, 0, "Magic-Number missing");
  return EchoBody{get32(data), data.subspan(4)};
}

Result<ProtocolRejectBody, DecodeError> decode_protocol_reject(ByteView data) {
  if (data.size() < 2) return codec_error(Kind::truncated, 0, "Rejected-Protocol missing");
  return ProtocolRejectBody{get16(data), data.subspan(2)};
}

// ---- PAP ----------------------------------------------------------------------------

Result<PapRequest, DecodeError> decode_pap_request(const ControlPacket& p) {
  if (p.code != pap_code::request)
    return codec_error(Kind::bad_code, 0, "not an Authenticate-Request");
  ByteReader r(p.data);
  std::uint8_t id_len = r.u8();
  auto id = r.bytes(id_len);
  std::uint8_t pw_len = r.u8();
  auto pw = r.bytes(pw_len);
  if (!r.ok())
    return codec_error(Kind::truncated, 4 + r.offset(), "Peer-ID/Password beyond packet");
  return PapRequest{p.id, std::string(id.begin(), id.end()), std::string(pw.begin(), pw.end())};
}

Result<PapReply, DecodeError> decode_pap_reply(const ControlPacket& p) {
  if (p.code != pap_code::ack && p.code != pap_code::nak)
    return codec_error(Kind::bad_code, 0, "not an Authenticate-Ack/Nak");
  PapReply out{p.code, p.id, {}};
  // Some peers (seen: old Cisco IOS) send Ack with no Msg-Length octet at all; accept it.
  if (p.data.empty()) return out;
  ByteReader r(p.data);
  std::uint8_t len = r.u8();
  auto msg = r.bytes(len);
  if (!r.ok()) return codec_error(Kind::truncated, 4, "Message beyond packet");
  out.message.assign(msg.begin(), msg.end());
  return out;
}

Bytes encode_pap_request(const PapRequest& r) {
  ByteWriter w;
  std::size_t id_len = std::min<std::size_t>(r.peer_id.size(), 255);
  std::size_t pw_len = std::min<std::size_t>(r.password.size(), 255);
  w.u8(static_cast<std::uint8_t>(id_len));
  w.bytes(std::string_view(r.peer_id).substr(0, id_len));
  w.u8(static_cast<std::uint8_t>(pw_len));
  w.bytes(std::string_view(r.password).substr(0, pw_len));
  return encode_control(pap_code::request, r.id, w.buffer());
}

Bytes encode_pap_reply(const PapReply& r) {
  ByteWriter w;
  std::size_t len = std::min<std::size_t>(r.message.size(), 255);
  w.u8(static_cast<std::uint8_t>(len));
  w.bytes(std::string_view(r.message).substr(0, len));
  return encode_control(r.code, r.id, w.buffer());
}

// ---- CHAP ---------------------------------------------------------------------------

Result<ChapValue, DecodeError> decode_chap_value(const ControlPacket& p) {
  if (p.code != chap_code::challenge && p.code != chap_code::response)
    return codec_error(Kind::bad_code, 0, "not a Challenge/Response");
  ByteReader r(p.data);
  std::uint8_t n = r.u8();
  auto value = r.bytes(n);
  if (!r.ok()) return codec_error(Kind::truncated, 4, "Value beyond packet");
  if (n == 0) return codec_error(Kind::bad_length, 4, "Value-Size 0");
  auto name = r.rest();
  return ChapValue{p.code, p.id, Bytes(value.begin(), value.end()),
                   std::string(name.begin(), name.end())};
}

Result<ChapStatus, DecodeError> decode_chap_status(const ControlPacket& p) {
  if (p.code != chap_code::success && p.code != chap_code::failure)
    return codec_error(Kind::bad_code, 0, "not a Success/Failure");
  return ChapStatus{p.code, p.id, std::string(p.data.begin(), p.data.end())};
}

Bytes encode_chap_value(const ChapValue& v) {
  ByteWriter w;
  std::size_t n = std::min<std::size_t>(v.value.size(), 255);
  w.u8(static_cast<std::uint8_t>(n));
  w.bytes(ByteView(v.value).first(n));
  w.bytes(v.name);
  return encode_control(v.code, v.id, w.buffer());
}

Bytes encode_chap_status(const ChapStatus& s) {
  ByteWriter w;
  w.bytes(s.message);
  return encode_control(s.code, s.id, w.buffer());
}

Bytes chap_md5_response(std::uint8_t id, std::string_view secret, ByteView challenge) {
  auto digest = md5({ByteView(&id, 1), as_bytes(secret), challenge});  // RFC 1994 §4.1
  return Bytes(digest.begin(), digest.end());
}

}  // namespace vpdnd::ppp
