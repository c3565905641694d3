// DOC: the libcli bridge. libcli 1.10 owns the terminal (line editing, history arrows,
// Ctrl+A/E/K/U/W, the `?` and Tab keys, idle timeout, a periodic callback); our
// CommandSession owns the language and TelnetCodec the telnet protocol. libcli has no "raw line"
// hook, so its own command parser is steered so that it never decides anything:
//
//  * Registered commands = the first keywords of the session's current view, taken from
//    CommandSession::complete(""). libcli's mode is MODE_EXEC in user view and MODE_CONFIG
//    in any other; the user view's keywords are kept at MODE_EXEC (MODE_ANY when the current
//    view has them too), the current view's at MODE_CONFIG, all others are hidden by a mode
//    that is never current (unregistering is not possible while libcli is inside one of our
//    callbacks). After each change of view the unique-prefix lengths are rebuilt
//    (cli_set_configmode round trip).
//  * Enter: every registered command has the same callback, which ignores libcli's argv and
//    runs the raw line (cli->pipeline->cmdline: quotes, `|` and spacing intact) through
//    CommandSession::execute(). When libcli's parser rejects a line first (unknown or
//    ambiguous first word, a `|` stage that is no libcli filter, ...) it prints exactly one
//    complaint through cli_error while cli->pipeline is set; our print callback swallows
//    that complaint and runs the raw line instead. So every line reaches execute() once
//    and the operator only ever sees our (Comware caret) errors. libcli's built-in commands
//    and filters are unregistered.
//  * `?` on the first word: libcli lists the registered commands matching the typed prefix;
//    their help text is a marker (\x01), and the print callback replaces each listed line
//    by that keyword's line of CommandSession::help("") (the same lines help(partial)
//    would give for a first-word prefix).
//  * `?` and Tab after the first word: each command carries two optargs. A SPOT_CHECK one
//    (called once per word position, told nothing) lets us notice where the parse is; an
//    OPTIONAL_FLAG|OPTION_MULTIPLE one whose validator accepts every word records the
//    words in order. Tab calls its get_completions with the last word, which gives us the
//    partial line for CommandSession::complete(). For `?` libcli prints the optarg's help,
//    a marker (\x02); the print callback replaces it by CommandSession::help(partial), the
//    partial rebuilt from the recorded words (a trailing space is known from whether the
//    last word position saw a word). libcli then redraws prompt and line as usual.
//  * Tab, as Comware: the relay keeps the line as the keys built it (printable keys,
//    backspace, its own completions) and completes it itself with CommandSession::complete():
//    a unique keyword goes in with a space; with several, the first Tab puts the first of
//    them in place of the typed prefix and each further Tab the next one, round and round.
//    The change reaches libcli as keys (backspaces, then the word), so libcli's line stays
//    the one truth. After any other editing key (cursor, history, Ctrl+W) until the next
//    Enter/Ctrl+U/Ctrl+C, on an empty word, or when a command typed before still runs after
//    300 ms, Tab is libcli's own (common prefix; the list on a second Tab).
//  * Prompt: cli_set_hostname/cli_set_modestring/cli_set_promptchar. In user view the
//    hostname is the prompt `<SYSNAME>`; in a system view the hostname is empty and the
//    modestring is the prompt `[SYSNAME...]`, so only the current prompt is ever written.
//    libcli's own Ctrl+Z handling drops to MODE_EXEC, clears the modestring and starts a
//    new line with the (empty) prompt; the session itself is then sent `return` before
//    anything else touches it (next line, `?`, Tab or the periodic callback, which runs
//    every 100 ms and then writes `<SYSNAME>` at the cursor).
//  * Relay: libcli does not own the peer's fd but one end of a socketpair; a relay thread
//    copies the peer's keys to it (a telnet peer's through TelnetCodec: only keys, never
//    option bytes; libcli's own telnet handling is off) and libcli's output to the peer, dropping
//    the
//    "\r\n" libcli puts before every prompt when the cursor already is at a line start
//    (a command without output), so no blank line appears where Comware has none (a `?`
//    listing keeps its blank line). Our own output is written under the same mutex after
//    forwarding whatever libcli wrote before it, so the order on the wire is the order of
//    the writes. The key reader (pager, questions) reads libcli's end while libcli waits
//    inside one of our callbacks. A command's output leaves its last line open: libcli's
//    prompt newline ends it.
//  * Output of our commands is written straight to the fd, paged by the session's
//    screen-length (`  ---- More ----`: space = page, Enter = line, q or Ctrl+C = stop).
//  * The periodic callback (cli_regular, 1 s, libcli's minimum) drains the terminal's
//    LogBus queue when `terminal monitor` is on (debug lines also need `terminal
//    debugging`), ends the loop on stop, and applies a pending Ctrl+Z. It runs every
//    100 ms (timeout_tm set directly; cli_regular_interval's minimum is 1 s).
// Limits of libcli 1.10 that remain: the words rebuilt for `?`/Tab lose quotes; `?`
// typed in the middle of a line (cursor not at the end) is inserted as a character; an
// ambiguous first word followed by ` ?` rings the bell instead of printing the ambiguity
// error (libcli finds no command to ask); keys typed within 100 ms after Ctrl+Z are
// echoed before the redrawn `<SYSNAME>` instead of after it.
#include <fcntl.h>
#include <libcli.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "cli/front.hpp"
#include "cli/front/io.hpp"
#include "cli/front/lines.hpp"
#include "cli/front/telnet_codec.hpp"
#include "common/log.hpp"

