// DOC: vpdnd's main. Parses the flags, starts the protocol thread (one io_context owning the
// running config and every protocol engine), loads the startup config through the same
// command parser as the shell, builds and starts the Services on the protocol thread, then
// opens the console, the telnet and the SSH servers. SIGINT/SIGTERM/SIGQUIT (a handler installed
// once, for the whole life of the process, that writes to a self-pipe main sleeps on) shut down in
// order: terminals first (no more commands), then the engines (Services::shutdown: StopCCN, CDN,
// accounting stop, PADT; bounded to ~3 s), then the protocol thread; exit status 0.
//
// Data plane: --data-plane auto|user-space|kernel (default auto: the kernel's L2TP/PPP path
// where the l2tp genetlink family, PPPoL2TP sockets and /dev/ppp exist, else user space over
// TUN). `kernel` on a kernel without them logs an error and runs in user space; the choice
// and the reason are in the start-up log and `display l2tp statistics`.
//
// Startup config: --config FILE; otherwise /etc/vpdnd/startup.cfg when it exists; otherwise
// the bundled startup-config/default.cfg (found at the source path compiled in, or next to
// the executable's parent directory). `save` writes to --config FILE when given, else to
// /etc/vpdnd/startup.cfg: the bundled default is never overwritten.
//
// Safe defaults: telnet and SSH listen on 127.0.0.1 unless --telnet-bind/--ssh-bind say
// otherwise (SSH logins also need `ssh server enable`; its host keys, created at first
// start, are ssh_host_{rsa,ecdsa}_key beside the config `save` writes), and the bundled
// default config holds no secret: when it (or an unchanged copy, such as the packaged
// /etc/vpdnd/startup.cfg) is the config loaded, every local user without a password and
// every LNS group with tunnel authentication but no tunnel password get a random one for
// this run, shown once on the console (a terminal; never in a log).
//
// Descriptors: the soft RLIMIT_NOFILE is raised to the hard limit at start (logged), since
// every LNS session in the kernel holds descriptors of its own.
//
// systemd (Type=notify): READY=1 once the startup config is loaded and the engines and the
// terminal servers listen, STOPPING=1 when a stop signal arrives (app/sd_notify.hpp).
//
// Stop-accounting buffer file (RADIUS Stops no server answered, re-sent after a restart):
// --stop-accounting-buffer FILE; otherwise stop-accounting.buf in the directory `save`
// writes to (/etc/vpdnd/stop-accounting.buf, or beside --config FILE).
#include <fcntl.h>
#include <openssl/rand.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/sd_notify.hpp"
#include "app/services.hpp"
#include "app/services/descriptor_limit.hpp"
#include "app/services/kernel_port.hpp"
#include "cli/cli.hpp"
#include "cli/front.hpp"
#include "cli/front/ssh_keys.hpp"
#include "common/log.hpp"
#include "common/protocol_thread.hpp"
#include "common/timer.hpp"
#include "snmp/snmp.hpp"
#include "startup-config/model.hpp"

#ifndef VPDND_VERSION
#define VPDND_VERSION "0.0.0"
#endif
#ifndef VPDND_DEFAULT_CONFIG
#define VPDND_DEFAULT_CONFIG "startup-config/default.cfg"
#endif

