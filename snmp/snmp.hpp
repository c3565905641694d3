// DOC: SNMP through net-snmp. vpdnd never implements the SNMP protocol: it runs its own
// snmpd from the running config's `snmp-agent ...` settings (render_snmpd_conf: listening
// port, communities by version, USM users, trap targets, an AgentX socket in a private
// 0700 directory) and is an AgentX subagent of it, serving the L2TP-MIB (RFC 3371,
// 1.3.6.1.2.1.10.95) and sending notifications on tunnel up/down (IF-MIB linkUp/linkDown
// for the tunnel's interface index) and on reaching the L2TP session limit.
//
// What the MIB shows is the same data `display l2tp tunnel/session` shows: an L2tpSnapshot
// taken on the protocol thread. Tunnel "interfaces" have no Linux interface: their ifIndex is
// kTunnelIfIndexBase + local tunnel id (l2tpTunnelMapTable maps one to the other).
//
// Threads: render_snmpd_conf, L2tpMib and notifications_between are pure. Agent::apply
// runs on the protocol thread and only renders, writes files and starts/stops snmpd (a child
// process). net-snmp's agent library is not thread-safe and blocks in select(): it runs on
// the Agent's own thread, which is the only one that calls it. That thread asks the engine
// thread for snapshots through the SnapshotSource (which posts and waits, bounded), never
// touching protocol state itself; the protocol thread never waits for the SNMP thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "startup-config/model.hpp"
#include "vpdn/status.hpp"

namespace vpdnd::snmp {

using Oid = std::vector<std::uint32_t>;
std::string to_string(const Oid& oid);  // "1.3.6.1.2.1.10.95"

inline constexpr std::uint32_t kTunnelIfIndexBase = 0x40000000;
// 1.3.6.1.2.1.10.95: L2TP-MIB (RFC 3371).
const Oid& l2tp_mib_root();
// 1.3.6.1.4.1.8072.9999.9999.1701.0.1: vpdndL2tpSessionLimitReached, in net-snmp's playpen
// for local MIBs (vpdnd has no enterprise number). Varbinds: the ...1701.1.1 (sessions now,
// Gauge32) and ...1701.1.2 (the limit, Gauge32) scalars, instance 0.
const Oid& session_limit_notification();

// What the MIB and the notifications read: taken on the protocol thread.
struct L2tpSnapshot {
  bool l2tp_enabled = false;
  std::vector<vpdn::TunnelStatus> tunnels;
  std::vector<vpdn::SessionStatus> sessions;  // empty when not asked for
  // The smallest `l2tp session-limit` that applies to the whole box (global), if any.
  std::optional<std::uint32_t> session_limit;
  std::uint32_t session_count = 0;  // sessions up now (statistics' sessions_up)
};

struct Value {
  enum class Type : std::uint8_t { integer, gauge, counter32, counter64, octets } type;
  std::uint64_t number = 0;  // integer: as int32 bits
  std::string octets;
  static Value integer(std::int64_t v) {
    return {Type::integer, static_cast<std::uint64_t>(static_cast<std::int32_t>(v)), {}};
  }
  static Value gauge(std::uint64_t v) { return {Type::gauge, v & 0xffffffffu, {}}; }
  static Value counter(std::uint64_t v) { return {Type::counter32, v & 0xffffffffu, {}}; }
  static Value string(std::string s) { return {Type::octets, 0, std::move(s)}; }
  bool operator==(const Value&) const = default;
};

struct Varbind {
  Oid oid;
  Value value;
};

// The L2TP-MIB over one snapshot: the scalars, l2tpTunnelConfigTable (.1.4),
// l2tpTunnelStatsTable (.1.5), l2tpSessionStatsTable (.1.7) and l2tpTunnelMapTable (.1.8),
// the columns vpdnd knows. Rows are indexed as the RFC says; lookups are O(log n) without
// materialising every cell.
class L2tpMib {
 public:
  explicit L2tpMib(L2tpSnapshot snapshot);
  std::optional<Value> get(const Oid& oid) const;
  // The first object after `oid` in the L2TP-MIB, nullopt past its end.
  std::optional<Varbind> get_next(const Oid& oid) const;
  const L2tpSnapshot& snapshot() const { return snapshot_; }

 private:
  L2tpSnapshot snapshot_;
  std::vector<std::size_t> tunnel_order_;   // by local id
  std::vector<std::size_t> session_order_;  // by (tunnel ifIndex, local session id)
  std::vector<bool> tunnel_is_lac_;         // by session_order_ position
};

// A notification to send: snmpTrapOID and its varbinds.
struct Notification {
  Oid trap_oid;
  std::vector<Varbind> varbinds;
};
// The notifications the change from `before` to `after` calls for: linkUp for a tunnel
// now established (ifIndex, ifAdminStatus, ifOperStatus of its interface, then its
// l2tpTunnelStatsLocalTID, RemoteTID and RemoteHostName), linkDown for an established
// tunnel now gone or stopping, and the session-limit notification when the session count
// reaches the limit (again only after it fell below).
std::vector<Notification> notifications_between(const L2tpSnapshot& before,
                                                const L2tpSnapshot& after);

struct RenderOptions {
  std::string agentx_socket;  // unix socket path the subagent connects to
  std::string listen;         // "udp:161"; empty: udp:<config port>
};
// snmpd.conf for our own snmpd. Communities and USM keys in it: written 0600.
std::string render_snmpd_conf(const config::SnmpConfig& config, const RenderOptions& options);

struct AgentOptions {
  // Where vpdnd keeps its snmpd's files (snmpd.conf 0600, the AgentX socket, the log,
  // snmpd's persistent state); created 0700.
  std::string run_dir = "/run/vpdnd/snmp";
  std::string snmpd = "/usr/sbin/snmpd";
  // attach: be a subagent of an snmpd already running (its AgentX master socket) instead
  // of running our own; the snmp-agent settings are then that snmpd's business.
  std::string attach_socket;
  // Override of the listen address (`--snmp-listen`, e.g. "udp:127.0.0.1:16161").
  std::string listen;
  std::chrono::milliseconds poll{1000};     // how often tunnel state is compared for traps
  std::chrono::milliseconds max_age{1000};  // a MIB snapshot older than this is re-taken
};

// Called on the agent's thread: the snapshot (with sessions when asked), taken on the
// protocol thread; nullopt when the engine did not answer in time (then nothing is served).
using SnapshotSource = std::function<std::optional<L2tpSnapshot>(bool with_sessions)>;

class Agent {
 public:
  Agent(AgentOptions options, SnapshotSource source);
  ~Agent();  // stops the thread and our snmpd
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;
  // Protocol thread: (re)render snmpd.conf; start, restart or stop our snmpd as it changed.
  void apply(const config::RunningConfig& config);
  // Stops the subagent thread (before whatever the SnapshotSource reaches goes away).
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vpdnd::snmp
