// AutoClients: the box dials an LNS as a client-initiated L2TP user (`l2tp-auto-client`).
// See vpdn/calls.hpp. Protocol thread only.
#include <algorithm>
#include <utility>

#include "common/enum_names.hpp"
#include "common/log.hpp"
#include "common/printable.hpp"
#include "vpdn/calls.hpp"
#include "vpdn/calls/util.hpp"

namespace vpdnd::vpdn {

class AutoClients::Client final : public ppp::PppLowerLayer, public ppp::PppListener {
 public:
  enum class State { waiting, placing, ppp, up };

  Client(AutoClients& owner, const config::VirtualTemplate& t, const config::L2tpGroup& g)
      : owner_(owner), template_(t), group_(g), retry_(owner.timers_) {}

  ~Client() override { stop(); }

  const config::VirtualTemplate& vt() const { return template_; }
  const config::L2tpGroup& group() const { return group_; }

  std::string user() const {
    if (!template_.chap_user.empty()) return template_.chap_user;
    return template_.pap_user;
  }
  std::string interface() const { return "Virtual-Template" + std::to_string(template_.number); }
  std::string tag() const { return "auto-client vt" + std::to_string(template_.number); }

  void dial() {
    state_ = State::placing;
    ++owner_.counters_.attempts;
    LacCallRequest plan;
    plan.group = group_.number;
    plan.user = user();
    plan.interface = interface();
    placed_down_ = false;
    auto alive = alive_;
    LacCallbacks callbacks;
    callbacks.on_up = [this, alive](SessionRef c) {
      if (!alive.expired()) on_call_up(c);
    };
    callbacks.on_down = [this, alive](const SessionEnd& e) {
      if (!alive.expired()) on_call_down(e.reason);
    };
    auto placed = owner_.l2tp_.place_call(std::move(plan), std::move(callbacks));
    if (!placed) {
      if (placed_down_) return;  // reported down inside place_call (already retrying)
      failed("call not placed: " + placed.error());
      return;
    }
    const CallHandle h = *placed;
    if (state_ == State::placing) handle_ = h;
    log_info(DebugModule::l2tp,
             tag() + ": dialling l2tp-group " + std::to_string(group_.number) + " as " + user());
  }

  // Ends everything quietly (CDN if the call is up); no retry follows.
  void stop() {
    retry_.cancel();
    if (handle_) {
      owner_.l2tp_.cancel_call(handle_);
      handle_ = 0;
    }
    ppp_.reset();  // not inside a PPP callback here; destroying it cancels its timers
    clear_address();
    if (call_up_) {
      call_up_ = false;
      owner_.by_l2tp_.erase(call_);
      owner_.l2tp_.hang_up(call_, HangupCause::admin);
    }
    state_ = State::waiting;
  }

  bool on_data(ByteView frame) {
    if (!ppp_) return true;
    auto d = ppp_->receive(frame);
    if (d == ppp::Disposition::ip) {
      auto split = ppp::decode_frame(frame);
      if (split) {
        owner_.ip_.write_ip(template_.number, split->payload);
        ++owner_.counters_.ip_to_tun;
      }
    } else if (d == ppp::Disposition::dropped) {
      ++owner_.counters_.drop_ppp;
    }
    return true;
  }

  bool on_tun(ByteView packet) {
    if (state_ != State::up) {
      ++owner_.counters_.drop_not_up;
      return true;
    }
    buf_.clear();
    buf_.insert(buf_.end(), {0xff, 0x03, 0x00, 0x21});
    buf_.insert(buf_.end(), packet.begin(), packet.end());
    owner_.l2tp_.send_ppp(call_, buf_);
    ++owner_.counters_.ip_from_tun;
    return true;
  }

