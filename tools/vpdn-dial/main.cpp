// vpdn-dial: emulates many PPP users towards a LAC (PPPoE) or an LNS (client-initiated
// L2TP, where it is LAC and user at once), for tests, demos and load runs.
//
// One thread, one io_context: PPPoE clients (ppp/pppoe.hpp) or the L2TP engine's LAC calls
// (vpdn/engine.hpp) carry one PppSession in client mode per user (ppp/ppp.hpp). With --tun
// every established session's address goes on one TUN device (netlink/netlink.hpp); IP
// packets read from it are sent as PPP frames of the session that owns their source
// address, and IP frames from a session are written back to the TUN.
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include "common/log.hpp"
#include "common/timer.hpp"
#include "netlink/netlink.hpp"
#include "ppp/pppoe.hpp"
#include "tools/vpdn-dial/options.hpp"

#ifdef VPDN_DIAL_HAVE_L2TP
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "tools/udp-blast/blast.hpp"
#endif

#ifdef VPDN_DIAL_HAVE_PPP
#include "ppp/ppp.hpp"
#endif
#ifdef VPDN_DIAL_HAVE_L2TP
#include "startup-config/model.hpp"
#include "vpdn/engine.hpp"
#endif

namespace vpdnd::dial {

namespace asio = boost::asio;

#ifndef VPDN_DIAL_HAVE_PPP
int run(const Options&) {
  std::fprintf(stderr, "vpdn-dial: built without the PPP session (ppp/ppp.hpp); cannot dial\n");
  return 2;
}
#else

class Dialer;

// One emulated user: its access leg (PPPoE client or L2TP call) and its PPP session.
class User final : public ppp::PppLowerLayer,
                   public ppp::PppListener,
                   public ppp::PppoeClientListener {
 public:
  enum class State { waiting, dialing, up, closing, done, failed };

  User(Dialer& d, unsigned number, std::string name)
      : d_(d), number_(number), name_(std::move(name)) {}

  unsigned number() const { return number_; }
  const std::string& name() const { return name_; }
  State state() const { return state_; }
  std::optional<Ipv4> address() const { return address_; }
#ifdef VPDN_DIAL_HAVE_L2TP
  std::optional<vpdn::SessionRef> l2tp_ref() const {
    return ref_;
  }
#endif

  void dial();
  void hang_up();                    // graceful: PPP Terminate, then PADT / CDN
  void abort(std::string_view why);  // setup timeout or shutdown while dialing
  void send_ip(ByteView packet);

  // PppLowerLayer
  void send(ByteView frame) override;
  // PppListener
  void on_ready_to_tunnel(const ppp::ProxyData&, const ppp::AuthResult&) override {}
  void on_up(const ppp::SessionUpInfo& info) override;
  void on_down(ppp::DownReason reason, std::string_view detail) override;
  // PppoeClientListener
  void on_pppoe_up(std::uint16_t session_id, const ppp::MacAddress& ac) override;
  void on_pppoe_frame(ByteView frame) override {
    deliver(frame);
  }
  void on_ethernet(ByteView frame) {
    if (pppoe_) pppoe_->on_frame(frame);
  }
  void on_pppoe_down(std::string_view why) override;
#ifdef VPDN_DIAL_HAVE_L2TP
  void on_l2tp_up(vpdn::SessionRef ref);
  void on_l2tp_down(const vpdn::SessionEnd& end);
  void on_l2tp_frame(ByteView frame) {
    if (!ppp_) {
      if (l2tp_grace_) l2tp_grace_->cancel();
      start_ppp();
    }
    deliver(frame);
  }
#endif

 private:
  void start_ppp();
  void deliver(ByteView frame);
  void finish(bool ok, std::string_view why);
  void release_lower();

  Dialer& d_;
  unsigned number_;
  std::string name_;
  State state_ = State::waiting;
  bool was_up_ = false;    // IPCP came up at some point
  bool ppp_down_ = false;  // the PPP session reported on_down
  TimePoint started_{};
  std::optional<Ipv4> address_;
  std::unique_ptr<ppp::PppoeClient> pppoe_;
  std::unique_ptr<ppp::PppSession> ppp_;
  std::unique_ptr<TimerSlot> timer_;  // setup timeout, then hold
#ifdef VPDN_DIAL_HAVE_L2TP
  std::optional<vpdn::CallHandle> call_;
  std::optional<vpdn::SessionRef> ref_;
  std::unique_ptr<TimerSlot> l2tp_grace_;
  Bytes l2tp_buffer_;
#endif
};

class Dialer {
 public:
  explicit Dialer(const Options& o)
      : o_(o), timers_(io_), signals_(io_, SIGINT, SIGTERM), tick_(io_) {}

