// LnsCalls: one PPP session per incoming L2TP session, with AAA, pool and TUN route.
// See vpdn/calls.hpp for the contract.
#include <algorithm>
#include <utility>

#include "common/enum_names.hpp"
#include "common/log.hpp"
#include "common/packed_strings.hpp"
#include "common/printable.hpp"
#include "vpdn/calls.hpp"
#include "vpdn/calls/util.hpp"

namespace vpdnd::vpdn {

using namespace calls_detail;

std::string_view to_string(HangupCause c) {
  static constexpr std::string_view kNames[] = {
      "user request",   "authentication failed", "PPP negotiation failed", "PPP keepalive timeout",
      "administrative", "not a VPDN user",       "lower layer down"};
  return enum_name<HangupCause::user_request, HangupCause::lower_layer>(c, kNames, "unknown");
}

// ---- one call --------------------------------------------------------------------------

class LnsCalls::Call final : public ppp::PppLowerLayer,
                             public ppp::PppListener,
                             public ppp::Authenticator,
                             public ppp::AddressProvider {
 public:
  // Only what the call needs after on_call_up is kept: not the IncomingSession (its proxy data
  // goes into the PppSession's config and is not needed here again) nor the template.
  Call(LnsCalls& owner, const IncomingSession& in)
      : owner_(owner),
        strings_{{}, {}, in.calling_number, in.called_number, {}},
        id_(in.ref),
        vt_(in.virtual_template) {}
  ~Call() override {
    // Destroying the PppSession releases its address through release() below.
    ppp_.reset();
  }

  // false: the template is missing; the caller hangs up.
  bool start(const IncomingSession& in) {
    const auto& cfg = owner_.store_.running();
    auto t = cfg.virtual_templates.find(vt_);
    if (t == cfg.virtual_templates.end()) return false;
    strings_.set(kAuthDomain, t->second.auth_domain);
    setup_ = std::make_unique<Setup>(t->second);
    ppp::SessionConfig sc = ppp::config_from_template(t->second);
    sc.mode = ppp::SessionMode::lns;
    sc.proxy = in.proxy;
    if (auto g = cfg.l2tp_groups.find(in.group); g != cfg.l2tp_groups.end()) {
      sc.mandatory_chap = g->second.mandatory_chap;
      sc.mandatory_lcp = g->second.mandatory_lcp;
    }
    sc.tag = "l2tp " + key(id_);
    if (owner_.random_) sc.random = owner_.random_;
    ppp_ =
        std::make_unique<ppp::PppSession>(std::move(sc), *this, *this, owner_.timers_, this, this);
    ppp_->start();
    return true;
  }

  // ---- PppLowerLayer
  // From the PPP session: protocol + information; L2TP wants FF 03 in front.
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
    owner_.l2tp_.send_ppp(id_, frame);
  }

  // ---- Authenticator (ppp -> aaa)
  Handle authenticate(const ppp::AuthRequest& r, Done done) override {
    aaa::AuthRequest req;
    req.user_name = r.user;
    req.credentials = to_credentials(r);
    req.calling_station_id = strings_.get(kCalling);
    req.called_station_id = strings_.get(kCalled);
    req.nas_port = id_.session;
    req.nas_port_id = "Virtual-Template" + std::to_string(vt_);
    req.domain_override = strings_.get(kAuthDomain);
    auth_method_ =
        static_cast<std::uint8_t>(kMethodSet | (r.proxied ? kMethodProxied : 0) |
                                  (r.method == ppp::AuthMethod::pap         ? kMethodPap
                                   : r.method == ppp::AuthMethod::mschap_v1 ? kMethodMsChap
                                   : r.method == ppp::AuthMethod::mschap_v2 ? kMethodMsChapV2
                                                                            : 0));
    return owner_.aaa_.authenticate(std::move(req),
                                    [this, done = std::move(done)](aaa::AuthResult a) {
                                      setup().auth = a;
                                      done(to_ppp(a));
                                    });
  }
  void cancel(Handle h) override { owner_.aaa_.cancel(h); }
  std::string challenge_name() const override {
    return calls_detail::chap_challenge_name(owner_.store_.running(), vt_);
  }