namespace vpdnd::cli {
namespace {

constexpr int kHiddenMode = 0x4000;   // a libcli mode that is never current
constexpr int kRebuildMode = 0x4001;  // forces cli_build_shortest()
constexpr char kFirstWordMarker[] = "\x01";
constexpr char kArgsMarker[] = "\x02";
constexpr char kSpotName[] = "\x03";
constexpr char kNameSep = '\x7f';
constexpr std::size_t kLogQueueLimit = 512;
constexpr long kRegularIntervalUs = 100000;

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

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

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

class Terminal {
 public:
  Terminal(FrontContext& context, CommandSession& session, int fd, const TerminalOptions& options,
           const std::atomic<bool>& stop)
      : context_(context),
        session_(session),
        fd_(fd),
        options_(options),
        stop_(stop),
        pair_(open_pair()),
        own_codec_(options.telnet && !options.codec ? std::make_unique<front::TelnetCodec>()
                                                    : nullptr),
        codec_(options.codec ? options.codec : own_codec_.get()),
        // The relay hands libcli's end plain keys (it decodes the telnet stream); without a
        // relay the reader decodes it itself.
        keys_(pair_[0] >= 0 ? pair_[0] : fd, pair_[0] >= 0 ? nullptr : codec_, stop),
        logs_(std::make_shared<LogQueue>()) {
    if (codec_) rows_.store(front::clamp_rows(codec_->window().height));
    // `ping`/`tracert` print each reply as it comes and stop on Ctrl+C.
    session_.set_live_output({[this](const std::string& line) { live_line(line); },
                              [this] { return live_interrupted(); }});
  }

  ~Terminal() {
    session_.set_live_output({});
    relay_done_.store(true);
    if (relay_.joinable()) relay_.join();
    if (sink_) LogBus::instance().unsubscribe(sink_);
    if (cli_) cli_done(cli_);
    if (pair_[0] >= 0 && !lib_owns_pair_) ::close(pair_[0]);
    if (pair_[1] >= 0) ::close(pair_[1]);
  }

  void run() {
    // libcli gets its end of the relay pair (or, without one, a duplicate of the peer's
    // fd) and closes the FILE it makes from it. It select()s on it: a descriptor at or
    // above FD_SETSIZE would be set past the end of the fd_set, so such a terminal is
    // refused (after open_pair() tried a lower one).
    int lib_fd = pair_[0] >= 0 ? pair_[0] : ::fcntl(fd_, F_DUPFD_CLOEXEC, 0);
    if (lib_fd < 0 || lib_fd >= FD_SETSIZE) {
      if (lib_fd >= 0 && lib_fd != pair_[0]) ::close(lib_fd);
      front::write_all(fd_, "% Too many open files, try again later.\r\n");
      log_warning(DebugModule::aaa, "terminal " + options_.peer +
                                        " refused: no descriptor below FD_SETSIZE for the shell");
      return;
    }
    cli_ = cli_init();
    if (!cli_) {
      if (lib_fd != pair_[0]) ::close(lib_fd);
      return;
    }
    cli_set_context(cli_, this);
    // Nothing of libcli's own language may answer the operator.
    cli_unregister_all_commands(cli_);
    cli_unregister_all_filters(cli_);
    // The telnet protocol is ours (TelnetCodec, in the relay): libcli gets plain keys, and
    // would otherwise take a subnegotiation's bytes for keys.
    cli_telnet_protocol(cli_, 0);
    cli_print_callback(cli_, &Terminal::on_print);
    cli_regular(cli_, &Terminal::on_regular);
    cli_regular_interval(cli_, 1);
    // libcli's minimum is 1 s; the periodic callback also draws the prompt after Ctrl+Z,
    // which must not lag behind the key. select() takes the value as is.
    cli_->timeout_tm.tv_sec = 0;
    cli_->timeout_tm.tv_usec = kRegularIntervalUs;
    if (options_.idle_timeout_s > 0)
      cli_set_idle_timeout_callback(cli_, options_.idle_timeout_s, &Terminal::on_idle);
    cli_set_promptchar(cli_, "");

    auto queue = logs_;
    sink_ = LogBus::instance().subscribe([queue](const LogRecord& r) { queue->push(r); });

    update_view(true);
    if (lib_fd == pair_[0]) {
      lib_owns_pair_ = true;
      relay_running_ = true;
      relay_ = std::thread([this] { relay_loop(); });
    }
    cli_loop(cli_, lib_fd);
    relay_done_.store(true);
    if (relay_.joinable()) relay_.join();
  }

