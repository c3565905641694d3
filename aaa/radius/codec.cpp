#include "aaa/radius/codec.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

#include "aaa/radius/tunnel.hpp"
#include "common/enum_names.hpp"

namespace vpdnd::aaa::radius {

bool AttributeList::add(std::uint8_t type, std::span<const std::uint8_t> value) {
  if (value.size() > kMaxValue) return false;
  items_.push_back({type, {value.begin(), value.end()}});
  return true;
}

bool AttributeList::add_vendor(std::uint32_t vendor, std::uint8_t type,
                               std::span<const std::uint8_t> value) {
  if (value.size() + 6 > kMaxValue) return false;
  std::vector<std::uint8_t> v{static_cast<std::uint8_t>(vendor >> 24),
                              static_cast<std::uint8_t>(vendor >> 16),
                              static_cast<std::uint8_t>(vendor >> 8),
                              static_cast<std::uint8_t>(vendor),
                              type,
                              static_cast<std::uint8_t>(value.size() + 2)};
  v.insert(v.end(), value.begin(), value.end());
  return add(PW_VENDOR_SPECIFIC, v);
}

bool AttributeList::add_string(std::uint8_t type, std::string_view s) {
  if (s.empty()) return true;
  return add(type, bytes(s));
}

bool AttributeList::add_u32(std::uint8_t type, std::uint32_t v) {
  const std::uint8_t b[4] = {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
                             static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
  return add(type, b);
}

Authenticator hmac_md5(std::string_view key, std::span<const std::uint8_t> data) {
  Authenticator out{};
  unsigned len = 0;
  HMAC(EVP_md5(), key.data(), static_cast<int>(key.size()), data.data(), data.size(), out.data(),
       &len);
  return out;
}

std::vector<std::uint8_t> hide_user_password(std::string_view password, std::string_view secret,
                                             const Authenticator& ra) {
  std::vector<std::uint8_t> p(password.begin(), password.end());
  const std::size_t padded = std::max<std::size_t>(16, (p.size() + 15) / 16 * 16);
  p.resize(std::min<std::size_t>(padded, 128), 0);
  std::span<const std::uint8_t> prev = ra;
  for (std::size_t off = 0; off < p.size(); off += 16) {
    const auto b = md5({bytes(secret), prev});
    for (std::size_t i = 0; i < 16; ++i) p[off + i] ^= b[i];
    prev = std::span<const std::uint8_t>(p).subspan(off, 16);
  }
  return p;
}

namespace {
// RFC 2865 §5.2 un-hiding, padding kept (binary values may end in zero octets).
std::optional<std::string> unhide(std::span<const std::uint8_t> hidden, std::string_view secret,
                                  const Authenticator& ra) {
  if (hidden.empty() || hidden.size() % 16 || hidden.size() > 128) return std::nullopt;
  std::string out(hidden.size(), '\0');
  std::span<const std::uint8_t> prev = ra;
  for (std::size_t off = 0; off < hidden.size(); off += 16) {
    const auto b = md5({bytes(secret), prev});
    for (std::size_t i = 0; i < 16; ++i) out[off + i] = static_cast<char>(hidden[off + i] ^ b[i]);
    prev = hidden.subspan(off, 16);
  }
  return out;
}
}  // namespace

std::optional<std::string> unhide_user_password(std::span<const std::uint8_t> hidden,
                                                std::string_view secret, const Authenticator& ra) {
  auto out = unhide(hidden, secret, ra);
  while (out && !out->empty() && out->back() == '\0') out->pop_back();
  return out;
}

namespace {

// Header + attributes, Length filled in; the authenticator field holds `auth`.
std::optional<std::vector<std::uint8_t>> assemble(std::uint8_t code, std::uint8_t id,
                                                  const Authenticator& auth,
                                                  const std::vector<Attribute>& attributes,
                                                  bool message_authenticator) {
  std::vector<std::uint8_t> out{code, id, 0, 0};
  out.insert(out.end(), auth.begin(), auth.end());
  if (message_authenticator) {
    out.push_back(PW_MESSAGE_AUTHENTICATOR);
    out.push_back(18);
    out.resize(out.size() + 16, 0);
  }
  for (const auto& a : attributes) {
    if (a.value.size() > kMaxValue) return std::nullopt;
    out.push_back(a.type);
    out.push_back(static_cast<std::uint8_t>(a.value.size() + 2));
    out.insert(out.end(), a.value.begin(), a.value.end());
  }
  if (out.size() > kMaxPacket) return std::nullopt;
  out[2] = static_cast<std::uint8_t>(out.size() >> 8);
  out[3] = static_cast<std::uint8_t>(out.size());
  return out;
}

constexpr std::size_t kMaOffset = kHeaderSize + 2;  // value of a leading Message-Authenticator

}  // namespace

std::optional<std::vector<std::uint8_t>> encode_access_request(
    std::uint8_t id, const Authenticator& ra, const std::vector<Attribute>& attributes,
    std::string_view secret) {
  auto out = assemble(PW_ACCESS_REQUEST, id, ra, attributes, true);
  if (!out) return out;
  const auto mac = hmac_md5(secret, *out);
  std::copy(mac.begin(), mac.end(), out->begin() + kMaOffset);
  return out;
}

std::optional<std::vector<std::uint8_t>> encode_accounting_request(
    std::uint8_t id, const std::vector<Attribute>& attributes, std::string_view secret) {
  auto out = assemble(PW_ACCOUNTING_REQUEST, id, Authenticator{}, attributes, false);
  if (!out) return out;
  const auto auth = md5({*out, bytes(secret)});
  std::copy(auth.begin(), auth.end(), out->begin() + 4);
  return out;
}

std::vector<std::uint8_t> encode_reply(std::uint8_t code, std::uint8_t id, const Authenticator& ra,
                                       const std::vector<Attribute>& attributes,
                                       std::string_view secret, bool message_authenticator) {
  auto out = assemble(code, id, ra, attributes, message_authenticator);
  if (!out) return {};
  if (message_authenticator) {
    // RFC 3579 §3.2: over the reply with the Request Authenticator in place.
    const auto mac = hmac_md5(secret, *out);
    std::copy(mac.begin(), mac.end(), out->begin() + kMaOffset);
  }
  const auto auth = md5({*out, bytes(secret)});
  std::copy(auth.begin(), auth.end(), out->begin() + 4);
  return *out;
}

std::optional<Packet> decode(std::span<const std::uint8_t> d) {
  if (d.size() < kHeaderSize) return std::nullopt;
  const std::size_t length = (std::size_t{d[2]} << 8) | d[3];
  if (length < kHeaderSize || length > kMaxPacket || length > d.size()) return std::nullopt;
  Packet p;
  p.code = d[0];
  p.id = d[1];
  std::copy(d.begin() + 4, d.begin() + 20, p.authenticator.begin());
  std::size_t off = kHeaderSize;
  while (off < length) {
    if (length - off < 2) return std::nullopt;
    const std::size_t alen = d[off + 1];
    if (alen < 2 || off + alen > length) return std::nullopt;
    p.attributes.push_back({d[off], {d.begin() + off + 2, d.begin() + off + alen}});
    off += alen;
  }
  return p;
}

std::string_view to_string(ReplyCheck c) {
  static constexpr std::string_view kNames[] = {"ok",
                                                "malformed",
                                                "unexpected code",
                                                "identifier mismatch",
                                                "bad Response Authenticator",
                                                "bad Message-Authenticator",
                                                "no Message-Authenticator"};
  return enum_name<ReplyCheck::ok, ReplyCheck::missing_message_authenticator>(c, kNames);
}

MessageAuthenticatorCheck check_message_authenticator(std::vector<std::uint8_t>& packet,
                                                      std::size_t length, std::string_view secret) {
  std::size_t off = kHeaderSize, ma = 0;
  int count = 0;
  while (off < length) {
    if (packet[off] == PW_MESSAGE_AUTHENTICATOR) {
      if (packet[off + 1] != 18) return MessageAuthenticatorCheck::bad;
      ma = off + 2;
      ++count;
    }
    off += packet[off + 1];
  }
  if (count == 0) return MessageAuthenticatorCheck::missing;
  if (count > 1) return MessageAuthenticatorCheck::bad;
  Authenticator got{};
  std::copy(packet.begin() + ma, packet.begin() + ma + 16, got.begin());
  std::fill(packet.begin() + ma, packet.begin() + ma + 16, 0);
  return equal_secret(hmac_md5(secret, packet), got) ? MessageAuthenticatorCheck::ok
                                                     : MessageAuthenticatorCheck::bad;
}

ReplyCheck check_reply(std::span<const std::uint8_t> d, std::uint8_t id, const Authenticator& ra,
                       std::string_view secret, bool accounting, bool require_message_authenticator,
                       Packet* out) {
  auto p = decode(d);
  if (!p) return ReplyCheck::malformed;
  const bool code_ok = accounting ? p->code == PW_ACCOUNTING_RESPONSE
                                  : (p->code == PW_ACCESS_ACCEPT || p->code == PW_ACCESS_REJECT ||
                                     p->code == PW_ACCESS_CHALLENGE);
  if (!code_ok) return ReplyCheck::bad_code;
  if (p->id != id) return ReplyCheck::bad_id;
  const std::size_t length = (std::size_t{d[2]} << 8) | d[3];
  std::vector<std::uint8_t> buf(d.begin(), d.begin() + length);
  std::copy(ra.begin(), ra.end(), buf.begin() + 4);
  const auto expect = md5({buf, bytes(secret)});
  if (!equal_secret(expect, p->authenticator)) return ReplyCheck::bad_authenticator;
  if (!accounting) {
    switch (check_message_authenticator(buf, length, secret)) {
      case MessageAuthenticatorCheck::missing:
        if (require_message_authenticator) return ReplyCheck::missing_message_authenticator;
        break;
      case MessageAuthenticatorCheck::bad:
        return ReplyCheck::bad_message_authenticator;
      case MessageAuthenticatorCheck::ok:
        break;
    }
  }
  if (out) *out = std::move(*p);
  return ReplyCheck::ok;
}

std::optional<std::uint32_t> as_u32(const std::vector<std::uint8_t>& v) {
  if (v.size() != 4) return std::nullopt;
  return (std::uint32_t{v[0]} << 24) | (std::uint32_t{v[1]} << 16) | (std::uint32_t{v[2]} << 8) |
         v[3];
}

std::vector<Attribute> vendor_attributes(const std::vector<Attribute>& attributes,
                                         std::uint32_t vendor) {
  std::vector<Attribute> out;
  for (const auto& a : attributes) {
    if (a.type != PW_VENDOR_SPECIFIC || a.value.size() < 4) continue;
    const auto& v = a.value;
    const std::uint32_t id = (std::uint32_t{v[0]} << 24) | (std::uint32_t{v[1]} << 16) |
                             (std::uint32_t{v[2]} << 8) | v[3];
    if (id != vendor) continue;
    std::size_t at = 4;
    std::vector<Attribute> found;
    bool ok = true;
    while (at < v.size()) {
      if (v.size() - at < 2 || v[at + 1] < 2 || v[at + 1] > v.size() - at) {
        ok = false;
        break;
      }
      found.push_back({v[at], {v.begin() + at + 2, v.begin() + at + v[at + 1]}});
      at += v[at + 1];
    }
    if (ok) out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

bool add_mschap(AttributeList& a, const MsChapCredentials& c) {
  const bool v1 = c.version == 1;
  if (c.response.size() != mschap::kResponseSize ||
      c.challenge.size() != (v1 ? mschap::kV1ChallengeSize : mschap::kV2ChallengeSize))
    return false;
  // PPP: v1 LM(24) NT(24) Flags(1); v2 Peer-Challenge(16) Reserved(8) NT(24) Flags(1).
  // RADIUS: Ident(1) Flags(1) and the rest in the same order (RFC 2548 §2.1.3, §2.3.2).
  std::vector<std::uint8_t> r{c.id, c.response[48]};
  r.insert(r.end(), c.response.begin(), c.response.begin() + 48);
  a.add_vendor(VENDOR_MICROSOFT, PW_MS_CHAP_CHALLENGE, c.challenge);
  a.add_vendor(VENDOR_MICROSOFT, v1 ? PW_MS_CHAP_RESPONSE : PW_MS_CHAP2_RESPONSE, r);
  return true;
}

RadiusAccessReply access_reply_from(const Packet& p, std::string_view secret,
                                    const Authenticator& ra, int* bad_tunnel_passwords) {
  RadiusAccessReply reply;
  std::optional<std::string> send_key, recv_key;
  std::optional<mschap::Hash16> v1_nt_key;
  for (const auto& m : vendor_attributes(p.attributes, VENDOR_MICROSOFT)) {
    switch (m.type) {
      case PW_MS_CHAP2_SUCCESS:  // Ident(1) "S=..." (RFC 2548 §2.3.3)
        if (m.value.size() > 1) reply.mschap2_success.assign(m.value.begin() + 1, m.value.end());
        break;
      case kMsChapError:  // Ident(1) "E=..." (RFC 2548 §2.1.5)
        if (m.value.size() > 1) reply.mschap_error.assign(m.value.begin() + 1, m.value.end());
        break;
      case PW_MS_MPPE_SEND_KEY:
        send_key = detail::decrypt_tunnel_password(m.value, secret, ra);
        break;
      case PW_MS_MPPE_RECV_KEY:
        recv_key = detail::decrypt_tunnel_password(m.value, secret, ra);
        break;
      case PW_MS_CHAP_MPPE_KEYS:  // LM key (8) NT key (16), zero-padded to 32 and hidden
        if (auto k = unhide(m.value, secret, ra); k && k->size() == 32) {
          mschap::Hash16 nt{};
          std::copy(k->begin() + 8, k->begin() + 24, nt.begin());
          v1_nt_key = nt;
        }
        break;
      default:
        break;
    }
  }
  if (p.code == PW_ACCESS_ACCEPT && send_key && recv_key && send_key->size() == 16 &&
      recv_key->size() == 16) {
    mschap::MppeKeys k;
    std::copy(send_key->begin(), send_key->end(), k.send.begin());
    std::copy(recv_key->begin(), recv_key->end(), k.recv.begin());
    reply.mppe_keys = k;
  }
  if (p.code == PW_ACCESS_ACCEPT) reply.mschap_v1_nt_key = v1_nt_key;
  if (p.code != PW_ACCESS_ACCEPT) reply.mschap2_success.clear();
  reply.outcome = p.code == PW_ACCESS_ACCEPT ? RadiusOutcome::accept : RadiusOutcome::reject;
  for (const auto& a : p.attributes) {
    if (a.type != PW_REPLY_MESSAGE) continue;
    reply.reply_message.append(a.value.begin(), a.value.end());
    reply.reply_message += '\n';
  }
  while (!reply.reply_message.empty() && reply.reply_message.back() == '\n')
    reply.reply_message.pop_back();
  if (p.code != PW_ACCESS_ACCEPT) return reply;
  std::vector<detail::RawAttribute> tunnel_attrs;
  for (const auto& a : p.attributes) {
    switch (a.type) {
      case PW_FRAMED_IP_ADDRESS:
        // RFC 2865 §5.8: 255.255.255.255 lets the user pick, 255.255.255.254 lets the NAS
        // pick; neither names an address.
        if (auto u = as_u32(a.value); u && *u && *u != 0xffffffffu && *u != 0xfffffffeu)
          reply.framed_ip = Ipv4{*u};
        break;
      case PW_SESSION_TIMEOUT:
        if (auto u = as_u32(a.value)) reply.session_timeout_s = *u;
        break;
      case PW_IDLE_TIMEOUT:
        if (auto u = as_u32(a.value)) reply.idle_timeout_s = *u;
        break;
      case PW_FRAMED_POOL:
        reply.framed_pool.assign(a.value.begin(), a.value.end());
        break;
      case 64:
      case 65:
      case 67:
      case 69:
      case 82:
      case 83:
      case 90:
        if (!a.value.empty()) tunnel_attrs.push_back({a.type, a.value});
        break;
      default:
        break;
    }
  }
  if (!tunnel_attrs.empty())
    reply.tunnels =
        detail::decode_tunnel_attributes(tunnel_attrs, secret, ra, bad_tunnel_passwords);
  return reply;
}

}  // namespace vpdnd::aaa::radius
