// DOC: the terminal's line editor (internal to cli/front): one line being typed, its cursor
// and the history of lines entered, driven one key at a time. Pure: every key returns what
// the terminal must write to redraw it (echo, backspaces, a bell) and, for the keys that
// need the command language or a view change (Enter, `?`, Tab, Ctrl+Z), an action the
// terminal carries out. The keys are the ones libcli's editor had, so an operator's hands
// find the same line editing:
//   printable keys insert at the cursor; Backspace/DEL erases before it; Ctrl+W the word
//   before it; Ctrl+U the line; Ctrl+K to its end; Ctrl+A/Ctrl+E (Home/End) move to the
//   start/end; Ctrl+B/Ctrl+F and the left/right arrows by one key; Ctrl+P/Ctrl+N and the
//   up/down arrows walk the history; Ctrl+L redraws the line; Ctrl+C rings the bell;
//   Ctrl+D, LF, NUL and other control keys do nothing.
// Thread: one owner (the terminal's thread).
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>

namespace vpdnd::cli::front {

class LineEditor {
 public:
  static constexpr std::size_t kMaxLine = 4095;    // longer input rings the bell
  static constexpr std::size_t kMaxHistory = 256;  // lines Ctrl+P can bring back

  enum class Action { none, enter, help, tab, ctrl_z };

  // The prompt the line follows on the screen (Ctrl+A and Ctrl+L redraw it).
  void set_prompt(std::string prompt) { prompt_ = std::move(prompt); }
  const std::string& prompt() const { return prompt_; }

  // One key from the peer. What the screen needs is appended to `echo`. For `enter` the
  // line is still in place (take_line() gets it); for the others nothing has changed.
  Action key(unsigned char c, std::string& echo);

  const std::string& line() const { return line_; }
  std::size_t cursor() const { return cursor_; }
  bool at_end() const { return cursor_ == line_.size(); }
  std::string before_cursor() const { return line_.substr(0, cursor_); }

  // The line as entered, the editor then holds an empty one. A line that is not blank
  // goes into the history (unless it repeats the last one).
  std::string take_line();
  // Erases the line on the screen and in the editor (Ctrl+U).
  void clear(std::string& echo);
  // Erases the `n` keys before the cursor, as that many Backspaces would.
  void erase_back(std::size_t n, std::string& echo);
  // Inserts `text` at the cursor as if typed (printable keys only).
  void insert(std::string_view text, std::string& echo);
  // The line and the backspaces that put the cursor back where it is, to follow a prompt.
  std::string redraw() const;

 private:
  void insert_key(unsigned char c, std::string& echo);
  void backspace(std::string& echo);
  void show_history(std::size_t index, std::string& echo);

  std::string prompt_;
  std::string line_;
  std::size_t cursor_ = 0;
  std::deque<std::string> history_;
  std::size_t history_pos_ = 0;  // history_.size(): the line being typed
  enum class Escape { none, esc, csi } escape_ = Escape::none;
};

}  // namespace vpdnd::cli::front
