// Test helper: IPv4 packets to feed the code that routes by address.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/bytes.hpp"
#include "common/ipv4.hpp"

namespace vpdnd::test {

// An IPv4 packet of `total` bytes from `src` to `dst`: a 20-byte header (TTL 64, the given
// protocol, header checksum left 0), the rest zero.
inline Bytes ipv4_packet(Ipv4 src, Ipv4 dst, std::uint8_t protocol, std::size_t total = 28) {
  Bytes p(total, 0);
  p[0] = 0x45;
  p[2] = static_cast<std::uint8_t>(total >> 8);
  p[3] = static_cast<std::uint8_t>(total);
  p[8] = 64;
  p[9] = protocol;
  for (int i = 0; i < 4; ++i) {
    p[12 + i] = static_cast<std::uint8_t>(src.value >> (24 - 8 * i));
    p[16 + i] = static_cast<std::uint8_t>(dst.value >> (24 - 8 * i));
  }
  return p;
}

}  // namespace vpdnd::test
