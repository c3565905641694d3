// LacCalls: PPPoE user -> PPP (LAC mode) -> VPDN decision -> L2TP call, then a frame switch
// between the PPPoE and L2TP sessions. See vpdn/calls.hpp for the contract.
#include <algorithm>
#include <cstring>
#include <utility>

#include "common/digest.hpp"
#include "common/enum_names.hpp"
#include "common/log.hpp"
#include "common/printable.hpp"
#include "vpdn/calls.hpp"
#include "vpdn/calls/util.hpp"
#include "vpdn/lookup.hpp"

namespace vpdnd::vpdn {

using namespace calls_detail;

namespace {

// The LAC-side user check for a full-name local user (docs/ARCHITECTURE-NOTES.md, "LAC decisions"):
// the password the user gave must be the local user's.
// MS-CHAP: `out` gets the v2 authenticator response and the MPPE keys.
bool verify_locally(const ppp::AuthRequest& r, const std::string& secret, ppp::AuthResult& out) {
  switch (r.method) {
    case ppp::AuthMethod::pap:
      return equal_secret(r.password, secret);
    case ppp::AuthMethod::chap_md5:
      return equal_secret(r.chap_response, aaa::chap_md5(r.chap_id, secret, r.chap_challenge));
    case ppp::AuthMethod::mschap_v1:
    case ppp::AuthMethod::mschap_v2: {
      auto v = r.method == ppp::AuthMethod::mschap_v1
                   ? mschap::verify_v1(secret, r.chap_challenge, r.chap_response)
                   : mschap::verify_v2(secret, r.chap_challenge, r.chap_response, r.user);
      if (!v) return false;
      out.mschap_auth_response = v->authenticator_response;
      out.mppe_keys = v->keys;
      return true;
    }
  }
  return false;
}

std::string_view method_text(ppp::AuthMethod m) {
  static constexpr std::string_view kNames[] = {"PAP", "CHAP", "MS-CHAP", "MS-CHAP-V2"};
  return enum_name<ppp::AuthMethod::pap, ppp::AuthMethod::mschap_v2>(m, kNames);
}

}  // namespace

class LacCalls::Call final : public ppp::PppLowerLayer,
                             public ppp::PppListener,
                             public ppp::Authenticator,
                             public ppp::AddressProvider {
 public:
  enum class Stage { ppp, placing, tunnelled, local, ending };

  Call(LacCalls& owner, const AccessCall& in) : owner_(owner), in_(in) {}
  ~Call() override { ppp_.reset(); }

  void start() {
    const auto& cfg = owner_.store_.running();
    auto t = cfg.virtual_templates.find(in_.virtual_template);
    if (t != cfg.virtual_templates.end()) template_ = t->second;
    ppp::SessionConfig sc = ppp::config_from_template(template_);
    if (template_.auth_modes.empty()) sc.auth_methods = {ppp::AuthMethod::chap_md5};
    sc.mode = ppp::SessionMode::lac;
    sc.mru = std::min<std::uint16_t>(sc.mru, 1492);  // RFC 2516 §7
    sc.tag = key(in_.id);
    if (owner_.random_) sc.random = owner_.random_;
    ppp_ =
        std::make_unique<ppp::PppSession>(std::move(sc), *this, *this, owner_.timers_, this, this);
    owner_.access_.set_access_info(in_.id, "LCP", "", {});
    ppp_->start();
  }

  // ---- PppLowerLayer: PPP session -> user
  void send(ByteView frame) override {
    if (access_down_) return;
    owner_.access_.send_ppp(in_.id, frame);
  }

  // ---- Authenticator: the LAC-side user check, or AAA (local / RADIUS with tunnel attributes)
  Handle authenticate(const ppp::AuthRequest& r, Done done) override {
    const auto& cfg = owner_.store_.running();
    user_ = r.user;
    auth_method_ = method_text(r.method);
    owner_.access_.set_access_info(in_.id, "Auth", user_, {});
    match_ = find_lac_group(cfg, r.user, "");
    if (match_) {
      LacUserCheck check = lac_user_check(cfg, *match_, r.user);
      if (check.kind == LacUserCheckKind::domain_user) {
        // Recognised as a VPDN user only; the LNS checks the real credentials by proxy.
        plan_group_ = match_->group;
        done(accept());
        return 0;
      }
      if (check.kind == LacUserCheckKind::full_name_user) {
        auto u = cfg.local_users.find(check.local_user);
        ppp::AuthResult res;
        bool ok = u != cfg.local_users.end() && verify_locally(r, u->second.password.plain, res);
        if (ok) plan_group_ = match_->group;
        res.accepted = ok;
        res.message = ok ? "Welcome" : "Authentication failed";
        done(res);
        return 0;
      }
    }
    // No local stand-in: AAA decides (RADIUS may name the LNS with RFC 2868 attributes).
    aaa::AuthRequest req;
    req.user_name = r.user;
    req.credentials = to_credentials(r);
    req.calling_station_id = in_.calling_number;
    req.nas_port = in_.id.session;
    req.nas_port_id = in_.interface;
    req.domain_override = template_.auth_domain;
    return owner_.aaa_.authenticate(std::move(req),
                                    [this, done = std::move(done)](aaa::AuthResult a) {
                                      if (a.accepted) {
                                        if (!a.tunnels.empty()) {
                                          tunnels_ = a.tunnels;
                                        } else if (match_) {
                                          plan_group_ = match_->group;
                                        }
                                      }
                                      auth_ = a;
                                      done(to_ppp(a));
                                    });
  }
  void cancel(Handle h) override {
    if (h) owner_.aaa_.cancel(h);
  }
  std::string challenge_name() const override {
    return calls_detail::chap_challenge_name(owner_.store_.running(), in_.virtual_template);
  }

  // ---- AddressProvider (local termination only)
  std::optional<Ipv4> acquire(const std::string& user, const ppp::AuthResult& auth) override {
    const auto& cfg = owner_.store_.running();
    aaa::AuthResult a = auth_.value_or(aaa::AuthResult{});
    std::string pool = aaa::choose_pool(cfg, a, template_.remote_pool);
    std::optional<Ipv4> wanted = auth.framed_address;
    if (!pool.empty()) {
      auto got = owner_.aaa_.allocate(pool, user, wanted, false);
      if (!got) return std::nullopt;
      pool_ = pool;
      return *got;
    }
    if (wanted) return wanted;
    return template_.remote_address;
  }
  void release(Ipv4 address) override {
    if (!pool_.empty()) owner_.aaa_.release(pool_, address);
    pool_.clear();
  }

  // ---- PppListener
  void on_ready_to_tunnel(const ppp::ProxyData& proxy, const ppp::AuthResult&) override {
    if (!plan_group_ && tunnels_.empty()) {
      if (can_terminate_locally()) {
        stage_ = Stage::local;
        owner_.access_.set_access_info(in_.id, "IPCP", user_, {});
        ppp_->continue_locally();
        return;
      }
      ++owner_.counters_.refused;
      log_info(DebugModule::l2tp,
               key(in_.id) + " user=" + printable(user_) + " is not a VPDN user: refused");
      refused_ = true;
      ppp_->close("not a VPDN user");
      return;
    }
    LacCallRequest plan;
    plan.group = plan_group_.value_or(0);
    if (!tunnels_.empty()) {
      // RFC 2868 answer overrides the local group: ordered LNS list and tunnel settings.
      plan.group = 0;
      for (const auto& t : tunnels_) {
        if (t.server_endpoint) plan.lns_addresses.push_back(*t.server_endpoint);
      }
      if (!tunnels_.front().password.empty()) plan.secret = tunnels_.front().password;
      if (!tunnels_.front().client_auth_id.empty())
        plan.host_name = tunnels_.front().client_auth_id;
    }
    plan.user = user_;
    plan.interface = in_.interface;
    plan.calling_number = in_.calling_number;
    plan.proxy = proxy;
    stage_ = Stage::placing;
    owner_.access_.set_access_info(in_.id, "Placing", user_, {});
    LacCallbacks callbacks;
    callbacks.on_up = [this](SessionRef c) { on_l2tp_up(c); };
    callbacks.on_down = [this](const SessionEnd& e) { on_l2tp_down(e.reason); };
    auto placed = owner_.l2tp_.place_call(std::move(plan), std::move(callbacks));
    handle_ = placed ? *placed : 0;
    if (!placed) {
      ++owner_.counters_.place_failed;
      log_warning(DebugModule::l2tp, key(in_.id) + " user=" + printable(user_) +
                                         " call not placed: " + printable(placed.error()));
      stage_ = Stage::ending;
      ppp_->close("no L2TP tunnel");
    }
  }

  void on_up(const ppp::SessionUpInfo& info) override {
    // Only a locally terminated session reaches IPCP here.
    if (address_) return renegotiated(info);
    address_ = info.peer_address;
    if (!owner_.ip_.add_host_route(in_.virtual_template, *address_)) {
      log_warning(DebugModule::ppp, key(in_.id) + " no TUN for virtual-template " +
                                        std::to_string(in_.virtual_template));
    }
    owner_.by_address_[address_->value] = in_.id;
    ++owner_.counters_.local;
    owner_.access_.set_access_info(in_.id, "Up", info.user, {});
    open_local_accounting(info.user);
  }

  // IPCP up again on a locally terminated session (the user renegotiated LCP and
  // re-authenticated): the same session. Counted, routed and accounted once; a changed
  // address moves the route, a changed user restarts accounting.
  void renegotiated(const ppp::SessionUpInfo& info) {
    if (info.peer_address != *address_) {
      owner_.ip_.remove_host_route(in_.virtual_template, *address_);
      owner_.by_address_.erase(address_->value);
      address_ = info.peer_address;
      if (!owner_.ip_.add_host_route(in_.virtual_template, *address_)) {
        log_warning(DebugModule::ppp, key(in_.id) + " no TUN for virtual-template " +
                                          std::to_string(in_.virtual_template));
      }
      owner_.by_address_[address_->value] = in_.id;
    }
    owner_.access_.set_access_info(in_.id, "Up", info.user, {});
    if (info.user == local_user_ && aaa_session_) return;
    if (aaa_session_) owner_.aaa_.close_session(aaa_session_, aaa::TerminateCause::user_request);
    open_local_accounting(info.user);
  }
  void open_local_accounting(const std::string& user) {
    local_user_ = user;
    aaa::SessionStart s;
    s.user_name = user;
    s.domain = auth_ ? auth_->domain : std::string{};
    s.interface = in_.interface;
    s.address = address_;
    s.calling_station_id = in_.calling_number;
    s.nas_port = in_.id.session;
    s.nas_port_id = in_.interface;
    aaa_session_ = owner_.aaa_.open_session(std::move(s));
  }

  void on_down(ppp::DownReason reason, std::string_view detail) override {
    in_ppp_down_ = true;
    const DownCauses causes = down_causes(reason);
    end(refused_ ? HangupCause::not_vpdn_user : causes.hangup, causes.terminate,
        std::string(ppp::to_string(reason)) + " " + std::string(detail));
  }

  // ---- L2TP side
  void on_l2tp_up(SessionRef c) {
    l2tp_ = c;
    stage_ = Stage::tunnelled;
    ppp_->hand_over();  // from now on frames are switched unchanged
    owner_.by_l2tp_[c] = in_.id;
    ++owner_.counters_.tunnelled;
    owner_.access_.set_access_info(in_.id, "Up", user_, c);
    owner_.l2tp_.set_call_info(c, user_, std::nullopt, in_.interface, auth_method_);
    // The LAC accounts tunnelled users too (a BRAS does), per the user's domain.
    aaa::SessionStart s;
    s.user_name = user_;
    s.domain =
        auth_ ? auth_->domain : aaa::split_user_name(user_, owner_.store_.running().l2tp).domain;
    s.interface = in_.interface;
    s.calling_station_id = in_.calling_number;
    s.nas_port = in_.id.session;
    s.nas_port_id = in_.interface;
    s.counters = [this] {
      aaa::Counters c = counters_;
      if (bridged_) c += owner_.switch_->counters(in_.id);
      return c;
    };
    aaa_session_ = owner_.aaa_.open_session(std::move(s));
    std::vector<Bytes> held = std::move(held_);
    held_.clear();
    for (const auto& f : held) from_user(f);
    if (owner_.switch_ && owner_.switch_->bridge(in_.id, c)) {
      bridged_ = true;
      ++owner_.counters_.bridged;
    }
    log_info(DebugModule::l2tp,
             key(in_.id) + " user=" + printable(user_) + " tunnelled as " + calls_detail::key(c));
  }
  void on_l2tp_down(std::string reason) {
    handle_ = 0;  // the engine reports each call once; nothing to cancel any more
    if (stage_ == Stage::placing) ++owner_.counters_.place_failed;
    l2tp_gone_ = true;
    end(HangupCause::lower_layer, aaa::TerminateCause::lost_service, "L2TP: " + reason);
  }

  // ---- frames
  void from_user(ByteView frame) {
    if (bridged_) {
      ++owner_.counters_.drop_bridged;
      return;
    }
    if (stage_ == Stage::tunnelled) {
      ++counters_.input_packets;
      counters_.input_octets += frame.size();
      Bytes& buf = owner_.frame_buf_;
      buf.assign({0xff, 0x03});
      buf.insert(buf.end(), frame.begin(), frame.end());
      ++owner_.counters_.frames_to_l2tp;
      owner_.l2tp_.send_ppp(*l2tp_, buf);
      return;
    }
    if (stage_ == Stage::local && address_) {
      if (auto f = ppp::decode_frame(frame); f && f->protocol == ppp::proto::ip) {
        owner_.ip_.write_ip(in_.virtual_template, f->payload);
        return;
      }
    }
    if (stage_ == Stage::placing) {
      // The user already talks IPCP (to the LNS, as far as it knows) while the tunnel and
      // session come up: keep the last few frames and pass them on at hand-over, so the
      // LNS answers now instead of after the user's 3 s restart timer.
      if (held_.size() < kMaxHeld) {
        held_.emplace_back(frame.begin(), frame.end());
      } else {
        ++owner_.counters_.drop_not_switched;
      }
      return;
    }
    ppp::Disposition d = ppp_->receive(frame);
    if (d == ppp::Disposition::ip) {
      if (auto f = ppp::decode_frame(frame)) owner_.ip_.write_ip(in_.virtual_template, f->payload);
    } else if (d == ppp::Disposition::passthrough || d == ppp::Disposition::dropped) {
      ++owner_.counters_.drop_not_switched;
    }
  }
  void from_l2tp(ByteView frame) {
    if (frame.size() >= 2 && frame[0] == 0xff && frame[1] == 0x03) frame = frame.subspan(2);
    ++owner_.counters_.frames_to_user;
    ++counters_.output_packets;
    counters_.output_octets += frame.size();
    if (!access_down_) owner_.access_.send_ppp(in_.id, frame);
  }
  void to_user_ip(ByteView packet) {
    Bytes& buf = owner_.frame_buf_;
    buf.assign({0x00, 0x21});
    buf.insert(buf.end(), packet.begin(), packet.end());
    if (!access_down_) owner_.access_.send_ppp(in_.id, buf);
  }

  void access_gone() {
    access_down_ = true;
    end(HangupCause::user_request, aaa::TerminateCause::user_request, "PADT from the user");
  }
  void shutdown() { end(HangupCause::admin, aaa::TerminateCause::admin_reboot, "shutdown"); }
  void cut() { end(HangupCause::admin, aaa::TerminateCause::admin_reset, "cut by the operator"); }

  LacCallStatus status() const {
    LacCallStatus s;
    s.id = in_.id;
    s.aaa_session = aaa_session_;
    s.user = user_;
    static constexpr const char* names[] = {"PPP", "Placing", "Tunnelled", "Local", "Ending"};
    s.state = names[static_cast<int>(stage_)];
    s.l2tp = l2tp_.value_or(SessionRef{});
    s.address = address_;
    s.virtual_template = in_.virtual_template;
    return s;
  }

 private:
  ppp::AuthResult accept() const {
    ppp::AuthResult r;
    r.accepted = true;
    r.message = "Welcome";
    return r;
  }
  bool can_terminate_locally() const {
    const auto& cfg = owner_.store_.running();
    aaa::AuthResult a = auth_.value_or(aaa::AuthResult{});
    return auth_ && auth_->accepted &&
           (!aaa::choose_pool(cfg, a, template_.remote_pool).empty() || template_.remote_address);
  }

  // The one teardown: every path ends here once.
  void end(HangupCause cause, aaa::TerminateCause acct, const std::string& why) {
    if (ended_) return;
    ended_ = true;
    if (stage_ == Stage::tunnelled) --owner_.counters_.tunnelled;
    if (bridged_) {
      // Before the CDN and PADT: the kernel session and PPPoE channel go first, and the
      // accounting Stop below gets the bridge's final counts.
      bridged_ = false;
      --owner_.counters_.bridged;
      counters_ += owner_.switch_->unbridge(in_.id);
    }
    if (l2tp_) owner_.by_l2tp_.erase(*l2tp_);
    if (!l2tp_gone_) {
      if (l2tp_) {
        owner_.l2tp_.hang_up(*l2tp_, cause);
      } else if (handle_) {
        owner_.l2tp_.cancel_call(handle_);
      }
    }
    handle_ = 0;
    if (address_) {
      owner_.ip_.remove_host_route(in_.virtual_template, *address_);
      owner_.by_address_.erase(address_->value);
      --owner_.counters_.local;
    }
    if (aaa_session_) owner_.aaa_.close_session(aaa_session_, acct);
    aaa_session_ = 0;
    if (!access_down_) {
      access_down_ = true;
      owner_.access_.terminate(in_.id);
    }
    // The PPP session: it may be the one calling us (on_down); lower_down() is a no-op then.
    stage_ = Stage::ending;
    if (ppp_ && !in_ppp_down_) {
      in_ppp_down_ = true;
      ppp_->lower_down();
    }
    log_info(DebugModule::l2tp,
             key(in_.id) + " user=" + printable(user_) + " ended: " + printable(why));
    owner_.finished(in_.id);
  }

  LacCalls& owner_;
  AccessCall in_;
  config::VirtualTemplate template_;
  std::unique_ptr<ppp::PppSession> ppp_;
  std::string user_;
  std::string auth_method_;
  std::optional<LacGroupMatch> match_;
  std::optional<std::uint16_t> plan_group_;
  std::vector<aaa::TunnelSet> tunnels_;
  std::optional<aaa::AuthResult> auth_;
  std::string pool_;
  std::optional<Ipv4> address_;
  std::string local_user_;  // whom the local accounting session is for
  aaa::Aaa::SessionId aaa_session_ = 0;
  aaa::Counters counters_;  // tunnelled: PPP frames switched each way
  std::optional<SessionRef> l2tp_;
  CallHandle handle_ = 0;
  static constexpr std::size_t kMaxHeld = 8;
  std::vector<Bytes> held_;  // user frames received while placing
  Stage stage_ = Stage::ppp;
  bool refused_ = false;
  bool bridged_ = false;  // the SwitchPort switches this call's frames
  bool access_down_ = false;
  bool l2tp_gone_ = false;
  bool ended_ = false;
  bool in_ppp_down_ = false;
};

// ---- LacCalls ------------------------------------------------------------------------------

LacCalls::LacCalls(config::ConfigStore& store, TimerService& timers, aaa::Aaa& aaa, L2tpPort& l2tp,
                   AccessPort& access, IpPort& ip)
    : store_(store),
      timers_(timers),
      aaa_(aaa),
      l2tp_(l2tp),
      access_(access),
      ip_(ip),
      graveyard_(timers) {}

LacCalls::~LacCalls() {
  close_all();
  // Only now: close_all() parks calls again.
  graveyard_.clear();
}

void LacCalls::on_access_up(const AccessCall& call) {
  if (calls_.count(call.id)) return;
  ++counters_.calls_total;
  auto c = std::make_unique<Call>(*this, call);
  Call* raw = c.get();
  calls_.emplace(call.id, std::move(c));
  raw->start();
}

void LacCalls::on_access_frame(AccessId id, ByteView frame) {
  if (!with_call(calls_, id, [&](Call& c) { c.from_user(frame); })) ++counters_.drop_unknown;
}

void LacCalls::on_access_down(AccessId id) {
  with_call(calls_, id, [](Call& c) { c.access_gone(); });
}

bool LacCalls::on_l2tp_data(SessionRef call, ByteView frame) {
  auto a = by_l2tp_.find(call);
  return a != by_l2tp_.end() && with_call(calls_, a->second, [&](Call& c) { c.from_l2tp(frame); });
}

bool LacCalls::on_tun_packet(std::uint16_t, ByteView packet) {
  auto dst = ipv4_destination(packet);
  if (!dst) return false;
  auto a = by_address_.find(dst->value);
  return a != by_address_.end() &&
         with_call(calls_, a->second, [&](Call& c) { c.to_user_ip(packet); });
}

void LacCalls::close_all() {
  std::vector<AccessId> ids;
  for (auto& [id, c] : calls_) ids.push_back(id);
  for_each_call(calls_, ids, [](Call& c) { c.shutdown(); });
}

bool LacCalls::close(AccessId id) {
  return with_call(calls_, id, [](Call& c) { c.cut(); });
}

std::size_t LacCalls::close_local_template(std::uint16_t vt) {
  // Collect first: close() ends the call and changes calls_ before it returns.
  std::vector<AccessId> ids;
  for (auto& [id, c] : calls_) {
    auto s = c->status();
    if (s.virtual_template == vt && s.address) ids.push_back(id);
  }
  std::size_t n = 0;
  for (auto id : ids) n += close(id) ? 1 : 0;
  return n;
}

std::optional<AccessId> LacCalls::find_l2tp(SessionRef call) const {
  auto it = by_l2tp_.find(call);
  if (it == by_l2tp_.end()) return std::nullopt;
  return it->second;
}

std::vector<LacCallStatus> LacCalls::status() const {
  std::vector<LacCallStatus> out;
  for (auto& [id, c] : calls_) out.push_back(c->status());
  return out;
}

void LacCalls::finished(AccessId id) {
  bury_call(calls_, graveyard_, id);
}

}  // namespace vpdnd::vpdn