  // ---- AddressProvider (RADIUS Framed-IP, else pool, else `remote address`)
  std::optional<Ipv4> acquire(const std::string& user, const ppp::AuthResult& auth) override {
    const auto& cfg = owner_.store_.running();
    const Setup& su = setup();
    aaa::AuthResult a = su.auth.value_or(aaa::AuthResult{});
    if (!auth.framed_pool.empty()) a.framed_pool = auth.framed_pool;
    std::string pool = aaa::choose_pool(cfg, a, su.remote_pool);
    std::optional<Ipv4> wanted = auth.framed_address;
    if (!wanted) wanted = a.framed_ip;
    if (!pool.empty()) {
      auto got = owner_.aaa_.allocate(pool, user, wanted, wanted.has_value());
      if (got) {
        strings_.set(kPool, pool);
        return *got;
      }
      // A Framed-IP-Address outside every pool is the RADIUS server's to own: use it as is.
      if (wanted && (got.error() == aaa::PoolError::address_not_in_pool ||
                     got.error() == aaa::PoolError::no_such_pool)) {
        return wanted;
      }
      log_warning(DebugModule::ppp, "call=" + key(id_) + " user=" + printable(user) +
                                        " pool=" + printable(pool) +
                                        " no address: " + std::string(aaa::to_string(got.error())));
      return std::nullopt;
    }
    if (wanted) return wanted;
    return su.remote_address;
  }
  void release(Ipv4 address) override {
    if (auto pool = strings_.get(kPool); !pool.empty()) owner_.aaa_.release(pool, address);
    strings_.set(kPool, {});
  }

  // ---- PppListener
  void on_ready_to_tunnel(const ppp::ProxyData&, const ppp::AuthResult&) override {
    // Only LAC-mode sessions ask this; an LNS session never does.
  }

  void on_up(const ppp::SessionUpInfo& info) override {
    if (up_) return renegotiated(info);
    up_ = true;
    has_address_ = true;
    address_ = info.peer_address;
    strings_.set(kUser, info.user);
    // Authentication and address assignment are over: keep the domain, drop the rest.
    if (setup_) {
      if (setup_->auth) strings_.set(kDomain, setup_->auth->domain);
      setup_.reset();
    }
    ++owner_.counters_.calls_up;
    if (!owner_.ip_.add_host_route(vt_, address_)) ++owner_.counters_.no_route;
    owner_.by_address_[address_.value] = id_;
    owner_.ip_.session_ip_up(id_, vt_, address_);
    const std::string user = strings_.str(kUser);
    owner_.l2tp_.set_call_info(id_, user, address_, interface(), auth_method());
    open_accounting(user);
    if (info.auth_result.idle_timeout) set_idle_timeout(*info.auth_result.idle_timeout);
    log_info(DebugModule::l2tp, "call=" + key(id_) + " user=" + printable(user) +
                                    " address=" + address_.to_string() + " PPP up");
  }