  int run();

  // For users.
  const Options& options() const { return o_; }
  TimerService& timers() { return timers_; }
  asio::io_context& io() { return io_; }
  ppp::PppoeSocket* pppoe() { return pppoe_.get(); }
#ifdef VPDN_DIAL_HAVE_L2TP
  // User n's engine (--tunnels spreads them); each engine's ids are its own.
  std::size_t engine_of(unsigned number) const {
    return (number - 1) % l2tp_.size();
  }
  vpdn::L2tpEngine* l2tp(std::size_t engine) {
    return l2tp_.at(engine).engine.get();
  }
  void bind_ref(std::size_t engine, vpdn::SessionRef ref, User* u) {
    l2tp_.at(engine).by_ref[ref] = u;
  }
  void unbind_ref(std::size_t engine, vpdn::SessionRef ref) {
    l2tp_.at(engine).by_ref.erase(ref);
  }
#endif
  void register_mac(const ppp::MacAddress& mac, User* u) {
    by_mac_[mac] = u;
  }
  void user_up(User& u, Duration setup);
  void user_finished(User& u, bool ok, std::string_view why);
  void user_address(User& u, std::optional<Ipv4> old_address, std::optional<Ipv4> address);
  void write_tun(ByteView packet) {
    if (tun_) tun_->write(packet);
  }
  ppp::SessionConfig ppp_config(const User& u) const;

 private:
  Status<std::string> open_access();
  Status<std::string> open_tun();
  void on_tick();
  void start_more();
  void progress(bool final_line);
  void shutdown(std::string_view why);
  void maybe_finish();
  void drain();                        // StopCCN on every tunnel (bounded), then the loop ends
  void record_session(const User& u);  // --sessions-file

  Options o_;
  asio::io_context io_;
  AsioTimerService timers_;
  asio::signal_set signals_;
  asio::steady_timer tick_;
  std::unique_ptr<ppp::PppoeSocket> pppoe_;
  std::map<ppp::MacAddress, User*> by_mac_;
#ifdef VPDN_DIAL_HAVE_L2TP
  config::RunningConfig l2tp_config_;
  std::unique_ptr<vpdn::OsRandom> random_;
  // One per --tunnels: an engine, and the users on it by session (hashed: every data
  // message of 100,000 users is looked up here).
  struct RefHash {
    std::size_t operator()(vpdn::SessionRef r) const noexcept {
      return std::size_t{r.tunnel} << 16 | r.session;
    }
  };
  struct Engine final : vpdn::SessionHandler {
    std::unique_ptr<vpdn::L2tpEngine> engine;
    std::unordered_map<vpdn::SessionRef, User*, RefHash> by_ref;
    // SessionHandler: we are only ever the LAC side.
    bool on_incoming_session(const vpdn::IncomingSession&) override { return false; }
    void on_session_down(vpdn::SessionRef ref, const vpdn::SessionEnd& end) override;
    void on_data(vpdn::SessionRef ref, ByteView frame) override;
  };
  std::vector<Engine> l2tp_;
  std::size_t engines_running_ = 0;  // during shutdown: engines not yet done
  std::FILE* sessions_file_ = nullptr;
  Ipv4 lac_address_;  // the source address towards the LNS (the engines bind the wildcard)
#endif
  std::unique_ptr<netlink::TunDevice> tun_;
  std::unique_ptr<netlink::RouteNetlink> rtnl_;
  std::unique_ptr<netlink::RouteTable> routes_;
  netlink::AddressMap<User*> by_address_;
  netlink::DataPlaneCounters tun_drops_;

