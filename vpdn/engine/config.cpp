// What the running config says for a tunnel (host name, Hello, limits, which LNS group
// takes a peer) and how live config changes reach existing tunnels.
#include <cstdlib>

#include "vpdn/engine/internal.hpp"

namespace vpdnd::vpdn {

std::string L2tpEngine::Impl::host_name_for(const config::L2tpGroup* g) const {
  if (g && !g->tunnel_name.empty()) return g->tunnel_name;
  return config_.sysname;
}

Duration L2tpEngine::Impl::hello_interval(const Tunnel& t) const {
  if (options_.hello_override) return *options_.hello_override;
  return std::chrono::seconds(t.hello_s);
}

bool L2tpEngine::Impl::session_limit_reached(std::uint16_t grp) const {
  if (config_.l2tp.session_limit && session_total_ >= *config_.l2tp.session_limit) return true;
  if (const auto* g = group(grp); g && g->session_limit) {
    auto it = group_sessions_.find(grp);
    std::uint32_t n = it == group_sessions_.end() ? 0 : it->second;
    if (n >= *g->session_limit) return true;
  }
  return false;
}

bool L2tpEngine::Impl::tunnel_limit_reached() const {
  return config_.l2tp.tunnel_limit && tunnels_counted() >= *config_.l2tp.tunnel_limit;
}

// An established tunnel without sessions is cleared after the group's `tunnel timer idle`
// (as Comware removes a tunnel once its last user is offline); the wait lets a user who
// redials reuse it. Counted from establishment for a tunnel that never carried a call.
std::uint32_t L2tpEngine::Impl::idle_seconds(const Tunnel& t) const {
  const auto* g = group(t.group);
  return g ? g->idle_timeout_s : config::L2tpGroup{}.idle_timeout_s;
}

// LNS: which group takes a peer (by its Host Name): `allow ... remote NAME` first, then
// group 1 without `remote` as the default.
const config::L2tpGroup* L2tpEngine::Impl::lns_group_for(const std::string& peer_name) const {
  for (const auto& [n, g] : config_.l2tp_groups)
    if (g.allow_virtual_template && !g.allow_remote.empty() && g.allow_remote == peer_name)
      return &g;
  if (const auto* g1 = group(1); g1 && g1->allow_virtual_template && g1->allow_remote.empty())
    return g1;
  return nullptr;
}

void L2tpEngine::Impl::on_config_change(const config::ConfigChange& change) {
  if (change.section == config::ConfigSection::l2tp_global) {
    if (was_enabled_ && !config_.l2tp.enabled)
      stop_all(stopccn_result::shutting_down, "l2tp disabled");
    was_enabled_ = config_.l2tp.enabled;
    if (udp_ && !options_.port_override && udp_->local().port != config_.l2tp.listen_port) {
      auto st = udp_->open(options_.bind_address, config_.l2tp.listen_port, udp_receive_buffer());
      if (!st) log_error(kL2tp, "event=listen_failed error=\"" + st.error() + "\"");
    } else if (udp_ && udp_->receive_buffer() != udp_receive_buffer()) {
      udp_->set_receive_buffer(udp_receive_buffer());
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

}  // namespace vpdnd::vpdn
