// DOC: the seam between the command language and the terminals.
// A CommandSession is one operator's shell state (current view, its object, terminal
// switches). The front end (console, telnet, SSH) feeds it lines and key presses and
// writes back what it returns; the grammar behind it (abbreviation, `?`, Tab, caret
// errors, views) is ours and is the same one that loads the startup config.
// Thread: a session is used by its own terminal thread only; it reaches the running
// config through ProtocolThread::call.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace vpdnd::cli {

// Per-terminal switches that commands set and the front end honours.
struct TerminalSettings {
  bool monitor = false;              // `terminal monitor`
  bool debugging = false;            // `terminal debugging`
  bool logging = true;               // `terminal logging`
  std::uint32_t screen_length = 24;  // `screen-length N` / `screen-length disable` (0)
  // Set by `screen-length N` in this session: it then wins over the window height a telnet
  // client reports (NAWS).
  bool screen_length_typed = false;
};

struct ExecResult {
  std::string output;          // text to print, lines separated by '\n' (no trailing prompt)
  bool ok = true;              // false: an error was printed (caret + `% ...`)
  bool close_session = false;  // `quit` from user view
  // Warnings of a command that ran (ok stays true), without "Warning: "; a terminal session
  // also has them in `output`, a file session only here (the loader reports FILE:LINE).
  std::vector<std::string> warnings;
  // The command asked a question (`save` on a terminal: "... Are you sure? [Y/N]:"). The
  // output ends with the question; the next line given to execute() is the answer.
  bool awaiting_answer = false;
};

// What a long-running command (`ping`, `tracert`) uses while it runs on the terminal
// thread: `write` shows a line at once (no trailing newline), `interrupted` is true once
// the operator pressed Ctrl+C (it consumes the keys typed meanwhile). Unset (a file
// session, a test): the output is returned at the end and nothing interrupts.
struct LiveOutput {
  std::function<void(const std::string&)> write;
  std::function<bool()> interrupted;
  // Long listings (`display l2tp session` of 100,000 sessions) print as they are read:
  // `page` shows whole lines through the terminal's pager (`---- More ----`, paging
  // state kept for the rest of the command) and returns false once the operator stopped
  // the listing (q, Ctrl+C) or the peer is gone. Unset: the command collects its output.
  std::function<bool(const std::string&)> page = {};
};

class CommandSession {
 public:
  virtual ~CommandSession() = default;
  // `<VPDN>`, `[VPDN]`, `[VPDN-l2tp1]` ...
  virtual std::string prompt() const = 0;
  // One line as typed (abbreviations, aliases, `undo`, comments allowed).
  virtual ExecResult execute(const std::string& line) = 0;
  // `?` pressed with `partial` before the cursor: the help listing to print (Comware
  // style, one candidate per line with its description, `<cr>` when complete).
  virtual std::string help(const std::string& partial) const = 0;
  // Tab pressed: candidate completions of the last word of `partial`.
  virtual std::vector<std::string> complete(const std::string& partial) const = 0;
  virtual const TerminalSettings& terminal() const = 0;
  // The front end's live output and Ctrl+C, for commands that take seconds.
  virtual void set_live_output(LiveOutput) {}
};

}  // namespace vpdnd::cli