  std::vector<std::unique_ptr<User> > users_;
  unsigned started_ = 0, in_setup_ = 0, established_ = 0, failed_ = 0, finished_ = 0, active_ = 0;
  std::vector<double> setup_ms_;
  TimePoint begin_{}, first_up_{}, last_up_{}, last_progress_{};
  bool stopping_ = false, stopped_ = false;
  std::string first_failure_;
};

// ---- User -----------------------------------------------------------------------------

void User::dial() {
  state_ = State::dialing;
  started_ = SteadyClock::now();
  timer_ = std::make_unique<TimerSlot>(d_.timers());
  timer_->arm(
      std::chrono::duration_cast<Duration>(std::chrono::duration<double>(d_.options().timeout_s)),
      [this] { abort("setup timeout"); });
  const Options& o = d_.options();
  if (o.access == Access::pppoe) {
    ppp::PppoeClientConfig c;
    unsigned m = o.first_mac + number_ - 1;
    c.mac = {0x02,
             0x76,
             0x64,
             static_cast<std::uint8_t>(m >> 16),
             static_cast<std::uint8_t>(m >> 8),
             static_cast<std::uint8_t>(m)};
    c.service_name = o.service;
    c.host_uniq = {static_cast<std::uint8_t>(number_ >> 24),
                   static_cast<std::uint8_t>(number_ >> 16),
                   static_cast<std::uint8_t>(number_ >> 8), static_cast<std::uint8_t>(number_)};
    c.timeout = 1s;
    c.max_attempts = 5;
    d_.register_mac(c.mac, this);
    pppoe_ = std::make_unique<ppp::PppoeClient>(c, *d_.pppoe(), d_.timers(), *this);
    pppoe_->start();
    return;
  }
#ifdef VPDN_DIAL_HAVE_L2TP
  vpdn::LacCallRequest req;
  req.lns_addresses = {o.lns};
  req.lns_port = o.lns_port;
  if (!o.secret.empty()) {
    req.secret = o.secret;
    req.authenticate = true;
  } else {
    req.authenticate = false;
  }
  req.host_name = host_name(o.hostname, static_cast<unsigned>(d_.engine_of(number_)) + 1);
  req.user = name_;
  req.interface = "vpdn-dial";
  req.calling_number = std::to_string(number_);
  vpdn::LacCallbacks cb;
  cb.on_up = [this](vpdn::SessionRef ref) { on_l2tp_up(ref); };
  cb.on_down = [this](const vpdn::SessionEnd& end) { on_l2tp_down(end); };
  auto call = d_.l2tp(d_.engine_of(number_))->place_call(std::move(req), std::move(cb));
  if (!call) {
    finish(false, "place_call: " + call.error());
    return;
  }
  if (state_ == State::dialing) call_ = *call;
#endif
}

void User::on_pppoe_up(std::uint16_t, const ppp::MacAddress&) {
  start_ppp();
}

void User::on_pppoe_down(std::string_view why) {
  if (ppp_) {
    ppp_->lower_down();  // reports on_down(lower_down)
    return;
  }
  finish(false, why);
}

#ifdef VPDN_DIAL_HAVE_L2TP
void Dialer::Engine::on_session_down(vpdn::SessionRef ref, const vpdn::SessionEnd& end) {
  if (auto it = by_ref.find(ref); it != by_ref.end()) it->second->on_l2tp_down(end);
}
void Dialer::Engine::on_data(vpdn::SessionRef ref, ByteView frame) {
  if (auto it = by_ref.find(ref); it != by_ref.end()) it->second->on_l2tp_frame(frame);
}

void User::on_l2tp_up(vpdn::SessionRef ref) {
  call_.reset();
  ref_ = ref;
  d_.bind_ref(d_.engine_of(number_), ref, this);
  // Our ICCN may still wait in the control channel's window when this fires, and a data
  // message overtaking it is dropped by the LNS (session not yet established there), which
  // costs a 3 s LCP restart. The LNS starts LCP itself once it has the ICCN, so we start on
  // its first frame, or after a short grace period if it stays passive.
  if (!l2tp_grace_) l2tp_grace_ = std::make_unique<TimerSlot>(d_.timers());
  l2tp_grace_->arm(1s, [this] { start_ppp(); });
}

void User::on_l2tp_down(const vpdn::SessionEnd& end) {
  call_.reset();
  if (ref_) d_.unbind_ref(d_.engine_of(number_), *ref_);
  ref_.reset();
  if (ppp_) {
    ppp_->lower_down();
    return;
  }
  finish(false, "L2TP: " + end.reason);
}
#endif

void User::start_ppp() {
  if (state_ != State::dialing || ppp_) return;
  ppp_ = std::make_unique<ppp::PppSession>(d_.ppp_config(*this), *this, *this, d_.timers());
  ppp_->start();
}

void User::send(ByteView frame) {
  if (pppoe_) {
    pppoe_->send(frame);
    return;
  }
#ifdef VPDN_DIAL_HAVE_L2TP
  if (ref_) {
    // RFC 2661 §3.1 carries the HDLC-like address/control octets (no ACFC negotiated here).
    l2tp_buffer_.assign({0xff, 0x03});
    l2tp_buffer_.insert(l2tp_buffer_.end(), frame.begin(), frame.end());
    d_.l2tp(d_.engine_of(number_))->send_data(*ref_, l2tp_buffer_);
  }
#endif
}

void User::deliver(ByteView frame) {
  if (!ppp_) return;
  if (ppp_->receive(frame) == ppp::Disposition::ip) {
    auto f = ppp::decode_frame(frame);
    if (f) d_.write_tun(f->payload);
  }
}

void User::send_ip(ByteView packet) {
  if (state_ != State::up) return;
  send(ppp::encode_frame(ppp::proto::ip, packet));
}

void User::on_up(const ppp::SessionUpInfo& info) {
  if (state_ != State::dialing) return;
  const Options& o = d_.options();
  const ppp::AuthProtocol expected =
      o.auth == AuthPreference::chap       ? ppp::AuthProtocol::chap_md5
      : o.auth == AuthPreference::pap      ? ppp::AuthProtocol::pap
      : o.auth == AuthPreference::mschap   ? ppp::AuthProtocol::mschap_v1
      : o.auth == AuthPreference::mschapv2 ? ppp::AuthProtocol::mschap_v2
                                           : ppp::AuthProtocol::none;
  if (o.auth != AuthPreference::any && info.auth != expected) {
    std::string why = "authenticated with " + std::string(ppp::to_string(info.auth)) +
                      ", expected " + std::string(ppp::to_string(expected));
    finish(false, why);
    return;
  }
  state_ = State::up;
  was_up_ = true;
  address_ = info.local_address;  // client mode: ours; peer_address is the AC's
  d_.user_address(*this, std::nullopt, address_);
  d_.user_up(*this, SteadyClock::now() - started_);
  timer_->cancel();
  if (o.hold_s >= 0)
    timer_->arm(std::chrono::duration_cast<Duration>(std::chrono::duration<double>(o.hold_s)),
                [this] { hang_up(); });
}

void User::hang_up() {
  if (state_ == State::dialing) return abort("hung up while dialing");
  if (state_ != State::up) return;
  state_ = State::closing;
  // Terminate-Request; on_down follows once acked (or after the Terminate timeout).
  ppp_->close("user hangs up");
}

void User::abort(std::string_view why) {
  if (state_ != State::dialing) return;
  finish(false, why);
}

void User::on_down(ppp::DownReason reason, std::string_view detail) {
  ppp_down_ = true;
  if (state_ == State::done || state_ == State::failed) {
    // The Terminate exchange that finish() started is over: now the access leg goes.
    release_lower();
    asio::post(d_.io(), [this] { ppp_.reset(); });
    return;
  }
  // A session that came up and then ended (hang-up, or the network ended it) is a
  // success for the setup statistics; one that never came up is a failure.
  finish(was_up_,
         std::string(ppp::to_string(reason)) + (detail.empty() ? "" : ": ") + std::string(detail));
}

void User::release_lower() {
  if (pppoe_) pppoe_->close();  // PADT if the session is still there
#ifdef VPDN_DIAL_HAVE_L2TP
  if (call_) d_.l2tp(d_.engine_of(number_))->cancel_call(*call_);
  call_.reset();
  if (ref_) {
    d_.unbind_ref(d_.engine_of(number_), *ref_);
    d_.l2tp(d_.engine_of(number_))->close_session(*ref_);
    ref_.reset();
  }
#endif
}

void User::finish(bool ok, std::string_view why) {
  if (state_ == State::done || state_ == State::failed) return;
  state_ = ok ? State::done : State::failed;
  if (timer_) timer_->cancel();
  if (address_) {
    d_.user_address(*this, address_, std::nullopt);
    address_.reset();
  }
  d_.user_finished(*this, ok, why);
  if (ppp_ && !ppp_down_) {
    // Terminate-Request first; on_down then releases the access leg (PADT / CDN).
    ppp_->close(why);
    return;
  }
  release_lower();
  // The PPP session may be inside the call that got us here: destroy it later.
  if (ppp_) asio::post(d_.io(), [this] { ppp_.reset(); });
}

// ---- Dialer ---------------------------------------------------------------------------

ppp::SessionConfig Dialer::ppp_config(const User& u) const {
  ppp::SessionConfig c;
  c.mode = ppp::SessionMode::client;
  c.user = u.name();
  c.password = o_.password;
  c.mru = o_.access == Access::pppoe ? ppp::kPppoeMtu : 1500;
  if (o_.auth == AuthPreference::chap) c.auth_methods = {ppp::AuthMethod::chap_md5};
  if (o_.auth == AuthPreference::pap) c.auth_methods = {ppp::AuthMethod::pap};
  if (o_.auth == AuthPreference::mschap) c.auth_methods = {ppp::AuthMethod::mschap_v1};
  if (o_.auth == AuthPreference::mschapv2) c.auth_methods = {ppp::AuthMethod::mschap_v2};
  c.request_dns = true;
  c.echo_interval = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(o_.echo_s));
  c.tag = "dial " + std::to_string(u.number());
  return c;
}

