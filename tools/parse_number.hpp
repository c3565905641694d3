// Whole-string number parsing for the tools' command lines: the entire text must be the
// number ("10x" and "" are errors), so a typo in an option never runs with a default.
#pragma once

#include <charconv>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace vpdnd::tools {

template <class T>
bool parse_number(std::string_view s, T& out) {
  if constexpr (std::is_floating_point_v<T>) {
    try {
      std::size_t used = 0;
      out = static_cast<T>(std::stod(std::string(s), &used));
      return used == s.size();
    } catch (...) {
      return false;
    }
  } else {
    auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
  }
}

}  // namespace vpdnd::tools
