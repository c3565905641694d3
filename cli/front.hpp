// DOC: the terminals. Console, telnet and SSH shells, each bridging one terminal to its
// own CommandSession (the command language lives behind cli/shell.hpp; this part only
// moves keys, lines and text). The terminal owns its descriptor and its line editor
// (cli/front/terminal.cpp, line_editor.hpp).
//
// Threads and ownership:
//  - every terminal (the console, each telnet or SSH connection) runs on its own thread
//    with its own CommandSession; nothing is shared between terminals except the ProtocolThread
//    (reached through ProtocolThread::call; the line table of `display users`,
//    cli/front/lines.hpp, lives there) and the LogBus (a per-terminal bounded queue,
//    drained by the terminal's own thread). No lock is held during I/O, so a silent or
//    broken client only ever blocks its own thread;
//  - a TerminalServer (telnet, SSH) owns an accept thread and one thread per connection;
//    stop() shuts every socket down and joins them. ConsoleShell owns one thread; stop()
//    ends it within ~0.3 s and restores the tty.
//  - The process must ignore SIGPIPE (TerminalServer::start() does so) because a client
//    may vanish while we write to it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "cli/cli.hpp"
#include "cli/shell.hpp"
#include "common/protocol_thread.hpp"
#include "startup-config/model.hpp"

namespace vpdnd::cli {

using SessionFactory =
    std::function<std::unique_ptr<CommandSession>(SessionOrigin origin, const std::string& user)>;

struct FrontContext {
  ProtocolThread& engine;
  config::ConfigStore& store;  // engine-thread object: read only inside engine.call
  SessionFactory make_session;
};

namespace front {
class TelnetCodec;
class TerminalIo;
}  // namespace front

struct TerminalOptions {
  bool telnet = false;  // the peer speaks telnet (IAC) rather than a raw tty
  // The connection's telnet codec, already past the login (its negotiation state and the
  // window size the client reported); null with `telnet`: the terminal starts its own.
  front::TelnetCodec* codec = nullptr;
  std::uint32_t idle_timeout_s = 0;  // 0 = never
  std::string peer;                  // for log lines ("127.0.0.1:40000", "console")
  std::string user;                  // who logged in ("" without a user name), for `display users`
  // An SSH session channel: plain keys, and the window height the client reports (pty-req,
  // window-change; 0: unknown) in `rows`.
  bool ssh = false;
  const std::atomic<std::uint16_t>* rows = nullptr;
};

// Runs one interactive shell on `fd` (read and write) until the session quits, the peer
// goes away, the idle timeout fires or `stop` becomes true. The fd is not closed.
void run_terminal(FrontContext& context, CommandSession& session, int fd,
                  const TerminalOptions& options, const std::atomic<bool>& stop);
// The same on any link to the peer (an SSH channel: cli/front/ssh.cpp).
void run_terminal(FrontContext& context, CommandSession& session, front::TerminalIo& io,
                  const TerminalOptions& options, const std::atomic<bool>& stop);

namespace front {
class TerminalListener;
}

// A terminal server: one TCP socket, a login and then a shell per connection, with the
// login defences of front::TerminalListener (kLoginTime from the connect to log in,
// kMaxPending slots for connections not logged in yet, at most kMaxPendingPerSource from
// one address, the oldest evicted for a new one; kMaxSessions logged-in users), and
// per server: ~2 s per failed attempt, the LoginGuard's lockout, three failures end the
// connection.
class TerminalServer {
 public:
  static constexpr std::size_t kMaxSessions = 64;         // logged-in users
  static constexpr std::size_t kMaxPending = 16;          // connections not logged in yet
  static constexpr std::size_t kMaxPendingPerSource = 4;  // of those, from one address
  static constexpr std::chrono::seconds kLoginTime{60};   // to log in, from the connect

  virtual ~TerminalServer();
  TerminalServer(const TerminalServer&) = delete;
  TerminalServer& operator=(const TerminalServer&) = delete;

  // Binds and starts accepting. Returns "" on success, else the error text.
  virtual std::string start(const std::string& bind_address, std::uint16_t port);
  // Ends every connection and joins its thread.
  void stop();
  std::uint16_t port() const;
  std::size_t active_sessions() const;

 protected:
  TerminalServer();
  std::unique_ptr<front::TerminalListener> listener_;
};

// The telnet server: `user-interface vty 0 4` authentication-mode none | password | scheme.
class TelnetServer final : public TerminalServer {
 public:
  explicit TelnetServer(FrontContext context);
  ~TelnetServer() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The SSH server (libssh), with the same shell as telnet.
// Logins need `ssh server enable`, `protocol inbound all|ssh` and `authentication-mode
// scheme` on the VTY lines; a password login a local user with `service-type ssh`; a
// public-key login an `ssh user ... assign publickey KEY` whose key the client proves.
// `undo ssh server enable` ends every SSH session within ~1 s.
class SshServer final : public TerminalServer {
 public:
  explicit SshServer(FrontContext context);
  ~SshServer() override;

  // Loads or creates the host keys (process_host_keys()), binds and starts accepting.
  std::string start(const std::string& bind_address, std::uint16_t port) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class ConsoleShell {
 public:
  explicit ConsoleShell(FrontContext context);
  ~ConsoleShell();
  ConsoleShell(const ConsoleShell&) = delete;
  ConsoleShell& operator=(const ConsoleShell&) = delete;

  // A tty on `in_fd` gets the shell in raw mode (restored on stop); anything else
  // (a pipe, a file) is read line by line. `quit` in user view starts a fresh session;
  // end of input ends the console (the daemon keeps running).
  void start(int in_fd = 0, int out_fd = 1);
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vpdnd::cli
