// The tunnel FSM (RFC 2661 §7.2): which handler takes each {tunnel state, message} pair,
// and the handlers of the tunnel's own messages (SCCRQ, SCCRP, SCCCN, StopCCN, Hello).
// The role follows from the state: only an LNS tunnel (the peer's SCCRQ) is ever Idle
// or Wait-connect when a message arrives, only a LAC tunnel (our SCCRQ) Wait-reply.
#include "common/printable.hpp"
#include "vpdn/engine/internal.hpp"

namespace vpdnd::vpdn {

namespace {

using Impl = L2tpEngine::Impl;
using S = TunnelState;
using M = MessageType;

// Every pair not named here goes to Impl::unexpected_tunnel_message.
// clang-format off
constexpr auto kTunnelTransitions = transition_table<kTunnelStates>(std::array{
    //               state            message     handler
    TunnelTransition{S::idle,         M::sccrq,   &Impl::on_sccrq},         // LNS: a LAC opens one
    TunnelTransition{S::wait_reply,   M::sccrp,   &Impl::on_sccrp},         // LAC: the LNS answers
    TunnelTransition{S::wait_connect, M::scccn,   &Impl::on_scccn},         // LNS: the LAC confirms
    TunnelTransition{S::idle,         M::stopccn, &Impl::on_stopccn},
    TunnelTransition{S::wait_reply,   M::stopccn, &Impl::on_stopccn},       // LAC: the LNS refuses
    TunnelTransition{S::wait_connect, M::stopccn, &Impl::on_stopccn},
    TunnelTransition{S::established,  M::stopccn, &Impl::on_stopccn},
    TunnelTransition{S::stopping,     M::stopccn, &Impl::on_crossed_stopccn},
    TunnelTransition{S::idle,         M::hello,   &Impl::on_hello},
    TunnelTransition{S::wait_reply,   M::hello,   &Impl::on_hello},
    TunnelTransition{S::wait_connect, M::hello,   &Impl::on_hello},
    TunnelTransition{S::established,  M::hello,   &Impl::on_hello},
    TunnelTransition{S::stopping,     M::hello,   &Impl::on_hello},
    TunnelTransition{S::established,  M::icrq,    &Impl::on_icrq},          // a new incoming call
    TunnelTransition{S::established,  M::ocrq,    &Impl::on_ocrq},          // refused: CDN 5
    TunnelTransition{S::established,  M::icrp,    &Impl::on_call_message},  // to the session FSM
    TunnelTransition{S::established,  M::iccn,    &Impl::on_call_message},
    TunnelTransition{S::established,  M::cdn,     &Impl::on_call_message},
    TunnelTransition{S::established,  M::wen,     &Impl::on_call_message},
    TunnelTransition{S::established,  M::sli,     &Impl::on_call_message},
    TunnelTransition{S::established,  M::ocrp,    &Impl::on_call_message},
    TunnelTransition{S::established,  M::occn,    &Impl::on_call_message},
}, &Impl::unexpected_tunnel_message);
// clang-format on

}  // namespace

std::span<const TunnelTransition> tunnel_transitions() {
  return kTunnelTransitions.rows();
}

L2tpEngine::Impl::TunnelHandlerFn tunnel_handler(TunnelState state, MessageType message) {
  return kTunnelTransitions(state, message);
}

// The peer's message has no place in the tunnel's state: counted as a drop, as the peer
// may just be behind (a retransmission crossing our state change); the transport has
// acknowledged it.
void L2tpEngine::Impl::unexpected_tunnel_message(Tunnel&, const ControlMessage& m) {
  if (!is_known_message_type(static_cast<std::uint16_t>(m.type)))
    drop("unexpected message type");
  else if (!is_tunnel_message(m.type))
    drop("call message before tunnel established");
  else
    drop("unexpected " + mtype_name(m.type));
}

// Hello only keeps the tunnel alive: the transport acknowledged it and dispatch() restarted
// our Hello timer, whatever the state.
void L2tpEngine::Impl::on_hello(Tunnel&, const ControlMessage&) {}

// Crossed StopCCNs: ours is in flight and the hold-down is running.
void L2tpEngine::Impl::on_crossed_stopccn(Tunnel&, const ControlMessage&) {}

// The checks of the peer's SCCRQ (LNS) or SCCRP (LAC) that stop the tunnel when they fail
// (false then); a LAC's unanswered calls then try the next LNS address.
bool L2tpEngine::Impl::check_version(Tunnel& t, const ControlMessage& m) {
  auto v = m.protocol_version();
  if (!v || v->first != 1 || v->second != 0) {
    stop_tunnel(
        t,
        ResultCode{stopccn_result::bad_protocol_version, general_error::none, "version 1.0 only"},
        "unsupported protocol version", t.originator);
    return false;
  }
  return true;
}

// Tunnel authentication: the peer's SCCRP (LAC) or SCCCN (LNS) answers our Challenge.
bool L2tpEngine::Impl::check_challenge_response(Tunnel& t, const ControlMessage& m) {
  if (!t.authenticate) return true;
  const std::string peer = t.originator ? "LNS" : "LAC";
  auto resp = m.bytes(AvpType::challenge_response);
  auto expected = chap_response(static_cast<std::uint8_t>(m.type), t.secret, *t.our_challenge);
  if (!resp || !chap_response_matches(*resp, expected)) {
    stop_tunnel(t,
                ResultCode{stopccn_result::not_authorized, general_error::none,
                           "challenge response mismatch"},
                resp ? "challenge response from " + peer + " does not match"
                     : peer + " sent no challenge response",
                t.originator);
    return false;
  }
  t.authenticated = true;
  return true;
}

// LNS: `l2tp tunnel-limit` is checked at SCCRQ and again at SCCCN (tunnels in setup do not
// count towards it).
bool L2tpEngine::Impl::check_tunnel_limit(Tunnel& t) {
  if (!tunnel_limit_reached()) return true;
  stop_tunnel(t,
              ResultCode{stopccn_result::general_error, general_error::insufficient_resources,
                         "tunnel limit reached"},
              "tunnel limit reached");
  return false;
}

void L2tpEngine::Impl::on_sccrq(Tunnel& t, const ControlMessage& m) {
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
  // Tunnels still in setup (this one included) do not count.
  if (!check_tunnel_limit(t)) return;
  auto reply = ControlMessage::make(MessageType::sccrp, t.remote_id);
  reply.add_protocol_version()
      .add_u32(AvpType::framing_capabilities, kFramingSync | kFramingAsync)
      .add_u32(AvpType::bearer_capabilities, kBearerDigital | kBearerAnalog)
      .add_u16(AvpType::firmware_revision, options_.firmware_revision)
      .add_string(AvpType::host_name, t.local_name)
      .add_string(AvpType::vendor_name, options_.vendor_name)
      .add_u16(AvpType::assigned_tunnel_id, t.local_id)
      .add_u16(AvpType::receive_window_size, options_.transport.receive_window);
  if (auto ch = m.bytes(AvpType::challenge)) {
    auto resp = chap_response(static_cast<std::uint8_t>(MessageType::sccrp), t.secret, *ch);
    reply.add_bytes(AvpType::challenge_response, resp);
  }
  add_our_challenge(t, reply);
  send_control(t, std::move(reply));
  set_tunnel_state(t, TunnelState::wait_connect, "SCCRQ");
}

void L2tpEngine::Impl::on_sccrp(Tunnel& t, const ControlMessage& m) {
  auto assigned = m.u16(AvpType::assigned_tunnel_id);
  if (!assigned || *assigned == 0) {
    stop_tunnel(
        t,
        ResultCode{stopccn_result::general_error, general_error::bad_value, "Assigned Tunnel ID"},
        "SCCRP without valid Assigned Tunnel ID", true);
    return;
  }
  t.transport.set_max_retries(options_.transport.max_retries);  // the LNS answers
  t.remote_id = *assigned;
  t.transport.set_peer_tunnel_id(t.remote_id);
  by_peer_[peer_key(t.peer, t.remote_id)] = t.local_id;
  t.remote_name = m.string(AvpType::host_name).value_or("");
  t.peer_window = m.u16(AvpType::receive_window_size).value_or(4);
  t.transport.set_peer_window(t.peer_window);
  if (!check_version(t, m)) return;
  if (!check_challenge_response(t, m)) return;
  auto reply = ControlMessage::make(MessageType::scccn, t.remote_id);
  if (auto ch = m.bytes(AvpType::challenge)) {
    auto resp = chap_response(static_cast<std::uint8_t>(MessageType::scccn), t.secret, *ch);
    reply.add_bytes(AvpType::challenge_response, resp);
  }
  // After a tie breaker the peer moves its calls onto this tunnel: accept them like on a
  // tunnel it opened, when an LNS group allows the peer with the same tunnel password.
  if (const auto* lg = lns_group_for(t.remote_name); lg && lg->tunnel_password.plain == t.secret) {
    t.virtual_template = *lg->allow_virtual_template;
    t.lns_group = lg->number;
  }
  send_control(t, std::move(reply));
  set_tunnel_state(t, TunnelState::established, "SCCRP");
  send_waiting_icrqs(t);
}

void L2tpEngine::Impl::on_scccn(Tunnel& t, const ControlMessage& m) {
  if (!check_challenge_response(t, m)) return;
  if (!check_tunnel_limit(t)) return;
  set_tunnel_state(t, TunnelState::established, "SCCCN");
  log_info(kL2tp, "event=tunnel_up tunnel_id=" + std::to_string(t.local_id) +
                      " peer=" + t.peer.to_string() + " peer_name=\"" + printable(t.remote_name) +
                      "\" role=LNS");
  // LAC calls that moved here after our SCCRQ lost the tie breaker.
  send_waiting_icrqs(t);
}

void L2tpEngine::Impl::on_stopccn(Tunnel& t, const ControlMessage& m) {
  t.closing = true;
  auto rc = m.result_code().value_or(ResultCode{});
  if (t.remote_id == 0) {
    if (auto a = m.u16(AvpType::assigned_tunnel_id)) {
      t.remote_id = *a;
      t.transport.set_peer_tunnel_id(*a);
    }
  }
  log_info(kL2tp,
           "event=stopccn_received tunnel_id=" + std::to_string(t.local_id) +
               " peer=" + t.peer.to_string() + " result=" + std::to_string(rc.result) +
               (rc.error ? " error=" + std::to_string(*rc.error) : std::string()) +
               (rc.message.empty() ? std::string() : " message=\"" + printable(rc.message) + "\""));
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

}  // namespace vpdnd::vpdn