Status<std::string> Dialer::open_access() {
  if (o_.access == Access::pppoe) {
    // Promiscuous: every user has its own MAC, none of them the interface's.
    auto s = ppp::PppoeSocket::open(io_, o_.interface, true);
    if (!s) return unexpected(s.error());
    pppoe_ = std::move(*s);
    pppoe_->start([this](ByteView frame) {
      if (frame.size() < 6) return;
      ppp::MacAddress dst;
      std::copy_n(frame.begin(), 6, dst.begin());
      auto it = by_mac_.find(dst);
      if (it != by_mac_.end()) {
        it->second->on_ethernet(frame);
      }
    });
    return {};
  }
#ifdef VPDN_DIAL_HAVE_L2TP
  l2tp_config_.sysname = host_name(o_.hostname, 1);
  l2tp_config_.l2tp.enabled = true;
  random_ = std::make_unique<vpdn::OsRandom>();
  // Built in place: the engines hold their Engine as handler.
  l2tp_ = std::vector<Engine>(o_.tunnels);
  for (std::size_t i = 0; i < l2tp_.size(); ++i) {
    vpdn::EngineOptions eo;
    eo.port_override =
        o_.local_port == 0 ? std::uint16_t{0} : static_cast<std::uint16_t>(o_.local_port + i);
    l2tp_[i].engine = std::make_unique<vpdn::L2tpEngine>(l2tp_config_, timers_, *random_, eo);
    l2tp_[i].engine->set_handler(&l2tp_[i]);
    auto st = l2tp_[i].engine->open_udp(io_);
    if (!st) return unexpected("L2TP UDP socket " + std::to_string(i + 1) + ": " + st.error());
  }
  if (!o_.sessions_file.empty()) {
    // The address the kernel picks as source towards the LNS: what the LNS sees as the
    // tunnel's peer (a connected UDP socket's local address; nothing is sent).
    int probe = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in to{}, local{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(o_.lns.value);
    to.sin_port = htons(o_.lns_port);
    socklen_t len = sizeof local;
    bool ok = probe >= 0 && ::connect(probe, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0 &&
              ::getsockname(probe, reinterpret_cast<sockaddr*>(&local), &len) == 0;
    if (probe >= 0) ::close(probe);
    if (!ok) return unexpected("--sessions-file: no route to the LNS " + o_.lns.to_string());
    lac_address_ = Ipv4{ntohl(local.sin_addr.s_addr)};
    sessions_file_ = std::fopen(o_.sessions_file.c_str(), "w");
    if (!sessions_file_)
      return unexpected("--sessions-file " + o_.sessions_file + ": cannot write");
  }
  return {};
#else
  return unexpected(
      std::string("--l2tp is not available yet: built without the L2TP engine (vpdn/engine.hpp)"));
#endif
}

Status<std::string> Dialer::open_tun() {
  if (!o_.tun) return {};
  auto tun = netlink::TunDevice::open(o_.tun_name);
  if (!tun) return unexpected(tun.error().message);
  tun_ = std::move(*tun);
  auto rtnl = netlink::RouteNetlink::open();
  if (!rtnl) return unexpected(rtnl.error().message);
  rtnl_ = std::move(*rtnl);
  std::uint32_t mtu = o_.access == Access::pppoe ? ppp::kPppoeMtu : 1460;
  if (auto st = rtnl_->set_link(tun_->ifindex(), mtu, true); !st)
    return unexpected(st.error().message);
  routes_ = std::make_unique<netlink::RouteTable>(*rtnl_, tun_->ifindex());
  if (o_.route)
    if (auto st = routes_->add(o_.route->first, o_.route->second); !st)
      return unexpected(st.error().message);
  tun_->start(io_, [this](const netlink::PacketBatch& batch) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      // The session is the one whose address the packet comes from.
      auto src = netlink::ipv4_source(batch[i]);
      if (!src) {
        ++tun_drops_.drops_not_ipv4;
        continue;
      }
      User* const* u = by_address_.find(*src);
      if (!u) {
        ++tun_drops_.drops_no_session;
        continue;
      }
      (*u)->send_ip(batch[i]);
    }
  });
  return {};
}

