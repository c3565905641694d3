// L2tpEngine::Impl's tables: tunnel and session id allocation, the graveyard, the counted
// drops and the per-group session counts behind the session limits.
#include "vpdn/engine/internal.hpp"

namespace vpdnd::vpdn {

void L2tpEngine::Impl::defer_reap() {
  if (!reap_timer_.armed()) reap_timer_.arm(Duration::zero(), [this] { reap(); });
}

void L2tpEngine::Impl::drop(std::string_view reason) {
  auto it = drops_.find(reason);
  if (it == drops_.end())
    drops_.emplace(std::string(reason), 1);
  else
    ++it->second;
}

std::uint16_t L2tpEngine::Impl::allocate_tunnel_id() {
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

bool L2tpEngine::Impl::graveyard_ids_contains(std::uint16_t id) const {
  for (auto& g : graveyard_)
    if (g->local_id == id) return true;
  return false;
}

std::uint16_t L2tpEngine::Impl::allocate_session_id(const Tunnel& t) {
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

void L2tpEngine::Impl::count_session(Tunnel& t, Session& s) {
  t.idle_timer.cancel();  // a call on an idle tunnel keeps it
  ++session_total_;
  ++group_sessions_[t.group];
  ++sid_use_[s.local_id];
  if (t.peer_sids && !s.is_lac) t.peer_sids->set(s.remote_id);
}

bool L2tpEngine::Impl::peer_sid_in_use(Tunnel& t, std::uint16_t peer_sid) {
  if (!t.peer_sids && t.sessions.size() >= Tunnel::kPeerSidIndexFrom) {
    t.peer_sids = std::make_unique<std::bitset<65536>>();
    for (auto& [sid, s] : t.sessions)
      if (!s->is_lac) t.peer_sids->set(s->remote_id);
  }
  if (t.peer_sids) return t.peer_sids->test(peer_sid);
  for (auto& [sid, s] : t.sessions)
    if (s->remote_id == peer_sid && !s->is_lac) return true;
  return false;
}

void L2tpEngine::Impl::forget_session_counts(Tunnel& t, Session& s) {
  if (session_total_) --session_total_;
  auto it = group_sessions_.find(t.group);
  if (it != group_sessions_.end() && it->second) --it->second;
  if (sid_use_[s.local_id]) --sid_use_[s.local_id];
  if (t.peer_sids && !s.is_lac) t.peer_sids->reset(s.remote_id);
  if (s.state == SessionState::established && sessions_up_) --sessions_up_;
  if (s.lac) by_handle_.erase(s.lac->handle);
}

}  // namespace vpdnd::vpdn
