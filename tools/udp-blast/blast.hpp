// udp-blast: one process that sends UDP datagrams of one IP size over many address pairs
// at once (bench/kernel/lns_compare.sh: the traffic of 1 or 100 PPP sessions, either
// direction), so the traffic generator costs one thread however many sessions it feeds.
// Two ways to send:
//  - plain UDP (--from/--to): one connected socket per flow;
//  - ready-made L2TP data messages (--l2tp FILE): for every session of FILE (the lines
//    vpdn-dial --sessions-file writes), the whole packet a LAC would send to the LNS for one
//    user datagram (IPv4/UDP from the tunnel's own address and port, L2TP data header with
//    the LNS's tunnel and session ids, PPP IPv4, the user's IPv4/UDP to --to), through one
//    raw socket (IP_HDRINCL). The tunnel's UDP socket stays with the LAC (vpdn-dial), which
//    keeps the control channel and LCP; only the users' data comes from here, at no more
//    cost than a UDP send per datagram.
// The receiving side counts (and drops) with nftables; udp-blast reports what it sent and
// the CPU it used, so a run shows whether the generator was the limit.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/ipv4.hpp"
#include "common/result.hpp"

namespace vpdnd::blast {

inline constexpr std::size_t kIpUdpHeaders = 28;  // IPv4 (20, no options) + UDP (8)
inline constexpr std::size_t kMaxIpSize = 65535;  // IPv4 total length
inline constexpr std::size_t kMaxBatch = 1024;    // UIO_MAXIOV: sendmmsg's vector limit
// What --l2tp puts around each user datagram: outer IPv4 (20) + UDP (8) + L2TP data header
// without length, sequence or offset fields (6, RFC 2661 §3.1) + PPP address/control and
// protocol 0x0021 (4, RFC 1661 §2, as vpdn-dial's frames).
inline constexpr std::size_t kL2tpOverhead = 20 + 8 + 6 + 4;

struct Options {
  std::string l2tp_file;   // --l2tp FILE: L2TP data messages for FILE's sessions (no --from)
  std::vector<Ipv4> from;  // --from A[,A...]: source addresses (bound)
  std::vector<Ipv4> to;    // --to B[,B...]: destination addresses
  std::uint16_t port = 9;  // --port: destination UDP port (discard)
  std::size_t size = 64;   // --size: IP packet size (UDP payload = size - 28)
  double seconds = 5;      // --seconds: how long to send
  double pps = 0;          // --pps: all flows together, datagrams/s; 0 = as fast as possible
  std::size_t batch = 32;  // --batch: datagrams per sendmmsg
};

// One L2TP session as one line of text, the one vpdn-dial --sessions-file writes and
// udp-blast --l2tp reads:
//   "lac=10.250.0.2:41234 lns=10.250.0.1:1701 tunnel=5 session=7 address=192.168.16.2"
// lac: the tunnel's address and UDP port at the LAC; lns: the LNS's; tunnel, session: the
// ids the LNS assigned (RFC 2661 §3.1: a data message carries the receiver's ids);
// address: the user's IPCP address.
struct L2tpSession {
  Endpoint lac;
  Endpoint lns;
  std::uint16_t tunnel = 0;
  std::uint16_t session = 0;
  Ipv4 address;
  auto operator<=>(const L2tpSession&) const = default;
};
std::string format_session_line(const L2tpSession& s);
// Fields in any order, each once; an error names the field.
Result<L2tpSession, std::string> parse_session_line(std::string_view line);
// Every line of a file (blank lines skipped); an error names the line ("line 3: ...").
Result<std::vector<L2tpSession>, std::string> parse_sessions(std::string_view text);

// The IPv4 packet the LAC sends the LNS for one user datagram of `size` IP octets (at least
// kIpUdpHeaders) from the session's address to `to`:`port`: outer IPv4 and UDP (UDP
// checksum 0, RFC 768: none, as a NIC that checks it in hardware leaves no work), L2TP data
// header, PPP, the user's IPv4 (checksummed) and UDP (checksum 0), zero payload. Both IPv4
// headers carry DF and TTL 64.
Bytes l2tp_data_packet(const L2tpSession& s, Ipv4 to, std::uint16_t port, std::size_t size);

// Parses the arguments after the program name. Errors name the option ("--size 20: below
// the 28 octets of the IPv4 and UDP headers").
Result<Options, std::string> parse_options(const std::vector<std::string>& args);
// "10.0.0.1,10.0.0.2" -> addresses; an error names the bad element.
Result<std::vector<Ipv4>, std::string> parse_address_list(const std::string& text);

// The (source, destination) pair of every flow: both lists of the same length pair up
// element by element; a list of one goes with every element of the other.
Result<std::vector<std::pair<Ipv4, Ipv4>>, std::string> make_flows(const std::vector<Ipv4>& from,
                                                                   const std::vector<Ipv4>& to);

// How many datagrams may go now: pps 0 sends `batch` at every call; otherwise as many as
// the rate allows since the start (never more than `batch`), so a sender that fell behind
// catches up in full batches and one that is ahead waits.
class Pacer {
 public:
  Pacer(double pps, std::size_t batch) : pps_(pps), batch_(batch) {}
  std::size_t allowed(std::chrono::duration<double> elapsed, std::uint64_t sent) const;
  // How long to sleep before the next datagram is due (zero when unpaced or already due).
  std::chrono::duration<double> wait(std::chrono::duration<double> elapsed,
                                     std::uint64_t sent) const;

 private:
  double pps_;
  std::size_t batch_;
};

// What the run did, as the one line the bench parses:
// "udp-blast: flows=F size=S sent=N send_errors=E seconds=T pps=P cpu_user_s=U cpu_sys_s=Y"
struct Report {
  std::size_t flows = 0, size = 0;
  std::uint64_t sent = 0, send_errors = 0;
  double seconds = 0, cpu_user_s = 0, cpu_sys_s = 0;
};
std::string format_report(const Report& r);

}  // namespace vpdnd::blast
