// L2tpEngine: the public API of vpdn/engine.hpp, forwarding to L2tpEngine::Impl
// (vpdn/engine/internal.hpp names the file that defines each part of it).
#include "vpdn/engine.hpp"

#include <boost/asio/io_context.hpp>

#include "vpdn/engine/internal.hpp"

namespace vpdnd::vpdn {

L2tpEngine::Impl::Impl(const config::RunningConfig& config, TimerService& timers,
                       RandomSource& random, EngineOptions options)
    : config_(config),
      timers_(timers),
      random_(random),
      options_(std::move(options)),
      reap_timer_(timers),
      shutdown_timer_(timers),
      source_sweep_timer_(timers) {
  sid_use_.assign(65536, 0);
  was_enabled_ = config_.l2tp.enabled;
}
L2tpEngine::Impl::~Impl() {
  // Quiet teardown: no callbacks into a handler that may already be gone.
  for (auto& [id, t] : tunnels_) t->transport.shutdown();
}

// ---- Tunnel sink ----
void Tunnel::transmit(const Bytes& packet, bool retransmission) {
  engine.transmit(*this, packet, retransmission);
}
void Tunnel::deliver(Bytes packet) {
  engine.on_control(*this, std::move(packet));
}
void Tunnel::failed() {
  engine.on_tunnel_failed(*this);
}

// ---- facade ----
L2tpEngine::L2tpEngine(const config::RunningConfig& config, TimerService& timers,
                       RandomSource& random, EngineOptions options)
    : impl_(std::make_unique<Impl>(config, timers, random, std::move(options))) {}
L2tpEngine::~L2tpEngine() = default;

void L2tpEngine::set_handler(SessionHandler* handler) {
  impl_->handler_ = handler;
}
void L2tpEngine::set_admission(std::function<bool(const Endpoint&)> admit) {
  impl_->admit_ = std::move(admit);
}
void L2tpEngine::set_egress_check(std::function<bool(const Endpoint&)> may_send) {
  impl_->may_send_ = std::move(may_send);
}
void L2tpEngine::attach(DatagramPort* port) {
  impl_->port_ = port;
}

Status<std::string> L2tpEngine::open_udp(boost::asio::io_context& io) {
  auto* im = impl_.get();
  im->udp_ = std::make_unique<detail::UdpPort>(
      io, [im](const Endpoint& from, ByteView data) { im->on_datagram(from, data); },
      [im](std::span<const ByteView> batch) { im->prefetch_data(batch); });
  auto st = im->udp_->open(im->options_.bind_address,
                           im->options_.port_override.value_or(im->config_.l2tp.listen_port),
                           im->udp_receive_buffer());
  if (!st) return st;
  im->port_ = im->udp_.get();
  return {};
}
Endpoint L2tpEngine::local_endpoint() const {
  return impl_->local_endpoint();
}

void L2tpEngine::on_datagram(const Endpoint& from, ByteView datagram) {
  impl_->on_datagram(from, datagram);
}
void L2tpEngine::on_config_change(const config::ConfigChange& change) {
  impl_->on_config_change(change);
}
Result<CallHandle, std::string> L2tpEngine::place_call(LacCallRequest request,
                                                       LacCallbacks callbacks) {
  return impl_->place_call(std::move(request), std::move(callbacks));
}
void L2tpEngine::cancel_call(CallHandle handle) {
  impl_->cancel_call(handle);
}
bool L2tpEngine::send_data(SessionRef ref, ByteView frame) {
  return impl_->send_data(ref, frame);
}
bool L2tpEngine::close_session(SessionRef ref, std::uint16_t result, std::optional<Q931Cause> q931,
                               std::string message) {
  return impl_->close_session(ref, result, std::move(q931), std::move(message));
}
bool L2tpEngine::close_tunnel(std::uint16_t id, std::uint16_t result) {
  return impl_->close_tunnel(id, result);
}
void L2tpEngine::set_session_user(SessionRef ref, const std::string& user,
                                  std::optional<Ipv4> address, const std::string& interface,
                                  const std::string& auth_method) {
  Session* s = impl_->session(ref);
  if (!s) return;
  s->address = address;
  // One rebuild of the session's text block for the three.
  const std::string_view u = user.empty() ? s->get(Session::user) : std::string_view(user);
  std::string_view i = s->get(Session::interface);
  if (!interface.empty()) {
    s->interface_form = Impl::interface_form(*impl_->tunnel(ref.tunnel), *s, interface);
    i = s->interface_form == Session::Interface::stored ? std::string_view(interface)
                                                        : std::string_view();
  }
  const std::string_view m =
      auth_method.empty() ? s->get(Session::auth_method) : std::string_view(auth_method);
  PackedStrings<Session::Text::count> text{s->get(Session::calling_number),
                                           s->get(Session::called_number), u, i, m};
  s->text = std::move(text);
}
void L2tpEngine::set_session_tag(SessionRef ref, std::uint32_t tag) {
  if (Session* s = impl_->session(ref)) s->handler_tag = tag;
}
void L2tpEngine::shutdown(std::function<void()> done, Duration limit) {
  impl_->shutdown(std::move(done), limit);
}
std::vector<TunnelStatus> L2tpEngine::snapshot_tunnels() const {
  return impl_->snapshot_tunnels();
}
std::vector<SessionStatus> L2tpEngine::snapshot_sessions() const {
  return impl_->snapshot_sessions();
}
std::vector<SessionStatus> L2tpEngine::snapshot_sessions(std::uint16_t after_tunnel,
                                                         std::uint16_t after_session,
                                                         std::size_t limit) const {
  return impl_->snapshot_sessions(after_tunnel, after_session, limit);
}
namespace {
// The session `ref` names, or nullptr.
Session* find_session(L2tpEngine::Impl& impl, SessionRef ref) {
  Tunnel* t = impl.tunnel(ref.tunnel);
  if (!t) return nullptr;
  return t->sessions.get(ref.session);
}
}  // namespace

std::optional<SessionStatus> L2tpEngine::session_status(SessionRef ref) const {
  Session* s = find_session(*impl_, ref);
  if (!s) return std::nullopt;
  return impl_->session_status(*impl_->tunnel(ref.tunnel), *s);
}

std::optional<L2tpEngine::DataNumbering> L2tpEngine::data_numbering(SessionRef ref) const {
  Session* s = find_session(*impl_, ref);
  if (!s) return std::nullopt;
  return DataNumbering{s->sequencing, s->data_ns};
}

bool L2tpEngine::resume_data_numbering(SessionRef ref, std::uint16_t next_ns) {
  Session* s = find_session(*impl_, ref);
  if (!s) return false;
  s->data_ns = next_ns;
  s->data_resync = true;
  return true;
}
L2tpStatistics L2tpEngine::statistics() const {
  return impl_->statistics();
}
void L2tpEngine::reset_statistics() {
  impl_->reset_statistics();
}

std::string L2tpEngine::reset_tunnel_id(std::uint16_t id) {
  if (!impl_->close_tunnel(id, stopccn_result::clear))
    return "% Tunnel " + std::to_string(id) + " does not exist.";
  return "";
}
std::string L2tpEngine::reset_tunnel_name(const std::string& name) {
  std::vector<std::uint16_t> ids;
  for (auto& [id, t] : impl_->tunnels_)
    if (t->remote_name == name) ids.push_back(id);
  if (ids.empty()) return "% No tunnel to remote " + name + ".";
  for (auto id : ids) impl_->close_tunnel(id, stopccn_result::clear);
  return "";
}
std::string L2tpEngine::reset_session_id(std::uint16_t id) {
  std::vector<SessionRef> refs;
  for (auto& [tid, t] : impl_->tunnels_)
    if (t->sessions.count(id)) refs.push_back(SessionRef{tid, id});
  if (refs.empty()) return "% Session " + std::to_string(id) + " does not exist.";
  for (auto r : refs) impl_->close_session(r, cdn_result::administrative, std::nullopt, {});
  return "";
}
std::size_t L2tpEngine::tunnel_count() const {
  return impl_->tunnels_.size();
}
std::size_t L2tpEngine::session_count() const {
  return impl_->session_total_;
}

}  // namespace vpdnd::vpdn
