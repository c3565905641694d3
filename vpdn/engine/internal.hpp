// DOC: the L2TP control engine's internals (L2tpEngine::Impl and the tunnel and session
// objects it owns), shared by its source files; each file defines one part of Impl:
//   engine.cpp       the public L2tpEngine API, forwarding to Impl
//   tables.cpp       id allocation, the graveyard, session counts
//   config.cpp       what the running config says for a tunnel, live config changes
//   setup_guard.cpp  LNS tunnels in setup: caps, per-source byte budgets, setup timeout
//   receive.cpp      datagrams in: data/control split, tunnel 0 (SCCRQ, tie breaker), decode
//   send.cpp         control messages out: encode, transmit, the control debug line
//   tunnel.cpp       tunnel lifecycle: create, state, Hello, idle, StopCCN, loss, removal
//   tunnel_fsm.cpp   the tunnel {state, message} table (RFC 2661 §7.2) and its handlers
//   session_fsm.cpp  the session {state, message} table (§7.4.1, §7.4.2) and its handlers
//   lac_dial.cpp     LAC calls: placing, dialling an LNS, fail-over, tie-breaker adoption
//   data.cpp         data messages both ways, data held until the ICCN
//   admin.cpp        operator actions: close, reset, `undo l2tp enable`, shutdown
//   display.cpp      `display l2tp ...` snapshots and statistics
// Not for other modules: they include vpdn/engine.hpp only.
//
// Lifetime: a tunnel that goes away is moved from the table into graveyard_ (its timers
// cancelled, its transport shut down) and destroyed at the next safe point (next datagram,
// next public call or a zero-delay timer), because the removal is often decided from inside
// one of its own callbacks.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/id_index.hpp"
#include "common/log.hpp"
#include "common/packed_strings.hpp"
#include "vpdn/engine.hpp"
#include "vpdn/engine/transport.hpp"
#include "vpdn/engine/udp.hpp"

namespace vpdnd::vpdn {

using detail::ReliableTransport;
using detail::TransportConfig;
using detail::TransportSink;

inline constexpr DebugModule kL2tp = DebugModule::l2tp;

// Message counters index: message type value 0..16, 17 = ZLB, 18 = unknown.
inline constexpr std::size_t kZlbIndex = 17;
inline constexpr std::size_t kUnknownIndex = 18;
inline constexpr std::size_t kMessageSlots = 19;

inline std::size_t message_index(std::uint16_t type) {
  return type <= 16 ? type : kUnknownIndex;
}
inline std::string mtype_name(MessageType t) {
  return std::string(message_name(t));
}
inline std::uint64_t peer_key(const Endpoint& e, std::uint16_t remote_id) {
  return std::uint64_t(e.address.value) << 32 | std::uint64_t(e.port) << 16 | remote_id;
}
inline std::uint64_t lac_key(std::uint16_t group, const Endpoint& e) {
  return std::uint64_t(group) << 48 | std::uint64_t(e.port) << 32 | e.address.value;
}

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
  bool data_resync = false;  // take the peer's next Ns as data_expected (packed by the bools)
  // The interface name when it is the LNS's usual one, so tens of thousands of sessions do
  // not each store "Virtual-Template1:12345": text holds it only when `stored`.
  enum class Interface : std::uint8_t { stored, vt, vt_session };
  Interface interface_form = Interface::stored;
  std::uint16_t data_ns = 0;        // next Ns we put on data (sequencing on)
  std::uint16_t data_expected = 0;  // next Ns we expect on data
  std::uint32_t call_serial = 0;
  std::uint32_t bearer_type = 0;
  std::uint32_t handler_tag = 0;  // L2tpEngine::set_session_tag
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

// A tunnel's sessions by local session id. The map owns them (addresses stable across
// inserts and erases, iterators as std::unordered_map's); every change also goes to an
// IdIndex, which the per-packet paths use through get(): one cache miss per lookup.
class SessionTable {
 public:
  using Map = std::unordered_map<std::uint16_t, std::unique_ptr<Session>>;
  using iterator = Map::iterator;
  using const_iterator = Map::const_iterator;
  Session* get(std::uint16_t id) const { return index_.get(id); }
  void prefetch(std::uint16_t id) const { index_.prefetch(id); }
  iterator find(std::uint16_t id) { return map_.find(id); }
  const_iterator find(std::uint16_t id) const { return map_.find(id); }
  std::size_t count(std::uint16_t id) const { return index_.get(id) ? 1 : 0; }
  iterator begin() { return map_.begin(); }
  iterator end() { return map_.end(); }
  const_iterator begin() const { return map_.begin(); }
  const_iterator end() const { return map_.end(); }
  std::size_t size() const { return map_.size(); }
  bool empty() const { return map_.empty(); }
  void emplace(std::uint16_t id, std::unique_ptr<Session> s) {
    Session* raw = s.get();
    if (map_.emplace(id, std::move(s)).second) index_.put(id, raw);
  }
  // The entry may already have been moved out of (its key still names it).
  iterator erase(iterator it) {
    index_.erase(it->first);
    return map_.erase(it);
  }
  void clear() {
    index_.clear();
    map_.clear();
  }

