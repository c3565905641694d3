// The line editor alone: keys in, the line and the screen bytes out.
#include "cli/front/line_editor.hpp"

#include <gtest/gtest.h>

namespace vpdnd::cli::front {
namespace {

using Action = LineEditor::Action;

std::string type(LineEditor& e, std::string_view keys) {
  std::string echo;
  for (char c : keys) e.key(static_cast<unsigned char>(c), echo);
  return echo;
}

TEST(LineEditor, InsertsAtTheCursorAndRedrawsTheTail) {
  LineEditor e;
  EXPECT_EQ(type(e, "ac"), "ac");
  EXPECT_EQ(type(e, "\x02"), "\b");  // Ctrl+B
  EXPECT_EQ(type(e, "b"), "bc\b");
  EXPECT_EQ(e.line(), "abc");
  EXPECT_EQ(e.cursor(), 2u);
  EXPECT_EQ(e.redraw(), "abc\b");
}

TEST(LineEditor, BackspaceMidLineShiftsTheRest) {
  LineEditor e;
  type(e, "abcd\x1b[D\x1b[D");
  EXPECT_EQ(type(e, "\x7f"), "\bcd \b\b\b");
  EXPECT_EQ(e.line(), "acd");
  EXPECT_EQ(type(e, "\x05"), "cd");  // Ctrl+E
  EXPECT_EQ(type(e, "\x08"), "\b \b");
  EXPECT_EQ(e.line(), "ac");
}

TEST(LineEditor, BackspaceOnAnEmptyLineRings) {
  LineEditor e;
  EXPECT_EQ(type(e, "\x7f"), "\a");
}

TEST(LineEditor, CtrlWErasesTheWordBeforeTheCursor) {
  LineEditor e;
  type(e, "display  cur ");
  type(e, "\x17");
  EXPECT_EQ(e.line(), "display  ");
  type(e, "\x17");
  EXPECT_EQ(e.line(), "");
}

TEST(LineEditor, CtrlUCtrlKAndCtrlA) {
  LineEditor e;
  e.set_prompt("<VPDN>");
  type(e, "abc");
  EXPECT_EQ(type(e, "\x01"), "\r<VPDN>");
  EXPECT_EQ(e.cursor(), 0u);
  EXPECT_EQ(type(e, "\x06\x0b"), "a  \b\b");  // Ctrl+F, Ctrl+K
  EXPECT_EQ(e.line(), "a");
  EXPECT_EQ(type(e, "\x15"), "\b \b");
  EXPECT_EQ(e.line(), "");
}

TEST(LineEditor, ActionsLeaveTheLineAlone) {
  LineEditor e;
  type(e, "dis");
  std::string echo;
  EXPECT_EQ(e.key('?', echo), Action::help);
  EXPECT_EQ(e.key('\t', echo), Action::tab);
  EXPECT_EQ(e.key(0x1a, echo), Action::ctrl_z);
  EXPECT_EQ(e.key('\r', echo), Action::enter);
  EXPECT_EQ(echo, "");
  EXPECT_EQ(e.line(), "dis");
  EXPECT_EQ(e.take_line(), "dis");
  EXPECT_EQ(e.line(), "");
}

TEST(LineEditor, ControlKeysAndUnknownEscapesInsertNothing) {
  LineEditor e;
  EXPECT_EQ(type(e, "\x04\n\x07\x1b[3~\x1bOx"), "");
  EXPECT_EQ(type(e, "\x03"), "\a");  // Ctrl+C rings
  EXPECT_EQ(e.line(), "");
}

TEST(LineEditor, HistoryWalksBackAndForth) {
  LineEditor e;
  type(e, "one");
  e.take_line();
  type(e, "two");
  e.take_line();
  type(e, "two");
  e.take_line();  // a repeat is kept once
  type(e, "  ");
  e.take_line();  // a blank line is not kept
  type(e, "\x10");
  EXPECT_EQ(e.line(), "two");
  type(e, "\x10\x10");
  EXPECT_EQ(e.line(), "one");
  EXPECT_EQ(type(e, "\x0e"), "\b\b\b   \b\b\btwo");
  type(e, "\x0e");
  EXPECT_EQ(e.line(), "");
}

TEST(LineEditor, TheLineHasALimit) {
  LineEditor e;
  type(e, std::string(LineEditor::kMaxLine, 'a'));
  EXPECT_EQ(type(e, "b"), "\a");
  EXPECT_EQ(e.line().size(), LineEditor::kMaxLine);
}

}  // namespace
}  // namespace vpdnd::cli::front
