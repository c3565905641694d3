// PppSession: phases (RFC 1661 §3.2) over the LCP and IPCP automata, which authentication
// protocol runs (PAP, CHAP, MS-CHAP: auth.hpp, one file each), the echo keepalive, and the
// VPDN modes.
//
// Re-entrancy rule: policies and automata never close or notify directly. They record a
// close request (Teardown::pending_close) or a listener notice (notices_); every entry point
// (start, receive, close, lower_down, hand_over, continue_locally, each timer, each
// Authenticator answer) ends with settle(), which performs them last. The listener may
// therefore destroy the session inside a notice: settle() checks a flag the destructor sets.
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>

#include "common/enum_names.hpp"
#include "common/log.hpp"
#include "common/printable.hpp"
#include "ppp/core/auth.hpp"
#include "ppp/core/fsm.hpp"
#include "ppp/core/ipcp.hpp"
#include "ppp/core/lcp.hpp"
#include "ppp/ppp.hpp"
#include "startup-config/model.hpp"

namespace vpdnd::ppp {

std::string_view to_string(DownReason r) {
  static constexpr std::string_view kNames[] = {
      "admin",        "lower-down",      "peer-terminated",  "auth-failed",
      "auth-timeout", "lcp-failed",      "ipcp-failed",      "echo-timeout",
      "loopback",     "session-timeout", "protocol-rejected"};
  return enum_name<DownReason::admin, DownReason::protocol_rejected>(r, kNames);
}

std::string_view to_string(Phase p) {
  static constexpr std::string_view kNames[] = {"Dead",        "Establish",   "Authenticate",
                                                "Network",     "Running",     "Terminate",
                                                "Handed-over", "Tunnel-ready"};
  return enum_name<Phase::dead, Phase::tunnel_ready>(p, kNames);
}

namespace {
AuthMethod auth_method(config::PppAuthMode m) {
  switch (m) {
    case config::PppAuthMode::pap:
      return AuthMethod::pap;
    case config::PppAuthMode::chap:
      return AuthMethod::chap_md5;
    case config::PppAuthMode::ms_chap:
      return AuthMethod::mschap_v1;
    case config::PppAuthMode::ms_chap_v2:
      return AuthMethod::mschap_v2;
  }
  return AuthMethod::pap;
}
}  // namespace

SessionConfig config_from_template(const config::VirtualTemplate& t) {
  SessionConfig c;
  for (auto m : t.auth_modes) c.auth_methods.push_back(auth_method(m));
  if (t.ip_address) c.local_address = *t.ip_address;
  c.dns_primary = t.dns_primary;
  c.dns_secondary = t.dns_secondary;
  c.echo_interval = std::chrono::seconds(t.hold_timer_s);
  c.mru = t.mtu;
  return c;
}

namespace {
constexpr std::string_view kDefaultChapName = "vpdnd";  // SessionConfig's default

// Text inline up to 23 characters (every tag vpdnd makes: "l2tp 65535/65535" is 16, one
// more than std::string keeps inline), on the heap beyond; 24 bytes instead of 32.
class ShortText {
 public:
  explicit ShortText(std::string_view s) {
    if (s.size() <= sizeof(u_.in)) {
      std::memcpy(u_.in, s.data(), s.size());
      size_ = static_cast<std::uint8_t>(s.size());
    } else {
      u_.out = new std::string(s);
      size_ = kOnHeap;
    }
  }
  ~ShortText() {
    if (size_ == kOnHeap) delete u_.out;
  }
  ShortText(const ShortText&) = delete;
  ShortText& operator=(const ShortText&) = delete;
  std::string_view view() const {
    return size_ == kOnHeap ? std::string_view(*u_.out) : std::string_view(u_.in, size_);
  }

 private:
  static constexpr std::uint8_t kOnHeap = 0xff;
  union {
    char in[23];
    std::string* out;
  } u_;
  std::uint8_t size_;
};

// The authentication methods in preference order, without repeats (there are four methods,
// so five bytes instead of a std::vector per session).
class AuthMethods {
 public:
  void add(AuthMethod m) {
    if (!contains(m)) m_[n_++] = m;
  }
  void push_front(AuthMethod m) {
    auto* at = std::find(m_.begin(), m_.begin() + n_, m);
    if (at == m_.begin() + n_) ++n_;  // not there: the list grows by one
    std::move_backward(m_.begin(), at, at + 1);
    m_[0] = m;
  }
  bool contains(AuthMethod m) const { return std::find(begin(), end(), m) != end(); }
  bool empty() const { return n_ == 0; }
  const AuthMethod* begin() const { return m_.data(); }
  const AuthMethod* end() const { return m_.data() + n_; }

 private:
  std::array<AuthMethod, 4> m_{};
  std::uint8_t n_ = 0;
};
}  // namespace

// Memory: one Impl per user, and an LNS holds tens of thousands, so an established session
// keeps only what it still needs: no copy of SessionConfig (the few settings used later,
// strings only when not the default), no LCP/IPCP policy once that layer is Opened (their
// compact Saved state instead; a renegotiation rebuilds them), no proxy data after start(),
// no CHAP reply buffer (rebuilt from the result when a duplicate asks for it), teardown
// state only once teardown starts. tests/ppp/memory_test.cpp holds it to a budget.
struct PppSession::Impl final : FsmHost, LcpPolicy::Host {
  // Settings most sessions leave at their default (client credentials, our CHAP name, an
  // injected RNG): allocated only when one is set.
  struct Extra {
    std::string user;
    std::string password;
    std::string chap_name;
    std::function<void(std::span<std::uint8_t>)> random;
  };
  // What only authentication and the start of IPCP use: allocated then, freed once the
  // session runs (compact()).
  struct Negotiation {
    std::shared_ptr<bool> auth_token;  // while an Authenticator request is pending
    Authenticator::Handle auth_handle = 0;
    AuthScratch auth;
    Bytes pending_ipcp;  // the user's IPCP request that raced our authentication
  };
  Negotiation& neg() {
    if (!neg_) neg_ = std::make_unique<Negotiation>();
    return *neg_;
  }
  // Why and how the session is going down: allocated by the first close request.
  struct Teardown {
    std::optional<std::pair<DownReason, std::string>> pending_close;
    std::optional<DownReason> reason;
    std::string detail;
    std::string terminate_reason;  // what LCP's Terminate-Requests say
  };