 private:
  Map map_;
  IdIndex<Session> index_;
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
  TimePoint established_at{};
  ReliableTransport transport;
  TimerSlot hello_timer;
  TimerSlot hold_timer;
  TimerSlot setup_timer;
  TimerSlot idle_timer;      // established with no session: cleared when it fires
  std::uint32_t idle_s = 0;  // the `tunnel timer idle` it was last checked against
  SessionTable sessions;
  // The peer's session ids of our LNS sessions, for the duplicate-ICRQ check: made (8 KiB)
  // once the tunnel carries kPeerSidIndexFrom sessions; a smaller tunnel is scanned. A scan
  // per ICRQ made setting up N calls on one tunnel cost N^2 / 2 session visits.
  static constexpr std::size_t kPeerSidIndexFrom = 64;
  std::unique_ptr<std::bitset<65536>> peer_sids;
  std::uint32_t next_call_serial = 1;

  HidingContext hiding() const { return HidingContext{secret}; }
};

class L2tpEngine::Impl {
 public:
  Impl(const config::RunningConfig& config, TimerService& timers, RandomSource& random,
       EngineOptions options);
  ~Impl();

  // ---- tables (tables.cpp) ----
  void reap() { graveyard_.clear(); }
  void send_raw(const Endpoint& to, ByteView bytes) {
    if (!may_send(to)) return;
    if (port_) port_->send_to(to, bytes);
  }
  bool may_send(const Endpoint& to) {
    if (!may_send_ || may_send_(to)) return true;
    drop("not sent: no IPsec SA");
    return false;
  }
  Endpoint local_endpoint() const { return port_ ? port_->local() : Endpoint{}; }
  Tunnel* tunnel(std::uint16_t id) const {
    auto it = tunnels_.find(id);
    return it == tunnels_.end() ? nullptr : it->second.get();
  }
  Session* session(const SessionRef& r) const {
    Tunnel* t = tunnel(r.tunnel);
    return t ? t->sessions.get(r.session) : nullptr;
  }
  void defer_reap();
  void drop(std::string_view reason);
  std::uint16_t allocate_tunnel_id();
  bool graveyard_ids_contains(std::uint16_t id) const;
  std::uint16_t allocate_session_id(const Tunnel& t);
  void count_session(Tunnel& t, Session& s);
  // An LNS session of `t` already answers this peer session id.
  bool peer_sid_in_use(Tunnel& t, std::uint16_t peer_sid);
  void forget_session_counts(Tunnel& t, Session& s);

