// DOC: base64 with padding (RFC 4648 §4) over OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock, for
// the text forms of binary values: SSH public key blobs and saved cipher secrets.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vpdnd {

std::string base64_encode(std::string_view bytes);
// The bytes `text` encodes; nullopt unless it is whole 4-character groups of the base64
// alphabet (no white space or line breaks), at most 1 MiB long.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace vpdnd