  Impl(SessionConfig cfg, PppLowerLayer& lower, PppListener& listener, TimerService& timers,
       Authenticator* authn, AddressProvider* addrs)
      : lower_(lower),
        listener_(listener),
        timers_(timers),
        authn_(authn),
        addrs_(addrs),
        timer_cfg_(cfg.timers),
        lcp_(proto::lcp, *this),
        ipcp_(proto::ipcp, *this),
        tag_(cfg.tag),
        echo_interval_(cfg.echo_interval),
        auth_timeout_(cfg.auth_timeout),
        echo_max_missed_(cfg.echo_max_missed),
        local_address_(cfg.local_address),
        dns_primary_(cfg.dns_primary),
        dns_secondary_(cfg.dns_secondary),
        mru_(cfg.mru),
        mode_(cfg.mode),
        request_pfc_(cfg.request_pfc),
        request_acfc_(cfg.request_acfc),
        request_dns_(cfg.request_dns),
        mandatory_lcp_(cfg.mandatory_lcp),
        mandatory_chap_(cfg.mandatory_chap) {
    for (auto m : cfg.auth_methods) auth_methods_.add(m);
    if (!cfg.user.empty() || !cfg.password.empty() || cfg.chap_name != kDefaultChapName ||
        cfg.random) {
      extra_ = std::make_unique<Extra>(Extra{std::move(cfg.user), std::move(cfg.password),
                                             std::move(cfg.chap_name), std::move(cfg.random)});
    }
    if (mode_ == SessionMode::lns && cfg.proxy)
      proxy_ = std::make_unique<ProxyData>(std::move(*cfg.proxy));
    if (mode_ == SessionMode::lns && mandatory_chap_) {
      // mandatory-chap: the LNS itself challenges with CHAP whatever the template says.
      auth_methods_.push_front(AuthMethod::chap_md5);
      if (proxy_ && proxy_->has_lcp() && !mandatory_lcp_) {
        // A user who agreed to PAP (or nothing) with the LAC would ignore a Challenge: CHAP
        // needs an LCP that negotiated it, so renegotiate in that case.
        auto sent = decode_lcp_options(proxy_->last_sent_confreq);
        renegotiate_ = !sent || sent->auth != AuthProtocol::chap_md5;
      }
    }
    if (mode_ == SessionMode::lns && !mandatory_chap_ && !mandatory_lcp_ && proxy_ &&
        proxy_->has_lcp() && !auth_methods_.empty()) {
      // RFC 2661 has no proxy type for MS-CHAP v2 (and a LAC may not send v1's): a user who
      // agreed MS-CHAP with the LAC is authenticated here, which needs a fresh LCP.
      auto sent = decode_lcp_options(proxy_->last_sent_confreq);
      if (sent && (sent->auth == AuthProtocol::mschap_v2 ||
                   (sent->auth == AuthProtocol::mschap_v1 &&
                    proxy_->auth_type != ProxyAuthType::mschap_v1)))
        renegotiate_ = true;
    }
    // Built now (it draws our first Magic-Number); freed once LCP is Opened.
    lcp_policy_ = std::make_unique<LcpPolicy>(lcp_params(), *this);
    if (mode_ == SessionMode::lac) proxy_out_ = std::make_unique<ProxyData>();
  }

  ~Impl() {
    if (destroyed_) *destroyed_ = true;
    stop_timers();
    lcp_.stop_restart();
    ipcp_.stop_restart();
    cancel_auth();
    release_address();
  }

  // ---- the policies: built when negotiation needs them, freed while Opened -----------

  LcpPolicy::Params lcp_params() const {
    LcpPolicy::Params lp;
    lp.mru = mru_;
    lp.request_pfc = request_pfc_;
    lp.request_acfc = request_acfc_;
    lp.max_failure = timer_cfg_.max_failure;
    if (mode_ == SessionMode::client) {
      // The methods we agree to authenticate ourselves with (the peer's Auth-Protocol is
      // Nak'd with the first of them otherwise); default CHAP, then PAP.
      if (auth_methods_.empty()) lp.accept_auth = {AuthProtocol::chap_md5, AuthProtocol::pap};
      for (auto m : auth_methods_) lp.accept_auth.push_back(to_protocol(m));
    } else {
      for (auto m : auth_methods_) lp.want_auth.push_back(to_protocol(m));
    }
    lp.record_confreqs = mode_ == SessionMode::lac;
    return lp;
  }

  LcpPolicy& lcp_policy() {
    if (!lcp_policy_) lcp_policy_ = std::make_unique<LcpPolicy>(lcp_params(), *this, lcp_saved_);
    return *lcp_policy_;
  }

  IpcpPolicy& ipcp_policy() {
    if (!ipcp_policy_) {
      IpcpPolicy::Params ip;
      ip.server = mode_ != SessionMode::client;
      ip.local_address = local_address_;
      if (ip.server) ip.peer_address = peer_addr_;
      ip.dns_primary = dns_primary_;
      ip.dns_secondary = dns_secondary_;
      ip.request_dns = request_dns_;
      ipcp_policy_ = ipcp_saved_.valid ? std::make_unique<IpcpPolicy>(ip, ipcp_saved_)
                                       : std::make_unique<IpcpPolicy>(ip);
    }
    return *ipcp_policy_;
  }

  // The LCP results, from the live policy while there is one (a renegotiation may have
  // changed them before Opened), else from what was saved.
  const LcpPolicy::Agreed& lcp_ours() const {
    return lcp_policy_ ? lcp_policy_->acked_ours() : lcp_saved_.ours;
  }
  const LcpPolicy::Agreed& lcp_peer() const {
    return lcp_policy_ ? lcp_policy_->acked_peer() : lcp_saved_.peer;
  }

