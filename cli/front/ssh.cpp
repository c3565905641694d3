// DOC: the SSH server. libssh does the protocol (key exchange, user authentication,
// channels); this file decides who may log in and runs the same terminal a telnet
// connection gets on the session channel itself (ChannelIo: run_terminal() reads and
// writes the channel; no telnet negotiation; the window height comes from the client's
// pty-req and window-change requests). The TerminalListener (cli/front/listener.hpp)
// accepts and admits the connections.
// Threads: per connection one thread, owning the libssh session (every libssh call for it
// happens there: key exchange, authentication callbacks, then the terminal reading and
// writing the channel). The running config is read through ProtocolThread::call only; no lock is
// held during I/O.
// Login defences beyond the listener's: kLoginTime from the connect to an open shell, else
// the accept thread drops the connection; a failed password or key costs ~2 s, is logged
// (never the password) and counted by the LoginGuard; three failures end the connection.
#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <span>
#include <vector>

#include "cli/front.hpp"
#include "cli/front/io.hpp"
#include "cli/front/listener.hpp"
#include "cli/front/login_guard.hpp"
#include "cli/front/ssh_keys.hpp"
#include "common/base64.hpp"
#include "common/log.hpp"

namespace vpdnd::cli {
namespace {

constexpr auto kFailedLoginDelay = std::chrono::seconds(2);
constexpr std::uint32_t kLoginAttempts = 3;
// How much of the channel's data one read takes; the rest stays with libssh and the
// client's window closes behind it (SSH flow control holds it back).
constexpr std::size_t kReadChunk = 4096;

using front::Connection;
using front::pause_for;

// The SSH server and the VTY lines let a new connection in.
bool takes_connections(const config::RunningConfig& c) {
  return c.ssh_server && c.vty.allows_ssh();
}

// What the running config says about one user, read once per attempt.
struct UserPolicy {
  bool lines_allow = false;  // ssh server enabled, protocol inbound, scheme
  bool password_ok = false;  // the password matches a local user with service-type ssh
  bool local_blocked = false;
  bool has_ssh_user = false;
  config::SshAuthType auth = config::SshAuthType::password;
  std::string key_blob;  // the assigned peer key, "" when none
};

bool wants_key(config::SshAuthType a) {
  return a != config::SshAuthType::password;
}
bool wants_password(config::SshAuthType a) {
  return a != config::SshAuthType::publickey;
}

}  // namespace

struct SshServer::Impl {
  explicit Impl(FrontContext c) : context(std::move(c)) {}

  FrontContext context;
  front::TerminalListener* listener = nullptr;

  // Twice a second: SSH disabled ends every session; a login past its time ends.
  void police() {
    bool enabled = true;
    try {
      enabled = context.engine.call([this] { return context.store.running().ssh_server; });
    } catch (const std::exception&) {
      return;
    }
    auto now = std::chrono::steady_clock::now();
    listener->for_each([&](Connection& c) {
      if (c.stop.load()) return;
      if (!enabled) {
        log_info(DebugModule::aaa,
                 "event=ssh_session_ended reason=ssh_server_disabled peer=" + c.peer);
        c.drop();
      } else if (!c.logged_in.load() && now >= c.deadline) {
        log_warning(DebugModule::aaa,
                    "event=login_failed reason=timeout service=ssh peer=" + c.peer);
        c.drop();
      }
    });
  }

  UserPolicy policy_for(const std::string& user, const std::string* password) {
    return context.engine.call([&] {
      const auto& cfg = context.store.running();
      UserPolicy p;
      p.lines_allow = cfg.ssh_server && cfg.vty.allows_ssh() &&
                      cfg.vty.auth_mode == config::VtyAuthMode::scheme;
      if (auto it = cfg.local_users.find(user); it != cfg.local_users.end()) {
        const auto& u = it->second;
        p.local_blocked = !u.active;
        p.password_ok = password && u.active && u.has_service(config::ServiceType::ssh) &&
                        !u.password.empty() && u.password.plain == *password;
      }
      if (auto it = cfg.ssh_users.find(user); it != cfg.ssh_users.end()) {
        p.has_ssh_user = true;
        p.auth = it->second.auth;
        if (auto k = cfg.peer_public_keys.find(it->second.publickey);
            k != cfg.peer_public_keys.end())
          p.key_blob = k->second.blob;
      }
      return p;
    });
  }

