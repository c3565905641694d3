// DOC: the typed running-config model: one struct per Comware configuration node. The CLI
// and the startup-config loader edit it (through the same command path) on the engine
// thread; engines read it there and are told what changed through ConfigStore listeners.
// Secrets are held in clear in memory (the protocols need them) as `Secret`, and are only
// ever printed in cipher form (see secret.hpp).
//
// Stability rule for the modules that read this header: fields may be added, never renamed
// or removed without updating every reader in the same commit.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/ipv4.hpp"
#include "startup-config/cow_map.hpp"
#include "startup-config/interface_name.hpp"
#include "startup-config/ipsec.hpp"
#include "startup-config/secret_type.hpp"
#include "startup-config/snmp.hpp"

namespace vpdnd::config {

// ---- L2TP --------------------------------------------------------------------------

enum class MatchOrder { dnis_domain, dnis_only, domain_dnis, domain_only };
enum class GroupMode { unspecified, lac, lns };  // V7 `mode`; V5 derives it from the commands
enum class LacMatchKind { none, domain, dnis, fullusername };

struct L2tpGroup {
  std::uint16_t number = 0;  // 1..65535
  GroupMode mode = GroupMode::unspecified;

  // LAC: `start l2tp ip A [ip B ...] {domain D | dnis N | fullusername U}` (V7: lns-ip + user)
  std::vector<Ipv4> lns_addresses;  // at most 5, tried in order
  LacMatchKind match_kind = LacMatchKind::none;
  std::string match_value;

  // LNS: `allow l2tp virtual-template N [remote NAME]`
  std::optional<std::uint16_t> allow_virtual_template;
  std::string allow_remote;  // empty: any peer (only meaningful as the default in group 1)

  std::string tunnel_name;  // empty: sysname
  bool tunnel_authentication = true;
  Secret tunnel_password;
  std::uint32_t hello_interval_s = 60;  // 60..1000
  // `tunnel timer idle S` (0..3600): a tunnel with no session for this long is cleared
  // (StopCCN result 1); 0 keeps it until the peer or an operator clears it.
  std::uint32_t idle_timeout_s = 10;
  bool avp_hidden = false;
  bool flow_control = false;
  bool mandatory_chap = false;
  bool mandatory_lcp = false;
  std::optional<std::uint32_t> session_limit;

