// DOC: the cipher form of passwords and keys in the configuration (`password cipher ...`).
// Comware keeps secrets reversibly encrypted with a fixed device key so that a saved
// config can be loaded back; we do the same: AES-128-CBC (OpenSSL EVP) with a fixed key
// built into vpdnd, a synthetic IV (HMAC-SHA256 of the plaintext under the same key,
// truncated to 16 bytes) so the same secret always prints the same text, and base64.
// Printed form: `$c$3$` + base64(IV || ciphertext). This hides secrets from casual eyes
// (screens, logs, backups); it is NOT protection against someone holding the binary.
// Threads: pure functions, callable from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "startup-config/model.hpp"

namespace vpdnd::config {

inline constexpr std::string_view kCipherPrefix = "$c$3$";
inline constexpr std::size_t kMaxSecretLength = 128;  // clear-text bytes

// Secret -> `$c$3$...` (empty secret -> empty string).
std::string encrypt_secret(const Secret& secret);
// `$c$3$...` -> Secret; nullopt when the text is not a valid cipher of ours.
std::optional<Secret> decrypt_secret(std::string_view cipher);

}  // namespace vpdnd::config
