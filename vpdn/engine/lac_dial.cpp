// LAC calls: placing a call, dialling an LNS (SCCRQ) or reusing a tunnel to it, fail-over
// to the next LNS address with LNS marked down, and calls moved to the peer's tunnel when
// our SCCRQ loses the tie breaker.
#include <algorithm>

#include "common/printable.hpp"
#include "vpdn/engine/internal.hpp"

namespace vpdnd::vpdn {

// LAC calls still waiting for `t` (our SCCRQ, unanswered), taken out of it.
std::vector<std::unique_ptr<Session>> L2tpEngine::Impl::take_waiting_calls(Tunnel& t) {
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

// A call we give up on before it reached any tunnel: on_down with `end`.
void L2tpEngine::Impl::fail_call(std::unique_ptr<Session> s, const SessionEnd& end) {
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
void L2tpEngine::Impl::adopt_calls(Tunnel* t, std::uint16_t lost_id,
                                   std::vector<std::unique_ptr<Session>> calls) {
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

// Our tunnel to an LNS failed before the LNS took it: later calls try the other
// addresses first for the hold time instead of each waiting out the same failure.
void L2tpEngine::Impl::mark_lns_down(const Tunnel& t, const std::string& why) {
  if (!t.originator || !t.lac_key || options_.lns_down_hold <= Duration::zero()) return;
  lns_down_[t.peer.address] = timers_.now() + options_.lns_down_hold;
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(options_.lns_down_hold);
  log_warning(kL2tp, "LNS " + t.peer.address.to_string() + " marked down for " +
                         std::to_string(secs.count()) + " s: " + printable(why));
}

// The LNS answered beyond SCCRP on a tunnel we opened: it is working again.
void L2tpEngine::Impl::mark_lns_up(const Tunnel& t) {
  if (!t.originator || lns_down_.erase(t.peer.address) == 0) return;
  log_info(kL2tp, "LNS " + t.peer.address.to_string() + " answers again, no longer marked down");
}

// A new call's address order: the LNS not marked down first, then the down ones, each in
// configured order (so all down = configured order). Expired marks are dropped here.
void L2tpEngine::Impl::order_by_lns_state(std::vector<Ipv4>& lns) {
  if (lns_down_.empty()) return;
  const TimePoint now = timers_.now();
  std::erase_if(lns_down_, [now](const auto& kv) { return kv.second <= now; });
  std::stable_partition(lns.begin(), lns.end(),
                        [this](const Ipv4& a) { return lns_down_.count(a) == 0; });
}

// Calls waiting for this tunnel go now (oldest first).
void L2tpEngine::Impl::send_waiting_icrqs(Tunnel& t) {
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

void L2tpEngine::Impl::send_icrq(Tunnel& t, Session& s) {
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

Result<CallHandle, std::string> L2tpEngine::Impl::place_call(LacCallRequest req, LacCallbacks cb) {
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
  // A call that fails here has had its on_down already; its handle stays valid (and dead).
  attach_lac_call(std::move(s), none);
  return h;
}

// Puts a LAC call on the tunnel to its current LNS address (reusing one to the same LNS
// for the same group), creating the tunnel if needed. When the addresses are exhausted
// the call fails with `last` (on_down).
void L2tpEngine::Impl::attach_lac_call(std::unique_ptr<Session> s, const SessionEnd& last) {
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
          options_.failover_sccrq_retries < options_.transport.max_retries)
        t->transport.set_max_retries(options_.failover_sccrq_retries);
      send_sccrq(*t);
    } else if (t->state == TunnelState::wait_reply &&
               c.address_index + 1 >= c.request.lns_addresses.size()) {
      // This call has nowhere else to go: give the LNS the full retransmission cycle.
      t->transport.set_max_retries(options_.transport.max_retries);
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
    return;
  }
  SessionEnd end = last;
  if (end.reason.empty()) end.reason = "no LNS answered";
  end.reason = "all LNS addresses failed (" + end.reason + ")";
  fail_call(std::move(s), end);
}

// With tunnel authentication, SCCRQ and SCCRP carry a fresh Challenge the peer must answer
// (RFC 2661 §5.1.1); remembered to check its Challenge Response.
void L2tpEngine::Impl::add_our_challenge(Tunnel& t, ControlMessage& msg) {
  if (!t.authenticate) return;
  Bytes ch(16);
  random_.fill(ch);
  t.our_challenge = ch;
  msg.add_bytes(AvpType::challenge, ch);
}

void L2tpEngine::Impl::send_sccrq(Tunnel& t) {
  auto msg = ControlMessage::make(MessageType::sccrq, 0);
  msg.add_protocol_version()
      .add_string(AvpType::host_name, t.local_name)
      .add_u32(AvpType::framing_capabilities, kFramingSync | kFramingAsync)
      .add_u32(AvpType::bearer_capabilities, kBearerDigital | kBearerAnalog)
      .add_u16(AvpType::firmware_revision, options_.firmware_revision)
      .add_string(AvpType::vendor_name, options_.vendor_name)
      .add_u16(AvpType::assigned_tunnel_id, t.local_id)
      .add_u16(AvpType::receive_window_size, options_.transport.receive_window);
  t.tie_breaker = random_.u64();
  msg.add_u64(AvpType::tie_breaker, *t.tie_breaker);
  add_our_challenge(t, msg);
  send_control(t, std::move(msg));
  set_tunnel_state(t, TunnelState::wait_reply, "");
  log_info(kL2tp, "event=tunnel_dial tunnel_id=" + std::to_string(t.local_id) +
                      " lns=" + t.peer.to_string() + " group=" + std::to_string(t.group));
}

void L2tpEngine::Impl::cancel_call(CallHandle h) {
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

}  // namespace vpdnd::vpdn