  bool is_lac() const { return mode == GroupMode::lac || !lns_addresses.empty(); }
  bool is_lns() const { return mode == GroupMode::lns || allow_virtual_template.has_value(); }
  bool operator==(const L2tpGroup&) const = default;
};

struct L2tpGlobal {
  bool enabled = false;
  bool prefix_separator = false;  // false: suffix separator
  char separator = '@';
  MatchOrder match_order = MatchOrder::dnis_domain;
  std::optional<std::uint32_t> session_limit;
  std::optional<std::uint32_t> tunnel_limit;
  std::uint16_t listen_port = 1701;
  // Receive buffer of the L2TP UDP socket in KiB (`l2tp receive-buffer`): what queues
  // while the protocol thread does not read (each datagram takes ~1 KiB of it).
  std::uint32_t receive_buffer_kib = 16384;
  bool operator==(const L2tpGlobal&) const = default;
};

// ---- PPP / interfaces --------------------------------------------------------------

enum class PppAuthMode { pap, chap, ms_chap, ms_chap_v2 };
// The CLI keyword: "pap", "chap", "ms-chap", "ms-chap-v2".
constexpr const char* keyword(PppAuthMode m) {
  return m == PppAuthMode::pap       ? "pap"
         : m == PppAuthMode::chap    ? "chap"
         : m == PppAuthMode::ms_chap ? "ms-chap"
                                     : "ms-chap-v2";
}

struct VirtualTemplate {
  std::uint16_t number = 0;  // 0..1023
  std::optional<Ipv4> ip_address;
  std::optional<Ipv4> ip_mask;
  std::string remote_pool;  // `remote address pool NAME`
  // V5 `remote address pool` with no number: remote_pool is then "0", V5's default pool
  // number, and the command is printed back without it, as typed.
  bool remote_pool_implicit = false;
  std::optional<Ipv4> remote_address;   // `remote address A`
  std::vector<PppAuthMode> auth_modes;  // empty: no authentication of the peer
  std::string auth_domain;              // `ppp authentication-mode chap domain D`
  std::uint32_t hold_timer_s = 10;      // `timer hold` (or `ppp timer hold`): LCP echo interval
  std::uint16_t mtu = 1500;
  std::optional<Ipv4> dns_primary;
  std::optional<Ipv4> dns_secondary;
  // V5 `l2tp-auto-client l2tp-group N`: the box dials the group's LNS as a client.
  std::optional<std::uint16_t> auto_client_group;
  // The credentials this box answers with when it is the PPP client (l2tp-auto-client):
  // `ppp chap user NAME` / `ppp chap password {simple|cipher} PW` and
  // `ppp pap local-user NAME password {simple|cipher} PW`.
  std::string chap_user;
  Secret chap_password;
  std::string pap_user;
  Secret pap_password;
  // `shutdown`: the template takes no new calls and its users are brought down.
  bool shutdown = false;
  // V5 `ip address ppp-negotiate` (l2tp-auto-client): the address IPCP gives this box
  // becomes the template's address; exclusive with `ip address A M`.
  bool ppp_negotiate = false;
  bool operator==(const VirtualTemplate&) const = default;
};

// An Ethernet (or other) interface as far as vpdnd configures it: the PPPoE server binding.
struct Interface {
  std::string name;  // a Linux name (eth1) or a canonical Comware name (GigabitEthernet0/0)
  std::optional<std::uint16_t> pppoe_server_template;
  std::string ipsec_policy;  // `ipsec apply policy NAME`; empty: none
  bool operator==(const Interface&) const = default;
};

// ---- AAA ---------------------------------------------------------------------------

struct IpPool {
  std::string name;  // number or word
  Ipv4 start;
  Ipv4 end;            // == start for a one-address pool
  std::string domain;  // empty: system-wide (`ip pool` in system view); else the V5 domain owner
  bool operator==(const IpPool&) const = default;
};

enum class AuthMethod { local, none, radius };

struct Domain {
  std::string name;
  AuthMethod auth = AuthMethod::local;
  std::string auth_radius_scheme;  // with AuthMethod::radius
  bool auth_fallback_local = false;
  bool auth_fallback_none = false;
  bool accounting_radius = false;  // false: `accounting ppp none` (the default)
  std::string accounting_radius_scheme;
  std::string authorization_ip_pool;
  bool active = true;  // `state active|block`
  bool operator==(const Domain&) const = default;
};

enum class ServiceType : std::uint8_t { ppp = 1, telnet = 2, terminal = 4, ssh = 8 };

struct LocalUser {
  std::string name;
  std::string user_class;  // V7 `local-user NAME class {manage|network}`; "" when not given
  Secret password;
  std::uint8_t service_types = 0;  // bit set of ServiceType
  bool active = true;
  bool has_service(ServiceType t) const { return service_types & static_cast<std::uint8_t>(t); }
  bool operator==(const LocalUser&) const = default;
};

struct RadiusServer {
  Ipv4 address;
  std::uint16_t port = 0;
  bool operator==(const RadiusServer&) const = default;
};

enum class UserNameFormat { with_domain, without_domain, keep_original };

struct RadiusScheme {
  std::string name;
  std::optional<RadiusServer> primary_authentication;  // default port 1812
  std::optional<RadiusServer> primary_accounting;      // default port 1813
  std::optional<RadiusServer> secondary_authentication;
  std::optional<RadiusServer> secondary_accounting;
  Secret key_authentication;
  Secret key_accounting;
  UserNameFormat user_name_format = UserNameFormat::with_domain;
  std::uint32_t response_timeout_s = 3;
  std::uint32_t retry = 3;
  std::uint32_t realtime_accounting_min = 12;
  std::optional<Ipv4> nas_ip;
  // `attribute 80 check-mode {strict|loose}`: strict (default) drops Access replies without
  // a Message-Authenticator (BlastRADIUS, CVE-2024-3596); loose accepts them from servers
  // that never send one. A Message-Authenticator that is present is always checked.
  bool message_authenticator_strict = true;
  // `stop-accounting-buffer enable`: a Stop no server answered is kept and re-sent.
  bool stop_accounting_buffer = true;
  // `retry stop-accounting N`: transmissions of a Stop in all (the first one included)
  // before it is dropped from the buffer.
  std::uint32_t retry_stop_accounting = 500;
  bool operator==(const RadiusScheme&) const = default;
};

// `radius dynamic-author server` (RFC 5176 Dynamic Authorization Server): the RADIUS
// clients allowed to send Disconnect-Request / CoA-Request, each with its shared key.
struct DaeClient {
  Ipv4 address;
  Secret key;
  bool operator==(const DaeClient&) const = default;
};

struct DynamicAuthor {
  bool enabled = false;       // the view exists (`undo radius dynamic-author server` removes it)
  std::uint16_t port = 3799;  // `port N` (RFC 5176 §3)
  std::map<std::uint32_t, DaeClient> clients;  // by address
  bool operator==(const DynamicAuthor&) const = default;
};

// ---- device --------------------------------------------------------------------------

enum class VtyAuthMode { none, password, scheme };
// `protocol inbound {all | ssh | telnet}`: which servers may open a VTY line.
enum class VtyProtocol : std::uint8_t { all, ssh, telnet };

struct UserInterfaceVty {
  VtyAuthMode auth_mode = VtyAuthMode::scheme;
  Secret password;                     // `set authentication password {simple|cipher} PW`
  std::uint32_t idle_timeout_s = 600;  // `idle-timeout MIN [SEC]`; 0 = never
  std::uint32_t screen_length = 24;    // `screen-length N`; 0 = no paging
  VtyProtocol protocol = VtyProtocol::all;
  bool allows_ssh() const { return protocol != VtyProtocol::telnet; }
  bool allows_telnet() const { return protocol != VtyProtocol::ssh; }
  bool operator==(const UserInterfaceVty&) const = default;
};

// `password-control login-attempt ATTEMPTS [exceed {lock | lock-time MIN | unlock}]`:
// what repeated failed telnet and SSH logins cost the address and the user name.
struct LoginAttemptPolicy {
  enum class Exceed : std::uint8_t { lock, lock_time, unlock };
  std::uint32_t attempts = 3;  // 2..10
  Exceed exceed = Exceed::lock_time;
  std::uint32_t lock_minutes = 1;  // 1..360, for lock_time
  bool operator==(const LoginAttemptPolicy&) const = default;
};

// `public-key peer NAME`: a client's public key for SSH public-key login. `blob` is the key in
// SSH wire format (RFC 4253 6.6: what an OpenSSH .pub line carries in base64); the config
// shows it as hex between `public-key-code begin` and `public-key-code end`.
struct PeerPublicKey {
  std::string name;
  std::string blob;
  bool operator==(const PeerPublicKey&) const = default;
};

// `ssh user NAME service-type stelnet authentication-type T [assign publickey KEY]`.
enum class SshAuthType : std::uint8_t { password, publickey, password_publickey, any };
struct SshUser {
  std::string name;
  SshAuthType auth = SshAuthType::password;
  std::string publickey;  // a `public-key peer` name; set unless auth == password
  bool operator==(const SshUser&) const = default;
};

// `ip route-static PREFIX {MASK|LEN} {NEXTHOP | INTERFACE [NEXTHOP]} [preference N]`.
// A route is identified by prefix, length, next hop and interface (Comware allows several
// routes to one prefix, differing in those).
struct StaticRoute {
  Ipv4 prefix;  // masked: host bits zero
  int length = 0;
  std::optional<Ipv4> next_hop;
  std::string interface;  // "" or "Virtual-Template1" / a Linux name
  std::uint32_t preference = 60;
  bool same_route(const StaticRoute& o) const {
    return prefix == o.prefix && length == o.length && next_hop == o.next_hop &&
           interface == o.interface;
  }
  bool operator==(const StaticRoute&) const = default;
};

// `info-center ...`: where log lines go besides the terminals. The log buffer keeps the
// last `logbuffer_size` lines at `logbuffer_level` or more severe.
struct InfoCenter {
  bool enabled = true;                 // `info-center enable` / `undo info-center enable`
  bool logbuffer = true;               // `info-center logbuffer` / `undo info-center logbuffer`
  std::uint32_t logbuffer_size = 512;  // `info-center logbuffer size N` (0..1024)
  // `info-center source default logbuffer level L`: 0 emergency .. 7 debugging.
  int logbuffer_level = 6;
  bool operator==(const InfoCenter&) const = default;
};

struct RunningConfig {
  std::string sysname = "VPDN";
  bool telnet_server = true;
  bool ssh_server = false;  // `ssh server enable`
  std::map<std::string, PeerPublicKey> peer_public_keys;
  std::map<std::string, SshUser> ssh_users;
  L2tpGlobal l2tp;
  CowMap<std::uint16_t, L2tpGroup> l2tp_groups;
  std::map<std::uint16_t, VirtualTemplate> virtual_templates;
  std::map<std::string, Interface> interfaces;
  std::map<std::string, IpPool> ip_pools;
  std::map<std::string, Domain> domains;  // "system" always present
  std::string default_domain = "system";
  CowMap<std::string, LocalUser> local_users;
  std::map<std::string, RadiusScheme> radius_schemes;
  DynamicAuthor dynamic_author;
  UserInterfaceVty vty;  // `user-interface vty 0 4` (all VTY lines share one setting)
  LoginAttemptPolicy login_attempt;
  // `interface-map COMWARE-NAME LINUX-NAME`: the Linux interface a Comware interface name
  // stands for (canonical Comware name → Linux name).
  std::map<std::string, std::string> interface_map;
  // Comware commands vpdnd knows but does not apply, kept verbatim (trimmed) so that they
  // are printed back: by block, "" for system-view lines, else the block's key line
  // (`interface GigabitEthernet0/0`, `l2tp-group 1`, `vlan 1`, ...). A banner (`header
  // motd`) is one entry holding its lines joined by '\n'.
  std::map<std::string, std::vector<std::string>> kept;

