// Routing and reachability: `ip route-static` (system view), `display ip routing-table`,
// `ping` and `tracert` (every view).
//
// The routing table shown is Comware's view of this box: Direct routes of the interfaces
// that are up (host links, virtual templates with an address), the active static routes
// (next hop inside a Direct route, or an outgoing interface that is up), and a /32 Direct
// route per PPP user (its Virtual-Access), as Comware lists its users. The kernel gets the
// static routes from app/ (netlink); this display is computed from the same configuration.
//
// ping/tracert run on the terminal's thread (never on the protocol thread) with a raw ICMP
// socket (vpdnd runs as root; an unprivileged ping socket is the fallback), print each
// reply as it arrives through the session's LiveOutput and stop on Ctrl+C.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <thread>

#include "cli/lang.hpp"
#include "cli/lang/session.hpp"
#include "common/printable.hpp"

namespace vpdnd::cli::lang {
namespace {

using config::ConfigSection;
using config::RunningConfig;
using config::StaticRoute;
using Clock = std::chrono::steady_clock;

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

Ipv4 network_of(Ipv4 a, int prefix) {
  return Ipv4{a.value & prefix_to_mask(prefix).value};
}
bool contains(Ipv4 net, int prefix, Ipv4 a) {
  return network_of(a, prefix) == network_of(net, prefix);
}

// ---- ip route-static ----------------------------------------------------------------------

bool route_interface(std::string_view s) {
  if (Ipv4::parse(s)) return false;  // that is a next hop
  return valid_interface_name(s) || is_virtual_template_name(s, nullptr);
}

// Comware spells the template "Virtual-Template1" whatever the case typed.
std::string canonical_interface(const std::string& name) {
  std::uint16_t n = 0;
  if (is_virtual_template_name(name, &n)) return "Virtual-Template" + std::to_string(n);
  return name;
}

std::optional<StaticRoute> route_from(Call& call) {
  StaticRoute r;
  Ipv4 dest = *Ipv4::parse(call.get("prefix"));
  if (call.has("mask")) {
    auto len = mask_to_prefix(*Ipv4::parse(call.get("mask")));
    if (!len) {
      call.error("Error: The mask is not contiguous.");
      return std::nullopt;
    }
    r.length = *len;
  } else {
    r.length = static_cast<int>(call.number("length"));
  }
  r.prefix = network_of(dest, r.length);
  if (call.has("nexthop")) {
    Ipv4 hop = *Ipv4::parse(call.get("nexthop"));
    if (hop.is_zero() || (hop.value >> 28) >= 14 || hop.value == 0xffffffffu) {
      call.error("Error: Invalid next hop address.");
      return std::nullopt;
    }
    r.next_hop = hop;
  }
  if (call.has("ifname")) r.interface = canonical_interface(call.get("ifname"));
  if (call.has("preference")) r.preference = call.number("preference");
  return r;
}

void add_route(Call& call) {
  auto r = route_from(call);
  if (!r) return;
  call.edit({ConfigSection::static_route, ""}, [&](RunningConfig& c) -> std::string {
    for (auto& existing : c.static_routes)
      if (existing.same_route(*r)) {
        existing.preference = r->preference;
        return {};
      }
    if (c.static_routes.size() >= 4096) return "Error: Too many static routes (4096 at most).";
    c.static_routes.push_back(*r);
    return {};
  });
}

void remove_routes(Call& call) {
  auto r = route_from(call);
  if (!r) return;
  const bool exact = call.has("nexthop") || call.has("ifname");
  call.edit({ConfigSection::static_route, "", true}, [&](RunningConfig& c) -> std::string {
    auto n = std::erase_if(c.static_routes, [&](const StaticRoute& s) {
      if (s.prefix != r->prefix || s.length != r->length) return false;
      return !exact || s.same_route(*r);
    });
    if (!n) return "Error: The static route does not exist.";
    return {};
  });
}

// PREFIX {MASK|LEN} {NEXTHOP | INTERFACE [NEXTHOP]} [preference N]
void add_route_grammar(Node& root, const Action& act, bool undo) {
  Node& p = root.kw("ip", "Specify IP configuration")
                .kw("route-static", undo ? "Remove a static route" : "Configure a static route")
                .ipv4("prefix", "Destination address");
  auto tail = [&](Node& n) {
    if (undo) n.run(act);  // every route to the prefix
    auto pref = [&](Node& m) {
      if (!undo)
        m.kw("preference", "Route preference (default 60)")
            .integer("preference", 1, 255, "Preference, smaller wins")
            .run(act);
    };
    Node& hop = n.ipv4("nexthop", "Next hop address");
    hop.run(act);
    pref(hop);
    Node& iface = n.string("ifname", 1, 20, "Outgoing interface (Linux name or Virtual-TemplateN)",
                           route_interface);
    iface.run(act);
    pref(iface);
    Node& iface_hop = iface.ipv4("nexthop", "Next hop address");
    iface_hop.run(act);
    pref(iface_hop);
  };
  tail(p.ipv4("mask", "Network mask"));
  tail(p.integer("length", 0, 32, "Mask length"));
}

// ---- display ip routing-table -------------------------------------------------------------

struct Row {
  Ipv4 destination;
  int length = 0;
  std::string proto;
  std::uint32_t preference = 0;
  std::uint32_t cost = 0;
  Ipv4 next_hop;
  std::string interface;
};

std::string short_name(const std::string& name) {
  std::uint16_t n = 0;
  if (is_virtual_template_name(name, &n)) return "VT" + std::to_string(n);
  return printable(name);
}

std::vector<Row> routing_rows(const std::vector<LinkStatus>& links, const RunningConfig& c,
                              const std::vector<VirtualAccessStatus>& accesses) {
  std::vector<Row> rows;
  std::vector<std::pair<Row, bool>> direct;  // (route, usable for next-hop resolution)
  std::map<std::string, bool> up;            // interface name (as configured) -> up
  for (const auto& l : links) {
    bool is_up = l.admin_up && (l.running || l.loopback);
    up[l.name] = is_up;
    if (!is_up) continue;
    for (const auto& [a, len] : l.addresses)
      rows.push_back({network_of(a, len), len, "Direct", 0, 0, a, printable(l.name)});
  }
  for (const auto& [n, t] : c.virtual_templates) {
    const std::string name = "Virtual-Template" + std::to_string(n);
    up[name] = !t.shutdown;
    if (t.shutdown || !t.ip_address) continue;
    int len = t.ip_mask ? mask_to_prefix(*t.ip_mask).value_or(32) : 32;
    rows.push_back({network_of(*t.ip_address, len), len, "Direct", 0, 0, *t.ip_address,
                    "VT" + std::to_string(n)});
  }
  const std::size_t direct_count = rows.size();
  for (const auto& v : accesses)
    if (v.ipcp_up && v.peer_address && v.local_address)
      rows.push_back(
          {*v.peer_address, 32, "Direct", 0, 0, *v.peer_address, "VA" + std::to_string(v.index)});
  for (const auto& s : c.static_routes) {
    std::string out;
    if (!s.interface.empty()) {
      auto it = up.find(s.interface);
      if (it == up.end() || !it->second) continue;  // interface down or absent: inactive
      out = short_name(s.interface);
    } else {
      // The next hop must be on a connected network.
      for (std::size_t i = 0; i < direct_count && out.empty(); ++i)
        if (contains(rows[i].destination, rows[i].length, *s.next_hop)) out = rows[i].interface;
      if (out.empty()) continue;
    }
    rows.push_back(
        {s.prefix, s.length, "Static", s.preference, 0, s.next_hop.value_or(Ipv4{}), out});
  }
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    if (a.destination.value != b.destination.value)
      return a.destination.value < b.destination.value;
    if (a.length != b.length) return a.length < b.length;
    return a.preference < b.preference;
  });
  return rows;
}

