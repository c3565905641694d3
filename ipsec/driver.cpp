// The strongSwan driver: charon and swanctl run on a worker thread; results come back to
// the protocol thread by post.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "common/log.hpp"
#include "ipsec/ipsec.hpp"
#include "ipsec/plain_filter.hpp"
#include "ipsec/vici.hpp"

extern char** environ;

namespace vpdnd::ipsec {
namespace {

struct Output {
  int status = -1;  // exit status; -1: could not run or timed out
  std::string text;
};

// Runs argv with stdout+stderr captured; killed after `timeout`.
Output run(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
           std::chrono::milliseconds timeout) {
  Output out;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    out.text = std::strerror(errno);
    return out;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_store = extra_env;
  std::vector<char*> env;
  for (char** e = environ; *e; ++e) env.push_back(*e);
  for (auto& e : env_store) env.push_back(e.data());
  env.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    out.text = argv[0] + ": " + std::strerror(rc);
    return out;
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(pid, SIGKILL);
      out.text += "\n(timed out)";
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    int n = poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    ssize_t got = read(fds[0], buf, sizeof buf);
    if (got <= 0) break;
    if (out.text.size() < (1u << 22)) out.text.append(buf, static_cast<std::size_t>(got));
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && out.text.find("(timed out)") == std::string::npos)
    out.status = WEXITSTATUS(status);
  return out;
}

// Writes `text` to `path` readable by root only (it may hold keys), atomically.
std::string write_private(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return tmp + ": " + std::strerror(errno);
  fchmod(fd, 0600);  // an older file of the same name may have had other bits
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string e = std::strerror(errno);
      ::close(fd);
      return tmp + ": " + e;
    }
    done += static_cast<std::size_t>(n);
  }
  fsync(fd);
  ::close(fd);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return path + ": " + std::strerror(errno);
  return {};
}

// The first line of swanctl's complaint, without the plugin-loading noise it prints.
std::string first_error(const std::string& text) {
  std::size_t pos = 0;
  std::string fallback;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
    if (line.empty() || line.find("plugin '") != std::string::npos ||
        line.find("opening directory") != std::string::npos)
      continue;
    if (line.find("rror") != std::string::npos || line.find("fail") != std::string::npos)
      return line;
    if (fallback.empty()) fallback = line;
  }
  return fallback;
}

// charon's log line -> which debugging switch shows it. "[IKE]"/"[ENC]"/"[NET]"/"[CFG]"
// are the key exchange, "[CHD]"/"[KNL]"/"[ESP]" the IPsec SAs.
void relay_log_line(const std::string& line) {
  DebugModule m = DebugModule::ike;
  DebugClass c = DebugClass::event;
  if (line.find("[CHD]") != std::string::npos || line.find("[KNL]") != std::string::npos ||
      line.find("[ESP]") != std::string::npos)
    m = DebugModule::ipsec;
  if (line.find("[ENC]") != std::string::npos || line.find("[NET]") != std::string::npos)
    c = DebugClass::control;
  // What an operator must see without debugging on: a peer that failed to authenticate
  // (wrong pre-shared key) or to agree on proposals.
  static const char* kAlways[] = {
      "AUTHENTICATION_FAILED", "no shared key found", "decryption failed",   "NO_PROPOSAL_CHOSEN",
      "no matching proposal",  "invalid HASH_V1",     "failed to establish", "no IKE config found"};
  for (auto* k : kAlways)
    if (line.find(k) != std::string::npos) {
      log_warning(m, "event=charon " + line);
      return;
    }
  LogBus::instance().debug(m, c, "charon: " + line);
}

}  // namespace