void Dialer::user_address(User& u, std::optional<Ipv4> old_address, std::optional<Ipv4> address) {
  if (!tun_) return;
  if (old_address) {
    by_address_.erase(*old_address);
    (void)rtnl_->remove_address(tun_->ifindex(), *old_address, 32);
  }
  if (address) {
    if (!by_address_.insert(*address, &u)) {
      std::fprintf(stderr, "vpdn-dial: %s got %s, which another session already has\n",
                   u.name().c_str(), address->to_string().c_str());
      return;
    }
    if (auto st = rtnl_->add_address(tun_->ifindex(), *address, 32); !st)
      std::fprintf(stderr, "vpdn-dial: %s: %s\n", u.name().c_str(), st.error().message.c_str());
  }
}

#ifdef VPDN_DIAL_HAVE_L2TP
void Dialer::record_session(const User& u) {
  auto ref = u.l2tp_ref();
  if (!sessions_file_ || !ref || !u.address()) return;
  vpdn::L2tpEngine* engine = l2tp(engine_of(u.number()));
  auto session = engine->session_status(*ref);
  if (!session) return;
  for (const auto& t : engine->snapshot_tunnels()) {
    if (t.local_id != ref->tunnel) continue;
    blast::L2tpSession line{.lac = {lac_address_, engine->local_endpoint().port},
                            .lns = {t.remote_address, t.remote_port},
                            .tunnel = t.remote_id,
                            .session = session->remote_id,
                            .address = *u.address()};
    std::fprintf(sessions_file_, "%s\n", blast::format_session_line(line).c_str());
    std::fflush(sessions_file_);
    return;
  }
}
#endif

