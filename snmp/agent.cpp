// The AgentX subagent and our snmpd. Everything net-snmp runs on the agent's own thread
// (net-snmp is not thread-safe; its select loop blocks). The protocol thread only publishes
// the wanted snmpd.conf (an atomic pointer swap) and answers snapshot requests; spawning,
// restarting and reaping snmpd happens on the agent thread too, so a slow file system or a
// stuck snmpd never stalls the protocol thread.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/log.hpp"
#include "snmp/snmp.hpp"

// net-snmp's headers are C and must come in this order.
// clang-format off
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
// clang-format on

extern char** environ;

namespace vpdnd::snmp {
namespace {

void set_value(netsnmp_variable_list* vb, const Value& v) {
  switch (v.type) {
    case Value::Type::integer: {
      long n = static_cast<std::int32_t>(v.number);
      snmp_set_var_typed_value(vb, ASN_INTEGER, &n, sizeof n);
      break;
    }
    case Value::Type::gauge: {
      u_long n = v.number;
      snmp_set_var_typed_value(vb, ASN_GAUGE, &n, sizeof n);
      break;
    }
    case Value::Type::counter32: {
      u_long n = v.number;
      snmp_set_var_typed_value(vb, ASN_COUNTER, &n, sizeof n);
      break;
    }
    case Value::Type::counter64: {
      counter64 c{v.number >> 32, v.number & 0xffffffffu};
      snmp_set_var_typed_value(vb, ASN_COUNTER64, &c, sizeof c);
      break;
    }
    case Value::Type::octets:
      snmp_set_var_typed_value(vb, ASN_OCTET_STR, v.octets.data(), v.octets.size());
      break;
  }
}

std::vector<oid> to_net(const Oid& o) {
  return std::vector<oid>(o.begin(), o.end());
}

}  // namespace

struct Agent::Impl {
  AgentOptions options;
  SnapshotSource source;
  std::thread thread;
  std::atomic<bool> stopping{false};
  // What snmpd should run with: the rendered conf, or null = no snmpd.
  std::atomic<std::shared_ptr<const std::string>> wanted;
  std::atomic<bool> enabled{false};

  // ---- agent thread only ----
  std::string running_conf;
  pid_t snmpd_pid = -1;
  std::chrono::steady_clock::time_point last_start{};
  bool netsnmp_up = false;
  std::unique_ptr<L2tpMib> mib;
  std::chrono::steady_clock::time_point mib_taken{};
  std::optional<L2tpSnapshot> last_poll;
  std::chrono::steady_clock::time_point next_poll{};

  std::string socket_path() const {
    return options.attach_socket.empty() ? options.run_dir + "/agentx.sock" : options.attach_socket;
  }

