#include "ppp/core/ipcp.hpp"

#include <algorithm>

namespace vpdnd::ppp {

namespace {
Bytes ip_value(Ipv4 a) {
  ByteWriter v;
  v.u32(a.value);
  return v.take();
}
}  // namespace

void IpcpPolicy::reset_client() {
  want_ = {};
  if (params_.server) {
    if (!params_.local_address.is_zero()) want_.address = params_.local_address;
  } else {
    // RFC 1332 §3.3: 0.0.0.0 asks the peer to provide our address; RFC 1877 likewise DNS.
    want_.address = Ipv4{};
    if (params_.request_dns) {
      want_.primary_dns = Ipv4{};
      want_.secondary_dns = Ipv4{};
    }
  }
}

Bytes IpcpPolicy::build_request() {
  last_sent_ = encode_ipcp_options(want_);
  return last_sent_;
}

FsmPolicy::Check IpcpPolicy::check_request(ByteView options, bool reject_if_disagree) {
  auto raw = decode_options(options);
  if (!raw) return {Verdict::reject, Bytes(options.begin(), options.end())};
  ByteWriter rej, nak;
  IpcpOptions accepted;
  bool saw_address = false;
  auto addr_of = [](ByteView v) {
    return Ipv4{(std::uint32_t{v[0]} << 24) | (std::uint32_t{v[1]} << 16) |
                (std::uint32_t{v[2]} << 8) | v[3]};
  };
  for (const auto& o : *raw) {
    ByteView v(o.value);
    bool is_ip_opt = o.type == ipcp_opt::ip_address || o.type == ipcp_opt::primary_dns ||
                     o.type == ipcp_opt::secondary_dns;
    if (!is_ip_opt || v.size() != 4) {
      // IP-Addresses (deprecated), VJ compression, NBNS: not offered.
      encode_option(rej, o.type, v);
      continue;
    }
    Ipv4 a = addr_of(v);
    if (o.type == ipcp_opt::ip_address) {
      saw_address = true;
      if (!params_.server) {
        // The server's own address: any non-zero value is fine with us.
        if (a.is_zero())
          encode_option(rej, o.type, v);
        else
          accepted.address = a;
      } else if (!params_.peer_address) {
        encode_option(rej, o.type, v);
      } else if (a == *params_.peer_address) {
        accepted.address = a;
      } else if (reject_if_disagree) {
        encode_option(rej, o.type, v);
      } else {
        encode_option(nak, o.type, ip_value(*params_.peer_address));  // RFC 1332 §3.3
      }
      continue;
    }
    // DNS (RFC 1877 §1.1, §1.3).
    const auto& ours =
        o.type == ipcp_opt::primary_dns ? params_.dns_primary : params_.dns_secondary;
    if (!params_.server || !ours) {
      encode_option(rej, o.type, v);
    } else if (a == *ours) {
      (o.type == ipcp_opt::primary_dns ? accepted.primary_dns : accepted.secondary_dns) = a;
    } else if (reject_if_disagree) {
      encode_option(rej, o.type, v);
    } else {
      encode_option(nak, o.type, ip_value(*ours));
    }
  }
  // The server wants the peer to take the address: Nak it in even if not asked for
  // (RFC 1661 §5.3 allows a Nak to add options). Not when converging has failed.
  if (params_.server && !saw_address && params_.peer_address && !reject_if_disagree &&
      rej.size() == 0)
    encode_option(nak, ipcp_opt::ip_address, ip_value(*params_.peer_address));
  if (rej.size() > 0) return {Verdict::reject, rej.take()};
  if (nak.size() > 0) return {Verdict::nak, nak.take()};
  acked_peer_ = accepted;
  return {Verdict::ack, {}};
}

bool IpcpPolicy::on_ack(ByteView options) {
  if (!std::equal(options.begin(), options.end(), last_sent_.begin(), last_sent_.end()))
    return false;
  acked_ours_ = want_;
  return true;
}

bool IpcpPolicy::on_nak(ByteView options) {
  auto o = decode_ipcp_options(options);
  if (!o) return false;
  if (params_.server) {
    // A client Nak'ing our own address: keep ours (it is configured), pppd does the same.
    return true;
  }
  if (o->address && !o->address->is_zero()) want_.address = *o->address;
  if (o->primary_dns && want_.primary_dns) want_.primary_dns = *o->primary_dns;
  if (o->secondary_dns && want_.secondary_dns) want_.secondary_dns = *o->secondary_dns;
  return true;
}

bool IpcpPolicy::on_reject(ByteView options) {
  auto raw = decode_options(options);
  if (!raw) return false;
  for (const auto& o : *raw) {
    if (o.type == ipcp_opt::ip_address) want_.address.reset();
    if (o.type == ipcp_opt::primary_dns) want_.primary_dns.reset();
    if (o.type == ipcp_opt::secondary_dns) want_.secondary_dns.reset();
  }
  return true;
}

}  // namespace vpdnd::ppp
