// PppSession: phases (RFC 1661 §3.2) over the LCP and IPCP automata, PAP (RFC 1334) and
// CHAP-MD5 (RFC 1994) on both sides, the echo keepalive, and the VPDN modes.
//
// Re-entrancy rule: policies and automata never close or notify directly. They record a
// close request (pending_close_) or a listener notice (notices_); every entry point
// (start, receive, close, lower_down, hand_over, continue_locally, each timer, each
// Authenticator answer) ends with settle(), which performs them last. The listener may
// therefore destroy the session inside a notice: settle() checks `alive_` after each.
#include <openssl/rand.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "common/log.hpp"
#include "ppp/core/fsm.hpp"
#include "ppp/core/ipcp.hpp"
#include "ppp/core/lcp.hpp"
#include "ppp/ppp.hpp"
#include "startup-config/model.hpp"

namespace vpdnd::ppp {

std::string_view to_string(DownReason r) {
  switch (r) {
    case DownReason::admin:
      return "admin";
    case DownReason::lower_down:
      return "lower-down";
    case DownReason::peer_terminated:
      return "peer-terminated";
    case DownReason::auth_failed:
      return "auth-failed";
    case DownReason::auth_timeout:
      return "auth-timeout";
    case DownReason::lcp_failed:
      return "lcp-failed";
    case DownReason::ipcp_failed:
      return "ipcp-failed";
    case DownReason::echo_timeout:
      return "echo-timeout";
    case DownReason::loopback:
      return "loopback";
    case DownReason::session_timeout:
      return "session-timeout";
    case DownReason::protocol_rejected:
      return "protocol-rejected";
  }
  return "?";
}

std::string_view to_string(Phase p) {
  switch (p) {
    case Phase::dead:
      return "Dead";
    case Phase::establish:
      return "Establish";
    case Phase::authenticate:
      return "Authenticate";
    case Phase::network:
      return "Network";
    case Phase::running:
      return "Running";
    case Phase::terminate:
      return "Terminate";
    case Phase::handed_over:
      return "Handed-over";
    case Phase::tunnel_ready:
      return "Tunnel-ready";
  }
  return "?";
}

SessionConfig config_from_template(const config::VirtualTemplate& t) {
  SessionConfig c;
  for (auto m : t.auth_modes)
    c.auth_methods.push_back(m == config::PppAuthMode::pap ? AuthMethod::pap
                                                           : AuthMethod::chap_md5);
  if (t.ip_address) c.local_address = *t.ip_address;
  c.dns_primary = t.dns_primary;
  c.dns_secondary = t.dns_secondary;
  c.echo_interval = std::chrono::seconds(t.hold_timer_s);
  c.mru = t.mtu;
  return c;
}

namespace {
AuthProtocol to_protocol(AuthMethod m) {
  return m == AuthMethod::pap ? AuthProtocol::pap : AuthProtocol::chap_md5;
}
constexpr std::size_t kChallengeSize = 16;
}  // namespace

struct PppSession::Impl final : FsmHost, LcpPolicy::Host, IpcpPolicy::Host {
  enum class AuthKind : std::uint8_t {
    none,
    pap_server,
    chap_server,
    proxy,
    pap_client,
    chap_client
  };

  Impl(SessionConfig cfg, PppLowerLayer& lower, PppListener& listener, TimerService& timers,
       Authenticator* authn, AddressProvider* addrs)
      : cfg_(std::move(cfg)),
        lower_(lower),
        listener_(listener),
        timers_(timers),
        authn_(authn),
        addrs_(addrs),
        echo_timer_(timers),
        auth_timer_(timers),
        session_timer_(timers) {
    if (!cfg_.random)
      cfg_.random = [](std::span<std::uint8_t> out) {
        if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1)
          for (auto& b : out)
            b = static_cast<std::uint8_t>(std::rand());  // never reached in practice
      };
    if (cfg_.mode == SessionMode::lns && cfg_.mandatory_chap) {
      // mandatory-chap: the LNS itself challenges with CHAP whatever the template says.
      auto& m = cfg_.auth_methods;
      m.erase(std::remove(m.begin(), m.end(), AuthMethod::chap_md5), m.end());
      m.insert(m.begin(), AuthMethod::chap_md5);
      if (cfg_.proxy && cfg_.proxy->has_lcp() && !cfg_.mandatory_lcp) {
        // A user who agreed to PAP (or nothing) with the LAC would ignore a Challenge: CHAP
        // needs an LCP that negotiated it, so renegotiate in that case.
        auto sent = decode_lcp_options(cfg_.proxy->last_sent_confreq);
        renegotiate_ = !sent || sent->auth != AuthProtocol::chap_md5;
      }
    }
    LcpPolicy::Params lp;
    lp.mru = cfg_.mru;
    lp.request_pfc = cfg_.request_pfc;
    lp.request_acfc = cfg_.request_acfc;
    lp.max_failure = cfg_.timers.max_failure;
    if (cfg_.mode == SessionMode::client) {
      // The methods we agree to authenticate ourselves with (the peer's Auth-Protocol is
      // Nak'd with the first of them otherwise); default CHAP, then PAP.
      if (cfg_.auth_methods.empty()) lp.accept_auth = {AuthProtocol::chap_md5, AuthProtocol::pap};
      for (auto m : cfg_.auth_methods) lp.accept_auth.push_back(to_protocol(m));
    } else {
      for (auto m : cfg_.auth_methods) lp.want_auth.push_back(to_protocol(m));
    }
    lp.record_confreqs = cfg_.mode == SessionMode::lac;
    lcp_policy_ = std::make_unique<LcpPolicy>(lp, *this);
    lcp_ = std::make_unique<Fsm>(proto::lcp, *lcp_policy_, *this, timers_, cfg_.timers);

