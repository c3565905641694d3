// Operator actions: closing a session or tunnel, StopCCN to every peer (`undo l2tp
// enable`, shutdown) and waiting for their acknowledgements on shutdown.
#include "vpdn/engine/internal.hpp"

namespace vpdnd::vpdn {

bool L2tpEngine::Impl::close_session(SessionRef ref, std::uint16_t result,
                                     std::optional<Q931Cause> q931, std::string message) {
  Tunnel* t = tunnel(ref.tunnel);
  if (!t) return false;
  auto it = t->sessions.find(ref.session);
  if (it == t->sessions.end()) return false;
  ResultCode rc{result, std::nullopt, {}};
  if (!message.empty()) {
    rc.error = general_error::none;
    rc.message = std::move(message);
  }
  if (it->second->state != SessionState::wait_tunnel) send_cdn(*t, ref.session, rc, q931);
  SessionEnd end;
  end.result = rc;
  end.q931 = q931;
  end.reason = "closed locally";
  end_session(*t, ref.session, end, false);
  return true;
}

bool L2tpEngine::Impl::close_tunnel(std::uint16_t id, std::uint16_t result) {
  Tunnel* t = tunnel(id);
  if (!t) return false;
  if (t->state == TunnelState::stopping) return true;
  if (t->state == TunnelState::idle) {
    remove_tunnel(*t);
    return true;
  }
  stop_tunnel(*t, ResultCode{result, std::nullopt, {}}, "closed by operator", false,
              StopBy::operator_request);
  return true;
}

void L2tpEngine::Impl::stop_all(std::uint16_t result, const std::string& why) {
  std::vector<std::uint16_t> ids;
  for (auto& [id, t] : tunnels_) ids.push_back(id);
  for (auto id : ids)
    if (Tunnel* t = tunnel(id))
      stop_tunnel(*t, ResultCode{result, std::nullopt, {}}, why, false, StopBy::operator_request);
}

void L2tpEngine::Impl::shutdown(std::function<void()> done, Duration limit) {
  stop_all(stopccn_result::shutting_down, "shutting down");
  shutdown_done_ = std::move(done);
  shutdown_deadline_ = timers_.now() + limit;
  check_shutdown();
}

void L2tpEngine::Impl::check_shutdown() {
  if (!shutdown_done_) return;
  bool all_acked = true;
  for (auto& [id, t] : tunnels_)
    if (!t->transport.idle()) all_acked = false;
  if (all_acked || timers_.now() >= shutdown_deadline_) {
    auto done = std::move(shutdown_done_);
    shutdown_done_ = nullptr;
    shutdown_timer_.cancel();
    done();
    return;
  }
  shutdown_timer_.arm(std::chrono::milliseconds(50), [this] { check_shutdown(); });
}

}  // namespace vpdnd::vpdn
