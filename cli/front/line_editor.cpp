#include "cli/front/line_editor.hpp"

namespace vpdnd::cli::front {
namespace {

constexpr unsigned char ctrl(char c) {
  return static_cast<unsigned char>(c & 0x1f);
}

}  // namespace

LineEditor::Action LineEditor::key(unsigned char c, std::string& echo) {
  // ANSI cursor keys: ESC [ (parameters) final byte; only the arrows and Home/End mean
  // something, every other sequence is swallowed whole.
  if (escape_ == Escape::esc) {
    escape_ = c == '[' || c == 'O' ? Escape::csi : Escape::none;
    return Action::none;
  }
  if (escape_ == Escape::csi) {
    if (c >= 0x20 && c < 0x40) return Action::none;  // parameters
    escape_ = Escape::none;
    // Up, Down, Right, Left, Home, End: the control keys that do the same.
    static constexpr std::string_view kFinal = "ABCDHF", kSame = "PNFBAE";
    auto at = kFinal.find(static_cast<char>(c));
    if (at == std::string_view::npos) return Action::none;
    c = ctrl(kSame[at]);
  }
  switch (c) {
    case '\r':
      return Action::enter;
    case '?':
      return Action::help;
    case '\t':
      return Action::tab;
    case ctrl('Z'):
      return Action::ctrl_z;
    case 0x1b:
      escape_ = Escape::esc;
      return Action::none;
    case ctrl('C'):
      echo += '\a';
      return Action::none;
    case ctrl('H'):
    case 0x7f:
      if (cursor_ == 0) {
        echo += '\a';
        return Action::none;
      }
      backspace(echo);
      return Action::none;
    case ctrl('W'): {
      std::size_t n = cursor_;
      while (n > 0 && line_[n - 1] == ' ') --n;
      while (n > 0 && line_[n - 1] != ' ') --n;
      erase_back(cursor_ - n, echo);
      return Action::none;
    }
    case ctrl('U'):
      clear(echo);
      return Action::none;
    case ctrl('K'):
      echo.append(line_.size() - cursor_, ' ');
      echo.append(line_.size() - cursor_, '\b');
      line_.resize(cursor_);
      return Action::none;
    case ctrl('A'):
      if (cursor_ > 0) echo += "\r" + prompt_;
      cursor_ = 0;
      return Action::none;
    case ctrl('E'):
      echo += line_.substr(cursor_);
      cursor_ = line_.size();
      return Action::none;
    case ctrl('B'):
      if (cursor_ > 0) {
        echo += '\b';
        --cursor_;
      }
      return Action::none;
    case ctrl('F'):
      if (cursor_ < line_.size()) echo += line_[cursor_++];
      return Action::none;
    case ctrl('L'):
      echo += "\r\n" + prompt_ + redraw();
      return Action::none;
    case ctrl('P'):
      if (history_pos_ > 0) show_history(history_pos_ - 1, echo);
      return Action::none;
    case ctrl('N'):
      if (history_pos_ < history_.size()) show_history(history_pos_ + 1, echo);
      return Action::none;
    default:
      break;
  }
  if (c < 0x20) return Action::none;  // Ctrl+D, LF, NUL, ...: nothing on a Comware box
  insert_key(c, echo);
  return Action::none;
}

std::string LineEditor::take_line() {
  std::string line = std::move(line_);
  line_.clear();
  cursor_ = 0;
  if (line.find_first_not_of(' ') != std::string::npos &&
      (history_.empty() || history_.back() != line)) {
    history_.push_back(line);
    if (history_.size() > kMaxHistory) history_.pop_front();
  }
  history_pos_ = history_.size();
  return line;
}

void LineEditor::clear(std::string& echo) {
  echo.append(cursor_, '\b');
  echo.append(line_.size(), ' ');
  echo.append(line_.size(), '\b');
  line_.clear();
  cursor_ = 0;
}

void LineEditor::erase_back(std::size_t n, std::string& echo) {
  while (n-- > 0 && cursor_ > 0) backspace(echo);
}

void LineEditor::insert(std::string_view text, std::string& echo) {
  for (char c : text) insert_key(static_cast<unsigned char>(c), echo);
}

std::string LineEditor::redraw() const {
  return line_ + std::string(line_.size() - cursor_, '\b');
}

void LineEditor::insert_key(unsigned char c, std::string& echo) {
  if (line_.size() >= kMaxLine) {
    echo += '\a';
    return;
  }
  line_.insert(cursor_, 1, static_cast<char>(c));
  echo.append(line_, cursor_);
  ++cursor_;
  echo.append(line_.size() - cursor_, '\b');
}

void LineEditor::backspace(std::string& echo) {
  if (cursor_ == line_.size()) {
    line_.pop_back();
    --cursor_;
    echo += "\b \b";
    return;
  }
  // Back one, the rest of the line moved left, a blank where its end was, back again.
  --cursor_;
  line_.erase(cursor_, 1);
  echo += '\b';
  echo.append(line_, cursor_);
  echo += ' ';
  echo.append(line_.size() - cursor_ + 1, '\b');
}

void LineEditor::show_history(std::size_t index, std::string& echo) {
  clear(echo);
  history_pos_ = index;
  line_ = index < history_.size() ? history_[index] : std::string();
  cursor_ = line_.size();
  echo += line_;
}

}  // namespace vpdnd::cli::front
