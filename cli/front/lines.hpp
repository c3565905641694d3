// DOC: the terminal lines in use (Comware user lines: `CON 0` for the console, `VTY N` for
// each telnet user), for `display users`. The front end takes a line when a shell starts
// and gives it back when it ends; the command session marks input on it (idle time).
// Thread: the process instance (process_lines()) is touched only on the protocol thread
// (ProtocolThread::call), like the login guard; no locks. A line names its session only by
// address, to find "this terminal's line": it is never dereferenced.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/shell.hpp"

namespace vpdnd::cli {

struct TerminalLine {
  bool console = false;
  std::uint32_t number = 0;  // VTY number (0 for the console)
  std::string user;          // "" when the login asked no user name
  std::string location;      // telnet peer address; "" on the console
  std::chrono::system_clock::time_point login;
  std::chrono::steady_clock::time_point last_input;
  const CommandSession* owner = nullptr;
};

class LineTable {
 public:
  static constexpr std::uint32_t kVtyLines = 64;  // as many as telnet sessions allowed

  // Takes the console line, or the lowest free VTY line. nullopt when none is free.
  std::optional<std::uint32_t> open(bool console, std::string user, std::string location,
                                    const CommandSession* owner,
                                    std::chrono::system_clock::time_point login,
                                    std::chrono::steady_clock::time_point now);
  void close(const CommandSession* owner);
  // The terminal of `owner` had input at `now`. No-op for a session without a line.
  void touch(const CommandSession* owner, std::chrono::steady_clock::time_point now);
  // The console first, then VTY lines by number.
  std::vector<TerminalLine> lines() const;

 private:
  std::vector<TerminalLine> lines_;
};

LineTable& process_lines();

}  // namespace vpdnd::cli