struct Driver::Impl : std::enable_shared_from_this<Impl> {
  Impl(boost::asio::io_context& io, DriverOptions o)
      : io_(io), options_(std::move(o)), timer_(io), retry_timer_(io) {
    if (options_.vici_uri.empty() || options_.mode == DriverOptions::Mode::own)
      options_.vici_uri = "unix://" + options_.run_dir + "/charon.vici";
    if (options_.log_path.empty() && options_.mode == DriverOptions::Mode::own)
      options_.log_path = options_.run_dir + "/charon.log";
    // kernel-libipsec does ESP in charon: the kernel sees only the TUN device's packets.
    kernel_block_ = !options_.xfrm_stat.empty() &&
                    ::access(options_.xfrm_stat.c_str(), R_OK) == 0 &&
                    std::find(options_.extra_plugins.begin(), options_.extra_plugins.end(),
                              "kernel-libipsec") == options_.extra_plugins.end();
    stats_.charon = options_.mode == DriverOptions::Mode::own
                        ? "not started (no IPsec policy applied)"
                        : "attached to " + options_.vici_uri;
    worker_ = std::thread([this] { work(); });
    // A filter a killed vpdnd left behind would drop L2TP no policy asks to protect.
    if (kernel_block_ && !options_.nft.empty())
      queue([this] {
        run({options_.nft, render_plain_l2tp_filter_removal()}, {}, options_.swanctl_timeout);
      });
  }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
    // The worker is gone: its filter state is ours now.
    if (filter_installed_) {
      Output o =
          run({options_.nft, render_plain_l2tp_filter_removal()}, {}, options_.swanctl_timeout);
      if (o.status != 0)
        log_error(DebugModule::ipsec,
                  "event=ipsec-plain-l2tp-filter-remove-failed error=" + first_error(o.text));
    }
    timer_.cancel();
    retry_timer_.cancel();
    // A charon we attached to outlives us: it is left with nothing of ours.
    if (options_.mode == DriverOptions::Mode::attach) unload_attached({});
    if (charon_alive()) {
      unload_own();
      kill(charon_pid_, SIGTERM);
      int status = 0;
      for (int i = 0; i < 100 && waitpid(charon_pid_, &status, WNOHANG) == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (waitpid(charon_pid_, &status, WNOHANG) == 0) {
        kill(charon_pid_, SIGKILL);
        waitpid(charon_pid_, &status, 0);
        log_warning(DebugModule::ipsec,
                    "event=charon-killed reason=no-exit-within-10s-of-SIGTERM "
                    "(kernel SAs or policies it still held may be left; ip xfrm policy)");
      }
      charon_pid_ = -1;
    }
  }
  // Own mode, at stop: charon is asked to terminate and unload each of our connections
  // (their SAs, and the drop shunt's kernel policies) while it still answers. Charon
  // removes a shunt only late in its own shutdown, after every IKE SA is flushed; one
  // slow to get there (an exchange in flight, a loaded host) is killed, and the shunt's
  // block policies would outlive us and drop the host's L2TP. The shunt is rendered last,
  // so it guards until the SAs are gone. Failures are charon's to clean at SIGTERM.
  void unload_own() {
    if (options_.mode != DriverOptions::Mode::own || last_conf_.empty()) return;
    auto parsed = vici::parse_conf(last_conf_);
    if (!parsed) return;
    vici::Client client(options_.vici_uri, std::chrono::milliseconds(2000));
    for (auto& r : vici::load_requests(*parsed, {})) {
      if (r.command != "load-conn") continue;
      client.call("terminate", {vici::value("ike", r.name), vici::value("force", "yes"),
                                vici::value("timeout", "-1")});
      client.call("unload-conn", {vici::value("name", r.name)});
    }
  }

