// The engine: tables, receive dispatch, tunnel FSM (RFC 2661 §7.2), session FSMs (§7.4.1
// LAC incoming, §7.4.2 LNS incoming), LAC call placement with fail-over, status.
//
// Lifetime: a tunnel that goes away is moved from the table into graveyard_ (its timers
// cancelled, its transport shut down) and destroyed at the next safe point (next datagram,
// next public call or a zero-delay timer), because the removal is often decided from inside
// one of its own callbacks.
#include "vpdn/engine.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "common/log.hpp"
#include "common/packed_strings.hpp"
#include "common/printable.hpp"
#include "vpdn/engine/internal.hpp"

namespace vpdnd::vpdn {

using detail::ReliableTransport;
using detail::TransportConfig;
using detail::TransportSink;

namespace {

constexpr DebugModule kL2tp = DebugModule::l2tp;

// Message counters index: message type value 0..16, 17 = ZLB, 18 = unknown.
constexpr std::size_t kZlbIndex = 17;
constexpr std::size_t kUnknownIndex = 18;
constexpr std::size_t kMessageSlots = 19;

std::size_t message_index(std::uint16_t type) {
  return type <= 16 ? type : kUnknownIndex;
}
std::string message_slot_name(std::size_t i) {
  if (i == kZlbIndex) return "ZLB";
  if (i == kUnknownIndex) return "Unknown";
  if (!is_known_message_type(static_cast<std::uint16_t>(i))) return "Unknown";
  return std::string(message_name(static_cast<MessageType>(i)));
}

std::string mtype_name(MessageType t) {
  return std::string(message_name(t));
}

std::uint64_t peer_key(const Endpoint& e, std::uint16_t remote_id) {
  return std::uint64_t(e.address.value) << 32 | std::uint64_t(e.port) << 16 | remote_id;
}
std::uint64_t lac_key(std::uint16_t group, const Endpoint& e) {
  return std::uint64_t(group) << 48 | std::uint64_t(e.port) << 32 | e.address.value;
}

}  // namespace

// ----------------------------------------------------------------------------------------
struct LacContext {
  CallHandle handle = 0;
  LacCallRequest request;
  LacCallbacks callbacks;
  std::size_t address_index = 0;
  // resolved tunnel settings
  std::string host_name;
  std::string secret;
  bool authenticate = false;
  bool hidden = false;
  bool flow_control = false;
  std::uint32_t hello_s = 60;
  // The call's own tunnel lost the tie breaker and it now waits on the peer's tunnel
  // (local id kept for the reasons we report).
  std::uint16_t lost_tie_tunnel = 0;
};

// Per-session memory matters at the LNS (tens of thousands of sessions): the display
// strings share one block, what only a few sessions ever need (WEN errors, data that
// overtook the ICCN) is allocated on demand.
struct Session {
  enum Text : std::size_t { calling_number, called_number, user, interface, auth_method, count };
  explicit Session(TimerService& timers) : setup_timer(timers) {}
  std::string_view get(Text t) const { return text.get(t); }
  std::string str(Text t) const { return text.str(t); }
  void set(Text t, std::string_view v) { text.set(t, v); }
  std::uint16_t local_id = 0;
  std::uint16_t remote_id = 0;
  SessionState state = SessionState::idle;
  bool is_lac = false;
  bool sequencing = false;
  // The interface name when it is the LNS's usual one, so tens of thousands of sessions do
  // not each store "Virtual-Template1:12345": text holds it only when `stored`.
  enum class Interface : std::uint8_t { stored, vt, vt_session };
  Interface interface_form = Interface::stored;
  std::uint16_t data_ns = 0;        // next Ns we put on data (sequencing on)
  std::uint16_t data_expected = 0;  // next Ns we expect on data
  std::uint32_t call_serial = 0;
  std::uint32_t bearer_type = 0;
  PackedStrings<Text::count> text;
  std::optional<Ipv4> address;
  std::array<std::uint8_t, 6> data_header{};  // T=0 L=0 S=0 ver 2, tid, sid: prebuilt
  std::unique_ptr<LacContext> lac;
  std::unique_ptr<CallErrors> call_errors;  // the last WEN's, once one came
  TimePoint established_at{};
  std::uint64_t packets_in = 0, packets_out = 0, bytes_in = 0, bytes_out = 0;
  TimerSlot setup_timer;  // ICRQ sent (LAC) / ICRP sent (LNS) until ICRP / ICCN
  // LNS, ICRP sent: data that overtook the ICCN (RFC 2661 lets the LAC send data once it
  // has sent ICCN, and the ICCN may still sit behind the LAC's send window). Replayed in
  // order when the ICCN is accepted, so the user's first LCP/IPCP frame is not lost.
  struct EarlyData {
    std::optional<std::uint16_t> ns;
    Bytes payload;
  };
  std::unique_ptr<std::vector<EarlyData>> early_data;  // while any is held
};

// Frames held per session between ICRP and ICCN; a well-behaved LAC sends one or two.
constexpr std::size_t kMaxEarlyData = 8;

struct Tunnel : TransportSink {
  Tunnel(L2tpEngine::Impl& e, TimerService& timers, const TransportConfig& tc)
      : engine(e),
        transport(timers, *this, tc),
        hello_timer(timers),
        hold_timer(timers),
        setup_timer(timers),
        idle_timer(timers) {}
  void transmit(const Bytes& packet, bool retransmission) override;
  void deliver(Bytes packet) override;
  void failed() override;

  L2tpEngine::Impl& engine;
  std::uint16_t local_id = 0;
  std::uint16_t remote_id = 0;
  Endpoint peer;
  bool port_learnt = false;              // LAC: the LNS may answer from another port (§8.1)
  bool originator = false;               // we sent the SCCRQ (LAC role)
  std::optional<std::uint64_t> lac_key;  // our entry in by_lac_ (LAC tunnels)
  std::uint16_t group = 0;
  std::uint16_t virtual_template = 0;
  std::uint16_t lns_group = 0;  // our tunnel taking the peer's calls: the LNS group allowing it
  TunnelState state = TunnelState::idle;
  bool dead = false;     // removed, waiting in the graveyard
  bool closing = false;  // being torn down: no new calls attach to it
  std::string local_name, remote_name;
  std::string secret;
  bool authenticate = false;
  bool authenticated = false;
  // LAC: the peer sent something other than SCCRP/StopCCN (ICRP, Hello, CDN, ...), so it
  // accepted our SCCCN. A StopCCN before that refuses the tunnel itself: its unanswered
  // calls try the next LNS address (Comware), even those whose ICRQ already went out.
  bool peer_confirmed = false;
  // LNS: opened by the peer and not established yet; counts against the setup caps and
  // goes at EngineOptions::tunnel_setup_timeout.
  bool in_setup = false;
  // The peer has shown it receives what we send (LAC: we chose the address; LNS: it
  // acknowledged our SCCRP on the tunnel id only the SCCRP carried). Until then the
  // transport is passive and every byte we send it is charged to its source budget.
  bool peer_proven = true;
  bool hidden = false;
  bool flow_control = false;
  std::uint32_t hello_s = 60;
  std::optional<Bytes> our_challenge;
  std::optional<std::uint64_t> tie_breaker;
  std::uint16_t peer_window = 4;
  std::uint64_t control_in = 0, control_out = 0;
  std::uint64_t data_packets_in = 0, data_packets_out = 0, data_bytes_in = 0, data_bytes_out = 0;
  TimePoint created{};
  TimePoint established_at{};
  ReliableTransport transport;
  TimerSlot hello_timer;
  TimerSlot hold_timer;
  TimerSlot setup_timer;
  TimerSlot idle_timer;      // established with no session: cleared when it fires
  std::uint32_t idle_s = 0;  // the `tunnel timer idle` it was last checked against
  std::unordered_map<std::uint16_t, std::unique_ptr<Session>> sessions;
  std::uint32_t next_call_serial = 1;

  HidingContext hiding() const { return HidingContext{secret}; }
};

// ----------------------------------------------------------------------------------------
class L2tpEngine::Impl {
 public:
  Impl(const config::RunningConfig& config, TimerService& timers, RandomSource& random,
       EngineOptions options)
      : config_(config),
        timers_(timers),
        random_(random),
        options_(std::move(options)),
        reap_timer_(timers),
        shutdown_timer_(timers),
        source_sweep_timer_(timers) {
    tc_.receive_window = options_.receive_window;
    tc_.initial_timeout = options_.retransmit_initial;
    tc_.max_timeout = options_.retransmit_max;
    tc_.max_retries = options_.max_retries;
    tc_.ack_delay = options_.ack_delay;
    sid_use_.assign(65536, 0);
    was_enabled_ = config_.l2tp.enabled;
  }
  ~Impl() {
    // Quiet teardown: no callbacks into a handler that may already be gone.
    for (auto& [id, t] : tunnels_) t->transport.shutdown();
  }

  // ---- plumbing ----
  void reap() { graveyard_.clear(); }
  void defer_reap() {
    if (!reap_timer_.armed()) reap_timer_.arm(Duration::zero(), [this] { reap(); });
  }
  void drop(std::string_view reason) {
    auto it = drops_.find(reason);
    if (it == drops_.end())
      drops_.emplace(std::string(reason), 1);
    else
      ++it->second;
  }
  void send_raw(const Endpoint& to, ByteView bytes) {
    if (port_) port_->send_to(to, bytes);
  }
  Endpoint local_endpoint() const { return port_ ? port_->local() : Endpoint{}; }

  Tunnel* tunnel(std::uint16_t id) const {
    auto it = tunnels_.find(id);
    return it == tunnels_.end() ? nullptr : it->second.get();
  }
  Session* session(const SessionRef& r) const {
    Tunnel* t = tunnel(r.tunnel);
    if (!t) return nullptr;
    auto it = t->sessions.find(r.session);
    return it == t->sessions.end() ? nullptr : it->second.get();
  }

  std::uint16_t allocate_tunnel_id() {
    for (int i = 0; i < 64; ++i) {
      std::uint16_t id = random_.u16();
      if (id != 0 && !tunnels_.count(id) && !graveyard_ids_contains(id)) return id;
    }
    std::uint16_t start = random_.u16();
    for (std::uint32_t i = 0; i < 65536; ++i) {
      std::uint16_t id = static_cast<std::uint16_t>(start + i);
      if (id != 0 && !tunnels_.count(id) && !graveyard_ids_contains(id)) return id;
    }
    return 0;
  }
  bool graveyard_ids_contains(std::uint16_t id) const {
    for (auto& g : graveyard_)
      if (g->local_id == id) return true;
    return false;
  }
  std::uint16_t allocate_session_id(const Tunnel& t) {
    // Prefer an id no other tunnel uses so `reset l2tp session id N` names one session.
    for (int i = 0; i < 32; ++i) {
      std::uint16_t id = random_.u16();
      if (id != 0 && sid_use_[id] == 0) return id;
    }
    for (int i = 0; i < 64; ++i) {
      std::uint16_t id = random_.u16();
      if (id != 0 && !t.sessions.count(id)) return id;
    }
    std::uint16_t start = random_.u16();
    for (std::uint32_t i = 0; i < 65536; ++i) {
      std::uint16_t id = static_cast<std::uint16_t>(start + i);
      if (id != 0 && !t.sessions.count(id)) return id;
    }
    return 0;
  }

  // ---- config helpers ----
  const config::L2tpGroup* group(std::uint16_t n) const {
    auto it = config_.l2tp_groups.find(n);
    return it == config_.l2tp_groups.end() ? nullptr : &it->second;
  }
  std::string host_name_for(const config::L2tpGroup* g) const {
    if (g && !g->tunnel_name.empty()) return g->tunnel_name;
    return config_.sysname;
  }
  Duration hello_interval(const Tunnel& t) const {
    if (options_.hello_override) return *options_.hello_override;
    return std::chrono::seconds(t.hello_s);
  }
  bool session_limit_reached(std::uint16_t grp) const {
    if (config_.l2tp.session_limit && session_total_ >= *config_.l2tp.session_limit) return true;
    if (const auto* g = group(grp); g && g->session_limit) {
      auto it = group_sessions_.find(grp);
      std::uint32_t n = it == group_sessions_.end() ? 0 : it->second;
      if (n >= *g->session_limit) return true;
    }
    return false;
  }
  // Tunnels in setup do not count: a peer that has not authenticated must not be able to
  // keep legitimate tunnels out (they have their own caps, EngineOptions).
  std::size_t tunnels_counted() const { return tunnels_.size() - setup_total_; }
  bool tunnel_limit_reached() const {
    return config_.l2tp.tunnel_limit && tunnels_counted() >= *config_.l2tp.tunnel_limit;
  }