 private:
  static Terminal& self(cli_def* cli) { return *static_cast<Terminal*>(cli_get_context(cli)); }

  // ---- Callbacks from libcli ------------------------------------------------------------

  static int on_command(cli_def* cli, const char*, char**, int) {
    Terminal& t = self(cli);
    std::string raw = (cli->pipeline && cli->pipeline->cmdline) ? cli->pipeline->cmdline : "";
    return t.run_line(raw) ? CLI_QUIT : CLI_OK;
  }

  static void on_print(cli_def* cli, const char* text) {
    Terminal& t = self(cli);
    std::string_view s(text ? text : "");
    if (t.printing_own_) {
      t.out(std::string(s) + "\r\n");
      return;
    }
    if (cli->pipeline) {
      // libcli's parser refused the line: it is ours to judge.
      std::string raw = cli->pipeline->cmdline ? cli->pipeline->cmdline : "";
      if (t.run_line(raw)) t.request_quit();
      return;
    }
    {
      // A help listing: the prompt after it keeps its blank line, as on Comware.
      std::lock_guard lock(t.out_mutex_);
      t.keep_blank_ = true;
    }
    bool suppress_cr = t.suppress_cr_;
    t.suppress_cr_ = false;
    if (!s.empty() && s.back() == kFirstWordMarker[0]) {
      t.print_first_word_help(s);
      return;
    }
    if (!s.empty() && s.back() == kArgsMarker[0]) {
      t.print_args_help(s);
      t.suppress_cr_ = true;  // libcli adds "  <cr>" after a bracketed optarg; help() has its own
      return;
    }
    if (suppress_cr && s == "  <cr>") return;
    // A help line whose name is too long for libcli's column comes on a line of its own.
    std::string name = trim(s);
    if (name.size() >= 2 && name.front() == '[' && name.back() == ']')
      name = name.substr(1, name.size() - 2);
    if (!name.empty() && (t.registered_.count(name) || name.find(kNameSep) != std::string::npos)) {
      t.pending_name_ = name;
      return;
    }
    t.out(std::string(s) + "\r\n");
  }

  static int on_regular(cli_def* cli) {
    Terminal& t = self(cli);
    if (t.stop_.load() || t.quit_requested_) return CLI_ERROR;
    // libcli answered Ctrl+Z with "\r\n" and an empty prompt (its hostname is empty in a
    // system view); the cursor waits at the start of that line for the user view's prompt.
    if (t.apply_ctrl_z()) t.out(t.last_prompt_);
    if (t.drain_logs(true)) cli_reprompt(cli);
    return CLI_OK;
  }

  static int on_idle(cli_def* cli) {
    Terminal& t = self(cli);
    t.out("\r\n% Idle timeout, the connection is closed.\r\n");
    log_info(DebugModule::aaa, "event=terminal_idle_timeout peer=" + t.options_.peer);
    return CLI_QUIT;
  }

  // SPOT_CHECK optarg: called with no word at the start of each word position.
  static int on_spot(cli_def* cli, const char*, const char*) {
    Terminal& t = self(cli);
    std::size_t n = found_count(cli);
    if (n == 0) t.words_.clear();
    if (t.words_.size() > n) t.words_.resize(n);
    t.position_ = n;
    return CLI_OK;
  }

  // The catch-all flag's validator: called with every word, in order (twice for words that
  // are not the last one: candidate check, then value check). It also renames the flag to
  // "<word>\x7f<keyword>": libcli only asks a flag's get_completions for a Tab when the
  // word being completed is a prefix of the flag's name, and the keyword after the
  // separator still tells us which command this is.
  static int on_word(cli_def* cli, const char* name, const char* word) {
    Terminal& t = self(cli);
    std::size_t n = found_count(cli);
    if (t.words_.size() > n + 1) t.words_.resize(n);
    if (t.words_.size() == n) t.words_.push_back(word ? word : "");
    if (word) t.rename_flag(name, word);
    return CLI_OK;
  }

  static int on_complete(cli_def* cli, const char* name, const char* word, cli_comphelp* comphelp) {
    Terminal& t = self(cli);
    t.apply_ctrl_z();
    std::string partial = keyword_of(name ? name : "");
    for (auto* p = cli->found_optargs; p; p = p->next)
      if (p->value) partial += std::string(" ") + p->value;
    partial += ' ';
    if (word) partial += word;
    std::vector<std::string> candidates;
    try {
      std::lock_guard session_lock(t.session_mutex_);
      candidates = t.session_.complete(partial);
    } catch (const std::exception&) {
      return CLI_OK;
    }
    for (auto& c : candidates) cli_add_comphelp_entry(comphelp, c.c_str());
    return CLI_OK;
  }

