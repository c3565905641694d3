// The incoming-call session FSMs (RFC 2661 §7.4.1 LAC, §7.4.2 LNS): session state changes
// and their setup timer, the CDN either way, and the handlers of ICRQ, ICRP, ICCN, CDN,
// OCRQ, WEN and SLI.
#include <algorithm>

#include "common/printable.hpp"
#include "vpdn/engine/internal.hpp"

namespace vpdnd::vpdn {

namespace {

using Impl = L2tpEngine::Impl;
using S = SessionState;
using M = MessageType;

// Every pair not named here goes to Impl::unexpected_call_message. ICRQ and OCRQ name no
// session yet: the tunnel FSM takes them. The role follows from the state: only a LAC
// session waits for its tunnel or for an ICRP, only an LNS session for an ICCN.
// clang-format off
constexpr auto kSessionTransitions = transition_table<kSessionStates>(std::array{
    //                state            message  handler
    SessionTransition{S::wait_reply,   M::icrp, &Impl::on_icrp},  // LAC: the LNS answers our ICRQ
    SessionTransition{S::wait_connect, M::iccn, &Impl::on_iccn},  // LNS: the LAC connects the call
    SessionTransition{S::idle,         M::cdn,  &Impl::on_cdn},
    SessionTransition{S::wait_tunnel,  M::cdn,  &Impl::on_cdn},
    SessionTransition{S::wait_reply,   M::cdn,  &Impl::on_cdn},
    SessionTransition{S::wait_connect, M::cdn,  &Impl::on_cdn},
    SessionTransition{S::established,  M::cdn,  &Impl::on_cdn},
    SessionTransition{S::stopping,     M::cdn,  &Impl::on_cdn},
    SessionTransition{S::idle,         M::wen,  &Impl::on_wen},
    SessionTransition{S::wait_tunnel,  M::wen,  &Impl::on_wen},
    SessionTransition{S::wait_reply,   M::wen,  &Impl::on_wen},
    SessionTransition{S::wait_connect, M::wen,  &Impl::on_wen},
    SessionTransition{S::established,  M::wen,  &Impl::on_wen},
    SessionTransition{S::stopping,     M::wen,  &Impl::on_wen},
    SessionTransition{S::idle,         M::sli,  &Impl::ignore_link_info},
    SessionTransition{S::wait_tunnel,  M::sli,  &Impl::ignore_link_info},
    SessionTransition{S::wait_reply,   M::sli,  &Impl::ignore_link_info},
    SessionTransition{S::wait_connect, M::sli,  &Impl::ignore_link_info},
    SessionTransition{S::established,  M::sli,  &Impl::on_sli},   // the peer's ACCM, to PPP
    SessionTransition{S::stopping,     M::sli,  &Impl::ignore_link_info},
}, &Impl::unexpected_call_message);
// clang-format on

}  // namespace

std::span<const SessionTransition> session_transitions() {
  return kSessionTransitions.rows();
}

L2tpEngine::Impl::SessionHandlerFn session_handler(SessionState state, MessageType message) {
  return kSessionTransitions(state, message);
}

void L2tpEngine::Impl::prebuild_data_header(Tunnel& t, Session& s) {
  s.data_header = {0x00,
                   0x02,
                   static_cast<std::uint8_t>(t.remote_id >> 8),
                   static_cast<std::uint8_t>(t.remote_id),
                   static_cast<std::uint8_t>(s.remote_id >> 8),
                   static_cast<std::uint8_t>(s.remote_id)};
}

void L2tpEngine::Impl::set_session_state(Tunnel& t, Session& s, SessionState next,
                                         std::string_view processed) {
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
             " (TunnelID=" + std::to_string(t.local_id) + "): Processed " + std::string(processed) +
             " in " + std::string(display_name(prev)) + " state, session state now " +
             std::string(display_name(next)) + ".";
    });
  }
}

