// DOC: text files read line by line (configuration, the stop-accounting buffer): '\n' ends a
// line and a '\r' before it is dropped; the text after the last '\n' is a line too (empty
// when the text ends with one).
#pragma once

#include <string_view>
#include <vector>

namespace vpdnd {

inline std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

}  // namespace vpdnd
