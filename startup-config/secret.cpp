#include "startup-config/secret.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "common/base64.hpp"

namespace vpdnd::config {
namespace {

// The fixed device key. Changing it makes every saved cipher unreadable: never do.
constexpr std::array<std::uint8_t, 16> kDeviceKey = {
    0x56, 0x50, 0x44, 0x4e, 0x44, 0x2d, 0x63, 0x6f, 0x6d, 0x77, 0x61, 0x72, 0x65, 0x2d, 0x6b, 0x31};
constexpr std::size_t kIvLen = 16;

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

}  // namespace

std::string encrypt_secret(const Secret& secret) {
  if (secret.plain.empty()) return {};
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned mac_len = 0;
  HMAC(EVP_sha256(), kDeviceKey.data(), kDeviceKey.size(),
       reinterpret_cast<const unsigned char*>(secret.plain.data()), secret.plain.size(), mac,
       &mac_len);
  std::vector<std::uint8_t> out(mac, mac + kIvLen);
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_cbc(), nullptr, kDeviceKey.data(), mac) != 1)
    return {};
  out.resize(kIvLen + secret.plain.size() + 16);
  int len1 = 0, len2 = 0;
  if (EVP_EncryptUpdate(ctx.get(), out.data() + kIvLen, &len1,
                        reinterpret_cast<const unsigned char*>(secret.plain.data()),
                        static_cast<int>(secret.plain.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + kIvLen + len1, &len2) != 1)
    return {};
  out.resize(kIvLen + static_cast<std::size_t>(len1 + len2));
  return std::string(kCipherPrefix) +
         base64_encode(std::string_view(reinterpret_cast<const char*>(out.data()), out.size()));
}

std::optional<Secret> decrypt_secret(std::string_view cipher) {
  if (cipher.substr(0, kCipherPrefix.size()) != kCipherPrefix) return std::nullopt;
  auto text = base64_decode(cipher.substr(kCipherPrefix.size()));
  if (!text || text->size() < kIvLen + 16 || (text->size() - kIvLen) % 16 != 0) return std::nullopt;
  std::span raw(reinterpret_cast<const unsigned char*>(text->data()), text->size());
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_128_cbc(), nullptr, kDeviceKey.data(), raw.data()) != 1)
    return std::nullopt;
  std::string plain(raw.size() - kIvLen + 16, '\0');
  int len1 = 0, len2 = 0;
  if (EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len1,
                        raw.data() + kIvLen, static_cast<int>(raw.size() - kIvLen)) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + len1,
                          &len2) != 1)
    return std::nullopt;
  plain.resize(static_cast<std::size_t>(len1 + len2));
  if (plain.empty() || plain.size() > kMaxSecretLength) return std::nullopt;
  for (unsigned char c : plain)
    if (c < 0x21 || c > 0x7e) return std::nullopt;  // we only ever encrypt printable tokens
  // The IV is a MAC of the plaintext: a cipher text edited by hand fails here.
  Secret s{plain};
  if (encrypt_secret(s) != cipher) return std::nullopt;
  return s;
}

}  // namespace vpdnd::config
