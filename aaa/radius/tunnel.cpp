#include "aaa/radius/tunnel.hpp"

#include <openssl/evp.h>

#include <algorithm>

namespace vpdnd::aaa::detail {
namespace {

std::array<std::uint8_t, 16> md5(std::string_view a, std::span<const std::uint8_t> b,
                                 std::span<const std::uint8_t> c = {}) {
  std::array<std::uint8_t, 16> out{};
  unsigned len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx && EVP_DigestInit_ex(ctx, EVP_md5(), nullptr) == 1 &&
      EVP_DigestUpdate(ctx, a.data(), a.size()) == 1 &&
      EVP_DigestUpdate(ctx, b.data(), b.size()) == 1 &&
      EVP_DigestUpdate(ctx, c.data(), c.size()) == 1)
    EVP_DigestFinal_ex(ctx, out.data(), &len);
  EVP_MD_CTX_free(ctx);
  return out;
}

bool is_tag(std::uint8_t b) {
  return b >= 0x01 && b <= 0x1f;
}

}  // namespace

// RFC 2868 §3.5: b(1) = MD5(S + R + A), c(1) = p(1) xor b(1); b(i) = MD5(S + c(i-1)).
std::optional<std::string> decrypt_tunnel_password(std::span<const std::uint8_t> salted,
                                                   std::string_view secret,
                                                   const Authenticator& request_authenticator) {
  if (salted.size() < 2 + 16 || (salted.size() - 2) % 16 != 0) return std::nullopt;
  if (!(salted[0] & 0x80)) return std::nullopt;  // "the most significant bit ... MUST be set"
  auto salt = salted.subspan(0, 2);
  auto cipher = salted.subspan(2);
  std::vector<std::uint8_t> plain(cipher.size());
  for (std::size_t i = 0; i < cipher.size(); i += 16) {
    auto b =
        i == 0 ? md5(secret, request_authenticator, salt) : md5(secret, cipher.subspan(i - 16, 16));
    for (std::size_t k = 0; k < 16; ++k) plain[i + k] = cipher[i + k] ^ b[k];
  }
  std::size_t len = plain[0];
  if (len + 1 > plain.size()) return std::nullopt;
  return std::string(plain.begin() + 1, plain.begin() + 1 + static_cast<std::ptrdiff_t>(len));
}

std::vector<std::uint8_t> encrypt_tunnel_password(std::string_view password, std::uint16_t salt,
                                                  std::string_view secret,
                                                  const Authenticator& request_authenticator) {
  std::vector<std::uint8_t> plain;
  plain.push_back(static_cast<std::uint8_t>(std::min<std::size_t>(password.size(), 239)));
  plain.insert(plain.end(), password.begin(), password.begin() + plain[0]);
  while (plain.size() % 16) plain.push_back(0);
  std::vector<std::uint8_t> out{static_cast<std::uint8_t>((salt >> 8) | 0x80),
                                static_cast<std::uint8_t>(salt & 0xff)};
  std::array<std::uint8_t, 2> s{out[0], out[1]};
  for (std::size_t i = 0; i < plain.size(); i += 16) {
    auto b = i == 0 ? md5(secret, request_authenticator, s)
                    : md5(secret, std::span<const std::uint8_t>(out.data() + 2 + i - 16, 16));
    for (std::size_t k = 0; k < 16; ++k) out.push_back(plain[i + k] ^ b[k]);
  }
  return out;
}

std::vector<TunnelSet> decode_tunnel_attributes(const std::vector<RawAttribute>& attrs,
                                                std::string_view secret,
                                                const Authenticator& request_authenticator,
                                                int* bad_passwords) {
  std::vector<TunnelSet> sets;
  auto set_for = [&](std::uint8_t tag) -> TunnelSet& {
    for (auto& s : sets)
      if (s.tag == tag) return s;
    sets.push_back(TunnelSet{});
    sets.back().tag = tag;
    return sets.back();
  };
  for (const auto& a : attrs) {
    const auto& v = a.value;
    switch (a.type) {
      case 64:    // Tunnel-Type: Tag(1) Value(3)
      case 65:    // Tunnel-Medium-Type
      case 83: {  // Tunnel-Preference
        if (v.size() != 4) break;
        std::uint8_t tag = is_tag(v[0]) ? v[0] : 0;
        std::uint32_t value = (std::uint32_t{v[1]} << 16) | (std::uint32_t{v[2]} << 8) | v[3];
        auto& s = set_for(tag);
        if (a.type == 64)
          s.type = value;
        else if (a.type == 65)
          s.medium = value;
        else
          s.preference = value;
        break;
      }
      case 69: {  // Tunnel-Password: Tag(1) always present, then Salt + cipher
        if (v.empty()) break;
        std::uint8_t tag = is_tag(v[0]) ? v[0] : 0;
        auto pw = decrypt_tunnel_password(std::span<const std::uint8_t>(v).subspan(1), secret,
                                          request_authenticator);
        if (!pw) {
          if (bad_passwords) ++*bad_passwords;
          set_for(tag);
          break;
        }
        set_for(tag).password = std::move(*pw);
        break;
      }
      case 67:    // Tunnel-Server-Endpoint
      case 82:    // Tunnel-Assignment-Id
      case 90: {  // Tunnel-Client-Auth-Id
        if (v.empty()) break;
        std::uint8_t tag = is_tag(v[0]) ? v[0] : 0;
        std::string text(v.begin() + (is_tag(v[0]) || v[0] == 0 ? 1 : 0), v.end());
        auto& s = set_for(tag);
        if (a.type == 67) {
          s.server_endpoint = Ipv4::parse(text);
          s.server_endpoint_text = std::move(text);
        } else if (a.type == 82) {
          s.assignment_id = std::move(text);
        } else {
          s.client_auth_id = std::move(text);
        }
        break;
      }
      default:
        break;
    }
  }
  return sets;
}

}  // namespace vpdnd::aaa::detail