  // ---- config (config.cpp) ----
  const config::L2tpGroup* group(std::uint16_t n) const {
    auto it = config_.l2tp_groups.find(n);
    return it == config_.l2tp_groups.end() ? nullptr : &it->second;
  }
  // Tunnels in setup do not count: a peer that has not authenticated must not be able to
  // keep legitimate tunnels out (they have their own caps, EngineOptions).
  std::size_t tunnels_counted() const { return tunnels_.size() - setup_total_; }
  std::string host_name_for(const config::L2tpGroup* g) const;
  Duration hello_interval(const Tunnel& t) const;
  std::chrono::seconds uptime(bool up, TimePoint since) const;
  bool session_limit_reached(std::uint16_t grp) const;
  bool tunnel_limit_reached() const;
  std::uint32_t idle_seconds(const Tunnel& t) const;
  const config::L2tpGroup* lns_group_for(const std::string& peer_name) const;
  void on_config_change(const config::ConfigChange& change);
  // The UDP socket's receive buffer in bytes: `l2tp receive-buffer` unless overridden.
  int udp_receive_buffer() const {
    return options_.udp_receive_buffer.value_or(static_cast<int>(config_.l2tp.receive_buffer_kib) *
                                                1024);
  }

  // ---- LNS tunnels in setup (setup_guard.cpp) ----
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
  SourceState* source_for_sccrq(Ipv4 a);
  void arm_source_sweep();
  void setup_refused(std::string_view reason, const Endpoint& from);
  void leave_setup(Tunnel& t);
  void peer_proven(Tunnel& t);
  void on_setup_expired(std::uint16_t tid);

  // ---- tunnel lifecycle (tunnel.cpp) ----
  // We tear the tunnel down: StopCCN, sessions reported down, hold-down state. An operator's
  // request (reset, undo l2tp enable, a removed group) is an event, not an error, as on Comware.
  // An idle tunnel's clearing is an event as well.
  enum class StopBy : std::uint8_t { failure, operator_request, idle };
  Tunnel* create_tunnel(const Endpoint& peer, bool originator);
  void set_tunnel_state(Tunnel& t, TunnelState next, std::string_view processed);
  void arm_hello(Tunnel& t);
  void check_idle(Tunnel& t);
  void on_idle_expired(std::uint16_t id);
  void remove_tunnel(Tunnel& t);
  void clear_sessions(Tunnel& t, const SessionEnd& end, bool fail_over);
  void stop_tunnel(Tunnel& t, ResultCode rc, const std::string& why, bool fail_over = false,
                   StopBy by = StopBy::failure);
  void on_tunnel_failed(Tunnel& t);

  // ---- datagrams in (receive.cpp) and control messages out (send.cpp) ----
  void on_datagram(const Endpoint& from, ByteView data);
  void dispatch(const Endpoint& from, ByteView data);
  void on_tunnel_zero(const Endpoint& from, ByteView data, const Header& h, bool zlb);
  void on_control(Tunnel& t, Bytes packet);
  void send_control(Tunnel& t, ControlMessage msg);
  void transmit(Tunnel& t, const Bytes& packet, bool retransmission);
  void log_control(const Tunnel& t, ByteView packet, bool sent, bool retransmission);
  void log_hidden_avps(const Tunnel& t, const ControlMessage& m, std::string_view verb);

  // ---- tunnel FSM (tunnel_fsm.cpp) ----
  // What handles a control message in a tunnel state: tunnel_handler() below.
  using TunnelHandlerFn = void (Impl::*)(Tunnel&, const ControlMessage&);
  void unexpected_tunnel_message(Tunnel& t, const ControlMessage& m);
  void on_hello(Tunnel& t, const ControlMessage& m);
  void on_crossed_stopccn(Tunnel& t, const ControlMessage& m);
  bool check_version(Tunnel& t, const ControlMessage& m);
  bool check_challenge_response(Tunnel& t, const ControlMessage& m);
  bool check_tunnel_limit(Tunnel& t);
  void on_sccrq(Tunnel& t, const ControlMessage& m);
  void on_sccrp(Tunnel& t, const ControlMessage& m);
  void on_scccn(Tunnel& t, const ControlMessage& m);
  void on_stopccn(Tunnel& t, const ControlMessage& m);