  static std::string keyword_of(std::string_view name) {
    auto sep = name.rfind(kNameSep);
    return std::string(sep == std::string_view::npos ? name : name.substr(sep + 1));
  }

  void rename_flag(const char* current, const char* word) {
    for (auto& [kw, c] : registered_) {
      for (auto* o = c->optargs; o; o = o->next) {
        if (o->name != current) continue;
        std::string next = std::string(word) + kNameSep + kw;
        char* copy = ::strdup(next.c_str());
        if (!copy) return;
        std::free(o->name);
        o->name = copy;
        return;
      }
    }
  }

  static std::size_t found_count(cli_def* cli) {
    std::size_t n = 0;
    for (auto* p = cli->found_optargs; p; p = p->next) ++n;
    return n;
  }

  // ---- Our side -------------------------------------------------------------------------

  void out(std::string_view text) {
    std::lock_guard lock(out_mutex_);
    drain_lib_locked();  // what libcli wrote before this call goes first
    question_key_pending_ = false;
    if (text.empty()) return;
    if (!front::write_all(fd_, text)) request_quit();
    // After "\r" (the pager erasing `---- More ----`) the cursor is at the start of an
    // empty line too: the next prompt goes there.
    at_line_start_ = text.back() == '\n' || text.back() == '\r';
  }

  void live_line(const std::string& line) {
    if (line_open_) out("\r\n");
    line_open_ = false;
    out(line + "\r\n");
  }
  // Keys typed while a command runs are read here: Ctrl+C ends it, others are dropped (a
  // Comware box ignores them too). A peer gone or a stop ends it as well.
  bool live_interrupted() {
    if (stop_.load()) return true;
    for (;;) {
      // A deadline already passed reads nothing: give the poll a millisecond.
      auto k = keys_.key(std::chrono::steady_clock::now() + std::chrono::milliseconds(1));
      if (!k) return stop_.load();
      if (*k == 3) return true;
    }
  }

  // ---- The relay between the peer and libcli ---------------------------------------------

  // libcli select()s on its end (fds[0]), so that end must be below FD_SETSIZE; with many
  // kernel sessions open, socketpair() may return higher ones. The end is then moved to
  // the lowest free descriptor, and run() refuses the terminal if that is still too high.
  // The relay's end (fds[1]) is only ever poll()ed.
  static std::array<int, 2> open_pair() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return {-1, -1};
    if (fds[0] >= FD_SETSIZE) {
      const int low = ::fcntl(fds[0], F_DUPFD_CLOEXEC, 0);
      if (low >= 0 && low < FD_SETSIZE) {
        ::close(fds[0]);
        fds[0] = low;
      } else if (low >= 0) {
        ::close(low);
      }
    }
    return {fds[0], fds[1]};
  }

  // Keys from the peer go to libcli (decoded, see append_keys); libcli's output goes to the peer
  // through filter_lib(). Ends when libcli closed its end or the terminal is done. The keys are
  // handed over without blocking: libcli echoes while it reads them, and if this thread sat
  // in a write to libcli while libcli sat in a write of its echo, neither would ever read
  // (a long pasted line did that). Keys libcli has not taken wait here, up to
  // kMaxPendingKeys; beyond that the peer is not read (TCP holds it back).
  void relay_loop() {
    bool peer_open = true;
    bool keys_ended = false;  // libcli was told the peer is gone
    std::string keys;         // read from the peer, not yet taken by libcli
    char buf[4096];
    while (!relay_done_.load()) {
      const bool want_keys = peer_open && keys.size() < kMaxPendingKeys;
      pollfd p[2] = {{want_keys ? fd_ : -1, POLLIN, 0},
                     {pair_[1], static_cast<short>(POLLIN | (keys.empty() ? 0 : POLLOUT)), 0}};
      int r = ::poll(p, 2, 100);
      if (r < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (p[1].revents & ~POLLOUT) {
        std::lock_guard lock(out_mutex_);
        if (!drain_lib_locked()) break;
      }
      if (!keys.empty() && (p[1].revents & POLLOUT)) {
        ssize_t n = ::send(pair_[1], keys.data(), keys.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
          keys.erase(0, static_cast<std::size_t>(n));
        } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          break;  // libcli's end is gone
        }
      }
      if (want_keys && p[0].revents) {
        ssize_t n = ::read(fd_, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          peer_open = false;
        } else {
          std::size_t before = keys.size();
          append_keys(keys, std::string_view(buf, static_cast<std::size_t>(n)));
          if (keys.size() > before) note_question_key(std::string_view(keys).substr(before));
        }
      }
      if (!peer_open && keys.empty() && !keys_ended) {
        keys_ended = true;
        ::shutdown(pair_[1], SHUT_WR);  // libcli reads EOF and ends its loop
      }
    }
    std::lock_guard lock(out_mutex_);
    drain_lib_locked();
  }

