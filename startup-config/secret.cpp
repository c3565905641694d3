#include "startup-config/secret.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cctype>
#include <cstdint>
#include <memory>
#include <vector>

namespace vpdnd::config {
namespace {

// The fixed device key. Changing it makes every saved cipher unreadable: never do.
constexpr std::array<std::uint8_t, 16> kDeviceKey = {
    0x56, 0x50, 0x44, 0x4e, 0x44, 0x2d, 0x63, 0x6f, 0x6d, 0x77, 0x61, 0x72, 0x65, 0x2d, 0x6b, 0x31};
constexpr std::size_t kIvLen = 16;

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

std::string base64_encode(const std::vector<std::uint8_t>& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), in.data(),
                          static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view in) {
  if (in.empty() || in.size() % 4 != 0) return std::nullopt;
  for (char c : in)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '='))
      return std::nullopt;
  std::vector<std::uint8_t> out(in.size() / 4 * 3 + 1);
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock keeps the bytes that padding stands for: drop them.
  std::size_t pad = 0;
  if (in.back() == '=') ++pad;
  if (in.size() >= 2 && in[in.size() - 2] == '=') ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

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
  return std::string(kCipherPrefix) + base64_encode(out);
}

std::optional<Secret> decrypt_secret(std::string_view cipher) {
  if (cipher.substr(0, kCipherPrefix.size()) != kCipherPrefix) return std::nullopt;
  auto raw = base64_decode(cipher.substr(kCipherPrefix.size()));
  if (!raw || raw->size() < kIvLen + 16 || (raw->size() - kIvLen) % 16 != 0) return std::nullopt;
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_128_cbc(), nullptr, kDeviceKey.data(),
                                 raw->data()) != 1)
    return std::nullopt;
  std::string plain(raw->size() - kIvLen + 16, '\0');
  int len1 = 0, len2 = 0;
  if (EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len1,
                        raw->data() + kIvLen, static_cast<int>(raw->size() - kIvLen)) != 1 ||
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
