// The kernel half of "plain L2TP must not slip past": drop policies charon installs
// behind its own, and the kernel's counters of what they dropped.
#include <sstream>

#include "ipsec/ipsec.hpp"

namespace vpdnd::ipsec {

std::string render_plain_l2tp_drop(const GuardPolicy& guard) {
  if (!guard.active()) return {};
  // A drop shunt is installed by charon with its fallback priority, below every SA's own
  // policy (whatever their selectors), in and out (and forward): UDP to or from our
  // L2TP port that no SA covers is dropped by the kernel the moment the SA is gone, and
  // counted in XfrmOutPolBlock/XfrmInPolBlock. IKE (500/4500) and NAT-T ESP are other
  // ports. The peers are the user-space guard's: any peer under a dial-in template,
  // else the named ones. 127.0.0.1 as the peer: this connection never negotiates.
  std::string remote;
  if (guard.any_peer) {
    remote = "0.0.0.0/0[udp]";
  } else {
    for (auto& p : guard.peers) remote += (remote.empty() ? "" : ",") + p.to_string() + "/32[udp]";
  }
  std::string out;
  out += "  " + std::string(kPlainL2tpDrop) + " {\n";
  out += "    remote_addrs = 127.0.0.1\n";
  out += "    children {\n      " + std::string(kPlainL2tpDrop) + " {\n";
  out += "        local_ts = 0.0.0.0/0[udp/1701]\n";
  out += "        remote_ts = " + remote + "\n";
  out += "        mode = drop\n";
  out += "        start_action = trap\n";
  out += "      }\n    }\n  }\n";
  return out;
}

std::optional<XfrmBlocks> parse_xfrm_stat(std::string_view text) {
  XfrmBlocks b;
  bool in = false, out = false;
  std::istringstream ss{std::string(text)};
  std::string name;
  std::uint64_t value = 0;
  while (ss >> name >> value) {
    if (name == "XfrmInPolBlock") {
      b.in = value;
      in = true;
    } else if (name == "XfrmOutPolBlock") {
      b.out = value;
      out = true;
    }
  }
  if (!in || !out) return std::nullopt;
  return b;
}

}  // namespace vpdnd::ipsec
