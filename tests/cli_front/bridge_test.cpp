// The terminal driven over a socketpair with a fake CommandSession: what the session
// is given (raw lines, `?` partials, Tab partials, `return` on Ctrl+Z) and what the
// terminal shows (prompts, help, paging, monitored log lines).
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <mutex>
#include <thread>
#include <vector>

#include "cli/front.hpp"
#include "cli/front/lines.hpp"
#include "common/log.hpp"
#include "tests/support/term_client.hpp"

namespace vpdnd::cli {
namespace {

using namespace std::chrono_literals;

class FakeSession final : public CommandSession {
 public:
  std::string prompt() const override {
    std::lock_guard lock(mutex_);
    return prompt_;
  }
  ExecResult execute(const std::string& line) override {
    std::lock_guard lock(mutex_);
    lines_.push_back(line);
    ExecResult r;
    std::string t = line;
    while (!t.empty() && t.back() == ' ') t.pop_back();
    if (asking_) {
      asking_ = false;
      r.output = "ANSWER[" + line + "]";
      return r;
    }
    if (t == "save") {
      asking_ = true;
      r.output = "Save it.\nAre you sure? [Y/N]:";
      r.awaiting_answer = true;
    } else if (t == "system-view") {
      prompt_ = "[VPDN]";
      r.output = "System View: return to User View with Ctrl+Z.\n";
    } else if (t == "l2tp-group 1") {
      prompt_ = "[VPDN-l2tp1]";
    } else if (t == "return") {
      prompt_ = "<VPDN>";
    } else if (t == "quit") {
      if (prompt_ == "<VPDN>") r.close_session = true;
      prompt_ = prompt_ == "[VPDN-l2tp1]" ? "[VPDN]" : "<VPDN>";
    } else if (t == "long") {
      for (int i = 1; i <= 20; ++i) r.output += "line" + std::to_string(i) + "\n";
    } else if (t == "stream") {
      // Prints as it goes, four pieces of five lines, as `display l2tp session` does.
      for (int piece = 0; piece < 4; ++piece) {
        std::string text;
        for (int i = 1; i <= 5; ++i) text += "row" + std::to_string(piece * 5 + i) + "\n";
        ++stream_pieces_;
        if (!live_.page || !live_.page(text)) break;
      }
    } else if (t.rfind("screen ", 0) == 0) {
      terminal_.screen_length = static_cast<std::uint32_t>(std::stoul(t.substr(7)));
    } else if (t == "monitor") {
      terminal_.monitor = true;
      terminal_.debugging = true;
    } else {
      r.output = "RAN[" + line + "]";
    }
    return r;
  }
  std::string help(const std::string& partial) const override {
    std::lock_guard lock(mutex_);
    helps_.push_back(partial);
    if (partial.empty())
      return "  display         Display current system information\n"
             "  quit            Exit from current command view\n"
             "  system-view     Enter the System View\n";
    return "  HELP[" + partial + "]\n  <cr>\n";
  }
  std::vector<std::string> complete(const std::string& partial) const override {
    std::lock_guard lock(mutex_);
    completes_.push_back(partial);
    if (partial.find(' ') == std::string::npos) {
      std::vector<std::string> words = {"display", "quit", "system-view", "undo"};
      if (prompt_ != "<VPDN>") words = {"display", "l2tp-group", "quit", "return"};
      std::erase_if(words, [&](const std::string& w) { return !w.starts_with(partial); });
      return words;
    }
    if (partial == "display cu") return {"current-configuration"};
    if (partial == "display c") return {"clock", "current-configuration"};
    if (partial == "display ") return {"current-configuration", "debugging", "this"};
    return {};
  }
  const TerminalSettings& terminal() const override { return terminal_; }
  void set_live_output(LiveOutput live) override { live_ = std::move(live); }
  int stream_pieces() const {
    std::lock_guard lock(mutex_);
    return stream_pieces_;
  }