  // ---- session FSMs (session_fsm.cpp) ----
  // What handles a call message in a session state: session_handler() below.
  using SessionHandlerFn = void (Impl::*)(Tunnel&, Session&, const ControlMessage&);
  void on_call_message(Tunnel& t, const ControlMessage& m);
  void unexpected_call_message(Tunnel& t, Session& s, const ControlMessage& m);
  void on_wen(Tunnel& t, Session& s, const ControlMessage& m);
  void on_sli(Tunnel& t, Session& s, const ControlMessage& m);
  void ignore_link_info(Tunnel& t, Session& s, const ControlMessage& m);
  void on_ocrq(Tunnel& t, const ControlMessage& m);
  void on_icrq(Tunnel& t, const ControlMessage& m);
  void refuse_call(Tunnel& t, std::uint16_t peer_sid, const ResultCode& rc);
  void on_iccn(Tunnel& t, Session& s, const ControlMessage& m);
  void on_icrp(Tunnel& t, Session& s, const ControlMessage& m);
  void on_cdn(Tunnel& t, Session& s, const ControlMessage& m);
  void prebuild_data_header(Tunnel& t, Session& s);
  void set_session_state(Tunnel& t, Session& s, SessionState next, std::string_view processed);
  void on_setup_timeout(std::uint16_t tid, std::uint16_t sid);
  void send_cdn(Tunnel& t, std::uint16_t local_sid, const ResultCode& rc,
                const std::optional<Q931Cause>& q931);
  void end_session(Tunnel& t, std::uint16_t sid, const SessionEnd& end, bool notify);

  // ---- LAC calls (lac_dial.cpp) ----
  Result<CallHandle, std::string> place_call(LacCallRequest req, LacCallbacks cb);
  void attach_lac_call(std::unique_ptr<Session> s, const SessionEnd& last);
  void send_sccrq(Tunnel& t);
  void add_our_challenge(Tunnel& t, ControlMessage& msg);
  void send_icrq(Tunnel& t, Session& s);
  void send_waiting_icrqs(Tunnel& t);
  void cancel_call(CallHandle h);
  void fail_call(std::unique_ptr<Session> s, const SessionEnd& end);
  std::vector<std::unique_ptr<Session>> take_waiting_calls(Tunnel& t);
  void adopt_calls(Tunnel* t, std::uint16_t lost_id, std::vector<std::unique_ptr<Session>> calls);
  void mark_lns_down(const Tunnel& t, const std::string& why);
  void mark_lns_up(const Tunnel& t);
  void order_by_lns_state(std::vector<Ipv4>& lns);

  // ---- data messages (data.cpp) ----
  void on_data_message(const Endpoint& from, ByteView data);
  void prefetch_data(std::span<const ByteView> batch) const;
  void replay_early_data(std::uint16_t tid, std::uint16_t sid);
  void deliver_data(Tunnel& t, Session& s, std::optional<std::uint16_t> ns, ByteView payload);
  bool send_data(SessionRef ref, ByteView frame);

  // ---- operator actions (admin.cpp) ----
  bool close_session(SessionRef ref, std::uint16_t result, std::optional<Q931Cause> q931,
                     std::string message);
  bool close_tunnel(std::uint16_t id, std::uint16_t result);
  void stop_all(std::uint16_t result, const std::string& why);
  void shutdown(std::function<void()> done, Duration limit);
  void check_shutdown();

  // ---- display (display.cpp) ----
  TunnelStatus tunnel_status(const Tunnel& t) const;
  static std::string interface_of(const Tunnel& t, const Session& s);
  static Session::Interface interface_form(const Tunnel& t, const Session& s,
                                           std::string_view interface);
  SessionStatus session_status(const Tunnel& t, const Session& s) const;
  std::vector<const Tunnel*> sorted_tunnels() const;
  std::vector<TunnelStatus> snapshot_tunnels() const;
  std::vector<SessionStatus> snapshot_sessions() const;
  std::vector<SessionStatus> snapshot_sessions(std::uint16_t after_tunnel,
                                               std::uint16_t after_session,
                                               std::size_t limit) const;
  L2tpStatistics statistics() const;
  void reset_statistics();

