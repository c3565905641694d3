// Tunnel lifecycle: creation, state changes and their timers (Hello, idle), our StopCCN
// with its hold-down, loss of the peer, and removal into the graveyard.
#include "common/printable.hpp"
#include "vpdn/engine/internal.hpp"

namespace vpdnd::vpdn {

Tunnel* L2tpEngine::Impl::create_tunnel(const Endpoint& peer, bool originator) {
  std::uint16_t id = allocate_tunnel_id();
  if (id == 0) return nullptr;
  auto t = std::make_unique<Tunnel>(*this, timers_, options_.transport);
  t->local_id = id;
  t->peer = peer;
  t->originator = originator;
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

void L2tpEngine::Impl::set_tunnel_state(Tunnel& t, TunnelState next, std::string_view processed) {
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

void L2tpEngine::Impl::arm_hello(Tunnel& t) {
  if (t.state != TunnelState::established) return;
  t.hello_timer.arm(hello_interval(t), [this, tp = &t] {
    if (tp->state != TunnelState::established || tp->dead) return;
    send_control(*tp, ControlMessage::make(MessageType::hello, tp->remote_id));
    arm_hello(*tp);
  });
}

void L2tpEngine::Impl::check_idle(Tunnel& t) {
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

void L2tpEngine::Impl::on_idle_expired(std::uint16_t id) {
  Tunnel* t = tunnel(id);
  if (!t || t->dead || t->closing || t->state != TunnelState::established || !t->sessions.empty())
    return;
  stop_tunnel(*t, ResultCode{stopccn_result::clear, std::nullopt, {}},
              "no session for " + std::to_string(t->idle_s) + " s", false, StopBy::idle);
}

// Removes a tunnel from every table; sessions must already be gone.
void L2tpEngine::Impl::remove_tunnel(Tunnel& t) {
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
void L2tpEngine::Impl::clear_sessions(Tunnel& t, const SessionEnd& end, bool fail_over) {
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

void L2tpEngine::Impl::stop_tunnel(Tunnel& t, ResultCode rc, const std::string& why, bool fail_over,
                                   StopBy by) {
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
  // The StopCCN clears every session at the peer: messages still queued behind the window
  // (thousands of CDNs when every user of a LAC hangs up at once) go unsent, so it leaves
  // after the messages in flight instead of after all of them.
  t.transport.drop_pending();
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

void L2tpEngine::Impl::on_tunnel_failed(Tunnel& t) {
  if (t.dead) return;
  t.closing = true;
  if (t.state == TunnelState::stopping) {
    remove_tunnel(t);
    return;
  }
  const std::string why = t.state == TunnelState::established
                              ? "peer not responding (Hello/retransmissions exhausted)"
                              : "no answer from peer";
  debug_lazy(kL2tp, DebugClass::error,
             [&] { return "Tunnel " + std::to_string(t.local_id) + ": " + why + ", tunnel down"; });
  log_warning(kL2tp, "event=tunnel_lost tunnel_id=" + std::to_string(t.local_id) +
                         " peer=" + t.peer.to_string() + " reason=\"" + why + "\"");
  SessionEnd end;
  end.stopccn = true;
  end.peer_lost = true;
  end.result = ResultCode{stopccn_result::general_error, general_error::none, why};
  end.reason = why;
  // An LNS that answered SCCRP and then went silent never took a call either.
  const bool fail_over = t.state != TunnelState::established || (t.originator && !t.peer_confirmed);
  if (fail_over) mark_lns_down(t, why);
  clear_sessions(t, end, fail_over);
  remove_tunnel(t);
}

}  // namespace vpdnd::vpdn