  // Frees what an Opened layer no longer needs. Only at the end of an entry point (from
  // settle()), never while an automaton is inside a policy call. A LAC keeps its LCP policy:
  // the recorded CONFREQs go into ProxyData.
  void compact() {
    if (lcp_policy_ && lcp_.state() == Fsm::State::opened && mode_ != SessionMode::lac &&
        lcp_policy_->savable()) {
      lcp_saved_ = lcp_policy_->save();
      lcp_policy_.reset();
    }
    if (ipcp_policy_ && ipcp_.state() == Fsm::State::opened) {
      ipcp_saved_ = ipcp_policy_->save();
      ipcp_policy_.reset();
    }
    if (neg_ && !auth_.pending && (phase_ == Phase::running || phase_ == Phase::handed_over))
      neg_.reset();
    if (phase_ == Phase::handed_over && !destroyed_) {
      // A LAC's tunnelled session only switches frames: nothing negotiates any more, so its
      // LCP policy with the recorded CONFREQs and the proxy data go (the getters read the
      // saved results). Not while a notice runs: on_ready_to_tunnel holds a reference to
      // proxy_out_ and may call hand_over(); settle() compacts again after the notices.
      if (lcp_policy_) {
        lcp_saved_ = lcp_policy_->save();
        lcp_policy_.reset();
      }
      ipcp_policy_.reset();
      proxy_out_.reset();
    }
  }

  // ---- hosts of the automata and policies ----------------------------------------------

  TimerService& fsm_timer_service() override { return timers_; }
  const FsmTimers& fsm_timers() const override { return timer_cfg_; }
  FsmPolicy& fsm_policy(const Fsm& fsm) override {
    if (&fsm == &lcp_) return lcp_policy();
    return ipcp_policy();
  }
  void fsm_up(const Fsm& fsm) override {
    if (&fsm == &lcp_)
      on_lcp_up();
    else
      on_ipcp_up();
  }
  void fsm_down(const Fsm& fsm) override {
    if (&fsm == &lcp_)
      on_lcp_down();
    else
      on_ipcp_down();
  }
  void fsm_finished(const Fsm& fsm) override {
    if (&fsm == &lcp_)
      on_lcp_finished();
    else
      on_ipcp_finished();
  }
  bool fsm_extended_code(const Fsm& fsm, std::uint8_t code, std::uint8_t id,
                         ByteView data) override {
    return &fsm == &lcp_ && on_lcp_extended(code, id, data);
  }
  void fsm_send(const Fsm& fsm, ByteView packet) override { send_control(fsm.protocol(), packet); }
  bool fsm_debug_on(DebugClass c) const override { return debug_on(DebugModule::ppp, c); }
  void fsm_debug(DebugClass c, std::string_view text) override {
    debug(c, [&] { return std::string(text); });
  }
  void fsm_after_timer() override { settle(); }
  // Only LCP is ever closed (IPCP goes down with it): its text lives in Teardown.
  void fsm_keep_terminate_reason(const Fsm& fsm, std::string_view reason) override {
    if (&fsm != &lcp_) return;
    if (reason.empty() && !down_) return;
    teardown().terminate_reason.assign(reason);
  }
  std::string_view fsm_terminate_reason(const Fsm& fsm) const override {
    if (&fsm != &lcp_ || !down_) return {};
    return down_->terminate_reason;
  }
  void lcp_fail(DownReason r, std::string why) override { request_close(r, std::move(why)); }
  std::uint32_t lcp_new_magic() override { return random_magic(); }

  // ---- plumbing -----------------------------------------------------------------------

  template <class Make>
  void debug(DebugClass c, Make&& make) {
    debug_lazy(DebugModule::ppp, c, [&] {
      const std::string_view tag = tag_.view();
      return std::string(tag.empty() ? std::string_view("PPP") : tag) + ": " + make();
    });
  }

  void random_bytes(std::span<std::uint8_t> out) {
    if (extra_ && extra_->random) {
      extra_->random(out);
      return;
    }
    if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1)
      for (auto& b : out) b = static_cast<std::uint8_t>(std::rand());  // never reached in practice
  }
  std::string chap_name() const {
    if (authn_) {
      std::string n = authn_->challenge_name();
      if (!n.empty()) return n;
    }
    return std::string(extra_ ? std::string_view(extra_->chap_name) : kDefaultChapName);
  }
  const std::string& client_user() const {
    static const std::string none;
    return extra_ ? extra_->user : none;
  }
  const std::string& client_password() const {
    static const std::string none;
    return extra_ ? extra_->password : none;
  }

