// Datagrams in: data or control, the checks every control message passes before its
// tunnel's transport sees it, SCCRQs to tunnel 0 (duplicates, setup caps, tie breaker),
// and the decode of in-order control messages before the tunnel FSM.
#include "vpdn/engine/internal.hpp"

namespace vpdnd::vpdn {

void L2tpEngine::Impl::on_datagram(const Endpoint& from, ByteView data) {
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

void L2tpEngine::Impl::dispatch(const Endpoint& from, ByteView data) {
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

void L2tpEngine::Impl::on_tunnel_zero(const Endpoint& from, ByteView data, const Header& h,
                                      bool zlb) {
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

void L2tpEngine::Impl::on_control(Tunnel& t, Bytes packet) {
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
  if (debug_on(kL2tp, DebugClass::hidden)) log_hidden_avps(t, m, "unhid");
  if (m.type != MessageType::sccrp && m.type != MessageType::stopccn && !t.peer_confirmed) {
    t.peer_confirmed = true;
    mark_lns_up(t);
  }
  (this->*tunnel_handler(t.state, m.type))(t, m);
}

}  // namespace vpdnd::vpdn