  // ---- snmpd ----
  void stop_snmpd() {
    if (snmpd_pid <= 0) return;
    ::kill(snmpd_pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < 100 && ::waitpid(snmpd_pid, &status, WNOHANG) == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (::waitpid(snmpd_pid, &status, WNOHANG) == 0) {
      ::kill(snmpd_pid, SIGKILL);
      ::waitpid(snmpd_pid, &status, 0);
    }
    snmpd_pid = -1;
    running_conf.clear();
  }

  bool start_snmpd(const std::string& conf) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(options.run_dir, ec);
    ::chmod(options.run_dir.c_str(), 0700);
    // A fresh persistent directory each start: a removed USM user must not live on there.
    fs::remove_all(options.run_dir + "/persist", ec);
    fs::create_directories(options.run_dir + "/persist", ec);
    std::string path = options.run_dir + "/snmpd.conf";
    {
      int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (fd < 0) {
        log_error(DebugModule::l2tp, "event=snmpd-start error=\"cannot write " + path + "\"");
        return false;
      }
      ::fchmod(fd, 0600);
      bool ok = ::write(fd, conf.data(), conf.size()) == static_cast<ssize_t>(conf.size());
      ::close(fd);
      if (!ok) return false;
    }
    ::unlink(socket_path().c_str());
    std::string log = options.run_dir + "/snmpd.log";
    std::vector<std::string> args = {options.snmpd, "-f", "-C", "-c",   path,
                                     "-Lf",         log,  "-I", "-smux"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_store = {"SNMP_PERSISTENT_DIR=" + options.run_dir + "/persist",
                                          "MIBS=", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
    std::vector<char*> envp;
    for (auto& e : env_store) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    // snmpd gets default signal handling whatever this process blocks or ignores.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGHUP);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, argv[0], &fa, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    last_start = std::chrono::steady_clock::now();
    if (rc != 0) {
      log_error(DebugModule::l2tp, "event=snmpd-start error=\"cannot run " + options.snmpd + "\"");
      return false;
    }
    snmpd_pid = pid;
    running_conf = conf;
    log_info(DebugModule::l2tp, "event=snmpd-start pid=" + std::to_string(pid) + " conf=" + path);
    // Its AgentX socket, so the subagent's first connect succeeds.
    for (int i = 0; i < 100 && !fs::exists(socket_path(), ec); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return true;
  }

  void supervise() {
    if (!options.attach_socket.empty()) return;
    if (snmpd_pid > 0) {
      int status = 0;
      if (::waitpid(snmpd_pid, &status, WNOHANG) == snmpd_pid) {
        log_warning(DebugModule::l2tp, "event=snmpd-exit pid=" + std::to_string(snmpd_pid) +
                                           " status=" + std::to_string(status));
        snmpd_pid = -1;
        running_conf.clear();
      }
    }
    auto want = wanted.load();
    if (!want) return stop_snmpd();
    if (snmpd_pid > 0 && *want == running_conf) return;
    // Restarted (not HUPed): snmpd keeps USM users and listening sockets across a HUP.
    if (snmpd_pid > 0) stop_snmpd();
    if (std::chrono::steady_clock::now() - last_start < std::chrono::seconds(1)) return;
    start_snmpd(*want);
  }

  // ---- net-snmp ----
  static int handle(netsnmp_mib_handler* handler, netsnmp_handler_registration*,
                    netsnmp_agent_request_info* reqinfo, netsnmp_request_info* requests) {
    auto* self = static_cast<Impl*>(handler->myvoid);
    const L2tpMib* mib = self->current_mib();
    for (auto* r = requests; r; r = r->next) {
      if (r->processed) continue;
      auto* vb = r->requestvb;
      Oid name(vb->name, vb->name + vb->name_length);
      switch (reqinfo->mode) {
        case MODE_GET: {
          auto v = mib ? mib->get(name) : std::nullopt;
          if (v)
            set_value(vb, *v);
          else
            netsnmp_set_request_error(reqinfo, r, SNMP_NOSUCHINSTANCE);
          break;
        }
        case MODE_GETNEXT: {
          auto next = mib ? mib->get_next(name) : std::nullopt;
          if (!next) break;  // left unanswered: the agent goes on past the L2TP-MIB
          auto o = to_net(next->oid);
          snmp_set_var_objid(vb, o.data(), o.size());
          set_value(vb, next->value);
          break;
        }
        default:
          netsnmp_set_request_error(reqinfo, r, SNMP_ERR_NOTWRITABLE);
          break;
      }
    }
    return SNMP_ERR_NOERROR;
  }

  const L2tpMib* current_mib() {
    auto now = std::chrono::steady_clock::now();
    if (!mib || now - mib_taken > options.max_age) {
      auto snap = source(true);
      if (!snap) return mib.get();
      mib = std::make_unique<L2tpMib>(std::move(*snap));
      mib_taken = now;
    }
    return mib.get();
  }

  void start_netsnmp() {
    netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
    netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET,
                          socket_path().c_str());
    netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL, 1);
    // No SIGALRM (alarms run from this loop), no configuration or state files of our own.
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_ALARM_DONT_USE_SIG, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
    // Its state and (empty) MIB directory in the run directory: no MIB text is needed to
    // serve numeric OIDs, and nothing under /var/lib/snmp is touched.
    std::error_code ec;
    std::filesystem::create_directories(options.run_dir + "/subagent/mibs", ec);
    netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_PERSISTENT_DIR,
                          (options.run_dir + "/subagent").c_str());
    netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_CONFIGURATION_DIR,
                          (options.run_dir + "/subagent").c_str());
    netsnmp_set_mib_directory((options.run_dir + "/subagent/mibs").c_str());
    netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_WARNINGS, 0);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_ERRORS, 0);
    snmp_disable_log();
    snmp_enable_filelog((options.run_dir + "/subagent.log").c_str(), 0);
    init_agent("vpdnd");
    auto root = to_net(l2tp_mib_root());
    auto* reg = netsnmp_create_handler_registration("vpdndL2tpMib", handle, root.data(),
                                                    root.size(), HANDLER_CAN_RONLY);
    reg->handler->myvoid = this;
    netsnmp_register_handler(reg);
    init_snmp("vpdnd");
    netsnmp_up = true;
  }

  void send(const Notification& n) {
    static const oid trap_oid_name[] = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0};  // snmpTrapOID.0
    netsnmp_variable_list* vars = nullptr;
    auto trap = to_net(n.trap_oid);
    snmp_varlist_add_variable(&vars, trap_oid_name, OID_LENGTH(trap_oid_name), ASN_OBJECT_ID,
                              trap.data(), trap.size() * sizeof(oid));
    for (auto& vb : n.varbinds) {
      auto name = to_net(vb.oid);
      auto* v = snmp_varlist_add_variable(&vars, name.data(), name.size(), ASN_NULL, nullptr, 0);
      if (v) set_value(v, vb.value);
    }
    send_v2trap(vars);
    snmp_free_varbind(vars);
  }

  void poll() {
    auto now = std::chrono::steady_clock::now();
    if (now < next_poll) return;
    next_poll = now + options.poll;
    if (!enabled.load()) {
      last_poll.reset();
      return;
    }
    auto snap = source(false);
    if (!snap) return;
    if (last_poll)
      for (auto& n : notifications_between(*last_poll, *snap)) send(n);
    last_poll = std::move(snap);
  }

  void run() {
    while (!stopping.load()) {
      supervise();
      if (!netsnmp_up && (wanted.load() || !options.attach_socket.empty())) start_netsnmp();
      if (!netsnmp_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        continue;
      }
      int numfds = 0, block = 0;
      fd_set fds;
      FD_ZERO(&fds);
      timeval tv{0, 200000};
      snmp_select_info(&numfds, &fds, &tv, &block);
      // At most 200 ms asleep: supervision, polling and stop() are handled between selects.
      if (block || tv.tv_sec > 0 || tv.tv_usec > 200000) tv = {0, 200000};
      int count = ::select(numfds, &fds, nullptr, nullptr, &tv);
      if (count > 0)
        snmp_read(&fds);
      else if (count == 0)
        snmp_timeout();
      run_alarms();
      netsnmp_check_outstanding_agent_requests();
      poll();
    }
    if (netsnmp_up) snmp_shutdown("vpdnd");
    netsnmp_up = false;
    stop_snmpd();
  }
};

Agent::Agent(AgentOptions options, SnapshotSource source) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->source = std::move(source);
}

Agent::~Agent() {
  stop();
}

void Agent::apply(const config::RunningConfig& config) {
  auto& self = *impl_;
  bool on = config.snmp.enabled;
  self.enabled.store(on || !self.options.attach_socket.empty());
  if (self.options.attach_socket.empty()) {
    RenderOptions r{self.socket_path(), self.options.listen};
    self.wanted.store(on ? std::make_shared<const std::string>(render_snmpd_conf(config.snmp, r))
                         : nullptr);
  }
  if (!self.thread.joinable() && self.enabled.load() && !self.stopping.load())
    self.thread = std::thread([&self] { self.run(); });
}

void Agent::stop() {
  if (!impl_) return;
  impl_->stopping.store(true);
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace vpdnd::snmp