  // The Linux interface behind a configured interface name: its `interface-map` entry, the
  // name itself when it is a Linux name, "" for a Comware name with no mapping.
  std::string linux_interface(const std::string& name) const {
    if (auto it = interface_map.find(name); it != interface_map.end()) return it->second;
    return comware_interface_name(name).empty() ? name : std::string{};
  }
  std::vector<StaticRoute> static_routes;  // in configuration order
  InfoCenter info_center;
  IpsecConfig ipsec;  // `ike ...` and `ipsec ...` (startup-config/ipsec.hpp)
  SnmpConfig snmp;    // `snmp-agent ...` (startup-config/snmp.hpp)

  RunningConfig() {
    // Not a designated initializer: -Wextra (missing-field-initializers) rejects one that
    // leaves fields to their defaults.
    Domain system;
    system.name = "system";
    domains.emplace("system", std::move(system));
  }
  bool operator==(const RunningConfig&) const = default;
};

// What a command changed, so engines re-read only their part.
enum class ConfigSection {
  system,            // sysname, telnet, ssh server
  public_key,        // key = peer public key name
  ssh_user,          // key = user name
  l2tp_global,       // l2tp enable, separators, match order, limits, port
  l2tp_group,        // key = group number
  virtual_template,  // key = template number
  interface,         // key = interface name
  ip_pool,           // key = pool name
  domain,            // key = domain name
  local_user,        // key = user name
  radius_scheme,     // key = scheme name
  dynamic_author,    // radius dynamic-author server
  user_interface,
  static_route,  // `ip route-static`
  info_center,   // `info-center ...`
  ipsec,         // any `ike ...` / `ipsec ...` node or `ipsec apply policy`; key = node name
  snmp,          // any `snmp-agent ...` command
};

struct ConfigChange {
  ConfigSection section;
  std::string key;
  bool removed = false;
};

// `old` is the config before the change, `now` the running config after it.
using ConfigListener =
    std::function<void(const ConfigChange&, const RunningConfig& old, const RunningConfig& now)>;

namespace detail {
struct ConfigListeners {
  // A deque: a listener may subscribe another while it runs, which must not move it.
  std::deque<std::pair<std::uint64_t, ConfigListener>> list;  // id 0: unsubscribed
  std::uint64_t next_id = 0;
  int depth = 0;  // notifications under way: entries are only cleared, not erased, then
};
}  // namespace detail

// A listener's registration: it is called until this handle is reset or destroyed. The
// store may go first; the handle then does nothing.
class Subscription {
 public:
  Subscription() = default;
  Subscription(Subscription&& o) noexcept : owner_(std::move(o.owner_)), id_(o.id_) {}
  Subscription& operator=(Subscription&& o) noexcept {
    if (this != &o) {
      reset();
      owner_ = std::move(o.owner_);
      id_ = o.id_;
    }
    return *this;
  }
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  ~Subscription() { reset(); }
  void reset();
  bool active() const { return !owner_.expired(); }