  // PPP came up again on an established call (the user renegotiated LCP and
  // re-authenticated, or IPCP alone): still the same call. The route, the data plane and
  // the accounting session stay (a second Start would orphan the first session: no Stop,
  // a second online user); only a changed address moves the route, and a changed user or
  // domain ends the old accounting session and starts one for the new identity.
  void renegotiated(const ppp::SessionUpInfo& info) {
    const std::string old_user = strings_.str(kUser), old_domain = strings_.str(kDomain);
    strings_.set(kUser, info.user);
    if (setup_) {
      if (setup_->auth) strings_.set(kDomain, setup_->auth->domain);
      setup_.reset();
    }
    if (info.peer_address != address_) {
      counters_ += owner_.ip_.session_ip_down(id_, vt_, address_);
      owner_.ip_.remove_host_route(vt_, address_);
      auto it = owner_.by_address_.find(address_.value);
      if (it != owner_.by_address_.end() && it->second == id_) owner_.by_address_.erase(it);
      address_ = info.peer_address;
      if (!owner_.ip_.add_host_route(vt_, address_)) ++owner_.counters_.no_route;
      owner_.by_address_[address_.value] = id_;
      owner_.ip_.session_ip_up(id_, vt_, address_);
    }
    const std::string user = strings_.str(kUser);
    owner_.l2tp_.set_call_info(id_, user, address_, interface(), auth_method());
    if (aaa_session_ && (user != old_user || strings_.get(kDomain) != old_domain)) {
      owner_.aaa_.close_session(aaa_session_, aaa::TerminateCause::user_request);
      aaa_session_ = 0;
    }
    if (!aaa_session_) open_accounting(user);
    log_info(DebugModule::l2tp, "call=" + key(id_) + " user=" + printable(user) +
                                    " address=" + address_.to_string() + " PPP up");
  }

  void open_accounting(const std::string& user) {
    aaa::SessionStart s;
    s.user_name = user;
    s.domain = strings_.get(kDomain);
    s.interface = interface();
    s.address = address_;
    // pool left empty: the PppSession releases the lease (AddressProvider::release).
    s.calling_station_id = strings_.get(kCalling);
    s.called_station_id = strings_.get(kCalled);
    s.nas_port = id_.session;
    s.nas_port_id = "Virtual-Template" + std::to_string(vt_);
    s.counters = [this] { return total_counters(); };
    aaa_session_ = owner_.aaa_.open_session(std::move(s));
  }

  void on_down(ppp::DownReason reason, std::string_view detail) override {
    if (up_) {
      counters_ += owner_.ip_.session_ip_down(id_, vt_, address_);
      owner_.ip_.remove_host_route(vt_, address_);
      auto it = owner_.by_address_.find(address_.value);
      if (it != owner_.by_address_.end() && it->second == id_) owner_.by_address_.erase(it);
      --owner_.counters_.calls_up;
      up_ = false;
    }
    if (aaa_session_) {
      owner_.aaa_.close_session(
          aaa_session_, has_cause_override_ ? cause_override_ : down_causes(reason).terminate);
      aaa_session_ = 0;
    }
    if (!l2tp_down_) {
      l2tp_down_ = true;
      owner_.l2tp_.hang_up(id_, down_causes(reason).hangup);
    }
    // Before PPP is up (e.g. the LAC's proxy authentication refused) the name is the one the
    // peer claimed, still unverified.
    std::string user = strings_.str(kUser);
    if (user.empty() && ppp_) user = ppp_->user();
    log_info(DebugModule::l2tp, "call=" + key(id_) + " user=" + printable(user) +
                                    " PPP down reason=" + std::string(ppp::to_string(reason)) +
                                    " " + printable(detail));
    owner_.finished(id_);  // defers our destruction; touch nothing after this
  }

  SessionRef id() const { return id_; }
  // The engine's tag for this call's session (LnsCalls::by_tag_), 0 while it has none.
  std::uint32_t tag = 0;

  // ---- data
  // LnsCalls::prefetch_tagged's steps 1-3 (read only).
  void prefetch(unsigned step) const {
    if (step == 1) {
      __builtin_prefetch(this);
      __builtin_prefetch(&counters_);
      __builtin_prefetch(&up_);
    } else if (step == 2) {
      if (ppp_) __builtin_prefetch(ppp_.get());
    } else if (step == 3) {
      if (ppp_) ppp_->prefetch();
    }
  }
  void from_l2tp(ByteView frame) {
    ++counters_.input_packets;
    counters_.input_octets += frame.size();
    if (up_) {
      // Fast path: IPv4 straight to the TUN without the PPP session.
      if (auto f = ppp::decode_frame(frame); f && f->protocol == ppp::proto::ip) {
        if (idle_) ++idle_->data;
        ++owner_.counters_.ip_to_tun;
        owner_.ip_.write_ip(vt_, f->payload);
        return;
      }
    }
    ppp::Disposition d = ppp_->receive(frame);
    if (d == ppp::Disposition::ip) {
      if (auto f = ppp::decode_frame(frame)) {
        if (idle_) ++idle_->data;
        ++owner_.counters_.ip_to_tun;
        owner_.ip_.write_ip(vt_, f->payload);
      }
    } else if (d == ppp::Disposition::dropped) {
      ++owner_.counters_.drop_ppp;
    }
  }

