// What a client can send before it has logged in: the telnet codec (whole input and the
// same input split in two must decode alike; answers stay bounded) and the login's line
// reader over a socket, as the telnet server reads Username/Password; and the decoded keys
// through the shell's line editor (its line and cursor stay consistent and bounded).
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "cli/front/io.hpp"
#include "cli/front/line_editor.hpp"
#include "cli/front/telnet_codec.hpp"

using vpdnd::cli::front::KeyReader;
using vpdnd::cli::front::LineEditor;
using vpdnd::cli::front::TelnetCodec;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);

  TelnetCodec whole, split;
  TelnetCodec::Output a, b;
  whole.feed(in, a);
  std::size_t cut = size ? data[0] % (size + 1) : 0;
  split.feed(in.substr(0, cut), b);
  split.feed(in.substr(cut), b);
  if (a.keys != b.keys || a.reply != b.reply || !(whole.window() == split.window())) std::abort();
  // Keys are a subsequence of the input; every answer is three bytes for a three-byte request.
  if (a.keys.size() > size || a.reply.size() > size || a.reply.size() % 3 != 0) std::abort();

  LineEditor editor;
  editor.set_prompt("<VPDN>");
  for (char c : a.keys) {
    std::string echo;
    if (editor.key(static_cast<unsigned char>(c), echo) == LineEditor::Action::enter)
      editor.take_line();
    if (editor.cursor() > editor.line().size() || editor.line().size() > LineEditor::kMaxLine)
      std::abort();
    if (echo.size() > 4 * LineEditor::kMaxLine + 64) std::abort();
  }

  if (size > 64 * 1024) return 0;  // one socket buffer
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return 0;
  for (std::string_view rest = in; !rest.empty();) {
    ssize_t n = ::write(sv[1], rest.data(), rest.size());
    if (n <= 0) break;
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  ::shutdown(sv[1], SHUT_WR);
  std::atomic<bool> stop{false};
  TelnetCodec codec;
  KeyReader keys(sv[0], &codec, stop);
  // Nobody reads our end's echoes: a line that owes more than a socket buffer ends here.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  for (int i = 0; i < 16; ++i) {
    auto line = keys.line(i % 2 == 0, deadline, 80);
    if (!line) break;
    if (line->size() > 80) std::abort();
    for (char c : *line)
      if (static_cast<unsigned char>(c) < 32) std::abort();  // control keys never end up in a name
  }
  ::close(sv[0]);
  ::close(sv[1]);
  return 0;
}
