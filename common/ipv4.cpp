#include "common/ipv4.hpp"

#include <charconv>

namespace vpdnd {

std::optional<Ipv4> Ipv4::parse(std::string_view text) {
  std::uint32_t value = 0;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (int octet = 0; octet < 4; ++octet) {
    if (octet > 0) {
      if (p == end || *p != '.') return std::nullopt;
      ++p;
    }
    if (p == end || *p < '0' || *p > '9') return std::nullopt;
    // No leading zeros beyond a lone 0 ("010" is ambiguous: octal in inet_aton).
    if (*p == '0' && p + 1 != end && p[1] >= '0' && p[1] <= '9') return std::nullopt;
    unsigned v = 0;
    auto [next, ec] = std::from_chars(p, end, v);
    if (ec != std::errc() || v > 255 || next - p > 3) return std::nullopt;
    p = next;
    value = value << 8 | v;
  }
  if (p != end) return std::nullopt;
  return Ipv4{value};
}

std::string Ipv4::to_string() const {
  return std::to_string(value >> 24) + '.' + std::to_string(value >> 16 & 255) + '.' +
         std::to_string(value >> 8 & 255) + '.' + std::to_string(value & 255);
}

std::optional<int> mask_to_prefix(Ipv4 mask) {
  std::uint32_t inverted = ~mask.value;
  if ((inverted & (inverted + 1)) != 0) return std::nullopt;
  int prefix = 0;
  for (std::uint32_t m = mask.value; m & 0x80000000u; m <<= 1) ++prefix;
  return prefix;
}

Ipv4 prefix_to_mask(int prefix) {
  if (prefix <= 0) return Ipv4{0};
  if (prefix >= 32) return Ipv4{0xffffffffu};
  return Ipv4{~((1u << (32 - prefix)) - 1)};
}

namespace {
std::optional<Ipv4> ipv4_field(ByteView p, std::size_t at) {
  if (p.size() < 20) return std::nullopt;
  if ((p[0] >> 4) != 4 || (p[0] & 0x0f) < 5) return std::nullopt;
  return Ipv4{(std::uint32_t{p[at]} << 24) | (std::uint32_t{p[at + 1]} << 16) |
              (std::uint32_t{p[at + 2]} << 8) | std::uint32_t{p[at + 3]}};
}
}  // namespace

std::optional<Ipv4> ipv4_destination(ByteView packet) {
  return ipv4_field(packet, 16);
}
std::optional<Ipv4> ipv4_source(ByteView packet) {
  return ipv4_field(packet, 12);
}

std::string Endpoint::to_string() const {
  return address.to_string() + ":" + std::to_string(port);
}

}  // namespace vpdnd