 private:
  friend class ConfigStore;
  using Listeners = detail::ConfigListeners;
  Subscription(std::weak_ptr<Listeners> owner, std::uint64_t id)
      : owner_(std::move(owner)), id_(id) {}
  std::weak_ptr<Listeners> owner_;
  std::uint64_t id_ = 0;
};

// Owns the running config on the protocol thread and tells listeners what changed.
//
// Every change is a transaction: edit() hands a copy of the running config (the candidate)
// to the edit function, which validates and changes it; only a candidate it accepts becomes
// the running config, and then listeners see the old and the new config. A rejected edit,
// or one that throws, leaves the running config as it was. Copies are cheap: the big maps
// are CowMaps, so a candidate clones only the chunks it writes to.
class ConfigStore {
 public:
  using Listener = ConfigListener;
  // Edits the candidate; returns "" to accept it or the error that rejects it.
  using EditFn = std::function<std::string(RunningConfig& candidate)>;

  const RunningConfig& running() const { return config_; }
  // Tests only, to set up a config before anything listens: edits in place, outside any
  // transaction and unseen by listeners. Everything else edits through edit().
  RunningConfig& mutable_running() { return config_; }

  // One transaction: `fn` on a candidate; if it accepts, the candidate becomes the running
  // config and `change` is published. Returns fn's error ("" on success).
  std::string edit(const ConfigChange& change, const EditFn& fn) {
    return edit(std::vector<ConfigChange>{change}, fn);
  }
  // Likewise, one transaction publishing several changes (in order, after the swap);
  // `changes` is read after fn has run, so fn may fill it.
  std::string edit(const std::vector<ConfigChange>& changes, const EditFn& fn) {
    RunningConfig candidate = config_;
    std::string error = fn(candidate);
    if (!error.empty()) return error;
    RunningConfig old = std::exchange(config_, std::move(candidate));
    for (auto& change : changes) notify(change, old);
    return {};
  }
  // Sets the whole running config without telling listeners: for start-up, before the
  // engines that listen read it, and for tests.
  void replace(RunningConfig next) { config_ = std::move(next); }