namespace {

constexpr const char* kSystemConfig = "/etc/vpdnd/startup.cfg";
constexpr auto kShutdownBound = std::chrono::seconds(3);

struct Options {
  std::string config;  // empty: default search
  int telnet_port = 23;
  bool telnet_port_given = false;
  std::string telnet_bind = "127.0.0.1";
  int ssh_port = 22;
  bool ssh_port_given = false;
  std::string ssh_bind = "127.0.0.1";
  bool console = true;
  vpdnd::app::DataPlaneChoice data_plane = vpdnd::app::DataPlaneChoice::automatic;
  std::string stop_accounting_buffer;  // empty: beside the config `save` writes
  vpdnd::ipsec::DriverOptions ipsec;
  vpdnd::snmp::AgentOptions snmp;
};

void usage(std::FILE* out) {
  std::fprintf(out,
               "Usage: vpdnd [OPTIONS]\n"
               "VPDN appliance: L2TPv2 LAC/LNS with a Comware shell on the console and telnet.\n\n"
               "  --config FILE        startup config (default %s when it exists,\n"
               "                       else the bundled startup-config/default.cfg)\n"
               "  --telnet-port N      telnet server port (default 23; 0 = no telnet server)\n"
               "  --telnet-bind ADDR   telnet server address (default 127.0.0.1; 0.0.0.0 = all)\n"
               "  --ssh-port N         SSH server port (default 22; 0 = no SSH server); logins\n"
               "                       also need `ssh server enable` in the config\n"
               "  --ssh-bind ADDR      SSH server address (default 127.0.0.1; 0.0.0.0 = all)\n"
               "  --no-console         no shell on the terminal (services, tests)\n"
               "  --data-plane MODE    auto (default), user-space or kernel: where LNS\n"
               "                       sessions' packets are switched. auto = kernel when\n"
               "                       the l2tp genetlink family, PPPoL2TP and /dev/ppp\n"
               "                       exist, else user space (TUN); kernel when they do not:\n"
               "                       an error is logged and user space is used\n"
               "  --stop-accounting-buffer FILE\n"
               "                       where unanswered accounting Stops are kept across\n"
               "                       restarts (default stop-accounting.buf beside the\n"
               "                       config file `save` writes)\n"
               "  --ipsec-run-dir DIR  where vpdnd's own strongSwan charon keeps its files\n"
               "                       (default /run/vpdnd/ipsec: strongswan.conf,\n"
               "                       swanctl.conf 0600, VICI socket, log)\n"
               "  --ipsec-attach URI   use a charon already running (its VICI socket,\n"
               "                       e.g. unix:///var/run/charon.vici) instead\n"
               "  --ipsec-libipsec     our charon does ESP in user space (kernel-libipsec,\n"
               "                       tunnel mode only) where the kernel has no XFRM\n"
               "  --snmp-run-dir DIR   where vpdnd's own snmpd keeps its files (default\n"
               "                       /run/vpdnd/snmp: snmpd.conf 0600, AgentX socket, logs)\n"
               "  --snmp-attach PATH   serve the L2TP-MIB to an snmpd already running (its\n"
               "                       AgentX master socket, e.g. /var/agentx/master) instead\n"
               "                       of running our own from the snmp-agent settings\n"
               "  --snmp-listen ADDR   our snmpd's listening address instead of udp:PORT\n"
               "                       (`snmp-agent port`), e.g. udp:127.0.0.1:16161\n"
               "  --version            print the version and exit\n"
               "  --help               this text\n",
               kSystemConfig);
}

// Returns nullopt after printing why (or after --help/--version with *exit_code set).
std::optional<Options> parse(int argc, char** argv, int* exit_code) {
  Options o;
  // Options whose value is kept as given; `required`: an empty value is refused.
  struct TextOption {
    const char* flag;
    std::string* out;
    bool required;
  };
  const TextOption texts[] = {{"--config", &o.config, false},
                              {"--ssh-bind", &o.ssh_bind, false},
                              {"--telnet-bind", &o.telnet_bind, false},
                              {"--stop-accounting-buffer", &o.stop_accounting_buffer, true},
                              {"--ipsec-run-dir", &o.ipsec.run_dir, true},
                              {"--snmp-run-dir", &o.snmp.run_dir, true},
                              {"--snmp-attach", &o.snmp.attach_socket, true},
                              {"--snmp-listen", &o.snmp.listen, true}};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* flag) -> std::optional<std::string> {
      std::string prefix = std::string(flag) + "=";
      if (a.rfind(prefix, 0) == 0) return a.substr(prefix.size());
      if (i + 1 < argc) return std::string(argv[++i]);
      std::fprintf(stderr, "vpdnd: %s needs a value\n", flag);
      return std::nullopt;
    };
    auto is = [&](const char* flag) {
      return a == flag || a.rfind(std::string(flag) + "=", 0) == 0;
    };
    // A TCP port (0: any free one) into `port`, `given` set; false after saying why not.
    auto port_value = [&](const char* flag, int& port, bool& given) {
      auto v = value(flag);
      if (!v) return false;
      char* end = nullptr;
      long p = std::strtol(v->c_str(), &end, 10);
      if (v->empty() || *end != '\0' || p < 0 || p > 65535) {
        std::fprintf(stderr, "vpdnd: %s: '%s' is not a port number (0-65535)\n", flag, v->c_str());
        return false;
      }
      port = static_cast<int>(p);
      given = true;
      return true;
    };
    const auto text = std::find_if(std::begin(texts), std::end(texts),
                                   [&](const TextOption& t) { return is(t.flag); });
    if (text != std::end(texts)) {
      auto v = value(text->flag);
      if (!v || (text->required && v->empty())) return std::nullopt;
      *text->out = *v;
    } else if (a == "--help" || a == "-h") {
      usage(stdout);
      *exit_code = 0;
      return std::nullopt;
    } else if (a == "--version") {
      std::printf("vpdnd %s\n", VPDND_VERSION);
      *exit_code = 0;
      return std::nullopt;
    } else if (a == "--no-console") {
      o.console = false;
    } else if (is("--telnet-port")) {
      if (!port_value("--telnet-port", o.telnet_port, o.telnet_port_given)) return std::nullopt;
    } else if (is("--ssh-port")) {
      if (!port_value("--ssh-port", o.ssh_port, o.ssh_port_given)) return std::nullopt;
    } else if (is("--data-plane")) {
      auto v = value("--data-plane");
      if (!v) return std::nullopt;
      auto c = vpdnd::app::parse_data_plane(*v);
      if (!c) {
        std::fprintf(stderr, "vpdnd: --data-plane: '%s' is not auto, user-space or kernel\n",
                     v->c_str());
        return std::nullopt;
      }
      o.data_plane = *c;
    } else if (is("--ipsec-attach")) {
      auto v = value("--ipsec-attach");
      if (!v || v->empty()) return std::nullopt;
      o.ipsec.mode = vpdnd::ipsec::DriverOptions::Mode::attach;
      o.ipsec.vici_uri = *v;
    } else if (a == "--ipsec-libipsec") {
      o.ipsec.extra_plugins.push_back("kernel-libipsec");
    } else {
      std::fprintf(stderr, "vpdnd: unknown option '%s' (try --help)\n", a.c_str());
      return std::nullopt;
    }
  }
  return o;
}

