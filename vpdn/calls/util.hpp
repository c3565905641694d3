// Internal helpers of vpdnd_vpdn_calls (not a public header).
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "vpdn/calls.hpp"

namespace vpdnd::vpdn::calls_detail {

// Comware's CHAP authenticator names itself in the Challenge with the template's
// `ppp chap user` if set, else the sysname; read per Challenge so a change applies at once.
inline std::string chap_challenge_name(const config::RunningConfig& cfg, std::uint16_t vt) {
  auto t = cfg.virtual_templates.find(vt);
  if (t != cfg.virtual_templates.end() && !t->second.chap_user.empty()) return t->second.chap_user;
  return cfg.sysname;
}

// What a PPP down reason means to each side the call spans: the L2TP hang-up cause and the
// accounting Stop's Acct-Terminate-Cause (RFC 2866 §5.10). One row per reason so the two
// cannot drift apart.
struct DownCauses {
  HangupCause hangup;
  aaa::TerminateCause terminate;
};

inline DownCauses down_causes(ppp::DownReason r) {
  using R = ppp::DownReason;
  using H = HangupCause;
  using C = aaa::TerminateCause;
  switch (r) {
    case R::peer_terminated:
      return {H::user_request, C::user_request};
    case R::lower_down:
      return {H::lower_layer, C::lost_carrier};
    case R::echo_timeout:
      return {H::keepalive, C::lost_carrier};
    case R::admin:
      return {H::admin, C::admin_reset};
    case R::session_timeout:
      return {H::admin, C::session_timeout};
    case R::auth_failed:
    case R::auth_timeout:
      return {H::auth_failed, C::user_error};
    case R::lcp_failed:
    case R::ipcp_failed:
    case R::loopback:
    case R::protocol_rejected:
      return {H::negotiation, C::service_unavailable};
  }
  return {H::admin, C::nas_error};
}

inline ppp::AuthResult to_ppp(const aaa::AuthResult& a) {
  ppp::AuthResult r;
  r.accepted = a.accepted;
  r.message = !a.reply_message.empty()
                  ? a.reply_message
                  : (a.accepted ? "Welcome" : std::string(aaa::to_string(a.failure)));
  r.framed_address = a.framed_ip;
  r.framed_pool = a.framed_pool;
  if (a.session_timeout_s) r.session_timeout = std::chrono::seconds(*a.session_timeout_s);
  if (a.idle_timeout_s) r.idle_timeout = std::chrono::seconds(*a.idle_timeout_s);
  r.mschap_auth_response = a.mschap_auth_response;
  r.mschap_error = a.mschap_error;
  r.mppe_keys = a.mppe_keys;
  return r;
}

// The AAA credentials for what a PPP authenticator received.
inline aaa::Credentials to_credentials(const ppp::AuthRequest& r) {
  switch (r.method) {
    case ppp::AuthMethod::pap:
      return aaa::PapCredentials{r.password};
    case ppp::AuthMethod::chap_md5:
      return aaa::ChapCredentials{r.chap_id, r.chap_challenge, r.chap_response};
    case ppp::AuthMethod::mschap_v1:
    case ppp::AuthMethod::mschap_v2:
      return aaa::MsChapCredentials{
          static_cast<std::uint8_t>(r.method == ppp::AuthMethod::mschap_v1 ? 1 : 2), r.chap_id,
          r.chap_challenge, r.chap_response};
  }
  return aaa::PapCredentials{};
}

// Runs `act` on the call `id` of `calls` (a map to owning pointers); false when there is none.
template <class Calls, class Id, class Act>
bool with_call(Calls& calls, const Id& id, Act act) {
  auto it = calls.find(id);
  if (it == calls.end()) return false;
  act(*it->second);
  return true;
}

// Runs `act` on each call of `ids` still present: acting on one call may end others, which
// leaves them in `ids` but takes them out of `calls`, so each is looked up again.
template <class Calls, class Ids, class Act>
void for_each_call(Calls& calls, const Ids& ids, Act act) {
  for (const auto& id : ids) with_call(calls, id, act);
}

// Takes the call that reported its end out of `calls`: it is still on the stack of that
// very callback, so the graveyard frees it later, from a zero-delay timer.
template <class Calls, class Id, class Graveyard>
void bury_call(Calls& calls, Graveyard& graveyard, const Id& id) {
  auto it = calls.find(id);
  if (it == calls.end()) return;
  graveyard.park(std::move(it->second));
  calls.erase(it);
}

inline std::string key(SessionRef id) {
  return std::to_string(id.tunnel) + "/" + std::to_string(id.session);
}

inline std::string key(AccessId id) {
  return "pppoe " + std::to_string(id.port) + "/" + std::to_string(id.session);
}

}  // namespace vpdnd::vpdn::calls_detail