std::string render_routing_table(const std::vector<Row>& rows) {
  std::size_t destinations = 0;
  for (std::size_t i = 0; i < rows.size(); ++i)
    if (i == 0 || rows[i].destination != rows[i - 1].destination ||
        rows[i].length != rows[i - 1].length)
      ++destinations;
  std::string out = pad("Destinations : " + std::to_string(destinations), 24) +
                    "Routes : " + std::to_string(rows.size()) + "\n\n";
  out += "Destination/Mask    Proto  Pre  Cost         NextHop         Interface\n";
  for (const auto& r : rows)
    out += pad(r.destination.to_string() + "/" + std::to_string(r.length), 20) + pad(r.proto, 7) +
           pad(std::to_string(r.preference), 5) + pad(std::to_string(r.cost), 13) +
           pad(r.next_hop.to_string(), 16) + r.interface + "\n";
  return out;
}

// ---- ping / tracert -----------------------------------------------------------------------

std::uint16_t checksum(const std::uint8_t* p, std::size_t n) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < n; i += 2) sum += (std::uint32_t{p[i]} << 8) | p[i + 1];
  if (n & 1) sum += std::uint32_t{p[n - 1]} << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

std::atomic<std::uint16_t> next_ident{static_cast<std::uint16_t>(::getpid() * 7919u)};