  void l2tp_gone(std::optional<aaa::TerminateCause> cause = std::nullopt) {
    l2tp_down_ = true;
    if (cause) set_cause_override(*cause);
    ppp_->lower_down();  // -> on_down at once
  }
  void shutdown() {
    owner_.l2tp_.hang_up(id_, HangupCause::admin);
    l2tp_down_ = true;
    set_cause_override(aaa::TerminateCause::admin_reboot);
    ppp_->lower_down();
  }
  void close() { ppp_->close("administratively reset"); }

  bool set_session_timeout(std::optional<Duration> remaining) {
    return up_ && ppp_->set_session_timeout(remaining);
  }
  // Idle: no IP from the user for `limit`. Checked every limit/8 (at least 1 s), so the
  // call ends between `limit` and `limit` + limit/8 after the user's last packet, never
  // earlier; a data plane that does not show us the user's packets (kernel) never idles.
  bool set_idle_timeout(Duration limit) {
    if (!up_) return false;
    if (limit <= Duration::zero()) {
      idle_.reset();
      return true;
    }
    if (!idle_) idle_ = std::make_unique<IdleWatch>(owner_.timers_);
    idle_->limit = limit;
    idle_->seen = idle_->data;
    idle_->last_active = owner_.timers_.now();
    check_idle();
    return true;
  }

  LnsCallStatus status() const {
    LnsCallStatus s;
    s.id = id_;
    s.aaa_session = aaa_session_;
    s.virtual_template = vt_;
    const auto user = strings_.get(kUser);
    s.user = user.empty() && ppp_ ? ppp_->user() : std::string(user);
    if (has_address_) s.address = address_;
    s.phase = ppp_ ? std::string(ppp::to_string(ppp_->phase())) : "dead";
    s.counters = total_counters();
    return s;
  }
  const aaa::Counters& counters() const { return counters_; }
  // Ours plus what the data plane switched past us while the call is up in it.
  aaa::Counters total_counters() const {
    aaa::Counters c = counters_;
    if (up_) c += owner_.ip_.data_counters(id_);
    return c;
  }
  std::string interface() const {
    return "Virtual-Template" + std::to_string(vt_) + ":" + std::to_string(id_.session);
  }

 private:
  // Needed only until PPP is up (authentication, address assignment), then freed. The
  // template's fields are taken when the call starts, so a template edited while the user
  // authenticates does not change this call halfway.
  struct Setup {
    explicit Setup(const config::VirtualTemplate& t)
        : remote_pool(t.remote_pool), remote_address(t.remote_address) {}
    std::string remote_pool;
    std::optional<Ipv4> remote_address;
    std::optional<aaa::AuthResult> auth;
  };
  // Re-authentication after a renegotiation: the AuthResult goes here again (the pool and
  // remote address are not used then: the session keeps its address).
  Setup& setup() {
    if (!setup_) {
      const auto& cfg = owner_.store_.running();
      auto t = cfg.virtual_templates.find(vt_);
      setup_ = std::make_unique<Setup>(
          t != cfg.virtual_templates.end() ? t->second : config::VirtualTemplate{});
    }
    return *setup_;
  }

