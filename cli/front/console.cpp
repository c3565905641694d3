// DOC: the console shell: the terminal vpdnd was started in. On a tty, the shell runs in
// raw mode (no canonical input, no echo, CR not mapped, Ctrl+Z and Ctrl+C delivered as
// keys; Ctrl+\ still raises SIGQUIT, which stops vpdnd gracefully) and the mode is
// restored when the console ends. Without a tty (a pipe, /dev/null, a file) lines are read
// and executed one by one, without paging. One thread; stop() is noticed within ~0.3 s.
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "cli/front.hpp"
#include "cli/front/io.hpp"

namespace vpdnd::cli {

struct ConsoleShell::Impl {
  explicit Impl(FrontContext c) : context(std::move(c)) {}
  FrontContext context;
  std::atomic<bool> stop{false};
  std::thread thread;
  int in_fd = 0, out_fd = 1;
  bool tty_saved = false;
  termios saved{};

  void run_tty() {
    if (::tcgetattr(in_fd, &saved) == 0) {
      tty_saved = true;
      termios raw = saved;
      raw.c_iflag &= ~static_cast<tcflag_t>(ICRNL | INLCR | IGNCR | IXON | ISTRIP);
      raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO | ECHONL | IEXTEN);
      raw.c_cc[VSUSP] = _POSIX_VDISABLE;  // Ctrl+Z is `return`, not job control
      // Ctrl+C stops a listing or a question, as on Comware; it must not stop the box and
      // drop every user (Ctrl+\, SIGQUIT, still stops vpdnd gracefully).
      raw.c_cc[VINTR] = _POSIX_VDISABLE;
      raw.c_cc[VMIN] = 1;
      raw.c_cc[VTIME] = 0;
      ::tcsetattr(in_fd, TCSANOW, &raw);
    }
    while (!stop.load()) {
      std::unique_ptr<CommandSession> session;
      try {
        session = context.make_session(SessionOrigin::console, {});
      } catch (const std::exception& e) {
        front::write_all(out_fd,
                         std::string("% Cannot start the console shell: ") + e.what() + "\r\n");
        break;
      }
      if (!session) break;
      TerminalOptions options;
      options.peer = "console";
      run_terminal(context, *session, in_fd, options, stop);
      if (stop.load()) break;
      // `quit` on the console: like a router, offer the line again.
      front::write_all(out_fd, "\r\n\r\nUser interface con0 is available.\r\n\r\n");
      pollfd p{in_fd, POLLIN | POLLHUP, 0};
      // If the terminal went away (hang-up), the console is over.
      if (::poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR))) break;
    }
    restore();
  }

  void run_lines() {
    std::unique_ptr<CommandSession> session;
    try {
      session = context.make_session(SessionOrigin::console, {});
    } catch (const std::exception& e) {
      front::write_all(out_fd, std::string("% Cannot start the console shell: ") + e.what() + "\n");
      return;
    }
    if (!session) return;
    front::write_all(out_fd, session->prompt());
    std::string pending;
    char buf[512];
    while (!stop.load()) {
      pollfd p{in_fd, POLLIN, 0};
      int r = ::poll(&p, 1, 250);
      if (r < 0 && errno != EINTR) break;
      if (r <= 0) continue;
      ssize_t n = ::read(in_fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // end of input: the console is over, the daemon runs on
      pending.append(buf, static_cast<std::size_t>(n));
      std::size_t nl;
      while ((nl = pending.find('\n')) != std::string::npos) {
        std::string line = pending.substr(0, nl);
        pending.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        front::write_all(out_fd, line + "\n");  // echo, so that a caret lines up in the transcript
        ExecResult result;
        try {
          result = session->execute(line);
        } catch (const std::exception& e) {
          result.output = std::string("% Internal error: ") + e.what();
        }
        if (!result.output.empty()) {
          front::write_all(out_fd, result.output);
          if (result.output.back() != '\n') front::write_all(out_fd, "\n");
        }
        if (result.close_session) {
          session = context.make_session(SessionOrigin::console, {});
          if (!session) return;
        }
        front::write_all(out_fd, session->prompt());
      }
    }
  }

  void restore() {
    if (tty_saved) ::tcsetattr(in_fd, TCSANOW, &saved);
    tty_saved = false;
  }
};

ConsoleShell::ConsoleShell(FrontContext context)
    : impl_(std::make_unique<Impl>(std::move(context))) {}

ConsoleShell::~ConsoleShell() {
  stop();
}

void ConsoleShell::start(int in_fd, int out_fd) {
  impl_->in_fd = in_fd;
  impl_->out_fd = out_fd;
  bool tty = ::isatty(in_fd) != 0;
  impl_->thread = std::thread([this, tty] {
    if (tty)
      impl_->run_tty();
    else
      impl_->run_lines();
  });
}

void ConsoleShell::stop() {
  if (!impl_) return;
  impl_->stop.store(true);
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->restore();
}

}  // namespace vpdnd::cli
