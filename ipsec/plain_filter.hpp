// DOC: the netfilter half of "plain L2TP must not slip past". An nftables table of vpdnd's
// own (inet vpdnd_ipsec) drops, at the input hook, UDP to our L2TP port from the protected
// peers that did not come out of ESP (no IPsec secpath), and counts it in a named counter:
// before the socket lookup, so neither vpdnd's socket nor the kernel data path's L2TP
// tunnel (a UDP encapsulation socket) sees it, whatever order the kernel's UDP receive
// path checks XFRM policies and encapsulation hooks in. Transport-mode ESP (and NAT-T ESP
// in UDP 4500) re-enters the input hook decapsulated, with a secpath: not matched.
//
// Threads: the renderers and the netlink codec are pure; read_plain_l2tp_filter_drops is
// one synchronous netlink request (no process spawned), for the displays.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ipsec/ipsec.hpp"

namespace vpdnd::ipsec {

inline constexpr const char* kFilterTable = "vpdnd_ipsec";  // family inet
inline constexpr const char* kFilterCounter = "plain_l2tp";
inline constexpr std::uint16_t kL2tpPort = 1701;

// The nft commands (one argument to `nft`, applied as one transaction) that install or
// replace the filter for the peers `guard` protects: any source for a dial-in template,
// else the named peers. The table and its counter are kept across replacements (only the
// chain is flushed), so the count survives a configuration change. "" when `guard`
// protects none.
std::string render_plain_l2tp_filter(const GuardPolicy& guard);
// The nft commands that remove the table whether or not it exists.
std::string render_plain_l2tp_filter_removal();

// NFT_MSG_GETOBJ for the filter's counter (netlink message, sequence `seq`).
std::vector<std::uint8_t> nft_counter_request(std::uint32_t seq);
// The kernel's answer -> the counter's packets; nullopt for an error answer (no such table
// or counter) or a malformed one.
std::optional<std::uint64_t> parse_nft_counter_reply(std::span<const std::uint8_t> reply);
// The filter's packet count in this network namespace; nullopt where there is none.
std::optional<std::uint64_t> read_plain_l2tp_filter_drops();

}  // namespace vpdnd::ipsec