void L2tpEngine::Impl::on_setup_timeout(std::uint16_t tid, std::uint16_t sid) {
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

void L2tpEngine::Impl::send_cdn(Tunnel& t, std::uint16_t local_sid, const ResultCode& rc,
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
void L2tpEngine::Impl::end_session(Tunnel& t, std::uint16_t sid, const SessionEnd& end,
                                   bool notify) {
  auto it = t.sessions.find(sid);
  if (it == t.sessions.end()) return;
  std::unique_ptr<Session> s = std::move(it->second);
  t.sessions.erase(it);
  const bool was_up = s->state == SessionState::established;
  forget_session_counts(t, *s);
  check_idle(t);
  debug_lazy(kL2tp, DebugClass::event, [&] {
    return "SessionID=" + std::to_string(s->local_id) + " (TunnelID=" + std::to_string(t.local_id) +
           "): session cleared in " + std::string(display_name(s->state)) + " state (" +
           printable(end.reason) + ").";
  });
  if (was_up)
    log_info(kL2tp, "event=session_down tunnel_id=" + std::to_string(t.local_id) +
                        " session_id=" + std::to_string(s->local_id) + " user=\"" +
                        printable(s->str(Session::user)) + "\" reason=\"" + printable(end.reason) +
                        "\"");
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

// A call message on an established tunnel, for one of its sessions: that session's FSM.
void L2tpEngine::Impl::on_call_message(Tunnel& t, const ControlMessage& m) {
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
  (this->*session_handler(s.state, m.type))(t, s, m);
}

// The peer's call message has no place in the session's state: counted as a drop.
void L2tpEngine::Impl::unexpected_call_message(Tunnel&, Session&, const ControlMessage& m) {
  switch (m.type) {
    case MessageType::icrp:
    case MessageType::iccn:
      drop("unexpected " + mtype_name(m.type));
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

void L2tpEngine::Impl::on_wen(Tunnel&, Session& s, const ControlMessage& m) {
  if (auto e = m.call_errors()) s.call_errors = std::make_unique<CallErrors>(*e);
}

void L2tpEngine::Impl::on_sli(Tunnel& t, Session& s, const ControlMessage& m) {
  if (auto a = m.accm(); a && handler_)
    handler_->on_link_info(SessionRef{t.local_id, s.local_id}, *a);
}

// Before the call is up the SessionHandler has no session to give the ACCM to: ignored,
// and not counted as a drop.
void L2tpEngine::Impl::ignore_link_info(Tunnel&, Session&, const ControlMessage&) {}

// LAC receiving OCRQ: we do not place outgoing calls -> CDN (§7.4.3), result 5
// (no facilities, permanent condition).
void L2tpEngine::Impl::on_ocrq(Tunnel& t, const ControlMessage& m) {
  auto peer_sid = m.u16(AvpType::assigned_session_id).value_or(0);
  auto msg = ControlMessage::make(MessageType::cdn, t.remote_id, peer_sid);
  msg.add_result_code(ResultCode{cdn_result::no_facilities_permanent, general_error::none,
                                 "outgoing calls not supported"})
      .add_u16(AvpType::assigned_session_id, 0);
  send_control(t, std::move(msg));
}

void L2tpEngine::Impl::on_icrq(Tunnel& t, const ControlMessage& m) {
  auto peer_sid = m.u16(AvpType::assigned_session_id);
  if (!peer_sid || *peer_sid == 0) {
    drop("ICRQ without Assigned Session ID");
    return;
  }
  // A second ICRQ for the same peer session (the peer gave up and retried): ignore.
  if (peer_sid_in_use(t, *peer_sid)) {
    drop("duplicate ICRQ");
    return;
  }
  if (t.originator && !t.virtual_template) {
    // An LNS calling into our LAC tunnel; we only terminate calls on LNS-role tunnels.
    refuse_call(
        t, *peer_sid,
        ResultCode{cdn_result::no_facilities_permanent, general_error::none, "not an LNS tunnel"});
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

void L2tpEngine::Impl::refuse_call(Tunnel& t, std::uint16_t peer_sid, const ResultCode& rc) {
  debug_lazy(kL2tp, DebugClass::error, [&] {
    return "Tunnel " + std::to_string(t.local_id) + ": refusing call (" + rc.message +
           "), sending CDN (result " + std::to_string(rc.result) + ")";
  });
  auto msg = ControlMessage::make(MessageType::cdn, t.remote_id, peer_sid);
  msg.add_result_code(rc).add_u16(AvpType::assigned_session_id, 0);
  send_control(t, std::move(msg));
}

void L2tpEngine::Impl::on_iccn(Tunnel& t, Session& s, const ControlMessage& m) {
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

void L2tpEngine::Impl::on_cdn(Tunnel& t, Session& s, const ControlMessage& m) {
  SessionEnd end;
  end.by_peer = true;
  end.result = m.result_code().value_or(ResultCode{});
  end.q931 = m.q931_cause();
  end.reason = "peer sent CDN result " + std::to_string(end.result.result) +
               (end.result.error ? " error " + std::to_string(*end.result.error) : std::string()) +
               (end.result.message.empty() ? std::string() : " (" + end.result.message + ")");
  debug_lazy(kL2tp, DebugClass::event, [&] {
    return "SessionID=" + std::to_string(s.local_id) + " (TunnelID=" + std::to_string(t.local_id) +
           "): Processed CDN in " + std::string(display_name(s.state)) +
           " state, session state now Idle.";
  });
  end_session(t, s.local_id, end, true);
}

void L2tpEngine::Impl::on_icrp(Tunnel& t, Session& s, const ControlMessage& m) {
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

}  // namespace vpdnd::vpdn
