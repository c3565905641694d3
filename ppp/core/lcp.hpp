// DOC: LCP option policy (RFC 1661 §6) for the shared automaton: MRU, ACCM,
// Authentication-Protocol, Magic-Number with loop detection, PFC, ACFC. It also records
// the CONFREQ bodies the L2TP proxy AVPs need (RFC 2661 §4.4.5) and can be preset from
// them at an LNS. Internal to ppp/core; engine thread only.
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
  };
  struct Hooks {
    std::function<void()> up, down, started, finished;
    // An option we cannot do without was refused, or a loop was found: close with reason.
    std::function<void(DownReason, std::string)> fail;
    std::function<bool(std::uint8_t code, std::uint8_t id, ByteView data)> extended;
  };

  LcpPolicy(Params params, Hooks hooks, std::function<std::uint32_t()> new_magic);

  Bytes build_request() override;
  Check check_request(ByteView options, bool reject_if_disagree) override;
  bool on_ack(ByteView options) override;
  bool on_nak(ByteView options) override;
  bool on_reject(ByteView options) override;
  void this_layer_up() override { hooks_.up(); }
  void this_layer_down() override { hooks_.down(); }
  void this_layer_started() override {
    if (hooks_.started) hooks_.started();
  }
  void this_layer_finished() override { hooks_.finished(); }
  bool on_extended_code(std::uint8_t code, std::uint8_t id, ByteView data) override {
    return hooks_.extended(code, id, data);
  }

  // LNS with proxy LCP: adopt the options the LAC negotiated (ours = what the LAC sent,
  // the peer's = what the user sent). false when the bodies do not decode.
  bool preset_from_proxy(ByteView last_sent, ByteView last_received);

  // Results of the negotiation (valid once Opened).
  AuthProtocol auth_we_require() const { return acked_ours_.auth.value_or(AuthProtocol::none); }
  AuthProtocol auth_peer_requires() const { return acked_peer_.auth.value_or(AuthProtocol::none); }
  std::uint32_t our_magic() const { return acked_ours_.magic.value_or(0); }
  std::uint32_t peer_magic() const { return acked_peer_.magic.value_or(0); }
  std::uint16_t peer_mru() const { return acked_peer_.mru.value_or(1500); }
  std::uint16_t our_mru() const { return acked_ours_.mru.value_or(1500); }

  // For ProxyData.
  const Bytes& initial_received() const { return initial_received_; }
  const Bytes& last_received() const { return last_received_; }
  const Bytes& last_sent() const { return last_sent_; }

 private:
  Params params_;
  Hooks hooks_;
  std::function<std::uint32_t()> new_magic_;
  LcpOptions want_;        // what we will request next
  LcpOptions acked_ours_;  // what the peer acked
  LcpOptions acked_peer_;  // what we acked
  LcpOptions pending_peer_;  // the peer's request we just acked (becomes acked_peer_)
  unsigned magic_collisions_ = 0;
  bool seen_request_ = false;
  Bytes initial_received_, last_received_, last_sent_;
};

}  // namespace vpdnd::ppp