  std::vector<std::string> lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }
  std::vector<std::string> helps() const {
    std::lock_guard lock(mutex_);
    return helps_;
  }
  std::vector<std::string> completes() const {
    std::lock_guard lock(mutex_);
    return completes_;
  }

 private:
  mutable std::mutex mutex_;
  std::string prompt_ = "<VPDN>";
  bool asking_ = false;
  std::vector<std::string> lines_;
  mutable std::vector<std::string> helps_;
  mutable std::vector<std::string> completes_;
  TerminalSettings terminal_;
  LiveOutput live_;
  int stream_pieces_ = 0;
};

class BridgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_.start();
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds_), 0);
    client_.set_fd(fds_[1]);
    thread_ = std::thread([this] {
      TerminalOptions options;
      options.peer = "test";
      run_terminal(context_, session_, fds_[0], options, stop_);
      finished_.store(true);
    });
    ASSERT_TRUE(client_.expect("<VPDN>"));
  }
  void TearDown() override {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    ::close(fds_[0]);
    ::close(fds_[1]);
    engine_.stop();
  }

  bool ran(const std::string& line) {
    for (auto& l : session_.lines())
      if (l == line) return true;
    return false;
  }

  ProtocolThread engine_;
  config::ConfigStore store_;
  FrontContext context_{engine_, store_, {}};
  FakeSession session_;
  int fds_[2] = {-1, -1};
  test::TermClient client_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> finished_{false};
  std::thread thread_;
};

TEST_F(BridgeTest, TheTerminalHoldsItsLineWhileItRuns) {
  auto lines = engine_.call([] { return process_lines().lines(); });
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(lines[0].console);
  EXPECT_EQ(lines[0].owner, &session_);
  client_.send("quit\r");
  for (int i = 0; i < 200 && !finished_.load(); ++i) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(finished_.load());
  EXPECT_TRUE(engine_.call([] { return process_lines().lines(); }).empty());
}

// A terminal on `fd` with an engine and a fake session of its own, on its own thread until
// it is destroyed.
class LoneTerminal {
 public:
  LoneTerminal(int fd, const TerminalOptions& options) {
    engine_.start();
    thread_ =
        std::thread([this, fd, options] { run_terminal(context_, fake_, fd, options, stop_); });
  }
  ~LoneTerminal() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    engine_.stop();
  }
  ProtocolThread& engine() { return engine_; }

 private:
  ProtocolThread engine_;
  config::ConfigStore store_;
  FrontContext context_{engine_, store_, {}};
  FakeSession fake_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// An SSH user holds a VTY line with the user's name and address (`display users`), never
// the console's.
TEST(BridgeLines, AnSshTerminalHoldsAVtyLine) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  std::vector<TerminalLine> lines;
  {
    TerminalOptions options;
    options.ssh = true;
    options.peer = "127.0.0.5:40000";
    options.user = "alice";
    LoneTerminal terminal(fds[0], options);
    test::TermClient client(fds[1]);
    ASSERT_TRUE(client.expect("<VPDN>"));
    lines = terminal.engine().call([] { return process_lines().lines(); });
  }
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_FALSE(lines[0].console);
  EXPECT_EQ(lines[0].user, "alice");
  EXPECT_EQ(lines[0].location, "127.0.0.5");
  ::close(fds[0]);
  ::close(fds[1]);
}

// The terminal poll()s its descriptor: one at or above FD_SETSIZE (as with thousands of
// kernel sessions open) works like any other, even with every lower one taken.
TEST(BridgeDescriptors, ATerminalAtOrAboveFdSetSizeWorks) {
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  if (saved.rlim_max != RLIM_INFINITY && saved.rlim_max < FD_SETSIZE + 64)
    GTEST_SKIP() << "hard RLIMIT_NOFILE " << saved.rlim_max << " too low";
  rlimit more = saved;
  more.rlim_cur = FD_SETSIZE + 64;
  if (saved.rlim_cur < more.rlim_cur) {
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &more), 0);
  }
  int peer[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, peer), 0);
  std::vector<int> fillers;  // every free descriptor below FD_SETSIZE
  int high = -1;
  for (;;) {
    int fd = ::dup(peer[0]);
    ASSERT_GE(fd, 0);
    if (fd >= FD_SETSIZE) {
      high = fd;
      break;
    }
    fillers.push_back(fd);
  }
  {
    TerminalOptions options;
    options.peer = "test";
    LoneTerminal terminal(high, options);
    test::TermClient client(peer[1]);
    EXPECT_TRUE(client.expect("<VPDN>")) << client.all();
    EXPECT_TRUE(client.sends("display x\r", "RAN[display x]")) << client.all();
  }
  for (int fd : fillers) ::close(fd);
  ::close(high);
  ::close(peer[0]);
  ::close(peer[1]);
  ::setrlimit(RLIMIT_NOFILE, &saved);
}

