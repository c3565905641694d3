#include "aaa/radius/dae.hpp"

#include <algorithm>
#include <cstdlib>

#include "common/log.hpp"
#include "common/printable.hpp"

namespace vpdnd::aaa::radius {

namespace {}  // namespace

RequestCheck check_request(std::span<const std::uint8_t> d, std::string_view secret, Packet* out) {
  auto p = decode(d);
  if (!p || (p->code != kDisconnectRequest && p->code != kCoaRequest))
    return RequestCheck::malformed;
  const std::size_t length = (std::size_t{d[2]} << 8) | d[3];
  std::vector<std::uint8_t> buf(d.begin(), d.begin() + length);
  std::fill(buf.begin() + 4, buf.begin() + 20, 0);
  const auto expect = md5({buf, bytes(secret)});
  if (!equal_secret(expect, p->authenticator)) return RequestCheck::bad_authenticator;
  // One without a Message-Authenticator passes: its Request Authenticator matched above.
  if (check_message_authenticator(buf, length, secret) == MessageAuthenticatorCheck::bad)
    return RequestCheck::bad_message_authenticator;
  if (out) *out = std::move(*p);
  return RequestCheck::ok;
}

std::vector<std::uint8_t> encode_request(std::uint8_t code, std::uint8_t id,
                                         const std::vector<Attribute>& attributes,
                                         std::string_view secret, bool message_authenticator) {
  std::vector<std::uint8_t> out{code, id, 0, 0};
  out.resize(kHeaderSize, 0);
  std::size_t ma = 0;
  if (message_authenticator) {
    out.push_back(PW_MESSAGE_AUTHENTICATOR);
    out.push_back(18);
    ma = out.size();
    out.resize(out.size() + 16, 0);
  }
  for (const auto& a : attributes) {
    const bool placeholder = a.type == PW_MESSAGE_AUTHENTICATOR && a.value.size() == 16;
    out.push_back(a.type);
    out.push_back(static_cast<std::uint8_t>(a.value.size() + 2));
    if (placeholder && !ma) ma = out.size();
    if (placeholder)
      out.resize(out.size() + 16, 0);
    else
      out.insert(out.end(), a.value.begin(), a.value.end());
  }
  out[2] = static_cast<std::uint8_t>(out.size() >> 8);
  out[3] = static_cast<std::uint8_t>(out.size());
  if (ma) {
    const auto mac = hmac_md5(secret, out);
    std::copy(mac.begin(), mac.end(), out.begin() + static_cast<std::ptrdiff_t>(ma));
  }
  const auto auth = md5({out, bytes(secret)});
  std::copy(auth.begin(), auth.end(), out.begin() + 4);
  return out;
}

DaeProcessor::DaeProcessor(DaeSessions& sessions, WallClock clock)
    : sessions_(sessions), clock_(std::move(clock)) {}

void DaeProcessor::expire(std::int64_t now) {
  while (!order_.empty()) {
    auto it = cache_.find(order_.front());
    if (it != cache_.end() && now - it->second.time < kWindowSeconds &&
        cache_.size() <= kCacheCapacity)
      break;
    if (it != cache_.end()) cache_.erase(it);
    order_.pop_front();
  }
}

std::optional<std::vector<std::uint8_t>> DaeProcessor::handle(
    const config::DynamicAuthor& config, Ipv4 from, std::uint16_t from_port,
    std::span<const std::uint8_t> datagram) {
  auto client = config.clients.find(from.value);
  if (!config.enabled || client == config.clients.end() || client->second.key.empty()) {
    ++stats_.unknown_client;
    return std::nullopt;
  }
  const std::string& secret = client->second.key.plain;
  Packet p;
  switch (check_request(datagram, secret, &p)) {
    case RequestCheck::ok:
      break;
    case RequestCheck::malformed:
      ++stats_.malformed;
      return std::nullopt;
    case RequestCheck::bad_authenticator:
      ++stats_.bad_authenticator;
      return std::nullopt;
    case RequestCheck::bad_message_authenticator:
      ++stats_.bad_message_authenticator;
      return std::nullopt;
  }
  const std::int64_t now = clock_();
  expire(now);
  const Key key{from.value, from_port, p.id, p.authenticator};
  if (auto it = cache_.find(key); it != cache_.end()) {
    ++stats_.duplicates;
    return it->second.answer;
  }
  bool message_authenticator = false;
  for (const auto& a : p.attributes) {
    if (a.type == PW_MESSAGE_AUTHENTICATOR) message_authenticator = true;
    if (a.type != PW_EVENT_TIMESTAMP) continue;
    auto t = as_u32(a.value);
    // RFC 5176 §3.4: outside the window, silently discarded.
    if (!t ||
        std::llabs(static_cast<long long>(now) - static_cast<long long>(*t)) > kWindowSeconds) {
      ++stats_.stale;
      return std::nullopt;
    }
  }
  auto answer = act(p, from, secret, message_authenticator);
  cache_[key] = {now, answer};
  order_.push_back(key);
  expire(now);
  return answer;
}

std::vector<std::uint8_t> DaeProcessor::act(const Packet& p, Ipv4 from, std::string_view secret,
                                            bool message_authenticator) {
  const bool disconnect = p.code == kDisconnectRequest;
  DaeSelector sel;
  DaeChange change;
  std::optional<std::uint32_t> error;
  std::vector<Attribute> echoed;  // Proxy-State, copied in order (RFC 2865 §5.33)
  for (const auto& a : p.attributes) {
    switch (a.type) {
      case PW_USER_NAME:
        if (a.value.empty()) error = kInvalidRequest;
        sel.user_name = std::string(a.value.begin(), a.value.end());
        break;
      case PW_ACCT_SESSION_ID:
        if (a.value.empty()) error = kInvalidRequest;
        sel.acct_session_id = std::string(a.value.begin(), a.value.end());
        break;
      case PW_FRAMED_IP_ADDRESS:
        if (auto u = as_u32(a.value)) {
          sel.framed_ip = Ipv4{*u};
        } else {
          error = kInvalidRequest;
        }
        break;
      case PW_NAS_PORT:
        if (auto u = as_u32(a.value)) {
          sel.nas_port = *u;
        } else {
          error = kInvalidRequest;
        }
        break;
      case PW_SESSION_TIMEOUT:
      case PW_IDLE_TIMEOUT:
        if (disconnect) {
          if (!error) error = kUnsupportedAttribute;
        } else if (auto u = as_u32(a.value)) {
          (a.type == PW_SESSION_TIMEOUT ? change.session_timeout_s : change.idle_timeout_s) = *u;
        } else {
          error = kInvalidRequest;
        }
        break;
      // NAS identification (we answer for every address we own), freshness and integrity
      // (checked already).
      case PW_NAS_IP_ADDRESS:
      case PW_NAS_IDENTIFIER:
      case PW_EVENT_TIMESTAMP:
      case PW_MESSAGE_AUTHENTICATOR:
        break;
      case PW_PROXY_STATE:
        echoed.push_back(a);
        break;
      default:
        if (!error) error = kUnsupportedAttribute;
        break;
    }
  }
  if (!error && sel.empty()) error = kMissingAttribute;
  if (!error && !disconnect && !change.session_timeout_s && !change.idle_timeout_s)
    error = kMissingAttribute;
  DaeOutcome outcome;
  if (!error) {
    outcome = disconnect ? sessions_.disconnect(sel) : sessions_.change(sel, change);
    if (outcome.matched == 0) {
      error = kSessionContextNotFound;
    } else if (outcome.done < outcome.matched && !disconnect) {
      error = kUnsupportedService;  // e.g. a tunnelled LAC call: its PPP runs at the LNS
    }
  }
  std::string who = sel.user_name ? printable(*sel.user_name) : std::string("-");
  if (disconnect) {
    ++stats_.disconnect_requests;
    ++(error ? stats_.disconnect_naks : stats_.disconnect_acks);
    stats_.sessions_disconnected += outcome.done;
  } else {
    ++stats_.coa_requests;
    ++(error ? stats_.coa_naks : stats_.coa_acks);
    stats_.sessions_changed += outcome.done;
  }
  log_info(DebugModule::aaa, std::string(disconnect ? "Disconnect" : "CoA") + "-Request from " +
                                 from.to_string() + " user=" + who + ": " +
                                 (error ? "NAK Error-Cause " + std::to_string(*error)
                                        : "ACK, " + std::to_string(outcome.done) + " session(s)"));
  AttributeList attrs;
  if (error) attrs.add_u32(PW_ERROR_CAUSE, *error);
  std::vector<Attribute> all = attrs.items();
  all.insert(all.end(), echoed.begin(), echoed.end());
  const std::uint8_t code =
      disconnect ? (error ? kDisconnectNak : kDisconnectAck) : (error ? kCoaNak : kCoaAck);
  return encode_reply(code, p.id, p.authenticator, all, secret, message_authenticator);
}

}  // namespace vpdnd::aaa::radius
