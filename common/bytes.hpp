// DOC: bounded big-endian byte reading and writing for every codec.
// ByteReader never reads past its span: a short read sets a sticky failure flag and
// returns zero, so decoders check ok() once after a group of reads instead of per field.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vpdnd {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

class ByteReader {
 public:
  explicit ByteReader(ByteView data) : data_(data) {}

  bool ok() const { return ok_; }
  std::size_t offset() const { return offset_; }
  std::size_t remaining() const { return ok_ ? data_.size() - offset_ : 0; }
  bool empty() const { return remaining() == 0; }

  std::uint8_t u8();
  std::uint16_t u16();
  std::uint32_t u32();
  // A view into the underlying buffer; empty (and failed) when fewer than n bytes remain.
  ByteView bytes(std::size_t n);
  ByteView rest() { return bytes(remaining()); }
  void skip(std::size_t n) { (void)bytes(n); }
  void fail() { ok_ = false; }

 private:
  ByteView data_;
  std::size_t offset_ = 0;
  bool ok_ = true;
};

class ByteWriter {
 public:
  ByteWriter() = default;
  explicit ByteWriter(std::size_t reserve) { out_.reserve(reserve); }

  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v);
  void u32(std::uint32_t v);
  void bytes(ByteView v) { out_.insert(out_.end(), v.begin(), v.end()); }
  void bytes(std::string_view v) { out_.insert(out_.end(), v.begin(), v.end()); }
  void patch_u16(std::size_t at, std::uint16_t v);
  std::size_t size() const { return out_.size(); }
  Bytes& buffer() { return out_; }
  Bytes take() { return std::move(out_); }

 private:
  Bytes out_;
};

// "0a 1b ff" / "0a1bff" -> bytes; non-hex characters other than whitespace and ':' are an
// error (returns false). Used by fixtures and by tools that take hex on the command line.
bool parse_hex(std::string_view text, Bytes& out);
// Separator '\0': none.
enum class HexCase : std::uint8_t { lower, upper };
std::string to_hex(ByteView data, char separator = ' ', HexCase letters = HexCase::lower);

}  // namespace vpdnd
