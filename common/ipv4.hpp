// DOC: an IPv4 address as a value (host byte order), parsed and printed in dotted quad.
// Shared by the config model, AAA pools, PPP IPCP and the data plane without pulling in
// socket headers.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.hpp"

namespace vpdnd {

struct Ipv4 {
  std::uint32_t value = 0;  // host byte order: 10.0.0.1 == 0x0a000001

  static std::optional<Ipv4> parse(std::string_view text);
  std::string to_string() const;
  bool is_zero() const { return value == 0; }
  auto operator<=>(const Ipv4&) const = default;
};

// An IPv4 UDP endpoint: how the L2TP engine, its socket and the kernel data plane name a
// peer (vpdn::Endpoint and netlink::Endpoint are this type).
struct Endpoint {
  Ipv4 address;
  std::uint16_t port = 0;
  auto operator<=>(const Endpoint&) const = default;
  std::string to_string() const;  // "10.0.0.2:1701"
};

// 255.255.255.0 -> 24; nullopt if the mask is not contiguous.
std::optional<int> mask_to_prefix(Ipv4 mask);
Ipv4 prefix_to_mask(int prefix);

// The destination / source address of an IPv4 datagram; nullopt when it is not plausibly
// IPv4 (shorter than a header, another version, IHL below 5).
std::optional<Ipv4> ipv4_destination(ByteView packet);
std::optional<Ipv4> ipv4_source(ByteView packet);

}  // namespace vpdnd
