// DOC: LCP option policy (RFC 1661 §6) for the shared automaton: MRU, ACCM,
// Authentication-Protocol, Magic-Number with loop detection, PFC, ACFC. It also records
// the CONFREQ bodies the L2TP proxy AVPs need (RFC 2661 §4.4.5) and can be preset from
// them at an LNS. Internal to ppp/core; protocol thread only.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ppp/core/fsm.hpp"

namespace vpdnd::ppp {

class LcpPolicy final : public FsmPolicy {
 public:
  struct Params {
    std::uint16_t mru = 1500;
    // Server: protocols to ask of the peer, preferred first (empty: none).
    std::vector<AuthProtocol> want_auth;
    // Client: protocols we agree to authenticate ourselves with.
    std::vector<AuthProtocol> accept_auth;
    bool request_pfc = false, request_acfc = false;
    unsigned max_failure = 5;
    bool record_confreqs = false;  // keep the CONFREQ bodies for ProxyData (LAC)
  };
  // The owner's side (one pointer, not a bundle of std::function: one LCP per user). The
  // layer events go to the automaton's FsmHost, not here.
  class Host {
   public:
    virtual ~Host() = default;
    // An option we cannot do without was refused, or a loop was found: close with reason.
    // Must only record the request (we are inside the automaton).
    virtual void lcp_fail(DownReason reason, std::string why) = 0;
    virtual std::uint32_t lcp_new_magic() = 0;
  };

  // What was agreed, kept compact: defaults per RFC 1661 when absent.
  struct Agreed {
    std::uint32_t magic = 0;
    std::uint16_t mru = 1500;
    AuthProtocol auth = AuthProtocol::none;
    static Agreed from(const LcpOptions& o) {
      return {o.magic.value_or(0), o.mru.value_or(1500), o.auth.value_or(AuthProtocol::none)};
    }
  };
  // Everything a policy must remember once the layer is Opened (the owner keeps this and
  // frees the policy; a renegotiation builds a policy from Params and this, and continues
  // exactly where the freed one was). Not for LAC policies (Params::record_confreqs).
  struct Saved {
    Agreed ours;  // what the peer acked
    Agreed peer;  // what we acked
    // What we request next (LcpOptions without its heap members; we never request
    // unknown options or a foreign Auth-Protocol).
    std::uint32_t want_magic = 0, want_accm = 0;
    std::uint16_t want_mru = 0;
    AuthProtocol want_auth = AuthProtocol::none;
    bool has_want_magic : 1 = false, has_want_accm : 1 = false, has_want_mru : 1 = false,
                          has_want_auth : 1 = false, want_pfc : 1 = false, want_acfc : 1 = false;
  };

  LcpPolicy(Params params, Host& host);                      // a new negotiation (new Magic)
  LcpPolicy(Params params, Host& host, const Saved& saved);  // resume after save()
  Saved save() const;
  // false when what we request next holds something Saved cannot carry (an LNS adopting a
  // foreign LAC's request with unknown options or a non-MD5 CHAP): keep the policy then.
  bool savable() const { return want_.unknown.empty() && !want_.auth_other; }

  Bytes build_request() override;
  Check check_request(ByteView options, bool reject_if_disagree) override;
  bool on_ack(ByteView options) override;
  bool on_nak(ByteView options) override;
  bool on_reject(ByteView options) override;

  // LNS with proxy LCP: adopt the options the LAC negotiated (ours = what the LAC sent,
  // the peer's = what the user sent). false when the bodies do not decode.
  bool preset_from_proxy(ByteView last_sent, ByteView last_received);

  // Results of the negotiation (valid once Opened).
  AuthProtocol auth_we_require() const { return acked_ours_.auth; }
  AuthProtocol auth_peer_requires() const { return acked_peer_.auth; }
  std::uint32_t our_magic() const { return acked_ours_.magic; }
  std::uint32_t peer_magic() const { return acked_peer_.magic; }
  std::uint16_t peer_mru() const { return acked_peer_.mru; }
  std::uint16_t our_mru() const { return acked_ours_.mru; }
  const Agreed& acked_ours() const { return acked_ours_; }
  const Agreed& acked_peer() const { return acked_peer_; }

  // For ProxyData (recorded only with Params::record_confreqs, except last_sent).
  const Bytes& initial_received() const { return initial_received_; }
  const Bytes& last_received() const { return last_received_; }
  const Bytes& last_sent() const { return last_sent_; }

 private:
  Params params_;
  Host& host_;
  LcpOptions want_;    // what we will request next
  Agreed acked_ours_;  // what the peer acked
  Agreed acked_peer_;  // what we acked
  unsigned magic_collisions_ = 0;
  bool seen_request_ = false;
  Bytes initial_received_, last_received_, last_sent_;
};

}  // namespace vpdnd::ppp