    IpcpPolicy::Params ip;
    ip.server = cfg_.mode != SessionMode::client;
    ip.local_address = cfg_.local_address;
    ip.dns_primary = cfg_.dns_primary;
    ip.dns_secondary = cfg_.dns_secondary;
    ip.request_dns = cfg_.request_dns;
    ipcp_policy_ = std::make_unique<IpcpPolicy>(ip, *this);
    ipcp_ = std::make_unique<Fsm>(proto::ipcp, *ipcp_policy_, *this, timers_, cfg_.timers);
    if (cfg_.mode == SessionMode::lac) proxy_out_ = std::make_unique<ProxyData>();
  }

  ~Impl() {
    *alive_ = false;
    cancel_auth();
    release_address();
  }

  // ---- hosts of the automata and policies ----------------------------------------------

  void fsm_send(const Fsm& fsm, ByteView packet) override { send_control(fsm.protocol(), packet); }
  bool fsm_debug_on(DebugClass c) const override { return debug_on(DebugModule::ppp, c); }
  void fsm_debug(DebugClass c, std::string_view text) override {
    debug(c, [&] { return std::string(text); });
  }
  void fsm_after_timer() override { settle(); }
  void lcp_up() override { on_lcp_up(); }
  void lcp_down() override { on_lcp_down(); }
  void lcp_finished() override { on_lcp_finished(); }
  void lcp_fail(DownReason r, std::string why) override { request_close(r, std::move(why)); }
  bool lcp_extended(std::uint8_t code, std::uint8_t id, ByteView data) override {
    return on_lcp_extended(code, id, data);
  }
  std::uint32_t lcp_new_magic() override { return random_magic(); }
  void ipcp_up() override { on_ipcp_up(); }
  void ipcp_down() override { on_ipcp_down(); }
  void ipcp_finished() override { on_ipcp_finished(); }

  // ---- plumbing -----------------------------------------------------------------------

  template <class Make>
  void debug(DebugClass c, Make&& make) {
    debug_lazy(DebugModule::ppp, c,
               [&] { return (cfg_.tag.empty() ? std::string("PPP") : cfg_.tag) + ": " + make(); });
  }

  std::uint32_t random_magic() {
    std::uint32_t m = 0;
    while (m == 0) {
      std::uint8_t b[4];
      cfg_.random(b);
      std::memcpy(&m, b, 4);
    }
    return m;
  }

  void set_phase(Phase p) {
    if (p == phase_) return;
    debug(DebugClass::event, [&] {
      return "phase " + std::string(to_string(phase_)) + " -> " + std::string(to_string(p));
    });
    phase_ = p;
  }

  void send_control(std::uint16_t protocol, ByteView packet) {
    debug(DebugClass::control, [&] {
      std::string s = "sent " + protocol_name(protocol);
      if (packet.size() >= 4)
        s += " " + code_name(protocol, packet[0]) + " id=" + std::to_string(packet[1]) +
             " len=" + std::to_string(packet.size());
      return s;
    });
    ++counters_.control_out;
    send_frame(protocol, packet);
  }

  void send_frame(std::uint16_t protocol, ByteView payload) {
    Bytes frame = encode_frame(protocol, payload);
    ++counters_.frames_out;
    counters_.bytes_out += frame.size();
    lower_.send(frame);
  }

  void request_close(DownReason r, std::string why) {
    if (!pending_close_) pending_close_ = std::make_pair(r, std::move(why));
  }

  void notice(std::function<void()> n) { notices_.push_back(std::move(n)); }

  void settle() {
    while (pending_close_) {
      auto [r, why] = std::move(*pending_close_);
      pending_close_.reset();
      do_close(r, why);
    }
    auto alive = alive_;
    while (!notices_.empty()) {
      auto n = std::move(notices_.front());
      notices_.erase(notices_.begin());
      n();
      if (!*alive) return;
    }
  }