std::string bundled_default_config(const char* argv0) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(VPDND_DEFAULT_CONFIG, ec)) return VPDND_DEFAULT_CONFIG;
  // Fallback: build/vpdnd next to a source tree, or an installed share directory.
  char self[PATH_MAX] = {};
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  fs::path exe = n > 0 ? fs::path(std::string(self, static_cast<std::size_t>(n))) : fs::path(argv0);
  for (fs::path candidate : {exe.parent_path().parent_path() / "startup-config" / "default.cfg",
                             exe.parent_path() / "startup-config" / "default.cfg",
                             fs::path("/usr/share/vpdnd/default.cfg")}) {
    if (fs::exists(candidate, ec)) return candidate.string();
  }
  return VPDND_DEFAULT_CONFIG;
}

// 12 characters from an alphabet without look-alikes (0/O, 1/l/I): typed from a screen.
std::optional<std::string> random_secret() {
  static constexpr char kAlphabet[] = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
  constexpr unsigned kSize = sizeof kAlphabet - 1;
  std::string out;
  while (out.size() < 12) {
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1) return std::nullopt;
    for (unsigned char c : b)
      if (c < 256 / kSize * kSize && out.size() < 12)
        out += kAlphabet[c % kSize];  // no modulo bias
  }
  return out;
}

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  return std::filesystem::equivalent(a, b, ec);
}

