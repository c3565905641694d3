// bench_dataplane: packets/s through a bare TUN<->UDP relay, the baseline the LNS user-space
// path is measured against (LNS path >= 0.85 of this, 64- and 1400-octet packets).
//
// Runs in a private network namespace (unshare, so nothing outside is touched and nothing
// is left behind): TUN vdpb0 10.98.0.1/24 with 10.98.1.0/24 routed into it.
//  down (TUN -> UDP): a generator thread sends UDP to 10.98.1.5, the kernel routes the IP
//    packets into the TUN, the relay reads them in batches and sends each, behind an
//    8-octet header standing in for L2TP, to a sink socket on 127.0.0.1 (sendmmsg).
//  up (UDP -> TUN): the generator sends header + IP packet datagrams to the relay's UDP
//    socket; the relay strips the header and writes the packet into the TUN; the kernel
//    delivers it to a sink socket on 10.98.0.1.
// The relay is one thread doing exactly what netlink/netlink.hpp offers the LNS
// (TunDevice::read_batch, UdpBatchSocket::receive/queue/flush, TunDevice::write). Figures:
// packets/s delivered at the sink and the relay thread's CPU use.
//
// Usage: bench_dataplane [--seconds S] [--batch N]   (root; ports 23200-23203)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "common/log.hpp"
#include "netlink/netlink.hpp"
#ifdef BENCH_HAVE_LNS
#include "bench/dataplane/lns_path.hpp"
#endif

using namespace vpdnd;
using namespace vpdnd::netlink;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::uint16_t kSinkPort = 23200;       // 127.0.0.1: down-direction sink
constexpr std::uint16_t kRelayPort = 23201;      // 127.0.0.1: relay's UDP socket
constexpr std::uint16_t kLocalSinkPort = 23202;  // 10.98.0.1: up-direction sink
const Ipv4 kLocal = *Ipv4::parse("10.98.0.1");
const Ipv4 kRemote = *Ipv4::parse("10.98.1.5");
const Ipv4 kLoopback = *Ipv4::parse("127.0.0.1");

double thread_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_THREAD, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int udp_socket(Ipv4 addr, std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int big = 8 << 20;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(addr.value);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
    std::perror("bind");
    std::exit(1);
  }
  return fd;
}

sockaddr_in sockaddr_of(Ipv4 a, std::uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(a.value);
  return sa;
}