  void do_close(DownReason r, const std::string& why) {
    if (down_reported_) return;
    if (!reason_) {
      reason_ = r;
      detail_ = why;
    }
    if (r == DownReason::auth_failed || r == DownReason::echo_timeout ||
        r == DownReason::loopback || r == DownReason::auth_timeout)
      debug(DebugClass::error, [&] { return "closing: " + why; });
    else
      debug(DebugClass::event, [&] { return "closing: " + why; });
    if (phase_ == Phase::handed_over || phase_ == Phase::dead) {
      finish();
      return;
    }
    closing_ = true;
    set_phase(Phase::terminate);
    stop_timers();
    cancel_auth();
    lcp_->close(why);
    // Only Closing/Stopping wait for a Terminate-Ack; from any other state LCP is done.
    auto s = lcp_->state();
    if (s != Fsm::State::closing && s != Fsm::State::stopping) finish();
  }

  void finish() {
    if (down_reported_) return;
    down_reported_ = true;
    set_phase(Phase::dead);
    stop_timers();
    cancel_auth();
    release_address();
    DownReason r = reason_.value_or(peer_terminate_seen_ ? DownReason::peer_terminated
                                                         : DownReason::lcp_failed);
    std::string detail =
        reason_ ? detail_
                : (peer_terminate_seen_ ? "peer sent Terminate-Request" : "LCP did not converge");
    debug(DebugClass::event,
          [&] { return "session down (" + std::string(to_string(r)) + "): " + detail; });
    notice([this, r, detail] { listener_.on_down(r, detail); });
  }

  void stop_timers() {
    echo_timer_.cancel();
    auth_timer_.cancel();
    session_timer_.cancel();
  }

  void release_address() {
    if (addr_acquired_ && addrs_ && peer_addr_) addrs_->release(*peer_addr_);
    addr_acquired_ = false;
  }

  // ---- entry points -------------------------------------------------------------------

  void start() {
    if (phase_ != Phase::dead || down_reported_) return;
    set_phase(Phase::establish);
    const bool use_proxy = cfg_.mode == SessionMode::lns && cfg_.proxy && cfg_.proxy->has_lcp() &&
                           !cfg_.mandatory_lcp && !renegotiate_;
    if (use_proxy && lcp_policy_->preset_from_proxy(cfg_.proxy->last_sent_confreq,
                                                    cfg_.proxy->last_received_confreq)) {
      debug(DebugClass::event,
            [] { return std::string("LCP taken from proxy LCP, not renegotiated"); });
      proxied_lcp_ = true;
      lcp_->up();
      lcp_->force_opened();
    } else {
      if (use_proxy)
        debug(DebugClass::error,
              [] { return std::string("proxy LCP undecodable, renegotiating"); });
      if (renegotiate_)
        debug(DebugClass::event, [] {
          return std::string(
              "mandatory-chap but the proxy LCP did not agree CHAP: renegotiating LCP");
        });
      lcp_->open();
      lcp_->up();
    }
    settle();
  }

  Disposition receive(ByteView bytes) {
    if (phase_ == Phase::handed_over) return Disposition::passthrough;
    if (phase_ == Phase::dead) {
      ++counters_.drop_bad_state;
      return Disposition::dropped;
    }
    auto f = decode_frame(bytes);
    if (!f) {
      ++counters_.drop_malformed;
      debug(DebugClass::error, [&] { return "dropped malformed frame: " + to_string(f.error()); });
      return Disposition::dropped;
    }
    ++counters_.frames_in;
    counters_.bytes_in += bytes.size();
    Disposition d = Disposition::control;
    const ByteView payload = f->payload;
    switch (f->protocol) {
      case proto::ip:
        if (phase_ == Phase::running) {
          ++counters_.ip_in;
          return Disposition::ip;
        }
        ++counters_.drop_not_ready;
        return Disposition::dropped;
      case proto::lcp:
        log_received(proto::lcp, payload);
        if (!payload.empty() && payload[0] == static_cast<std::uint8_t>(Code::terminate_request))
          peer_terminate_seen_ = true;
        ++counters_.control_in;
        lcp_->receive(payload);
        break;
      case proto::pap:
      case proto::chap:
        log_received(f->protocol, payload);
        ++counters_.control_in;
        if (lcp_->state() != Fsm::State::opened) {
          ++counters_.drop_not_ready;
          d = Disposition::dropped;
        } else if (!(f->protocol == proto::pap ? on_pap(payload) : on_chap(payload))) {
          d = Disposition::dropped;
        }
        break;
      case proto::ipcp:
        log_received(proto::ipcp, payload);
        ++counters_.control_in;
        if (phase_ == Phase::network || phase_ == Phase::running) {
          ipcp_->receive(payload);
        } else if (phase_ == Phase::authenticate || phase_ == Phase::tunnel_ready) {
          // The user's IPCP often races our authentication (LNS verifying proxy auth
          // over RADIUS; a LAC deciding whether to tunnel): keep the newest request and
          // replay it if IPCP starts here.
          pending_ipcp_.assign(payload.begin(), payload.end());
        } else {
          ++counters_.drop_not_ready;
          d = Disposition::dropped;
        }
        break;
      default:
        if (lcp_->state() == Fsm::State::opened) {
          send_protocol_reject(f->protocol, payload);
        } else {
          ++counters_.drop_not_ready;
          d = Disposition::dropped;
        }
        break;
    }
    settle();
    return d;
  }

