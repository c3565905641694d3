// DOC: make_services: the appliance's engines wired behind cli::Operations. Everything here runs on
// the protocol thread (see app/services.hpp).
//
// What is built at start():
//   AAA (aaa::Aaa + the RADIUS client on the protocol thread), the L2TP engine (own UDP socket on
//   `l2tp listen-port` once `l2tp enable` is on), the TUN devices of the templates the LNS
//   uses (app/services/tun_port.hpp), with the kernel data plane (app/services/kernel_port.hpp)
//   in front of them when `--data-plane` chose it, LnsCalls (vpdn/calls.hpp) for incoming
//   sessions, and
//   LacCalls for PPPoE users when the PPPoE server is available, and AutoClients for the
//   templates with `l2tp-auto-client` (the box dials an LNS itself). vpdn::DataPath
//   (vpdn/data_path.hpp) is the engine's session handler and the calls' L2TP port: every
//   packet between a TUN device and the wire goes through it.
// Config changes reach the L2TP engine (enable/disable, groups, port) and the TUN set
// (templates with an address used by an allow group); a removed virtual template first
// ends the calls on it (LnsCalls::close_template, LacCalls::close_local_template).
// `reset l2tp session id` ends the call holding the session, like `cut connection`.
// shutdown(): CDN + accounting Stop for every call, then StopCCN to every peer (the L2TP
// engine bounds that wait), then `done`.
#include "app/services.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <unordered_set>
#include <utility>
#include <vector>

#include "aaa/aaa.hpp"
#include "app/services/kernel_port.hpp"
#include "app/services/lac_kernel_bridge.hpp"
#include "app/services/tun_port.hpp"
#include "common/log.hpp"
#include "netlink/netlink.hpp"
#include "ppp/pppoe.hpp"
#include "vpdn/calls.hpp"
#include "vpdn/data_path.hpp"
#include "vpdn/engine.hpp"

