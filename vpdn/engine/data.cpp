// Data messages: received ones checked and handed to the SessionHandler (held while an
// ICCN is still on its way), and send_data's fast path onto a session.
#include "common/printable.hpp"
#include "vpdn/engine/internal.hpp"

namespace vpdnd::vpdn {

void L2tpEngine::Impl::replay_early_data(std::uint16_t tid, std::uint16_t sid) {
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

void L2tpEngine::Impl::on_data_message(const Endpoint& from, ByteView data) {
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
  Session* sp = t->sessions.get(dm->session_id);
  if (!sp) {
    drop("data for unknown session");
    return;
  }
  Session& s = *sp;
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

// Read-only passes over a received batch before it is delivered, each pass starting the
// loads the next one reads (the session index slot, the session, then the handler's state
// through its tag): the cache misses of up to kChunk messages overlap instead of coming one
// after another per message. Nothing is changed, so delivery sees exactly what it would
// without this.
void L2tpEngine::Impl::prefetch_data(std::span<const ByteView> batch) const {
  constexpr std::size_t kChunk = 32;
  constexpr unsigned kHandlerSteps = 4;  // SessionHandler::prefetch_tagged's steps
  const SessionTable* table[kChunk];
  std::uint16_t sid[kChunk];
  const Session* session[kChunk];
  std::uint32_t tag[kChunk];
  for (std::size_t at = 0; at < batch.size(); at += kChunk) {
    const std::size_t n = std::min(kChunk, batch.size() - at);
    std::uint16_t last_tid = 0;
    const Tunnel* last = nullptr;
    for (std::size_t j = 0; j < n; ++j) {
      table[j] = nullptr;
      const ByteView d = batch[at + j];
      if (peek_is_control(d)) continue;
      auto dm = decode_data(d);
      if (!dm) continue;
      if (!last || dm->tunnel_id != last_tid) {
        last = tunnel(dm->tunnel_id);
        last_tid = dm->tunnel_id;
      }
      if (!last) continue;
      table[j] = &last->sessions;
      sid[j] = dm->session_id;
      table[j]->prefetch(sid[j]);
    }
    for (std::size_t j = 0; j < n; ++j) {
      session[j] = table[j] ? table[j]->get(sid[j]) : nullptr;
      if (!session[j]) continue;
      __builtin_prefetch(&session[j]->state);
      __builtin_prefetch(&session[j]->handler_tag);
    }
    if (!handler_) continue;
    for (std::size_t j = 0; j < n; ++j) tag[j] = session[j] ? session[j]->handler_tag : 0;
    for (unsigned step = 0; step < kHandlerSteps; ++step)
      for (std::size_t j = 0; j < n; ++j)
        if (tag[j] != 0) handler_->prefetch_tagged(tag[j], step);
  }
}

void L2tpEngine::Impl::deliver_data(Tunnel& t, Session& s, std::optional<std::uint16_t> ns,
                                    ByteView payload) {
  if (s.sequencing && ns) {
    if (!s.data_resync && detail::seq_before(*ns, s.data_expected)) {
      drop("data out of sequence");
      return;
    }
    s.data_expected = static_cast<std::uint16_t>(*ns + 1);
    s.data_resync = false;
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
  if (handler_)
    handler_->on_tagged_data(SessionRef{t.local_id, s.local_id}, payload, s.handler_tag);
}

bool L2tpEngine::Impl::send_data(SessionRef ref, ByteView frame) {
  Tunnel* t = tunnel(ref.tunnel);
  if (!t || t->state != TunnelState::established) return false;
  Session* sp = t->sessions.get(ref.session);
  if (!sp || sp->state != SessionState::established) return false;
  Session& s = *sp;
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
  if (!may_send(t->peer)) return false;
  if (port_) port_->send_parts(t->peer, head, frame);
  return true;
}

}  // namespace vpdnd::vpdn
