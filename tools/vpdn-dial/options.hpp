// vpdn-dial command line.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "common/ipv4.hpp"

namespace vpdnd::dial {

enum class Access { pppoe, l2tp };
enum class AuthPreference { any, pap, chap, mschap, mschapv2 };

struct Options {
  Access access = Access::pppoe;
  std::string interface;  // --pppoe IFNAME
  Ipv4 lns;               // --l2tp HOST[:PORT]
  std::uint16_t lns_port = 1701;
  std::string secret;  // --secret: tunnel authentication (empty: off)
  // --hostname: our L2TP Host Name; {t} is replaced by the tunnel number (1..--tunnels), so
  // an LNS can put the tunnels into different l2tp-groups (`allow ... remote NAME`).
  std::string hostname = "vpdn-dial";
  std::uint16_t local_port = 0;  // --local-port (0: ephemeral)
  // --tunnels N (--l2tp): N L2TP engines, each with its own tunnel from its own UDP port
  // (--local-port, +1, ...; ephemeral ports without it); user n dials on engine (n-1) % N.
  unsigned tunnels = 1;
  std::string user = "user{n}";  // --user, {n} replaced by 1..count
  std::string password;
  std::string service;  // --service: PPPoE Service-Name
  unsigned count = 1;
  double rate = 100;           // new dials per second
  unsigned concurrency = 100;  // dials in setup at once
  double hold_s = 0;           // seconds each session stays up (then hangs up); <0: until signal
  double timeout_s = 30;       // per-dial setup limit
  double echo_s = 10;          // --echo: our LCP Echo-Request interval (0: none)
  AuthPreference auth = AuthPreference::any;
  bool tun = false;
  std::string tun_name = "vdial0";
  std::optional<std::pair<Ipv4, int>> route;  // --route PREFIX/LEN via the TUN
  unsigned first_mac = 1;                     // emulated MACs are 02:76:64:xx:xx:xx from this index
  bool quiet = false;                         // no progress lines
  // --sessions-file PATH (--l2tp): one line per session as it comes up, in udp-blast's
  // format (tools/udp-blast/blast.hpp L2tpSession), so a generator can send its data.
  std::string sessions_file;
};

// Parses argv; on error or --help prints to stderr/stdout and returns nullopt with
// exit_code set (0 for --help).
std::optional<Options> parse_options(int argc, char** argv, int& exit_code);
std::string user_name(const std::string& pattern, unsigned n);
// --hostname of tunnel t (1-based): {t} replaced by t.
std::string host_name(const std::string& pattern, unsigned t);

}  // namespace vpdnd::dial