  const config::RunningConfig& config_;
  TimerService& timers_;
  RandomSource& random_;
  EngineOptions options_;
  SessionHandler* handler_ = nullptr;
  std::function<bool(const Endpoint&)> admit_;
  std::function<bool(const Endpoint&)> may_send_;
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
  // The UDP socket's kernel drop count at the last `reset l2tp statistics` (it cannot be
  // zeroed); shown as kKernelDropReason.
  std::uint64_t kernel_drops_reset_ = 0;
  static constexpr const char* kKernelDropReason = "receive buffer full (kernel)";
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

// ---- {state, message} -> handler tables (tunnel_fsm.cpp, session_fsm.cpp) ----
// A control message reaches its handler through one table per FSM, as go-l2tp does: one
// line a transition, so what a message does in a state is one line to find. Pairs no line
// names go to the table's default handler (counted drop).

inline constexpr std::size_t kMessageTypes = 17;  // message type values 0..16
inline constexpr std::size_t kTunnelStates = static_cast<std::size_t>(TunnelState::stopping) + 1;
inline constexpr std::size_t kSessionStates = static_cast<std::size_t>(SessionState::stopping) + 1;

template <class State, class Fn>
struct Transition {
  State state;
  MessageType message;
  Fn handle;
};
using TunnelTransition = Transition<TunnelState, L2tpEngine::Impl::TunnelHandlerFn>;
using SessionTransition = Transition<SessionState, L2tpEngine::Impl::SessionHandlerFn>;

// The lines of each table, and the handler for any pair (the default for unnamed pairs and
// for message types outside the enum).
std::span<const TunnelTransition> tunnel_transitions();
L2tpEngine::Impl::TunnelHandlerFn tunnel_handler(TunnelState state, MessageType message);
std::span<const SessionTransition> session_transitions();
L2tpEngine::Impl::SessionHandlerFn session_handler(SessionState state, MessageType message);

// One FSM's table: its lines, and their index as a [state][message type] array with
// `fallback` wherever no line is (and for message types outside the enum). Built at compile
// time; a {state, message} pair named twice is a build error.
template <std::size_t States, class Row, std::size_t N>
class TransitionTable {
 public:
  using State = decltype(Row::state);
  using Fn = decltype(Row::handle);

  consteval TransitionTable(const std::array<Row, N>& rows, Fn fallback)
      : rows_(rows), fallback_(fallback) {
    // Which slots a line filled is kept apart: comparing member-function pointers is not a
    // constant expression under UBSan's instrumentation.
    std::array<std::array<bool, kMessageTypes>, States> named{};
    for (auto& by_message : index_) by_message.fill(fallback);
    for (const Row& r : rows) {
      const auto state = static_cast<std::size_t>(r.state);
      const auto message = static_cast<std::size_t>(r.message);
      if (named[state][message]) throw "a {state, message} pair named twice";
      named[state][message] = true;
      index_[state][message] = r.handle;
    }
  }

  std::span<const Row> rows() const { return rows_; }
  Fn operator()(State state, MessageType message) const {
    const auto m = static_cast<std::size_t>(message);
    return m < kMessageTypes ? index_[static_cast<std::size_t>(state)][m] : fallback_;
  }

 private:
  std::array<Row, N> rows_;
  Fn fallback_;
  std::array<std::array<Fn, kMessageTypes>, States> index_{};
};

template <std::size_t States, class Row, std::size_t N>
consteval TransitionTable<States, Row, N> transition_table(const std::array<Row, N>& rows,
                                                           decltype(Row::handle) fallback) {
  return TransitionTable<States, Row, N>(rows, fallback);
}

}  // namespace vpdnd::vpdn