  AutoClientStatus status() const {
    AutoClientStatus s;
    s.virtual_template = template_.number;
    s.group = group_.number;
    s.user = user();
    static constexpr std::string_view kStateNames[] = {"Waiting", "Placing", "PPP", "Up"};
    s.state = enum_name<State::waiting, State::up>(state_, kStateNames);
    if (call_up_) s.l2tp = call_;
    s.address = address_;
    s.peer = peer_;
    s.failures = failures_;
    if (retry_.armed()) s.retry_in = retry_at_ - owner_.timers_.now();
    return s;
  }

  // ---- ppp::PppLowerLayer
  void send(ByteView frame) override {
    if (!call_up_) return;
    buf_.clear();
    buf_.insert(buf_.end(), {0xff, 0x03});
    buf_.insert(buf_.end(), frame.begin(), frame.end());
    owner_.l2tp_.send_ppp(call_, buf_);
  }

  // ---- ppp::PppListener
  void on_ready_to_tunnel(const ppp::ProxyData&, const ppp::AuthResult&) override {}
  void on_up(const ppp::SessionUpInfo& info) override {
    state_ = State::up;
    failures_ = 0;
    ++owner_.counters_.ups;
    address_ = info.local_address;
    peer_ = info.peer_address;
    if (!owner_.ip_.set_peer_address(template_.number, info.local_address, info.peer_address)) {
      log_warning(DebugModule::l2tp,
                  tag() + ": no device to put " + info.local_address.to_string() + " on");
    }
    std::string method =
        info.auth == ppp::AuthProtocol::none ? "" : std::string(ppp::to_string(info.auth));
    owner_.l2tp_.set_call_info(call_, user(), info.local_address, interface(), method);
    log_info(DebugModule::l2tp, tag() + ": up, address " + info.local_address.to_string() +
                                    " peer " + info.peer_address.to_string());
  }
  void on_down(ppp::DownReason reason, std::string_view detail) override {
    if (!ppp_) return;  // a session already given up (buried)
    owner_.bury(std::move(ppp_));
    clear_address();
    if (call_up_) {
      call_up_ = false;
      owner_.by_l2tp_.erase(call_);
      owner_.l2tp_.hang_up(call_, calls_detail::down_causes(reason).hangup);
    }
    failed("PPP down: " + std::string(ppp::to_string(reason)) + " " + std::string(detail));
  }

 private:
  void on_call_up(SessionRef c) {
    handle_ = 0;
    call_ = c;
    call_up_ = true;
    state_ = State::ppp;
    owner_.by_l2tp_[c] = template_.number;
    ppp::SessionConfig sc = ppp::config_from_template(template_);
    sc.mode = ppp::SessionMode::client;
    sc.local_address = Ipv4{};
    sc.auth_methods.clear();
    if (!template_.chap_user.empty()) {
      sc.user = template_.chap_user;
      sc.password = template_.chap_password.plain;
      // The CHAP credentials answer MS-CHAP as well (the LNS's choice; a Windows-style LNS
      // asks for MS-CHAP-V2), which also proves the LNS knows the password.
      sc.auth_methods = {ppp::AuthMethod::chap_md5, ppp::AuthMethod::mschap_v2,
                         ppp::AuthMethod::mschap_v1};
    } else if (!template_.pap_user.empty()) {
      sc.user = template_.pap_user;
      sc.password = template_.pap_password.plain;
      sc.auth_methods = {ppp::AuthMethod::pap};
    }
    sc.request_dns = false;
    sc.tag = "l2tp " + calls_detail::key(c);
    if (owner_.random_) sc.random = owner_.random_;
    ppp_ = std::make_unique<ppp::PppSession>(sc, *this, *this, owner_.timers_);
    ppp_->start();
  }

  void on_call_down(std::string why) {
    placed_down_ = true;
    handle_ = 0;
    if (call_up_) {
      call_up_ = false;  // the engine ended it: no CDN from us
      owner_.by_l2tp_.erase(call_);
    }
    if (ppp_) owner_.bury(std::move(ppp_));  // may be inside a PPP send: free it later
    clear_address();
    failed("L2TP: " + why);
  }