  // Forwards what libcli has written so far. False once libcli closed its end.
  bool drain_lib_locked() {
    if (!relay_running_) return true;
    char buf[4096];
    for (;;) {
      ssize_t n = ::recv(pair_[1], buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        std::string text = filter_lib(std::string_view(buf, static_cast<std::size_t>(n)));
        if (!text.empty() && !front::write_all(fd_, text)) request_quit();
        continue;
      }
      if (n == 0) return false;
      if (errno == EINTR) continue;
      return errno == EAGAIN || errno == EWOULDBLOCK;
    }
  }

  // libcli starts every prompt with "\r\n", also when the cursor is already at the start of
  // a line (a command without output, after a help listing): that "\r\n" would leave a
  // blank line a Comware box does not show, so it is dropped (unless keep_blank_ asks for
  // one, after a `?` listing).
  std::string filter_lib(std::string_view s) {
    std::string o;
    o.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
      // libcli's telnet negotiation (IAC WILL/DO x, three bytes each) moves no cursor.
      if (iac_left_ > 0) {
        --iac_left_;
        o += s[i];
        continue;
      }
      if (static_cast<unsigned char>(s[i]) == 0xff) {
        iac_left_ = 2;
        o += s[i];
        continue;
      }
      // libcli answers `?` at the end of the line without echoing it; Comware shows the
      // `?` before its listing. libcli's echo of a `?` it inserted as a character (cursor
      // mid-line) or its bell (nothing to list) means there is no listing to mark.
      // The listing's "\r\n" follows libcli's echo of the keys typed with the `?`; an
      // earlier "\r\n" (a prompt still being drawn when fast keys arrived) does not.
      if (question_key_pending_) {
        if (s[i] == '?' || s[i] == '\a') {
          question_key_pending_ = false;
        } else if (s.substr(i, 2) == "\r\n" && recent_output_.ends_with(question_echo_)) {
          question_key_pending_ = false;
          o += '?';
          at_line_start_ = false;
        }
      }
      recent_output_ += s[i];
      if (recent_output_.size() > 2 * kMaxQuestionEcho) recent_output_.erase(0, kMaxQuestionEcho);
      if (at_line_start_ && s.substr(i, 2) == "\r\n") {
        if (keep_blank_) o += "\r\n";
        keep_blank_ = false;
        ++i;
        continue;
      }
      o += s[i];
      at_line_start_ = s[i] == '\n';
    }
    return o;
  }

  // Ctrl+D on an empty line would end libcli's loop (EOF), i.e. close the session; on
  // Comware it does nothing, so it is not passed on. A telnet peer's bytes go through the
  // codec first: only keys reach libcli, answers go back to the peer, and the window size
  // it reports sets the page length.
  void append_keys(std::string& keys, std::string_view in) {
    std::string decoded;
    if (codec_) {
      front::TelnetCodec::Output out;
      codec_->feed(in, out);
      if (!out.reply.empty()) {
        std::lock_guard lock(out_mutex_);
        if (!front::write_all(fd_, out.reply)) request_quit();
      }
      if (out.window) rows_.store(front::clamp_rows(out.window->height));
      decoded = std::move(out.keys);
      in = decoded;
    }
    for (char ch : in)
      if (ch != '\x04') on_key(keys, ch);
  }

  // A key for libcli: a Tab is completed here when the line is known (Comware: the first
  // Tab puts the first matching keyword in place of the prefix, each further Tab the next
  // one); any other key only updates the known line.
  void on_key(std::string& keys, char ch) {
    if (ch == '\t' && shadow_valid_ && !keys_owned_.load() && complete_tab(keys)) return;
    unsigned char c = static_cast<unsigned char>(ch);
    if (keys_owned_.load()) {
      // The pager or a question takes this key; the next line starts empty.
      shadow_.clear();
      shadow_valid_ = true;
    } else if (ch == '\r' || ch == '\n' || c == 0x03 || c == 0x15 || c == 0x1a) {
      shadow_.clear();  // Enter, Ctrl+C, Ctrl+U, Ctrl+Z: a new empty line
      shadow_valid_ = true;
    } else if (c == 0x08 || c == 0x7f) {
      if (!shadow_.empty()) shadow_.pop_back();
    } else if (ch == '?') {
      // At the end of the line libcli lists help and redraws the line unchanged.
    } else if (c >= 0x20 && c < 0x7f) {
      shadow_ += ch;
    } else {
      shadow_valid_ = false;  // cursor keys, history, Ctrl+W, a Tab libcli handles, ...
    }
    cycle_line_.clear();
    keys += ch;
  }

