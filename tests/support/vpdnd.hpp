// Test helper: build/vpdnd under test (a startup configuration written for the test, its
// output in a log file), driven over telnet (TermClient on connect_tcp()) or its console pty.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/term_client.hpp"

namespace vpdnd::test {

class Vpdnd : public Child {
 public:
  static bool built();  // vpdnd_path() exists

  // Writes `config` to <dir>/startup.cfg (creating `dir`) and starts vpdnd on it with `args`.
  // Output goes to <dir>/vpdnd.log; on a pty (the console) only stderr does.
  bool start(const std::filesystem::path& dir, const std::string& config,
             const std::vector<std::string>& args, bool pty = false);
};

// A child on a pseudo-terminal (an ssh client, vpdnd on its console) and what it shows.
class TermChild : public Child {
 public:
  bool spawn(const std::vector<std::string>& argv, unsigned short rows = 24);
  TermClient& term() { return term_; }
  using Child::exited;
  // Ended within `timeout`; its output is read meanwhile (a pty child blocks when nobody does).
  bool exited(std::chrono::milliseconds timeout);

 private:
  TermClient term_;
};

// <temp>/<prefix>-<pid>-<test name>: a directory of the running test's own.
std::filesystem::path test_dir(const std::string& prefix);

// ctest runs tests in parallel processes, so each test takes a slot of a port range: the
// first one tried derives from the test's name, the next `step` further (mod `slots`), while
// `try_slot` fails (vpdnd exits when it cannot bind). False when `attempts` slots failed.
bool take_port_slot(std::size_t slots, std::size_t step, int attempts,
                    const std::function<bool(std::size_t slot)>& try_slot);

}  // namespace vpdnd::test