// The bundled default, or a copy of it (the Debian package installs it unchanged as the
// conffile /etc/vpdnd/startup.cfg): either way it holds no secret.
bool is_bundled_default(const std::string& path, const std::string& bundled) {
  if (same_file(path, bundled)) return true;
  std::ifstream a(path, std::ios::binary), b(bundled, std::ios::binary);
  if (!a || !b) return false;
  std::string ta{std::istreambuf_iterator<char>(a), {}}, tb{std::istreambuf_iterator<char>(b), {}};
  return ta == tb;
}

// Gives the bundled default's users and LNS groups their secrets (see the DOC above).
// Returns the lines to show once: "local-user admin password: ...".
std::vector<std::string> fill_default_secrets(vpdnd::config::ConfigStore& store) {
  using namespace vpdnd::config;
  std::vector<std::string> shown;
  std::vector<ConfigChange> changes;
  store.edit(changes, [&](RunningConfig& c) {
    std::vector<std::string> names;
    for (auto& [name, user] : c.local_users)
      if (user.password.empty()) names.push_back(name);
    for (auto& name : names) {
      auto s = random_secret();
      if (!s) break;
      c.local_users.at(name).password.plain = *s;
      shown.push_back("local-user " + name + " password: " + *s);
      changes.push_back({ConfigSection::local_user, name});
    }
    std::vector<std::uint16_t> numbers;
    for (auto& [number, group] : c.l2tp_groups)
      if (group.is_lns() && group.tunnel_authentication && group.tunnel_password.empty())
        numbers.push_back(number);
    for (auto number : numbers) {
      auto s = random_secret();
      if (!s) break;
      c.l2tp_groups.at(number).tunnel_password.plain = *s;
      shown.push_back("l2tp-group " + std::to_string(number) + " tunnel password: " + *s);
      changes.push_back({ConfigSection::l2tp_group, std::to_string(number)});
    }
    return std::string();
  });
  return shown;
}

void report(const std::string& text, int priority) {
  std::fprintf(stderr, "%s\n", text.c_str());
  ::syslog(priority, "%s", text.c_str());
}

// The stop signals' handler stays installed until the process exits: after the first signal
// main is shutting down and later ones (a second Ctrl+\\, an init system's repeated TERM)
// land in the pipe and are ignored. A handler that is removed and replaced by SIG_IGN leaves
// a moment with the default action, in which a repeated signal kills the process half way
// through its cleanup.
int stop_pipe[2] = {-1, -1};

extern "C" void on_stop_signal(int number) {
  int saved = errno;
  auto byte = static_cast<unsigned char>(number);
  (void)!::write(stop_pipe[1], &byte, 1);  // full pipe: a stop is already pending
  errno = saved;
}

bool install_stop_signals() {
  if (::pipe2(stop_pipe, O_CLOEXEC) != 0) return false;
  ::fcntl(stop_pipe[1], F_SETFL, O_NONBLOCK);
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (int number : {SIGINT, SIGTERM, SIGQUIT})
    if (::sigaction(number, &action, nullptr) != 0) return false;
  return true;
}

