// DOC: the terminal servers' common part (internal to cli/front): TerminalListener owns the
// listening socket, the accept thread and its wake pipe, one thread per connection, the
// reaping of finished ones and stop(); and it admits connections by the login defences
// every terminal server shares. Connections not logged in yet have their own slots
// (max_pending, at most max_pending_per_source from one address), apart from the
// max_sessions of logged-in users, so idle connections can never take a logged-in
// operator's slot; when the pending slots are full, the oldest pending connection makes
// room. Telnet and SSH supply only what differs: whether the service takes connections now,
// and "serve one connection" (login, then the shell).
// Threads: the accept thread and the connection threads; `mutex` guards the list of
// connections (list operations only, never I/O), so a silent client only stalls its own
// thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "cli/front.hpp"
#include "cli/front/login_guard.hpp"

namespace vpdnd::cli::front {

// One accepted connection. The listener closes `fd` when the connection is reaped.
struct Connection {
  int fd = -1;
  std::string peer;                                // "A.B.C.D:port"
  std::string address;                             // "A.B.C.D"
  std::chrono::steady_clock::time_point deadline;  // to log in by: login_time from the accept
  std::atomic<bool> logged_in{false};
  // The listener is stopping, or the connection was dropped (evicted, or by the service):
  // its thread ends as soon as it notices.
  std::atomic<bool> stop{false};

  // Ends the connection from another thread: its reads and writes fail at once.
  void drop();

 private:
  friend class TerminalListener;
  std::uint64_t serial = 0;  // accept order: the oldest pending connection is evicted first
  std::thread thread;
  std::atomic<bool> finished{false};
  std::atomic<bool> evicted{false};  // dropped to make room; its thread is still ending
  bool gone() const { return finished.load() || evicted.load(); }
};

class TerminalListener {
 public:
  struct Limits {
    std::size_t max_sessions = TerminalServer::kMaxSessions;  // logged-in users
    std::size_t max_pending = TerminalServer::kMaxPending;    // connections not logged in yet
    // Of those, from one address.
    std::size_t max_pending_per_source = TerminalServer::kMaxPendingPerSource;
    std::chrono::seconds login_time = TerminalServer::kLoginTime;  // to log in, from the connect
  };
  struct Service {
    std::string name;   // "telnet", "SSH": for error texts
    std::string event;  // "telnet", "ssh": log events are `<event>_refused` ...
    Limits limits = {};
    // The running config lets the service take a new connection now.
    std::function<bool()> enabled;
    // Logs in and runs the shell, on the connection's own thread, until it ends.
    std::function<void(Connection&)> serve;
    // Written to a connection refused for lack of slots ("" writes nothing).
    std::string source_busy_text = {};
    std::string full_text = {};
    // Called on the accept thread about twice a second (may be empty).
    std::function<void()> tick = {};
  };

  explicit TerminalListener(Service service) : service_(std::move(service)) {}
  ~TerminalListener() { stop(); }
  TerminalListener(const TerminalListener&) = delete;
  TerminalListener& operator=(const TerminalListener&) = delete;

  // Binds and starts accepting. Returns "" on success, else the error text.
  std::string start(const std::string& bind_address, std::uint16_t port);
  // Drops every connection and joins every thread.
  void stop();
  std::uint16_t port() const { return port_; }
  // Connections whose thread has not finished (logged in or not).
  std::size_t active_sessions() const;
  // Takes a logged-in user's slot for `c`; false when all max_sessions are taken.
  bool log_in(Connection& c);
  // Runs `f` for every connection still being served, under the list lock (no I/O in `f`).
  void for_each(const std::function<void(Connection&)>& f);

 private:
  enum class Admission { accept, source_busy, full };
  Admission admit_locked(const std::string& address);
  void accept_loop();
  void reap(bool all);

  Service service_;
  std::uint16_t port_ = 0;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  mutable std::mutex mutex_;
  std::list<std::unique_ptr<Connection>> connections_;
  std::uint64_t next_serial_ = 0;
};

// Sleeps up to `d`, waking early on `stop` (a failed login's delay).
void pause_for(std::chrono::steady_clock::duration d, const std::atomic<bool>& stop);

// `f(running config)`, run on the protocol thread.
template <class F>
auto read_running(FrontContext& context, F&& f) -> decltype(f(context.store.running())) {
  return context.engine.call([&] { return f(context.store.running()); });
}

// Runs `f(guard, policy)` on the protocol thread: the process's LoginGuard and the running
// config's `password-control login-attempt`.
template <class F>
auto on_login_guard(FrontContext& context, F&& f)
    -> decltype(f(process_login_guard(), config::LoginAttemptPolicy{})) {
  return read_running(context, [&](const config::RunningConfig& c) {
    return f(process_login_guard(), c.login_attempt);
  });
}

// The LoginGuard's verdict on a connection from `address` before any user name is known;
// nullopt when the engine is stopping.
inline std::optional<LoginGuard::Verdict> check_address(FrontContext& context,
                                                        const std::string& address) {
  try {
    return on_login_guard(context,
                          [&](LoginGuard& g, const auto&) { return g.check(address, {}); });
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace vpdnd::cli::front
