// DOC: IPCP option policy (RFC 1332, DNS per RFC 1877) for the shared automaton, as
// server (we give the peer its address, Nak a wrong one, give DNS) or as client (ask
// 0.0.0.0 and take the Nak'd address, learn DNS). Internal to ppp/core; protocol thread.
#pragma once

#include <functional>
#include <optional>

#include "ppp/core/fsm.hpp"

namespace vpdnd::ppp {

class IpcpPolicy final : public FsmPolicy {
 public:
  struct Params {
    bool server = true;
    Ipv4 local_address;                              // server: ours (0 = do not send IP-Address)
    std::optional<Ipv4> peer_address;                // server: set before the layer is opened
    std::optional<Ipv4> dns_primary, dns_secondary;  // server: given on request
    bool request_dns = true;                         // client
  };
  // What a policy must remember once IPCP is Opened: what we request next (the owner keeps
  // this and frees the policy; a renegotiation resumes from Params and this).
  struct Saved {
    Ipv4 want_address, want_primary_dns, want_secondary_dns;
    bool valid : 1 = false;  // false: nothing saved yet (a new negotiation)
    bool has_address : 1 = false, has_primary_dns : 1 = false, has_secondary_dns : 1 = false;
  };

  explicit IpcpPolicy(const Params& params) : params_(params) { reset_client(); }
  IpcpPolicy(const Params& params, const Saved& saved) : params_(params) {
    if (saved.has_address) want_.address = saved.want_address;
    if (saved.has_primary_dns) want_.primary_dns = saved.want_primary_dns;
    if (saved.has_secondary_dns) want_.secondary_dns = saved.want_secondary_dns;
  }
  Saved save() const {
    Saved s;
    s.valid = true;
    s.has_address = want_.address.has_value();
    s.want_address = want_.address.value_or(Ipv4{});
    s.has_primary_dns = want_.primary_dns.has_value();
    s.want_primary_dns = want_.primary_dns.value_or(Ipv4{});
    s.has_secondary_dns = want_.secondary_dns.has_value();
    s.want_secondary_dns = want_.secondary_dns.value_or(Ipv4{});
    return s;
  }

  void set_peer_address(Ipv4 a) { params_.peer_address = a; }

  Bytes build_request() override;
  Check check_request(ByteView options, bool reject_if_disagree) override;
  bool on_ack(ByteView options) override;
  bool on_nak(ByteView options) override;
  bool on_reject(ByteView options) override;

  // After Opened: the negotiated addresses. Server: local = ours, peer = what we acked.
  // Client: local = ours (Nak'd to us), peer = the server's.
  Ipv4 local_address() const { return acked_ours_.address.value_or(Ipv4{}); }
  Ipv4 peer_address() const { return acked_peer_.address.value_or(Ipv4{}); }
  std::optional<Ipv4> learnt_primary_dns() const { return acked_ours_.primary_dns; }
  std::optional<Ipv4> learnt_secondary_dns() const { return acked_ours_.secondary_dns; }
  bool peer_sent_address() const { return acked_peer_.address.has_value(); }

 private:
  void reset_client();
  Params params_;
  IpcpOptions want_;
  IpcpOptions acked_ours_;
  IpcpOptions acked_peer_;
  Bytes last_sent_;
};

}  // namespace vpdnd::ppp
