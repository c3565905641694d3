// Internal to aaa/radius: RFC 2868 tunnel attributes from raw attribute values (tagged,
// so grouped here rather than in the codec), and the RFC 2868 §3.5 Tunnel-Password
// cipher. Pure functions, unit-tested without a server.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aaa/aaa.hpp"

namespace vpdnd::aaa::detail {

struct RawAttribute {
  std::uint8_t type = 0;
  std::vector<std::uint8_t> value;
};

using Authenticator = std::array<std::uint8_t, 16>;

// Value = Salt(2) + encrypted(len octet + password + padding), i.e. the attribute value
// after the tag octet. nullopt when malformed (short, not a multiple of 16, length octet
// beyond the data, salt without its high bit).
std::optional<std::string> decrypt_tunnel_password(std::span<const std::uint8_t> salted,
                                                   std::string_view secret,
                                                   const Authenticator& request_authenticator);
// The inverse, for tests and fixtures: returns Salt + ciphertext.
std::vector<std::uint8_t> encrypt_tunnel_password(std::string_view password, std::uint16_t salt,
                                                  std::string_view secret,
                                                  const Authenticator& request_authenticator);

// Groups the tunnel attributes (64, 65, 67, 69, 82, 83, 90) by tag. Tag octets 0x01-0x1F
// are tags; string attributes whose first octet is above 0x1F are untagged (tag 0).
// Sets come out in order of first appearance; undecryptable passwords leave the field
// empty and count in `bad_passwords`.
std::vector<TunnelSet> decode_tunnel_attributes(const std::vector<RawAttribute>& attrs,
                                                std::string_view secret,
                                                const Authenticator& request_authenticator,
                                                int* bad_passwords = nullptr);

}  // namespace vpdnd::aaa::detail