namespace vpdnd::app {
namespace {

class ApplianceServices;

// One access interface (`interface X` + `pppoe-server bind virtual-template N`).
struct AccessInterface final : ppp::PppoeSessionListener {
  ApplianceServices* owner = nullptr;
  std::uint16_t port = 0;
  std::string name;    // as configured (a Linux or a Comware name): what displays show
  std::string device;  // the Linux interface the socket is bound to
  std::uint16_t virtual_template = 0;
  std::unique_ptr<ppp::PppoeSocket> socket;
  std::unique_ptr<ppp::PppoeServer> server;
  void on_session_open(std::uint16_t sid, const ppp::MacAddress& peer, std::string_view) override;
  void on_session_frame(std::uint16_t sid, ByteView frame) override;
  void on_session_closed(std::uint16_t sid, ppp::PppoeCloseReason) override;
};

class ApplianceServices final : public Services,
                                public cli::Operations,
                                public vpdn::AccessPort,
                                public aaa::DaeSessions {
 public:
  ApplianceServices(ProtocolThread& engine, config::ConfigStore& store, TimerService& timers,
                    ServicesOptions options)
      : engine_(engine),
        store_(store),
        timers_(timers),
        options_(options),
        alive_(std::make_shared<bool>(true)) {}

  ~ApplianceServices() override {
    *alive_ = false;
    dae_.reset();  // no Disconnect/CoA reaches calls being torn down
    // Calls first (they use the L2TP engine, AAA, PPPoE and the TUNs), then the engines.
    auto_.reset();
    lac_.reset();
    lns_.reset();
    // Kernel sessions and tunnels (pppN, routes, connected sockets) before the TUNs.
    kernel_.reset();
    bridge_.reset();
    remove_static_routes();
    access_.clear();
    if (l2tp_) l2tp_->set_handler(nullptr);
    data_path_.reset();
    l2tp_.reset();
    ipsec_.reset();  // stops our charon
    tun_.reset();
    aaa_.reset();
    radius_.reset();
  }

  cli::Operations& operations() override { return *this; }

  void start() override {
    detect_data_plane_backend();
    radius_ = aaa::make_radius_client(engine_);
    aaa::StopBufferOptions stop_buffer;
    stop_buffer.file = options_.stop_accounting_buffer;
    aaa_ = std::make_unique<aaa::Aaa>(store_, timers_, *radius_, std::move(stop_buffer));
    l2tp_ = std::make_unique<vpdn::L2tpEngine>(store_.running(), timers_, random_);
    data_path_ = std::make_unique<vpdn::DataPath>(store_, *l2tp_);
    l2tp_->set_handler(data_path_.get());
    ipsec_ = std::make_unique<ipsec::Driver>(engine_.io(), options_.ipsec);
    ipsec_->apply(store_.running());
    l2tp_->set_admission(
        [this](const vpdn::Endpoint& from) { return !ipsec_ || ipsec_->admit_l2tp(from.address); });
    l2tp_->set_egress_check(
        [this](const vpdn::Endpoint& to) { return !ipsec_ || ipsec_->l2tp_sendable(to.address); });
    tun_ = std::make_unique<TunPort>(
        engine_.io(), [this](std::uint16_t vt, ByteView p) { data_path_->from_tun(vt, p); });
    vpdn::IpPort* lns_ip = tun_.get();
    if (backend_ == netlink::Backend::kernel) {
      kernel_ = std::make_unique<KernelPort>(engine_.io(), *tun_, make_netlink_kernel_ops(),
                                             kernel_hooks());
      kernel_->set_close_threads(32);
      kernel_->set_open_threads(16);
      lns_ip = kernel_.get();
      data_path_->record_sequencing(true);
      data_path_->set_kernel_sender([k = kernel_.get()](vpdn::SessionRef call, ByteView frame) {
        return k->send_ppp(call, frame);
      });
    }
    lns_ = std::make_unique<vpdn::LnsCalls>(store_, timers_, *aaa_, *data_path_, *lns_ip);
    lac_ = std::make_unique<vpdn::LacCalls>(store_, timers_, *aaa_, *data_path_, *this, *tun_);
    if (backend_ == netlink::Backend::kernel) {
      bridge_ = std::make_unique<LacKernelBridge>(engine_.io(), make_netlink_kernel_ops(),
                                                  make_kernel_bridge_ops(), bridge_hooks());
      lac_->set_switch(bridge_.get());
    }
    auto_ = std::make_unique<vpdn::AutoClients>(store_, timers_, *data_path_, *tun_);
    data_path_->attach(lns_.get(), lac_.get(), auto_.get());
    dae_ = aaa::make_dae_server(engine_, *this);
    dae_->reconcile(store_.running());
    tun_->reconcile(store_.running());
    reconcile_access(store_.running());
    open_udp_if_enabled();
    auto_->reconcile();
    reconcile_static_routes(store_.running());
    config_subscription_ =
        store_.subscribe([this](const config::ConfigChange& change, const config::RunningConfig&,
                                const config::RunningConfig& cfg) { on_config(change, cfg); });
  }

  void shutdown(std::function<void()> done) override {
    if (!l2tp_) {
      if (done) done();
      return;
    }
    const auto accounting_until = std::chrono::steady_clock::now() + kAccountingGrace;
    if (dae_) dae_->reconcile(config::RunningConfig{});  // stop taking requests
    if (auto_) auto_->close_all();                       // CDN to the LNS we dialled
    if (lac_) lac_->close_all();                         // CDN to the LNS, PADT to the users
    if (lns_) lns_->close_all();                         // CDN to the LAC, accounting Stop
    // close_all took every kernel session down with its call; nothing is left behind even
    // if a call had not reached session_ip_down.
    if (kernel_) kernel_->stop();
    if (bridge_) bridge_->stop();
    l2tp_->shutdown([this, accounting_until, done = std::move(done)]() mutable {
      // The Stops just sent get a moment to be answered; those still unanswered when Aaa
      // goes join the stop-accounting buffer file and are sent again after the next start.
      wait_for_accounting(accounting_until, std::move(done));
    });
  }

  // From the start of shutdown; main() gives the whole shutdown 3 s.
  static constexpr auto kAccountingGrace = std::chrono::milliseconds(2000);

  void wait_for_accounting(std::chrono::steady_clock::time_point until,
                           std::function<void()> done) {
    if (!aaa_ || aaa_->accounting_in_flight() == 0 || std::chrono::steady_clock::now() >= until) {
      if (done) done();
      return;
    }
    timers_.schedule(
        std::chrono::milliseconds(50),
        [this, until, alive = std::weak_ptr<bool>(alive_), done = std::move(done)]() mutable {
          if (alive.expired() || !*alive.lock()) {
            if (done) done();
            return;
          }
          wait_for_accounting(until, std::move(done));
        });
  }

  // `--data-plane`: decided once; the operator sees the choice and, when the kernel path is
  // not used, why (on this project's kernels: no l2tp/ppp modules).
  void detect_data_plane_backend() {
    DataPlaneDecision d = detect_data_plane(options_.data_plane);
    backend_ = d.backend;
    backend_description_ = d.description;
    if (d.requested_kernel_unavailable) {
      log_error(DebugModule::l2tp,
                "data plane: --data-plane kernel but kernel L2TP unavailable: " + d.reason +
                    "; using " + std::string(netlink::backend_name(netlink::Backend::user_space)));
    }
    log_info(DebugModule::l2tp, "data plane backend: " + backend_description_);
    if (backend_ == netlink::Backend::kernel) {
      log_info(DebugModule::l2tp,
               "data plane: LNS sessions move into the kernel (pppN) once IPCP is up; the "
               "LAC bridges each user's PPPoE channel to its PPPoL2TP channel once the call "
               "is handed over; l2tp-auto-client stays in user space");
    }
  }

  KernelPort::Hooks kernel_hooks() {
    KernelPort::Hooks h;
    h.session_info = [this](vpdn::SessionRef call,
                            std::uint16_t vt) -> std::optional<KernelSessionInfo> {
      if (!l2tp_) return std::nullopt;
      auto peer_session = engine_peer_session_id(*l2tp_, call);
      if (!peer_session) return std::nullopt;
      KernelSessionInfo i;
      i.peer_session_id = *peer_session;
      auto seq = data_path_->sequencing(call);
      if (!seq) return std::nullopt;  // recorded at ICCN: gone since
      i.sequencing = seq->on;
      // The engine's own count: past what an earlier kernel session of the call sent.
      auto numbering = l2tp_->data_numbering(call);
      i.data_sent = numbering ? numbering->next_ns : seq->sent;
      const auto& cfg = store_.running();
      if (auto t = cfg.virtual_templates.find(vt); t != cfg.virtual_templates.end()) {
        i.template_address = t->second.ip_address;
        i.mtu = t->second.mtu;
      }
      return i;
    };
    h.tunnel_info = [this](std::uint16_t tunnel) -> std::optional<KernelTunnelInfo> {
      if (!l2tp_) return std::nullopt;
      return engine_tunnel_info(*l2tp_, tunnel);
    };
    // Everything the connected tunnel socket receives is the peer's: control messages (T
    // bit) and data of sessions still in user space.
    h.on_datagram = [this](Endpoint from, ByteView datagram) {
      if (l2tp_) l2tp_->on_datagram(from, datagram);
    };
    // LCP/authentication/IPCP the kernel leaves to us, as if they came over L2TP.
    h.on_ppp_frame = [this](vpdn::SessionRef call, ByteView frame) {
      data_path_->from_kernel(call, frame);
    };
    h.resume_numbering = [this](vpdn::SessionRef call, std::uint16_t next_ns) {
      if (l2tp_) l2tp_->resume_data_numbering(call, next_ns);
    };
    return h;
  }

  LacKernelBridge::Hooks bridge_hooks() {
    LacKernelBridge::Hooks h;
    h.access = [this](vpdn::AccessId id) -> std::optional<netlink::PppoeSessionParams> {
      auto* a = access(id);
      if (!a) return std::nullopt;
      auto peer = a->server->peer_of(id.session);
      if (!peer) return std::nullopt;
      return netlink::PppoeSessionParams{a->device, id.session, *peer};
    };
    h.session = [this](vpdn::SessionRef call) -> std::optional<LacBridgeSessionInfo> {
      if (!l2tp_) return std::nullopt;
      auto peer_session = engine_peer_session_id(*l2tp_, call);
      auto numbering = l2tp_->data_numbering(call);
      if (!peer_session || !numbering) return std::nullopt;
      return LacBridgeSessionInfo{*peer_session, numbering->on, numbering->next_ns};
    };
    h.tunnel_info = [this](std::uint16_t tunnel) -> std::optional<KernelTunnelInfo> {
      if (!l2tp_) return std::nullopt;
      return engine_tunnel_info(*l2tp_, tunnel);
    };
    h.on_datagram = [this](Endpoint from, ByteView datagram) {
      if (l2tp_) l2tp_->on_datagram(from, datagram);
    };
    return h;
  }

  // ---- cli::Operations
  std::shared_future<ipsec::SaSnapshot> ipsec_sas() override {
    return ipsec_ ? ipsec_->sas() : cli::Operations::ipsec_sas();
  }
  ipsec::Statistics ipsec_statistics() const override {
    return ipsec_ ? ipsec_->statistics() : ipsec::Statistics{};
  }
  std::string reset_ike_sa(std::optional<std::uint32_t> id) override {
    return ipsec_ ? ipsec_->reset_ike(id) : cli::Operations::reset_ike_sa(id);
  }
  std::string reset_ipsec_sa(const std::string& policy, std::optional<std::uint16_t> seq) override {
    return ipsec_ ? ipsec_->reset_ipsec(policy, seq) : cli::Operations::reset_ipsec_sa(policy, seq);
  }
  aaa::RadiusStatistics radius_statistics() const override {
    return radius_ ? radius_->statistics() : aaa::RadiusStatistics{};
  }
  void reset_radius_statistics() override {
    if (radius_) radius_->reset_statistics();
  }
  std::vector<vpdn::TunnelStatus> l2tp_tunnels() const override {
    if (!l2tp_) return {};
    auto tunnels = l2tp_->snapshot_tunnels();
    // The engine's socket is bound to any address, so it knows no local address of its
    // own; the operator wants the one the peer sees: the source the kernel picks for it.
    std::map<std::uint32_t, Ipv4> source_of;
    for (auto& t : tunnels) {
      if (!t.local_address.is_zero() || t.remote_address.is_zero()) continue;
      auto [it, fresh] = source_of.try_emplace(t.remote_address.value);
      if (fresh) it->second = source_address_towards(t.remote_address);
      t.local_address = it->second;
    }
    return tunnels;
  }
  // The kernel's source address for packets to `peer` (a UDP connect() sends nothing);
  // 0.0.0.0 when there is no route.
  static Ipv4 source_address_towards(Ipv4 peer) {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return {};
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(1701);
    to.sin_addr.s_addr = htonl(peer.value);
    sockaddr_in local{};
    socklen_t len = sizeof local;
    Ipv4 out;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) == 0)
      out.value = ntohl(local.sin_addr.s_addr);
    ::close(fd);
    return out;
  }
  std::vector<vpdn::SessionStatus> l2tp_sessions() const override {
    return with_kernel_counters(l2tp_ ? l2tp_->snapshot_sessions()
                                      : std::vector<vpdn::SessionStatus>{});
  }
  std::size_t l2tp_session_count() const override { return l2tp_ ? l2tp_->session_count() : 0; }
  std::vector<vpdn::SessionStatus> l2tp_sessions_after(std::uint16_t tunnel, std::uint16_t session,
                                                       std::size_t limit) const override {
    return with_kernel_counters(l2tp_ ? l2tp_->snapshot_sessions(tunnel, session, limit)
                                      : std::vector<vpdn::SessionStatus>{});
  }
  // A session in the kernel (an LNS's pppN, a LAC's bridge): its data no longer crosses
  // the engine.
  std::vector<vpdn::SessionStatus> with_kernel_counters(
      std::vector<vpdn::SessionStatus> out) const {
    if (kernel_)
      for (auto& s : out) {
        const aaa::Counters k = kernel_->data_counters({s.tunnel_local_id, s.local_id});
        s.packets_in += k.input_packets, s.bytes_in += k.input_octets;
        s.packets_out += k.output_packets, s.bytes_out += k.output_octets;
      }
    if (bridge_)
      for (auto& s : out) {
        // The call's counts are the user's: what the user sent went out on the session.
        const aaa::Counters k = bridge_->session_counters({s.tunnel_local_id, s.local_id});
        s.packets_in += k.output_packets, s.bytes_in += k.output_octets;
        s.packets_out += k.input_packets, s.bytes_out += k.input_octets;
      }
    return out;
  }
  vpdn::L2tpStatistics l2tp_statistics() const override {
    vpdn::L2tpStatistics s;
    if (l2tp_) s = l2tp_->statistics();
    s.data_plane_backend = backend_description_;
    if (kernel_) s.data_plane_backend += "; " + kernel_->summary();
    if (bridge_) {
      // What still crosses user space beside the bridges: the proof that they switch.
      s.data_plane_backend += "; " + bridge_->summary();
      if (lac_)
        s.data_plane_backend += "; LAC frames switched in user space: " +
                                std::to_string(lac_->counters().frames_to_l2tp) + " to L2TP, " +
                                std::to_string(lac_->counters().frames_to_user) + " to users";
    }
    if (lns_) {
      const auto& c = lns_->counters();
      if (c.drop_no_session) s.drops["data: no session for address"] += c.drop_no_session;
      if (c.drop_not_ipv4) s.drops["data: not IPv4"] += c.drop_not_ipv4;
      if (c.drop_unknown_call) s.drops["data: unknown call"] += c.drop_unknown_call;
      if (c.drop_ppp) s.drops["data: PPP dropped"] += c.drop_ppp;
    }
    if (auto_) {
      const auto& c = auto_->counters();
      if (c.drop_not_up) s.drops["auto-client: TUN packet while not up"] += c.drop_not_up;
      if (c.drop_ppp) s.drops["auto-client: PPP dropped"] += c.drop_ppp;
    }
    // The calls layers' drop counters are never zeroed (they are their own); a reset
    // remembers them and shows what came after.
    for (auto it = s.drops.begin(); it != s.drops.end();) {
      auto base = drops_at_reset_.find(it->first);
      if (base != drops_at_reset_.end()) it->second -= std::min(it->second, base->second);
      it = it->second ? std::next(it) : s.drops.erase(it);
    }
    return s;
  }
  void reset_l2tp_statistics() override {
    if (l2tp_) l2tp_->reset_statistics();
    drops_at_reset_.clear();
    auto now = l2tp_statistics();  // only the calls layers' drops are left in it
    for (auto& [k, v] : now.drops) drops_at_reset_[k] = v;
    log_info(DebugModule::l2tp, "reset l2tp statistics: counters cleared by the operator");
  }
  // One Virtual-Access per PPP user that has a connection index: LNS calls (counters from
  // the PPP side) and LAC PPPoE calls (counters from their L2TP session when tunnelled).
  std::vector<cli::VirtualAccessStatus> virtual_accesses() const override {
    std::vector<cli::VirtualAccessStatus> out;
    if (!aaa_) return out;
    std::map<std::uint64_t, std::uint32_t> online;
    for (const auto& u : aaa_->online_users()) online[u.index] = u.online_s;
    const auto& cfg = store_.running();
    auto from_template = [&](cli::VirtualAccessStatus& v) {
      if (auto t = cfg.virtual_templates.find(v.virtual_template);
          t != cfg.virtual_templates.end()) {
        v.local_address = t->second.ip_address;
        v.mtu = t->second.mtu;
      }
      if (auto o = online.find(v.index); o != online.end()) v.online_s = o->second;
    };
    // What an LNS and a LAC call show alike: both are listed once authenticated.
    auto entry = [](const auto& c, const char* access) {
      cli::VirtualAccessStatus v;
      v.index = c.aaa_session;
      v.virtual_template = c.virtual_template;
      v.access = access;
      v.user = c.user;
      v.peer_address = c.address;
      v.lcp_up = true;  // authenticated: LCP is open
      return v;
    };
    if (lns_)
      for (const auto& c : lns_->status()) {
        if (!c.aaa_session) continue;
        cli::VirtualAccessStatus v = entry(c, "L2TP");
        v.carrier =
            "tunnel " + std::to_string(c.id.tunnel) + " session " + std::to_string(c.id.session);
        v.phase = c.phase;
        v.ipcp_up = c.address.has_value() && (c.phase == "Network" || c.phase == "Running");
        v.packets_in = c.counters.input_packets;
        v.bytes_in = c.counters.input_octets;
        v.packets_out = c.counters.output_packets;
        v.bytes_out = c.counters.output_octets;
        from_template(v);
        out.push_back(std::move(v));
      }
    if (lac_)
      for (const auto& c : lac_->status()) {
        if (!c.aaa_session) continue;
        cli::VirtualAccessStatus v = entry(c, "PPPoE");
        std::string ifname = c.id.port < access_.size() && access_[c.id.port]
                                 ? access_[c.id.port]->name
                                 : std::string("?");
        v.carrier = ifname + " session " + std::to_string(c.id.session);
        v.phase = c.state;
        v.ipcp_up = c.state == "Tunnelled" || c.address.has_value();
        if (c.l2tp.tunnel && l2tp_) {
          if (auto st = l2tp_->session_status(c.l2tp)) {
            v.carrier += ", L2TP tunnel " + std::to_string(c.l2tp.tunnel) + " session " +
                         std::to_string(c.l2tp.session);
            v.peer_address = st->address;
            // The L2TP session's counters are the user's frames as the LAC switches them.
            v.packets_in = st->packets_out;
            v.bytes_in = st->bytes_out;
            v.packets_out = st->packets_in;
            v.bytes_out = st->bytes_in;
          }
        }
        from_template(v);
        if (c.state == "Tunnelled") v.local_address.reset();  // the LNS terminates IP
        out.push_back(std::move(v));
      }
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.index < b.index; });
    return out;
  }
  std::vector<aaa::PoolStatus> ip_pools() const override {
    return aaa_ ? aaa_->pool_status() : std::vector<aaa::PoolStatus>{};
  }
  std::vector<aaa::OnlineUser> online_users() const override {
    return aaa_ ? aaa_->online_users() : std::vector<aaa::OnlineUser>{};
  }
  std::vector<ppp::PppoeSessionStatus> pppoe_sessions() const override {
    std::vector<ppp::PppoeSessionStatus> out;
    for (const auto& a : access_) {
      if (!a || !a->server) continue;
      for (auto& st : a->server->sessions()) {
        st.interface = a->name;
        st.virtual_template = a->virtual_template;
        out.push_back(std::move(st));
      }
    }
    return out;
  }
  // The LAC call on the session ends it (PADT, CDN, accounting Stop, address back), as
  // `cut connection` does; a session no call holds yet gets its PADT from the server.
  std::size_t reset_pppoe_sessions(const cli::PppoeSessionFilter& filter) override {
    std::vector<std::pair<AccessInterface*, std::uint16_t>> chosen;
    for (const auto& a : access_) {
      if (!a || !a->server) continue;
      for (auto& st : a->server->sessions()) {
        st.interface = a->name;
        st.virtual_template = a->virtual_template;
        if (filter.matches(st)) chosen.emplace_back(a.get(), st.session_id);
      }
    }
    std::size_t n = 0;
    for (auto [a, sid] : chosen) {
      if (!(lac_ && lac_->close({a->port, sid})) && a->server) a->server->close(sid);
      ++n;
    }
    if (n)
      log_info(DebugModule::pppoe,
               "reset pppoe-server: " + std::to_string(n) + " session(s) ended by the operator");
    return n;
  }
  std::string reset_l2tp_tunnel_id(std::uint16_t local_id) override {
    if (!l2tp_) return "% Tunnel " + std::to_string(local_id) + " does not exist.";
    return l2tp_->reset_tunnel_id(local_id);
  }
  std::string reset_l2tp_tunnel_name(const std::string& remote_name) override {
    if (!l2tp_) return "% Tunnel " + remote_name + " does not exist.";
    return l2tp_->reset_tunnel_name(remote_name);
  }
  // The call holding the session ends it, as `cut connection` does, so PPP (Terminate /
  // PADT), the address, the route and the online user go with the CDN; the engine alone
  // would clear only the L2TP session. Sessions no call holds (PPP not started yet, auto
  // client) are cleared by the engine.
  std::string reset_l2tp_session_id(std::uint16_t local_id) override {
    const std::string missing = "% Session " + std::to_string(local_id) + " does not exist.";
    if (!l2tp_) return missing;
    // Local session ids are per tunnel: every tunnel's session `local_id` goes.
    std::vector<vpdn::SessionRef> refs;
    for (const auto& s : l2tp_->snapshot_sessions())
      if (s.local_id == local_id) refs.push_back({s.tunnel_local_id, s.local_id});
    if (refs.empty()) return missing;
    for (auto ref : refs) {
      if (lns_ && lns_->close(ref)) continue;
      if (lac_) {
        if (auto access = lac_->find_l2tp(ref); access && lac_->close(*access)) continue;
      }
      data_path_->close_session(ref);
    }
    log_info(DebugModule::l2tp, "reset l2tp session id " + std::to_string(local_id) + ": " +
                                    std::to_string(refs.size()) + " session(s)");
    return "";
  }
  std::vector<aaa::BufferedStop> stop_accounting_buffer() const override {
    return aaa_ ? aaa_->stop_accounting_buffer() : std::vector<aaa::BufferedStop>{};
  }
  aaa::StopBufferStatistics stop_buffer_statistics() const override {
    return aaa_ ? aaa_->stop_buffer_statistics() : aaa::StopBufferStatistics{};
  }
  std::size_t reset_stop_accounting_buffer(const cli::StopBufferFilter& filter) override {
    if (!aaa_) return 0;
    return aaa_->reset_stop_accounting_buffer(
        [&](const aaa::BufferedStop& b) { return filter.matches(b); });
  }

  std::size_t cut_connections(const cli::ConnectionFilter& filter) override {
    if (!aaa_) return 0;
    std::unordered_set<std::uint64_t> chosen;
    for (const auto& u : aaa_->online_users())
      if (filter.matches(u)) chosen.insert(u.index);
    std::size_t cut = cut_sessions(chosen);
    if (cut)
      log_info(DebugModule::aaa,
               "cut connection: " + std::to_string(cut) + " user(s) disconnected by the operator");
    return cut;
  }

  aaa::DaeStatistics dae_statistics() const override {
    return dae_ ? dae_->statistics() : aaa::DaeStatistics{};
  }
  void reset_dae_statistics() override {
    if (dae_) dae_->reset_statistics();
  }
  std::uint16_t dae_port() const override { return dae_ ? dae_->port() : 0; }

  // ---- aaa::DaeSessions (RADIUS Disconnect / CoA): the same path as `cut connection`.
  aaa::DaeOutcome disconnect(const aaa::DaeSelector& selector) override {
    aaa::DaeOutcome o;
    if (!aaa_) return o;
    std::unordered_set<std::uint64_t> chosen;
    for (const auto& u : aaa_->online_users())
      if (selector.matches(u)) chosen.insert(u.index);
    o.matched = chosen.size();
    o.done = cut_sessions(chosen);
    return o;
  }
  // LNS calls take both changes; a tunnelled LAC call's PPP (and so its timers) runs at
  // the LNS, so it is matched but not changed.
  aaa::DaeOutcome change(const aaa::DaeSelector& selector, const aaa::DaeChange& change) override {
    aaa::DaeOutcome o;
    if (!aaa_) return o;
    std::map<std::uint64_t, std::uint32_t> online_s;  // by AAA session
    for (const auto& u : aaa_->online_users())
      if (selector.matches(u)) online_s[u.index] = u.online_s;
    o.matched = online_s.size();
    if (!lns_) return o;
    for (const auto& c : lns_->status()) {
      auto it = online_s.find(c.aaa_session);
      if (!c.aaa_session || it == online_s.end()) continue;
      bool ok = true;
      if (change.session_timeout_s) {
        std::optional<Duration> remaining;
        if (*change.session_timeout_s > 0)
          remaining = std::chrono::seconds(
              *change.session_timeout_s > it->second ? *change.session_timeout_s - it->second : 0);
        ok = lns_->set_session_timeout(c.id, remaining) && ok;
      }
      if (change.idle_timeout_s)
        ok = lns_->set_idle_timeout(c.id, std::chrono::seconds(*change.idle_timeout_s)) && ok;
      o.done += ok ? 1 : 0;
    }
    return o;
  }

  // Ends the calls holding these AAA sessions; returns how many.
  std::size_t cut_sessions(const std::unordered_set<std::uint64_t>& chosen) {
    if (chosen.empty()) return 0;
    // Collect first: closing a call changes the tables being walked.
    std::vector<vpdn::SessionRef> lns_calls;
    std::vector<vpdn::AccessId> lac_calls;
    if (lns_)
      for (const auto& c : lns_->status())
        if (c.aaa_session && chosen.count(c.aaa_session)) lns_calls.push_back(c.id);
    if (lac_)
      for (const auto& c : lac_->status())
        if (c.aaa_session && chosen.count(c.aaa_session)) lac_calls.push_back(c.id);
    std::size_t cut = 0;
    for (auto id : lns_calls) cut += lns_->close(id) ? 1 : 0;
    for (auto id : lac_calls) cut += lac_->close(id) ? 1 : 0;
    return cut;
  }

  // ---- vpdn::AccessPort (LacCalls -> PPPoE server)
  void send_ppp(vpdn::AccessId id, ByteView frame) override {
    if (auto* a = access(id)) a->server->send(id.session, frame);
  }
  void terminate(vpdn::AccessId id) override {
    if (auto* a = access(id)) a->server->close(id.session);
  }
  void set_access_info(vpdn::AccessId id, const std::string& state, const std::string& user,
                       vpdn::SessionRef l2tp) override {
    if (auto* a = access(id))
      a->server->set_session_info(id.session, state, user, l2tp.tunnel, l2tp.session);
  }

  // ---- from the PPPoE listeners
  void access_open(AccessInterface& a, std::uint16_t sid, const ppp::MacAddress& peer) {
    if (!lac_) return;
    vpdn::AccessCall call;
    call.id = {a.port, sid};
    call.interface = a.name;
    call.calling_number = ppp::to_string(peer);
    call.virtual_template = a.virtual_template;
    lac_->on_access_up(call);
  }
  void access_frame(AccessInterface& a, std::uint16_t sid, ByteView frame) {
    if (lac_) lac_->on_access_frame({a.port, sid}, frame);
  }
  void access_closed(AccessInterface& a, std::uint16_t sid) {
    if (lac_) lac_->on_access_down({a.port, sid});
  }

 private:
  void open_udp_if_enabled() {
    if (udp_open_ || !store_.running().l2tp.enabled) return;
    auto s = l2tp_->open_udp(engine_.io());
    if (!s) {
      log_error(DebugModule::l2tp, "L2TP UDP socket: " + s.error());
      return;
    }
    udp_open_ = true;
    log_info(DebugModule::l2tp, "L2TP listening on " + l2tp_->local_endpoint().to_string());
  }

  // ---- `ip route-static`: the kernel's copy of the configured static routes. A route out
  // of Virtual-TemplateN goes to that template's TUN device ("vtN"), which exists only while
  // the template needs one (it has an address and is used); until then, and while a next
  // hop is on no connected network, the route waits (logged once) and is retried on every
  // configuration change. In the user-space data plane a packet routed into a template's
  // TUN reaches a PPP user by its destination address (LNS: the user's own address; an
  // l2tp-auto-client template: everything goes to its one LNS).
  struct KernelRoute {
    Ipv4 prefix;
    int length = 0;
    std::optional<Ipv4> gateway;
    int ifindex = 0;
    std::uint32_t metric = 0;
    bool operator==(const KernelRoute&) const = default;
  };
  void reconcile_static_routes(const config::RunningConfig& cfg) {
    if (cfg.static_routes.empty() && routes_installed_.empty()) return;
    if (!route_nl_) {
      auto nl = netlink::RouteNetlink::open();
      if (!nl) {
        log_error(DebugModule::l2tp, "ip route-static: " + nl.error().message);
        return;
      }
      route_nl_ = std::move(*nl);
    }
    std::vector<KernelRoute> want;
    std::set<std::string> waiting;
    for (const auto& r : cfg.static_routes) {
      KernelRoute k{r.prefix, r.length, r.next_hop, 0, r.preference};
      const std::string text = r.prefix.to_string() + "/" + std::to_string(r.length);
      if (!r.interface.empty()) {
        std::string dev = r.interface;
        if (dev.rfind("Virtual-Template", 0) == 0) {
          auto vt = static_cast<std::uint16_t>(std::stoul(dev.substr(16)));
          dev = tun_ ? tun_->device_name(vt) : std::string();
        }
        if (!dev.empty())
          if (auto index = route_nl_->link_index(dev)) k.ifindex = *index;
        if (k.ifindex <= 0) {
          waiting.insert(text + " (" + r.interface + " has no device yet)");
          continue;
        }
      }
      want.push_back(k);
    }
    std::vector<KernelRoute> kept;
    for (const auto& have : routes_installed_) {
      if (std::find(want.begin(), want.end(), have) != want.end()) {
        kept.push_back(have);
        continue;
      }
      (void)route_nl_->remove_static_route(have.prefix, have.length, have.gateway, have.ifindex,
                                           have.metric);
    }
    for (const auto& w : want) {
      if (std::find(kept.begin(), kept.end(), w) != kept.end()) continue;
      auto st = route_nl_->add_static_route(w.prefix, w.length, w.gateway, w.ifindex, w.metric);
      if (st)
        kept.push_back(w);
      else
        waiting.insert(st.error().message);
    }
    routes_installed_ = std::move(kept);
    for (const auto& w : waiting)
      if (route_waiting_.insert(w).second)
        log_warning(DebugModule::l2tp, "ip route-static " + w + ": not installed yet");
    std::erase_if(route_waiting_, [&](const std::string& w) { return !waiting.count(w); });
  }
  void remove_static_routes() {
    if (!route_nl_) return;
    for (const auto& r : routes_installed_)
      (void)route_nl_->remove_static_route(r.prefix, r.length, r.gateway, r.ifindex, r.metric);
    routes_installed_.clear();
  }

  void on_config(const config::ConfigChange& change, const config::RunningConfig& cfg) {
    // Any change may create or remove a template's device or a connected network.
    struct Routes {
      ApplianceServices* self;
      const config::RunningConfig& cfg;
      ~Routes() { self->reconcile_static_routes(cfg); }
    } routes{this, cfg};
    l2tp_->on_config_change(change);
    switch (change.section) {
      case config::ConfigSection::l2tp_global:
        open_udp_if_enabled();
        tun_->reconcile(cfg);
        auto_->reconcile();
        break;
      case config::ConfigSection::virtual_template:
        close_removed_template_calls(cfg);
        tun_->reconcile(cfg);
        auto_->reconcile();
        reconcile_access(cfg);  // `shutdown` stops the template's PPPoE servers
        break;
      case config::ConfigSection::l2tp_group:
        tun_->reconcile(cfg);
        auto_->reconcile();
        break;
      case config::ConfigSection::interface:
        tun_->reconcile(cfg);
        reconcile_access(cfg);
        if (ipsec_) ipsec_->apply(cfg);  // `undo interface` takes its `ipsec apply` along
        break;
      case config::ConfigSection::ipsec:
        if (ipsec_) ipsec_->apply(cfg);
        break;
      case config::ConfigSection::dynamic_author:
        if (dae_) dae_->reconcile(cfg);
        break;
      default:
        break;
    }
  }

  // `undo interface virtual-template N`: the users on it lose their device (and data path)
  // with it, so their calls end now (PPP Terminate + CDN / PADT, accounting Stop
  // Admin-Reset, addresses back to the pool) instead of staying online without one.
  // A shut template (`shutdown`) likewise brings its users down; its PPPoE servers stop
  // with reconcile_access.
  void close_removed_template_calls(const config::RunningConfig& cfg) {
    auto unusable = [&](std::uint16_t vt) {
      auto t = cfg.virtual_templates.find(vt);
      return t == cfg.virtual_templates.end() || t->second.shutdown;
    };
    std::set<std::uint16_t> gone;
    if (lns_)
      for (const auto& c : lns_->status())
        if (unusable(c.virtual_template)) gone.insert(c.virtual_template);
    if (lac_)
      for (const auto& c : lac_->status())
        if (c.address && unusable(c.virtual_template)) gone.insert(c.virtual_template);
    for (auto vt : gone) {
      std::size_t n = 0;
      if (lns_) n += lns_->close_template(vt);
      if (lac_) n += lac_->close_local_template(vt);
      if (n)
        log_info(DebugModule::l2tp,
                 "virtual-template " + std::to_string(vt) +
                     (cfg.virtual_templates.count(vt) ? " shut down: " : " removed: ") +
                     std::to_string(n) + " call(s) closed");
    }
  }

  AccessInterface* access(vpdn::AccessId id) {
    if (id.port >= access_.size() || !access_[id.port] || !access_[id.port]->server) return nullptr;
    return access_[id.port].get();
  }

  static bool template_shut(const config::RunningConfig& cfg, std::uint16_t vt) {
    auto t = cfg.virtual_templates.find(vt);
    return t != cfg.virtual_templates.end() && t->second.shutdown;
  }

  // PPPoE servers exactly on the interfaces bound with `pppoe-server bind` to a template
  // that is not shut down (a shut one answers no PADI and its sessions get a PADT).
  void reconcile_access(const config::RunningConfig& cfg) {
    for (auto& a : access_) {
      if (!a) continue;
      auto i = cfg.interfaces.find(a->name);
      bool keep =
          i != cfg.interfaces.end() && i->second.pppoe_server_template == a->virtual_template &&
          cfg.linux_interface(a->name) == a->device && !template_shut(cfg, a->virtual_template);
      if (keep) continue;
      a->server->close_all();  // PADT each; the listener ends the calls
      a->socket->stop();
      a.reset();
    }
    for (const auto& [name, i] : cfg.interfaces) {
      if (!i.pppoe_server_template || template_shut(cfg, *i.pppoe_server_template)) continue;
      bool have = false;
      for (auto& a : access_) have = have || (a && a->name == name);
      if (have) continue;
      const std::string device = cfg.linux_interface(name);
      if (device.empty()) {
        log_warning(DebugModule::pppoe, "PPPoE server on " + name +
                                            " not started: no linux-interface names its Linux "
                                            "interface");
        continue;
      }
      auto sock = ppp::PppoeSocket::open(engine_.io(), device);
      if (!sock) {
        log_error(DebugModule::pppoe, "PPPoE server on " + name + " not started: " + sock.error());
        continue;
      }
      auto a = std::make_unique<AccessInterface>();
      a->owner = this;
      a->port = static_cast<std::uint16_t>(access_.size());
      a->name = name;
      a->device = device;
      a->virtual_template = *i.pppoe_server_template;
      a->socket = std::move(*sock);
      ppp::PppoeServerConfig pc;
      pc.interface = name;
      pc.mac = a->socket->mac();
      pc.ac_name = cfg.sysname;
      a->server = std::make_unique<ppp::PppoeServer>(pc, *a->socket, timers_, a.get());
      ppp::PppoeServer* server = a->server.get();
      a->socket->start([server](ByteView f) { server->on_frame(f); });
      log_info(DebugModule::pppoe,
               "PPPoE server on " + name + (device != name ? " (" + device + ")" : "") +
                   " (virtual-template " + std::to_string(a->virtual_template) + ")");
      access_.push_back(std::move(a));
    }
  }

  ProtocolThread& engine_;
  config::ConfigStore& store_;
  TimerService& timers_;
  ServicesOptions options_;
  std::shared_ptr<bool> alive_;
  netlink::Backend backend_ = netlink::Backend::user_space;
  std::string backend_description_ = "user-space (TUN)";
  std::map<std::string, std::uint64_t> drops_at_reset_;  // `reset l2tp statistics`
  std::unique_ptr<netlink::RouteNetlink> route_nl_;      // `ip route-static`
  std::vector<KernelRoute> routes_installed_;
  std::set<std::string> route_waiting_;  // logged once each
  vpdn::OsRandom random_;
  std::unique_ptr<aaa::RadiusClient> radius_;
  std::unique_ptr<aaa::Aaa> aaa_;
  std::unique_ptr<vpdn::L2tpEngine> l2tp_;
  std::unique_ptr<vpdn::DataPath> data_path_;  // TUN <-> calls <-> engine
  std::unique_ptr<ipsec::Driver> ipsec_;
  std::unique_ptr<TunPort> tun_;
  std::unique_ptr<KernelPort> kernel_;       // --data-plane kernel (or auto, where available)
  std::unique_ptr<LacKernelBridge> bridge_;  // the LAC's switch, with kernel_
  std::unique_ptr<vpdn::LnsCalls> lns_;
  std::unique_ptr<vpdn::LacCalls> lac_;
  std::unique_ptr<vpdn::AutoClients> auto_;
  std::unique_ptr<aaa::DaeServer> dae_;
  std::vector<std::unique_ptr<AccessInterface>> access_;  // index = AccessId::port
  bool udp_open_ = false;
  config::Subscription config_subscription_;  // last: the first member to go
};

void AccessInterface::on_session_open(std::uint16_t sid, const ppp::MacAddress& peer,
                                      std::string_view) {
  owner->access_open(*this, sid, peer);
}
void AccessInterface::on_session_frame(std::uint16_t sid, ByteView frame) {
  owner->access_frame(*this, sid, frame);
}
void AccessInterface::on_session_closed(std::uint16_t sid, ppp::PppoeCloseReason) {
  owner->access_closed(*this, sid);
}

}  // namespace

std::unique_ptr<Services> make_services(ProtocolThread& engine, config::ConfigStore& store,
                                        TimerService& timers, ServicesOptions options) {
  return std::make_unique<ApplianceServices>(engine, store, timers, options);
}

}  // namespace vpdnd::app