  static constexpr std::uint8_t kMethodSet = 1, kMethodProxied = 2, kMethodPap = 4,
                                kMethodMsChap = 8, kMethodMsChapV2 = 16;
  std::string auth_method() const {
    if (!(auth_method_ & kMethodSet)) return "none";
    return std::string((auth_method_ & kMethodProxied) ? "proxy " : "") +
           ((auth_method_ & kMethodPap)        ? "PAP"
            : (auth_method_ & kMethodMsChap)   ? "MS-CHAP"
            : (auth_method_ & kMethodMsChapV2) ? "MS-CHAP-V2"
                                               : "CHAP");
  }
  struct IdleWatch {
    explicit IdleWatch(TimerService& t) : timer(t) {}
    Duration limit{};
    std::uint64_t data = 0;  // IP frames from the user
    std::uint64_t seen = 0;  // `data` at the last check
    TimePoint last_active{};
    TimerSlot timer;
  };
  void check_idle() {
    if (!up_ || !idle_) return;
    IdleWatch& w = *idle_;
    const TimePoint now = owner_.timers_.now();
    if (w.data != w.seen || !owner_.ip_.user_data_visible(id_)) {
      w.seen = w.data;
      w.last_active = now;
    }
    const Duration idle = now - w.last_active;
    if (idle >= w.limit) {
      log_info(DebugModule::l2tp,
               "call=" + key(id_) + " user=" + printable(strings_.str(kUser)) + " idle timeout");
      set_cause_override(aaa::TerminateCause::idle_timeout);
      ppp_->close("idle timeout");
      return;
    }
    const Duration step = std::max<Duration>(std::chrono::seconds(1), w.limit / 8);
    w.timer.arm(std::min(step, w.limit - idle), [this] { check_idle(); });
  }
  void set_cause_override(aaa::TerminateCause c) {
    cause_override_ = c;
    has_cause_override_ = true;
  }

  // kAuthDomain: the template's `ppp authentication-mode ... domain D` at call start.
  enum : std::size_t { kUser, kPool, kCalling, kCalled, kDomain, kAuthDomain, kStrings };

  LnsCalls& owner_;
  std::unique_ptr<ppp::PppSession> ppp_;
  std::unique_ptr<Setup> setup_;
  std::unique_ptr<IdleWatch> idle_;  // only with an Idle-Timeout
  aaa::Aaa::SessionId aaa_session_ = 0;
  aaa::Counters counters_;
  PackedStrings<kStrings> strings_;  // user (once up), lease pool, numbers, domains
  SessionRef id_;
  std::uint16_t vt_ = 0;
  Ipv4 address_{};  // the peer's, from the first on_up on (has_address_)
  aaa::TerminateCause cause_override_ = aaa::TerminateCause::nas_error;
  std::uint8_t auth_method_ = 0;
  bool has_cause_override_ = false;
  bool has_address_ = false;
  bool up_ = false;
  bool l2tp_down_ = false;
};

// ---- LnsCalls ------------------------------------------------------------------------------

LnsCalls::LnsCalls(config::ConfigStore& store, TimerService& timers, aaa::Aaa& aaa, L2tpPort& l2tp,
                   IpPort& ip)
    : store_(store), timers_(timers), aaa_(aaa), l2tp_(l2tp), ip_(ip), graveyard_(timers) {}

LnsCalls::~LnsCalls() {
  // Quiet end: no CDNs (the engine owner decides about the wire), but accounting and leases
  // are closed by each Call's teardown.
  for_each_call(calls_, sorted_ids(), [](Call& c) { c.l2tp_gone(); });
  // Only now: the teardown above parks calls again.
  graveyard_.clear();
}

void LnsCalls::on_call_up(const IncomingSession& call) {
  if (calls_.count(call.ref)) return;  // the engine reports each session once
  ++counters_.calls_total;
  auto c = std::make_unique<Call>(*this, call);
  Call* raw = c.get();
  calls_.emplace(call.ref, std::move(c));
  // Tagged before PPP starts, so any frame from here on finds the call by its tag.
  tag_call(*raw);
  if (!raw->start(call)) {
    untag_call(*raw);
    calls_.erase(call.ref);
    log_warning(DebugModule::l2tp, "call=" + key(call.ref) + " virtual-template " +
                                       std::to_string(call.virtual_template) + " does not exist");
    l2tp_.hang_up(call.ref, HangupCause::negotiation);
  }
}

