#include "common/printable.hpp"

#include <algorithm>
#include <utility>

namespace vpdnd {
namespace {

constexpr char kDigits[] = "0123456789abcdef";

bool plain(std::uint8_t c) {
  return c >= 0x20 && c < 0x7f;
}

// Characters `c` takes once escaped.
std::size_t escaped_width(std::uint8_t c) {
  return c == '\\' ? 2 : plain(c) ? 1 : 4;
}

void append_escaped(std::string& out, std::uint8_t c) {
  if (c == '\\') {
    out += "\\\\";
  } else if (plain(c)) {
    out.push_back(static_cast<char>(c));
  } else {
    out += "\\x";
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
}

std::string escape(const std::uint8_t* data, std::size_t size, std::size_t max) {
  max = std::max(max, kTruncatedMarker.size() + 1);
  std::size_t full = 0;
  for (std::size_t i = 0; i < size && full <= max; ++i) full += escaped_width(data[i]);
  const bool cut = full > max;
  const std::size_t room = cut ? max - kTruncatedMarker.size() : max;
  std::string out;
  out.reserve(std::min(full, max));
  for (std::size_t i = 0; i < size; ++i) {
    if (out.size() + escaped_width(data[i]) > room) break;
    append_escaped(out, data[i]);
  }
  if (cut) out += kTruncatedMarker;
  return out;
}

// PPP protocol numbers and codes (RFC 1334 PAP, RFC 1994 CHAP, RFC 2433/2759 MS-CHAP).
constexpr std::uint16_t kPap = 0xc023;
constexpr std::uint16_t kChap = 0xc223;
constexpr std::uint8_t kPapAuthenticateRequest = 1;
constexpr std::uint8_t kChapResponse = 2;
constexpr std::uint8_t kMsChapChangePasswordV1 = 6;
constexpr std::uint8_t kMsChapChangePasswordV2 = 7;

// Offset of the first secret byte and the end of the secret run (frame.size() when it runs
// to the end); {size, size} for a frame without a secret.
std::pair<std::size_t, std::size_t> secret_span(ByteView f) {
  const std::size_t n = f.size();
  const std::pair<std::size_t, std::size_t> none{n, n};
  std::size_t at = 0;
  if (n >= 2 && f[0] == 0xff && f[1] == 0x03) at = 2;
  if (at >= n) return none;
  std::uint16_t protocol;
  if (f[at] & 1) {  // RFC 1661 §6.5: a compressed protocol field is one odd byte
    protocol = f[at];
    at += 1;
  } else {
    if (at + 2 > n) return none;
    protocol = static_cast<std::uint16_t>(f[at] << 8 | f[at + 1]);
    at += 2;
  }
  if (at >= n) return none;
  const std::uint8_t code = f[at];
  const std::size_t data = at + 4;  // after Code, Identifier, Length
  if (protocol == kPap && code == kPapAuthenticateRequest) {
    // Peer-ID Length, Peer-ID, Passwd-Length, Password.
    if (data >= n) return none;
    const std::size_t passwd_length = data + 1 + f[data];
    if (passwd_length >= n) return {std::min(data + 1, n), n};
    return {passwd_length + 1, n};
  }
  if (protocol == kChap && code == kChapResponse) {
    // Value-Size, Value, Name: the name stays visible when the size fits the frame.
    if (data >= n) return none;
    const std::size_t end = data + 1 + f[data];
    return {std::min(data + 1, n), end <= n ? end : n};
  }
  if (protocol == kChap && (code == kMsChapChangePasswordV1 || code == kMsChapChangePasswordV2))
    return {std::min(data, n), n};
  return none;
}

}  // namespace

std::string printable(std::string_view raw, std::size_t max) {
  return escape(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size(), max);
}

std::string printable(ByteView raw, std::size_t max) {
  return escape(raw.data(), raw.size(), max);
}

std::string terminal_safe(std::string text, bool keep_newlines) {
  auto unsafe = [&](char ch) {
    const auto c = static_cast<std::uint8_t>(ch);
    return !plain(c) && !(keep_newlines && (c == '\n' || c == '\t'));
  };
  if (std::none_of(text.begin(), text.end(), unsafe)) return text;
  std::string out;
  out.reserve(text.size() + 16);
  for (char ch : text) {
    if (!unsafe(ch)) {
      out.push_back(ch);
      continue;
    }
    const auto c = static_cast<std::uint8_t>(ch);
    out += "\\x";
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::string ppp_frame_hex(ByteView frame, std::size_t max_bytes) {
  const auto [from, to] = secret_span(frame);
  const std::size_t shown = std::min(frame.size(), max_bytes);
  std::string s;
  s.reserve(shown * 3);
  for (std::size_t i = 0; i < shown; ++i) {
    if (i) s.push_back(' ');
    if (i >= from && i < to) {
      s += "**";
    } else {
      s.push_back(kDigits[frame[i] >> 4]);
      s.push_back(kDigits[frame[i] & 15]);
    }
  }
  return s;
}

}  // namespace vpdnd
