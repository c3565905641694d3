// DOC: the one MD5 every protocol here needs (CHAP-MD5, L2TP hiding and tunnel
// authentication, RADIUS authenticators) over OpenSSL's EVP interface, and a constant-time
// comparison for anything a peer could time. Thread-safe: each thread keeps its own digest
// context. No digest is implemented here; libcrypto does it.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "common/bytes.hpp"

namespace vpdnd {

using Md5Digest = std::array<std::uint8_t, 16>;

// MD5 over the concatenation of `parts`. Aborts if libcrypto cannot digest at all (no MD5
// provider, no memory): an all-zero result would silently weaken authentication.
Md5Digest md5(std::initializer_list<ByteView> parts);

inline ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// True when both hold the same bytes. The time taken depends only on the lengths, never on
// where the first difference is, so a peer cannot learn a secret or a digest byte by byte.
bool equal_secret(ByteView a, ByteView b);
inline bool equal_secret(std::string_view a, std::string_view b) {
  return equal_secret(as_bytes(a), as_bytes(b));
}

}  // namespace vpdnd