// One ICMP socket for a ping or tracert run.
class IcmpProbe {
 public:
  ~IcmpProbe() {
    if (fd_ >= 0) ::close(fd_);
  }
  // "" or the error to print.
  std::string open(std::optional<Ipv4> source) {
    fd_ = ::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
    raw_ = fd_ >= 0;
    if (fd_ < 0) fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMP);
    if (fd_ < 0) return std::string("Error: Cannot open an ICMP socket: ") + std::strerror(errno);
    ident_ = next_ident.fetch_add(1);
    if (source) {
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(source->value);
      if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
        return "Error: The source address " + source->to_string() +
               " is not an address of this device.";
    }
    if (!raw_) {
      // Ping sockets take their identifier from the bound port.
      sockaddr_in a{};
      socklen_t len = sizeof a;
      if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0)
        ident_ = ntohs(a.sin_port);
      int on = 1;
      ::setsockopt(fd_, IPPROTO_IP, IP_RECVTTL, &on, sizeof on);
    }
    return {};
  }
  bool set_ttl(int ttl) { return ::setsockopt(fd_, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl) == 0; }
  // Sends echo request `seq` with `size` data bytes. errno text on failure.
  std::string send(Ipv4 to, std::uint16_t seq, std::size_t size) {
    std::vector<std::uint8_t> pkt(8 + size);
    pkt[0] = ICMP_ECHO;
    pkt[4] = static_cast<std::uint8_t>(ident_ >> 8);
    pkt[5] = static_cast<std::uint8_t>(ident_);
    pkt[6] = static_cast<std::uint8_t>(seq >> 8);
    pkt[7] = static_cast<std::uint8_t>(seq);
    for (std::size_t i = 0; i < size; ++i) pkt[8 + i] = static_cast<std::uint8_t>(i);
    auto sum = checksum(pkt.data(), pkt.size());
    pkt[2] = static_cast<std::uint8_t>(sum >> 8);
    pkt[3] = static_cast<std::uint8_t>(sum);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(to.value);
    if (::sendto(fd_, pkt.data(), pkt.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0)
      return std::strerror(errno);
    return {};
  }

  struct Reply {
    enum Kind { echo_reply, time_exceeded, unreachable } kind = echo_reply;
    Ipv4 from;
    std::uint16_t seq = 0;
    int ttl = 0;
    std::size_t bytes = 0;  // ICMP data bytes of an echo reply
  };
  // Waits until `deadline` for a reply to one of our requests (echo reply, or an ICMP error
  // quoting our request); polls `interrupted` every 50 ms. nullopt on timeout/interrupt.
  std::optional<Reply> wait(Clock::time_point deadline, const std::function<bool()>& interrupted,
                            bool* broke) {
    std::uint8_t buf[2048];
    for (;;) {
      if (interrupted && interrupted()) {
        *broke = true;
        return std::nullopt;
      }
      auto now = Clock::now();
      if (now >= deadline) return std::nullopt;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
      pollfd p{fd_, POLLIN, 0};
      int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left + 1, 50)));
      if (r <= 0) continue;
      sockaddr_in from{};
      iovec iov{buf, sizeof buf};
      char control[64];
      msghdr msg{};
      msg.msg_name = &from;
      msg.msg_namelen = sizeof from;
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      ssize_t n = ::recvmsg(fd_, &msg, MSG_DONTWAIT);
      if (n <= 0) continue;
      const std::uint8_t* icmp = buf;
      std::size_t len = static_cast<std::size_t>(n);
      int ttl = 0;
      if (raw_) {
        if (len < 20) continue;
        std::size_t ihl = (buf[0] & 0x0f) * 4u;
        if (len < ihl + 8) continue;
        ttl = buf[8];
        icmp = buf + ihl;
        len -= ihl;
      } else {
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
          if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL)
            std::memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
      }
      if (len < 8) continue;
      Reply reply;
      reply.from = Ipv4{ntohl(from.sin_addr.s_addr)};
      reply.ttl = ttl;
      const std::uint8_t* echo = icmp;  // the echo header that carries ident/seq
      if (icmp[0] == ICMP_ECHOREPLY) {
        reply.kind = Reply::echo_reply;
        reply.bytes = len - 8;
      } else if (icmp[0] == ICMP_TIME_EXCEEDED || icmp[0] == ICMP_DEST_UNREACH) {
        // The quoted IP header and the first 8 bytes of our request follow.
        if (len < 8 + 20 + 8) continue;
        std::size_t ihl = (icmp[8] & 0x0f) * 4u;
        if (len < 8 + ihl + 8 || icmp[8 + 9] != IPPROTO_ICMP) continue;
        echo = icmp + 8 + ihl;
        if (echo[0] != ICMP_ECHO) continue;
        reply.kind = icmp[0] == ICMP_TIME_EXCEEDED ? Reply::time_exceeded : Reply::unreachable;
      } else {
        continue;
      }
      std::uint16_t id = static_cast<std::uint16_t>(echo[4] << 8 | echo[5]);
      // A ping socket's kernel rewrites the identifier and filters itself.
      if (raw_ && id != ident_) continue;
      reply.seq = static_cast<std::uint16_t>(echo[6] << 8 | echo[7]);
      return reply;
    }
  }

 private:
  int fd_ = -1;
  bool raw_ = false;
  std::uint16_t ident_ = 0;
};