  // ---- sources of tunnels in setup ----
  // Per source address: bytes it sent us and bytes we sent it while unproven (the
  // amplification budget), and its tunnels in setup. Kept while it has tunnels in setup
  // and for a while after its last SCCRQ, so a LAC whose first SCCRQ was too small to pay
  // for our SCCRP gets it on its retransmission.
  struct SourceState {
    std::uint64_t bytes_in = 0, bytes_out = 0;
    std::uint32_t in_setup = 0;
    TimePoint last{};
  };
  static constexpr Duration kSourceIdle = std::chrono::seconds(10);
  std::size_t max_sources() const {
    return options_.max_setup_tunnels ? 2 * options_.max_setup_tunnels + 64 : 65536;
  }
  SourceState* source(Ipv4 a) {
    auto it = sources_.find(a.value);
    return it == sources_.end() ? nullptr : &it->second;
  }
  SourceState* source_for_sccrq(Ipv4 a) {
    if (SourceState* s = source(a)) return s;
    if (sources_.size() >= max_sources()) return nullptr;
    if (!source_sweep_timer_.armed()) arm_source_sweep();
    return &sources_[a.value];
  }
  void arm_source_sweep() {
    source_sweep_timer_.arm(kSourceIdle, [this] {
      const TimePoint now = timers_.now();
      std::erase_if(sources_, [now](const auto& kv) {
        return kv.second.in_setup == 0 && now - kv.second.last >= kSourceIdle;
      });
      if (!sources_.empty()) arm_source_sweep();
    });
  }
  // An SCCRQ refused by the caps: counted, and a warning at most every 10 s.
  void setup_refused(std::string_view reason, const Endpoint& from) {
    drop(reason);
    ++sccrq_over_limit_;
    ++setup_refused_unlogged_;
    const TimePoint now = timers_.now();
    if (setup_refused_logged_ != TimePoint{} &&
        now - setup_refused_logged_ < std::chrono::seconds(10))
      return;
    setup_refused_logged_ = now;
    log_warning(kL2tp, "event=sccrq_dropped reason=\"" + std::string(reason) +
                           "\" peer=" + from.to_string() +
                           " dropped=" + std::to_string(setup_refused_unlogged_) +
                           " tunnels_in_setup=" + std::to_string(setup_total_));
    setup_refused_unlogged_ = 0;
  }
  void leave_setup(Tunnel& t) {
    if (!t.in_setup) return;
    t.in_setup = false;
    t.setup_timer.cancel();
    if (setup_total_) --setup_total_;
    if (SourceState* src = source(t.peer.address); src && src->in_setup) --src->in_setup;
  }
  // The peer answered on the tunnel id only our SCCRP carried: it receives us.
  void peer_proven(Tunnel& t) {
    if (t.peer_proven) return;
    t.peer_proven = true;
    t.transport.set_passive(false);
  }
  void on_setup_expired(std::uint16_t tid) {
    Tunnel* t = tunnel(tid);
    if (!t || t->dead || !t->in_setup) return;
    ++setup_expired_;
    debug_lazy(kL2tp, DebugClass::error, [&] {
      return "Tunnel " + std::to_string(tid) + ": not established within " +
             std::to_string(
                 std::chrono::duration_cast<std::chrono::seconds>(options_.tunnel_setup_timeout)
                     .count()) +
             " s, removed";
    });
    SessionEnd end;
    end.stopccn = true;
    end.peer_lost = true;
    end.result = ResultCode{stopccn_result::general_error, general_error::none, "setup timeout"};
    end.reason = "no answer from peer (tunnel not established in time)";
    clear_sessions(*t, end, false);
    if (!t->dead) remove_tunnel(*t);
  }

  // ---- tunnel lifecycle ----
  Tunnel* create_tunnel(const Endpoint& peer, bool originator) {
    std::uint16_t id = allocate_tunnel_id();
    if (id == 0) return nullptr;
    auto t = std::make_unique<Tunnel>(*this, timers_, tc_);
    t->local_id = id;
    t->peer = peer;
    t->originator = originator;
    t->created = timers_.now();
    Tunnel* raw = t.get();
    tunnels_.emplace(id, std::move(t));
    ++tunnels_total_;
    if (!originator) {
      raw->in_setup = true;
      raw->peer_proven = false;
      raw->transport.set_passive(true);
      ++setup_total_;
      if (SourceState* src = source(peer.address)) ++src->in_setup;
      raw->setup_timer.arm(options_.tunnel_setup_timeout, [this, id] { on_setup_expired(id); });
    }
    return raw;
  }

  void set_tunnel_state(Tunnel& t, TunnelState next, std::string_view processed) {
    TunnelState prev = t.state;
    t.state = next;
    if (next == TunnelState::established && prev != TunnelState::established) {
      leave_setup(t);
      t.established_at = timers_.now();
      ++tunnels_up_;
      arm_hello(t);
      check_idle(t);
    }
    if (prev == TunnelState::established && next != TunnelState::established) {
      --tunnels_up_;
      t.idle_timer.cancel();
    }
    if (!processed.empty()) {
      debug_lazy(kL2tp, DebugClass::event, [&] {
        return "TunnelID=" + std::to_string(t.local_id) + ": Processed " + std::string(processed) +
               " in " + std::string(display_name(prev)) + " state, tunnel state now " +
               std::string(display_name(next)) + ".";
      });
    }
  }

  void arm_hello(Tunnel& t) {
    if (t.state != TunnelState::established) return;
    t.hello_timer.arm(hello_interval(t), [this, tp = &t] {
      if (tp->state != TunnelState::established || tp->dead) return;
      send_control(*tp, ControlMessage::make(MessageType::hello, tp->remote_id));
      arm_hello(*tp);
    });
  }

  // An established tunnel without sessions is cleared after the group's `tunnel timer idle`
  // (as Comware removes a tunnel once its last user is offline); the wait lets a user who
  // redials reuse it. Counted from establishment for a tunnel that never carried a call.
  std::uint32_t idle_seconds(const Tunnel& t) const {
    const auto* g = group(t.group);
    return g ? g->idle_timeout_s : config::L2tpGroup{}.idle_timeout_s;
  }
  void check_idle(Tunnel& t) {
    if (t.dead || t.closing || t.state != TunnelState::established || !t.sessions.empty()) {
      t.idle_timer.cancel();
      return;
    }
    if (t.idle_timer.armed()) return;
    t.idle_s = idle_seconds(t);
    if (t.idle_s == 0) return;
    t.idle_timer.arm(std::chrono::seconds(t.idle_s),
                     [this, id = t.local_id] { on_idle_expired(id); });
  }
  void on_idle_expired(std::uint16_t id) {
    Tunnel* t = tunnel(id);
    if (!t || t->dead || t->closing || t->state != TunnelState::established || !t->sessions.empty())
      return;
    stop_tunnel(*t, ResultCode{stopccn_result::clear, std::nullopt, {}},
                "no session for " + std::to_string(t->idle_s) + " s", false, StopBy::idle);
  }

  // Removes a tunnel from every table; sessions must already be gone.
  void remove_tunnel(Tunnel& t) {
    if (t.dead) return;
    t.dead = true;
    if (t.state == TunnelState::established) --tunnels_up_;
    t.transport.shutdown();
    t.hello_timer.cancel();
    t.hold_timer.cancel();
    t.idle_timer.cancel();
    leave_setup(t);
    for (auto& [sid, s] : t.sessions) forget_session_counts(t, *s);
    t.sessions.clear();
    if (t.remote_id) {
      auto it = by_peer_.find(peer_key(t.peer, t.remote_id));
      if (it != by_peer_.end() && it->second == t.local_id) by_peer_.erase(it);
    }
    if (t.lac_key) {
      auto lk = by_lac_.find(*t.lac_key);
      if (lk != by_lac_.end() && lk->second == t.local_id) by_lac_.erase(lk);
    }
    auto it = tunnels_.find(t.local_id);
    if (it != tunnels_.end()) {
      graveyard_.push_back(std::move(it->second));
      tunnels_.erase(it);
    }
    defer_reap();
    if (shutdown_done_) check_shutdown();
  }

  // Every session of the tunnel goes (notify per the header's rules); LAC calls that never
  // reached the LNS fail over to the next address when `fail_over`. Calls waiting on a
  // tunnel the peer opened (they moved there after a lost tie breaker) fail with a reason
  // saying so: that tunnel is the peer's, not one of our LNS addresses.
  void clear_sessions(Tunnel& t, const SessionEnd& end, bool fail_over) {
    std::vector<std::uint16_t> ids;
    ids.reserve(t.sessions.size());
    for (auto& [sid, s] : t.sessions) ids.push_back(sid);
    for (std::uint16_t sid : ids) {
      auto it = t.sessions.find(sid);
      if (it == t.sessions.end()) continue;
      Session& s = *it->second;
      if (s.is_lac && s.lac && !t.originator && s.state == SessionState::wait_tunnel) {
        SessionEnd e = end;
        const std::uint16_t lost = s.lac->lost_tie_tunnel;
        e.reason = "tie breaker lost to " + t.peer.address.to_string() +
                   (lost ? " (our tunnel " + std::to_string(lost) + ")" : std::string()) +
                   " and the peer's tunnel " + std::to_string(t.local_id) +
                   " ended before it carried the call (" + end.reason + ")";
        end_session(t, sid, e, /*notify=*/true);
        continue;
      }
      const bool unanswered =
          s.state == SessionState::wait_tunnel ||
          (s.state == SessionState::wait_reply && t.originator && !t.peer_confirmed);
      if (fail_over && s.is_lac && s.lac && unanswered) {
        std::unique_ptr<Session> moved = std::move(it->second);
        forget_session_counts(t, *moved);
        t.sessions.erase(it);
        moved->lac->address_index++;
        attach_lac_call(std::move(moved), end);
        continue;
      }
      end_session(t, sid, end, /*notify=*/true);
    }
  }