  // The state of one connection's login, touched by libssh's callbacks on its thread.
  struct Login {
    Impl* server = nullptr;
    Connection* conn = nullptr;
    ssh_session session = nullptr;
    std::string user;
    bool password_done = false;
    bool key_done = false;
    bool authenticated = false;
    std::uint32_t failures = 0;
    bool give_up = false;  // locked out or out of attempts: end the connection
    ssh_channel channel = nullptr;
    bool pty = false;
    bool shell = false;
    std::atomic<std::uint16_t> rows{0};
    bool channel_closed = false;                // the client sent EOF or closed the channel
    ssh_channel_callbacks_struct channel_cb{};  // libssh keeps a pointer to it
    std::uint64_t registry_id = 0;              // its row in process_ssh_sessions()
  };

  static Impl& of(void* userdata) { return *static_cast<Login*>(userdata)->server; }

  // A failed attempt: counted, logged, delayed. Returns the libssh answer.
  int failed(Login& l, const char* method, const std::string& reason) {
    Connection& c = *l.conn;
    ++l.failures;
    process_ssh_sessions().update(l.registry_id,
                                  [&](SshSessionInfo& i) { i.retries = l.failures; });
    bool locked = false;
    try {
      locked = front::on_login_guard(context, [&](LoginGuard& g, const auto& policy) {
        return g.failed(c.address, l.user, policy);
      });
    } catch (const std::exception&) {
    }
    log_warning(DebugModule::aaa, std::string("event=login_failed service=ssh method=") + method +
                                      " reason=" + reason + " user=" + l.user + " peer=" + c.peer +
                                      " attempt=" + std::to_string(l.failures) +
                                      (locked ? " locked=yes" : ""));
    pause_for(kFailedLoginDelay, c.stop);
    if (locked || l.failures >= kLoginAttempts) l.give_up = true;
    return SSH_AUTH_DENIED;
  }

  // Checks the lockout before a credential is even looked at, so a guess made while
  // locked tells nothing.
  bool refused(Login& l) {
    Connection& c = *l.conn;
    LoginGuard::Verdict v = LoginGuard::Verdict::allowed;
    try {
      v = front::on_login_guard(
          context, [&](LoginGuard& g, const auto&) { return g.check(c.address, l.user); });
    } catch (const std::exception&) {
      l.give_up = true;
      return true;
    }
    if (v == LoginGuard::Verdict::allowed) return false;
    log_warning(DebugModule::aaa,
                std::string("event=login_refused service=ssh reason=") +
                    (v == LoginGuard::Verdict::address_locked ? "address_locked" : "user_locked") +
                    " user=" + l.user + " peer=" + c.peer);
    pause_for(kFailedLoginDelay, c.stop);
    l.give_up = true;
    return true;
  }

  // Both factors a user needs are in: the login is complete (or partial, asking for the
  // other factor).
  int decide(Login& l, const UserPolicy& p) {
    bool need_key = p.has_ssh_user && wants_key(p.auth);
    bool need_password = !p.has_ssh_user || wants_password(p.auth);
    bool done = false;
    if (p.has_ssh_user && p.auth == config::SshAuthType::any)
      done = l.key_done || l.password_done;
    else
      done = (!need_key || l.key_done) && (!need_password || l.password_done);
    if (!done) {
      ssh_set_auth_methods(l.session,
                           l.key_done ? SSH_AUTH_METHOD_PASSWORD : SSH_AUTH_METHOD_PUBLICKEY);
      return SSH_AUTH_PARTIAL;
    }
    l.authenticated = true;
    Connection& c = *l.conn;
    try {
      front::on_login_guard(context, [&](LoginGuard& g, const auto&) {
        g.succeeded(c.address, l.user);
        return 0;
      });
    } catch (const std::exception&) {
    }
    log_info(DebugModule::aaa, std::string("event=login service=ssh method=") +
                                   (l.key_done && l.password_done ? "password-publickey"
                                    : l.key_done                  ? "publickey"
                                                                  : "password") +
                                   " user=" + l.user + " peer=" + c.peer);
    process_ssh_sessions().update(l.registry_id, [&](SshSessionInfo& i) {
      i.user = l.user;
      i.state = "Established";
    });
    return SSH_AUTH_SUCCESS;
  }

  static void set_user(Login& l, const char* user) {
    std::string u = user ? user : "";
    if (u.size() > 80) u.resize(80);
    if (u != l.user) {  // a new user name starts over
      l.user = u;
      l.password_done = l.key_done = false;
    }
  }

