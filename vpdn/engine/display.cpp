// What `display l2tp tunnel|session|statistics` shows: snapshots of tunnels and sessions,
// and the statistics counters with their reset.
#include <algorithm>

#include "vpdn/engine/internal.hpp"

namespace vpdnd::vpdn {

namespace {

std::string message_slot_name(std::size_t i) {
  if (i == kZlbIndex) return "ZLB";
  if (i == kUnknownIndex) return "Unknown";
  if (!is_known_message_type(static_cast<std::uint16_t>(i))) return "Unknown";
  return std::string(message_name(static_cast<MessageType>(i)));
}

}  // namespace

// Whole seconds since `since` for what is up, zero for what is not (yet or any more).
std::chrono::seconds L2tpEngine::Impl::uptime(bool up, TimePoint since) const {
  if (!up) return std::chrono::seconds(0);
  return std::chrono::duration_cast<std::chrono::seconds>(timers_.now() - since);
}

TunnelStatus L2tpEngine::Impl::tunnel_status(const Tunnel& t) const {
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
  st.uptime = uptime(t.state == TunnelState::established, t.established_at);
  st.group = t.group;
  st.is_lac = t.originator;
  st.authenticated = t.authenticated;
  st.ns = t.transport.next_ns();
  st.nr = t.transport.next_nr();
  st.peer_window = t.peer_window;
  st.our_window = options_.transport.receive_window;
  st.hello_interval_s = static_cast<std::uint32_t>(
      std::chrono::duration_cast<std::chrono::seconds>(hello_interval(t)).count());
  st.control_in = t.control_in;
  st.control_out = t.control_out;
  st.retransmits = t.transport.counters().retransmits;
  st.data_packets_in = t.data_packets_in;
  st.data_packets_out = t.data_packets_out;
  st.data_bytes_in = t.data_bytes_in;
  st.data_bytes_out = t.data_bytes_out;
  return st;
}

std::string L2tpEngine::Impl::interface_of(const Tunnel& t, const Session& s) {
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
Session::Interface L2tpEngine::Impl::interface_form(const Tunnel& t, const Session& s,
                                                    std::string_view interface) {
  const std::string vt = "Virtual-Template" + std::to_string(t.virtual_template);
  if (interface == vt) return Session::Interface::vt;
  if (interface == vt + ":" + std::to_string(s.local_id)) return Session::Interface::vt_session;
  return Session::Interface::stored;
}

SessionStatus L2tpEngine::Impl::session_status(const Tunnel& t, const Session& s) const {
  SessionStatus st;
  st.local_id = s.local_id;
  st.remote_id = s.remote_id;
  st.tunnel_local_id = t.local_id;
  st.state = s.state;
  st.uptime = uptime(s.state == SessionState::established, s.established_at);
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
  return st;
}

std::vector<const Tunnel*> L2tpEngine::Impl::sorted_tunnels() const {
  std::vector<const Tunnel*> v;
  v.reserve(tunnels_.size());
  for (auto& [id, t] : tunnels_) v.push_back(t.get());
  std::sort(v.begin(), v.end(), [](auto* a, auto* b) { return a->local_id < b->local_id; });
  return v;
}

std::vector<TunnelStatus> L2tpEngine::Impl::snapshot_tunnels() const {
  std::vector<TunnelStatus> out;
  for (auto* t : sorted_tunnels()) out.push_back(tunnel_status(*t));
  return out;
}

std::vector<SessionStatus> L2tpEngine::Impl::snapshot_sessions() const {
  return snapshot_sessions(0, 0, SIZE_MAX);
}

std::vector<SessionStatus> L2tpEngine::Impl::snapshot_sessions(std::uint16_t after_tunnel,
                                                               std::uint16_t after_session,
                                                               std::size_t limit) const {
  std::vector<SessionStatus> out;
  std::vector<const Session*> ss;
  for (auto* t : sorted_tunnels()) {
    if (out.size() >= limit) break;
    if (t->local_id < after_tunnel) continue;
    const std::uint16_t after = t->local_id == after_tunnel ? after_session : 0;
    ss.clear();
    for (auto& [id, s] : t->sessions)
      if (s->local_id > after) ss.push_back(s.get());
    const std::size_t take = std::min(ss.size(), limit - out.size());
    std::partial_sort(ss.begin(), ss.begin() + static_cast<std::ptrdiff_t>(take), ss.end(),
                      [](auto* a, auto* b) { return a->local_id < b->local_id; });
    for (std::size_t i = 0; i < take; ++i) out.push_back(session_status(*t, *ss[i]));
  }
  return out;
}

L2tpStatistics L2tpEngine::Impl::statistics() const {
  L2tpStatistics st;
  for (std::size_t i = 0; i < kMessageSlots; ++i) {
    if (messages_in_[i]) st.messages_in[message_slot_name(i)] += messages_in_[i];
    if (messages_out_[i]) st.messages_out[message_slot_name(i)] += messages_out_[i];
  }
  st.retransmits = retransmits_;
  for (auto& [k, v] : drops_) st.drops[k] = v;
  // The kernel's count of datagrams it could not queue to our socket: a protocol thread
  // that fell behind a burst (echo replies, ICRQs) loses them before any counter above.
  if (udp_) {
    const std::uint64_t kernel = udp_->receive_drops();
    if (kernel > kernel_drops_reset_) st.drops[kKernelDropReason] = kernel - kernel_drops_reset_;
  }
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
void L2tpEngine::Impl::reset_statistics() {
  messages_in_.fill(0);
  messages_out_.fill(0);
  retransmits_ = 0;
  drops_.clear();
  if (udp_) kernel_drops_reset_ = udp_->receive_drops();
  tunnels_total_ = 0;
  sessions_total_ = 0;
  setup_expired_ = 0;
  sccrq_over_limit_ = 0;
  unconfirmed_in_ = 0;
  unconfirmed_out_ = 0;
}

}  // namespace vpdnd::vpdn
