#include "cli/front/lines.hpp"

#include <algorithm>

namespace vpdnd::cli {

std::optional<std::uint32_t> LineTable::open(bool console, std::string user, std::string location,
                                             const CommandSession* owner,
                                             std::chrono::system_clock::time_point login,
                                             std::chrono::steady_clock::time_point now) {
  std::uint32_t number = 0;
  if (!console) {
    while (number < kVtyLines && std::any_of(lines_.begin(), lines_.end(), [&](const auto& l) {
             return !l.console && l.number == number;
           }))
      ++number;
    if (number == kVtyLines) return std::nullopt;
  }
  TerminalLine line;
  line.console = console;
  line.number = number;
  line.user = std::move(user);
  line.location = std::move(location);
  line.login = login;
  line.last_input = now;
  line.owner = owner;
  lines_.push_back(std::move(line));
  std::sort(lines_.begin(), lines_.end(), [](const TerminalLine& a, const TerminalLine& b) {
    return a.console != b.console ? a.console : a.number < b.number;
  });
  return number;
}

void LineTable::close(const CommandSession* owner) {
  std::erase_if(lines_, [&](const TerminalLine& l) { return l.owner == owner; });
}

void LineTable::touch(const CommandSession* owner, std::chrono::steady_clock::time_point now) {
  for (auto& l : lines_)
    if (l.owner == owner) l.last_input = now;
}

std::vector<TerminalLine> LineTable::lines() const {
  return lines_;
}

LineTable& process_lines() {
  static LineTable table;
  return table;
}

}  // namespace vpdnd::cli