void LnsCalls::on_l2tp_data(SessionRef call, ByteView frame, std::uint32_t tag) {
  // The tag is checked against the call's own ref: a stale one (the call ended and its tag
  // went to another) falls back to the lookup by ref.
  if (tag != 0 && tag <= by_tag_.size()) {
    Call* c = by_tag_[tag - 1];
    if (c && c->id() == call) {
      c->from_l2tp(frame);
      return;
    }
  }
  if (!with_call(calls_, call, [&](Call& c) { c.from_l2tp(frame); })) ++counters_.drop_unknown_call;
}

void LnsCalls::prefetch_tagged(std::uint32_t tag, unsigned step) const {
  if (tag == 0 || tag > by_tag_.size()) return;
  if (step == 0) {
    __builtin_prefetch(&by_tag_[tag - 1]);
    return;
  }
  const Call* c = by_tag_[tag - 1];
  if (c) c->prefetch(step);
}

void LnsCalls::tag_call(Call& c) {
  if (free_tags_.empty()) {
    by_tag_.push_back(&c);
    c.tag = static_cast<std::uint32_t>(by_tag_.size());
  } else {
    c.tag = free_tags_.back();
    free_tags_.pop_back();
    by_tag_[c.tag - 1] = &c;
  }
  l2tp_.set_session_tag(c.id(), c.tag);
}

void LnsCalls::untag_call(Call& c) {
  if (c.tag == 0) return;
  by_tag_[c.tag - 1] = nullptr;
  free_tags_.push_back(c.tag);
  c.tag = 0;
}

void LnsCalls::on_call_down(SessionRef call, aaa::TerminateCause cause) {
  with_call(calls_, call, [&](Call& c) { c.l2tp_gone(cause); });
}

void LnsCalls::on_tun_packet(std::uint16_t vt, ByteView packet) {
  (void)vt;
  auto dst = ipv4_destination(packet);
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
  for_each_call(calls_, sorted_ids(), [](Call& c) { c.shutdown(); });
}

bool LnsCalls::close(SessionRef call) {
  return with_call(calls_, call, [](Call& c) { c.close(); });
}

bool LnsCalls::set_session_timeout(SessionRef call, std::optional<Duration> remaining) {
  auto it = calls_.find(call);
  return it != calls_.end() && it->second->set_session_timeout(remaining);
}

bool LnsCalls::set_idle_timeout(SessionRef call, Duration idle) {
  auto it = calls_.find(call);
  return it != calls_.end() && it->second->set_idle_timeout(idle);
}

std::size_t LnsCalls::close_template(std::uint16_t vt) {
  // Collect first: close() may end a call (and change calls_) before it returns.
  std::vector<SessionRef> ids;
  for (auto id : sorted_ids())
    if (calls_.at(id)->status().virtual_template == vt) ids.push_back(id);
  std::size_t n = 0;
  for (auto id : ids) n += close(id) ? 1 : 0;
  return n;
}

std::vector<LnsCallStatus> LnsCalls::status() const {
  std::vector<LnsCallStatus> out;
  out.reserve(calls_.size());
  for (auto id : sorted_ids()) out.push_back(calls_.at(id)->status());
  return out;
}

std::optional<LnsCallStatus> LnsCalls::find(SessionRef call) const {
  auto it = calls_.find(call);
  if (it == calls_.end()) return std::nullopt;
  return it->second->status();
}

std::vector<SessionRef> LnsCalls::sorted_ids() const {
  std::vector<SessionRef> ids;
  ids.reserve(calls_.size());
  for (auto& [id, c] : calls_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

void LnsCalls::finished(SessionRef id) {
  if (auto it = calls_.find(id); it != calls_.end()) untag_call(*it->second);
  bury_call(calls_, graveyard_, id);
}

}  // namespace vpdnd::vpdn