  void log_received(std::uint16_t protocol, ByteView packet) {
    debug(DebugClass::control, [&] {
      std::string s = "received " + protocol_name(protocol);
      if (packet.size() >= 4)
        s += " " + code_name(protocol, packet[0]) + " id=" + std::to_string(packet[1]) +
             " len=" + std::to_string(packet.size());
      else
        s += " (short)";
      return s;
    });
  }

  void send_protocol_reject(std::uint16_t protocol, ByteView info) {
    // RFC 1661 §5.7: Rejected-Protocol + Rejected-Information, truncated to the peer's MRU.
    ByteWriter w;
    w.u16(protocol);
    std::size_t room = lcp_policy_->peer_mru() > 6 ? lcp_policy_->peer_mru() - 6u : 0;
    w.bytes(info.first(std::min(info.size(), room)));
    ++counters_.protocol_rejects_sent;
    debug(DebugClass::error,
          [&] { return "Protocol-Reject for unsupported protocol " + protocol_name(protocol); });
    lcp_->send_packet(static_cast<std::uint8_t>(Code::protocol_reject), lcp_->next_id(),
                      w.buffer());
  }

  void close(std::string_view why) {
    request_close(DownReason::admin, std::string(why));
    settle();
  }

  void lower_down() {
    if (down_reported_) return;
    if (!reason_) {
      reason_ = DownReason::lower_down;
      detail_ = "lower layer down";
    }
    stop_timers();
    cancel_auth();
    if (phase_ != Phase::handed_over) lcp_->down();
    finish();
    settle();
  }

  void hand_over() {
    if (phase_ != Phase::tunnel_ready) return;
    set_phase(Phase::handed_over);
    stop_timers();
    cancel_auth();
    settle();
  }

  void continue_locally() {
    if (phase_ != Phase::tunnel_ready) return;
    start_network();
    settle();
  }

  // ---- LCP ----------------------------------------------------------------------------

  void on_lcp_up() {
    echo_missed_ = 0;
    arm_echo();
    set_phase(Phase::authenticate);
    begin_auth();
  }

  void on_lcp_down() {
    // Renegotiated LCP no longer matches the proxy: authenticate per the new LCP.
    proxied_lcp_ = false;
    if (phase_ == Phase::tunnel_ready && !closing_) {
      // The LAC already reported the user and its LCP for ICCN; a new negotiation would
      // make that stale. Give up on this call rather than tunnel wrong proxy data.
      request_close(DownReason::lcp_failed,
                    "user renegotiated LCP while the call was being placed");
    }
    echo_timer_.cancel();
    auth_timer_.cancel();
    cancel_auth();
    auth_kind_ = AuthKind::none;
    auth_done_ = false;
    ipcp_->down();
    auto s = lcp_->state();
    if (phase_ != Phase::dead)
      set_phase(closing_ || s == Fsm::State::closing || s == Fsm::State::stopping
                    ? Phase::terminate
                    : Phase::establish);
  }

  void on_lcp_finished() { finish(); }

  bool on_lcp_extended(std::uint8_t code, std::uint8_t id, ByteView data) {
    switch (static_cast<Code>(code)) {
      case Code::protocol_reject: {
        if (lcp_->state() != Fsm::State::opened) return true;
        auto pr = decode_protocol_reject(data);
        if (!pr) return true;
        debug(DebugClass::error,
              [&] { return "peer Protocol-Rejected " + protocol_name(pr->protocol); });
        if (pr->protocol == proto::ipcp) {
          ipcp_->protocol_rejected();
          request_close(DownReason::protocol_rejected, "peer rejected IPCP");
        } else if (pr->protocol == proto::pap || pr->protocol == proto::chap) {
          request_close(DownReason::protocol_rejected, "peer rejected authentication protocol");
        }
        return true;
      }
      case Code::echo_request: {
        // RFC 1661 §5.8: only answered in Opened.
        if (lcp_->state() != Fsm::State::opened) return true;
        auto e = decode_echo(data);
        if (!e) return true;
        ByteWriter w;
        w.u32(lcp_policy_->our_magic());
        w.bytes(e->data);
        lcp_->send_packet(static_cast<std::uint8_t>(Code::echo_reply), id, w.buffer());
        return true;
      }
      case Code::echo_reply: {
        auto e = decode_echo(data);
        if (!e || lcp_->state() != Fsm::State::opened) return true;
        if (e->magic != 0 && e->magic == lcp_policy_->our_magic()) {
          request_close(DownReason::loopback,
                        "Echo-Reply carries our own Magic-Number: looped-back link");
          return true;
        }
        echo_missed_ = 0;
        ++counters_.echo_replies;
        return true;
      }
      case Code::discard_request:
        return true;
      default:
        return false;
    }
  }

