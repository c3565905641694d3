#include "common/bytes.hpp"

#include <cctype>

namespace vpdnd {

std::uint8_t ByteReader::u8() {
  auto b = bytes(1);
  return b.empty() ? 0 : b[0];
}

std::uint16_t ByteReader::u16() {
  auto b = bytes(2);
  return b.empty() ? 0 : static_cast<std::uint16_t>(b[0] << 8 | b[1]);
}

std::uint32_t ByteReader::u32() {
  auto b = bytes(4);
  return b.empty() ? 0
                   : (std::uint32_t{b[0]} << 24 | std::uint32_t{b[1]} << 16 |
                      std::uint32_t{b[2]} << 8 | std::uint32_t{b[3]});
}

ByteView ByteReader::bytes(std::size_t n) {
  if (!ok_ || data_.size() - offset_ < n) {
    ok_ = false;
    return {};
  }
  auto view = data_.subspan(offset_, n);
  offset_ += n;
  return view;
}

void ByteWriter::u16(std::uint16_t v) {
  out_.push_back(static_cast<std::uint8_t>(v >> 8));
  out_.push_back(static_cast<std::uint8_t>(v));
}

void ByteWriter::u32(std::uint32_t v) {
  u16(static_cast<std::uint16_t>(v >> 16));
  u16(static_cast<std::uint16_t>(v));
}

void ByteWriter::patch_u16(std::size_t at, std::uint16_t v) {
  out_.at(at) = static_cast<std::uint8_t>(v >> 8);
  out_.at(at + 1) = static_cast<std::uint8_t>(v);
}

bool parse_hex(std::string_view text, Bytes& out) {
  int high = -1;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == ':') continue;
    int v;
    if (c >= '0' && c <= '9')
      v = c - '0';
    else if (c >= 'a' && c <= 'f')
      v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      v = c - 'A' + 10;
    else
      return false;
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  return high < 0;
}

std::string to_hex(ByteView data, char separator, HexCase letters) {
  const char* digits = letters == HexCase::upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string s;
  s.reserve(data.size() * 3);
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (i && separator) s.push_back(separator);
    s.push_back(digits[data[i] >> 4]);
    s.push_back(digits[data[i] & 15]);
  }
  return s;
}

}  // namespace vpdnd
