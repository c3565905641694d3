// RFC 2516 access concentrator: stateless PADO (AC-Cookie), PADS on a verified PADR,
// session frames up to the listener, PADT on every end.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "common/log.hpp"
#include "common/printable.hpp"
#include "ppp/pppoe.hpp"

namespace vpdnd::ppp {

namespace {
constexpr std::size_t kCookieStamp = 4;
constexpr std::size_t kCookieMac = 16;  // HMAC-MD5

std::uint32_t stamp_of(TimePoint t) {
  return static_cast<std::uint32_t>(
      std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
}
}  // namespace

PppoeServer::PppoeServer(PppoeServerConfig config, PppoeFrameSink& sink, const Clock& clock,
                         PppoeSessionListener* listener)
    : config_(std::move(config)), sink_(sink), clock_(clock), listener_(listener) {
  if (config_.cookie_secret.empty()) {
    config_.cookie_secret.resize(16);
    if (RAND_bytes(config_.cookie_secret.data(), 16) != 1) {
      // Without a random secret, cookies would be forgeable; fall back to time-seeded
      // bytes and say so (never expected with a working OpenSSL).
      log_warning(DebugModule::pppoe, "event=cookie_secret_fallback reason=RAND_bytes_failed");
      auto seed = clock_.now().time_since_epoch().count();
      for (auto& b : config_.cookie_secret) b = static_cast<std::uint8_t>(seed >>= 3);
    }
  }
  if (config_.max_sessions > 65534) config_.max_sessions = 65534;
}

PppoeServer::~PppoeServer() = default;

std::string PppoeServer::uniq_key(const MacAddress& m, ByteView host_uniq) {
  std::string k(reinterpret_cast<const char*>(m.data()), m.size());
  k.append(reinterpret_cast<const char*>(host_uniq.data()), host_uniq.size());
  return k;
}

std::uint64_t PppoeServer::mac_key(const MacAddress& m) {
  std::uint64_t k = 0;
  for (auto b : m) k = (k << 8) | b;
  return k;
}

void PppoeServer::drop(const char* reason) {
  ++counters_.drops[reason];
  debug_lazy(DebugModule::pppoe, DebugClass::error, [&] {
    return std::string("drop reason=\"") + reason + "\" interface=" + config_.interface;
  });
}

Bytes PppoeServer::make_cookie(const MacAddress& client, TimePoint at) const {
  std::uint32_t stamp = stamp_of(at);
  std::uint8_t msg[6 + kCookieStamp];
  std::memcpy(msg, client.data(), 6);
  for (int i = 0; i < 4; ++i) msg[6 + i] = static_cast<std::uint8_t>(stamp >> (24 - 8 * i));
  Bytes cookie(msg + 6, msg + 6 + kCookieStamp);
  cookie.resize(kCookieStamp + kCookieMac);
  unsigned int len = 0;
  HMAC(EVP_md5(), config_.cookie_secret.data(), static_cast<int>(config_.cookie_secret.size()), msg,
       sizeof msg, cookie.data() + kCookieStamp, &len);
  return cookie;
}

bool PppoeServer::cookie_valid(const MacAddress& client, ByteView cookie) const {
  if (cookie.size() != kCookieStamp + kCookieMac) return false;
  std::uint32_t stamp = (std::uint32_t{cookie[0]} << 24) | (std::uint32_t{cookie[1]} << 16) |
                        (std::uint32_t{cookie[2]} << 8) | cookie[3];
  std::uint32_t now = stamp_of(clock_.now());
  auto lifetime = std::chrono::duration_cast<std::chrono::seconds>(config_.cookie_lifetime).count();
  if (stamp > now || now - stamp > lifetime) return false;
  TimePoint at{std::chrono::seconds(stamp)};
  Bytes expect = make_cookie(client, at);
  return CRYPTO_memcmp(expect.data(), cookie.data(), expect.size()) == 0;
}

void PppoeServer::on_frame(ByteView frame) {
  switch (ether_type(frame)) {
    case kEtherTypePppoeDiscovery:
      on_discovery(frame);
      break;
    case kEtherTypePppoeSession:
      on_session_frame(frame);
      break;
    default:
      drop("not pppoe");
      break;
  }
}

void PppoeServer::on_discovery(ByteView frame) {
  auto p = decode_pppoe_discovery(frame);
  if (!p) {
    drop("malformed");
    debug_lazy(DebugModule::pppoe, DebugClass::error,
               [&] { return "discovery decode: " + to_string(p.error()); });
    return;
  }
  if (p->code != PppoeCode::padi && p->dst != config_.mac) return drop("not for us");
  debug_lazy(DebugModule::pppoe, DebugClass::control, [&] {
    std::string line = std::string("recv ") + std::string(to_string(p->code)) + " from " +
                       to_string(p->src) + " session_id=" + std::to_string(p->session_id) +
                       " interface=" + config_.interface;
    // Tags are the client's bytes: escaped and bounded (common/printable.hpp).
    if (const PppoeTag* t = p->find(pppoe_tag::service_name))
      line += " service=\"" + printable(ByteView(t->value)) + "\"";
    if (const PppoeTag* t = p->find(pppoe_tag::host_uniq))
      line += " host_uniq=" + printable(ByteView(t->value), kCellWidth);
    return line;
  });
  switch (p->code) {
    case PppoeCode::padi:
      on_padi(*p);
      break;
    case PppoeCode::padr:
      on_padr(*p);
      break;
    case PppoeCode::padt:
      on_padt(*p);
      break;
    default:
      drop("not for an AC");
      break;  // PADO/PADS from another AC on the segment
  }
}

bool PppoeServer::service_offered(std::string_view requested) const {
  if (requested.empty() || config_.services.empty()) return true;  // §5.1: empty = any service
  for (const auto& s : config_.services)
    if (s == requested) return true;
  return false;
}

void PppoeServer::echo_tags(const PppoeDiscovery& from, PppoeDiscovery& to) const {
  // §5: Host-Uniq and Relay-Session-Id are echoed unmodified.
  if (const PppoeTag* t = from.find(pppoe_tag::host_uniq)) to.tags.push_back(*t);
  if (const PppoeTag* t = from.find(pppoe_tag::relay_session_id)) to.tags.push_back(*t);
}

void PppoeServer::on_padi(const PppoeDiscovery& p) {
  ++counters_.padi_in;
  std::string service = p.text(pppoe_tag::service_name);
  // §5.2: an AC that cannot serve the request does not answer.
  if (!service_offered(service)) return drop("service not offered");
  if (sessions_.size() >= config_.max_sessions) return drop("session limit");
  PppoeDiscovery o;
  o.dst = p.src;
  o.src = config_.mac;
  o.code = PppoeCode::pado;
  o.add(pppoe_tag::ac_name, config_.ac_name);
  o.add(pppoe_tag::service_name, service);
  // Advertise the other offered services too, as §5.2 allows.
  for (const auto& s : config_.services)
    if (s != service) o.add(pppoe_tag::service_name, s);
  o.add(pppoe_tag::ac_cookie, make_cookie(p.src, clock_.now()));
  echo_tags(p, o);
  sink_.send_frame(encode_pppoe_discovery(o));
  ++counters_.pado_out;
}

void PppoeServer::send_pads_error(const PppoeDiscovery& request, std::uint16_t error_tag,
                                  std::string_view text) {
  PppoeDiscovery s;
  s.dst = request.src;
  s.src = config_.mac;
  s.code = PppoeCode::pads;
  s.session_id = 0;
  s.add(pppoe_tag::service_name, request.text(pppoe_tag::service_name));
  s.add(error_tag, text);
  echo_tags(request, s);
  sink_.send_frame(encode_pppoe_discovery(s));
  ++counters_.pads_errors_out;
}

std::uint16_t PppoeServer::allocate_id() {
  // Sequential with wrap, skipping ids in use: ids are unique while in use and not
  // reused immediately after a session ends (stale frames then hit no session).
  for (std::size_t tries = 0; tries < 65534; ++tries) {
    std::uint16_t id = next_id_;
    next_id_ = next_id_ >= 0xfffe ? 1 : static_cast<std::uint16_t>(next_id_ + 1);
    if (!sessions_.contains(id)) return id;
  }
  return 0;
}

void PppoeServer::on_padr(const PppoeDiscovery& p) {
  ++counters_.padr_in;
  const PppoeTag* cookie = p.find(pppoe_tag::ac_cookie);
  // No state before the cookie checks out: a spoofed PADR flood only costs an HMAC.
  if (!cookie || !cookie_valid(p.src, cookie->value)) return drop("bad cookie");
  const PppoeTag* uniq = p.find(pppoe_tag::host_uniq);
  // A retransmitted PADR (our PADS was lost): answer with the same session again.
  if (auto known = uniq ? by_uniq_.find(uniq_key(p.src, uniq->value)) : by_uniq_.end();
      known != by_uniq_.end()) {
    std::uint16_t id = known->second;
    const Session& s = sessions_.at(id);
    {
      PppoeDiscovery again;
      again.dst = p.src;
      again.src = config_.mac;
      again.code = PppoeCode::pads;
      again.session_id = id;
      again.add(pppoe_tag::service_name, s.service);
      echo_tags(p, again);
      sink_.send_frame(encode_pppoe_discovery(again));
      ++counters_.pads_out;
      return;
    }
  }
  std::string service = p.text(pppoe_tag::service_name);
  if (!service_offered(service)) {
    drop("service not offered");
    return send_pads_error(p, pppoe_tag::service_name_error, "service not offered");
  }
  if (sessions_of(p.src) >= config_.max_sessions_per_mac) {
    drop("per-mac session limit");
    return send_pads_error(p, pppoe_tag::ac_system_error, "per-MAC session limit reached");
  }
  std::uint16_t id = sessions_.size() >= config_.max_sessions ? 0 : allocate_id();
  if (id == 0) {
    drop("session limit");
    return send_pads_error(p, pppoe_tag::ac_system_error, "session limit reached");
  }
  Session s;
  s.peer = p.src;
  if (uniq) s.host_uniq = uniq->value;
  s.service = service;
  s.created = clock_.now();
  sessions_.emplace(id, std::move(s));
  ++per_mac_[mac_key(p.src)];
  if (uniq) by_uniq_[uniq_key(p.src, uniq->value)] = id;
  ++counters_.sessions_opened;

  PppoeDiscovery pads;
  pads.dst = p.src;
  pads.src = config_.mac;
  pads.code = PppoeCode::pads;
  pads.session_id = id;
  pads.add(pppoe_tag::service_name, service);
  echo_tags(p, pads);
  sink_.send_frame(encode_pppoe_discovery(pads));
  ++counters_.pads_out;
  log_info(DebugModule::pppoe, "event=session_up interface=" + config_.interface + " session_id=" +
                                   std::to_string(id) + " mac=" + to_string(p.src));
  if (listener_) listener_->on_session_open(id, p.src, service);
}

void PppoeServer::on_padt(const PppoeDiscovery& p) {
  ++counters_.padt_in;
  auto it = sessions_.find(p.session_id);
  if (it == sessions_.end()) return drop("unknown session");
  if (it->second.peer != p.src) return drop("wrong peer mac");
  erase(p.session_id, PppoeCloseReason::peer_padt, false);
}

void PppoeServer::on_session_frame(ByteView frame) {
  auto f = decode_pppoe_session(frame);
  if (!f) return drop("malformed");
  if (f->dst != config_.mac) return drop("not for us");
  auto it = sessions_.find(f->session_id);
  if (it == sessions_.end()) return drop("unknown session");
  if (it->second.peer != f->src) {
    ++it->second.in_discards;
    return drop("wrong peer mac");
  }
  ++counters_.session_frames_in;
  counters_.session_bytes_in += f->ppp.size();
  ++it->second.in_packets;
  it->second.in_octets += f->ppp.size();
  if (listener_) listener_->on_session_frame(f->session_id, f->ppp);
}

bool PppoeServer::send(std::uint16_t session_id, ByteView ppp_frame) {
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) {
    drop("send to unknown session");
    return false;
  }
  // protocol (2) + information must fit the 1494-octet PPPoE payload (MRU 1492 + 2).
  if (ppp_frame.size() > kPppoeMtu + 2u) {
    ++it->second.out_discards;
    drop("frame over MTU");
    return false;
  }
  sink_.send_frame(encode_pppoe_session(it->second.peer, config_.mac, session_id, ppp_frame));
  ++counters_.session_frames_out;
  counters_.session_bytes_out += ppp_frame.size();
  ++it->second.out_packets;
  it->second.out_octets += ppp_frame.size();
  return true;
}

void PppoeServer::erase(std::uint16_t session_id, PppoeCloseReason reason, bool send_padt) {
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) return;
  MacAddress peer = it->second.peer;
  {
    auto u = by_uniq_.find(uniq_key(peer, it->second.host_uniq));
    if (u != by_uniq_.end() && u->second == session_id) by_uniq_.erase(u);
  }
  if (send_padt) {
    PppoeDiscovery t;
    t.dst = peer;
    t.src = config_.mac;
    t.code = PppoeCode::padt;
    t.session_id = session_id;
    t.add(pppoe_tag::ac_name, config_.ac_name);
    sink_.send_frame(encode_pppoe_discovery(t));
    ++counters_.padt_out;
  }
  sessions_.erase(it);
  auto m = per_mac_.find(mac_key(peer));
  if (m != per_mac_.end() && --m->second == 0) per_mac_.erase(m);
  ++counters_.sessions_closed;
  log_info(DebugModule::pppoe, "event=session_down interface=" + config_.interface +
                                   " session_id=" + std::to_string(session_id) + " reason=\"" +
                                   std::string(to_string(reason)) + "\"");
  if (listener_) listener_->on_session_closed(session_id, reason);
}