  void arm_echo() {
    if (cfg_.echo_interval <= Duration::zero() || phase_ == Phase::handed_over) return;
    echo_timer_.arm(cfg_.echo_interval, [this] {
      on_echo_timer();
      settle();
    });
  }

  void on_echo_timer() {
    if (lcp_->state() != Fsm::State::opened || phase_ == Phase::handed_over) return;
    if (echo_missed_ >= cfg_.echo_max_missed) {
      request_close(DownReason::echo_timeout,
                    "peer did not answer " + std::to_string(echo_missed_) + " Echo-Requests");
      return;
    }
    ++echo_missed_;
    ++counters_.echo_sent;
    ByteWriter w;
    w.u32(lcp_policy_->our_magic());
    lcp_->send_packet(static_cast<std::uint8_t>(Code::echo_request), lcp_->next_id(), w.buffer());
    arm_echo();
  }

  // ---- authentication -----------------------------------------------------------------

  void begin_auth() {
    auth_done_ = false;
    last_auth_reply_.clear();
    if (cfg_.mode == SessionMode::client) {
      switch (lcp_policy_->auth_peer_requires()) {
        case AuthProtocol::pap:
          auth_kind_ = AuthKind::pap_client;
          auth_tries_ = 0;
          send_pap_request();
          return;
        case AuthProtocol::chap_md5:
          auth_kind_ = AuthKind::chap_client;
          arm_auth_timeout();
          return;
        case AuthProtocol::none:
          auth_ok();
          return;
      }
      return;
    }
    if (proxied_lcp_) {
      const ProxyData& p = *cfg_.proxy;
      user_ = p.auth_name;
      bool want_chap = std::find(cfg_.auth_methods.begin(), cfg_.auth_methods.end(),
                                 AuthMethod::chap_md5) != cfg_.auth_methods.end();
      if (cfg_.mandatory_chap) {
        start_challenge();
      } else if (cfg_.auth_methods.empty()) {
        auth_ok();
      } else if ((p.auth_type == ProxyAuthType::chap && !p.auth_response.empty() &&
                  !p.auth_challenge.empty()) ||
                 p.auth_type == ProxyAuthType::pap) {
        auth_kind_ = AuthKind::proxy;
        AuthRequest req;
        req.user = p.auth_name;
        req.proxied = true;
        if (p.auth_type == ProxyAuthType::pap) {
          req.method = AuthMethod::pap;
          req.password.assign(p.auth_response.begin(), p.auth_response.end());
        } else {
          req.method = AuthMethod::chap_md5;
          req.chap_id = p.auth_id.value_or(0);
          req.chap_challenge = p.auth_challenge;
          req.chap_response = p.auth_response;
        }
        debug(DebugClass::event,
              [&] { return "verifying proxy authentication of user " + req.user; });
        ask_authenticator(req);
      } else if (want_chap || lcp_policy_->auth_we_require() == AuthProtocol::chap_md5) {
        start_challenge();
      } else {
        auth_kind_ = AuthKind::pap_server;
        arm_auth_timeout();
      }
      return;
    }
    switch (lcp_policy_->auth_we_require()) {
      case AuthProtocol::pap:
        auth_kind_ = AuthKind::pap_server;
        arm_auth_timeout();
        return;
      case AuthProtocol::chap_md5:
        start_challenge();
        return;
      case AuthProtocol::none:
        auth_ok();
        return;
    }
  }

  void arm_auth_timeout() {
    auth_timer_.arm(cfg_.auth_timeout, [this] {
      if (!auth_done_ && !auth_pending_)
        request_close(DownReason::auth_timeout, "authentication timed out");
      settle();
    });
  }

  void auth_ok() {
    auth_done_ = true;
    auth_timer_.cancel();
    if (cfg_.mode == SessionMode::lac) {
      proxy_out_->initial_received_confreq = lcp_policy_->initial_received();
      proxy_out_->last_sent_confreq = lcp_policy_->last_sent();
      proxy_out_->last_received_confreq = lcp_policy_->last_received();
      if (auth_kind_ == AuthKind::none) proxy_out_->auth_type = ProxyAuthType::none;
      set_phase(Phase::tunnel_ready);
      debug(DebugClass::event, [&] { return "ready to tunnel user " + user_; });
      notice([this] { listener_.on_ready_to_tunnel(*proxy_out_, auth_result_); });
      return;
    }
    start_network();
  }

  void cancel_auth() {
    if (auth_pending_ && authn_) authn_->cancel(auth_handle_);
    auth_pending_ = false;
    ++auth_generation_;
  }