  std::uint32_t random_magic() {
    std::uint32_t m = 0;
    while (m == 0) {
      std::uint8_t b[4];
      random_bytes(b);
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

  // "sent LCP ConfReq id=1 len=14"; " (short)" where no control header fits (only ever
  // received: what we build always has one).
  void log_control(std::string_view verb, std::uint16_t protocol, ByteView packet) {
    debug(DebugClass::control, [&] {
      std::string s = std::string(verb) + " " + protocol_name(protocol);
      if (packet.size() >= 4)
        s += " " + code_name(protocol, packet[0]) + " id=" + std::to_string(packet[1]) +
             " len=" + std::to_string(packet.size());
      else
        s += " (short)";
      return s;
    });
  }

  void send_control(std::uint16_t protocol, ByteView packet) {
    log_control("sent", protocol, packet);
    ++counters_.control_out;
    send_frame(protocol, packet);
  }

  void send_frame(std::uint16_t protocol, ByteView payload) {
    // Small frames (every packet of an established link's keepalive) on the stack: the
    // octets encode_frame gives, without a heap allocation each.
    constexpr std::size_t kSmall = 256;
    ++counters_.frames_out;
    if (payload.size() + 2 <= kSmall) {
      std::array<std::uint8_t, kSmall> frame;
      frame[0] = static_cast<std::uint8_t>(protocol >> 8);
      frame[1] = static_cast<std::uint8_t>(protocol);
      if (!payload.empty()) std::memcpy(frame.data() + 2, payload.data(), payload.size());
      counters_.bytes_out += payload.size() + 2;
      lower_.send(ByteView(frame.data(), payload.size() + 2));
      return;
    }
    Bytes frame = encode_frame(protocol, payload);
    counters_.bytes_out += frame.size();
    lower_.send(frame);
  }

  Teardown& teardown() {
    if (!down_) down_ = std::make_unique<Teardown>();
    return *down_;
  }

  void request_close(DownReason r, std::string why) {
    Teardown& t = teardown();
    if (!t.pending_close) t.pending_close = std::make_pair(r, std::move(why));
  }

  void notice(std::function<void()> n) {
    if (!notices_) notices_ = std::make_unique<std::vector<std::function<void()>>>();
    notices_->push_back(std::move(n));
  }

  void settle() {
    while (down_ && down_->pending_close) {
      auto [r, why] = std::move(*down_->pending_close);
      down_->pending_close.reset();
      do_close(r, why);
    }
    compact();
    if (!notices_) return;
    // The listener may destroy us inside a notice: the destructor sets this flag (and the
    // one of a settle() further up the stack, through `outer`).
    bool destroyed = false;
    bool* outer = destroyed_;
    destroyed_ = &destroyed;
    while (notices_ && !notices_->empty()) {
      auto n = std::move(notices_->front());
      notices_->erase(notices_->begin());
      n();
      if (destroyed) {
        if (outer) *outer = true;
        return;
      }
    }
    destroyed_ = outer;
    notices_.reset();  // nothing kept per session between events
    compact();         // what the notices' listener calls left (hand_over() inside one)
  }

  void do_close(DownReason r, const std::string& why) {
    if (down_reported_) return;
    Teardown& t = teardown();
    if (!t.reason) {
      t.reason = r;
      t.detail = why;
    }
    if (r == DownReason::auth_failed || r == DownReason::echo_timeout ||
        r == DownReason::loopback || r == DownReason::auth_timeout)
      debug(DebugClass::error, [&] { return "closing: " + printable(why); });
    else
      debug(DebugClass::event, [&] { return "closing: " + printable(why); });
    if (phase_ == Phase::handed_over || phase_ == Phase::dead) {
      finish();
      return;
    }
    closing_ = true;
    set_phase(Phase::terminate);
    stop_timers();
    cancel_auth();
    lcp_.close(why);
    // Only Closing/Stopping wait for a Terminate-Ack; from any other state LCP is done.
    auto s = lcp_.state();
    if (s != Fsm::State::closing && s != Fsm::State::stopping) finish();
  }

  void finish() {
    if (down_reported_) return;
    down_reported_ = true;
    set_phase(Phase::dead);
    stop_timers();
    cancel_auth();
    release_address();
    std::optional<DownReason> reason = down_ ? down_->reason : std::nullopt;
    DownReason r = reason.value_or(peer_terminate_seen_ ? DownReason::peer_terminated
                                                        : DownReason::lcp_failed);
    std::string detail =
        reason ? down_->detail
               : (peer_terminate_seen_ ? "peer sent Terminate-Request" : "LCP did not converge");
    debug(DebugClass::event,
          [&] { return "session down (" + std::string(to_string(r)) + "): " + printable(detail); });
    notice([this, r, detail] { listener_.on_down(r, detail); });
  }

  void stop_timers() {
    cancel_timer(kEchoSlot);
    cancel_timer(kAuthSlot);
    cancel_timer(kSessionSlot);
  }

  // ---- timers: echo, authentication (one use at a time), session timeout ----------------
  // Scheduled directly with a callback of two words, which std::function stores in place:
  // TimerSlot wraps its callback in a second one that does not fit and is heap-allocated,
  // which an LNS would pay for every established session's echo timer.
  enum class TimerUse : std::uint8_t { echo, auth_timeout, auth_retry, session };
  static constexpr std::size_t kEchoSlot = 0, kAuthSlot = 1, kSessionSlot = 2;
  static constexpr std::size_t slot_of(TimerUse u) {
    return u == TimerUse::echo ? kEchoSlot : u == TimerUse::session ? kSessionSlot : kAuthSlot;
  }

  void arm_timer(TimerUse use, Duration after) {
    const std::size_t slot = slot_of(use);
    cancel_timer(slot);
    timer_ids_[slot] = timers_.schedule(after, [this, use] {
      timer_ids_[slot_of(use)] = TimerService::kNoTimer;
      on_timer(use);
    });
  }
  void cancel_timer(std::size_t slot) {
    if (timer_ids_[slot] != TimerService::kNoTimer) timers_.cancel(timer_ids_[slot]);
    timer_ids_[slot] = TimerService::kNoTimer;
  }

  void on_timer(TimerUse use) {
    switch (use) {
      case TimerUse::echo:
        on_echo_timer();
        break;
      case TimerUse::auth_timeout:
        if (!auth_.done && !auth_.pending)
          request_close(DownReason::auth_timeout, "authentication timed out");
        break;
      case TimerUse::auth_retry: {
        Port port(*this);
        if (auth_.kind == AuthKind::chap_server && !auth_.done && !auth_.pending)
          auth_chap::send_challenge(port);
        else if (auth_.kind == AuthKind::pap_client && !auth_.done)
          auth_pap::send_request(port);
        break;
      }
      case TimerUse::session:
        request_close(DownReason::session_timeout, "session timeout");
        break;
    }
    settle();
  }

  bool set_session_timeout(std::optional<Duration> remaining) {
    if (phase_ != Phase::running || mode_ == SessionMode::client) return false;
    cancel_timer(kSessionSlot);
    if (remaining) arm_timer(TimerUse::session, *remaining);
    return true;
  }

  void release_address() {
    if (addr_acquired_ && addrs_ && peer_addr_) addrs_->release(*peer_addr_);
    addr_acquired_ = false;
  }

  // ---- entry points -------------------------------------------------------------------

  void start() {
    if (phase_ != Phase::dead || down_reported_) return;
    set_phase(Phase::establish);
    const bool use_proxy = mode_ == SessionMode::lns && proxy_ && proxy_->has_lcp() &&
                           !mandatory_lcp_ && !renegotiate_;
    if (use_proxy &&
        lcp_policy().preset_from_proxy(proxy_->last_sent_confreq, proxy_->last_received_confreq)) {
      debug(DebugClass::event,
            [] { return std::string("LCP taken from proxy LCP, not renegotiated"); });
      proxied_lcp_ = true;
      proxied_auth_ = mandatory_chap_                                 ? AuthProtocol::chap_md5
                      : proxy_->auth_type == ProxyAuthType::pap       ? AuthProtocol::pap
                      : proxy_->auth_type == ProxyAuthType::chap      ? AuthProtocol::chap_md5
                      : proxy_->auth_type == ProxyAuthType::mschap_v1 ? AuthProtocol::mschap_v1
                                                                      : AuthProtocol::none;
      lcp_.up();
      lcp_.force_opened();
    } else {
      if (use_proxy)
        debug(DebugClass::error,
              [] { return std::string("proxy LCP undecodable, renegotiating"); });
      if (renegotiate_)
        debug(DebugClass::event, [this] {
          return std::string(mandatory_chap_
                                 ? "mandatory-chap but the proxy LCP did not agree CHAP"
                                 : "the proxy cannot carry the user's MS-CHAP authentication") +
                 ": renegotiating LCP";
        });
      lcp_.open();
      lcp_.up();
    }
    // The proxy data served the preset and the proxied authentication (begin_auth above,
    // which copied what it needs): an established session does not carry it.
    proxy_.reset();
    settle();
  }

  void prefetch() const {
    __builtin_prefetch(&phase_);
    __builtin_prefetch(&counters_);
    __builtin_prefetch(&lcp_);
    __builtin_prefetch(&echo_missed_);
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
        log_control("received", proto::lcp, payload);
        if (!payload.empty() && payload[0] == static_cast<std::uint8_t>(Code::terminate_request))
          peer_terminate_seen_ = true;
        ++counters_.control_in;
        lcp_.receive(payload);
        break;
      case proto::pap:
      case proto::chap:
        log_control("received", f->protocol, payload);
        ++counters_.control_in;
        if (lcp_.state() != Fsm::State::opened) {
          ++counters_.drop_not_ready;
          d = Disposition::dropped;
        } else if (!on_auth_packet(f->protocol, payload)) {
          d = Disposition::dropped;
        }
        break;
      case proto::ipcp:
        log_control("received", proto::ipcp, payload);
        ++counters_.control_in;
        if (phase_ == Phase::network || phase_ == Phase::running) {
          ipcp_.receive(payload);
        } else if (phase_ == Phase::authenticate || phase_ == Phase::tunnel_ready) {
          // The user's IPCP often races our authentication (LNS verifying proxy auth
          // over RADIUS; a LAC deciding whether to tunnel): keep the newest request and
          // replay it if IPCP starts here.
          neg().pending_ipcp.assign(payload.begin(), payload.end());
        } else {
          ++counters_.drop_not_ready;
          d = Disposition::dropped;
        }
        break;
      default:
        if (lcp_.state() == Fsm::State::opened) {
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

  void send_protocol_reject(std::uint16_t protocol, ByteView info) {
    // RFC 1661 §5.7: Rejected-Protocol + Rejected-Information, truncated to the peer's MRU.
    ByteWriter w;
    w.u16(protocol);
    const std::uint16_t peer_mru = lcp_peer().mru;
    std::size_t room = peer_mru > 6 ? peer_mru - 6u : 0;
    w.bytes(info.first(std::min(info.size(), room)));
    ++counters_.protocol_rejects_sent;
    debug(DebugClass::error,
          [&] { return "Protocol-Reject for unsupported protocol " + protocol_name(protocol); });
    lcp_.send_packet(static_cast<std::uint8_t>(Code::protocol_reject), lcp_.next_id(), w.buffer());
  }

  void close(std::string_view why) {
    request_close(DownReason::admin, std::string(why));
    settle();
  }

  void lower_down() {
    if (down_reported_) return;
    Teardown& t = teardown();
    if (!t.reason) {
      t.reason = DownReason::lower_down;
      t.detail = "lower layer down";
    }
    stop_timers();
    cancel_auth();
    if (phase_ != Phase::handed_over) lcp_.down();
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
    if (auth_.reply_held) {
      auth_.reply_held = false;
      auth_.replied = true;
      send_control(proto::chap, auth_reply(auth_.id));
    }
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
    cancel_timer(kEchoSlot);
    cancel_timer(kAuthSlot);
    cancel_auth();
    auth_.kind = AuthKind::none;
    auth_.done = false;
    ipcp_.down();
    auto s = lcp_.state();
    if (phase_ != Phase::dead)
      set_phase(closing_ || s == Fsm::State::closing || s == Fsm::State::stopping
                    ? Phase::terminate
                    : Phase::establish);
  }

  void on_lcp_finished() { finish(); }

  bool on_lcp_extended(std::uint8_t code, std::uint8_t id, ByteView data) {
    switch (static_cast<Code>(code)) {
      case Code::protocol_reject: {
        if (lcp_.state() != Fsm::State::opened) return true;
        auto pr = decode_protocol_reject(data);
        if (!pr) return true;
        debug(DebugClass::error,
              [&] { return "peer Protocol-Rejected " + protocol_name(pr->protocol); });
        if (pr->protocol == proto::ipcp) {
          ipcp_.protocol_rejected();
          request_close(DownReason::protocol_rejected, "peer rejected IPCP");
        } else if (pr->protocol == proto::pap || pr->protocol == proto::chap) {
          request_close(DownReason::protocol_rejected, "peer rejected authentication protocol");
        }
        return true;
      }
      case Code::echo_request: {
        // RFC 1661 §5.8: only answered in Opened.
        if (lcp_.state() != Fsm::State::opened) return true;
        auto e = decode_echo(data);
        if (!e) return true;
        // Our Magic-Number, then the peer's data back; on the stack when small.
        std::array<std::uint8_t, 256> small;
        const std::size_t len = 4 + e->data.size();
        if (len > small.size()) {
          ByteWriter w;
          w.u32(lcp_ours().magic);
          w.bytes(e->data);
          lcp_.send_packet(static_cast<std::uint8_t>(Code::echo_reply), id, w.buffer());
          return true;
        }
        put_magic(small.data(), lcp_ours().magic);
        if (!e->data.empty()) std::memcpy(small.data() + 4, e->data.data(), e->data.size());
        lcp_.send_packet(static_cast<std::uint8_t>(Code::echo_reply), id,
                         ByteView(small.data(), len));
        return true;
      }
      case Code::echo_reply: {
        auto e = decode_echo(data);
        if (!e || lcp_.state() != Fsm::State::opened) return true;
        if (e->magic != 0 && e->magic == lcp_ours().magic) {
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

  static void put_magic(std::uint8_t* at, std::uint32_t magic) {
    at[0] = static_cast<std::uint8_t>(magic >> 24);
    at[1] = static_cast<std::uint8_t>(magic >> 16);
    at[2] = static_cast<std::uint8_t>(magic >> 8);
    at[3] = static_cast<std::uint8_t>(magic);
  }

  void arm_echo() {
    if (echo_interval_ <= Duration::zero() || phase_ == Phase::handed_over) return;
    arm_timer(TimerUse::echo, echo_interval_);
  }

  void on_echo_timer() {
    if (lcp_.state() != Fsm::State::opened || phase_ == Phase::handed_over) return;
    if (echo_missed_ >= echo_max_missed_) {
      request_close(DownReason::echo_timeout,
                    "peer did not answer " + std::to_string(echo_missed_) + " Echo-Requests");
      return;
    }
    ++echo_missed_;
    ++counters_.echo_sent;
    std::array<std::uint8_t, 4> magic;
    put_magic(magic.data(), lcp_ours().magic);
    lcp_.send_packet(static_cast<std::uint8_t>(Code::echo_request), lcp_.next_id(), magic);
    arm_echo();
  }

  // ---- authentication -----------------------------------------------------------------

  void begin_auth() {
    Port port(*this);
    auth_.done = false;
    auth_.replied = false;
    if (mode_ == SessionMode::client) {
      switch (lcp_peer().auth) {
        case AuthProtocol::pap:
          auth_.kind = AuthKind::pap_client;
          neg().auth.tries = 0;
          auth_pap::send_request(port);
          return;
        case AuthProtocol::chap_md5:
        case AuthProtocol::mschap_v1:
        case AuthProtocol::mschap_v2:
          auth_.kind = AuthKind::chap_client;
          auth_.alg = chap_algorithm(lcp_peer().auth);
          arm_auth_timeout();
          return;
        case AuthProtocol::none:
          auth_ok();
          return;
      }
      return;
    }
    if (proxied_lcp_) {
      const ProxyData& p = *proxy_;
      user_ = p.auth_name;
      bool want_chap = auth_methods_.contains(AuthMethod::chap_md5);
      const AuthProtocol agreed = lcp_ours().auth;
      if (mandatory_chap_) {
        auth_chap::start(port, kChapMd5);
      } else if (auth_methods_.empty()) {
        auth_ok();
      } else if (((p.auth_type == ProxyAuthType::chap || p.auth_type == ProxyAuthType::mschap_v1) &&
                  !p.auth_response.empty() && !p.auth_challenge.empty()) ||
                 p.auth_type == ProxyAuthType::pap) {
        auth_.kind = AuthKind::proxy;
        AuthRequest req;
        req.user = p.auth_name;
        req.proxied = true;
        if (p.auth_type == ProxyAuthType::pap) {
          req.method = AuthMethod::pap;
          req.password.assign(p.auth_response.begin(), p.auth_response.end());
        } else {
          req.method = p.auth_type == ProxyAuthType::mschap_v1 ? AuthMethod::mschap_v1
                                                               : AuthMethod::chap_md5;
          req.chap_id = p.auth_id.value_or(0);
          req.chap_challenge = p.auth_challenge;
          req.chap_response = p.auth_response;
        }
        debug(DebugClass::event,
              [&] { return "verifying proxy authentication of user " + printable(req.user); });
        ask_authenticator(req);
      } else if (agreed == AuthProtocol::mschap_v1 || agreed == AuthProtocol::mschap_v2) {
        auth_chap::start(port, chap_algorithm(agreed));
      } else if (want_chap || agreed == AuthProtocol::chap_md5) {
        auth_chap::start(port, kChapMd5);
      } else {
        auth_.kind = AuthKind::pap_server;
        arm_auth_timeout();
      }
      return;
    }
    switch (lcp_ours().auth) {
      case AuthProtocol::pap:
        auth_.kind = AuthKind::pap_server;
        arm_auth_timeout();
        return;
      case AuthProtocol::chap_md5:
      case AuthProtocol::mschap_v1:
      case AuthProtocol::mschap_v2:
        auth_chap::start(port, chap_algorithm(lcp_ours().auth));
        return;
      case AuthProtocol::none:
        auth_ok();
        return;
    }
  }

  void arm_auth_timeout() { arm_timer(TimerUse::auth_timeout, auth_timeout_); }

  void auth_ok() {
    auth_.done = true;
    cancel_timer(kAuthSlot);
    if (mode_ == SessionMode::lac) {
      LcpPolicy& lcp = lcp_policy();  // a LAC's is never freed (compact())
      proxy_out_->initial_received_confreq = lcp.initial_received();
      proxy_out_->last_sent_confreq = lcp.last_sent();
      proxy_out_->last_received_confreq = lcp.last_received();
      if (auth_.kind == AuthKind::none) proxy_out_->auth_type = ProxyAuthType::none;
      set_phase(Phase::tunnel_ready);
      debug(DebugClass::event, [&] { return "ready to tunnel user " + printable(user_); });
      notice([this] { listener_.on_ready_to_tunnel(*proxy_out_, auth_result()); });
      return;
    }
    start_network();
  }

  void cancel_auth() {
    if (auth_.pending && authn_ && neg_) authn_->cancel(neg_->auth_handle);
    auth_.pending = false;
    drop_auth_token();
  }

  // The token an Authenticator's callback checks: it exists only while a request is
  // pending, so a late or repeated answer (after cancel, after destruction) is ignored.
  void drop_auth_token() {
    if (!neg_ || !neg_->auth_token) return;
    *neg_->auth_token = false;
    neg_->auth_token.reset();
  }

  // Our answer to the peer's PAP Request / CHAP Response, built from the result each time
  // it is sent (a lost one is asked for again) rather than kept per session.
  Bytes auth_reply(std::uint8_t id) const {
    const AuthVerdict v{auth_accepted_, auth_message_, auth_attrs_.get()};
    if (auth_.kind == AuthKind::pap_server) return auth_pap::reply(id, v);
    return auth_chap::reply(auth_, neg_ ? &neg_->auth : nullptr, id, v);
  }

  // The Authenticator's answer as kept: verdict and text inline, the attributes (rare with
  // local AAA) on the heap only when there are any.
  void store_auth_result(const AuthResult& r) {
    auth_accepted_ = r.accepted;
    auth_message_ = r.message;
    auth_message_.shrink_to_fit();
    AuthResult attrs = r;
    attrs.accepted = false;
    attrs.message = {};
    if (attrs == AuthResult{})
      auth_attrs_.reset();
    else
      auth_attrs_ = std::make_unique<AuthResult>(std::move(attrs));
  }
  AuthResult auth_result() const {
    AuthResult r = auth_attrs_ ? *auth_attrs_ : AuthResult{};
    r.accepted = auth_accepted_;
    r.message = auth_message_;
    return r;
  }

  void ask_authenticator(const AuthRequest& req) {
    if (!authn_) {
      AuthResult r;
      r.message = "no authenticator";
      on_auth_result(std::move(r));
      return;
    }
    auth_.pending = true;
    drop_auth_token();
    neg().auth_token = std::make_shared<bool>(true);
    std::weak_ptr<bool> token = neg_->auth_token;
    in_authenticate_ = true;
    Authenticator::Handle h = authn_->authenticate(req, [this, token](AuthResult r) {
      auto a = token.lock();
      if (!a || !*a || !auth_.pending) return;
      auth_.pending = false;
      drop_auth_token();
      on_auth_result(std::move(r));
      if (!in_authenticate_) settle();
    });
    in_authenticate_ = false;
    if (auth_.pending) neg().auth_handle = h;
  }

  void on_auth_result(AuthResult r) {
    store_auth_result(r);
    const bool ok = r.accepted;
    debug(ok ? DebugClass::event : DebugClass::error, [&] {
      return "user " + printable(user_) + (ok ? " authenticated" : " failed authentication") +
             (r.message.empty() ? "" : ": " + printable(r.message));
    });
    switch (auth_.kind) {
      case AuthKind::pap_server: {
        auth_.replied = true;
        send_control(proto::pap, auth_reply(auth_.id));
        break;
      }
      case AuthKind::chap_server: {
        if (ok && mode_ == SessionMode::lac && auth_.alg == kChapMsV2 &&
            r.mschap_auth_response.empty()) {
          // A user the LAC only recognised (its LNS authenticates): a v2 Success without
          // the authenticator response would fail the user's mutual authentication, so
          // none is sent; the LNS renegotiates and authenticates, or continue_locally()
          // sends it.
          auth_.reply_held = true;
          break;
        }
        auth_.replied = true;
        send_control(proto::chap, auth_reply(auth_.id));
        break;
      }
      default:
        break;
    }
    if (!ok && auth_.alg != kChapMd5 && auth_.kind != AuthKind::proxy)
      log_warning(DebugModule::ppp, std::string(tag_.view()) + ": " +
                                        std::string(to_string(auth_chap::protocol(auth_.alg))) +
                                        " authentication failed for user " + printable(user_));
    if (ok) {
      auth_ok();
    } else {
      auth_.done = true;  // duplicates get the same Nak/Failure while we terminate
      request_close(DownReason::auth_failed, auth_.kind == AuthKind::proxy
                                                 ? "proxy authentication rejected"
                                                 : "authentication rejected");
    }
  }

  // A PAP or CHAP packet while LCP is Opened: to the protocol's file.
  bool on_auth_packet(std::uint16_t protocol, ByteView payload) {
    const char* name = protocol == proto::pap ? "PAP" : "CHAP";
    auto c = decode_control(payload);
    if (!c) return drop_malformed(name, c.error());
    Port port(*this);
    return protocol == proto::pap ? auth_pap::receive(port, *c)
                                  : auth_chap::receive(port, *c, mode_ == SessionMode::client);
  }

  // What the protocols in pap.cpp, chap.cpp and mschap.cpp see of the session: made on the
  // stack for each call, so a session carries no pointer for it.
  struct Port final : AuthPort {
    Impl& s;
    explicit Port(Impl& session) : s(session) {}
    AuthState& auth() override { return s.auth_; }
    AuthScratch& scratch() override { return s.neg().auth; }
    const AuthScratch* scratch_if_any() const override { return s.neg_ ? &s.neg_->auth : nullptr; }
    void send(std::uint16_t protocol, ByteView packet) override {
      s.send_control(protocol, packet);
    }
    bool drop_malformed(const char* what, const DecodeError& e) override {
      return s.drop_malformed(what, e);
    }
    void claim(const std::string& user) override { s.user_ = user; }
    void verify(const AuthRequest& request) override { s.ask_authenticator(request); }
    void resend_reply(std::uint8_t id) override {
      s.send_control(s.auth_.kind == AuthKind::pap_server ? proto::pap : proto::chap,
                     s.auth_reply(id));
    }
    ProxyData* proxy_out() override { return s.proxy_out_.get(); }
    void accepted() override {
      s.user_ = s.client_user();
      s.auth_ok();
    }
    void keep_keys(const MppeKeys& keys) override {
      AuthResult r;
      r.accepted = true;
      r.mppe_keys = keys;
      s.store_auth_result(r);
    }
    void fail(DownReason reason, std::string why) override {
      s.request_close(reason, std::move(why));
    }
    void retry_later() override { s.arm_timer(TimerUse::auth_retry, s.timer_cfg_.restart); }
    void wait_for_peer() override { s.arm_auth_timeout(); }
    void stop_waiting() override { s.cancel_timer(kAuthSlot); }
    unsigned max_tries() const override { return s.timer_cfg_.max_configure; }
    void random(std::span<std::uint8_t> out) override { s.random_bytes(out); }
    std::string challenge_name() const override { return s.chap_name(); }
    const std::string& client_user() const override { return s.client_user(); }
    const std::string& client_password() const override { return s.client_password(); }
  };

  bool drop_malformed(const char* what, const DecodeError& e) {
    ++counters_.drop_malformed;
    debug(DebugClass::error,
          [&] { return std::string("dropped malformed ") + what + ": " + to_string(e); });
    return false;
  }

  // ---- IPCP ---------------------------------------------------------------------------

  void start_network() {
    set_phase(Phase::network);
    if (mode_ != SessionMode::client) {
      if (!peer_addr_) {
        std::optional<Ipv4> a = addrs_ ? addrs_->acquire(user_, auth_result()) : std::nullopt;
        if (!a) {
          request_close(DownReason::ipcp_failed, "no address for the peer");
          return;
        }
        peer_addr_ = a;
        addr_acquired_ = true;
      }
      if (ipcp_policy_) ipcp_policy_->set_peer_address(*peer_addr_);  // else built with it
    }
    ipcp_.open();
    ipcp_.up();
    if (neg_ && !neg_->pending_ipcp.empty()) {
      Bytes p = std::move(neg_->pending_ipcp);
      neg_->pending_ipcp.clear();
      ipcp_.receive(p);
    }
  }

  void on_ipcp_up() {
    SessionUpInfo info;
    // Called from the automaton's This-Layer-Up: the IPCP policy exists (compact() runs
    // only after the event).
    IpcpPolicy& ipcp = ipcp_policy();
    if (mode_ == SessionMode::client) {
      info.local_address = ipcp.local_address();
      info.peer_address = ipcp.peer_address();
      info.primary_dns = ipcp.learnt_primary_dns();
      info.secondary_dns = ipcp.learnt_secondary_dns();
      info.auth = lcp_peer().auth;
      if (info.local_address.is_zero()) {
        request_close(DownReason::ipcp_failed, "server gave us no address");
        return;
      }
      peer_addr_ = info.peer_address;
    } else {
      if (!ipcp.peer_sent_address()) {
        request_close(DownReason::ipcp_failed, "peer refused to take an address");
        return;
      }
      info.local_address = local_address_;
      info.peer_address = *peer_addr_;
      info.primary_dns = dns_primary_;
      info.secondary_dns = dns_secondary_;
      info.auth = proxied_lcp_ ? proxied_auth_ : lcp_ours().auth;
    }
    info.user = user_;
    info.auth_result = auth_result();
    info.peer_mru = lcp_peer().mru;
    set_phase(Phase::running);
    debug(DebugClass::event, [&] {
      return "IPCP up: user " + printable(info.user) + " local " + info.local_address.to_string() +
             " peer " + info.peer_address.to_string();
    });
    if (mode_ != SessionMode::client && info.auth_result.session_timeout &&
        info.auth_result.session_timeout->count() > 0) {
      arm_timer(TimerUse::session, *info.auth_result.session_timeout);
    }
    notice([this, info] { listener_.on_up(info); });
  }

  void on_ipcp_down() {
    if (phase_ == Phase::running) set_phase(Phase::network);
  }

  void on_ipcp_finished() {
    if (lcp_.state() == Fsm::State::opened && !closing_)
      request_close(DownReason::ipcp_failed, "IPCP did not converge");
  }

  // ---- state (ordered for the constructor, then by size to pack) ----------------------

  PppLowerLayer& lower_;
  PppListener& listener_;
  TimerService& timers_;
  Authenticator* authn_;
  AddressProvider* addrs_;
  FsmTimers timer_cfg_;  // both automata refer to it
  Fsm lcp_;
  Fsm ipcp_;
  std::array<TimerService::Id, 3> timer_ids_{};  // kEchoSlot, kAuthSlot, kSessionSlot
  ShortText tag_;                                // debug lines
  Duration echo_interval_;
  Duration auth_timeout_;
  unsigned echo_max_missed_;
  Ipv4 local_address_;
  std::optional<Ipv4> dns_primary_, dns_secondary_;
  std::uint16_t mru_;
  SessionMode mode_;
  bool request_pfc_, request_acfc_, request_dns_, mandatory_lcp_, mandatory_chap_;
  std::unique_ptr<Extra> extra_;
  std::unique_ptr<ProxyData> proxy_;  // LNS: what the LAC sent, until start() used it

  SessionCounters counters_;
  std::unique_ptr<LcpPolicy> lcp_policy_;    // null while LCP is Opened (lcp_saved_)
  std::unique_ptr<IpcpPolicy> ipcp_policy_;  // null until IPCP runs and while Opened
  LcpPolicy::Saved lcp_saved_;
  IpcpPolicy::Saved ipcp_saved_;
  unsigned echo_missed_ = 0;
  bool* destroyed_ = nullptr;  // see settle()
  Phase phase_ = Phase::dead;
  bool proxied_lcp_ = false;
  bool renegotiate_ = false;
  AuthProtocol proxied_auth_ = AuthProtocol::none;  // reported in on_up while proxied_lcp_

  AuthState auth_;  // reply_held: see on_auth_result
  bool in_authenticate_ = false;
  bool auth_accepted_ = false;
  std::string user_;
  std::string auth_message_;
  std::unique_ptr<AuthResult> auth_attrs_;  // accepted/message unused (store_auth_result)
  std::unique_ptr<Negotiation> neg_;        // authentication and IPCP start-up scratch
  std::unique_ptr<ProxyData> proxy_out_;    // LAC only

  std::optional<Ipv4> peer_addr_;
  bool addr_acquired_ = false;
  bool down_reported_ = false;
  bool closing_ = false;
  bool peer_terminate_seen_ = false;
  AuthMethods auth_methods_;  // here: fills the padding before the next pointer

  std::unique_ptr<Teardown> down_;
  std::unique_ptr<std::vector<std::function<void()>>> notices_;  // only while some are due
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
void PppSession::prefetch() const {
  impl_->prefetch();
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
bool PppSession::set_session_timeout(std::optional<Duration> remaining) {
  return impl_->set_session_timeout(remaining);
}
Phase PppSession::phase() const {
  return impl_->phase_;
}
const SessionCounters& PppSession::counters() const {
  return impl_->counters_;
}
std::string_view PppSession::lcp_state() const {
  return to_string(impl_->lcp_.state());
}
std::string_view PppSession::ipcp_state() const {
  return to_string(impl_->ipcp_.state());
}
const std::string& PppSession::user() const {
  return impl_->user_;
}
std::optional<Ipv4> PppSession::peer_address() const {
  return impl_->peer_addr_;
}
std::uint16_t PppSession::peer_mru() const {
  return impl_->lcp_peer().mru;
}

}  // namespace vpdnd::ppp
