// PAP (RFC 1334 §2) on both sides: the authenticator takes the peer's Authenticate-Request
// to the Authenticator, the peer sends ours until the authenticator answers.
#include <string>

#include "ppp/core/auth.hpp"

namespace vpdnd::ppp::auth_pap {

void send_request(AuthPort& s) {
  AuthScratch& n = s.scratch();
  if (n.tries >= s.max_tries()) {
    s.fail(DownReason::auth_timeout, "no PAP reply after " + std::to_string(n.tries) + " requests");
    return;
  }
  ++n.tries;
  AuthState& a = s.auth();
  a.id = static_cast<std::uint8_t>(a.id + 1);
  s.send(proto::pap, encode_pap_request({a.id, s.client_user(), s.client_password()}));
  s.retry_later();
}

namespace {

bool receive_reply(AuthPort& s, const ControlPacket& c) {
  if (c.code != pap_code::ack && c.code != pap_code::nak) return false;
  auto rep = decode_pap_reply(c);
  if (!rep) return s.drop_malformed("PAP", rep.error());
  AuthState& a = s.auth();
  if (rep->id != a.id || a.done) return false;
  s.stop_waiting();
  if (rep->code == pap_code::ack) {
    s.accepted();
  } else {
    a.done = true;
    s.fail(DownReason::auth_failed, "PAP rejected by the peer: " + rep->message);
  }
  return true;
}

bool receive_request(AuthPort& s, const ControlPacket& c) {
  auto req = decode_pap_request(c);
  if (!req) return s.drop_malformed("PAP", req.error());
  AuthState& a = s.auth();
  if (a.done) {
    // Our Ack/Nak was lost and the peer retransmits: answer the same (with its id).
    if (a.replied) s.resend_reply(req->id);
    return true;
  }
  if (a.pending) return true;  // a retransmission while AAA works
  a.id = req->id;
  s.claim(req->peer_id);
  if (ProxyData* p = s.proxy_out()) {
    p->auth_type = ProxyAuthType::pap;
    p->auth_name = req->peer_id;
    p->auth_id = req->id;
    p->auth_challenge.clear();
    p->auth_response.assign(req->password.begin(), req->password.end());
  }
  s.stop_waiting();
  AuthRequest ar;
  ar.method = AuthMethod::pap;
  ar.user = req->peer_id;
  ar.password = req->password;
  s.verify(ar);
  return true;
}

}  // namespace

bool receive(AuthPort& s, const ControlPacket& c) {
  switch (s.auth().kind) {
    case AuthKind::pap_client:
      return receive_reply(s, c);
    case AuthKind::pap_server:
      return c.code == pap_code::request && receive_request(s, c);
    default:
      return false;
  }
}

Bytes reply(std::uint8_t id, const AuthVerdict& v) {
  return encode_pap_reply({v.accepted ? pap_code::ack : pap_code::nak, id, std::string(v.message)});
}

}  // namespace vpdnd::ppp::auth_pap
