// udp-blast: see blast.hpp. One thread: a connected UDP socket per flow (bound to its
// source address, so policy routing by source picks the flow's PPP session), served in
// turn with one sendmmsg of up to --batch datagrams each; or (--l2tp) one raw socket whose
// sendmmsg batches go round the sessions, one packet of each in turn.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "tools/udp-blast/blast.hpp"

namespace {

const char* kUsage =
    "usage: udp-blast --from A[,A...] --to B[,B...] [--port P] [--size OCTETS] [--seconds S]\n"
    "                 [--pps RATE] [--batch N]\n"
    "       udp-blast --l2tp FILE --to B [--port P] [--size OCTETS] [--seconds S] ...\n"
    "  sends UDP datagrams of SIZE octets as IP packets (default 64) to port P (default 9) on\n"
    "  every flow: --from and --to pair up element by element, or one address goes with all\n"
    "  of the other list. RATE is datagrams/s over all flows (default 0: as fast as possible).\n"
    "  --l2tp FILE: one flow per session of FILE (vpdn-dial --sessions-file), from the\n"
    "  session's address to B, each datagram sent as the LAC's L2TP data message to the LNS\n"
    "  (raw socket, from the tunnel's address and port; needs CAP_NET_RAW).\n"
    "  Prints \"udp-blast: sending on N flow(s)\" once it starts, then one line at the end:\n"
    "  udp-blast: flows= size= sent= send_errors= seconds= pps= cpu_user_s=\n"
    "  cpu_sys_s=; exits 1 when nothing could be sent.\n";

double seconds_of(const timeval& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

sockaddr_in to_sockaddr(vpdnd::Ipv4 a, std::uint16_t port) {
  sockaddr_in s{};
  s.sin_family = AF_INET;
  s.sin_addr.s_addr = htonl(a.value);
  s.sin_port = htons(port);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace vpdnd::blast;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "-h" || args[0] == "--help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  auto parsed = parse_options(args);
  if (!parsed) {
    std::fprintf(stderr, "udp-blast: %s\n%s", parsed.error().c_str(), kUsage);
    return 2;
  }
  const Options& o = *parsed;
  std::vector<int> fds;
  // What one sendmmsg sends: `batch` messages; plain UDP sends the same payload on one
  // flow's socket, --l2tp one packet of each session in turn on the raw socket.
  std::vector<std::uint8_t> payload;
  std::vector<vpdnd::Bytes> packets;
  std::vector<sockaddr_in> lns;
  std::vector<iovec> iov(o.batch);
  std::vector<mmsghdr> msgs(o.batch);
  if (!o.l2tp_file.empty()) {
    std::ifstream in(o.l2tp_file);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) {
      std::fprintf(stderr, "udp-blast: %s: cannot read\n", o.l2tp_file.c_str());
      return 2;
    }
    auto sessions = parse_sessions(text.str());
    if (!sessions || sessions->empty()) {
      std::fprintf(stderr, "udp-blast: %s: %s\n", o.l2tp_file.c_str(),
                   sessions ? "no session" : sessions.error().c_str());
      return 2;
    }
    for (const auto& ses : *sessions) {
      packets.push_back(l2tp_data_packet(ses, o.to[0], o.port, o.size));
      lns.push_back(to_sockaddr(ses.lns.address, 0));
    }
    int fd = ::socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_RAW);
    if (fd < 0) {
      std::perror("udp-blast: raw socket");
      return 2;
    }
    int buf = 4 << 20;
    (void)::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof buf);
    fds.push_back(fd);
  } else {
    auto flows = make_flows(o.from, o.to);
    for (const auto& [from, to] : *flows) {
      int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) {
        std::perror("udp-blast: socket");
        return 2;
      }
      int buf = 4 << 20;
      (void)::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof buf);
      sockaddr_in local = to_sockaddr(from, 0), remote = to_sockaddr(to, o.port);
      if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
          ::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0) {
        std::fprintf(stderr, "udp-blast: %s -> %s: %s\n", from.to_string().c_str(),
                     to.to_string().c_str(), std::strerror(errno));
        return 2;
      }
      fds.push_back(fd);
    }
    payload.assign(o.size - kIpUdpHeaders, 0);
  }
  for (std::size_t i = 0; i < o.batch; ++i) {
    iov[i] = {payload.data(), payload.size()};
    msgs[i] = {};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  const std::size_t flow_count = packets.empty() ? fds.size() : packets.size();

  // The start line: a caller measuring a window inside the run waits for it (starting a
  // process can take seconds in an emulated guest).
  std::printf("udp-blast: sending on %zu flow(s)\n", flow_count);
  std::fflush(stdout);
  Pacer pacer(o.pps, o.batch);
  Report r;
  r.flows = flow_count;
  r.size = o.size;
  const auto start = std::chrono::steady_clock::now();
  std::chrono::duration<double> elapsed{0};
  std::size_t next = 0;
  while ((elapsed = std::chrono::steady_clock::now() - start).count() < o.seconds) {
    std::size_t n = pacer.allowed(elapsed, r.sent + r.send_errors);
    if (n == 0) {
      std::this_thread::sleep_for(pacer.wait(elapsed, r.sent + r.send_errors));
      continue;
    }
    int fd;
    if (packets.empty()) {
      fd = fds[next];
      next = (next + 1) % fds.size();
    } else {
      fd = fds[0];
      for (std::size_t i = 0; i < n; ++i) {
        iov[i] = {packets[next].data(), packets[next].size()};
        msgs[i].msg_hdr.msg_name = &lns[next];
        msgs[i].msg_hdr.msg_namelen = sizeof lns[next];
        next = (next + 1) % packets.size();
      }
    }
    int done = ::sendmmsg(fd, msgs.data(), static_cast<unsigned>(n), MSG_DONTWAIT);
    // A full socket buffer or qdisc (EAGAIN, ENOBUFS) or a refusal: what did not go counts
    // as a send error; the pacer treats it as sent, so a paced run offers its rate.
    std::size_t ok = done > 0 ? static_cast<std::size_t>(done) : 0;
    r.sent += ok;
    r.send_errors += n - ok;
  }
  r.seconds = elapsed.count();
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  r.cpu_user_s = seconds_of(ru.ru_utime);
  r.cpu_sys_s = seconds_of(ru.ru_stime);
  for (int fd : fds) ::close(fd);
  std::printf("%s\n", format_report(r).c_str());
  return r.sent > 0 ? 0 : 1;
}