std::uint16_t ip_checksum(const std::uint8_t* p, std::size_t n) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < n; i += 2) sum += (p[i] << 8) | p[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

// header(8) + IPv4/UDP packet of `size` octets from kRemote to kLocal:kLocalSinkPort.
Bytes up_datagram(std::size_t size) {
  Bytes d(8 + size, 0);
  d[0] = 0x02;  // L2TP-like: version 2, data message
  d[1] = 0x02;
  std::uint8_t* p = d.data() + 8;
  p[0] = 0x45;
  p[2] = static_cast<std::uint8_t>(size >> 8);
  p[3] = static_cast<std::uint8_t>(size);
  p[8] = 64;
  p[9] = 17;
  for (int i = 0; i < 4; ++i) {
    p[12 + i] = static_cast<std::uint8_t>(kRemote.value >> (24 - 8 * i));
    p[16 + i] = static_cast<std::uint8_t>(kLocal.value >> (24 - 8 * i));
  }
  std::uint16_t c = ip_checksum(p, 20);
  p[10] = static_cast<std::uint8_t>(c >> 8);
  p[11] = static_cast<std::uint8_t>(c);
  p[20] = 0x5d;  // source port 23999
  p[21] = 0xbf;
  p[22] = static_cast<std::uint8_t>(kLocalSinkPort >> 8);
  p[23] = static_cast<std::uint8_t>(kLocalSinkPort);
  p[24] = static_cast<std::uint8_t>((size - 20) >> 8);
  p[25] = static_cast<std::uint8_t>(size - 20);
  return d;
}

struct Figures {
  double pps = 0, mbps = 0, relay_cpu = 0, offered_pps = 0;
  double ns_per_packet = 0;  // relay thread CPU per relayed packet
};

// Blasts `payload` to `to` with sendmmsg until stop.
void generator(int fd, sockaddr_in to, Bytes payload, std::atomic<bool>& stop,
               std::atomic<std::uint64_t>& sent) {
  constexpr int kBatch = 64;
  std::vector<mmsghdr> msgs(kBatch);
  std::vector<iovec> iov(kBatch);
  for (int i = 0; i < kBatch; ++i) {
    iov[i] = iovec{payload.data(), payload.size()};
    msgs[i] = mmsghdr{};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &to;
    msgs[i].msg_hdr.msg_namelen = sizeof to;
  }
  while (!stop.load(std::memory_order_relaxed)) {
    int n = ::sendmmsg(fd, msgs.data(), kBatch, 0);
    if (n > 0) sent += static_cast<std::uint64_t>(n);
  }
}

// Counts datagrams arriving on fd until stop.
void sink(int fd, std::atomic<bool>& stop, std::atomic<std::uint64_t>& got) {
  constexpr int kBatch = 64;
  std::vector<std::uint8_t> buf(kBatch * 2048);
  std::vector<mmsghdr> msgs(kBatch);
  std::vector<iovec> iov(kBatch);
  timeval tv{0, 100000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  while (!stop.load(std::memory_order_relaxed)) {
    for (int i = 0; i < kBatch; ++i) {
      iov[i] = iovec{buf.data() + i * 2048, 2048};
      msgs[i] = mmsghdr{};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int n = ::recvmmsg(fd, msgs.data(), kBatch, MSG_WAITFORONE, nullptr);
    if (n > 0) got += static_cast<std::uint64_t>(n);
  }
}

// The relay: TUN <-> UDP, one thread, poll() + batches.
void relay(TunDevice& tun, UdpBatchSocket& udp, Endpoint down_to, std::size_t batch_size,
           std::atomic<bool>& stop, double& cpu, std::uint64_t& relayed) {
  PacketBatch batch(batch_size, 2048);
  const std::uint8_t header[8] = {0x02, 0x02, 0, 1, 0, 1, 0, 0};
  pollfd fds[2] = {{tun.fd(), POLLIN, 0}, {udp.fd(), POLLIN, 0}};
  double cpu0 = thread_cpu_seconds();
  std::uint64_t out0 = udp.counters().packets_out + tun.counters().packets_out;
  while (!stop.load(std::memory_order_relaxed)) {
    if (::poll(fds, 2, 100) <= 0) continue;
    if (fds[0].revents & POLLIN) {
      std::size_t n = tun.read_batch(batch);
      for (std::size_t i = 0; i < n; ++i) udp.queue(down_to, ByteView(header, 8), batch[i]);
      udp.flush();
    }
    if (fds[1].revents & POLLIN) {
      std::size_t n = udp.receive();
      for (std::size_t i = 0; i < n; ++i) {
        ByteView d = udp.datagram(i);
        if (d.size() > 8) tun.write(d.subspan(8));
      }
    }
  }
  cpu = thread_cpu_seconds() - cpu0;
  relayed = udp.counters().packets_out + tun.counters().packets_out - out0;
}

// header for up-direction datagrams: the relay's 8 stand-in octets, or a real L2TP data
// header (T=0, version 2, LNS tunnel and session id) + PPP FF 03 00 21 for the LNS path.
Bytes up_payload(std::size_t size, bool lns, const std::uint16_t ids[2]) {
  Bytes d = up_datagram(size);  // 8-octet stand-in header + IP
  if (!lns) return d;
  ByteWriter w(10 + size);
  w.u16(0x0002);  // T=0 (data), version 2
  w.u16(ids[0]);
  w.u16(ids[1]);
  w.u16(0xff03);
  w.u16(0x0021);
  w.bytes(ByteView(d).subspan(8));
  return w.take();
}

Figures run(bool down, std::size_t size, double seconds, std::size_t batch_size, TunDevice& tun,
            bool lns) {
  std::atomic<bool> stop{false}, stop_relay{false}, ready{!lns};
  std::atomic<std::uint64_t> sent{0}, got{0};
  double cpu = 0;
  std::uint64_t relayed = 0;
  bool ok = true;
  std::uint16_t ids[2] = {0, 0};
  std::thread r;
  std::unique_ptr<UdpBatchSocket> udp;
  if (!lns) {
    auto u = UdpBatchSocket::bind({kLoopback, kRelayPort}, batch_size, 2048);
    if (!u) {
      std::fprintf(stderr, "relay socket: %s\n", u.error().message.c_str());
      std::exit(1);
    }
    udp = std::move(*u);
    (void)udp->set_buffers(8 << 20, 8 << 20);
    r = std::thread([&] {
      relay(tun, *udp, {kLoopback, kSinkPort}, batch_size, stop_relay, cpu, relayed);
    });
  } else {
#ifdef BENCH_HAVE_LNS
    r = std::thread([&] {
      auto res =
          bench::run_lns_path(tun, down, kRelayPort, kSinkPort, batch_size, stop_relay, ready, ids);
      ok = res.ok;
      cpu = res.cpu_s;
      relayed = res.relayed;
      ready = true;
    });
#endif
  }
  while (!ready.load()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  // Down sink: the tunnel peer's address (127.0.0.1:kSinkPort). Up: the local sink on the TUN
  // address. Up generator: from the tunnel peer's endpoint, so the LNS accepts its datagrams.
  int sink_fd = down ? udp_socket(kLoopback, kSinkPort) : udp_socket(kLocal, kLocalSinkPort);
  int gen_fd = down ? udp_socket(kLocal, 23203) : udp_socket(kLoopback, lns ? kSinkPort : 23203);
  std::thread s([&] { sink(sink_fd, stop, got); });
  Bytes payload = down ? Bytes(size - 28, 0x5a) : up_payload(size, lns, ids);
  sockaddr_in to = down ? sockaddr_of(kRemote, 9) : sockaddr_of(kLoopback, kRelayPort);
  std::thread g([&] { generator(gen_fd, to, payload, stop, sent); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::uint64_t got0 = got.load(), sent0 = sent.load();
  auto t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  std::uint64_t got1 = got.load(), sent1 = sent.load();
  double dt = std::chrono::duration<double>(Clock::now() - t0).count();
  stop = true;
  g.join();
  s.join();
  stop_relay = true;
  if (r.joinable()) r.join();
  ::close(sink_fd);
  ::close(gen_fd);
  Figures res;
  if (!ok) return res;
  res.pps = (got1 - got0) / dt;
  res.offered_pps = (sent1 - sent0) / dt;
  res.mbps = res.pps * size * 8 / 1e6;
  res.relay_cpu = cpu / (dt + 0.3);
  res.ns_per_packet = relayed ? cpu * 1e9 / static_cast<double>(relayed) : 0;
  return res;
}

void print(const char* what, bool down, std::size_t size, const Figures& r) {
  // capacity_pps: what the path's thread would do with a core to itself (1 / CPU per
  // packet); the delivered pps depends on how much CPU the generator and sink leave it.
  std::printf(
      "%-5s %-8s size=%4zu pps=%8.0f mbit_s=%7.1f offered_pps=%8.0f cpu=%3.0f%% "
      "ns_per_packet=%6.0f "
      "capacity_pps=%8.0f\n",
      what, down ? "tun->udp" : "udp->tun", size, r.pps, r.mbps, r.offered_pps, r.relay_cpu * 100,
      r.ns_per_packet, r.ns_per_packet > 0 ? 1e9 / r.ns_per_packet : 0.0);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 2;
  std::size_t batch = 32;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--seconds")
      seconds = std::stod(argv[i + 1]);
    else if (a == "--batch")
      batch = std::stoul(argv[i + 1]);
  }
  LogBus::instance().set_stderr(false);  // the in-process engines' tunnel_up lines
  if (::geteuid() != 0) {
    std::fprintf(stderr, "bench_dataplane: needs root (TUN, network namespace)\n");
    return 77;
  }
  if (::unshare(CLONE_NEWNET) != 0) {
    std::perror("unshare(CLONE_NEWNET)");
    return 1;
  }
  auto rtnl = RouteNetlink::open();
  auto tun = TunDevice::open("vdpb0");
  if (!rtnl || !tun) {
    std::fprintf(stderr, "setup: %s\n",
                 !rtnl ? rtnl.error().message.c_str() : tun.error().message.c_str());
    return 1;
  }
  auto lo = (*rtnl)->link_index("lo");
  if (!lo || !(*rtnl)->set_link(*lo, 0, true) ||
      !(*rtnl)->set_link((*tun)->ifindex(), 1500, true) ||
      !(*rtnl)->add_address((*tun)->ifindex(), kLocal, 24) ||
      !(*rtnl)->add_route(*Ipv4::parse("10.98.1.0"), 24, (*tun)->ifindex())) {
    std::fprintf(stderr, "setup: link/address/route failed\n");
    return 1;
  }
  std::printf("bench_dataplane: bare TUN<->UDP relay, single thread, batch %zu, %.1f s per run\n",
              batch, seconds);
  bool with_lns = false;
#ifdef BENCH_HAVE_LNS
  with_lns = true;
#endif
  for (bool down : {true, false}) {
    for (std::size_t size : {64u, 1400u}) {
      Figures base = run(down, size, seconds, batch, **tun, false);
      print("relay", down, size, base);
      if (!with_lns) continue;
      Figures lns = run(down, size, seconds, batch, **tun, true);
      print("lns", down, size, lns);
      if (lns.ns_per_packet > 0 && base.ns_per_packet > 0)
        std::printf("ratio %-8s size=%4zu lns/relay capacity=%.2f delivered=%.2f\n",
                    down ? "tun->udp" : "udp->tun", size, base.ns_per_packet / lns.ns_per_packet,
                    base.pps > 0 ? lns.pps / base.pps : 0.0);
      std::fflush(stdout);
    }
  }
  return 0;
}