void Dialer::user_up(User& u, Duration setup) {
  --in_setup_;
  ++established_;
  ++active_;
  last_up_ = SteadyClock::now();
  if (established_ == 1) first_up_ = last_up_;
  setup_ms_.push_back(std::chrono::duration<double, std::milli>(setup).count());
#ifdef VPDN_DIAL_HAVE_L2TP
  record_session(u);
#endif
  if (o_.count <= 10 && !o_.quiet)
    std::printf("up: %s address=%s setup_ms=%.1f\n", u.name().c_str(),
                u.address() ? u.address()->to_string().c_str() : "-", setup_ms_.back());
  std::fflush(stdout);
  start_more();
}

void Dialer::user_finished(User& u, bool ok, std::string_view why) {
  if (!ok) {
    ++failed_;
    --in_setup_;
    if (first_failure_.empty()) first_failure_ = u.name() + ": " + std::string(why);
    if (!o_.quiet && failed_ <= 10)
      std::fprintf(stderr, "failed: %s: %.*s\n", u.name().c_str(), int(why.size()), why.data());
  } else {
    --active_;  // ok only follows user_up
  }
  ++finished_;
  start_more();
  maybe_finish();
}

void Dialer::start_more() {
  if (stopping_) return;
  double elapsed = std::chrono::duration<double>(SteadyClock::now() - begin_).count();
  auto allowed =
      static_cast<unsigned>(std::min<double>(o_.count, std::floor(o_.rate * elapsed) + 1));
  while (started_ < allowed && in_setup_ < o_.concurrency) {
    ++started_;
    ++in_setup_;
    users_.push_back(std::make_unique<User>(*this, started_, user_name(o_.user, started_)));
    users_.back()->dial();
  }
}