  static int on_password(ssh_session, const char* user, const char* password, void* userdata) {
    Login& l = *static_cast<Login*>(userdata);
    Impl& self = of(userdata);
    if (l.give_up) return SSH_AUTH_DENIED;
    set_user(l, user);
    if (self.refused(l)) return SSH_AUTH_DENIED;
    std::string pw = password ? password : "";
    UserPolicy p;
    try {
      p = self.policy_for(l.user, &pw);
    } catch (const std::exception&) {
      l.give_up = true;
      return SSH_AUTH_DENIED;
    }
    if (!p.lines_allow) return self.failed(l, "password", "lines_refuse_ssh");
    if (p.has_ssh_user && !wants_password(p.auth))
      return self.failed(l, "password", "method_not_allowed");
    if (!p.password_ok) return self.failed(l, "password", "bad_credentials");
    l.password_done = true;
    return self.decide(l, p);
  }

  static int on_pubkey(ssh_session, const char* user, ssh_key key, char state, void* userdata) {
    Login& l = *static_cast<Login*>(userdata);
    Impl& self = of(userdata);
    if (l.give_up) return SSH_AUTH_DENIED;
    set_user(l, user);
    if (self.refused(l)) return SSH_AUTH_DENIED;
    UserPolicy p;
    try {
      p = self.policy_for(l.user, nullptr);
    } catch (const std::exception&) {
      l.give_up = true;
      return SSH_AUTH_DENIED;
    }
    std::string blob;
    char* b64 = nullptr;
    if (ssh_pki_export_pubkey_base64(key, &b64) == SSH_OK && b64) {
      blob = base64_decode(b64).value_or("");
      ssh_string_free_char(b64);
    }
    bool match = p.lines_allow && !p.local_blocked && p.has_ssh_user && wants_key(p.auth) &&
                 !p.key_blob.empty() && blob == p.key_blob;
    if (!match) return self.failed(l, "publickey", "key_not_accepted");
    // The client asks whether the key would do, then proves it holds the private half.
    if (state == SSH_PUBLICKEY_STATE_NONE) return SSH_AUTH_SUCCESS;
    if (state != SSH_PUBLICKEY_STATE_VALID) return self.failed(l, "publickey", "bad_signature");
    l.key_done = true;
    return self.decide(l, p);
  }

  static int on_none(ssh_session, const char* user, void* userdata) {
    Login& l = *static_cast<Login*>(userdata);
    set_user(l, user);
    return SSH_AUTH_DENIED;  // libssh lists the methods
  }

  static ssh_channel on_channel_open(ssh_session session, void* userdata) {
    Login& l = *static_cast<Login*>(userdata);
    if (!l.authenticated || l.channel) return nullptr;
    l.channel = ssh_channel_new(session);
    if (l.channel) ssh_set_channel_callbacks(l.channel, &channel_callbacks(l));
    return l.channel;
  }

  static int on_pty(ssh_session, ssh_channel, const char*, int, int height, int, int,
                    void* userdata) {
    Login& l = *static_cast<Login*>(userdata);
    l.pty = true;
    l.rows.store(static_cast<std::uint16_t>(std::clamp(height, 0, 65535)));
    return 0;
  }

  static int on_window(ssh_session, ssh_channel, int, int height, int, int, void* userdata) {
    Login& l = *static_cast<Login*>(userdata);
    l.rows.store(static_cast<std::uint16_t>(std::clamp(height, 0, 65535)));
    return 0;
  }

  static int on_shell(ssh_session, ssh_channel, void* userdata) {
    Login& l = *static_cast<Login*>(userdata);
    if (l.shell) return -1;
    l.shell = true;
    return 0;
  }

  static void on_channel_end(ssh_session, ssh_channel, void* userdata) {
    Login& l = *static_cast<Login*>(userdata);
    l.channel_closed = true;
  }

  // A libssh callback struct with no callback set, sized and pointing at `l`.
  template <class Callbacks>
  static Callbacks& init_callbacks(Callbacks& cb, Login& l) {
    std::memset(&cb, 0, sizeof cb);
    cb.userdata = &l;
    ssh_callbacks_init(&cb);
    return cb;
  }

  static ssh_channel_callbacks_struct& channel_callbacks(Login& l) {
    // No data callback: the channel's data stays with libssh until the terminal reads it.
    ssh_channel_callbacks_struct& cb = init_callbacks(l.channel_cb, l);
    cb.channel_pty_request_function = &Impl::on_pty;
    cb.channel_shell_request_function = &Impl::on_shell;
    cb.channel_pty_window_change_function = &Impl::on_window;
    cb.channel_eof_function = &Impl::on_channel_end;
    cb.channel_close_function = &Impl::on_channel_end;
    return cb;
  }

