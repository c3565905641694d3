// DOC: an enumeration's names as one table instead of a switch per function. The enumerators
// First..Last must have consecutive values and Last must be the final one; the table lists
// one name per enumerator in that order, and a table of another length is a build error. A
// value outside the range (a cast from the wire) gets `unknown`.
#pragma once

#include <cstddef>
#include <string_view>

namespace vpdnd {

template <auto First, auto Last, std::size_t N>
constexpr std::string_view enum_name(decltype(First) e, const std::string_view (&names)[N],
                                     std::string_view unknown = "?") {
  static_assert(N == static_cast<std::size_t>(Last) - static_cast<std::size_t>(First) + 1,
                "one name per enumerator");
  const auto i = static_cast<std::size_t>(e) - static_cast<std::size_t>(First);
  return static_cast<std::size_t>(e) >= static_cast<std::size_t>(First) && i < N ? names[i]
                                                                                 : unknown;
}

}  // namespace vpdnd
