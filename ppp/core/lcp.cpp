#include "ppp/core/lcp.hpp"

#include <algorithm>

namespace vpdnd::ppp {

namespace {
constexpr std::uint16_t kMinMru = 128;  // pppd's PPP_MINMRU; smaller cannot carry LCP + IP header

Bytes auth_value(AuthProtocol p) {
  ByteWriter v;
  if (p == AuthProtocol::pap) {
    v.u16(proto::pap);
  } else {
    v.u16(proto::chap);
    v.u8(chap_algorithm(p));
  }
  return v.take();
}

Bytes u16_value(std::uint16_t x) {
  ByteWriter v;
  v.u16(x);
  return v.take();
}
Bytes u32_value(std::uint32_t x) {
  ByteWriter v;
  v.u32(x);
  return v.take();
}
}  // namespace

LcpPolicy::LcpPolicy(Params params, Host& host) : params_(std::move(params)), host_(host) {
  if (params_.mru != 1500) want_.mru = params_.mru;
  if (!params_.want_auth.empty()) want_.auth = params_.want_auth.front();
  want_.magic = host_.lcp_new_magic();
  want_.pfc = params_.request_pfc;
  want_.acfc = params_.request_acfc;
}

LcpPolicy::LcpPolicy(Params params, Host& host, const Saved& saved)
    : params_(std::move(params)), host_(host), acked_ours_(saved.ours), acked_peer_(saved.peer) {
  if (saved.has_want_mru) want_.mru = saved.want_mru;
  if (saved.has_want_accm) want_.accm = saved.want_accm;
  if (saved.has_want_auth) want_.auth = saved.want_auth;
  if (saved.has_want_magic) want_.magic = saved.want_magic;
  want_.pfc = saved.want_pfc;
  want_.acfc = saved.want_acfc;
}

LcpPolicy::Saved LcpPolicy::save() const {
  Saved s;
  s.ours = acked_ours_;
  s.peer = acked_peer_;
  s.has_want_mru = want_.mru.has_value();
  s.want_mru = want_.mru.value_or(0);
  s.has_want_accm = want_.accm.has_value();
  s.want_accm = want_.accm.value_or(0);
  s.has_want_auth = want_.auth.has_value();
  s.want_auth = want_.auth.value_or(AuthProtocol::none);
  s.has_want_magic = want_.magic.has_value();
  s.want_magic = want_.magic.value_or(0);
  s.want_pfc = want_.pfc;
  s.want_acfc = want_.acfc;
  return s;
}

Bytes LcpPolicy::build_request() {
  last_sent_ = encode_lcp_options(want_);
  return last_sent_;
}

FsmPolicy::Check LcpPolicy::check_request(ByteView options, bool reject_if_disagree) {
  if (params_.record_confreqs) {
    if (!seen_request_) {
      initial_received_.assign(options.begin(), options.end());
      seen_request_ = true;
    }
    last_received_.assign(options.begin(), options.end());
  }
  auto whole = [&] { return Bytes(options.begin(), options.end()); };

  auto raw = decode_options(options);
  if (!raw) {
    // RFC 1661 gives no Nak for an undecodable list; rejecting everything lets a sane peer
    // retry without the garbage.
    return {Verdict::reject, whole()};
  }
  ByteWriter rej, nak;
  LcpOptions accepted;
  for (const auto& o : *raw) {
    ByteView v(o.value);
    switch (o.type) {
      case lcp_opt::mru: {
        if (v.size() != 2) {
          encode_option(rej, o.type, v);
          break;
        }
        std::uint16_t mru = static_cast<std::uint16_t>((v[0] << 8) | v[1]);
        if (mru < kMinMru) {
          if (reject_if_disagree)
            encode_option(rej, o.type, v);
          else
            encode_option(nak, o.type, u16_value(kMinMru));
        } else {
          accepted.mru = mru;
        }
        break;
      }
      case lcp_opt::accm:
        // Irrelevant on the synchronous links we run over (L2TP, PPPoE); accept any map.
        if (v.size() != 4)
          encode_option(rej, o.type, v);
        else
          accepted.accm = 0;
        break;
      case lcp_opt::auth_protocol: {
        if (params_.accept_auth.empty() || v.size() < 2) {
          encode_option(rej, o.type, v);  // we authenticate nobody to the peer (server side)
          break;
        }
        std::uint16_t p = static_cast<std::uint16_t>((v[0] << 8) | v[1]);
        std::optional<AuthProtocol> asked;
        if (p == proto::pap && v.size() == 2) asked = AuthProtocol::pap;
        if (p == proto::chap && v.size() == 3 && v[2] == kChapMd5) asked = AuthProtocol::chap_md5;
        if (p == proto::chap && v.size() == 3 && v[2] == kChapMsV1) asked = AuthProtocol::mschap_v1;
        if (p == proto::chap && v.size() == 3 && v[2] == kChapMsV2) asked = AuthProtocol::mschap_v2;
        auto& ok = params_.accept_auth;
        if (asked && std::find(ok.begin(), ok.end(), *asked) != ok.end()) {
          accepted.auth = asked;
        } else if (reject_if_disagree) {
          encode_option(rej, o.type, v);
        } else {
          // RFC 1661 §6.2: Nak with the protocol we would use.
          encode_option(nak, o.type, auth_value(ok.front()));
        }
        break;
      }
      case lcp_opt::magic_number: {
        if (v.size() != 4) {
          encode_option(rej, o.type, v);
          break;
        }
        std::uint32_t m = (std::uint32_t{v[0]} << 24) | (std::uint32_t{v[1]} << 16) |
                          (std::uint32_t{v[2]} << 8) | v[3];
        if (m == 0 || (want_.magic && m == *want_.magic)) {
          // RFC 1661 §6.4: zero is invalid; our own number means a possible loop. Nak
          // with a different number and pick a new one of our own as well.
          if (m != 0 && ++magic_collisions_ >= params_.max_failure) {
            host_.lcp_fail(DownReason::loopback, "loopback detected (Magic-Number)");
            return {Verdict::reject, whole()};
          }
          if (m != 0) want_.magic = host_.lcp_new_magic();
          std::uint32_t suggest = host_.lcp_new_magic();
          if (want_.magic && suggest == *want_.magic) suggest ^= 0x5a5a5a5a;
          encode_option(nak, o.type, u32_value(suggest));
        } else {
          accepted.magic = m;
        }
        break;
      }
      case lcp_opt::pfc:
      case lcp_opt::acfc:  // flags: a value makes the option malformed
        if (!v.empty())
          encode_option(rej, o.type, v);
        else
          (o.type == lcp_opt::pfc ? accepted.pfc : accepted.acfc) = true;
        break;
      default:
        encode_option(rej, o.type, v);
        break;
    }
  }
  // RFC 1661 §5.3/§5.4: any unacceptable-for-good option means Reject (only those);
  // otherwise Nak (only those); otherwise Ack the whole list.
  if (rej.size() > 0) return {Verdict::reject, rej.take()};
  if (nak.size() > 0) return {Verdict::nak, nak.take()};
  acked_peer_ = Agreed::from(accepted);
  magic_collisions_ = 0;
  return {Verdict::ack, {}};
}

bool LcpPolicy::on_ack(ByteView options) {
  // RFC 1661 §5.2: the options must be exactly those we sent.
  if (!std::equal(options.begin(), options.end(), last_sent_.begin(), last_sent_.end()))
    return false;
  acked_ours_ = Agreed::from(want_);
  return true;
}

bool LcpPolicy::on_nak(ByteView options) {
  auto o = decode_lcp_options(options);
  if (!o) return false;
  if (o->mru) {
    // Take a smaller MRU the peer suggests (never below the minimum), as pppd does; never
    // a larger one: our lower layer (PPPoE: 1492) cannot carry it.
    if (*o->mru >= kMinMru && *o->mru <= params_.mru) want_.mru = *o->mru;
    if (want_.mru == std::uint16_t{1500}) want_.mru.reset();
  }
  if (o->magic) want_.magic = host_.lcp_new_magic();
  if ((o->auth || o->auth_other) && want_.auth) {
    auto& list = params_.want_auth;
    auto current = std::find(list.begin(), list.end(), *want_.auth);
    if (o->auth && *o->auth != *want_.auth &&
        std::find(list.begin(), list.end(), *o->auth) != list.end()) {
      want_.auth = *o->auth;  // the peer's suggestion is one we allow
    } else if (current != list.end() && current + 1 != list.end()) {
      want_.auth = *(current + 1);  // otherwise the next one in our order
    } else {
      host_.lcp_fail(DownReason::lcp_failed, "peer refuses every authentication protocol we allow");
      return true;
    }
  }
  return true;
}

bool LcpPolicy::on_reject(ByteView options) {
  auto raw = decode_options(options);
  if (!raw) return false;
  for (const auto& o : *raw) {
    switch (o.type) {
      case lcp_opt::mru:
        want_.mru.reset();
        break;
      case lcp_opt::accm:
        want_.accm.reset();
        break;
      case lcp_opt::magic_number:
        want_.magic.reset();
        break;
      case lcp_opt::pfc:
        want_.pfc = false;
        break;
      case lcp_opt::acfc:
        want_.acfc = false;
        break;
      case lcp_opt::auth_protocol:
        if (want_.auth) {
          host_.lcp_fail(DownReason::lcp_failed, "peer rejected authentication");
          return true;
        }
        break;
      default:
        break;
    }
  }
  return true;
}

bool LcpPolicy::preset_from_proxy(ByteView last_sent, ByteView last_received) {
  auto ours = decode_lcp_options(last_sent);
  auto peer = decode_lcp_options(last_received);
  if (!ours || !peer) return false;
  acked_ours_ = Agreed::from(*ours);
  acked_peer_ = Agreed::from(*peer);
  want_ = *ours;
  last_sent_.assign(last_sent.begin(), last_sent.end());
  last_received_.assign(last_received.begin(), last_received.end());
  return true;
}

}  // namespace vpdnd::ppp