  // The terminal's link to the session channel, on the session's thread: reading the
  // channel is also how libssh takes the client's other packets (window changes, window
  // adjusts, EOF, close) and sends what is still queued.
  class ChannelIo final : public front::TerminalIo {
   public:
    ChannelIo(Login& l, const std::atomic<bool>& stop) : l_(l), stop_(stop) {}

    std::optional<std::size_t> read(std::span<char> buf,
                                    std::chrono::steady_clock::time_point deadline) override {
      if (buf.empty()) return 0;
      if (next_ == in_.size()) {
        in_.resize(kReadChunk);
        next_ = 0;
        int n =
            ssh_channel_read_timeout(l_.channel, in_.data(), kReadChunk, 0, millis_until(deadline));
        in_.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
        if (n == SSH_ERROR) return std::nullopt;
        if (n == 0) return gone() ? std::nullopt : std::optional<std::size_t>(0);
      }
      const std::size_t count = std::min(buf.size(), in_.size() - next_);
      std::memcpy(buf.data(), in_.data() + next_, count);
      next_ += count;
      return count;
    }

    bool write(std::string_view data) override {
      return send(data, std::chrono::steady_clock::time_point::max());
    }
    bool write_before(std::string_view data,
                      std::chrono::steady_clock::time_point deadline) override {
      return send(data, deadline);
    }

   private:
    static int millis_until(std::chrono::steady_clock::time_point deadline) {
      using namespace std::chrono;
      const auto left = duration_cast<milliseconds>(deadline - steady_clock::now()).count();
      return static_cast<int>(std::clamp<long long>(left, 0, 1000));
    }

    bool gone() const {
      return l_.channel_closed || ssh_channel_is_eof(l_.channel) ||
             ssh_channel_is_closed(l_.channel) ||
             (ssh_get_status(l_.session) & (SSH_CLOSED | SSH_CLOSED_ERROR));
    }

    // Non-blocking writes: what the client's window takes now goes out, for the rest this
    // waits for its window adjust on the session's socket, until `deadline` or the stop.
    bool send(std::string_view data, std::chrono::steady_clock::time_point deadline) {
      ssh_set_blocking(l_.session, 0);
      bool ok = true;
      while (!data.empty()) {
        int n = ssh_channel_write(l_.channel, data.data(), static_cast<std::uint32_t>(data.size()));
        if (n == SSH_ERROR) {
          ok = false;
          break;
        }
        if (n > 0) data.remove_prefix(static_cast<std::size_t>(n));
        if (data.empty()) break;
        if (stop_.load() || gone() || std::chrono::steady_clock::now() >= deadline) {
          ok = false;
          break;
        }
        pollfd p{ssh_get_fd(l_.session), POLLIN, 0};
        ::poll(&p, 1, std::min(50, millis_until(deadline)));
      }
      ssh_set_blocking(l_.session, 1);
      return ok;
    }

    Login& l_;
    const std::atomic<bool>& stop_;
    std::vector<char> in_;  // read from the channel; the terminal has taken [0, next_)
    std::size_t next_ = 0;
  };

  // The connection is listed (`display ssh server session`) while it is served.
  void serve(Connection& c) {
    const std::uint64_t registry_id = process_ssh_sessions().add(c.peer);
    serve_listed(c, registry_id);
    process_ssh_sessions().remove(registry_id);
  }