  void ask_authenticator(const AuthRequest& req) {
    if (!authn_) {
      AuthResult r;
      r.message = "no authenticator";
      on_auth_result(std::move(r));
      return;
    }
    auth_pending_ = true;
    std::weak_ptr<bool> alive = alive_;
    std::uint64_t gen = ++auth_generation_;
    in_authenticate_ = true;
    Authenticator::Handle h = authn_->authenticate(req, [this, alive, gen](AuthResult r) {
      auto a = alive.lock();
      if (!a || !*a || gen != auth_generation_ || !auth_pending_) return;
      auth_pending_ = false;
      on_auth_result(std::move(r));
      if (!in_authenticate_) settle();
    });
    in_authenticate_ = false;
    if (auth_pending_) auth_handle_ = h;
  }

  void on_auth_result(AuthResult r) {
    auth_result_ = r;
    const bool ok = r.accepted;
    debug(ok ? DebugClass::event : DebugClass::error, [&] {
      return "user " + user_ + (ok ? " authenticated" : " failed authentication") +
             (r.message.empty() ? "" : ": " + r.message);
    });
    switch (auth_kind_) {
      case AuthKind::pap_server: {
        PapReply rep{ok ? pap_code::ack : pap_code::nak, auth_id_, r.message};
        last_auth_reply_ = encode_pap_reply(rep);
        send_control(proto::pap, last_auth_reply_);
        break;
      }
      case AuthKind::chap_server: {
        ChapStatus st{ok ? chap_code::success : chap_code::failure, auth_id_, r.message};
        last_auth_reply_ = encode_chap_status(st);
        send_control(proto::chap, last_auth_reply_);
        break;
      }
      default:
        break;
    }
    if (ok) {
      auth_ok();
    } else {
      auth_done_ = true;  // duplicates get the same Nak/Failure while we terminate
      request_close(DownReason::auth_failed, auth_kind_ == AuthKind::proxy
                                                 ? "proxy authentication rejected"
                                                 : "authentication rejected");
    }
  }

  // Server: CHAP challenge, retransmitted on the restart timer up to Max-Configure.
  void start_challenge() {
    auth_kind_ = AuthKind::chap_server;
    auth_tries_ = 0;
    send_challenge();
  }

  void send_challenge() {
    if (auth_tries_ >= cfg_.timers.max_configure) {
      request_close(DownReason::auth_timeout,
                    "no CHAP Response after " + std::to_string(auth_tries_) + " Challenges");
      return;
    }
    ++auth_tries_;
    challenge_.assign(kChallengeSize, 0);
    cfg_.random(challenge_);
    // RFC 1994 §4.1: the Identifier changes with every Challenge sent.
    auth_id_ = static_cast<std::uint8_t>(auth_id_ + 1);
    send_control(proto::chap,
                 encode_chap_value({chap_code::challenge, auth_id_, challenge_, cfg_.chap_name}));
    auth_timer_.arm(cfg_.timers.restart, [this] {
      if (!auth_done_ && !auth_pending_) send_challenge();
      settle();
    });
  }

  // Client: PAP Authenticate-Request, retransmitted like a Configure-Request.
  void send_pap_request() {
    if (auth_tries_ >= cfg_.timers.max_configure) {
      request_close(DownReason::auth_timeout,
                    "no PAP reply after " + std::to_string(auth_tries_) + " requests");
      return;
    }
    ++auth_tries_;
    auth_id_ = static_cast<std::uint8_t>(auth_id_ + 1);
    send_control(proto::pap, encode_pap_request({auth_id_, cfg_.user, cfg_.password}));
    auth_timer_.arm(cfg_.timers.restart, [this] {
      if (!auth_done_) send_pap_request();
      settle();
    });
  }

  bool on_pap(ByteView payload) {
    auto c = decode_control(payload);
    if (!c) return drop_malformed("PAP", c.error());
    if (auth_kind_ == AuthKind::pap_client) {
      if (c->code != pap_code::ack && c->code != pap_code::nak) return false;
      auto rep = decode_pap_reply(*c);
      if (!rep) return drop_malformed("PAP", rep.error());
      if (rep->id != auth_id_ || auth_done_) return false;
      auth_timer_.cancel();
      if (rep->code == pap_code::ack) {
        user_ = cfg_.user;
        auth_ok();
      } else {
        auth_done_ = true;
        request_close(DownReason::auth_failed, "PAP rejected by the peer: " + rep->message);
      }
      return true;
    }
    if (auth_kind_ != AuthKind::pap_server || c->code != pap_code::request) return false;
    auto req = decode_pap_request(*c);
    if (!req) return drop_malformed("PAP", req.error());
    if (auth_done_) {
      // Our Ack/Nak was lost and the peer retransmits: answer the same (with its id).
      if (!last_auth_reply_.empty()) {
        last_auth_reply_[1] = req->id;
        send_control(proto::pap, last_auth_reply_);
      }
      return true;
    }
    if (auth_pending_) return true;  // a retransmission while AAA works
    auth_id_ = req->id;
    user_ = req->peer_id;
    if (proxy_out_) {
      proxy_out_->auth_type = ProxyAuthType::pap;
      proxy_out_->auth_name = req->peer_id;
      proxy_out_->auth_id = req->id;
      proxy_out_->auth_challenge.clear();
      proxy_out_->auth_response.assign(req->password.begin(), req->password.end());
    }
    auth_timer_.cancel();
    AuthRequest ar;
    ar.method = AuthMethod::pap;
    ar.user = req->peer_id;
    ar.password = req->password;
    ask_authenticator(ar);
    return true;
  }