TEST_F(BridgeTest, KnownCommandRunsTheRawLine) {
  ASSERT_TRUE(client_.sends("display   version\r", "RAN[display   version]"));
  EXPECT_TRUE(client_.expect("<VPDN>"));
}

TEST_F(BridgeTest, QuotesPipesAndUnknownWordsReachTheSessionUntouched) {
  ASSERT_TRUE(
      client_.sends("display cur | include \"a b\"\r", "RAN[display cur | include \"a b\"]"));
  ASSERT_TRUE(client_.sends("frobnicate 1 2\r", "RAN[frobnicate 1 2]"));
  client_.send("d\r");  // ambiguous: still the session's to judge
  ASSERT_TRUE(client_.expect("RAN[d]"));
  client_.drain(200ms);
  EXPECT_EQ(client_.all().find("Invalid command"), std::string::npos);
  EXPECT_EQ(session_.lines().size(), 3u);
}

TEST_F(BridgeTest, QuestionMarkAfterFirstWordAsksHelpWithThePartialLine) {
  ASSERT_TRUE(client_.sends("display ?", "HELP[display ]"));
  // The `?` is echoed before the listing, as on Comware.
  EXPECT_NE(client_.all().find("display ?\r\n"), std::string::npos) << client_.all();
  // The line is drawn again without the '?', so Enter runs it.
  ASSERT_TRUE(client_.expect("display "));
  ASSERT_TRUE(client_.sends("cur?", "HELP[display cur]"));
  ASSERT_TRUE(client_.sends("rent-configuration ?", "HELP[display current-configuration ]"));
  ASSERT_TRUE(client_.sends("\r", "RAN[display current-configuration ]"));
  // Repeated and many words, and a new parse after an executed line.
  ASSERT_TRUE(client_.sends("display a a b?", "HELP[display a a b]"));
  ASSERT_TRUE(client_.sends(" c ?", "HELP[display a a b c ]"));
  ASSERT_TRUE(client_.sends("\x15undo x?", "HELP[undo x]")) << client_.all();
  client_.drain(100ms);
  EXPECT_EQ(client_.all().find("<cr>\r\n  <cr>"), std::string::npos) << "a second <cr> line";
}

TEST_F(BridgeTest, QuestionMarkOnFirstWordListsTheViewsKeywords) {
  ASSERT_TRUE(client_.sends("?", "display         Display current system information"));
  ASSERT_TRUE(client_.expect("quit            Exit from current command view"));
  ASSERT_TRUE(client_.expect("system-view     Enter the System View"));
  ASSERT_TRUE(client_.sends("sy?", "system-view     Enter the System View"));
  EXPECT_NE(client_.all().find("sy?\r\n"), std::string::npos) << client_.all();
  client_.drain(200ms);
  EXPECT_EQ(client_.since_mark().find("display"), std::string::npos);
}

TEST_F(BridgeTest, TabCompletesFirstWordAndArguments) {
  ASSERT_TRUE(client_.sends("sys\t", "system-view "));
  ASSERT_TRUE(client_.sends("\r", "[VPDN]"));
  EXPECT_TRUE(ran("system-view "));
  ASSERT_TRUE(client_.sends("display cu\t", "current-configuration ")) << client_.all();
  ASSERT_TRUE(client_.sends("\r", "RAN[display current-configuration ]"));
  auto c = session_.completes();
  EXPECT_NE(std::find(c.begin(), c.end(), "display cu"), c.end());
}