  // LAC calls still waiting for `t` (our SCCRQ, unanswered), taken out of it.
  std::vector<std::unique_ptr<Session>> take_waiting_calls(Tunnel& t) {
    std::vector<std::unique_ptr<Session>> out;
    for (auto it = t.sessions.begin(); it != t.sessions.end();) {
      if (it->second->is_lac && it->second->lac && it->second->state == SessionState::wait_tunnel) {
        forget_session_counts(t, *it->second);
        out.push_back(std::move(it->second));
        it = t.sessions.erase(it);
      } else {
        ++it;
      }
    }
    // Oldest call first, as they were placed (handles only grow).
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a->lac->handle < b->lac->handle; });
    return out;
  }

  // A call the engine gives up on before it reached any tunnel: on_down with `end`.
  void fail_call(std::unique_ptr<Session> s, const SessionEnd& end) {
    log_warning(kL2tp, "event=call_failed user=\"" + printable(s->str(Session::user)) +
                           "\" reason=\"" + printable(end.reason) + "\"");
    if (s->lac->callbacks.on_down) s->lac->callbacks.on_down(end);
  }

  // Our SCCRQ tunnel `lost_id` lost the tie breaker to the peer's tunnel `t` (its SCCRQ
  // just processed): the calls that waited on ours wait on `t` and go out as ICRQs once it
  // is established, if `t` can carry them; else they fail. `t` goes to the same address
  // (the tie is per peer address) but was accepted by an LNS group (a group is LAC or LNS,
  // never both), so it carries them when it proves the peer with the call's own tunnel
  // password: the same secret, and authentication on if the call's group wants it.
  void adopt_calls(Tunnel* t, std::uint16_t lost_id, std::vector<std::unique_ptr<Session>> calls) {
    for (auto& s : calls) {
      LacContext& c = *s->lac;
      SessionEnd end;
      end.stopccn = true;
      end.result = ResultCode{stopccn_result::channel_exists, std::nullopt, {}};
      const std::string lost = "tie breaker lost (tunnel " + std::to_string(lost_id) + ")";
      if (!t || t->dead || t->closing || t->state == TunnelState::stopping) {
        end.reason = lost + " and the peer's tunnel was refused";
      } else if (t->secret != c.secret || (c.authenticate && !t->authenticate)) {
        end.reason = lost + " and the peer's tunnel (l2tp-group " + std::to_string(t->group) +
                     ") does not use the tunnel password and authentication of the call's (group " +
                     std::to_string(c.request.group) + ")";
      } else if (std::uint16_t id = allocate_session_id(*t); id == 0) {
        end.reason = lost + " and the peer's tunnel has no free session id";
      } else {
        s->local_id = id;
        s->state = SessionState::wait_tunnel;
        s->setup_timer.cancel();
        c.lost_tie_tunnel = lost_id;
        Session& ref = *s;
        by_handle_[c.handle] = SessionRef{t->local_id, id};
        t->sessions.emplace(id, std::move(s));
        count_session(*t, ref);
        // Later calls of the group to this LNS share the tunnel instead of dialling again.
        const std::uint64_t key =
            lac_key(c.request.group, Endpoint{t->peer.address, c.request.lns_port});
        if (!t->lac_key && !by_lac_.count(key)) {
          t->lac_key = key;
          by_lac_[key] = t->local_id;
        }
        debug_lazy(kL2tp, DebugClass::event, [&] {
          return "SessionID=" + std::to_string(id) + " (TunnelID=" + std::to_string(t->local_id) +
                 "): call moved from tunnel " + std::to_string(lost_id) + " (tie breaker lost).";
        });
        if (t->state == TunnelState::established) send_icrq(*t, ref);
        continue;
      }
      fail_call(std::move(s), end);
    }
  }

  // We tear the tunnel down: StopCCN, sessions reported down, hold-down state. An operator's
  // request (reset, undo l2tp enable, a removed group) is an event, not an error, as on Comware.
  // An idle tunnel's clearing is an event as well.
  enum class StopBy : std::uint8_t { failure, operator_request, idle };
  void stop_tunnel(Tunnel& t, ResultCode rc, const std::string& why, bool fail_over = false,
                   StopBy by = StopBy::failure) {
    if (t.dead || t.state == TunnelState::stopping) return;
    t.closing = true;
    const DebugClass cls = by == StopBy::failure ? DebugClass::error : DebugClass::event;
    debug_lazy(kL2tp, cls, [&] {
      return "Tunnel " + std::to_string(t.local_id) + ": " + printable(why) +
             ", sending StopCCN (result " + std::to_string(rc.result) + ")";
    });
    log_info(kL2tp, "event=stopccn_sent tunnel_id=" + std::to_string(t.local_id) +
                        " peer=" + t.peer.to_string() + " result=" + std::to_string(rc.result) +
                        " reason=\"" + printable(why) + "\"");
    SessionEnd end;
    end.stopccn = true;
    end.result = rc;
    end.reason = why;
    if (fail_over) mark_lns_down(t, why);
    clear_sessions(t, end, fail_over);
    if (t.dead) return;
    if (t.remote_id == 0) {
      // Our SCCRQ is unanswered: the peer has no tunnel to address a StopCCN to.
      remove_tunnel(t);
      return;
    }
    auto msg = ControlMessage::make(MessageType::stopccn, t.remote_id);
    msg.add_u16(AvpType::assigned_tunnel_id, t.local_id).add_result_code(rc);
    send_control(t, std::move(msg));
    if (!t.peer_proven) {
      // One StopCCN, no hold-down: the peer has not shown it receives us (the source may
      // be spoofed). A real LAC that lost it retransmits its SCCRQ and is refused again.
      remove_tunnel(t);
      return;
    }
    set_tunnel_state(t, TunnelState::stopping, "");
    t.hello_timer.cancel();
    t.hold_timer.arm(options_.stopccn_hold, [this, tp = &t] { remove_tunnel(*tp); });
  }

  // Our tunnel to an LNS failed before the LNS took it: later calls try the other
  // addresses first for the hold time instead of each waiting out the same failure.
  void mark_lns_down(const Tunnel& t, const std::string& why) {
    if (!t.originator || !t.lac_key || options_.lns_down_hold <= Duration::zero()) return;
    lns_down_[t.peer.address] = timers_.now() + options_.lns_down_hold;
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(options_.lns_down_hold);
    log_warning(kL2tp, "LNS " + t.peer.address.to_string() + " marked down for " +
                           std::to_string(secs.count()) + " s: " + printable(why));
  }

  // The LNS answered beyond SCCRP on a tunnel we opened: it is working again.
  void mark_lns_up(const Tunnel& t) {
    if (!t.originator || lns_down_.erase(t.peer.address) == 0) return;
    log_info(kL2tp, "LNS " + t.peer.address.to_string() + " answers again, no longer marked down");
  }

  // A new call's address order: the LNS not marked down first, then the down ones, each in
  // configured order (so all down = configured order). Expired marks are dropped here.
  void order_by_lns_state(std::vector<Ipv4>& lns) {
    if (lns_down_.empty()) return;
    const TimePoint now = timers_.now();
    std::erase_if(lns_down_, [now](const auto& kv) { return kv.second <= now; });
    std::stable_partition(lns.begin(), lns.end(),
                          [this](const Ipv4& a) { return lns_down_.count(a) == 0; });
  }

  void on_tunnel_failed(Tunnel& t) {
    if (t.dead) return;
    t.closing = true;
    if (t.state == TunnelState::stopping) {
      remove_tunnel(t);
      return;
    }
    const std::string why = t.state == TunnelState::established
                                ? "peer not responding (Hello/retransmissions exhausted)"
                                : "no answer from peer";
    debug_lazy(kL2tp, DebugClass::error, [&] {
      return "Tunnel " + std::to_string(t.local_id) + ": " + why + ", tunnel down";
    });
    log_warning(kL2tp, "event=tunnel_lost tunnel_id=" + std::to_string(t.local_id) +
                           " peer=" + t.peer.to_string() + " reason=\"" + why + "\"");
    SessionEnd end;
    end.stopccn = true;
    end.peer_lost = true;
    end.result = ResultCode{stopccn_result::general_error, general_error::none, why};
    end.reason = why;
    // An LNS that answered SCCRP and then went silent never took a call either.
    const bool fail_over =
        t.state != TunnelState::established || (t.originator && !t.peer_confirmed);
    if (fail_over) mark_lns_down(t, why);
    clear_sessions(t, end, fail_over);
    remove_tunnel(t);
  }

  // ---- sending ----
  void send_control(Tunnel& t, ControlMessage msg) {
    if (t.dead) return;
    msg.tunnel_id = t.remote_id;
    HidingContext h = t.hiding();
    auto bytes = encode_control(msg, t.secret.empty() ? nullptr : &h, random_);
    if (!bytes) {
      drop("encode failed");
      debug_lazy(kL2tp, DebugClass::error, [&] {
        return "Tunnel " + std::to_string(t.local_id) + ": cannot encode " + mtype_name(msg.type) +
               " (AVP " + std::to_string(bytes.error().avp_type) + ")";
      });
      return;
    }
    if (debug_on(kL2tp, DebugClass::hidden)) {
      for (const auto& a : msg.avps)
        if (a.hidden)
          LogBus::instance().debug(kL2tp, DebugClass::hidden,
                                   "Tunnel " + std::to_string(t.local_id) + " hiding AVP " +
                                       std::string(avp_name(a.type)) + " in " +
                                       mtype_name(msg.type) +
                                       " (len=" + std::to_string(a.value.size()) + ")");
    }
    ++messages_out_[message_index(static_cast<std::uint16_t>(msg.type))];
    t.transport.send(std::move(*bytes));
  }

  void transmit(Tunnel& t, const Bytes& packet, bool retransmission) {
    if (!t.peer_proven) {
      SourceState* src = source(t.peer.address);
      const std::uint64_t budget = src ? src->bytes_in * options_.unconfirmed_byte_ratio : 0;
      if (!src || src->bytes_out + packet.size() > budget) {
        drop("reply to unconfirmed peer over byte budget");
        return;
      }
      src->bytes_out += packet.size();
      unconfirmed_out_ += packet.size();
    }
    ++t.control_out;
    if (packet.size() == kControlHeaderSize) ++messages_out_[kZlbIndex];
    if (retransmission) ++retransmits_;
    if (debug_on(kL2tp, DebugClass::control)) log_control(t, packet, true, retransmission);
    send_raw(t.peer, packet);
  }

  void log_control(const Tunnel& t, ByteView packet, bool sent, bool retransmission) {
    std::string name = "ZLB";
    std::string avps;
    std::uint16_t ns = 0, nr = 0;
    if (packet.size() >= kControlHeaderSize) {
      ns = static_cast<std::uint16_t>(packet[8] << 8 | packet[9]);
      nr = static_cast<std::uint16_t>(packet[10] << 8 | packet[11]);
    }
    if (packet.size() > kControlHeaderSize) {
      HidingContext h = t.hiding();
      auto m = decode_control(packet, t.secret.empty() ? nullptr : &h);
      if (m) {
        name = mtype_name(m->type);
        std::string d = describe(*m);
        // describe() starts with a header line; the AVPs follow one per line.
        auto nl = d.find('\n');
        if (nl != std::string::npos) avps = d.substr(nl);
        while (!avps.empty() && avps.back() == '\n') avps.pop_back();
      } else {
        name = "malformed";
      }
    }
    std::string line = "Tunnel " + std::to_string(t.local_id) +
                       (sent ? (retransmission ? " retransmitted " : " sent ") : " received ") +
                       name + (sent ? " to " + t.peer.to_string() : std::string()) +
                       " (len=" + std::to_string(packet.size()) + " Ns=" + std::to_string(ns) +
                       " Nr=" + std::to_string(nr) + ")" + avps;
    LogBus::instance().debug(kL2tp, DebugClass::control, std::move(line));
  }

  // ---- receiving ----
  void on_datagram(const Endpoint& from, ByteView data) {
    if (admit_ && !admit_(from)) {
      drop("no IPsec SA");
      return;
    }
    // Reap only at the outermost level: a tunnel callback may be on the stack otherwise.
    if (depth_ == 0) reap();
    ++depth_;
    dispatch(from, data);
    --depth_;
  }
  void dispatch(const Endpoint& from, ByteView data) {
    if (!peek_is_control(data)) {
      on_data_message(from, data);
      return;
    }
    auto hdr = decode_header(data);
    if (!hdr) {
      drop(error_name(hdr.error().kind));
      debug_lazy(kL2tp, DebugClass::error, [&] {
        return "Dropped datagram from " + from.to_string() + ": " + describe(hdr.error());
      });
      return;
    }
    const Header& h = *hdr;
    const bool zlb = h.payload_offset >= h.length;
    if (h.tunnel_id == 0) {
      on_tunnel_zero(from, data, h, zlb);
      return;
    }
    Tunnel* t = tunnel(h.tunnel_id);
    if (!t) {
      drop("unknown tunnel");
      debug_lazy(kL2tp, DebugClass::error, [&] {
        return "Dropped control message from " + from.to_string() + " for unknown tunnel " +
               std::to_string(h.tunnel_id);
      });
      return;
    }
    if (from.address != t->peer.address) {
      drop("wrong peer address");
      return;
    }
    if (from.port != t->peer.port) {
      if (t->originator && !t->port_learnt) {
        t->peer.port = from.port;  // the LNS answered from its own port (§8.1)
      } else {
        drop("wrong peer port");
        return;
      }
    }
    if (t->originator) t->port_learnt = true;
    if (!t->peer_proven) {
      if (SourceState* src = source(from.address)) src->bytes_in += data.size();
      unconfirmed_in_ += data.size();
      // Nr acknowledging our SCCRP (Ns 0), on the tunnel id only the SCCRP told it.
      if (h.nr != 0 && !detail::seq_before(t->transport.next_ns(), h.nr)) peer_proven(*t);
    }
    ++t->control_in;
    if (zlb) {
      ++messages_in_[kZlbIndex];
      if (debug_on(kL2tp, DebugClass::control)) log_control(*t, data, false, false);
    }
    arm_hello(*t);  // any traffic from the peer restarts the idle timer
    t->transport.on_receive(h.ns, h.nr, zlb, Bytes(data.begin(), data.end()));
  }

  void on_tunnel_zero(const Endpoint& from, ByteView data, const Header& h, bool zlb) {
    if (zlb) {
      drop("ZLB for tunnel 0");
      return;
    }
    auto m = decode_control(data, nullptr);
    if (!m) {
      drop(error_name(m.error().kind));
      return;
    }
    if (m->type != MessageType::sccrq) {
      drop("non-SCCRQ for tunnel 0");
      return;
    }
    auto assigned = m->u16(AvpType::assigned_tunnel_id);
    if (!assigned || *assigned == 0) {
      drop("SCCRQ without Assigned Tunnel ID");
      return;
    }
    // A retransmitted SCCRQ goes to the tunnel it already created (re-acked there).
    if (auto it = by_peer_.find(peer_key(from, *assigned)); it != by_peer_.end()) {
      if (Tunnel* t = tunnel(it->second)) {
        ++t->control_in;
        if (!t->peer_proven) {
          // Our SCCRP (or its ack) was lost, or the source never receives us: the SCCRP
          // again, paid for by this SCCRQ, is the only retransmission it gets.
          if (SourceState* src = source(from.address)) {
            src->bytes_in += data.size();
            src->last = timers_.now();
          }
          unconfirmed_in_ += data.size();
          t->transport.retransmit_now();
          return;
        }
        t->transport.on_receive(h.ns, h.nr, false, Bytes(data.begin(), data.end()));
        return;
      }
    }
    if (!config_.l2tp.enabled) {
      drop("l2tp disabled");
      return;
    }
    SourceState* src = source_for_sccrq(from.address);
    if (!src) {
      setup_refused("SCCRQ over tunnels-in-setup limit", from);
      return;
    }
    src->bytes_in += data.size();
    src->last = timers_.now();
    unconfirmed_in_ += data.size();
    if (options_.max_setup_tunnels && setup_total_ >= options_.max_setup_tunnels) {
      setup_refused("SCCRQ over tunnels-in-setup limit", from);
      return;
    }
    if (options_.max_setup_tunnels_per_source &&
        src->in_setup >= options_.max_setup_tunnels_per_source) {
      setup_refused("SCCRQ over per-source tunnels-in-setup limit", from);
      return;
    }
    // Tie breaker (§4.4.3, §5.1.1): we also have an SCCRQ outstanding to this peer.
    std::vector<std::unique_ptr<Session>> orphans;
    std::uint16_t lost_id = 0;
    if (auto theirs = m->u64(AvpType::tie_breaker)) {
      for (auto& [id, ours] : tunnels_) {
        if (!ours->originator || ours->state != TunnelState::wait_reply || !ours->tie_breaker ||
            ours->peer.address != from.address)
          continue;
        Tunnel& o = *ours;
        if (*o.tie_breaker < *theirs) {
          drop("tie breaker lost by peer");
          debug_lazy(kL2tp, DebugClass::event, [&] {
            return "TunnelID=" + std::to_string(o.local_id) +
                   ": tie breaker won against SCCRQ from " + from.to_string() + ", ignoring it.";
          });
          return;
        }
        debug_lazy(kL2tp, DebugClass::event, [&] {
          return "TunnelID=" + std::to_string(o.local_id) + ": tie breaker lost to " +
                 from.to_string() + ", discarding our SCCRQ.";
        });
        // The calls waiting on our tunnel are not lost with it: they move to the peer's
        // tunnel (below) or, on an equal tie, to a fresh SCCRQ of ours.
        orphans = take_waiting_calls(o);
        lost_id = o.local_id;
        SessionEnd end;
        end.stopccn = true;
        end.result = ResultCode{stopccn_result::channel_exists, std::nullopt, {}};
        end.reason = "tie breaker lost";
        clear_sessions(o, end, false);
        remove_tunnel(o);
        if (*o.tie_breaker == *theirs) {
          drop("tie breaker equal");
          // Both discard (§4.4.3); we dial again with a new tie breaker.
          for (auto& s : orphans) {
            SessionEnd again = end;
            again.reason = "tie breaker equal";
            attach_lac_call(std::move(s), again);
          }
          return;
        }
        break;
      }
    }
    Tunnel* t = create_tunnel(from, false);
    if (!t) {
      drop("no tunnel id available");
      if (!orphans.empty()) adopt_calls(nullptr, lost_id, std::move(orphans));
      return;
    }
    const std::uint16_t tid = t->local_id;
    t->remote_id = *assigned;
    t->transport.set_peer_tunnel_id(*assigned);
    by_peer_[peer_key(from, *assigned)] = t->local_id;
    ++t->control_in;
    t->transport.on_receive(h.ns, h.nr, false, Bytes(data.begin(), data.end()));
    // The SCCRQ was processed in order just now: the tunnel has its group or was refused.
    if (!orphans.empty()) adopt_calls(tunnel(tid), lost_id, std::move(orphans));
  }

  void on_control(Tunnel& t, Bytes packet) {
    HidingContext hc = t.hiding();
    auto decoded = decode_control(packet, t.secret.empty() ? nullptr : &hc);
    if (!decoded) {
      const DecodeError& err = decoded.error();
      Recommendation rec = recommend(err);
      drop(error_name(err.kind));
      debug_lazy(kL2tp, DebugClass::error, [&] {
        return "Tunnel " + std::to_string(t.local_id) + ": bad control message: " + describe(err);
      });
      if (rec.action == DecodeAction::stop_tunnel) {
        stop_tunnel(t, rec.result, "malformed " + std::string(error_name(err.kind)));
      } else if (rec.action == DecodeAction::close_session) {
        std::uint16_t sid = err.header ? err.header->session_id : 0;
        if (t.sessions.count(sid)) {
          send_cdn(t, sid, rec.result, std::nullopt);
          SessionEnd end;
          end.result = rec.result;
          end.reason = "malformed " + std::string(error_name(err.kind));
          end_session(t, sid, end, true);
        }
      }
      return;
    }
    ControlMessage& m = *decoded;
    ++messages_in_[message_index(static_cast<std::uint16_t>(m.type))];
    if (debug_on(kL2tp, DebugClass::control)) log_control(t, packet, false, false);
    if (debug_on(kL2tp, DebugClass::hidden)) {
      for (const auto& a : m.avps)
        if (a.hidden)
          LogBus::instance().debug(kL2tp, DebugClass::hidden,
                                   "Tunnel " + std::to_string(t.local_id) + " unhid AVP " +
                                       std::string(avp_name(a.type)) + " in " + mtype_name(m.type) +
                                       " (len=" + std::to_string(a.value.size()) + ")");
    }
    if (m.type != MessageType::sccrp && m.type != MessageType::stopccn && !t.peer_confirmed) {
      t.peer_confirmed = true;
      mark_lns_up(t);
    }
    switch (m.type) {
      case MessageType::sccrq:
        on_sccrq(t, m);
        return;
      case MessageType::sccrp:
        on_sccrp(t, m);
        return;
      case MessageType::scccn:
        on_scccn(t, m);
        return;
      case MessageType::stopccn:
        on_stopccn(t, m);
        return;
      case MessageType::hello:
        return;  // acknowledged by the transport
      case MessageType::ocrq:
      case MessageType::ocrp:
      case MessageType::occn:
      case MessageType::icrq:
      case MessageType::icrp:
      case MessageType::iccn:
      case MessageType::cdn:
      case MessageType::wen:
      case MessageType::sli:
        if (t.state != TunnelState::established) {
          drop("call message before tunnel established");
          return;
        }
        on_session_message(t, m);
        return;
    }
    drop("unexpected message type");
  }

  // ---- tunnel FSM (§7.2) ----
  bool check_version(Tunnel& t, const ControlMessage& m) {
    auto v = m.protocol_version();
    if (!v || v->first != 1 || v->second != 0) {
      stop_tunnel(
          t,
          ResultCode{stopccn_result::bad_protocol_version, general_error::none, "version 1.0 only"},
          "unsupported protocol version");
      return false;
    }
    return true;
  }

  // LNS: which group takes a peer (by its Host Name): `allow ... remote NAME` first, then
  // group 1 without `remote` as the default.
  const config::L2tpGroup* lns_group_for(const std::string& peer_name) const {
    for (const auto& [n, g] : config_.l2tp_groups)
      if (g.allow_virtual_template && !g.allow_remote.empty() && g.allow_remote == peer_name)
        return &g;
    if (const auto* g1 = group(1); g1 && g1->allow_virtual_template && g1->allow_remote.empty())
      return g1;
    return nullptr;
  }

  void on_sccrq(Tunnel& t, const ControlMessage& m) {
    if (t.originator || t.state != TunnelState::idle) {
      drop("unexpected SCCRQ");
      return;
    }
    t.remote_name = m.string(AvpType::host_name).value_or("");
    t.peer_window = m.u16(AvpType::receive_window_size).value_or(4);
    t.transport.set_peer_window(t.peer_window);
    if (!check_version(t, m)) return;
    const config::L2tpGroup* g = lns_group_for(t.remote_name);
    if (!g) {
      stop_tunnel(
          t,
          ResultCode{stopccn_result::not_authorized, general_error::none, "no l2tp-group for peer"},
          "no l2tp-group allows peer '" + t.remote_name + "'");
      return;
    }
    t.group = g->number;
    t.virtual_template = *g->allow_virtual_template;
    t.local_name = host_name_for(g);
    t.secret = g->tunnel_password.plain;
    t.authenticate = g->tunnel_authentication && !t.secret.empty();
    t.hidden = g->avp_hidden && !t.secret.empty();
    t.flow_control = g->flow_control;
    t.hello_s = g->hello_interval_s;
    // Tunnels still in setup (this one included) do not count; checked again at SCCCN.
    if (tunnel_limit_reached()) {
      stop_tunnel(t,
                  ResultCode{stopccn_result::general_error, general_error::insufficient_resources,
                             "tunnel limit reached"},
                  "tunnel limit reached");
      return;
    }
    auto reply = ControlMessage::make(MessageType::sccrp, t.remote_id);
    reply.add_protocol_version()
        .add_u32(AvpType::framing_capabilities, kFramingSync | kFramingAsync)
        .add_u32(AvpType::bearer_capabilities, kBearerDigital | kBearerAnalog)
        .add_u16(AvpType::firmware_revision, options_.firmware_revision)
        .add_string(AvpType::host_name, t.local_name)
        .add_string(AvpType::vendor_name, options_.vendor_name)
        .add_u16(AvpType::assigned_tunnel_id, t.local_id)
        .add_u16(AvpType::receive_window_size, options_.receive_window);
    if (auto ch = m.bytes(AvpType::challenge)) {
      auto resp = chap_response(static_cast<std::uint8_t>(MessageType::sccrp), t.secret, *ch);
      reply.add_bytes(AvpType::challenge_response, resp);
    }
    if (t.authenticate) {
      Bytes ch(16);
      random_.fill(ch);
      t.our_challenge = ch;
      reply.add_bytes(AvpType::challenge, ch);
    }
    send_control(t, std::move(reply));
    set_tunnel_state(t, TunnelState::wait_connect, "SCCRQ");
  }

  void on_sccrp(Tunnel& t, const ControlMessage& m) {
    if (!t.originator || t.state != TunnelState::wait_reply) {
      drop("unexpected SCCRP");
      return;
    }
    auto assigned = m.u16(AvpType::assigned_tunnel_id);
    if (!assigned || *assigned == 0) {
      stop_tunnel(
          t,
          ResultCode{stopccn_result::general_error, general_error::bad_value, "Assigned Tunnel ID"},
          "SCCRP without valid Assigned Tunnel ID", true);
      return;
    }
    t.transport.set_max_retries(options_.max_retries);  // the LNS answers
    t.remote_id = *assigned;
    t.transport.set_peer_tunnel_id(t.remote_id);
    by_peer_[peer_key(t.peer, t.remote_id)] = t.local_id;
    t.remote_name = m.string(AvpType::host_name).value_or("");
    t.peer_window = m.u16(AvpType::receive_window_size).value_or(4);
    t.transport.set_peer_window(t.peer_window);
    auto v = m.protocol_version();
    if (!v || v->first != 1 || v->second != 0) {
      stop_tunnel(
          t,
          ResultCode{stopccn_result::bad_protocol_version, general_error::none, "version 1.0 only"},
          "unsupported protocol version", true);
      return;
    }
    if (t.authenticate) {
      auto resp = m.bytes(AvpType::challenge_response);
      auto expected =
          chap_response(static_cast<std::uint8_t>(MessageType::sccrp), t.secret, *t.our_challenge);
      if (!resp || !chap_response_matches(*resp, expected)) {
        stop_tunnel(
            t,
            ResultCode{stopccn_result::not_authorized, general_error::none,
                       "challenge response mismatch"},
            resp ? "challenge response from LNS does not match" : "LNS sent no challenge response",
            true);
        return;
      }
      t.authenticated = true;
    }
    auto reply = ControlMessage::make(MessageType::scccn, t.remote_id);
    if (auto ch = m.bytes(AvpType::challenge)) {
      auto resp = chap_response(static_cast<std::uint8_t>(MessageType::scccn), t.secret, *ch);
      reply.add_bytes(AvpType::challenge_response, resp);
    }
    // After a tie breaker the peer moves its calls onto this tunnel: accept them like on a
    // tunnel it opened, when an LNS group allows the peer with the same tunnel password.
    if (const auto* lg = lns_group_for(t.remote_name);
        lg && lg->tunnel_password.plain == t.secret) {
      t.virtual_template = *lg->allow_virtual_template;
      t.lns_group = lg->number;
    }
    send_control(t, std::move(reply));
    set_tunnel_state(t, TunnelState::established, "SCCRP");
    send_waiting_icrqs(t);
  }

  // Calls waiting for this tunnel go now (oldest first).
  void send_waiting_icrqs(Tunnel& t) {
    std::vector<std::pair<CallHandle, std::uint16_t>> waiting;
    for (auto& [sid, s] : t.sessions)
      if (s->lac && s->state == SessionState::wait_tunnel) waiting.push_back({s->lac->handle, sid});
    std::sort(waiting.begin(), waiting.end());
    for (auto [h, sid] : waiting) {
      auto it = t.sessions.find(sid);
      if (it != t.sessions.end() && it->second->state == SessionState::wait_tunnel)
        send_icrq(t, *it->second);
    }
  }

  void on_scccn(Tunnel& t, const ControlMessage& m) {
    if (t.originator || t.state != TunnelState::wait_connect) {
      drop("unexpected SCCCN");
      return;
    }
    if (t.authenticate) {
      auto resp = m.bytes(AvpType::challenge_response);
      auto expected =
          chap_response(static_cast<std::uint8_t>(MessageType::scccn), t.secret, *t.our_challenge);
      if (!resp || !chap_response_matches(*resp, expected)) {
        stop_tunnel(
            t,
            ResultCode{stopccn_result::not_authorized, general_error::none,
                       "challenge response mismatch"},
            resp ? "challenge response from LAC does not match" : "LAC sent no challenge response");
        return;
      }
      t.authenticated = true;
    }
    if (tunnel_limit_reached()) {
      stop_tunnel(t,
                  ResultCode{stopccn_result::general_error, general_error::insufficient_resources,
                             "tunnel limit reached"},
                  "tunnel limit reached");
      return;
    }
    set_tunnel_state(t, TunnelState::established, "SCCCN");
    log_info(kL2tp, "event=tunnel_up tunnel_id=" + std::to_string(t.local_id) +
                        " peer=" + t.peer.to_string() + " peer_name=\"" + printable(t.remote_name) +
                        "\" role=LNS");
    // LAC calls that moved here after our SCCRQ lost the tie breaker.
    send_waiting_icrqs(t);
  }

  void on_stopccn(Tunnel& t, const ControlMessage& m) {
    if (t.state == TunnelState::stopping) return;  // crossed StopCCNs: ours is in flight
    t.closing = true;
    auto rc = m.result_code().value_or(ResultCode{});
    if (t.remote_id == 0) {
      if (auto a = m.u16(AvpType::assigned_tunnel_id)) {
        t.remote_id = *a;
        t.transport.set_peer_tunnel_id(*a);
      }
    }
    log_info(kL2tp, "event=stopccn_received tunnel_id=" + std::to_string(t.local_id) +
                        " peer=" + t.peer.to_string() + " result=" + std::to_string(rc.result) +
                        (rc.error ? " error=" + std::to_string(*rc.error) : std::string()) +
                        (rc.message.empty() ? std::string()
                                            : " message=\"" + printable(rc.message) + "\""));
    t.transport.flush_ack();
    SessionEnd end;
    end.stopccn = true;
    end.by_peer = true;
    end.result = rc;
    end.reason = "peer sent StopCCN result " + std::to_string(rc.result);
    // A refusal of the tunnel (instead of SCCRP, or in answer to our SCCCN) sends its
    // unanswered calls to the next LNS address; one after the LNS took the tunnel does not.
    const bool fail_over = t.originator && !t.peer_confirmed;
    if (fail_over) mark_lns_down(t, end.reason);
    clear_sessions(t, end, fail_over);
    if (t.dead) return;
    set_tunnel_state(t, TunnelState::stopping, "StopCCN");
    t.hello_timer.cancel();
    // Keep the tunnel for the hold time so a retransmitted StopCCN is acknowledged again.
    t.hold_timer.arm(options_.stopccn_hold, [this, tp = &t] { remove_tunnel(*tp); });
  }

  // ---- sessions (§7.4) ----
  void count_session(Tunnel& t, Session& s) {
    t.idle_timer.cancel();  // a call on an idle tunnel keeps it
    ++session_total_;
    ++group_sessions_[t.group];
    ++sid_use_[s.local_id];
  }
  void forget_session_counts(Tunnel& t, Session& s) {
    if (session_total_) --session_total_;
    auto it = group_sessions_.find(t.group);
    if (it != group_sessions_.end() && it->second) --it->second;
    if (sid_use_[s.local_id]) --sid_use_[s.local_id];
    if (s.state == SessionState::established && sessions_up_) --sessions_up_;
    if (s.lac) by_handle_.erase(s.lac->handle);
  }
  void prebuild_data_header(Tunnel& t, Session& s) {
    s.data_header = {0x00,
                     0x02,
                     static_cast<std::uint8_t>(t.remote_id >> 8),
                     static_cast<std::uint8_t>(t.remote_id),
                     static_cast<std::uint8_t>(s.remote_id >> 8),
                     static_cast<std::uint8_t>(s.remote_id)};
  }
  void set_session_state(Tunnel& t, Session& s, SessionState next, std::string_view processed) {
    SessionState prev = s.state;
    s.state = next;
    if (next == SessionState::wait_reply || next == SessionState::wait_connect) {
      // A peer that acknowledges but never answers must not hold the call (and a place
      // under the session limits) forever.
      s.setup_timer.arm(options_.session_setup_timeout,
                        [this, tid = t.local_id, sid = s.local_id] { on_setup_timeout(tid, sid); });
    } else {
      s.setup_timer.cancel();
    }
    if (next == SessionState::established && prev != SessionState::established) {
      ++sessions_up_;
      s.established_at = timers_.now();
      prebuild_data_header(t, s);
    }
    if (!processed.empty()) {
      debug_lazy(kL2tp, DebugClass::event, [&] {
        return "SessionID=" + std::to_string(s.local_id) +
               " (TunnelID=" + std::to_string(t.local_id) + "): Processed " +
               std::string(processed) + " in " + std::string(display_name(prev)) +
               " state, session state now " + std::string(display_name(next)) + ".";
      });
    }
  }

  void on_setup_timeout(std::uint16_t tid, std::uint16_t sid) {
    Tunnel* t = tunnel(tid);
    if (!t) return;
    auto it = t->sessions.find(sid);
    if (it == t->sessions.end()) return;
    ResultCode rc =
        it->second->is_lac
            ? ResultCode{cdn_result::timeout, general_error::none, "no ICRP in time"}
            : ResultCode{cdn_result::general_error, general_error::none, "no ICCN in time"};
    debug_lazy(kL2tp, DebugClass::error, [&] {
      return "Tunnel " + std::to_string(tid) + ": session " + std::to_string(sid) + " " +
             printable(rc.message) + ", sending CDN (result " + std::to_string(rc.result) + ")";
    });
    send_cdn(*t, sid, rc, std::nullopt);
    SessionEnd end;
    end.result = rc;
    end.reason = rc.message;
    end_session(*t, sid, end, true);
  }

  void send_cdn(Tunnel& t, std::uint16_t local_sid, const ResultCode& rc,
                const std::optional<Q931Cause>& q931) {
    std::uint16_t remote_sid = 0;
    if (auto it = t.sessions.find(local_sid); it != t.sessions.end())
      remote_sid = it->second->remote_id;
    auto msg = ControlMessage::make(MessageType::cdn, t.remote_id, remote_sid);
    msg.add_result_code(rc).add_u16(AvpType::assigned_session_id, local_sid);
    if (q931) msg.add_q931_cause(*q931);
    send_control(t, std::move(msg));
  }

  // Removes a session; notifies the owner when `notify`.
  void end_session(Tunnel& t, std::uint16_t sid, const SessionEnd& end, bool notify) {
    auto it = t.sessions.find(sid);
    if (it == t.sessions.end()) return;
    std::unique_ptr<Session> s = std::move(it->second);
    t.sessions.erase(it);
    const bool was_up = s->state == SessionState::established;
    forget_session_counts(t, *s);
    check_idle(t);
    debug_lazy(kL2tp, DebugClass::event, [&] {
      return "SessionID=" + std::to_string(s->local_id) +
             " (TunnelID=" + std::to_string(t.local_id) + "): session cleared in " +
             std::string(display_name(s->state)) + " state (" + printable(end.reason) + ").";
    });
    if (was_up)
      log_info(kL2tp, "event=session_down tunnel_id=" + std::to_string(t.local_id) +
                          " session_id=" + std::to_string(s->local_id) + " user=\"" +
                          printable(s->str(Session::user)) + "\" reason=\"" +
                          printable(end.reason) + "\"");
    if (!notify) return;
    SessionRef ref{t.local_id, s->local_id};
    if (s->lac) {
      if (s->lac->callbacks.on_down)
        s->lac->callbacks.on_down(end);
      else if (was_up && handler_)
        handler_->on_session_down(ref, end);
    } else if (was_up && handler_) {
      handler_->on_session_down(ref, end);
    }
  }

  void on_session_message(Tunnel& t, const ControlMessage& m) {
    switch (m.type) {
      case MessageType::icrq:
        on_icrq(t, m);
        return;
      case MessageType::ocrq:
        on_ocrq(t, m);
        return;
      default:
        break;
    }
    auto it = t.sessions.find(m.session_id);
    if (it == t.sessions.end() && m.session_id == 0 && m.type == MessageType::cdn) {
      // A CDN before the peer learnt our id carries only its own Assigned Session ID.
      if (auto peer_sid = m.u16(AvpType::assigned_session_id); peer_sid && *peer_sid) {
        it = std::find_if(t.sessions.begin(), t.sessions.end(),
                          [&](const auto& kv) { return kv.second->remote_id == *peer_sid; });
      }
    }
    if (it == t.sessions.end()) {
      drop("unknown session");
      debug_lazy(kL2tp, DebugClass::error, [&] {
        return "Tunnel " + std::to_string(t.local_id) + ": " + mtype_name(m.type) +
               " for unknown session " + std::to_string(m.session_id);
      });
      return;
    }
    Session& s = *it->second;
    switch (m.type) {
      case MessageType::icrp:
        on_icrp(t, s, m);
        return;
      case MessageType::iccn:
        on_iccn(t, s, m);
        return;
      case MessageType::cdn:
        on_cdn(t, s, m);
        return;
      case MessageType::wen:
        if (auto e = m.call_errors()) s.call_errors = std::make_unique<CallErrors>(*e);
        return;
      case MessageType::sli:
        if (auto a = m.accm(); a && handler_ && s.state == SessionState::established)
          handler_->on_link_info(SessionRef{t.local_id, s.local_id}, *a);
        return;
      case MessageType::ocrp:
      case MessageType::occn:
        drop("outgoing call message");  // we never send OCRQ
        return;
      default:
        drop("unexpected call message");
        return;
    }
  }

  // LAC receiving OCRQ: we do not place outgoing calls -> CDN (§7.4.3), result 5
  // (no facilities, permanent condition).
  void on_ocrq(Tunnel& t, const ControlMessage& m) {
    auto peer_sid = m.u16(AvpType::assigned_session_id).value_or(0);
    auto msg = ControlMessage::make(MessageType::cdn, t.remote_id, peer_sid);
    msg.add_result_code(ResultCode{cdn_result::no_facilities_permanent, general_error::none,
                                   "outgoing calls not supported"})
        .add_u16(AvpType::assigned_session_id, 0);
    send_control(t, std::move(msg));
  }

  void on_icrq(Tunnel& t, const ControlMessage& m) {
    auto peer_sid = m.u16(AvpType::assigned_session_id);
    if (!peer_sid || *peer_sid == 0) {
      drop("ICRQ without Assigned Session ID");
      return;
    }
    // A second ICRQ for the same peer session (the peer gave up and retried): ignore.
    for (auto& [sid, s] : t.sessions)
      if (s->remote_id == *peer_sid && !s->is_lac) {
        drop("duplicate ICRQ");
        return;
      }
    if (t.originator && !t.virtual_template) {
      // An LNS calling into our LAC tunnel; we only terminate calls on LNS-role tunnels.
      refuse_call(t, *peer_sid,
                  ResultCode{cdn_result::no_facilities_permanent, general_error::none,
                             "not an LNS tunnel"});
      return;
    }
    if (session_limit_reached(t.group)) {
      refuse_call(t, *peer_sid,
                  ResultCode{cdn_result::no_facilities_temporary,
                             general_error::insufficient_resources, "session limit reached"});
      return;
    }
    std::uint16_t id = allocate_session_id(t);
    if (id == 0) {
      refuse_call(t, *peer_sid,
                  ResultCode{cdn_result::no_facilities_temporary,
                             general_error::insufficient_resources, "no session id"});
      return;
    }
    auto s = std::make_unique<Session>(timers_);
    s->local_id = id;
    s->remote_id = *peer_sid;
    s->call_serial = m.u32(AvpType::call_serial_number).value_or(0);
    s->text.assign({m.string(AvpType::calling_number).value_or(""),
                    m.string(AvpType::called_number).value_or(""),
                    {},
                    {},
                    {}});
    s->interface_form = Session::Interface::vt;  // "Virtual-Template<vt>"
    Session& ref = *s;
    t.sessions.emplace(id, std::move(s));
    count_session(t, ref);
    ++sessions_total_;
    ref.bearer_type = m.u32(AvpType::bearer_type).value_or(0);
    auto reply = ControlMessage::make(MessageType::icrp, t.remote_id, ref.remote_id);
    reply.add_u16(AvpType::assigned_session_id, id);
    send_control(t, std::move(reply));
    set_session_state(t, ref, SessionState::wait_connect, "ICRQ");
  }

  void refuse_call(Tunnel& t, std::uint16_t peer_sid, const ResultCode& rc) {
    debug_lazy(kL2tp, DebugClass::error, [&] {
      return "Tunnel " + std::to_string(t.local_id) + ": refusing call (" + rc.message +
             "), sending CDN (result " + std::to_string(rc.result) + ")";
    });
    auto msg = ControlMessage::make(MessageType::cdn, t.remote_id, peer_sid);
    msg.add_result_code(rc).add_u16(AvpType::assigned_session_id, 0);
    send_control(t, std::move(msg));
  }

  void on_iccn(Tunnel& t, Session& s, const ControlMessage& m) {
    if (s.is_lac || s.state != SessionState::wait_connect) {
      drop("unexpected ICCN");
      return;
    }
    IncomingSession in;
    in.ref = SessionRef{t.local_id, s.local_id};
    in.group = t.lns_group ? t.lns_group : t.group;
    in.virtual_template = t.virtual_template;
    in.peer_name = t.remote_name;
    in.peer = t.peer;
    in.call_serial = s.call_serial;
    in.calling_number = s.get(Session::calling_number);
    in.called_number = s.get(Session::called_number);
    in.bearer_type = s.bearer_type;
    in.framing_type = m.u32(AvpType::framing_type).value_or(0);
    in.tx_connect_speed = m.u32(AvpType::tx_connect_speed).value_or(0);
    in.rx_connect_speed = m.u32(AvpType::rx_connect_speed).value_or(in.tx_connect_speed);
    in.sequencing_required = m.has(AvpType::sequencing_required) || t.flow_control;
    in.proxy = m.proxy_data();
    s.sequencing = in.sequencing_required;
    if (in.proxy) {
      switch (in.proxy->auth_type) {
        case ppp::ProxyAuthType::chap:
          s.set(Session::auth_method, "proxy CHAP");
          break;
        case ppp::ProxyAuthType::pap:
          s.set(Session::auth_method, "proxy PAP");
          break;
        case ppp::ProxyAuthType::mschap_v1:
          s.set(Session::auth_method, "proxy MS-CHAP");
          break;
        default:
          break;
      }
      if (!in.proxy->auth_name.empty()) s.set(Session::user, in.proxy->auth_name);
    }
    set_session_state(t, s, SessionState::established, "ICCN");
    const std::uint16_t tid = t.local_id, sid = s.local_id;
    bool accepted = handler_ ? handler_->on_incoming_session(in) : true;
    Tunnel* tp = tunnel(tid);
    if (!tp || !tp->sessions.count(sid)) return;  // the handler closed it already
    if (!accepted) {
      ResultCode rc{cdn_result::general_error, general_error::none, "call refused"};
      send_cdn(*tp, sid, rc, std::nullopt);
      SessionEnd end;
      end.result = rc;
      end.reason = "refused by PPP/AAA";
      end_session(*tp, sid, end, false);
      return;
    }
    log_info(kL2tp, "event=session_up tunnel_id=" + std::to_string(tid) + " session_id=" +
                        std::to_string(sid) + " role=LNS peer=" + tp->peer.to_string());
    if (handler_) handler_->on_session_established(in);
    replay_early_data(tid, sid);
  }

  void replay_early_data(std::uint16_t tid, std::uint16_t sid) {
    Tunnel* tp = tunnel(tid);
    if (!tp) return;
    auto it = tp->sessions.find(sid);
    if (it == tp->sessions.end()) return;
    auto held = std::move(it->second->early_data);
    if (!held) return;
    for (auto& d : *held) {
      // The handler may close the session (or tunnel) while taking a frame.
      tp = tunnel(tid);
      if (!tp) return;
      auto sit = tp->sessions.find(sid);
      if (sit == tp->sessions.end() || sit->second->state != SessionState::established) return;
      deliver_data(*tp, *sit->second, d.ns, ByteView(d.payload));
    }
  }

  void on_cdn(Tunnel& t, Session& s, const ControlMessage& m) {
    SessionEnd end;
    end.by_peer = true;
    end.result = m.result_code().value_or(ResultCode{});
    end.q931 = m.q931_cause();
    end.reason =
        "peer sent CDN result " + std::to_string(end.result.result) +
        (end.result.error ? " error " + std::to_string(*end.result.error) : std::string()) +
        (end.result.message.empty() ? std::string() : " (" + end.result.message + ")");
    debug_lazy(kL2tp, DebugClass::event, [&] {
      return "SessionID=" + std::to_string(s.local_id) +
             " (TunnelID=" + std::to_string(t.local_id) + "): Processed CDN in " +
             std::string(display_name(s.state)) + " state, session state now Idle.";
    });
    end_session(t, s.local_id, end, true);
  }

  // ---- LAC ----
  void send_icrq(Tunnel& t, Session& s) {
    const LacContext& c = *s.lac;
    s.call_serial = t.next_call_serial++;
    auto msg = ControlMessage::make(MessageType::icrq, t.remote_id, 0);
    msg.add_u16(AvpType::assigned_session_id, s.local_id)
        .add_u32(AvpType::call_serial_number, s.call_serial);
    if (c.request.bearer_type) msg.add_u32(AvpType::bearer_type, c.request.bearer_type);
    if (!c.request.calling_number.empty())
      msg.add_string(AvpType::calling_number, c.request.calling_number);
    if (!c.request.called_number.empty())
      msg.add_string(AvpType::called_number, c.request.called_number);
    send_control(t, std::move(msg));
    set_session_state(t, s, SessionState::wait_reply, "");
  }

  void on_icrp(Tunnel& t, Session& s, const ControlMessage& m) {
    if (!s.is_lac || s.state != SessionState::wait_reply) {
      drop("unexpected ICRP");
      return;
    }
    auto peer_sid = m.u16(AvpType::assigned_session_id);
    if (!peer_sid || *peer_sid == 0) {
      ResultCode rc{cdn_result::general_error, general_error::bad_value, "Assigned Session ID"};
      send_cdn(t, s.local_id, rc, std::nullopt);
      SessionEnd end;
      end.result = rc;
      end.reason = "ICRP without Assigned Session ID";
      end_session(t, s.local_id, end, true);
      return;
    }
    s.remote_id = *peer_sid;
    const LacContext& c = *s.lac;
    auto msg = ControlMessage::make(MessageType::iccn, t.remote_id, s.remote_id);
    msg.add_u32(AvpType::tx_connect_speed, c.request.tx_connect_speed)
        .add_u32(AvpType::framing_type, c.request.framing_type)
        .add_u32(AvpType::rx_connect_speed, c.request.rx_connect_speed);
    if (c.flow_control) msg.add_empty(AvpType::sequencing_required);
    // The call's group may hide while the tunnel's does not: a call moved onto the peer's
    // tunnel after a tie breaker (same secret, so hiding works there too).
    const bool hide = t.hidden || (c.hidden && !t.secret.empty());
    if (c.request.proxy) msg.add_proxy(*c.request.proxy, hide);
    s.sequencing = c.flow_control;
    send_control(t, std::move(msg));
    set_session_state(t, s, SessionState::established, "ICRP");
    log_info(kL2tp, "event=session_up tunnel_id=" + std::to_string(t.local_id) +
                        " session_id=" + std::to_string(s.local_id) + " role=LAC user=\"" +
                        printable(s.str(Session::user)) + "\" lns=" + t.peer.to_string());
    SessionRef ref{t.local_id, s.local_id};
    if (s.lac->callbacks.on_up) s.lac->callbacks.on_up(ref);
  }

  Result<CallHandle, std::string> place_call(LacCallRequest req, LacCallbacks cb) {
    if (!config_.l2tp.enabled) return unexpected(std::string("L2TP is not enabled"));
    auto ctx = std::make_unique<LacContext>();
    const config::L2tpGroup* g = req.group ? group(req.group) : nullptr;
    if (req.group && !g)
      return unexpected("l2tp-group " + std::to_string(req.group) + " does not exist");
    if (req.lns_addresses.empty() && g) req.lns_addresses = g->lns_addresses;
    if (req.lns_addresses.empty()) return unexpected(std::string("no LNS address"));
    order_by_lns_state(req.lns_addresses);
    ctx->host_name = req.host_name.value_or(host_name_for(g));
    ctx->secret = req.secret.value_or(g ? g->tunnel_password.plain : std::string());
    ctx->authenticate =
        req.authenticate.value_or(g ? g->tunnel_authentication : false) && !ctx->secret.empty();
    ctx->hidden = g && g->avp_hidden && !ctx->secret.empty();
    ctx->flow_control = g && g->flow_control;
    ctx->hello_s = g ? g->hello_interval_s : 60;
    if (session_limit_reached(req.group)) return unexpected(std::string("session limit reached"));
    ctx->handle = next_handle_++;
    ctx->request = std::move(req);
    ctx->callbacks = std::move(cb);
    auto s = std::make_unique<Session>(timers_);
    s->is_lac = true;
    std::string_view method;
    if (ctx->request.proxy) {
      if (ctx->request.proxy->auth_type == ppp::ProxyAuthType::chap) method = "CHAP";
      if (ctx->request.proxy->auth_type == ppp::ProxyAuthType::pap) method = "PAP";
      if (ctx->request.proxy->auth_type == ppp::ProxyAuthType::mschap_v1) method = "MS-CHAP";
    }
    s->text.assign({ctx->request.calling_number, ctx->request.called_number, ctx->request.user,
                    ctx->request.interface, method});
    CallHandle h = ctx->handle;
    s->lac = std::move(ctx);
    ++sessions_total_;
    SessionEnd none;
    none.reason = "no LNS";
    if (!attach_lac_call(std::move(s), none)) {
      // attach reported the failure through on_down already; still a valid (dead) handle.
    }
    return h;
  }

  // Puts a LAC call on the tunnel to its current LNS address (reusing one to the same LNS
  // for the same group), creating the tunnel if needed. When the addresses are exhausted
  // the call fails with `last`. Returns false when the call ended.
  bool attach_lac_call(std::unique_ptr<Session> s, const SessionEnd& last) {
    LacContext& c = *s->lac;
    while (c.address_index < c.request.lns_addresses.size()) {
      Endpoint lns{c.request.lns_addresses[c.address_index], c.request.lns_port};
      Tunnel* t = nullptr;
      if (auto it = by_lac_.find(lac_key(c.request.group, lns)); it != by_lac_.end()) {
        t = tunnel(it->second);
        if (t && (t->dead || t->closing || t->state == TunnelState::stopping)) t = nullptr;
      }
      if (!t) {
        if (tunnel_limit_reached()) break;
        t = create_tunnel(lns, true);
        if (!t) break;
        t->group = c.request.group;
        t->local_name = c.host_name;
        t->secret = c.secret;
        t->authenticate = c.authenticate;
        t->hidden = c.hidden;
        t->flow_control = c.flow_control;
        t->hello_s = c.hello_s;
        t->lac_key = lac_key(c.request.group, lns);
        by_lac_[*t->lac_key] = t->local_id;
        if (c.address_index + 1 < c.request.lns_addresses.size() &&
            options_.failover_sccrq_retries < options_.max_retries)
          t->transport.set_max_retries(options_.failover_sccrq_retries);
        send_sccrq(*t);
      } else if (t->state == TunnelState::wait_reply &&
                 c.address_index + 1 >= c.request.lns_addresses.size()) {
        // This call has nowhere else to go: give the LNS the full retransmission cycle.
        t->transport.set_max_retries(options_.max_retries);
      }
      std::uint16_t id = allocate_session_id(*t);
      if (id == 0) break;
      s->local_id = id;
      s->state = SessionState::wait_tunnel;
      s->setup_timer.cancel();  // an ICRQ may have gone out on the refused tunnel
      Session& ref = *s;
      by_handle_[c.handle] = SessionRef{t->local_id, id};
      t->sessions.emplace(id, std::move(s));
      count_session(*t, ref);
      if (t->state == TunnelState::established) send_icrq(*t, ref);
      return true;
    }
    SessionEnd end = last;
    if (end.reason.empty()) end.reason = "no LNS answered";
    end.reason = "all LNS addresses failed (" + end.reason + ")";
    fail_call(std::move(s), end);
    return false;
  }

  void send_sccrq(Tunnel& t) {
    auto msg = ControlMessage::make(MessageType::sccrq, 0);
    msg.add_protocol_version()
        .add_string(AvpType::host_name, t.local_name)
        .add_u32(AvpType::framing_capabilities, kFramingSync | kFramingAsync)
        .add_u32(AvpType::bearer_capabilities, kBearerDigital | kBearerAnalog)
        .add_u16(AvpType::firmware_revision, options_.firmware_revision)
        .add_string(AvpType::vendor_name, options_.vendor_name)
        .add_u16(AvpType::assigned_tunnel_id, t.local_id)
        .add_u16(AvpType::receive_window_size, options_.receive_window);
    t.tie_breaker = random_.u64();
    msg.add_u64(AvpType::tie_breaker, *t.tie_breaker);
    if (t.authenticate) {
      Bytes ch(16);
      random_.fill(ch);
      t.our_challenge = ch;
      msg.add_bytes(AvpType::challenge, ch);
    }
    send_control(t, std::move(msg));
    set_tunnel_state(t, TunnelState::wait_reply, "");
    log_info(kL2tp, "event=tunnel_dial tunnel_id=" + std::to_string(t.local_id) +
                        " lns=" + t.peer.to_string() + " group=" + std::to_string(t.group));
  }

  void cancel_call(CallHandle h) {
    auto it = by_handle_.find(h);
    if (it == by_handle_.end()) return;
    SessionRef ref = it->second;
    Tunnel* t = tunnel(ref.tunnel);
    if (!t) return;
    auto sit = t->sessions.find(ref.session);
    if (sit == t->sessions.end()) return;
    if (sit->second->state != SessionState::wait_tunnel)
      send_cdn(*t, ref.session, ResultCode{cdn_result::administrative, std::nullopt, {}},
               std::nullopt);
    SessionEnd end;
    end.reason = "cancelled";
    end_session(*t, ref.session, end, false);
  }

  // ---- data ----
  void on_data_message(const Endpoint& from, ByteView data) {
    auto dm = decode_data(data);
    if (!dm) {
      drop(error_name(dm.error().kind));
      return;
    }
    Tunnel* t = tunnel(dm->tunnel_id);
    if (!t) {
      drop("data for unknown tunnel");
      return;
    }
    if (from.address != t->peer.address || from.port != t->peer.port) {
      drop("data from wrong peer");
      return;
    }
    auto it = t->sessions.find(dm->session_id);
    if (it == t->sessions.end()) {
      drop("data for unknown session");
      return;
    }
    Session& s = *it->second;
    if (s.state != SessionState::established) {
      if (!s.is_lac && s.state == SessionState::wait_connect) {
        // Overtook the ICCN: hold it for the ICCN (bounded).
        if (!s.early_data) s.early_data = std::make_unique<std::vector<Session::EarlyData>>();
        if (s.early_data->size() >= kMaxEarlyData) {
          drop("data before ICCN, hold full");
          return;
        }
        s.early_data->push_back({dm->ns, Bytes(dm->payload.begin(), dm->payload.end())});
        return;
      }
      drop("data for session not established");
      return;
    }
    deliver_data(*t, s, dm->ns, dm->payload);
  }

  void deliver_data(Tunnel& t, Session& s, std::optional<std::uint16_t> ns, ByteView payload) {
    if (s.sequencing && ns) {
      if (detail::seq_before(*ns, s.data_expected)) {
        drop("data out of sequence");
        return;
      }
      s.data_expected = static_cast<std::uint16_t>(*ns + 1);
    }
    ++s.packets_in;
    s.bytes_in += payload.size();
    ++t.data_packets_in;
    t.data_bytes_in += payload.size();
    debug_lazy(kL2tp, DebugClass::payload, [&] {
      return "Session " + std::to_string(s.local_id) +
             " received data (len=" + std::to_string(payload.size()) +
             "): " + ppp_frame_hex(payload, 16);
    });
    if (handler_) handler_->on_data(SessionRef{t.local_id, s.local_id}, payload);
  }

  bool send_data(SessionRef ref, ByteView frame) {
    Tunnel* t = tunnel(ref.tunnel);
    if (!t || t->state != TunnelState::established) return false;
    auto it = t->sessions.find(ref.session);
    if (it == t->sessions.end() || it->second->state != SessionState::established) return false;
    Session& s = *it->second;
    ByteView head;
    if (s.sequencing) {
      send_buf_.clear();
      append_data_header(send_buf_, t->remote_id, s.remote_id, DataSequence{s.data_ns++, 0});
      head = ByteView(send_buf_);
    } else {
      head = ByteView(s.data_header.data(), s.data_header.size());
    }
    ++s.packets_out;
    s.bytes_out += frame.size();
    ++t->data_packets_out;
    t->data_bytes_out += frame.size();
    debug_lazy(kL2tp, DebugClass::payload, [&] {
      return "Session " + std::to_string(s.local_id) +
             " sent data (len=" + std::to_string(frame.size()) + "): " + ppp_frame_hex(frame, 16);
    });
    if (port_) port_->send_parts(t->peer, head, frame);
    return true;
  }

  // ---- operator actions ----
  bool close_session(SessionRef ref, std::uint16_t result, std::optional<Q931Cause> q931,
                     std::string message) {
    Tunnel* t = tunnel(ref.tunnel);
    if (!t) return false;
    auto it = t->sessions.find(ref.session);
    if (it == t->sessions.end()) return false;
    ResultCode rc{result, std::nullopt, {}};
    if (!message.empty()) {
      rc.error = general_error::none;
      rc.message = std::move(message);
    }
    if (it->second->state != SessionState::wait_tunnel) send_cdn(*t, ref.session, rc, q931);
    SessionEnd end;
    end.result = rc;
    end.q931 = q931;
    end.reason = "closed locally";
    end_session(*t, ref.session, end, false);
    return true;
  }

  bool close_tunnel(std::uint16_t id, std::uint16_t result) {
    Tunnel* t = tunnel(id);
    if (!t) return false;
    if (t->state == TunnelState::stopping) return true;
    if (t->state == TunnelState::idle) {
      remove_tunnel(*t);
      return true;
    }
    stop_tunnel(*t, ResultCode{result, std::nullopt, {}}, "closed by operator", false,
                StopBy::operator_request);
    return true;
  }

  void stop_all(std::uint16_t result, const std::string& why) {
    std::vector<std::uint16_t> ids;
    for (auto& [id, t] : tunnels_) ids.push_back(id);
    for (auto id : ids)
      if (Tunnel* t = tunnel(id))
        stop_tunnel(*t, ResultCode{result, std::nullopt, {}}, why, false, StopBy::operator_request);
  }

  void shutdown(std::function<void()> done, Duration limit) {
    stop_all(stopccn_result::shutting_down, "shutting down");
    shutdown_done_ = std::move(done);
    shutdown_deadline_ = timers_.now() + limit;
    check_shutdown();
  }
  void check_shutdown() {
    if (!shutdown_done_) return;
    bool all_acked = true;
    for (auto& [id, t] : tunnels_)
      if (!t->transport.idle()) all_acked = false;
    if (all_acked || timers_.now() >= shutdown_deadline_) {
      auto done = std::move(shutdown_done_);
      shutdown_done_ = nullptr;
      shutdown_timer_.cancel();
      done();
      return;
    }
    shutdown_timer_.arm(std::chrono::milliseconds(50), [this] { check_shutdown(); });
  }

  void on_config_change(const config::ConfigChange& change) {
    if (change.section == config::ConfigSection::l2tp_global) {
      if (was_enabled_ && !config_.l2tp.enabled)
        stop_all(stopccn_result::shutting_down, "l2tp disabled");
      was_enabled_ = config_.l2tp.enabled;
      if (udp_ && !options_.port_override && udp_->local().port != config_.l2tp.listen_port) {
        auto st = udp_->open(options_.bind_address, config_.l2tp.listen_port);
        if (!st) log_error(kL2tp, "event=listen_failed error=\"" + st.error() + "\"");
      }
    } else if (change.section == config::ConfigSection::l2tp_group && !change.removed) {
      // `tunnel timer hello` applies to the group's live tunnels at once.
      int n = std::atoi(change.key.c_str());
      if (const auto* g = group(static_cast<std::uint16_t>(n))) {
        for (auto& [id, t] : tunnels_) {
          if (t->group != n) continue;
          // A changed `tunnel timer idle` restarts the wait of the group's idle tunnels.
          if (t->idle_s != g->idle_timeout_s) {
            t->idle_timer.cancel();
            check_idle(*t);
          }
          if (t->hello_s == g->hello_interval_s) continue;
          t->hello_s = g->hello_interval_s;
          arm_hello(*t);
        }
      }
    } else if (change.section == config::ConfigSection::l2tp_group && change.removed) {
      int n = std::atoi(change.key.c_str());
      std::vector<std::uint16_t> ids;
      for (auto& [id, t] : tunnels_)
        if (t->group == n) ids.push_back(id);
      for (auto id : ids)
        if (Tunnel* t = tunnel(id))
          stop_tunnel(*t, ResultCode{stopccn_result::clear, std::nullopt, {}}, "l2tp-group removed",
                      false, StopBy::operator_request);
    }
  }

  // ---- status ----
  TunnelStatus tunnel_status(const Tunnel& t) const {
    TunnelStatus st;
    st.local_id = t.local_id;
    st.remote_id = t.remote_id;
    st.remote_address = t.peer.address;
    st.remote_port = t.peer.port;
    Endpoint local = local_endpoint();
    st.local_address = local.address;
    st.local_port = local.port;
    st.sessions = static_cast<std::uint32_t>(t.sessions.size());
    st.remote_name = t.remote_name;
    st.local_name = t.local_name;
    st.state = t.state;
    st.group = t.group;
    st.is_lac = t.originator;
    st.authenticated = t.authenticated;
    st.ns = t.transport.next_ns();
    st.nr = t.transport.next_nr();
    st.peer_window = t.peer_window;
    st.our_window = options_.receive_window;
    st.hello_interval_s = static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::seconds>(hello_interval(t)).count());
    st.control_in = t.control_in;
    st.control_out = t.control_out;
    st.retransmits = t.transport.counters().retransmits;
    st.data_packets_in = t.data_packets_in;
    st.data_packets_out = t.data_packets_out;
    st.data_bytes_in = t.data_bytes_in;
    st.data_bytes_out = t.data_bytes_out;
    if (t.state == TunnelState::established)
      st.uptime =
          std::chrono::duration_cast<std::chrono::seconds>(timers_.now() - t.established_at);
    return st;
  }
  static std::string interface_of(const Tunnel& t, const Session& s) {
    switch (s.interface_form) {
      case Session::Interface::stored:
        break;
      case Session::Interface::vt:
        return "Virtual-Template" + std::to_string(t.virtual_template);
      case Session::Interface::vt_session:
        return "Virtual-Template" + std::to_string(t.virtual_template) + ":" +
               std::to_string(s.local_id);
    }
    return s.str(Session::interface);
  }
  // What set_session_user stores for `interface`: nothing when it is the usual form.
  static Session::Interface interface_form(const Tunnel& t, const Session& s,
                                           std::string_view interface) {
    const std::string vt = "Virtual-Template" + std::to_string(t.virtual_template);
    if (interface == vt) return Session::Interface::vt;
    if (interface == vt + ":" + std::to_string(s.local_id)) return Session::Interface::vt_session;
    return Session::Interface::stored;
  }

  SessionStatus session_status(const Tunnel& t, const Session& s) const {
    SessionStatus st;
    st.local_id = s.local_id;
    st.remote_id = s.remote_id;
    st.tunnel_local_id = t.local_id;
    st.state = s.state;
    st.interface = interface_of(t, s);
    st.user = s.get(Session::user);
    st.address = s.address;
    st.peer_address = t.peer.address;
    st.call_serial = s.call_serial;
    st.calling_number = s.get(Session::calling_number);
    st.called_number = s.get(Session::called_number);
    st.auth_method = s.get(Session::auth_method);
    st.packets_in = s.packets_in;
    st.packets_out = s.packets_out;
    st.bytes_in = s.bytes_in;
    st.bytes_out = s.bytes_out;
    if (s.state == SessionState::established)
      st.uptime =
          std::chrono::duration_cast<std::chrono::seconds>(timers_.now() - s.established_at);
    return st;
  }
  std::vector<const Tunnel*> sorted_tunnels() const {
    std::vector<const Tunnel*> v;
    v.reserve(tunnels_.size());
    for (auto& [id, t] : tunnels_) v.push_back(t.get());
    std::sort(v.begin(), v.end(), [](auto* a, auto* b) { return a->local_id < b->local_id; });
    return v;
  }
  std::vector<TunnelStatus> snapshot_tunnels() const {
    std::vector<TunnelStatus> out;
    for (auto* t : sorted_tunnels()) out.push_back(tunnel_status(*t));
    return out;
  }
  std::vector<SessionStatus> snapshot_sessions() const {
    std::vector<SessionStatus> out;
    for (auto* t : sorted_tunnels()) {
      std::vector<const Session*> ss;
      for (auto& [id, s] : t->sessions) ss.push_back(s.get());
      std::sort(ss.begin(), ss.end(), [](auto* a, auto* b) { return a->local_id < b->local_id; });
      for (auto* s : ss) out.push_back(session_status(*t, *s));
    }
    return out;
  }
  L2tpStatistics statistics() const {
    L2tpStatistics st;
    for (std::size_t i = 0; i < kMessageSlots; ++i) {
      if (messages_in_[i]) st.messages_in[message_slot_name(i)] += messages_in_[i];
      if (messages_out_[i]) st.messages_out[message_slot_name(i)] += messages_out_[i];
    }
    st.retransmits = retransmits_;
    for (auto& [k, v] : drops_) st.drops[k] = v;
    st.tunnels_up = tunnels_up_;
    st.tunnels_total = tunnels_total_;
    st.sessions_up = sessions_up_;
    st.sessions_total = sessions_total_;
    st.tunnels_in_setup = setup_total_;
    st.setup_limit = options_.max_setup_tunnels;
    st.setup_limit_per_source = options_.max_setup_tunnels_per_source;
    st.setup_timeout_s = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(options_.tunnel_setup_timeout).count());
    st.setup_expired = setup_expired_;
    st.sccrq_over_limit = sccrq_over_limit_;
    st.unconfirmed_bytes_in = unconfirmed_in_;
    st.unconfirmed_bytes_out = unconfirmed_out_;
    return st;
  }

  // `reset l2tp statistics`: the counters go back to zero; gauges (tunnels and sessions up,
  // tunnels in setup) and the per-source budgets stay, they describe what exists now.
  void reset_statistics() {
    messages_in_.fill(0);
    messages_out_.fill(0);
    retransmits_ = 0;
    drops_.clear();
    tunnels_total_ = 0;
    sessions_total_ = 0;
    setup_expired_ = 0;
    sccrq_over_limit_ = 0;
    unconfirmed_in_ = 0;
    unconfirmed_out_ = 0;
  }

  const config::RunningConfig& config_;
  TimerService& timers_;
  RandomSource& random_;
  EngineOptions options_;
  TransportConfig tc_;
  SessionHandler* handler_ = nullptr;
  std::function<bool(const Endpoint&)> admit_;
  DatagramPort* port_ = nullptr;
  std::unique_ptr<detail::UdpPort> udp_;
  bool was_enabled_ = false;
  int depth_ = 0;

  std::unordered_map<std::uint16_t, std::unique_ptr<Tunnel>> tunnels_;
  std::vector<std::unique_ptr<Tunnel>> graveyard_;
  std::unordered_map<std::uint64_t, std::uint16_t> by_peer_;  // (addr, port, remote tid)
  std::unordered_map<std::uint64_t, std::uint16_t> by_lac_;   // (group, LNS endpoint)
  std::unordered_map<CallHandle, SessionRef> by_handle_;
  // LAC: LNS addresses that failed to set up a tunnel, and until when they are tried last.
  std::map<Ipv4, TimePoint> lns_down_;
  std::unordered_map<std::uint16_t, std::uint32_t> group_sessions_;
  std::vector<std::uint16_t> sid_use_;
  std::uint32_t session_total_ = 0;
  CallHandle next_handle_ = 1;
  Bytes send_buf_;

  std::array<std::uint64_t, kMessageSlots> messages_in_{};
  std::array<std::uint64_t, kMessageSlots> messages_out_{};
  std::uint64_t retransmits_ = 0;
  std::map<std::string, std::uint64_t, std::less<>> drops_;
  std::uint64_t tunnels_up_ = 0, tunnels_total_ = 0, sessions_up_ = 0, sessions_total_ = 0;

  std::unordered_map<std::uint32_t, SourceState> sources_;  // by source address
  std::size_t setup_total_ = 0;                             // tunnels in setup
  std::uint64_t setup_expired_ = 0, sccrq_over_limit_ = 0, setup_refused_unlogged_ = 0;
  std::uint64_t unconfirmed_in_ = 0, unconfirmed_out_ = 0;
  TimePoint setup_refused_logged_{};

  TimerSlot reap_timer_;
  TimerSlot shutdown_timer_;
  TimerSlot source_sweep_timer_;
  std::function<void()> shutdown_done_;
  TimePoint shutdown_deadline_{};
};