// ping and tracert take seconds and send packets: only an operator at a terminal (one
// with live output and Ctrl+C) runs them, never a configuration file or a script.
bool at_terminal(Call& call, const char* what) {
  if (call.session.live_output().write) return true;
  call.error(std::string("Error: ") + what + " can only be run from a terminal.");
  return false;
}

// Writes one line now (LiveOutput) or collects it for the end.
struct Printer {
  Call& call;
  void line(const std::string& s) {
    const auto& live = call.session.live_output();
    if (live.write)
      live.write(s);
    else
      call.print(s);
  }
  bool interrupted() const {
    const auto& live = call.session.live_output();
    return live.interrupted && live.interrupted();
  }
};

std::string ms(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3f", v);
  return b;
}

// The arguments ping and tracert share: the target, `-a SOURCE`, `-t TIMEOUT` (ms).
struct ProbeArgs {
  Ipv4 host;
  std::optional<Ipv4> source;
  std::chrono::milliseconds timeout;
};
ProbeArgs probe_args(const Call& call, std::uint32_t default_timeout_ms) {
  ProbeArgs a{
      *Ipv4::parse(call.get("host")), std::nullopt,
      std::chrono::milliseconds(call.has("timeout") ? call.number("timeout") : default_timeout_ms)};
  if (call.has("source")) a.source = *Ipv4::parse(call.get("source"));
  return a;
}

