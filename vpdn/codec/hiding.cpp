// RFC 2661 §4.3 AVP hiding, §4.2 tunnel authentication digest, and the random sources.
// MD5 comes from OpenSSL's EVP interface; nothing here implements a digest by hand.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "vpdn/codec.hpp"

namespace vpdnd::vpdn {
namespace {

using Digest = std::array<std::uint8_t, 16>;

// One MD5 implementation object for the process and one digest context per thread: the
// implicit fetch inside EVP_md5() and a context allocation per digest cost more than the
// digest itself for our 20-50 byte inputs.
const EVP_MD* md5_method() {
  static const EVP_MD* method = [] {
    const EVP_MD* m = EVP_MD_fetch(nullptr, "MD5", nullptr);
    return m != nullptr ? m : EVP_md5();
  }();
  return method;
}

struct CtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

// MD5 over the concatenation of up to three parts (all our uses need at most three).
Digest md5(ByteView a, ByteView b, ByteView c) {
  thread_local std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx(EVP_MD_CTX_new());
  Digest out{};
  unsigned int len = 0;
  // Failures here mean libcrypto itself is broken (no MD5 provider, no memory); an
  // all-zero digest would silently weaken hiding and authentication, so stop instead.
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md5_method(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), a.data(), a.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), b.data(), b.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), c.data(), c.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1 || len != out.size()) {
    std::abort();
  }
  return out;
}

ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// XORs `data` in place with the §4.3 key stream. `ciphertext_feedback` selects which side
// of each block feeds the next digest: the ciphertext, i.e. the output when hiding and the
// input when un-hiding.
void md5_chain(std::uint16_t avp_type, std::span<std::uint8_t> data, std::string_view secret,
               ByteView random_vector, bool hiding) {
  const std::uint8_t type_be[2] = {static_cast<std::uint8_t>(avp_type >> 8),
                                   static_cast<std::uint8_t>(avp_type)};
  Digest key = md5(type_be, as_bytes(secret), random_vector);
  for (std::size_t pos = 0; pos < data.size(); pos += 16) {
    const std::size_t n = std::min<std::size_t>(16, data.size() - pos);
    std::uint8_t cipher[16];
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint8_t in = data[pos + i];
      data[pos + i] = in ^ key[i];
      cipher[i] = hiding ? data[pos + i] : in;
    }
    if (pos + 16 < data.size()) key = md5(as_bytes(secret), ByteView(cipher, n), {});
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
  return md5(id_byte, as_bytes(secret), challenge);
}

bool chap_response_matches(ByteView received, const std::array<std::uint8_t, 16>& expected) {
  if (received.size() != expected.size()) return false;
  return CRYPTO_memcmp(received.data(), expected.data(), expected.size()) == 0;
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