// ---- Tunnel sink ----
void Tunnel::transmit(const Bytes& packet, bool retransmission) {
  engine.transmit(*this, packet, retransmission);
}
void Tunnel::deliver(Bytes packet) {
  engine.on_control(*this, std::move(packet));
}
void Tunnel::failed() {
  engine.on_tunnel_failed(*this);
}

// ---- facade ----
L2tpEngine::L2tpEngine(const config::RunningConfig& config, TimerService& timers,
                       RandomSource& random, EngineOptions options)
    : impl_(std::make_unique<Impl>(config, timers, random, std::move(options))) {}
L2tpEngine::~L2tpEngine() = default;

void L2tpEngine::set_handler(SessionHandler* handler) {
  impl_->handler_ = handler;
}
void L2tpEngine::set_admission(std::function<bool(const Endpoint&)> admit) {
  impl_->admit_ = std::move(admit);
}
void L2tpEngine::attach(DatagramPort* port) {
  impl_->port_ = port;
}

Status<std::string> L2tpEngine::open_udp(boost::asio::io_context& io) {
  auto* im = impl_.get();
  im->udp_ = std::make_unique<detail::UdpPort>(
      io, [im](const Endpoint& from, ByteView data) { im->on_datagram(from, data); });
  auto st = im->udp_->open(im->options_.bind_address,
                           im->options_.port_override.value_or(im->config_.l2tp.listen_port));
  if (!st) return st;
  im->port_ = im->udp_.get();
  return {};
}
Endpoint L2tpEngine::local_endpoint() const {
  return impl_->local_endpoint();
}

