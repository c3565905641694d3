// DOC: PackedStrings<N>: N short strings kept in one std::string (one heap block, or none
// when their total fits the small-string buffer), for per-session records that hold many
// short, rarely changed strings (user, interface, numbers, pool). Each std::string member
// costs 32 bytes in the object plus its own heap block past 15 characters; a record of
// eight of them costs 256+ bytes, packed they cost 32 + 2*N plus one block.
// Header-only, no threading concerns (a value type). Each string is capped at 65,535
// bytes in total with the ones before it (per-session fields are far shorter; longer input
// is cut, never overflows).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace vpdnd {

template <std::size_t N>
class PackedStrings {
 public:
  static_assert(N > 0);
  PackedStrings() { ends_.fill(0); }
  // All N at once (missing ones empty), in one exactly sized block.
  PackedStrings(std::initializer_list<std::string_view> values) { assign(values); }

  void assign(std::initializer_list<std::string_view> values) {
    std::size_t total = 0;
    for (auto v : values) total += v.size();
    std::string data;
    data.reserve(std::min<std::size_t>(total, kMax));
    std::size_t i = 0;
    for (auto v : values) {
      if (i == N) break;
      data.append(v.substr(0, kMax - data.size()));
      ends_[i++] = static_cast<std::uint16_t>(data.size());
    }
    for (; i < N; ++i) ends_[i] = static_cast<std::uint16_t>(data.size());
    data_ = std::move(data);
  }

  std::string_view get(std::size_t i) const {
    const std::size_t b = begin(i);
    return std::string_view(data_).substr(b, ends_[i] - b);
  }
  std::string str(std::size_t i) const { return std::string(get(i)); }

  // Replaces string i; the block is rebuilt to fit exactly.
  void set(std::size_t i, std::string_view v) {
    const std::size_t b = begin(i), old = ends_[i] - b;
    v = v.substr(0, kMax - (data_.size() - old));
    std::string data;
    data.reserve(data_.size() - old + v.size());
    data.append(data_, 0, b).append(v).append(data_, ends_[i]);
    const std::ptrdiff_t delta =
        static_cast<std::ptrdiff_t>(v.size()) - static_cast<std::ptrdiff_t>(old);
    for (std::size_t j = i; j < N; ++j)
      ends_[j] = static_cast<std::uint16_t>(static_cast<std::ptrdiff_t>(ends_[j]) + delta);
    data_ = std::move(data);
  }

  bool operator==(const PackedStrings&) const = default;

 private:
  static constexpr std::size_t kMax = 65535;
  std::size_t begin(std::size_t i) const { return i == 0 ? 0 : ends_[i - 1]; }
  std::string data_;
  std::array<std::uint16_t, N> ends_;
};

}  // namespace vpdnd
