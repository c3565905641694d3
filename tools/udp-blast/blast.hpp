// udp-blast: one process that sends UDP datagrams of one IP size over many address pairs
// at once (bench/kernel/lns_compare.sh: the traffic of 1 or 100 PPP sessions, either
// direction), so the traffic generator costs one thread however many sessions it feeds.
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

struct Options {
  std::vector<Ipv4> from;  // --from A[,A...]: source addresses (bound)
  std::vector<Ipv4> to;    // --to B[,B...]: destination addresses
  std::uint16_t port = 9;  // --port: destination UDP port (discard)
  std::size_t size = 64;   // --size: IP packet size (UDP payload = size - 28)
  double seconds = 5;      // --seconds: how long to send
  double pps = 0;          // --pps: all flows together, datagrams/s; 0 = as fast as possible
  std::size_t batch = 32;  // --batch: datagrams per sendmmsg
};

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