  // ---- worker thread ----
  void queue(std::function<void()> job) {
    {
      std::lock_guard lock(mutex_);
      jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
  }
  void work() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
        if (stopping_) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
      tail_log();
    }
  }
  template <class F>
  void to_engine(F&& f) {
    boost::asio::post(io_, [weak = weak_from_this(), f = std::forward<F>(f)]() mutable {
      if (auto self = weak.lock()) f(*self);
    });
  }
  Output swanctl(std::vector<std::string> args) {
    args.insert(args.begin(), options_.swanctl);
    args.push_back("--uri");
    args.push_back(options_.vici_uri);
    // swanctl reads our strongswan.conf (own mode) or one that holds only its plugin list
    // (attached): with the host's, it loads every plugin installed, which on a slow box
    // took longer than swanctl_timeout, and an SA display or the drop-policy check failed.
    std::string conf = options_.run_dir + "/strongswan.conf";
    if (options_.mode == DriverOptions::Mode::attach) {
      conf = options_.run_dir + "/swanctl-strongswan.conf";
      if (::access(conf.c_str(), R_OK) != 0) {
        ::mkdir(options_.run_dir.c_str(), 0700);
        write_private(conf, render_swanctl_settings());
      }
    }
    return run(args, {"STRONGSWAN_CONF=" + conf}, options_.swanctl_timeout);
  }
  bool charon_alive() {
    if (charon_pid_ <= 0) return false;
    int status = 0;
    if (waitpid(charon_pid_, &status, WNOHANG) == charon_pid_) {
      charon_pid_ = -1;
      return false;
    }
    return true;
  }
  // Own mode: charon with our strongswan.conf. Returns "" when it answers on VICI.
  std::string ensure_charon(const std::string& strongswan_conf) {
    if (options_.mode != DriverOptions::Mode::own) return {};
    if (charon_alive()) return wait_for_vici();
    ::mkdir(options_.run_dir.c_str(), 0700);
    ::chmod(options_.run_dir.c_str(), 0700);
    std::string conf = options_.run_dir + "/strongswan.conf";
    if (auto e = write_private(conf, strongswan_conf); !e.empty()) return e;
    log_offset_ = 0;
    ::truncate(options_.log_path.c_str(), 0);
    std::string sock = options_.run_dir + "/charon.vici";
    ::unlink(sock.c_str());
    std::vector<std::string> env{"STRONGSWAN_CONF=" + conf};
    std::vector<char*> args{const_cast<char*>(options_.charon.c_str()), nullptr};
    std::vector<char*> envp;
    for (char** e = environ; *e; ++e) envp.push_back(*e);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return options_.charon + ": " + std::strerror(rc);
    charon_pid_ = pid;
    return wait_for_vici();
  }
  std::string wait_for_vici() {
    std::string sock = options_.run_dir + "/charon.vici";
    auto deadline = std::chrono::steady_clock::now() + options_.charon_start;
    while (std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      {
        std::lock_guard lock(mutex_);
        if (stopping_) return "stopping";
      }
      if (!charon_alive())
        return "charon exited at start (see " + options_.log_path +
               "; another charon may hold /run/charon.pid)";
      struct stat st {};
      if (::stat(sock.c_str(), &st) == 0) return {};
    }
    // Still starting: left running, and the load is tried again (load_retry).
    return "charon did not open " + sock + " within " +
           std::to_string(options_.charon_start.count()) + " ms";
  }
  void tail_log() {
    if (options_.log_path.empty()) return;
    int fd = ::open(options_.log_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat st {};
    if (fstat(fd, &st) == 0 && static_cast<std::uint64_t>(st.st_size) < log_offset_)
      log_offset_ = 0;  // rotated or truncated
    std::string text;
    char buf[8192];
    ssize_t n;
    while ((n = pread(fd, buf, sizeof buf, static_cast<off_t>(log_offset_))) > 0 &&
           text.size() < (1u << 20)) {
      text.append(buf, static_cast<std::size_t>(n));
      log_offset_ += static_cast<std::uint64_t>(n);
    }
    ::close(fd);
    auto last = text.rfind('\n');
    if (last == std::string::npos) {
      log_offset_ -= text.size();
      return;
    }
    log_offset_ -= text.size() - last - 1;  // an unfinished line is read next time
    text.resize(last + 1);
    std::vector<std::string> lines;
    std::size_t pos = 0;
    while (pos < text.size()) {
      auto nl = text.find('\n', pos);
      lines.push_back(text.substr(pos, nl - pos));
      pos = nl + 1;
    }
    to_engine([lines = std::move(lines)](Impl&) {
      for (auto& l : lines) relay_log_line(l);
    });
  }

  // ---- protocol thread ----
  void apply(const config::RunningConfig& config) {
    Rendered r = render_swanctl(config, kernel_block_);
    std::string ss = render_strongswan_conf(options_, config.ipsec);
    guard_ = r.guard;
    last_filter_ = kernel_block_ ? render_plain_l2tp_filter(r.guard) : std::string();
    stats_.connections = r.connections;
    if (!guard_.active()) stats_.kernel_block = false;
    if (r.swanctl_conf == last_conf_ && ss == last_strongswan_) return;
    bool settings_changed = ss != last_strongswan_ && !last_strongswan_.empty();
    last_conf_ = r.swanctl_conf;
    last_strongswan_ = ss;
    for (auto& w : r.warnings) log_warning(DebugModule::ipsec, "event=ipsec-config-skipped " + w);
    {
      // A configuration file applies line by line: only the newest text is loaded, once
      // the worker gets to it.
      std::lock_guard lock(mutex_);
      next_.conf = r.swanctl_conf;
      next_.strongswan = ss;
      next_.wanted = !r.connections.empty();
      next_.filter = last_filter_;
      next_.settings_changed = next_.settings_changed || settings_changed;
      if (load_queued_) {
        schedule_refresh();
        return;
      }
      load_queued_ = true;
    }
    queue([this] { load(); });
    schedule_refresh();
  }
  // Worker thread: (start charon and) load the newest rendered configuration.
  void load() {
    Pending p;
    {
      std::lock_guard lock(mutex_);
      p = std::move(next_);
      next_ = Pending{};
      load_queued_ = false;
    }
    if (!p.wanted && !charon_alive() && options_.mode == DriverOptions::Mode::own) {
      Filter f = sync_filter(p.filter);
      to_engine([f](Impl& self) { self.stats_.l2tp_filter = f == Filter::on; });
      return;
    }
    std::string err = ensure_charon(p.strongswan);
    if (err.empty() && p.settings_changed && options_.mode == DriverOptions::Mode::own) {
      write_private(options_.run_dir + "/strongswan.conf", p.strongswan);
      swanctl({"--reload-settings"});
    }
    std::string file = options_.run_dir + "/swanctl.conf";
    if (err.empty()) {
      ::mkdir(options_.run_dir.c_str(), 0700);
      err = write_private(file, p.conf);
    }
    if (err.empty() && options_.mode == DriverOptions::Mode::attach) {
      err = load_attached(p.conf);
    } else if (err.empty()) {
      Output o = swanctl({"--load-all", "--noprompt", "--file", file});
      if (o.status != 0) err = "swanctl --load-all: " + first_error(o.text);
    }
    pid_t pid = charon_pid_;
    bool blocks = false;
    if (err.empty() && p.conf.find(kPlainL2tpDrop) != std::string::npos) {
      // charon forgets a shunt whose policies the kernel refused (no xfrm_user): only one
      // it lists is guarding.
      Output o = swanctl({"--list-pols", "--drop"});
      blocks = o.status == 0 && o.text.find(kPlainL2tpDrop) != std::string::npos;
      if (!blocks)
        to_engine([e = first_error(o.text)](Impl&) {
          log_warning(DebugModule::ipsec,
                      "event=ipsec-kernel-block-missing error=" + (e.empty() ? "not listed" : e));
        });
    }
    Filter filter = sync_filter(p.filter);
    to_engine([err, pid, blocks, filter](Impl& self) {
      // The kernel guards from the moment charon has the drop policies and the filter is
      // in (or netfilter is not there to hold it); until then (and when the load failed)
      // the user-space guard does.
      self.stats_.kernel_block = blocks && filter != Filter::failed;
      self.stats_.l2tp_filter = filter == Filter::on;
      ++self.stats_.config_loads;
      if (self.options_.mode == DriverOptions::Mode::own)
        self.stats_.charon = pid > 0 ? "running (pid " + std::to_string(pid) + ")" : "not running";
      if (!err.empty()) {
        ++self.stats_.config_load_failures;
        self.stats_.last_load_error = err;
        log_error(DebugModule::ipsec, "event=ipsec-load-failed error=" + err);
        self.retry_load();
      } else {
        self.stats_.last_load_error.clear();
        log_info(DebugModule::ipsec, "event=ipsec-loaded");
      }
    });
  }
  // Worker thread: the plain-L2TP filter brought to `want` (its nft commands; "" for none).
  enum class Filter : std::uint8_t { off, on, unavailable, failed };
  Filter sync_filter(const std::string& want) {
    if (options_.nft.empty()) return Filter::unavailable;
    if (want.empty()) {
      if (filter_installed_) {
        Output o =
            run({options_.nft, render_plain_l2tp_filter_removal()}, {}, options_.swanctl_timeout);
        if (o.status != 0)
          to_engine([e = first_error(o.text)](Impl&) {
            log_error(DebugModule::ipsec, "event=ipsec-plain-l2tp-filter-remove-failed error=" + e);
          });
        filter_installed_ = false;
      }
      return Filter::off;
    }
    if (!nft_probed_) {
      // A kernel without nftables (or no nft tool): the kernel data path then takes plain
      // L2TP data from a protected peer's address; said once.
      nft_probed_ = true;
      Output o = run({options_.nft, "list", "tables"}, {}, options_.swanctl_timeout);
      nft_available_ = o.status == 0;
      if (!nft_available_)
        to_engine([e = first_error(o.text)](Impl&) {
          log_warning(DebugModule::ipsec,
                      "event=ipsec-plain-l2tp-filter-unavailable error=" + e +
                          " detail=\"no nftables: plain L2TP data to kernel data path sessions "
                          "is not filtered; user-space sessions are guarded in user space\"");
        });
    }
    if (!nft_available_) return Filter::unavailable;
    Output o = run({options_.nft, want}, {}, options_.swanctl_timeout);
    if (o.status != 0) {
      // nft applies its commands as one transaction: a filter already in stays as it was.
      to_engine([e = first_error(o.text)](Impl&) {
        log_error(DebugModule::ipsec, "event=ipsec-plain-l2tp-filter-failed error=" + e +
                                          " detail=\"the user-space guard stays on\"");
      });
      return Filter::failed;
    }
    filter_installed_ = true;
    return Filter::on;
  }
  // Attach mode, worker thread: charon holds connections and keys of others, which
  // `swanctl --load-all` would unload and clear. Ours are loaded one by one over VICI
  // (the keys under ids of our own), and what the configuration no longer has is
  // unloaded the same way.
  std::string load_attached(const std::string& conf) {
    auto parsed = vici::parse_conf(conf);
    if (!parsed) return "the rendered swanctl.conf does not parse";
    std::vector<vici::Request> requests = vici::load_requests(*parsed, kAttachedSecretPrefix);
    vici::Client client(options_.vici_uri, options_.swanctl_timeout);
    std::string err;
    std::vector<std::string> wanted;
    for (auto& r : requests) {
      wanted.push_back(r.name);
      auto res = client.call(r.command, r.message);
      if (!res.ok) {
        if (err.empty()) err = "VICI " + res.error;
        continue;
      }
      auto& held = r.command == "load-conn" ? attached_conns_ : attached_secrets_;
      if (std::find(held.begin(), held.end(), r.name) == held.end()) held.push_back(r.name);
    }
    if (auto e = unload_attached(wanted); err.empty()) err = e;
    return err;
  }
  // Unloads every connection and key of ours that `keep` does not name: the connection's
  // IKE SAs first (a responder's are not closed by the unload), then the connection (its
  // trap, shunt or started SA with it), then the keys. What fails stays listed as ours.
  std::string unload_attached(const std::vector<std::string>& keep) {
    vici::Client client(options_.vici_uri, options_.swanctl_timeout);
    std::string err;
    auto kept = [&](const std::string& n) {
      return std::find(keep.begin(), keep.end(), n) != keep.end();
    };
    auto drop = [&](std::vector<std::string>& held, auto&& unload) {
      std::vector<std::string> left;
      for (auto& n : held) {
        if (kept(n)) {
          left.push_back(n);
          continue;
        }
        auto res = unload(n);
        if (!res.ok) {
          if (err.empty()) err = "VICI " + res.error;
          left.push_back(n);
        }
      }
      held = std::move(left);
    };
    drop(attached_conns_, [&](const std::string& n) {
      // No SA of it is no failure; the unload decides.
      client.call("terminate", {vici::value("ike", n), vici::value("force", "yes"),
                                vici::value("timeout", "-1")});
      return client.call("unload-conn", {vici::value("name", n)});
    });
    drop(attached_secrets_, [&](const std::string& id) {
      return client.call("unload-shared", {vici::value("id", id)});
    });
    if (!err.empty())
      to_engine([err](Impl&) {
        log_warning(DebugModule::ipsec, "event=ipsec-unload-failed error=" + err);
      });
    return err;
  }
  // A failed load leaves charon without our connections (every client refused with
  // NO_PROPOSAL_CHOSEN): the newest configuration is loaded again until it takes, unless
  // a newer one is already on its way.
  void retry_load() {
    retry_timer_.expires_after(options_.load_retry);
    retry_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self) return;
      {
        std::lock_guard lock(self->mutex_);
        if (self->load_queued_) return;
        self->next_.conf = self->last_conf_;
        self->next_.strongswan = self->last_strongswan_;
        self->next_.wanted = !self->stats_.connections.empty();
        self->next_.filter = self->last_filter_;
        self->load_queued_ = true;
      }
      self->queue([raw = self.get()] { raw->load(); });
    });
  }
  void schedule_refresh() {
    // The SA list is what the user-space guard decides on: with the kernel guarding, the
    // displays read it when they are asked.
    if (refreshing_ || !guard_.active()) return;
    refreshing_ = true;
    timer_.expires_after(options_.refresh);
    timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self) return;
      self->refreshing_ = false;
      if (!self->guard_.active()) return;
      if (!self->stats_.kernel_block) self->refresh();
      self->schedule_refresh();
    });
  }
  std::shared_future<SaSnapshot> refresh() {
    auto promise = std::make_shared<std::promise<SaSnapshot>>();
    auto future = promise->get_future().share();
    if (list_pending_) {
      // One read at a time; a second caller gets the same answer.
      waiting_.push_back(promise);
      return future;
    }
    list_pending_ = true;
    waiting_.push_back(promise);
    queue([this] {
      SaSnapshot snap;
      if (options_.mode == DriverOptions::Mode::own && !charon_alive()) {
        snap.error = "charon is not running";
      } else {
        Output o = swanctl({"--list-sas", "--pretty", "--noblock"});
        if (o.status == 0) {
          snap.available = true;
          snap.sas = parse_list_sas(o.text);
        } else {
          snap.error = first_error(o.text);
        }
      }
      to_engine([snap](Impl& self) {
        self.list_pending_ = false;
        if (snap.available) {
          self.protected_ = protected_peers(snap.sas);
          self.ike_names_.clear();
          for (auto& sa : snap.sas) self.ike_names_[sa.uniqueid] = sa.name;
        }
        for (auto& p : self.waiting_) p->set_value(snap);
        self.waiting_.clear();
      });
    });
    return future;
  }
  // With the kernel guarding, its policies decide, at the moment of each datagram (plain
  // L2TP from a peer with no SA never reaches our socket; to it, sendmsg fails with
  // EPERM): the SA list may be seconds old, and would refuse a peer whose SA just came
  // up, or pass one whose SA just went.
  bool sendable(Ipv4 peer) const {
    return stats_.kernel_block || l2tp_admitted(guard_, peer, protected_);
  }
  bool admit(Ipv4 peer) {
    if (stats_.kernel_block || l2tp_admitted(guard_, peer, protected_)) return true;
    ++stats_.plain_l2tp_refused;
    debug_lazy(DebugModule::ipsec, DebugClass::error, [&] {
      return "Refused L2TP from " + peer.to_string() + ": no IPsec SA protects it";
    });
    // Re-read soon: the peer's SA may have come up since the last read.
    auto now = std::chrono::steady_clock::now();
    if (now - last_forced_ > std::chrono::milliseconds(500)) {
      last_forced_ = now;
      refresh();
    }
    return false;
  }
  // Terminates, then brings back the connections this end initiates (`restart`): charon
  // does not re-initiate what it was told to close, and the peer, answering only, would
  // never bring it back.
  std::string terminate(std::vector<std::vector<std::string>> commands,
                        std::vector<std::string> restart = {}) {
    queue([this, commands = std::move(commands), restart = std::move(restart)] {
      for (auto& c : commands) {
        Output o = swanctl(c);
        if (o.status != 0)
          to_engine([e = first_error(o.text)](Impl&) {
            log_warning(DebugModule::ipsec, "event=ipsec-reset-failed error=" + e);
          });
      }
      // Not waited for: charon goes on with the exchange after swanctl detaches.
      for (auto& name : restart) swanctl({"--initiate", "--child", name, "--timeout", "1"});
    });
    refresh();
    return {};
  }
  std::vector<std::string> initiated(const std::vector<std::string>& names) const {
    std::vector<std::string> out;
    for (auto& c : stats_.connections)
      if (c.initiator && std::find(names.begin(), names.end(), c.connection) != names.end())
        out.push_back(c.connection);
    return out;
  }

  boost::asio::io_context& io_;
  DriverOptions options_;
  boost::asio::steady_timer timer_, retry_timer_;
  // protocol thread
  bool kernel_block_ = false;
  GuardPolicy guard_;
  std::vector<Ipv4> protected_;
  std::map<std::uint32_t, std::string> ike_names_;  // IKE SA id -> connection, last read
  Statistics stats_;
  std::string last_conf_, last_strongswan_, last_filter_;
  bool refreshing_ = false, list_pending_ = false;
  std::vector<std::shared_ptr<std::promise<SaSnapshot>>> waiting_;
  std::chrono::steady_clock::time_point last_forced_{};
  // shared with the worker, under mutex_
  struct Pending {
    std::string conf, strongswan, filter;
    bool wanted = false, settings_changed = false;
  } next_;
  bool load_queued_ = false;
  // worker thread
  static constexpr const char* kAttachedSecretPrefix = "vpdnd-";
  std::vector<std::string> attached_conns_, attached_secrets_;  // loaded into an attached charon
  pid_t charon_pid_ = -1;
  std::uint64_t log_offset_ = 0;
  bool nft_probed_ = false, nft_available_ = false, filter_installed_ = false;
  std::thread worker_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
};