  bool on_chap(ByteView payload) {
    auto c = decode_control(payload);
    if (!c) return drop_malformed("CHAP", c.error());
    if (cfg_.mode == SessionMode::client) {
      if (auth_kind_ != AuthKind::chap_client) return false;
      if (c->code == chap_code::challenge) {
        auto ch = decode_chap_value(*c);
        if (!ch) return drop_malformed("CHAP", ch.error());
        auth_id_ = ch->id;
        Bytes resp = chap_md5_response(ch->id, cfg_.password, ch->value);
        send_control(proto::chap,
                     encode_chap_value({chap_code::response, ch->id, resp, cfg_.user}));
        if (!auth_done_) arm_auth_timeout();
        return true;
      }
      auto st = decode_chap_status(*c);
      if (!st) return drop_malformed("CHAP", st.error());
      if (st->id != auth_id_ || auth_done_) return false;
      if (st->code == chap_code::success) {
        user_ = cfg_.user;
        auth_ok();
      } else {
        auth_done_ = true;
        request_close(DownReason::auth_failed, "CHAP Failure from the peer: " + st->message);
      }
      return true;
    }
    if (auth_kind_ != AuthKind::chap_server || c->code != chap_code::response) return false;
    auto r = decode_chap_value(*c);
    if (!r) return drop_malformed("CHAP", r.error());
    if (r->id != auth_id_) return false;  // RFC 1994 §4.1: must match the Challenge
    if (auth_done_) {
      if (!last_auth_reply_.empty()) send_control(proto::chap, last_auth_reply_);
      return true;
    }
    if (auth_pending_) return true;
    auth_timer_.cancel();
    user_ = r->name;
    if (proxy_out_) {
      proxy_out_->auth_type = ProxyAuthType::chap;
      proxy_out_->auth_name = r->name;
      proxy_out_->auth_id = r->id;
      proxy_out_->auth_challenge = challenge_;
      proxy_out_->auth_response = r->value;
    }
    AuthRequest ar;
    ar.method = AuthMethod::chap_md5;
    ar.user = r->name;
    ar.chap_id = r->id;
    ar.chap_challenge = challenge_;
    ar.chap_response = r->value;
    ask_authenticator(ar);
    return true;
  }

  bool drop_malformed(const char* what, const DecodeError& e) {
    ++counters_.drop_malformed;
    debug(DebugClass::error,
          [&] { return std::string("dropped malformed ") + what + ": " + to_string(e); });
    return false;
  }

  // ---- IPCP ---------------------------------------------------------------------------

  void start_network() {
    set_phase(Phase::network);
    if (cfg_.mode != SessionMode::client) {
      if (!peer_addr_) {
        std::optional<Ipv4> a = addrs_ ? addrs_->acquire(user_, auth_result_) : std::nullopt;
        if (!a) {
          request_close(DownReason::ipcp_failed, "no address for the peer");
          return;
        }
        peer_addr_ = a;
        addr_acquired_ = true;
      }
      ipcp_policy_->set_peer_address(*peer_addr_);
    }
    ipcp_->open();
    ipcp_->up();
    if (!pending_ipcp_.empty()) {
      Bytes p = std::move(pending_ipcp_);
      pending_ipcp_.clear();
      ipcp_->receive(p);
    }
  }