  void serve_listed(Connection& c, std::uint64_t registry_id) {
    auto verdict = front::check_address(context, c.address);
    if (!verdict) return;
    if (*verdict == LoginGuard::Verdict::address_locked) {
      log_warning(DebugModule::aaa,
                  "event=login_refused service=ssh reason=address_locked peer=" + c.peer);
      return;
    }
    int libssh_fd = ::dup(c.fd);  // ssh_free() closes it
    if (libssh_fd < 0) return;
    ssh_bind bind = ssh_bind_new();
    ssh_session session = ssh_new();
    if (!bind || !session) {
      ::close(libssh_fd);
      if (bind) ssh_bind_free(bind);
      if (session) ssh_free(session);
      return;
    }
    for (auto& text : process_host_keys().private_keys()) {
      ssh_key key = nullptr;
      if (ssh_pki_import_privkey_base64(text.c_str(), nullptr, nullptr, nullptr, &key) == SSH_OK)
        ssh_bind_options_set(bind, SSH_BIND_OPTIONS_IMPORT_KEY, key);  // the bind owns it now
    }
    Login l;
    l.server = this;
    l.conn = &c;
    l.session = session;
    l.registry_id = registry_id;
    ssh_server_callbacks_struct cb;
    init_callbacks(cb, l);
    cb.auth_password_function = &Impl::on_password;
    cb.auth_pubkey_function = &Impl::on_pubkey;
    cb.auth_none_function = &Impl::on_none;
    cb.channel_open_request_session_function = &Impl::on_channel_open;
    ssh_event event = nullptr;
    if (ssh_bind_accept_fd(bind, session, libssh_fd) != SSH_OK) {
      ::close(libssh_fd);
    } else if (ssh_set_server_callbacks(session, &cb) == SSH_OK &&
               ssh_handle_key_exchange(session) == SSH_OK) {
      const char* cipher = ssh_get_cipher_in(session);
      process_ssh_sessions().update(l.registry_id, [&](SshSessionInfo& i) {
        i.cipher = cipher ? cipher : "";
        i.state = "Authenticating";
      });
      ssh_set_auth_methods(session, SSH_AUTH_METHOD_PASSWORD | SSH_AUTH_METHOD_PUBLICKEY);
      event = ssh_event_new();
      if (event && ssh_event_add_session(event, session) == SSH_OK) {
        const bool ready = wait_for_shell(c, l, event);
        // From here the terminal's reads of the channel drive the session.
        ssh_event_remove_session(event, session);
        if (ready) run_shell(c, l);
      }
    }
    if (event) ssh_event_free(event);
    if (l.channel) {
      ssh_channel_close(l.channel);
      ssh_channel_free(l.channel);
    }
    ssh_disconnect(session);
    ssh_free(session);
    ssh_bind_free(bind);
  }

  // Authentication, then a session channel with a shell (a pty is optional).
  bool wait_for_shell(Connection& c, Login& l, ssh_event event) {
    while (!c.stop.load() && !l.give_up && !(l.authenticated && l.channel && l.shell)) {
      if (ssh_event_dopoll(event, 200) == SSH_ERROR) return false;
      if (ssh_get_status(l.session) & (SSH_CLOSED | SSH_CLOSED_ERROR)) return false;
    }
    return !c.stop.load() && !l.give_up;
  }

  void run_shell(Connection& c, Login& l) {
    if (!listener->log_in(c)) {
      const char text[] = "\r\n% The number of SSH sessions has reached the limit.\r\n";
      ssh_channel_write(l.channel, text, sizeof text - 1);
      log_warning(DebugModule::aaa, "event=ssh_refused reason=session_limit peer=" + c.peer);
      return;
    }
    std::unique_ptr<CommandSession> shell;
    try {
      shell = context.make_session(SessionOrigin::ssh, l.user);
    } catch (const std::exception&) {
      return;
    }
    if (!shell) return;
    config::UserInterfaceVty vty;
    try {
      vty = context.engine.call([this] { return context.store.running().vty; });
    } catch (const std::exception&) {
    }
    TerminalOptions options;
    options.ssh = true;
    options.rows = &l.rows;
    options.idle_timeout_s = vty.idle_timeout_s;
    options.peer = c.peer;
    options.user = l.user;
    ChannelIo io(l, c.stop);
    io.write("\r\n");
    run_terminal(context, *shell, io, options, c.stop);
    if (!l.channel_closed && !c.stop.load()) {
      ssh_channel_request_send_exit_status(l.channel, 0);
      ssh_channel_send_eof(l.channel);
    }
    log_info(DebugModule::aaa, "event=logout service=ssh user=" + l.user + " peer=" + c.peer);
  }
};

SshServer::SshServer(FrontContext context) : impl_(std::make_unique<Impl>(std::move(context))) {
  listener_ = std::make_unique<front::TerminalListener>(front::TerminalListener::Service{
      .name = "SSH",
      .event = "ssh",
      .enabled = [this] { return front::read_running(impl_->context, takes_connections); },
      .serve = [this](Connection& c) { impl_->serve(c); },
      // No refusal texts: the client expects the SSH protocol.
      .tick = [this] { impl_->police(); },
  });
  impl_->listener = listener_.get();
}

// The connection threads use impl_: they end before it goes.
SshServer::~SshServer() {
  stop();
}

std::string SshServer::start(const std::string& bind_address, std::uint16_t port) {
  if (std::string e = process_host_keys().load_or_create(); !e.empty())
    return "SSH host keys: " + e;
  return TerminalServer::start(bind_address, port);
}

}  // namespace vpdnd::cli