int wait_stop_signal() {
  unsigned char byte = 0;
  while (::read(stop_pipe[0], &byte, 1) != 1) {
  }
  return byte;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace vpdnd;
  int exit_code = 2;
  auto options = parse(argc, argv, &exit_code);
  if (!options) return exit_code;

  std::signal(SIGPIPE, SIG_IGN);
  // Before any thread starts, so that every thread inherits the same disposition.
  if (!install_stop_signals()) {
    std::perror("vpdnd: signal handlers");
    return 1;
  }
  ::openlog("vpdnd", LOG_PID, LOG_DAEMON);
  LogBus::instance().set_syslog(true);
  // Before any descriptor is opened or thread started: kernel sessions hold descriptors.
  const app::DescriptorLimit fd_limit = app::raise_descriptor_limit();

  std::error_code ec;
  std::string load_path = options->config;
  std::string save_path = options->config;
  if (load_path.empty()) {
    save_path = kSystemConfig;
    load_path = std::filesystem::exists(kSystemConfig, ec) ? kSystemConfig
                                                           : bundled_default_config(argv[0]);
  }

  ProtocolThread engine;
  config::ConfigStore store;
  AsioTimerService timers(engine.io());
  engine.start();

  app::ServicesOptions service_options;
  service_options.data_plane = options->data_plane;
  service_options.stop_accounting_buffer = options->stop_accounting_buffer;
  service_options.ipsec = options->ipsec;
  if (service_options.stop_accounting_buffer.empty()) {
    std::filesystem::path dir = std::filesystem::path(save_path).parent_path();
    service_options.stop_accounting_buffer =
        (dir.empty() ? std::filesystem::path(".") : dir) / "stop-accounting.buf";
  }
  std::unique_ptr<app::Services> services =
      engine.call([&] { return app::make_services(engine, store, timers, service_options); });
  if (fd_limit.error.empty())
    log_info(DebugModule::l2tp, app::describe(fd_limit));
  else
    log_warning(DebugModule::l2tp, app::describe(fd_limit));
  cli::ShellContext shell{engine, store, services->operations(), save_path};

  auto loaded = cli::load_config_file(shell, load_path);
  if (!loaded.file_found) {
    report(
        "vpdnd: startup config " + load_path + " not found; running with the default configuration",
        LOG_WARNING);
  } else {
    for (auto& w : loaded.warnings) report(w, LOG_WARNING);
    for (auto& e : loaded.errors) report(e, LOG_ERR);
    std::fprintf(stderr, "vpdnd: loaded %s (%zu lines, %zu errors, %zu warnings)\n",
                 load_path.c_str(), loaded.lines, loaded.errors.size(), loaded.warnings.size());
  }
  if (loaded.file_found && is_bundled_default(load_path, bundled_default_config(argv[0]))) {
    auto shown = engine.call([&] { return fill_default_secrets(store); });
    if (!shown.empty() && ::isatty(2)) {
      std::string text =
          "vpdnd: the bundled default config holds no secrets; generated for this run "
          "(shown once: set your own and `save`):\n";
      for (auto& line : shown) text += "  " + line + "\n";
      std::fputs(text.c_str(), stderr);  // the terminal only: never syslog
    } else if (!shown.empty()) {
      report(
          "vpdnd: the bundled default config holds no secrets; random ones were set and are not "
          "shown "
          "(stderr is not a terminal): set them on the console",
          LOG_WARNING);
    }
  }
  LogBus::instance().set_sysname(engine.call([&] { return store.running().sysname; }));
  engine.call([&] { services->start(); });

  // SNMP: our snmpd and the L2TP-MIB subagent. Its thread asks for snapshots here, taken on
  // the protocol thread; a bounded wait, so a stopped engine only makes the MIB empty.
  cli::Operations& ops = services->operations();
  snmp::Agent snmp_agent(options->snmp, [&engine, &store, &ops](bool with_sessions) {
    auto done = std::make_shared<std::promise<snmp::L2tpSnapshot>>();
    auto result = done->get_future();
    engine.post([done, with_sessions, &store, &ops] {
      snmp::L2tpSnapshot s;
      s.l2tp_enabled = store.running().l2tp.enabled;
      s.session_limit = store.running().l2tp.session_limit;
      s.tunnels = ops.l2tp_tunnels();
      if (with_sessions) s.sessions = ops.l2tp_sessions();
      s.session_count = static_cast<std::uint32_t>(ops.l2tp_statistics().sessions_up);
      done->set_value(std::move(s));
    });
    if (result.wait_for(std::chrono::seconds(2)) != std::future_status::ready)
      return std::optional<snmp::L2tpSnapshot>{};
    return std::optional<snmp::L2tpSnapshot>(result.get());
  });
  // Released after the protocol thread has stopped (declared after snmp_agent, so before it).
  config::Subscription snmp_config;
  engine.call([&] {
    snmp_agent.apply(store.running());
    snmp_config = store.subscribe([&snmp_agent](const config::ConfigChange& change,
                                                const config::RunningConfig&,
                                                const config::RunningConfig& running) {
      if (change.section == config::ConfigSection::snmp) snmp_agent.apply(running);
    });
  });

  // Services::shutdown (StopCCN, CDN, accounting stop, PADT) bounded to kShutdownBound, then
  // the protocol thread stops.
  auto shutdown_engines = [&] {
    auto done = std::make_shared<std::promise<void>>();
    auto finished = done->get_future();
    engine.post([&services, done] {
      services->shutdown([done] {
        try {
          done->set_value();
        } catch (const std::future_error&) {
        }
      });
    });
    if (finished.wait_for(kShutdownBound) != std::future_status::ready)
      report("vpdnd: engines did not finish shutting down within 3 s; exiting anyway", LOG_WARNING);
    engine.call([&] { services.reset(); });
    engine.stop();
  };

  cli::FrontContext front{engine, store,
                          [&shell](cli::SessionOrigin origin, const std::string& user) {
                            return cli::make_command_session(shell, origin, user);
                          }};
  // A terminal server on its port. The default port needs privileges: without them vpdnd
  // runs on without that server (console only); a port the operator chose and vpdnd cannot
  // have is fatal (false).
  auto start_server = [&](auto& server, const char* name, const char* flag, const std::string& bind,
                          int port, bool port_given) {
    std::string err = server->start(bind, static_cast<std::uint16_t>(port));
    if (err.empty()) {
      std::fprintf(stderr, "vpdnd: %s server on %s:%u\n", name, bind.c_str(), server->port());
      return true;
    }
    server.reset();
    if (port_given) {
      report("vpdnd: " + err, LOG_ERR);
      return false;
    }
    report("vpdnd: " + err + "; no " + name + " server (give " + flag + " to choose another port)",
           LOG_WARNING);
    return true;
  };
  std::unique_ptr<cli::TelnetServer> telnet;
  if (options->telnet_port != 0) {
    telnet = std::make_unique<cli::TelnetServer>(front);
    if (!start_server(telnet, "telnet", "--telnet-port", options->telnet_bind, options->telnet_port,
                      options->telnet_port_given)) {
      snmp_agent.stop();
      shutdown_engines();
      return 1;
    }
  }
  // The SSH host keys live beside the config `save` writes (created there at first start).
  std::filesystem::path key_dir = std::filesystem::path(save_path).parent_path();
  cli::process_host_keys().set_directory(
      (key_dir.empty() ? std::filesystem::path(".") : key_dir).string());
  std::unique_ptr<cli::SshServer> ssh;
  if (options->ssh_port != 0) {
    ssh = std::make_unique<cli::SshServer>(front);
    if (!start_server(ssh, "SSH", "--ssh-port", options->ssh_bind, options->ssh_port,
                      options->ssh_port_given)) {
      if (telnet) telnet->stop();
      snmp_agent.stop();
      shutdown_engines();
      return 1;
    }
  }
  std::unique_ptr<cli::ConsoleShell> console;
  if (options->console) {
    console = std::make_unique<cli::ConsoleShell>(front);
    console->start(0, 1);
  }

  vpdnd::app::sd_notify_message("READY=1\nSTATUS=running\nMAINPID=" + std::to_string(::getpid()) +
                                "\n");

  // SIGQUIT too: on the console Ctrl+C is a key (it stops a listing, as on Comware), so
  // Ctrl+\ is how an operator at the daemon's own terminal stops it gracefully.
  int number = wait_stop_signal();
  log_info(DebugModule::l2tp,
           std::string("event=shutdown signal=") + (number == SIGINT    ? "SIGINT"
                                                    : number == SIGQUIT ? "SIGQUIT"
                                                                        : "SIGTERM"));
  vpdnd::app::sd_notify_message("STOPPING=1\n");
  if (console) console->stop();
  if (ssh) ssh->stop();
  if (telnet) telnet->stop();

  snmp_agent.stop();  // before the engines its snapshots come from
  shutdown_engines();
  ::closelog();
  return 0;
}
