// LnsCalls: one PPP session per incoming L2TP session, with AAA, pool and TUN route.
// See vpdn/calls.hpp for the contract.
#include <utility>

#include "common/log.hpp"
#include "vpdn/calls.hpp"
#include "vpdn/calls/util.hpp"

namespace vpdnd::vpdn {

using namespace calls_detail;

std::string_view to_string(HangupCause c) {
  switch (c) {
    case HangupCause::user_request: return "user request";
    case HangupCause::auth_failed: return "authentication failed";
    case HangupCause::negotiation: return "PPP negotiation failed";
    case HangupCause::keepalive: return "PPP keepalive timeout";
    case HangupCause::admin: return "administrative";
    case HangupCause::not_vpdn_user: return "not a VPDN user";
    case HangupCause::lower_layer: return "lower layer down";
  }
  return "unknown";
}


// ---- one call --------------------------------------------------------------------------

class LnsCalls::Call final : public ppp::PppLowerLayer,
                             public ppp::PppListener,
                             public ppp::Authenticator,
                             public ppp::AddressProvider {
 public:
  Call(LnsCalls& owner, const IncomingCall& in) : owner_(owner), in_(in) {}
  ~Call() override {
    // Destroying the PppSession releases its address through release() below.
    ppp_.reset();
  }

  // false: the template is missing; the caller hangs up.
  bool start() {
    const auto& cfg = owner_.store_.running();
    auto t = cfg.virtual_templates.find(in_.virtual_template);
    if (t == cfg.virtual_templates.end()) return false;
    template_ = t->second;
    ppp::SessionConfig sc = ppp::config_from_template(template_);
    sc.mode = ppp::SessionMode::lns;
    sc.proxy = in_.proxy;
    if (auto g = cfg.l2tp_groups.find(in_.group); g != cfg.l2tp_groups.end()) {
      sc.mandatory_chap = g->second.mandatory_chap;
      sc.mandatory_lcp = g->second.mandatory_lcp;
    }
    mandatory_ = sc.mandatory_chap || sc.mandatory_lcp;
    sc.tag = "l2tp " + key(in_.id);
    if (owner_.random_) sc.random = owner_.random_;
    ppp_ = std::make_unique<ppp::PppSession>(std::move(sc), *this, *this, owner_.timers_, this, this);
    ppp_->start();
    return true;
  }

  // ---- PppLowerLayer
  // From the PPP engine: protocol + information; L2TP wants FF 03 in front.
  void send(ByteView frame) override {
    if (l2tp_down_) return;
    Bytes& buf = owner_.frame_buf_;
    buf.assign({0xff, 0x03});
    buf.insert(buf.end(), frame.begin(), frame.end());
    send_wire(buf);
  }
  // A complete L2TP payload (FF 03 included).
  void send_wire(ByteView frame) {
    if (l2tp_down_) return;
    ++counters_.output_packets;
    counters_.output_octets += frame.size();
    owner_.l2tp_.send_ppp(in_.id, frame);
  }

  // ---- Authenticator (ppp -> aaa)
  Handle authenticate(const ppp::AuthRequest& r, Done done) override {
    aaa::AuthRequest req;
    req.user_name = r.user;
    if (r.method == ppp::AuthMethod::pap) {
      req.credentials = aaa::PapCredentials{r.password};
    } else {
      req.credentials = aaa::ChapCredentials{r.chap_id, r.chap_challenge, r.chap_response};
    }
    req.calling_station_id = in_.calling_number;
    req.called_station_id = in_.called_number;
    req.nas_port = in_.id.session;
    req.nas_port_id = "Virtual-Template" + std::to_string(in_.virtual_template);
    req.domain_override = template_.auth_domain;
    auth_method_ = std::string(r.proxied ? "proxy " : "") +
                   (r.method == ppp::AuthMethod::pap ? "PAP" : "CHAP");
    return owner_.aaa_.authenticate(std::move(req), [this, done = std::move(done)](aaa::AuthResult a) {
      auth_ = a;
      done(to_ppp(a));
    });
  }
  void cancel(Handle h) override { owner_.aaa_.cancel(h); }

  // ---- AddressProvider (RADIUS Framed-IP, else pool, else `remote address`)
  std::optional<Ipv4> acquire(const std::string& user, const ppp::AuthResult& auth) override {
    const auto& cfg = owner_.store_.running();
    aaa::AuthResult a = auth_.value_or(aaa::AuthResult{});
    if (!auth.framed_pool.empty()) a.framed_pool = auth.framed_pool;
    std::string pool = aaa::choose_pool(cfg, a, template_.remote_pool);
    std::optional<Ipv4> wanted = auth.framed_address;
    if (!wanted) wanted = a.framed_ip;
    if (!pool.empty()) {
      auto got = owner_.aaa_.allocate(pool, user, wanted, wanted.has_value());
      if (got) {
        pool_ = pool;
        return *got;
      }
      // A Framed-IP-Address outside every pool is the RADIUS server's to own: use it as is.
      if (wanted && (got.error() == aaa::PoolError::address_not_in_pool ||
                     got.error() == aaa::PoolError::no_such_pool)) {
        return wanted;
      }
      log_warning(DebugModule::ppp, "call=" + key(in_.id) + " user=" + user + " pool=" + pool +
                                        " no address: " + std::string(aaa::to_string(got.error())));
      return std::nullopt;
    }
    if (wanted) return wanted;
    return template_.remote_address;
  }
  void release(Ipv4 address) override {
    if (!pool_.empty()) owner_.aaa_.release(pool_, address);
    pool_.clear();
  }

  // ---- PppListener
  void on_ready_to_tunnel(const ppp::ProxyData&, const ppp::AuthResult&) override {
    // Only LAC-mode sessions ask this; an LNS session never does.
  }

  void on_up(const ppp::SessionUpInfo& info) override {
    up_ = true;
    address_ = info.peer_address;
    user_ = info.user;
    ++owner_.counters_.calls_up;
    if (!owner_.ip_.add_host_route(in_.virtual_template, *address_)) ++owner_.counters_.no_route;
    owner_.by_address_[address_->value] = in_.id;
    owner_.ip_.session_ip_up(in_.id, in_.virtual_template, *address_);
    if (auth_method_.empty()) auth_method_ = "none";
    owner_.l2tp_.set_call_info(in_.id, user_, address_, interface(), auth_method_);
    aaa::SessionStart s;
    s.user_name = user_;
    s.domain = auth_ ? auth_->domain : std::string{};
    s.interface = interface();
    s.address = address_;
    // pool left empty: the PppSession releases the lease (AddressProvider::release).
    s.calling_station_id = in_.calling_number;
    s.called_station_id = in_.called_number;
    s.nas_port = in_.id.session;
    s.nas_port_id = "Virtual-Template" + std::to_string(in_.virtual_template);
    s.counters = [this] { return counters_; };
    aaa_session_ = owner_.aaa_.open_session(std::move(s));
    log_info(DebugModule::l2tp, "call=" + key(in_.id) + " user=" + user_ +
                                    " address=" + address_->to_string() + " PPP up");
  }

  void on_down(ppp::DownReason reason, std::string_view detail) override {
    if (up_) {
      owner_.ip_.session_ip_down(in_.id, in_.virtual_template, *address_);
      owner_.ip_.remove_host_route(in_.virtual_template, *address_);
      auto it = owner_.by_address_.find(address_->value);
      if (it != owner_.by_address_.end() && it->second == in_.id) owner_.by_address_.erase(it);
      --owner_.counters_.calls_up;
      up_ = false;
    }
    if (aaa_session_) {
      owner_.aaa_.close_session(aaa_session_, cause_override_.value_or(terminate_cause(reason)));
      aaa_session_ = 0;
    }
    if (!l2tp_down_) {
      l2tp_down_ = true;
      owner_.l2tp_.hang_up(in_.id, hangup_cause(reason));
    }
    log_info(DebugModule::l2tp, "call=" + key(in_.id) + " user=" + user_ + " PPP down reason=" +
                                    std::string(ppp::to_string(reason)) + " " + std::string(detail));
    owner_.finished(in_.id);  // defers our destruction; touch nothing after this
  }

  // ---- data
  void from_l2tp(ByteView frame) {
    ++counters_.input_packets;
    counters_.input_octets += frame.size();
    if (up_) {
      // Fast path: IPv4 straight to the TUN without the PPP engine.
      if (auto f = split_frame(frame); f && f->first == ppp::proto::ip) {
        ++owner_.counters_.ip_to_tun;
        owner_.ip_.write_ip(in_.virtual_template, f->second);
        return;
      }
    }
    ppp::Disposition d = ppp_->receive(frame);
    if (d == ppp::Disposition::ip) {
      if (auto f = split_frame(frame)) {
        ++owner_.counters_.ip_to_tun;
        owner_.ip_.write_ip(in_.virtual_template, f->second);
      }
    } else if (d == ppp::Disposition::dropped) {
      ++owner_.counters_.drop_ppp;
    }
  }

  void l2tp_gone(std::optional<aaa::TerminateCause> cause = std::nullopt) {
    l2tp_down_ = true;
    if (cause) cause_override_ = cause;
    ppp_->lower_down();  // -> on_down at once
  }
  void shutdown() {
    owner_.l2tp_.hang_up(in_.id, HangupCause::admin);
    l2tp_down_ = true;
    cause_override_ = aaa::TerminateCause::admin_reboot;
    ppp_->lower_down();
  }
  void close() { ppp_->close("administratively reset"); }

  LnsCallStatus status() const {
    LnsCallStatus s;
    s.id = in_.id;
    s.virtual_template = in_.virtual_template;
    s.user = user_.empty() && ppp_ ? ppp_->user() : user_;
    s.address = address_;
    s.phase = ppp_ ? std::string(ppp::to_string(ppp_->phase())) : "dead";
    s.counters = counters_;
    return s;
  }
  const aaa::Counters& counters() const { return counters_; }
  std::string interface() const {
    return "Virtual-Template" + std::to_string(in_.virtual_template) + ":" +
           std::to_string(in_.id.session);
  }

 private:
  LnsCalls& owner_;
  IncomingCall in_;
  config::VirtualTemplate template_;
  std::unique_ptr<ppp::PppSession> ppp_;
  std::optional<aaa::AuthResult> auth_;
  std::string auth_method_;
  std::string pool_;
  std::optional<Ipv4> address_;
  std::string user_;
  aaa::Aaa::SessionId aaa_session_ = 0;
  aaa::Counters counters_;
  std::optional<aaa::TerminateCause> cause_override_;
  bool mandatory_ = false;
  bool up_ = false;
  bool l2tp_down_ = false;
};

// ---- LnsCalls ------------------------------------------------------------------------------

LnsCalls::LnsCalls(config::ConfigStore& store, TimerService& timers, aaa::Aaa& aaa,
                   L2tpPort& l2tp, IpPort& ip)
    : store_(store), timers_(timers), aaa_(aaa), l2tp_(l2tp), ip_(ip), graveyard_(timers) {}

LnsCalls::~LnsCalls() {
  // Quiet end: no CDNs (the engine owner decides about the wire), but accounting and leases
  // are closed by each Call's teardown.
  std::vector<CallId> ids;
  for (auto& [id, c] : calls_) ids.push_back(id);
  for (auto id : ids) {
    auto it = calls_.find(id);
    if (it != calls_.end()) it->second->l2tp_gone();
  }
  // Only now: the teardown above parks calls again.
  graveyard_.clear();
}

void LnsCalls::on_call_up(const IncomingCall& call) {
  if (calls_.count(call.id)) return;  // the engine reports each session once
  ++counters_.calls_total;
  auto c = std::make_unique<Call>(*this, call);
  Call* raw = c.get();
  calls_.emplace(call.id, std::move(c));
  if (!raw->start()) {
    calls_.erase(call.id);
    log_warning(DebugModule::l2tp, "call=" + key(call.id) + " virtual-template " +
                                       std::to_string(call.virtual_template) + " does not exist");
    l2tp_.hang_up(call.id, HangupCause::negotiation);
  }
}

void LnsCalls::on_l2tp_data(CallId call, ByteView frame) {
  auto it = calls_.find(call);
  if (it == calls_.end()) {
    ++counters_.drop_unknown_call;
    return;
  }
  it->second->from_l2tp(frame);
}

void LnsCalls::on_call_down(CallId call, aaa::TerminateCause cause) {
  auto it = calls_.find(call);
  if (it == calls_.end()) return;
  it->second->l2tp_gone(cause);
}

void LnsCalls::on_tun_packet(std::uint16_t vt, ByteView packet) {
  (void)vt;
  auto dst = destination_of(packet);
  if (!dst) {
    ++counters_.drop_not_ipv4;
    return;
  }
  auto a = by_address_.find(dst->value);
  if (a == by_address_.end()) {
    ++counters_.drop_no_session;
    return;
  }
  auto c = calls_.find(a->second);
  if (c == calls_.end()) {
    ++counters_.drop_no_session;
    return;
  }
  ++counters_.ip_from_tun;
  frame_buf_.assign({0xff, 0x03, 0x00, 0x21});
  frame_buf_.insert(frame_buf_.end(), packet.begin(), packet.end());
  c->second->send_wire(frame_buf_);
}

void LnsCalls::close_all() {
  std::vector<CallId> ids;
  for (auto& [id, c] : calls_) ids.push_back(id);
  for (auto id : ids) {
    auto it = calls_.find(id);
    if (it != calls_.end()) it->second->shutdown();
  }
}

bool LnsCalls::close(CallId call) {
  auto it = calls_.find(call);
  if (it == calls_.end()) return false;
  it->second->close();
  return true;
}

std::vector<LnsCallStatus> LnsCalls::status() const {
  std::vector<LnsCallStatus> out;
  out.reserve(calls_.size());
  for (auto& [id, c] : calls_) out.push_back(c->status());
  return out;
}

std::optional<LnsCallStatus> LnsCalls::find(CallId call) const {
  auto it = calls_.find(call);
  if (it == calls_.end()) return std::nullopt;
  return it->second->status();
}

void LnsCalls::finished(CallId id) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return;
  // The Call (and its PppSession) is on the stack of this very callback: park it and free
  // it from a zero-delay timer.
  graveyard_.park(std::move(it->second));
  calls_.erase(it);
}

}  // namespace vpdnd::vpdn