  // Listeners are called on the protocol thread, in subscription order, until the returned
  // handle goes. A listener may drop its own or another handle while being called.
  [[nodiscard]] Subscription subscribe(Listener l) {
    auto id = ++listeners_->next_id;
    listeners_->list.emplace_back(id, std::move(l));
    return Subscription(listeners_, id);
  }

 private:
  friend class Subscription;
  void notify(const ConfigChange& change, const RunningConfig& old) {
    auto& list = listeners_->list;
    ++listeners_->depth;
    // By index: a listener may subscribe another one (appended, called from the next change).
    for (std::size_t i = 0, n = list.size(); i < n; ++i)
      if (list[i].first != 0) list[i].second(change, old, config_);
    if (--listeners_->depth == 0) std::erase_if(list, [](const auto& e) { return e.first == 0; });
  }

  RunningConfig config_;
  std::shared_ptr<detail::ConfigListeners> listeners_ = std::make_shared<detail::ConfigListeners>();
};

inline void Subscription::reset() {
  auto owner = owner_.lock();
  owner_.reset();
  if (!owner) return;
  for (auto& [id, listener] : owner->list)
    if (id == id_) {
      id = 0;
      // Not destroyed here: the listener may be the one running (it drops its own handle).
      if (owner->depth == 0) listener = nullptr;
    }
  if (owner->depth == 0) std::erase_if(owner->list, [](const auto& e) { return e.first == 0; });
}

}  // namespace vpdnd::config