void L2tpEngine::on_datagram(const Endpoint& from, ByteView datagram) {
  impl_->on_datagram(from, datagram);
}
void L2tpEngine::on_config_change(const config::ConfigChange& change) {
  impl_->on_config_change(change);
}
Result<CallHandle, std::string> L2tpEngine::place_call(LacCallRequest request,
                                                       LacCallbacks callbacks) {
  return impl_->place_call(std::move(request), std::move(callbacks));
}
void L2tpEngine::cancel_call(CallHandle handle) {
  impl_->cancel_call(handle);
}
bool L2tpEngine::send_data(SessionRef ref, ByteView frame) {
  return impl_->send_data(ref, frame);
}
bool L2tpEngine::close_session(SessionRef ref, std::uint16_t result, std::optional<Q931Cause> q931,
                               std::string message) {
  return impl_->close_session(ref, result, std::move(q931), std::move(message));
}
bool L2tpEngine::close_tunnel(std::uint16_t id, std::uint16_t result) {
  return impl_->close_tunnel(id, result);
}
void L2tpEngine::set_session_user(SessionRef ref, const std::string& user,
                                  std::optional<Ipv4> address, const std::string& interface,
                                  const std::string& auth_method) {
  Session* s = impl_->session(ref);
  if (!s) return;
  s->address = address;
  // One rebuild of the session's text block for the three.
  const std::string_view u = user.empty() ? s->get(Session::user) : std::string_view(user);
  std::string_view i = s->get(Session::interface);
  if (!interface.empty()) {
    s->interface_form = Impl::interface_form(*impl_->tunnel(ref.tunnel), *s, interface);
    i = s->interface_form == Session::Interface::stored ? std::string_view(interface)
                                                        : std::string_view();
  }
  const std::string_view m =
      auth_method.empty() ? s->get(Session::auth_method) : std::string_view(auth_method);
  PackedStrings<Session::Text::count> text{s->get(Session::calling_number),
                                           s->get(Session::called_number), u, i, m};
  s->text = std::move(text);
}
void L2tpEngine::shutdown(std::function<void()> done, Duration limit) {
  impl_->shutdown(std::move(done), limit);
}
std::vector<TunnelStatus> L2tpEngine::snapshot_tunnels() const {
  return impl_->snapshot_tunnels();
}
std::vector<SessionStatus> L2tpEngine::snapshot_sessions() const {
  return impl_->snapshot_sessions();
}
std::optional<SessionStatus> L2tpEngine::session_status(SessionRef ref) const {
  Tunnel* t = impl_->tunnel(ref.tunnel);
  if (!t) return std::nullopt;
  auto it = t->sessions.find(ref.session);
  if (it == t->sessions.end()) return std::nullopt;
  return impl_->session_status(*t, *it->second);
}
L2tpStatistics L2tpEngine::statistics() const {
  return impl_->statistics();
}
void L2tpEngine::reset_statistics() {
  impl_->reset_statistics();
}