// Comware: with several keywords for the prefix, the first Tab already puts the first of
// them in place; each further Tab the next, round and round.
TEST_F(BridgeTest, FirstTabCyclesThroughTheMatchingKeywords) {
  ASSERT_TRUE(client_.sends("display c\t", "clock")) << client_.all();
  client_.mark_end();
  ASSERT_TRUE(client_.sends("\t", "current-configuration")) << client_.all();
  client_.mark_end();
  ASSERT_TRUE(client_.sends("\t", "clock")) << client_.all();
  ASSERT_TRUE(client_.sends("\r", "RAN[display clock]")) << client_.all();
  // Typing on after a cycle starts a fresh completion.
  ASSERT_TRUE(client_.sends("display c\t\tx\r", "RAN[display current-configurationx]"))
      << client_.all();
}

TEST_F(BridgeTest, PromptFollowsTheViewAndCtrlZReturns) {
  ASSERT_TRUE(client_.sends("system-view\r", "[VPDN]"));
  ASSERT_TRUE(client_.sends("l2tp-group 1\r", "[VPDN-l2tp1]"));
  // Tab completes a keyword of the new view.
  ASSERT_TRUE(client_.sends("l2tp-g\t", "l2tp-group "));
  client_.send("\x15");  // Ctrl+U clears the line
  client_.mark_end();
  client_.send("\x1a");  // Ctrl+Z
  ASSERT_TRUE(client_.expect("<VPDN>"));
  ASSERT_TRUE(client_.sends("display x\r", "RAN[display x]"));
  auto lines = session_.lines();
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines[lines.size() - 2], "return");
}

// A Comware box redraws only the new view's prompt after a change of view: no trace of
// the old prompt on the line (not even one overwritten by a carriage return).
TEST_F(BridgeTest, PromptAfterAViewChangeIsOnlyTheNewPrompt) {
  client_.mark_end();
  ASSERT_TRUE(client_.sends("system-view\r", "[VPDN]"));
  client_.drain(100ms);
  EXPECT_EQ(client_.all().find("<VPDN>\r[VPDN]"), std::string::npos) << client_.all();
  EXPECT_EQ(client_.all().find("<VPDN>[VPDN]"), std::string::npos) << client_.all();
  // Exactly as on a Comware box: echo, the view's line, the new prompt; no blank line.
  EXPECT_NE(
      client_.all().find("system-view\r\nSystem View: return to User View with Ctrl+Z.\r\n[VPDN]"),
      std::string::npos)
      << client_.all();
  client_.mark_end();
  ASSERT_TRUE(client_.sends("l2tp-group 1\r", "[VPDN-l2tp1]"));
  EXPECT_EQ(client_.since_mark().find("<VPDN>"), std::string::npos) << client_.since_mark();
  // A command without output: the next prompt on the next line, no blank line between.
  EXPECT_NE(client_.all().find("[VPDN]l2tp-group 1\r\n[VPDN-l2tp1]"), std::string::npos)
      << client_.all();
  // Ctrl+Z: the user view's prompt comes back on a line of its own, promptly.
  client_.mark_end();
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(client_.sends("\x1a", "\r\n<VPDN>", 2000ms)) << client_.all();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 600ms);
  client_.drain(300ms);
  EXPECT_EQ(client_.since_mark(), "") << "nothing after the redrawn prompt";
  ASSERT_TRUE(client_.sends("display x\r", "RAN[display x]"));
  ASSERT_TRUE(client_.expect("\r\n<VPDN>"));
  EXPECT_NE(client_.all().find("display x\r\nRAN[display x]\r\n<VPDN>"), std::string::npos)
      << client_.all();
  // An empty line: just a new prompt.
  client_.mark_end();
  ASSERT_TRUE(client_.sends("\r", "<VPDN>"));
  client_.drain(100ms);
  EXPECT_EQ(client_.all().substr(client_.all().size() - 14), "<VPDN>\r\n<VPDN>") << client_.all();
}

