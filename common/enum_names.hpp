// DOC: an enumeration's names as one table instead of a switch per function. The enumerators
// First..Last must have consecutive values and Last must be the final one; the table lists
// one name per enumerator in that order, and a table of another length is a build error. A
// value outside the range (a cast from the wire) gets `unknown`. An enumeration with sparse
// values (wire codes) lists {enumerator, name} pairs instead.
#pragma once

#include <cstddef>
#include <string_view>
#include <type_traits>

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

template <class E>
struct EnumName {
  E value;
  std::string_view name;
};

template <class E, std::size_t N>
constexpr const EnumName<E>* find_enum_name(std::underlying_type_t<E> raw,
                                            const EnumName<E> (&names)[N]) {
  for (const EnumName<E>& n : names)
    if (static_cast<std::underlying_type_t<E>>(n.value) == raw) return &n;
  return nullptr;
}

template <class E, std::size_t N>
constexpr std::string_view enum_name(E e, const EnumName<E> (&names)[N],
                                     std::string_view unknown = "?") {
  const EnumName<E>* n = find_enum_name(static_cast<std::underlying_type_t<E>>(e), names);
  return n ? n->name : unknown;
}

}  // namespace vpdnd
