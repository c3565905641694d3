// LNS tunnels in setup on a hostile wire: the caps in total and per source, the byte
// budget towards a source that has not shown it receives us, the setup timeout
// (EngineOptions, docs/SECURITY.md).
#include "vpdn/engine/internal.hpp"

namespace vpdnd::vpdn {

L2tpEngine::Impl::SourceState* L2tpEngine::Impl::source_for_sccrq(Ipv4 a) {
  if (SourceState* s = source(a)) return s;
  if (sources_.size() >= max_sources()) return nullptr;
  if (!source_sweep_timer_.armed()) arm_source_sweep();
  return &sources_[a.value];
}

void L2tpEngine::Impl::arm_source_sweep() {
  source_sweep_timer_.arm(kSourceIdle, [this] {
    const TimePoint now = timers_.now();
    std::erase_if(sources_, [now](const auto& kv) {
      return kv.second.in_setup == 0 && now - kv.second.last >= kSourceIdle;
    });
    if (!sources_.empty()) arm_source_sweep();
  });
}

// An SCCRQ refused by the caps: counted, and a warning at most every 10 s.
void L2tpEngine::Impl::setup_refused(std::string_view reason, const Endpoint& from) {
  drop(reason);
  ++sccrq_over_limit_;
  ++setup_refused_unlogged_;
  const TimePoint now = timers_.now();
  if (setup_refused_logged_ != TimePoint{} &&
      now - setup_refused_logged_ < std::chrono::seconds(10))
    return;
  setup_refused_logged_ = now;
  log_warning(kL2tp, "event=sccrq_dropped reason=\"" + std::string(reason) + "\" peer=" +
                         from.to_string() + " dropped=" + std::to_string(setup_refused_unlogged_) +
                         " tunnels_in_setup=" + std::to_string(setup_total_));
  setup_refused_unlogged_ = 0;
}

void L2tpEngine::Impl::leave_setup(Tunnel& t) {
  if (!t.in_setup) return;
  t.in_setup = false;
  t.setup_timer.cancel();
  if (setup_total_) --setup_total_;
  if (SourceState* src = source(t.peer.address); src && src->in_setup) --src->in_setup;
}

// The peer answered on the tunnel id only our SCCRP carried: it receives us.
void L2tpEngine::Impl::peer_proven(Tunnel& t) {
  if (t.peer_proven) return;
  t.peer_proven = true;
  t.transport.set_passive(false);
}

void L2tpEngine::Impl::on_setup_expired(std::uint16_t tid) {
  Tunnel* t = tunnel(tid);
  if (!t || t->dead || !t->in_setup) return;
  ++setup_expired_;
  debug_lazy(kL2tp, DebugClass::error, [&] {
    return "Tunnel " + std::to_string(tid) + ": not established within " +
           std::to_string(
               std::chrono::duration_cast<std::chrono::seconds>(options_.tunnel_setup_timeout)
                   .count()) +
           " s, removed";
  });
  SessionEnd end;
  end.stopccn = true;
  end.peer_lost = true;
  end.result = ResultCode{stopccn_result::general_error, general_error::none, "setup timeout"};
  end.reason = "no answer from peer (tunnel not established in time)";
  clear_sessions(*t, end, false);
  if (!t->dead) remove_tunnel(*t);
}

}  // namespace vpdnd::vpdn