TEST_F(BridgeTest, AQuestionIsAnsweredOnItsOwnLineWithoutAPrompt) {
  client_.mark_end();
  ASSERT_TRUE(client_.sends("save\r", "Are you sure? [Y/N]:"));
  client_.drain(200ms);
  EXPECT_EQ(client_.since_mark(), "") << "nothing (no prompt) after the question";
  client_.send("y\r");
  ASSERT_TRUE(client_.expect("y\r\n"));  // echoed
  ASSERT_TRUE(client_.expect("ANSWER[y]"));
  ASSERT_TRUE(client_.expect("<VPDN>"));
}

TEST_F(BridgeTest, LongOutputIsPagedByScreenLength) {
  ASSERT_TRUE(client_.sends("screen 6\r", "<VPDN>"));
  ASSERT_TRUE(client_.sends("long\r", "line5"));
  ASSERT_TRUE(client_.expect("  ---- More ----"));
  EXPECT_EQ(client_.since_mark().find("line6"), std::string::npos);
  client_.send(" ");  // next page
  ASSERT_TRUE(client_.expect("line10"));
  ASSERT_TRUE(client_.expect("  ---- More ----"));
  client_.send("\r");  // one more line
  ASSERT_TRUE(client_.expect("line11"));
  ASSERT_TRUE(client_.expect("  ---- More ----"));
  ASSERT_TRUE(client_.sends("q", "<VPDN>"));
  // The prompt takes the erased `---- More ----` line, as on Comware.
  EXPECT_NE(client_.all().find("  ---- More ----\r                \r<VPDN>"), std::string::npos)
      << client_.all();
  EXPECT_EQ(client_.all().find("line12"), std::string::npos);
  ASSERT_TRUE(client_.sends("screen 0\r", "<VPDN>"));
  ASSERT_TRUE(client_.sends("long\r", "line20"));
  EXPECT_EQ(client_.since_mark().find("More"), std::string::npos);
}

// Output a command prints as it reads (LiveOutput::page) is paged as one listing: the
// page runs on across the pieces, and `q` stops the command reading further.
TEST_F(BridgeTest, StreamedOutputIsPagedAsOneListing) {
  ASSERT_TRUE(client_.sends("screen 8\r", "<VPDN>"));
  ASSERT_TRUE(client_.sends("stream\r", "row7"));
  ASSERT_TRUE(client_.expect("  ---- More ----"));
  EXPECT_EQ(client_.since_mark().find("row8"), std::string::npos) << client_.all();
  ASSERT_TRUE(client_.sends("q", "<VPDN>"));
  EXPECT_EQ(client_.all().find("row8"), std::string::npos) << client_.all();
  EXPECT_EQ(session_.stream_pieces(), 2);
  ASSERT_TRUE(client_.sends("screen 0\r", "<VPDN>"));
  ASSERT_TRUE(client_.sends("stream\r", "row20"));
  ASSERT_TRUE(client_.expect("<VPDN>"));
  EXPECT_EQ(session_.stream_pieces(), 6);
}

TEST_F(BridgeTest, MonitoredDebugLinesReachTheTerminal) {
  auto& bus = LogBus::instance();
  bus.set_stderr(false);
  bus.set(DebugModule::l2tp, DebugClass::control, true);
  bus.debug(DebugModule::l2tp, DebugClass::control, "before-monitor");
  ASSERT_TRUE(client_.sends("monitor\r", "<VPDN>"));
  bus.debug(DebugModule::l2tp, DebugClass::control, "hello-from-engine");
  ASSERT_TRUE(client_.expect("L2TP/7/CONTROL: hello-from-engine", 3000ms));
  bus.set(DebugModule::l2tp, DebugClass::control, false);
  // The line before `terminal monitor` was queued but not shown.
  EXPECT_EQ(client_.all().find("before-monitor"), std::string::npos);
}