  bool complete_tab(std::string& keys) {
    // A command still running (typed ahead of its end): wait a little, then leave the Tab
    // to libcli rather than hold up the keys and output the relay carries.
    std::unique_lock lock(session_mutex_, std::chrono::milliseconds(300));
    if (!lock.owns_lock()) return false;
    std::size_t start = shadow_.find_last_of(' ');
    start = start == std::string::npos ? 0 : start + 1;
    const std::size_t typed = shadow_.size() - start;
    auto put = [&](const std::string& word) {
      keys.append(typed, '\x7f');
      keys += word;
      shadow_ = shadow_.substr(0, start) + word;
    };
    if (!cycle_line_.empty() && shadow_ == cycle_line_ && !cycle_words_.empty()) {
      cycle_index_ = (cycle_index_ + 1) % cycle_words_.size();
      put(cycle_words_[cycle_index_]);
      cycle_line_ = shadow_;
      return true;
    }
    cycle_line_.clear();
    if (typed == 0) return false;  // nothing typed yet: libcli's listing on a second Tab
    std::vector<std::string> words;
    try {
      words = session_.complete(shadow_);
    } catch (const std::exception&) {
      return false;
    }
    if (words.empty()) return false;  // libcli rings the bell
    if (words.size() == 1) {
      put(words[0] + " ");
      return true;
    }
    cycle_words_ = std::move(words);
    cycle_index_ = 0;
    put(cycle_words_[0]);
    cycle_line_ = shadow_;
    return true;
  }

  // The peer sent keys ending in `?`: libcli will echo the ones before it, then list. Keys
  // that libcli does not echo as typed (control keys, telnet commands) leave the `?` unechoed.
  void note_question_key(std::string_view keys) {
    std::lock_guard lock(out_mutex_);
    question_key_pending_ = false;
    if (keys.back() != '?') return;
    std::string_view before = keys.substr(0, keys.size() - 1);
    for (unsigned char c : before)
      if (c < 0x20 || c > 0x7e) return;
    if (before.size() > kMaxQuestionEcho) before = before.substr(before.size() - kMaxQuestionEcho);
    question_echo_.assign(before);
    question_key_pending_ = true;
  }

  void request_quit() {
    quit_requested_ = true;
    // A socket can be woken at once; a tty is noticed by the periodic callback.
    if (options_.telnet || options_.ssh) ::shutdown(fd_, SHUT_RD);
  }

  // Runs one line; true when the session is over.
  bool run_line(const std::string& raw) {
    keys_.after_line_end();
    line_open_ = false;  // libcli echoed the Enter as "\r\n"
    apply_ctrl_z();
    drain_logs(false);  // what came while monitoring was off is not shown later
    ExecResult result = execute(raw);
    // A question (`save`): ask it on its own line and give the typed answer to the session
    // right here, so that libcli does not draw a prompt in between.
    for (int asked = 0; result.awaiting_answer && asked < 8; ++asked) {
      print_paged(result.output, false);
      auto deadline =
          std::chrono::steady_clock::now() +
          std::chrono::seconds(options_.idle_timeout_s ? options_.idle_timeout_s : 3600);
      keys_owned_.store(true);
      auto answer = keys_.line(true, deadline);
      keys_owned_.store(false);
      line_open_ = false;
      if (!answer) {
        out("\r\n");
        if (stop_.load()) request_quit();
        answer = "N";
      }
      result = execute(*answer);
    }
    // The last line is left open: libcli starts every prompt with "\r\n", which ends it,
    // so the prompt follows the output directly as on a Comware box.
    print_paged(result.output, false);
    update_view(false);
    drain_logs(false);
    return result.close_session;
  }

  ExecResult execute(const std::string& line) {
    ExecResult result;
    try {
      std::lock_guard session_lock(session_mutex_);
      result = session_.execute(line);
    } catch (const std::exception& e) {
      result.output = std::string("% Internal error: ") + e.what();
      result.ok = false;
    }
    return result;
  }