void Dialer::on_tick() {
  start_more();
  auto now = SteadyClock::now();
  if (!o_.quiet && now - last_progress_ >= 1s) {
    last_progress_ = now;
    progress(false);
  }
  maybe_finish();
  if (stopped_) return;
  tick_.expires_after(std::chrono::milliseconds(5));
  tick_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) on_tick();
  });
}

void Dialer::progress(bool) {
  double t = std::chrono::duration<double>(SteadyClock::now() - begin_).count();
  std::printf("[%7.1fs] started=%u dialing=%u up=%u established=%u failed=%u\n", t, started_,
              in_setup_, active_, established_, failed_);
  std::fflush(stdout);
}

void Dialer::shutdown(std::string_view why) {
  if (stopping_) {
    // Second signal: leave now.
    stopped_ = true;
    io_.stop();
    return;
  }
  stopping_ = true;
  if (!o_.quiet)
    std::printf("%.*s: hanging up %u session(s)\n", int(why.size()), why.data(), active_);
  for (auto& u : users_) {
    if (u->state() == User::State::up)
      u->hang_up();
    else if (u->state() == User::State::dialing)
      u->abort("stopped while dialing");
  }
  // Bounded: PPP Terminate waits up to its restart timer; do not wait longer than 5 s.
  // Calls still open then end with their tunnels (StopCCN), so the LNS frees them at once
  // instead of after its echo or Hello timeouts.
  auto limit = std::make_shared<asio::steady_timer>(io_, std::chrono::seconds(5));
  limit->async_wait([this, limit](const boost::system::error_code& ec) {
    if (!ec && !stopped_) {
      stopped_ = true;
      drain();
    }
  });
  maybe_finish();
}

void Dialer::maybe_finish() {
  if (stopped_) return;
  bool all_done = stopping_ ? finished_ == started_ : finished_ == o_.count;
  if (!all_done) return;
  stopped_ = true;
  // Let PADT/CDN/StopCCN go out before the loop ends.
  asio::post(io_, [this] { drain(); });
}

