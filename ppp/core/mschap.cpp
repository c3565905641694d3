// MS-CHAP v1 (RFC 2433) and v2 (RFC 2759) as CHAP algorithms 0x80/0x81: the peer's Response
// and its check of the server's proof, the authenticator's Success/Failure texts. The
// cryptography is common/mschap.hpp (OpenSSL).
#include <algorithm>

#include "ppp/core/auth.hpp"

namespace vpdnd::ppp::auth_mschap {

bool response(AuthPort& s, std::uint8_t alg, ByteView challenge, Bytes& out) {
  const mschap::Hash16 ph = mschap::nt_password_hash(s.client_password());
  if (alg == kChapMsV1) {
    if (challenge.size() != mschap::kV1ChallengeSize) return false;
    mschap::V1Response v;
    v.nt_response = mschap::v1_nt_response(challenge, ph);
    out = mschap::encode_v1_response(v);
    s.keep_keys(mschap::v1_mppe_keys(ph, challenge));
    return true;
  }
  if (challenge.size() != mschap::kV2ChallengeSize) return false;
  AuthScratch& n = s.scratch();
  std::copy(challenge.begin(), challenge.end(), n.challenge.begin());
  s.random(n.peer_challenge);
  mschap::V2Response v;
  v.peer_challenge = n.peer_challenge;
  v.nt_response = mschap::v2_nt_response(challenge, n.peer_challenge, s.client_user(), ph);
  n.nt_response = v.nt_response;
  out = mschap::encode_v2_response(v);
  s.keep_keys(mschap::v2_mppe_keys(ph, v.nt_response, false));
  return true;
}

bool server_proved(AuthPort& s, std::string_view message) {
  auto got = mschap::success_authenticator(message);
  const AuthScratch* n = s.scratch_if_any();
  if (!got || !n) return false;
  return mschap::check_authenticator_response(mschap::nt_password_hash(s.client_password()),
                                              n->nt_response, n->peer_challenge, n->challenge,
                                              s.client_user(), *got);
}

// Success: v2 "S=<authenticator response> M=<text>" (RFC 2759 §5), v1 the text.
// Failure: what RADIUS sent (MS-CHAP-Error), else "E=691 R=0 C=<challenge> V=3 M=..."
// (RFC 2759 §6; no retry: the user dials again).
std::string reply_text(std::uint8_t alg, ByteView challenge, const AuthVerdict& v) {
  if (v.accepted) {
    if (alg == kChapMsV1) return std::string(v.message);
    if (!v.attrs || v.attrs->mschap_auth_response.empty())
      return v.message.empty() ? std::string() : "M=" + std::string(v.message);
    return mschap::v2_success_message(v.attrs->mschap_auth_response, v.message);
  }
  if (v.attrs && !v.attrs->mschap_error.empty()) return v.attrs->mschap_error;
  return mschap::failure_message(mschap::kErrorAuthFailure, false, challenge,
                                 "Authentication failure");
}

}  // namespace vpdnd::ppp::auth_mschap