TEST_F(BridgeTest, QuitEndsTheTerminalAndStopIsPrompt) {
  client_.send("quit\r");
  auto deadline = std::chrono::steady_clock::now() + 3s;
  while (!finished_.load() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  EXPECT_TRUE(finished_.load());
}

// A peer that pastes a very long line and hangs up without reading a byte of the echo: the
// terminal, blocked writing that echo, must notice the hang-up and end.
TEST_F(BridgeTest, LongLineFromAPeerThatNeverReadsThenHangsUp) {
  std::signal(SIGPIPE, SIG_IGN);  // as vpdnd does: a write to the gone peer is an error, not a kill
  std::string flood = "display " + std::string(200000, 'A');
  std::thread writer([&] {
    std::size_t sent = 0;
    auto until = std::chrono::steady_clock::now() + 5s;
    while (sent < flood.size() && std::chrono::steady_clock::now() < until) {
      ssize_t n =
          ::send(fds_[1], flood.data() + sent, flood.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0)
        sent += static_cast<std::size_t>(n);
      else
        std::this_thread::sleep_for(5ms);
    }
    ::shutdown(fds_[1], SHUT_RDWR);
  });
  writer.join();
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!finished_.load() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(finished_.load()) << "the terminal is stuck after the peer left";
}

TEST_F(BridgeTest, CtrlDOnAnEmptyLineDoesNotCloseTheSession) {
  client_.send("\x04");
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(finished_.load()) << "Ctrl+D closed the session";
  ASSERT_TRUE(client_.sends("after\r", "RAN[after]")) << client_.all();
}

// `?` in the middle of a line asks help for the text before the cursor (Comware), and
// the line comes back whole with the cursor where it was.
TEST_F(BridgeTest, QuestionMarkMidLineHelpsWithTheTextBeforeTheCursor) {
  // Left, left: the cursor before "bc".
  ASSERT_TRUE(client_.sends("display abc\x1b[D\x1b[D?", "HELP[display a]")) << client_.all();
  ASSERT_TRUE(client_.sends("", "<VPDN>display abc\b\b")) << client_.all();
  ASSERT_TRUE(client_.sends("X\r", "RAN[display aXbc]")) << client_.all();
}

// The help and completion partials are the line as typed: quotes stay.
TEST_F(BridgeTest, HelpSeesQuotesAsTyped) {
  ASSERT_TRUE(client_.sends("display \"a b\" ?", "HELP[display \"a b\" ]")) << client_.all();
}

TEST_F(BridgeTest, UpAndDownWalkTheHistory) {
  ASSERT_TRUE(client_.sends("display one\r", "RAN[display one]")) << client_.all();
  ASSERT_TRUE(client_.sends("display two\r", "RAN[display two]")) << client_.all();
  // Up twice: the line before the last.
  ASSERT_TRUE(client_.sends("\x1b[A\x1b[A\r", "RAN[display one]")) << client_.all();
  // Ctrl+P, Ctrl+N, Ctrl+U: an empty line, then x.
  ASSERT_TRUE(client_.sends("\x10\x0e\x15x\r", "RAN[x]")) << client_.all();
}

TEST_F(BridgeTest, IdleTimeoutClosesTheTerminal) {
  stop_.store(true);
  thread_.join();
  stop_.store(false);
  finished_.store(false);
  thread_ = std::thread([this] {
    TerminalOptions options;
    options.peer = "test";
    options.idle_timeout_s = 1;
    run_terminal(context_, session_, fds_[0], options, stop_);
    finished_.store(true);
  });
  ASSERT_TRUE(client_.expect("<VPDN>"));
  ASSERT_TRUE(client_.expect("% Idle timeout, the connection is closed.", 3000ms)) << client_.all();
  for (int i = 0; i < 100 && !finished_.load(); ++i) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(finished_.load());
}

TEST_F(BridgeTest, StopFlagEndsAnIdleTerminal) {
  auto t0 = std::chrono::steady_clock::now();
  stop_.store(true);
  thread_.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2500ms);
}

}  // namespace
}  // namespace vpdnd::cli