void Dialer::drain() {
#ifdef VPDN_DIAL_HAVE_L2TP
  if (!l2tp_.empty()) {
    engines_running_ = l2tp_.size();
    // Until every StopCCN is acknowledged (at once, normally): up to 10 s, so one lost in
    // the LNS's full receive buffer (every user hung up at once) is sent again (1, 2, 4 s)
    // instead of leaving the LNS to find the users gone by its echo timeout.
    for (auto& e : l2tp_)
      e.engine->shutdown(
          [this] {
            if (--engines_running_ == 0) io_.stop();
          },
          std::chrono::seconds(10));
    return;
  }
#endif
  asio::post(io_, [this] { io_.stop(); });
}

int Dialer::run() {
  if (auto st = open_access(); !st) {
    std::fprintf(stderr, "vpdn-dial: %s\n", st.error().c_str());
    return 2;
  }
  if (auto st = open_tun(); !st) {
    std::fprintf(stderr, "vpdn-dial: TUN: %s\n", st.error().c_str());
    return 2;
  }
  signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    shutdown(sig == SIGINT ? "SIGINT" : "SIGTERM");
    signals_.async_wait([this](const boost::system::error_code& e2, int) {
      if (!e2) shutdown("second signal");
    });
  });
  begin_ = last_progress_ = SteadyClock::now();
  on_tick();
  io_.run();
  signals_.cancel();
  tick_.cancel();
  if (tun_) tun_->stop();
  routes_.reset();  // removes the --route
#ifdef VPDN_DIAL_HAVE_L2TP
  if (sessions_file_) std::fclose(sessions_file_);
  sessions_file_ = nullptr;
#endif

  if (!o_.quiet) progress(true);
  std::sort(setup_ms_.begin(), setup_ms_.end());
  auto pct = [&](double p) {
    if (setup_ms_.empty()) return 0.0;
    auto i = static_cast<std::size_t>(std::ceil(p * static_cast<double>(setup_ms_.size())));
    return setup_ms_[std::min(setup_ms_.size() - 1, i == 0 ? 0 : i - 1)];
  };
  // Setup rate: established sessions over the time from the first dial to the last one up.
  double span = std::chrono::duration<double>(last_up_ - begin_).count();
  double rate = established_ == 0
                    ? 0.0
                    : (span > 0 ? established_ / span : static_cast<double>(established_));
  unsigned never_started = o_.count - started_;
  unsigned failed = failed_ + (stopping_ ? 0 : never_started);
  if (!first_failure_.empty() && !o_.quiet)
    std::fprintf(stderr, "first failure: %s\n", first_failure_.c_str());
  if (pppoe_ && !o_.quiet) {
    // Frames lost in our own receive queue would show up as PPP restarts (3 s) on the
    // boxes' side of the figures; say how many there were.
    std::printf("pppoe socket: frames_in=%llu frames_out=%llu send_errors=%llu kernel_drops=%llu\n",
                static_cast<unsigned long long>(pppoe_->counters().frames_in),
                static_cast<unsigned long long>(pppoe_->counters().frames_out),
                static_cast<unsigned long long>(pppoe_->counters().send_errors),
                static_cast<unsigned long long>(pppoe_->kernel_drops()));
  }
  std::printf("established=%u failed=%u setup_rate=%.1f/s p50_ms=%.1f p99_ms=%.1f\n", established_,
              failed, rate, pct(0.50), pct(0.99));
  std::fflush(stdout);
  // Users hold timers in timers_: destroy them before the timer service goes.
  users_.clear();
  return failed == 0 && established_ > 0 ? 0 : 1;
}

int run(const Options& o) {
  Dialer d(o);
  return d.run();
}
#endif

}  // namespace vpdnd::dial

int main(int argc, char** argv) {
  int code = 0;
  auto options = vpdnd::dial::parse_options(argc, argv, code);
  if (!options) return code;
  // Operational log lines of the libraries (PPPoE, L2TP) only clutter the emulator's output.
  vpdnd::LogBus::instance().set_stderr(std::getenv("VPDN_DIAL_LOG") != nullptr);
  return vpdnd::dial::run(*options);
}
