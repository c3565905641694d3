// DataPath: the calls' packets between the TUN devices and the L2TP engine, and the engine's
// session events to the calls. See vpdn/data_path.hpp for the contract.
#include "vpdn/data_path.hpp"

#include <string>

#include "common/log.hpp"

namespace vpdnd::vpdn {

namespace {

std::uint16_t cdn_result_for(HangupCause c) {
  using C = HangupCause;
  switch (c) {
    case C::user_request:
    case C::keepalive:
    case C::lower_layer:
      return cdn_result::lost_carrier;
    case C::auth_failed:
    case C::negotiation:
      return cdn_result::general_error;
    case C::admin:
      return cdn_result::administrative;
    case C::not_vpdn_user:
      return cdn_result::invalid_destination;
  }
  return cdn_result::administrative;
}

// RFC 2866 §5.10 for an L2TP-side end of an LNS session.
aaa::TerminateCause terminate_cause_for(const SessionEnd& end) {
  using C = aaa::TerminateCause;
  if (end.peer_lost) return C::lost_service;  // Hello/retransmission timeout
  if (!end.by_peer) return C::admin_reset;    // reset here, `undo l2tp enable`
  if (end.stopccn) {
    return end.result.result == stopccn_result::shutting_down ? C::admin_reboot : C::nas_request;
  }
  return C::lost_carrier;  // the LAC cleared the call (its user hung up or was lost)
}

}  // namespace

DataPath::DataPath(config::ConfigStore& store, L2tpEngine& engine)
    : store_(store), engine_(engine) {}

std::optional<DataPath::Sequencing> DataPath::sequencing(SessionRef ref) const {
  auto it = sequencing_.find(ref);
  if (it == sequencing_.end()) return std::nullopt;
  return it->second;
}

void DataPath::from_tun(std::uint16_t vt, ByteView packet) {
  if (auto_ && auto_->on_tun_packet(vt, packet)) return;
  if (lac_ && lac_->on_tun_packet(vt, packet)) return;
  if (lns_) lns_->on_tun_packet(vt, packet);
}

void DataPath::from_kernel(SessionRef ref, ByteView frame) {
  if (lns_) lns_->on_l2tp_data(ref, frame);
}

void DataPath::close_session(SessionRef ref) {
  sequencing_.erase(ref);
  engine_.close_session(ref, cdn_result::administrative);
}

bool DataPath::on_incoming_session(const IncomingSession& s) {
  const auto& cfg = store_.running();
  auto t = cfg.virtual_templates.find(s.virtual_template);
  const std::string call = "tunnel=" + std::to_string(s.ref.tunnel) +
                           " session=" + std::to_string(s.ref.session) + " virtual-template " +
                           std::to_string(s.virtual_template);
  if (t == cfg.virtual_templates.end()) {
    log_warning(DebugModule::l2tp, call + " does not exist: call refused");
    return false;
  }
  if (t->second.shutdown) {
    log_info(DebugModule::l2tp, call + " is shut down: call refused");
    return false;
  }
  if (record_sequencing_) sequencing_[s.ref] = {s.sequencing_required, 0};
  return true;
}

void DataPath::on_session_established(const IncomingSession& s) {
  if (lns_) lns_->on_call_up(s);
}

void DataPath::on_session_down(SessionRef ref, const SessionEnd& end) {
  sequencing_.erase(ref);
  if (lns_) lns_->on_call_down(ref, terminate_cause_for(end));
}

void DataPath::on_data(SessionRef ref, ByteView frame) {
  on_tagged_data(ref, frame, 0);
}

void DataPath::on_tagged_data(SessionRef ref, ByteView frame, std::uint32_t tag) {
  if (auto_ && auto_->on_l2tp_data(ref, frame)) return;
  if (lac_ && lac_->on_l2tp_data(ref, frame)) return;
  if (lns_) lns_->on_l2tp_data(ref, frame, tag);
}

void DataPath::prefetch_tagged(std::uint32_t tag, unsigned step) {
  if (lns_) lns_->prefetch_tagged(tag, step);
}

void DataPath::set_session_tag(SessionRef call, std::uint32_t tag) {
  engine_.set_session_tag(call, tag);
}

void DataPath::send_ppp(SessionRef call, ByteView frame) {
  if (kernel_send_ && kernel_send_(call, frame)) return;
  if (!engine_.send_data(call, frame)) return;
  if (auto s = sequencing_.find(call); s != sequencing_.end() && s->second.on) ++s->second.sent;
}

void DataPath::hang_up(SessionRef call, HangupCause cause) {
  sequencing_.erase(call);
  engine_.close_session(call, cdn_result_for(cause), std::nullopt, std::string(to_string(cause)));
}

void DataPath::set_call_info(SessionRef call, const std::string& user, std::optional<Ipv4> address,
                             const std::string& interface, const std::string& auth_method) {
  engine_.set_session_user(call, user, address, interface, auth_method);
}

Result<CallHandle, std::string> DataPath::place_call(LacCallRequest request,
                                                     LacCallbacks callbacks) {
  return engine_.place_call(std::move(request), std::move(callbacks));
}

void DataPath::cancel_call(CallHandle handle) {
  engine_.cancel_call(handle);
}

}  // namespace vpdnd::vpdn