  // Shows text in pages of the session's screen-length. Returns false if the operator
  // stopped it (or the peer went away). Without `end_line` the last line is left open (a
  // question waiting for its answer).
  bool print_paged(const std::string& text, bool end_line = true) {
    if (text.empty()) return true;
    if (line_open_) out("\r\n");
    line_open_ = false;
    auto lines = split_lines(text);
    std::uint32_t length = page_length();
    std::size_t page = length > 1 ? length - 1 : (length == 1 ? 1 : 0);
    std::size_t budget = page;
    std::string chunk;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (page != 0 && budget == 0) {
        out(chunk);
        chunk.clear();
        out("  ---- More ----");
        std::optional<unsigned char> k;
        for (;;) {
          keys_owned_.store(true);
          k = keys_.key(std::chrono::steady_clock::now() + std::chrono::hours(24));
          keys_owned_.store(false);
          if (!k || *k == ' ' || *k == '\r' || *k == '\n' || *k == 'q' || *k == 'Q' || *k == 3)
            break;
        }
        out("\r                \r");
        if (!k || *k == 'q' || *k == 'Q' || *k == 3) {
          if (!k) request_quit();
          return false;
        }
        budget = (*k == ' ') ? page : 1;
      }
      chunk += lines[i];
      if (end_line || i + 1 < lines.size()) chunk += "\r\n";
      if (budget) --budget;
    }
    out(chunk);
    line_open_ = !end_line;
    return true;
  }

  // `screen-length disable` turns paging off; a length the operator typed wins; else the
  // window height the telnet client reported (NAWS); else the line's screen-length.
  std::uint32_t page_length() const {
    const TerminalSettings& t = session_.terminal();
    if (t.screen_length == 0 || t.screen_length_typed) return t.screen_length;
    std::uint16_t rows = options_.rows ? front::clamp_rows(options_.rows->load()) : rows_.load();
    return rows ? rows : t.screen_length;
  }

  bool in_user_view() const { return !last_prompt_.empty() && last_prompt_.front() == '<'; }

  // libcli handled Ctrl+Z by dropping to MODE_EXEC; catch the session up. True when it did.
  bool apply_ctrl_z() {
    if (cli_ && cli_->mode == MODE_EXEC && !last_prompt_.empty() && !in_user_view()) {
      try {
        std::lock_guard session_lock(session_mutex_);
        session_.execute("return");
      } catch (const std::exception&) {
      }
      update_view(false);
      return true;
    }
    return false;
  }

  void update_view(bool force) {
    std::unique_lock session_lock(session_mutex_);
    std::string prompt = session_.prompt();
    bool same = prompt == last_prompt_;
    if (same && !force && cli_->mode == (in_user_view() ? MODE_EXEC : MODE_CONFIG)) return;
    last_prompt_ = prompt;

    // The view's first keywords and their help lines.
    std::set<std::string> keywords;
    std::vector<std::string> candidates;
    std::string listing;
    try {
      candidates = session_.complete("");
      listing = session_.help("");
    } catch (const std::exception&) {
    }
    session_lock.unlock();
    bool user = in_user_view();
    std::map<std::string, std::string> first_word_help;
    for (auto& line : split_lines(listing)) {
      std::string t = trim(line);
      auto sp = t.find_first_of(" \t");
      std::string word = t.substr(0, sp);
      if (!word.empty() && word.front() != '<') first_word_help[word] = line;
    }
    for (auto& c : candidates)
      if (!c.empty() && c.front() != '<') keywords.insert(c);

    for (auto& kw : keywords) {
      if (registered_.count(kw)) continue;
      cli_command* c = cli_register_command(cli_, nullptr, kw.c_str(), &Terminal::on_command,
                                            PRIVILEGE_UNPRIVILEGED, MODE_ANY, kFirstWordMarker);
      if (!c) continue;
      cli_register_optarg(c, kSpotName, CLI_CMD_SPOT_CHECK, PRIVILEGE_UNPRIVILEGED, MODE_ANY, "",
                          nullptr, &Terminal::on_spot, nullptr);
      std::string flag_name = kNameSep + kw;
      cli_register_optarg(c, flag_name.c_str(), CLI_CMD_OPTIONAL_FLAG | CLI_CMD_OPTION_MULTIPLE,
                          PRIVILEGE_UNPRIVILEGED, MODE_ANY, kArgsMarker, &Terminal::on_complete,
                          &Terminal::on_word, nullptr);
      registered_[kw] = c;
    }
    if (user) {
      user_keywords_ = keywords;
      user_help_ = first_word_help;
    }
    view_help_ = std::move(first_word_help);
    // libcli shows MODE_EXEC and MODE_ANY commands in user view, MODE_CONFIG and MODE_ANY in
    // a system view. Keeping the user view's keywords at MODE_EXEC means libcli's Ctrl+Z
    // (a switch to MODE_EXEC) shows the right keywords at once.
    for (auto& [kw, c] : registered_) {
      bool in_user = user_keywords_.count(kw) != 0;
      bool in_view = keywords.count(kw) != 0;
      if (user)
        c->mode = in_user ? MODE_EXEC : kHiddenMode;
      else
        c->mode = in_user && in_view ? MODE_ANY
                  : in_view          ? MODE_CONFIG
                  : in_user          ? MODE_EXEC
                                     : kHiddenMode;
    }

    cli_set_configmode(cli_, kRebuildMode, nullptr);
    cli_set_configmode(cli_, user ? MODE_EXEC : MODE_CONFIG, nullptr);
    if (user) {
      cli_set_hostname(cli_, prompt.c_str());
      cli_set_modestring(cli_, nullptr);
    } else {
      // libcli draws hostname + modestring: the whole system prompt is the modestring, so
      // that nothing of the user view's prompt is ever written in a system view.
      cli_set_hostname(cli_, "");
      cli_set_modestring(cli_, prompt.c_str());
    }
  }

  void print_first_word_help(std::string_view listed) {
    std::string t = trim(listed.substr(0, listed.size() - 1));
    auto sp = t.find_first_of(" \t");
    std::string word = t.substr(0, sp);
    if (word.empty()) word = pending_name_;
    pending_name_.clear();
    const auto& help = cli_->mode == MODE_EXEC ? user_help_ : view_help_;
    auto it = help.find(word);
    if (it != help.end()) out(it->second + "\r\n");
  }

  void print_args_help(std::string_view listed) {
    std::string t = trim(listed.substr(0, listed.size() - 1));
    auto sp = t.find_first_of(" \t");
    std::string name = t.substr(0, sp);
    if (name.size() >= 2 && name.front() == '[' && name.back() == ']')
      name = name.substr(1, name.size() - 2);
    if (name.empty()) name = pending_name_;
    pending_name_.clear();
    apply_ctrl_z();
    std::string partial = keyword_of(name);
    for (auto& w : words_) partial += " " + w;
    if (words_.size() == position_) partial += ' ';  // the last position had no word
    std::string help;
    try {
      std::lock_guard session_lock(session_mutex_);
      help = session_.help(partial);
    } catch (const std::exception& e) {
      help = std::string("% Internal error: ") + e.what();
    }
    printing_own_ = true;
    out(front::crlf(help));
    if (!help.empty() && help.back() != '\n') out("\r\n");
    printing_own_ = false;
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
    if (at_prompt) {
      out(text);  // libcli redraws "\r\n" + prompt + line after this
    } else {
      out(line_open_ ? text : text.substr(2));
      line_open_ = true;  // ended by whatever comes next, or by libcli's next prompt
    }
    return true;
  }

  bool line_open_ = false;  // our last output line has no "\r\n" yet
  // Relay state: out_mutex_ orders our writes and the relay's; the flags under it.
  std::mutex out_mutex_;
  bool at_line_start_ = true;          // the last byte the peer got was '\n'
  bool keep_blank_ = false;            // the next "\r\n" at a line start is wanted
  bool question_key_pending_ = false;  // the peer's last key was `?`: echo it before the listing
  static constexpr std::size_t kMaxQuestionEcho = 128;
  static constexpr std::size_t kMaxPendingKeys = 64 * 1024;
  std::string question_echo_;  // what libcli echoes of the keys sent with that `?`
  std::string recent_output_;  // libcli's latest output (at most 2 * kMaxQuestionEcho)
  int iac_left_ = 0;           // bytes left of a telnet command in libcli's output
  bool relay_running_ = false;
  bool lib_owns_pair_ = false;
  std::atomic<bool> relay_done_{false};
  std::thread relay_;
  // Tab, Comware style (relay thread): the line as the keys typed it, while nothing but
  // printable keys, backspace and Tab's own insertions built it (cursor at its end).
  std::string shadow_;
  bool shadow_valid_ = true;
  std::vector<std::string> cycle_words_;  // the keywords a Tab cycles through
  std::size_t cycle_index_ = 0;
  std::string cycle_line_;  // the line the last cycling Tab left; empty: not cycling
  // The session is used by libcli's thread and, for Tab, by the relay (try_lock: a Tab that
  // comes while a command runs is libcli's).
  std::timed_mutex session_mutex_;
  std::atomic<bool> keys_owned_{false};     // the pager or a question reads the keys
  [[maybe_unused]] FrontContext& context_;  // kept for what the terminal may need of the engine
  CommandSession& session_;
  int fd_;
  TerminalOptions options_;
  const std::atomic<bool>& stop_;
  std::array<int, 2> pair_;  // [0] libcli's end (and the key reader's), [1] the relay's
  std::unique_ptr<front::TelnetCodec> own_codec_;
  front::TelnetCodec* codec_;           // null: a raw tty (the console)
  std::atomic<std::uint16_t> rows_{0};  // the peer's window height (NAWS, clamped); 0: unknown
  front::KeyReader keys_;
  std::shared_ptr<LogQueue> logs_;
  LogBus::SinkId sink_ = 0;
  cli_def* cli_ = nullptr;

  std::map<std::string, cli_command*> registered_;
  std::set<std::string> user_keywords_;           // first keywords of the user view
  std::map<std::string, std::string> user_help_;  // their help lines
  std::map<std::string, std::string> view_help_;  // help lines of the current view
  std::string last_prompt_;
  std::vector<std::string> words_;  // words after the first, as libcli parsed them
  std::size_t position_ = 0;        // word position of the last spot check
  std::string pending_name_;        // keyword listed on its own line, marker line follows
  bool printing_own_ = false;
  bool suppress_cr_ = false;
  bool quit_requested_ = false;
};

}  // namespace

void run_terminal(FrontContext& context, CommandSession& session, int fd,
                  const TerminalOptions& options, const std::atomic<bool>& stop) {
  // The line this terminal holds while it runs (`display users`).
  struct Line {
    Engine& engine;
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
  std::string location = options.telnet ? options.peer.substr(0, options.peer.rfind(':')) : "";
  try {
    line.held = context.engine.call([&] {
      return process_lines()
          .open(!options.telnet, options.user, location, &session, std::chrono::system_clock::now(),
                std::chrono::steady_clock::now())
          .has_value();
    });
  } catch (const std::exception&) {
    return;  // the engine is stopping
  }
  Terminal terminal(context, session, fd, options, stop);
  terminal.run();
}

}  // namespace vpdnd::cli
