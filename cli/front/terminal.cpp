// DOC: the terminal: one shell on one link to its peer (a tty, a telnet connection, an SSH
// session channel). The terminal owns it whole, as FRR's vty does: it reads the
// peer's bytes itself (a telnet peer's through TelnetCodec: answers go back, the window
// size pages, only keys reach the editor), edits the line with LineEditor, and gives the
// command language (CommandSession) the raw line on Enter, the text before the cursor on
// `?` (help) and Tab (completion). Nothing else interprets the operator's keys, so every
// line reaches execute() exactly as typed (quotes, `|`, spacing) and the only errors seen
// are the session's Comware ones.
//
// Why not libcli's parser: it only calls back for commands registered with it, splits the
// line into words itself (quotes lost), answers `?`/Tab from its own tree (printing its own
// help format and `<cr>`), and owns the prompt and the view (MODE_EXEC/MODE_CONFIG). Comware
// wants the whole grammar (abbreviations at every word, sub-view fallbacks, `?` anywhere in
// a line, Tab cycling through candidates, caret errors) from the one grammar that also loads
// the config, and a pager and a question prompt in the middle of a command: expressing that
// through libcli needed its private fields (the raw command line, its timers, its command
// list). The terminal is small enough to own instead (docs/ARCHITECTURE-NOTES.md).
//
// Screen: Comware style, a prompt starts a line of its own; a command's output follows
// the echoed Enter and leaves its last line open, the next prompt ends it; no blank line
// except after a `?` listing.
//  * `?` prints `?` (at the end of the line), the session's help for the text before the
//    cursor (on the first word: the view's keywords it starts, with their descriptions),
//    a blank line, and the prompt with the line as it was; an empty help rings.
//  * Tab, as Comware: a unique keyword goes in with a space; with several, the first Tab
//    puts the first of them in place of the typed prefix and each further Tab the next one,
//    round and round. On an empty word: the candidates' common start, the list on a second
//    Tab. Only at the end of the line.
//  * Ctrl+Z in a system view runs `return` and draws the user view's prompt at once.
//  * Output of commands is paged by the session's screen-length (`  ---- More ----`: space
//    = page, Enter = line, q or Ctrl+C = stop); a question (`save`) reads its answer here.
//  * Every 100 ms without a key: the stop flag, the idle timeout, and the terminal's LogBus
//    queue when `terminal monitor` is on (debug lines also need `terminal debugging`).
// Thread: everything runs on the terminal's own thread; the LogBus only fills a bounded
// queue from the emitting thread.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <deque>
#include <mutex>

#include "cli/front.hpp"
#include "cli/front/io.hpp"
#include "cli/front/line_editor.hpp"
#include "cli/front/lines.hpp"
#include "cli/front/telnet_codec.hpp"
#include "common/log.hpp"