void PppoeServer::close(std::uint16_t session_id) {
  erase(session_id, PppoeCloseReason::admin, true);
}

void PppoeServer::close_all() {
  std::vector<std::uint16_t> ids;
  ids.reserve(sessions_.size());
  for (const auto& [id, s] : sessions_) ids.push_back(id);
  for (auto id : ids) close(id);
}

void PppoeServer::set_session_info(std::uint16_t session_id, std::string state, std::string user,
                                   std::uint16_t l2tp_tunnel, std::uint16_t l2tp_session) {
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) return;
  it->second.state = std::move(state);
  it->second.user = std::move(user);
  it->second.l2tp_tunnel = l2tp_tunnel;
  it->second.l2tp_session = l2tp_session;
}

std::vector<PppoeSessionStatus> PppoeServer::sessions() const {
  std::vector<PppoeSessionStatus> out;
  out.reserve(sessions_.size());
  TimePoint now = clock_.now();
  for (const auto& [id, s] : sessions_) {
    PppoeSessionStatus st;
    st.session_id = id;
    st.interface = config_.interface;
    st.peer_mac = s.peer;
    st.state = s.state;
    st.user = s.user;
    st.l2tp_tunnel = s.l2tp_tunnel;
    st.l2tp_session = s.l2tp_session;
    st.uptime = std::chrono::duration_cast<std::chrono::seconds>(now - s.created);
    st.local_mac = config_.mac;
    static_cast<PppoeTraffic&>(st) = s;  // the traffic counters
    out.push_back(std::move(st));
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.session_id < b.session_id; });
  return out;
}

std::optional<MacAddress> PppoeServer::peer_of(std::uint16_t session_id) const {
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) return std::nullopt;
  return it->second.peer;
}

std::size_t PppoeServer::sessions_of(const MacAddress& mac) const {
  auto it = per_mac_.find(mac_key(mac));
  return it == per_mac_.end() ? 0 : it->second;
}

}  // namespace vpdnd::ppp