void ping(Call& call) {
  if (!at_terminal(call, "ping")) return;
  const auto [host, source, timeout] = probe_args(call, 2000);
  const std::uint32_t count = call.has("count") ? call.number("count") : 5;
  const std::size_t size = call.has("size") ? call.number("size") : 56;
  IcmpProbe probe;
  if (auto e = probe.open(source); !e.empty()) return call.error(e);
  Printer out{call};
  out.line("Ping " + host.to_string() + " (" + host.to_string() + ")" +
           (source ? " from " + source->to_string() : std::string()) + ": " + std::to_string(size) +
           " data bytes, press CTRL+C to break");
  std::uint32_t sent = 0, received = 0;
  std::vector<double> times;
  bool broke = false;
  for (std::uint32_t seq = 0; seq < count && !broke; ++seq) {
    auto start = Clock::now();
    ++sent;
    if (auto e = probe.send(host, static_cast<std::uint16_t>(seq), size); !e.empty()) {
      out.line("Ping failed: " + e);
    } else {
      const auto deadline = start + timeout;
      bool answered = false;
      while (!answered && !broke) {
        auto r = probe.wait(
            deadline, [&] { return out.interrupted(); }, &broke);
        if (!r) break;
        if (r->kind != IcmpProbe::Reply::echo_reply) {
          if (r->seq == seq) {
            out.line("Reply from " + r->from.to_string() + ": " +
                     (r->kind == IcmpProbe::Reply::unreachable ? "Destination unreachable"
                                                               : "TTL exceeded") +
                     ", icmp_seq=" + std::to_string(seq));
            answered = true;
          }
          continue;
        }
        if (r->seq != seq || r->from != host) continue;  // a late reply to an earlier one
        double t = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
        times.push_back(t);
        ++received;
        answered = true;
        out.line(std::to_string(r->bytes) + " bytes from " + r->from.to_string() + ": icmp_seq=" +
                 std::to_string(seq) + " ttl=" + std::to_string(r->ttl) + " time=" + ms(t) + " ms");
      }
      if (!answered && !broke) out.line("Request time out");
    }
    // Comware's default interval between requests: 200 ms.
    auto next = start + std::chrono::milliseconds(200);
    while (seq + 1 < count && !broke && Clock::now() < next) {
      if (out.interrupted()) broke = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  out.line("");
  out.line("--- Ping statistics for " + host.to_string() + " ---");
  char loss[32];
  std::snprintf(loss, sizeof loss, "%.1f%%",
                sent ? 100.0 * static_cast<double>(sent - received) / sent : 0.0);
  out.line(std::to_string(sent) + " packet(s) transmitted, " + std::to_string(received) +
           " packet(s) received, " + loss + " packet loss");
  if (!times.empty()) {
    double mn = *std::min_element(times.begin(), times.end());
    double mx = *std::max_element(times.begin(), times.end());
    double sum = 0, sq = 0;
    for (double t : times) sum += t;
    double avg = sum / static_cast<double>(times.size());
    for (double t : times) sq += (t - avg) * (t - avg);
    double sd = std::sqrt(sq / static_cast<double>(times.size()));
    out.line("round-trip min/avg/max/std-dev = " + ms(mn) + "/" + ms(avg) + "/" + ms(mx) + "/" +
             ms(sd) + " ms");
  }
}

void tracert(Call& call) {
  if (!at_terminal(call, "tracert")) return;
  const auto [host, source, timeout] = probe_args(call, 5000);
  const int max_ttl = call.has("maxttl") ? static_cast<int>(call.number("maxttl")) : 30;
  IcmpProbe probe;
  if (auto e = probe.open(source); !e.empty()) return call.error(e);
  Printer out{call};
  out.line("traceroute to " + host.to_string() + " (" + host.to_string() + "), " +
           std::to_string(max_ttl) + " hops at most, 40 bytes each packet, press CTRL+C to break");
  bool broke = false, reached = false;
  std::uint16_t seq = 0;
  for (int ttl = 1; ttl <= max_ttl && !broke && !reached; ++ttl) {
    probe.set_ttl(ttl);
    std::string line = pad(" " + std::to_string(ttl), 4);
    std::optional<Ipv4> hop;
    for (int i = 0; i < 3 && !broke; ++i) {
      auto start = Clock::now();
      const std::uint16_t my_seq = seq++;
      if (!probe.send(host, my_seq, 12).empty()) {
        line += " *";
        continue;
      }
      std::optional<IcmpProbe::Reply> got;
      while (!broke) {
        auto r = probe.wait(
            start + timeout, [&] { return out.interrupted(); }, &broke);
        if (!r) break;
        if (r->seq == my_seq) {
          got = r;
          break;
        }
      }
      if (!got) {
        line += " *";
        continue;
      }
      if (!hop) {
        hop = got->from;
        line += " " + got->from.to_string() + " (" + got->from.to_string() + ")";
      }
      auto t = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
      line += "  " + std::to_string(t.count()) + " ms";
      if (got->kind != IcmpProbe::Reply::time_exceeded) reached = true;
    }
    out.line(line);
  }
}

// Options in any order, each at most once, then HOST: a small tree per permutation.
struct Option {
  const char* word;
  const char* help;
  const char* key;
  bool address;
  std::int64_t lo, hi;
  const char* arg_help;
};
void add_options(Node& n, const std::vector<Option>& options, unsigned used, const Action& act,
                 const char* host_help) {
  n.ipv4("host", host_help).run(act);
  for (std::size_t i = 0; i < options.size(); ++i) {
    if (used & (1u << i)) continue;
    const Option& o = options[i];
    Node& k = n.kw(o.word, o.help);
    Node& arg = o.address ? k.ipv4(o.key, o.arg_help) : k.integer(o.key, o.lo, o.hi, o.arg_help);
    add_options(arg, options, used | (1u << i), act, host_help);
  }
}

}  // namespace

void register_routing(Grammar& g) {
  Node& sys = root(g, View::system);
  add_route_grammar(sys, add_route, false);
  add_route_grammar(sys.kw("undo", "Cancel current setting"), remove_routes, true);

  const std::vector<Option> ping_options = {
      {"-a", "Source address of the requests", "source", true, 0, 0, "Source IP address"},
      {"-c", "Number of requests (default 5)", "count", false, 1, 4294967295LL, "Count"},
      {"-s", "Data bytes per request (default 56)", "size", false, 20, 8100, "Bytes"},
      {"-t", "Reply timeout in ms (default 2000)", "timeout", false, 0, 65535, "Milliseconds"},
  };
  const std::vector<Option> tracert_options = {
      {"-a", "Source address of the probes", "source", true, 0, 0, "Source IP address"},
      {"-m", "Maximum TTL (default 30)", "maxttl", false, 1, 255, "Hops"},
      {"-w", "Reply timeout in ms (default 5000)", "timeout", false, 1, 65535, "Milliseconds"},
  };
  for (std::size_t v = 0; v < static_cast<std::size_t>(View::count); ++v) {
    Node& r = root(g, static_cast<View>(v));
    add_options(r.kw("ping", "Check reachability (ICMP echo)"), ping_options, 0, ping,
                "Destination IP address");
    add_options(r.kw("tracert", "Trace the route to a host"), tracert_options, 0, tracert,
                "Destination IP address");
    r.kw("display", "Display current system information")
        .kw("ip", "IP information")
        .kw("routing-table", "The IP routing table")
        .run([](Call& call) {
          auto links = call.session.context().operations.host_links();
          auto cfg = call.snapshot();
          auto& ctx = call.session.context();
          auto accesses = ctx.engine.call([&] { return ctx.operations.virtual_accesses(); });
          call.print(render_routing_table(routing_rows(links, cfg, accesses)));
        });
  }
}

}  // namespace vpdnd::cli::lang