  void failed(const std::string& why) {
    ++owner_.counters_.failures;
    ++failures_;
    state_ = State::waiting;
    Duration d = AutoClients::kRetryFirst;
    for (std::uint32_t i = 1; i < failures_ && d < AutoClients::kRetryMax; ++i) d *= 2;
    d = std::min(d, AutoClients::kRetryMax);
    retry_at_ = owner_.timers_.now() + d;
    retry_.arm(d, [this] { dial(); });
    log_info(DebugModule::l2tp,
             tag() + ": " + printable(why) + "; retry in " +
                 std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) +
                 " s");
  }

  void clear_address() {
    if (!address_) return;
    owner_.ip_.clear_peer_address(template_.number);
    address_.reset();
    peer_.reset();
  }

  AutoClients& owner_;
  config::VirtualTemplate template_;
  config::L2tpGroup group_;
  State state_ = State::waiting;
  CallHandle handle_ = 0;
  bool placed_down_ = false;
  bool call_up_ = false;
  SessionRef call_;
  std::unique_ptr<ppp::PppSession> ppp_;
  std::optional<Ipv4> address_, peer_;
  std::uint32_t failures_ = 0;
  TimerSlot retry_;
  TimePoint retry_at_{};
  Bytes buf_;
  std::shared_ptr<bool> alive_token_ = std::make_shared<bool>(true);
  std::weak_ptr<bool> alive_ = alive_token_;
};

AutoClients::AutoClients(config::ConfigStore& store, TimerService& timers, L2tpPort& l2tp,
                         IpPort& ip)
    : store_(store), timers_(timers), l2tp_(l2tp), ip_(ip), graveyard_(timers) {}

AutoClients::~AutoClients() {
  closed_ = true;
  clients_.clear();
  graveyard_.clear();
}

void AutoClients::bury(std::unique_ptr<ppp::PppSession> s) {
  // The session may be inside one of its own callbacks: free it from a timer.
  graveyard_.park(std::move(s));
}

void AutoClients::reconcile() {
  if (closed_) return;
  const auto& cfg = store_.running();
  std::map<std::uint16_t, std::pair<const config::VirtualTemplate*, const config::L2tpGroup*>> want;
  if (cfg.l2tp.enabled) {
    for (const auto& [n, t] : cfg.virtual_templates) {
      if (!t.auto_client_group || t.shutdown) continue;  // a shut template does not dial
      auto g = cfg.l2tp_groups.find(*t.auto_client_group);
      if (g == cfg.l2tp_groups.end() || g->second.lns_addresses.empty()) continue;
      want[n] = {&t, &g->second};
    }
  }
  for (auto it = clients_.begin(); it != clients_.end();) {
    auto w = want.find(it->first);
    if (w != want.end() && it->second->vt() == *w->second.first &&
        it->second->group() == *w->second.second) {
      ++it;
      continue;
    }
    log_info(DebugModule::l2tp, it->second->tag() + ": stopped");
    it = clients_.erase(it);  // ~Client: CDN / cancel
  }
  for (const auto& [n, tg] : want) {
    if (clients_.count(n)) continue;
    auto c = std::make_unique<Client>(*this, *tg.first, *tg.second);
    Client* raw = c.get();
    clients_.emplace(n, std::move(c));
    raw->dial();
  }
}

bool AutoClients::on_l2tp_data(SessionRef call, ByteView frame) {
  auto it = by_l2tp_.find(call);
  if (it == by_l2tp_.end()) return false;
  auto c = clients_.find(it->second);
  if (c == clients_.end()) return false;
  return c->second->on_data(frame);
}

bool AutoClients::on_tun_packet(std::uint16_t vt, ByteView packet) {
  auto c = clients_.find(vt);
  if (c == clients_.end()) return false;
  return c->second->on_tun(packet);
}

void AutoClients::close_all() {
  closed_ = true;
  clients_.clear();
}

std::vector<AutoClientStatus> AutoClients::status() const {
  std::vector<AutoClientStatus> out;
  for (const auto& [n, c] : clients_) out.push_back(c->status());
  return out;
}

}  // namespace vpdnd::vpdn
