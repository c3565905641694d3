// CHAP (RFC 1994) on both sides: the authenticator challenges and takes the peer's Response
// to the Authenticator, the peer answers Challenges. The Algorithm in use (AuthState::alg)
// picks MD5 or MS-CHAP (mschap.cpp) for the values and texts.
#include <string>

#include "ppp/core/auth.hpp"

namespace vpdnd::ppp::auth_chap {

std::size_t challenge_size(std::uint8_t alg) {
  return alg == kChapMsV1 ? mschap::kV1ChallengeSize : kChallengeSize;
}

AuthProtocol protocol(std::uint8_t alg) {
  return alg == kChapMsV1   ? AuthProtocol::mschap_v1
         : alg == kChapMsV2 ? AuthProtocol::mschap_v2
                            : AuthProtocol::chap_md5;
}

void start(AuthPort& s, std::uint8_t alg) {
  AuthState& a = s.auth();
  a.kind = AuthKind::chap_server;
  a.alg = alg;
  s.scratch().tries = 0;
  send_challenge(s);
}

void send_challenge(AuthPort& s) {
  AuthScratch& n = s.scratch();
  if (n.tries >= s.max_tries()) {
    s.fail(DownReason::auth_timeout,
           "no CHAP Response after " + std::to_string(n.tries) + " Challenges");
    return;
  }
  ++n.tries;
  s.random(n.challenge);
  AuthState& a = s.auth();
  // RFC 1994 §4.1: the Identifier changes with every Challenge sent.
  a.id = static_cast<std::uint8_t>(a.id + 1);
  s.send(proto::chap,
         encode_chap_value({chap_code::challenge, a.id,
                            Bytes(n.challenge.begin(), n.challenge.begin() + challenge_size(a.alg)),
                            s.challenge_name()}));
  s.retry_later();
}

namespace {

// Peer: a Challenge gets our Response (again, if the server retransmits).
bool answer_challenge(AuthPort& s, const ControlPacket& c) {
  auto ch = decode_chap_value(c);
  if (!ch) return s.drop_malformed("CHAP", ch.error());
  AuthState& a = s.auth();
  Bytes resp;
  if (a.alg == kChapMd5) {
    resp = chap_md5_response(ch->id, s.client_password(), ch->value);
  } else if (!auth_mschap::response(s, a.alg, ch->value, resp)) {
    return s.drop_malformed(
        "CHAP", {DecodeError::Kind::bad_length, 4, "MS-CHAP Challenge of the wrong size"});
  }
  a.id = ch->id;
  s.send(proto::chap, encode_chap_value({chap_code::response, ch->id, resp, s.client_user()}));
  if (!a.done) s.wait_for_peer();
  return true;
}

// Peer: the server's Success or Failure.
bool take_status(AuthPort& s, const ControlPacket& c) {
  auto st = decode_chap_status(c);
  if (!st) return s.drop_malformed("CHAP", st.error());
  AuthState& a = s.auth();
  if (st->id != a.id || a.done) return false;
  if (st->code != chap_code::success) {
    a.done = true;
    s.fail(DownReason::auth_failed, std::string(a.alg == kChapMd5 ? "CHAP" : "MS-CHAP") +
                                        " Failure from the peer: " + st->message);
  } else if (a.alg == kChapMsV2 && !auth_mschap::server_proved(s, st->message)) {
    a.done = true;
    s.fail(DownReason::auth_failed,
           "MS-CHAP-V2 Success without the right authenticator response: the peer does not "
           "know our password");
  } else {
    s.accepted();
  }
  return true;
}

// Authenticator: the peer's Response to our Challenge.
bool take_response(AuthPort& s, const ControlPacket& c) {
  auto r = decode_chap_value(c);
  if (!r) return s.drop_malformed("CHAP", r.error());
  AuthState& a = s.auth();
  if (r->id != a.id) return false;  // RFC 1994 §4.1: must match the Challenge
  if (a.done) {
    if (a.replied) s.resend_reply(a.id);
    return true;
  }
  if (a.pending) return true;
  if (a.alg != kChapMd5 && r->value.size() != mschap::kResponseSize)
    return s.drop_malformed(
        "CHAP", {DecodeError::Kind::bad_length, 4, "MS-CHAP Response value not 49 octets"});
  s.stop_waiting();
  s.claim(r->name);
  const ByteView challenge = ByteView(s.scratch().challenge).first(challenge_size(a.alg));
  if (ProxyData* p = s.proxy_out()) {
    // RFC 2661 carries CHAP and MS-CHAP v1 (Proxy Authen Type 5); nothing for v2, whose
    // LNS authenticates the user itself.
    p->auth_type = a.alg == kChapMd5    ? ProxyAuthType::chap
                   : a.alg == kChapMsV1 ? ProxyAuthType::mschap_v1
                                        : ProxyAuthType::none;
    p->auth_name = r->name;
    p->auth_id = r->id;
    p->auth_challenge.clear();
    p->auth_response.clear();
    if (a.alg != kChapMsV2) {
      p->auth_challenge.assign(challenge.begin(), challenge.end());
      p->auth_response = r->value;
    }
  }
  AuthRequest ar;
  ar.method = a.alg == kChapMd5    ? AuthMethod::chap_md5
              : a.alg == kChapMsV1 ? AuthMethod::mschap_v1
                                   : AuthMethod::mschap_v2;
  ar.user = r->name;
  ar.chap_id = r->id;
  ar.chap_challenge.assign(challenge.begin(), challenge.end());
  ar.chap_response = r->value;
  s.verify(ar);
  return true;
}

}  // namespace

bool receive(AuthPort& s, const ControlPacket& c, bool client) {
  if (client) {
    if (s.auth().kind != AuthKind::chap_client) return false;
    return c.code == chap_code::challenge ? answer_challenge(s, c) : take_status(s, c);
  }
  if (s.auth().kind != AuthKind::chap_server || c.code != chap_code::response) return false;
  return take_response(s, c);
}

Bytes reply(const AuthState& a, const AuthScratch* scratch, std::uint8_t id, const AuthVerdict& v) {
  const std::uint8_t code = v.accepted ? chap_code::success : chap_code::failure;
  if (a.alg == kChapMd5) return encode_chap_status({code, id, std::string(v.message)});
  const ByteView challenge =
      scratch ? ByteView(scratch->challenge).first(challenge_size(a.alg)) : ByteView();
  return encode_chap_status({code, id, auth_mschap::reply_text(a.alg, challenge, v)});
}

}  // namespace vpdnd::ppp::auth_chap