std::string L2tpEngine::reset_tunnel_id(std::uint16_t id) {
  if (!impl_->close_tunnel(id, stopccn_result::clear))
    return "% Tunnel " + std::to_string(id) + " does not exist.";
  return "";
}
std::string L2tpEngine::reset_tunnel_name(const std::string& name) {
  std::vector<std::uint16_t> ids;
  for (auto& [id, t] : impl_->tunnels_)
    if (t->remote_name == name) ids.push_back(id);
  if (ids.empty()) return "% No tunnel to remote " + name + ".";
  for (auto id : ids) impl_->close_tunnel(id, stopccn_result::clear);
  return "";
}
std::string L2tpEngine::reset_session_id(std::uint16_t id) {
  std::vector<SessionRef> refs;
  for (auto& [tid, t] : impl_->tunnels_)
    if (t->sessions.count(id)) refs.push_back(SessionRef{tid, id});
  if (refs.empty()) return "% Session " + std::to_string(id) + " does not exist.";
  for (auto r : refs) impl_->close_session(r, cdn_result::administrative, std::nullopt, {});
  return "";
}
std::size_t L2tpEngine::tunnel_count() const {
  return impl_->tunnels_.size();
}
std::size_t L2tpEngine::session_count() const {
  return impl_->session_total_;
}

}  // namespace vpdnd::vpdn