namespace vpdnd::cli {
namespace {

using Clock = std::chrono::steady_clock;
using Action = front::LineEditor::Action;

constexpr std::size_t kLogQueueLimit = 512;
constexpr auto kTick = std::chrono::milliseconds(100);
constexpr auto kWriteGrace = std::chrono::milliseconds(30000);

// Lines the LogBus hands us on the emitting thread; drained by the terminal thread.
struct LogQueue {
  std::mutex mutex;
  std::deque<LogRecord> records;
  std::uint64_t dropped = 0;
  void push(const LogRecord& r) {
    std::lock_guard lock(mutex);
    if (records.size() >= kLogQueueLimit) {
      ++dropped;  // reason: terminal queue full
      return;
    }
    records.push_back(r);
  }
};

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::string cur;
  for (char c : text) {
    if (c == '\n') {
      if (!cur.empty() && cur.back() == '\r') cur.pop_back();
      lines.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) lines.push_back(std::move(cur));
  return lines;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

class Terminal {
 public:
  Terminal(CommandSession& session, front::TerminalIo& io, const TerminalOptions& options,
           const std::atomic<bool>& stop)
      : session_(session),
        io_(io),
        options_(options),
        stop_(stop),
        own_codec_(options.telnet && !options.codec ? std::make_unique<front::TelnetCodec>()
                                                    : nullptr),
        codec_(options.codec ? options.codec : own_codec_.get()),
        keys_(io, codec_, stop),
        logs_(std::make_shared<LogQueue>()) {
    // Keys are read in kTick slices; a telnet answer written meanwhile still gets as long
    // as any other output to a slow peer.
    keys_.set_write_grace(kWriteGrace);
    // `ping`/`tracert` print each reply as it comes and stop on Ctrl+C.
    session_.set_live_output(
        {[this](const std::string& line) { live_line(line); },
         [this] { return live_interrupted(); },
         [this](const std::string& text) { return print_paged(text) && !live_interrupted(); }});
  }

  ~Terminal() {
    session_.set_live_output({});
    if (sink_) LogBus::instance().unsubscribe(sink_);
  }

  void run() {
    auto queue = logs_;
    sink_ = LogBus::instance().subscribe([queue](const LogRecord& r) { queue->push(r); });
    refresh_prompt();
    draw_prompt(false);
    auto last_input = Clock::now();
    while (!stop_.load() && !quit_) {
      auto k = keys_.key(Clock::now() + kTick);
      if (!k) {
        if (keys_.closed()) break;
        if (options_.idle_timeout_s > 0 &&
            Clock::now() - last_input >= std::chrono::seconds(options_.idle_timeout_s)) {
          out("\r\n% Idle timeout, the connection is closed.\r\n");
          log_info(DebugModule::aaa, "event=terminal_idle_timeout peer=" + options_.peer);
          break;
        }
        if (drain_logs(true)) draw_prompt(false);
        continue;
      }
      last_input = Clock::now();
      on_key(*k);
    }
  }

 private:
  void on_key(unsigned char c) {
    std::string echo;
    Action action = editor_.key(c, echo);
    out(echo);
    const bool tab_again = last_was_tab_;
    last_was_tab_ = action == Action::tab;
    if (action != Action::tab) cycle_line_.clear();
    switch (action) {
      case Action::enter:
        enter();
        break;
      case Action::help:
        help();
        break;
      case Action::tab:
        tab(tab_again);
        break;
      case Action::ctrl_z:
        ctrl_z();
        break;
      case Action::none:
        break;
    }
  }

  void enter() {
    std::string line = editor_.take_line();
    out("\r\n");
    if (line.find_first_not_of(' ') != std::string::npos && run_line(line)) {
      quit_ = true;
      return;
    }
    draw_prompt(false);
  }

  // Comware shows the `?` it answers; help for the text before the cursor, then the line
  // again as it was.
  void help() {
    std::string text;
    try {
      text = help_text(editor_.before_cursor());
    } catch (const std::exception& e) {
      text = std::string("% Internal error: ") + e.what();
    }
    if (text.empty()) {
      out("\a");
      return;
    }
    out(editor_.at_end() ? std::string("?") : editor_.line().substr(editor_.cursor()));
    out("\r\n" + front::crlf(text));
    if (text.back() != '\n') out("\r\n");
    draw_prompt(true);
  }

  // On the first word the view's listing (help("")) is cut to the keywords the word
  // starts, each with its description; nothing matching rings the bell.
  std::string help_text(const std::string& partial) const {
    auto first = partial.find_first_not_of(' ');
    if (first == std::string::npos || partial.find(' ', first) != std::string::npos)
      return session_.help(partial);
    std::string prefix = lower(partial.substr(first));
    std::string out;
    for (auto& line : split_lines(session_.help(""))) {
      auto b = line.find_first_not_of(" \t");
      if (b == std::string::npos || line[b] == '<') continue;
      if (lower(line.substr(b, prefix.size())) == prefix) out += line + "\n";
    }
    return out;
  }

  void tab(bool again) {
    if (!editor_.at_end()) return;
    const std::string line = editor_.line();
    std::size_t start = line.find_last_of(' ');
    start = start == std::string::npos ? 0 : start + 1;
    const std::size_t typed = line.size() - start;
    auto put = [&](const std::string& word) {
      std::string echo;
      editor_.erase_back(typed, echo);
      editor_.insert(word, echo);
      out(echo);
    };
    if (!cycle_line_.empty() && line == cycle_line_ && !cycle_words_.empty()) {
      cycle_index_ = (cycle_index_ + 1) % cycle_words_.size();
      put(cycle_words_[cycle_index_]);
      cycle_line_ = editor_.line();
      return;
    }
    cycle_line_.clear();
    std::vector<std::string> words;
    try {
      words = session_.complete(line);
    } catch (const std::exception&) {
    }
    if (words.empty()) {
      out("\a");
    } else if (words.size() == 1) {
      put(words[0] + " ");
    } else if (typed > 0) {
      cycle_words_ = std::move(words);
      cycle_index_ = 0;
      put(cycle_words_[0]);
      cycle_line_ = editor_.line();
    } else if (again) {
      std::string listing;
      for (std::size_t i = 0; i < words.size(); ++i) listing += (i % 4 ? " " : "\r\n") + words[i];
      out(listing + "\r\n");
      draw_prompt(false);
    } else {
      std::size_t common = words[0].size();
      for (auto& w : words)
        common = std::min<std::size_t>(
            common,
            std::mismatch(w.begin(), w.begin() + std::min(w.size(), common), words[0].begin())
                    .first -
                w.begin());
      if (common == 0)
        out("\a");
      else
        put(words[0].substr(0, common));
    }
  }

  void ctrl_z() {
    if (in_user_view()) return;
    std::string echo;
    editor_.clear(echo);
    out(echo);
    execute("return");
    refresh_prompt();
    draw_prompt(false);
  }

  // A prompt starts a line of its own (after a blank one when `blank`), the line being
  // edited follows it.
  void draw_prompt(bool blank) {
    if (!at_line_start_) out("\r\n");
    if (blank) out("\r\n");
    out(editor_.prompt() + editor_.redraw());
  }

  void refresh_prompt() {
    try {
      editor_.set_prompt(session_.prompt());
    } catch (const std::exception&) {
    }
  }

  bool in_user_view() const { return !editor_.prompt().empty() && editor_.prompt().front() == '<'; }

  void out(std::string_view text) {
    if (text.empty()) return;
    if (!io_.write(text)) quit_ = true;  // the peer is gone
    // After "\r" (the pager erasing `---- More ----`) the cursor is at the start of an
    // empty line too: the next prompt goes there.
    at_line_start_ = text.back() == '\n' || text.back() == '\r';
  }

  void live_line(const std::string& line) {
    if (!at_line_start_) out("\r\n");
    out(line + "\r\n");
  }

  // Keys typed while a command runs are read here: Ctrl+C ends it, others are dropped (a
  // Comware box ignores them too). A peer gone or a stop ends it as well.
  bool live_interrupted() {
    if (stop_.load() || quit_) return true;
    for (;;) {
      // A deadline already passed reads nothing: give the poll a millisecond.
      auto k = keys_.key(Clock::now() + std::chrono::milliseconds(1));
      if (!k) return stop_.load() || keys_.closed();
      if (*k == 3) return true;
    }
  }

  // Runs one line; true when the session is over.
  bool run_line(const std::string& raw) {
    drain_logs(false);  // what came while monitoring was off is not shown later
    new_page();
    ExecResult result = execute(raw);
    // A question (`save`): ask it on its own line and give the typed answer to the session.
    for (int asked = 0; result.awaiting_answer && asked < 8; ++asked) {
      print_paged(result.output, false);
      auto deadline = Clock::now() + std::chrono::seconds(
                                         options_.idle_timeout_s ? options_.idle_timeout_s : 3600);
      auto answer = keys_.line(true, deadline);
      at_line_start_ = true;  // the reader echoed the Enter
      if (!answer) {
        out("\r\n");
        if (stop_.load() || keys_.closed()) quit_ = true;
        answer = "N";
      }
      new_page();
      result = execute(*answer);
    }
    // The last line is left open: the prompt ends it.
    print_paged(result.output, false);
    refresh_prompt();
    drain_logs(false);
    return result.close_session || quit_;
  }

  ExecResult execute(const std::string& line) {
    ExecResult result;
    try {
      result = session_.execute(line);
    } catch (const std::exception& e) {
      result.output = std::string("% Internal error: ") + e.what();
      result.ok = false;
    }
    return result;
  }

  // A command's output starts a new page (its first screenful shows without a stop).
  void new_page() {
    const std::uint32_t length = page_length();
    page_ = length > 1 ? length - 1 : (length == 1 ? 1 : 0);
    budget_ = page_;
    paging_stopped_ = false;
  }

  // Shows text in pages of the session's screen-length, continuing the page of what the
  // command printed before (LiveOutput::page). Returns false if the operator stopped it
  // (or the peer went away); what the command prints after that is not shown. Without
  // `end_line` the last line is left open.
  bool print_paged(const std::string& text, bool end_line = true) {
    if (paging_stopped_) return false;
    if (text.empty()) return true;
    if (!at_line_start_) out("\r\n");
    auto lines = split_lines(text);
    const std::size_t page = page_;
    std::size_t& budget = budget_;
    std::string chunk;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (page != 0 && budget == 0) {
        out(chunk);
        chunk.clear();
        out("  ---- More ----");
        std::optional<unsigned char> k;
        for (;;) {
          k = keys_.key(Clock::now() + std::chrono::hours(24));
          if (!k || *k == ' ' || *k == '\r' || *k == '\n' || *k == 'q' || *k == 'Q' || *k == 3)
            break;
        }
        out("\r                \r");
        if (!k || *k == 'q' || *k == 'Q' || *k == 3) {
          if (!k) quit_ = true;
          paging_stopped_ = true;
          return false;
        }
        budget = (*k == ' ') ? page : 1;
      }
      chunk += lines[i];
      if (end_line || i + 1 < lines.size()) chunk += "\r\n";
      if (budget) --budget;
    }
    out(chunk);
    return true;
  }

  // `screen-length disable` turns paging off; a length the operator typed wins; else the
  // window height the client reported (telnet NAWS, SSH pty); else the line's screen-length.
  std::uint32_t page_length() const {
    const TerminalSettings& t = session_.terminal();
    if (t.screen_length == 0 || t.screen_length_typed) return t.screen_length;
    std::uint16_t rows = options_.rows ? options_.rows->load()
                         : codec_      ? codec_->window().height
                                       : 0;
    rows = front::clamp_rows(rows);
    return rows ? rows : t.screen_length;
  }

  // Returns true if anything was printed.
  bool drain_logs(bool at_prompt) {
    std::deque<LogRecord> records;
    std::uint64_t dropped = 0;
    {
      std::lock_guard lock(logs_->mutex);
      records.swap(logs_->records);
      dropped = logs_->dropped;
      logs_->dropped = 0;
    }
    const TerminalSettings& term = session_.terminal();
    std::string text;
    if (term.monitor) {
      for (auto& r : records) {
        if (r.is_debug ? !term.debugging : !term.logging) continue;
        text += "\r\n" + LogBus::instance().format(r);
      }
      if (dropped)
        text += "\r\n% " + std::to_string(dropped) + " log lines dropped (terminal too slow).";
    }
    if (text.empty()) return false;
    // At a prompt the lines go below it and the prompt is drawn again; while a command
    // runs they follow its output (the last line stays open, as output does).
    out(at_prompt || !at_line_start_ ? text : text.substr(2));
    return true;
  }

  CommandSession& session_;
  front::TerminalIo& io_;
  TerminalOptions options_;
  const std::atomic<bool>& stop_;
  std::unique_ptr<front::TelnetCodec> own_codec_;
  front::TelnetCodec* codec_;  // null: a raw tty (the console) or an SSH channel
  front::KeyReader keys_;
  front::LineEditor editor_;
  std::shared_ptr<LogQueue> logs_;
  LogBus::SinkId sink_ = 0;
  std::size_t page_ = 0;         // lines per page (0: no paging), see new_page()
  std::size_t budget_ = 0;       // lines left on the current page
  bool paging_stopped_ = false;  // the operator ended this command's output
  bool at_line_start_ = true;    // the last byte the peer got ended a line (or was "\r")
  bool quit_ = false;            // the session is over or the peer is gone
  bool last_was_tab_ = false;
  // Tab cycling: the keywords it goes through and the line the last cycling Tab left.
  std::vector<std::string> cycle_words_;
  std::size_t cycle_index_ = 0;
  std::string cycle_line_;
};

}  // namespace

void run_terminal(FrontContext& context, CommandSession& session, int fd,
                  const TerminalOptions& options, const std::atomic<bool>& stop) {
  front::FdIo io(fd);
  run_terminal(context, session, io, options, stop);
}

void run_terminal(FrontContext& context, CommandSession& session, front::TerminalIo& io,
                  const TerminalOptions& options, const std::atomic<bool>& stop) {
  // The line this terminal holds while it runs (`display users`).
  struct Line {
    ProtocolThread& engine;
    const CommandSession* owner;
    bool held = false;
    ~Line() {
      if (!held) return;
      try {
        engine.call([this] { process_lines().close(owner); });
      } catch (const std::exception&) {
        // The engine is stopping: the table goes with the process.
      }
    }
  } line{context.engine, &session};
  // Telnet and SSH users hold a VTY line, located at their peer's address.
  const bool remote = options.telnet || options.ssh;
  std::string location = remote ? options.peer.substr(0, options.peer.rfind(':')) : "";
  try {
    line.held = context.engine.call([&] {
      return process_lines()
          .open(!remote, options.user, location, &session, std::chrono::system_clock::now(),
                std::chrono::steady_clock::now())
          .has_value();
    });
  } catch (const std::exception&) {
    return;  // the engine is stopping
  }
  Terminal terminal(session, io, options, stop);
  terminal.run();
}

}  // namespace vpdnd::cli