Driver::Driver(boost::asio::io_context& io, DriverOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(options))) {}
Driver::~Driver() {
  impl_->stop();
}
void Driver::apply(const config::RunningConfig& config) {
  impl_->apply(config);
}
std::shared_future<SaSnapshot> Driver::sas() {
  return impl_->refresh();
}
Statistics Driver::statistics() const {
  Statistics s = impl_->stats_;
  if (impl_->kernel_block_) {
    // A procfs read: it does not block on anything but the kernel.
    std::ifstream in(impl_->options_.xfrm_stat);
    std::stringstream text;
    text << in.rdbuf();
    if (auto b = parse_xfrm_stat(text.str())) {
      s.kernel_blocked_in = b->in;
      s.kernel_blocked_out = b->out;
    }
  }
  // One netlink request, like the procfs read above.
  if (s.l2tp_filter)
    if (auto n = read_plain_l2tp_filter_drops()) s.l2tp_filtered = *n;
  return s;
}
bool Driver::admit_l2tp(Ipv4 peer) {
  return impl_->admit(peer);
}
bool Driver::l2tp_sendable(Ipv4 peer) const {
  return impl_->sendable(peer);
}
std::string Driver::reset_ike(std::optional<std::uint32_t> id) {
  if (id) {
    std::vector<std::string> names;
    if (auto it = impl_->ike_names_.find(*id); it != impl_->ike_names_.end())
      names.push_back(it->second);
    return impl_->terminate({{"--terminate", "--ike-id", std::to_string(*id), "--force"}},
                            impl_->initiated(names));
  }
  std::vector<std::vector<std::string>> cmds;
  std::vector<std::string> names;
  for (auto& c : impl_->stats_.connections) {
    cmds.push_back({"--terminate", "--ike", c.connection, "--force"});
    names.push_back(c.connection);
  }
  if (cmds.empty()) return "% No IKE SA exists.";
  return impl_->terminate(std::move(cmds), impl_->initiated(names));
}
std::string Driver::reset_ipsec(const std::string& policy, std::optional<std::uint16_t> seq) {
  std::vector<std::vector<std::string>> cmds;
  std::vector<std::string> names;
  for (auto& c : impl_->stats_.connections)
    if (policy.empty() || (c.policy == policy && (!seq || c.sequence == *seq))) {
      cmds.push_back({"--terminate", "--child", c.connection, "--force"});
      names.push_back(c.connection);
    }
  if (cmds.empty()) return "% No IPsec SA matched.";
  return impl_->terminate(std::move(cmds), impl_->initiated(names));
}

}  // namespace vpdnd::ipsec