  void on_ipcp_up() {
    SessionUpInfo info;
    if (cfg_.mode == SessionMode::client) {
      info.local_address = ipcp_policy_->local_address();
      info.peer_address = ipcp_policy_->peer_address();
      info.primary_dns = ipcp_policy_->learnt_primary_dns();
      info.secondary_dns = ipcp_policy_->learnt_secondary_dns();
      info.auth = lcp_policy_->auth_peer_requires();
      if (info.local_address.is_zero()) {
        request_close(DownReason::ipcp_failed, "server gave us no address");
        return;
      }
      peer_addr_ = info.peer_address;
    } else {
      if (!ipcp_policy_->peer_sent_address()) {
        request_close(DownReason::ipcp_failed, "peer refused to take an address");
        return;
      }
      info.local_address = cfg_.local_address;
      info.peer_address = *peer_addr_;
      info.primary_dns = cfg_.dns_primary;
      info.secondary_dns = cfg_.dns_secondary;
      info.auth =
          proxied_lcp_
              ? (cfg_.mandatory_chap
                     ? AuthProtocol::chap_md5
                     : (cfg_.proxy->auth_type == ProxyAuthType::pap    ? AuthProtocol::pap
                        : cfg_.proxy->auth_type == ProxyAuthType::chap ? AuthProtocol::chap_md5
                                                                       : AuthProtocol::none))
              : lcp_policy_->auth_we_require();
    }
    info.user = user_;
    info.auth_result = auth_result_;
    info.peer_mru = lcp_policy_->peer_mru();
    set_phase(Phase::running);
    debug(DebugClass::event, [&] {
      return "IPCP up: user " + info.user + " local " + info.local_address.to_string() + " peer " +
             info.peer_address.to_string();
    });
    if (cfg_.mode != SessionMode::client && auth_result_.session_timeout &&
        auth_result_.session_timeout->count() > 0) {
      session_timer_.arm(*auth_result_.session_timeout, [this] {
        request_close(DownReason::session_timeout, "session timeout");
        settle();
      });
    }
    notice([this, info] { listener_.on_up(info); });
  }

  void on_ipcp_down() {
    if (phase_ == Phase::running) set_phase(Phase::network);
  }

  void on_ipcp_finished() {
    if (lcp_->state() == Fsm::State::opened && !closing_)
      request_close(DownReason::ipcp_failed, "IPCP did not converge");
  }

  // ---- state --------------------------------------------------------------------------

  SessionConfig cfg_;
  PppLowerLayer& lower_;
  PppListener& listener_;
  TimerService& timers_;
  Authenticator* authn_;
  AddressProvider* addrs_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  Phase phase_ = Phase::dead;
  SessionCounters counters_;
  std::unique_ptr<LcpPolicy> lcp_policy_;
  std::unique_ptr<Fsm> lcp_;
  std::unique_ptr<IpcpPolicy> ipcp_policy_;
  std::unique_ptr<Fsm> ipcp_;
  TimerSlot echo_timer_, auth_timer_, session_timer_;
  unsigned echo_missed_ = 0;
  bool proxied_lcp_ = false;
  bool renegotiate_ = false;

  AuthKind auth_kind_ = AuthKind::none;
  std::string user_;
  bool auth_pending_ = false;
  bool auth_done_ = false;
  bool in_authenticate_ = false;
  Authenticator::Handle auth_handle_ = 0;
  std::uint64_t auth_generation_ = 0;
  unsigned auth_tries_ = 0;
  std::uint8_t auth_id_ = 0;
  Bytes challenge_;
  Bytes last_auth_reply_;
  AuthResult auth_result_;
  std::unique_ptr<ProxyData> proxy_out_;  // LAC only

  std::optional<Ipv4> peer_addr_;
  bool addr_acquired_ = false;
  Bytes pending_ipcp_;

  std::optional<std::pair<DownReason, std::string>> pending_close_;
  std::vector<std::function<void()>> notices_;
  bool down_reported_ = false;
  bool closing_ = false;
  bool peer_terminate_seen_ = false;
  std::optional<DownReason> reason_;
  std::string detail_;
};

// ---- PppSession: forwards to Impl; nothing may follow an Impl call (see settle()) ------

PppSession::PppSession(SessionConfig config, PppLowerLayer& lower, PppListener& listener,
                       TimerService& timers, Authenticator* authenticator,
                       AddressProvider* addresses)
    : impl_(std::make_unique<Impl>(std::move(config), lower, listener, timers, authenticator,
                                   addresses)) {}
PppSession::~PppSession() = default;

void PppSession::start() {
  impl_->start();
}
Disposition PppSession::receive(ByteView frame) {
  return impl_->receive(frame);
}
void PppSession::close(std::string_view reason) {
  impl_->close(reason);
}
void PppSession::lower_down() {
  impl_->lower_down();
}
void PppSession::hand_over() {
  impl_->hand_over();
}
void PppSession::continue_locally() {
  impl_->continue_locally();
}
Phase PppSession::phase() const {
  return impl_->phase_;
}
const SessionCounters& PppSession::counters() const {
  return impl_->counters_;
}
std::string_view PppSession::lcp_state() const {
  return to_string(impl_->lcp_->state());
}
std::string_view PppSession::ipcp_state() const {
  return to_string(impl_->ipcp_->state());
}
const std::string& PppSession::user() const {
  return impl_->user_;
}
std::optional<Ipv4> PppSession::peer_address() const {
  return impl_->peer_addr_;
}
std::uint16_t PppSession::peer_mru() const {
  return impl_->lcp_policy_->peer_mru();
}

}  // namespace vpdnd::ppp
