// RFC 2661 §4.3 AVP hiding, §4.2 tunnel authentication digest, and the random sources.
// MD5 comes from common/digest (OpenSSL's EVP); nothing here implements a digest by hand.
#include <openssl/rand.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "common/digest.hpp"
#include "vpdn/codec.hpp"

namespace vpdnd::vpdn {
namespace {

using Digest = Md5Digest;

// XORs `data` in place with the §4.3 key stream. `ciphertext_feedback` selects which side
// of each block feeds the next digest: the ciphertext, i.e. the output when hiding and the
// input when un-hiding.
void md5_chain(std::uint16_t avp_type, std::span<std::uint8_t> data, std::string_view secret,
               ByteView random_vector, bool hiding) {
  const std::uint8_t type_be[2] = {static_cast<std::uint8_t>(avp_type >> 8),
                                   static_cast<std::uint8_t>(avp_type)};
  Digest key = md5({type_be, as_bytes(secret), random_vector});
  for (std::size_t pos = 0; pos < data.size(); pos += 16) {
    const std::size_t n = std::min<std::size_t>(16, data.size() - pos);
    std::uint8_t cipher[16];
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint8_t in = data[pos + i];
      data[pos + i] = in ^ key[i];
      cipher[i] = hiding ? data[pos + i] : in;
    }
    if (pos + 16 < data.size()) key = md5({as_bytes(secret), ByteView(cipher, n)});
  }
}

}  // namespace

Bytes hide_value(std::uint16_t avp_type, ByteView value, std::string_view secret,
                 ByteView random_vector, std::size_t padding, RandomSource* pad_random) {
  Bytes out;
  out.reserve(2 + value.size() + padding);
  out.push_back(static_cast<std::uint8_t>(value.size() >> 8));
  out.push_back(static_cast<std::uint8_t>(value.size()));
  out.insert(out.end(), value.begin(), value.end());
  const std::size_t pad_at = out.size();
  out.resize(out.size() + padding, 0);
  if (pad_random != nullptr && padding > 0) pad_random->fill(std::span(out).subspan(pad_at));
  md5_chain(avp_type, out, secret, random_vector, true);
  return out;
}

std::optional<Bytes> unhide_value(std::uint16_t avp_type, ByteView hidden, std::string_view secret,
                                  ByteView random_vector) {
  if (hidden.size() < 2) return std::nullopt;
  Bytes plain(hidden.begin(), hidden.end());
  md5_chain(avp_type, plain, secret, random_vector, false);
  const std::size_t original = static_cast<std::size_t>(plain[0]) << 8 | plain[1];
  if (original > plain.size() - 2) return std::nullopt;
  return Bytes(plain.begin() + 2, plain.begin() + 2 + static_cast<std::ptrdiff_t>(original));
}

std::array<std::uint8_t, 16> chap_response(std::uint8_t id, std::string_view secret,
                                           ByteView challenge) {
  const std::uint8_t id_byte[1] = {id};
  return md5({id_byte, as_bytes(secret), challenge});
}

bool chap_response_matches(ByteView received, const std::array<std::uint8_t, 16>& expected) {
  return equal_secret(received, expected);
}

void OsRandom::fill(std::span<std::uint8_t> out) {
  if (out.empty()) return;
  // Predictable ids, challenges or random vectors would break tunnel authentication; a
  // libcrypto that cannot produce randomness is not something to run with.
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) std::abort();
}

void SeededRandom::fill(std::span<std::uint8_t> out) {
  std::size_t pos = 0;
  while (pos < out.size()) {
    const std::uint64_t v = engine_();
    for (int i = 0; i < 8 && pos < out.size(); ++i)
      out[pos++] = static_cast<std::uint8_t>(v >> (8 * i));
  }
}

}  // namespace vpdnd::vpdn
