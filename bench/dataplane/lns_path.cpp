// LNS data path for bench_dataplane: the vpdn engine (vpdn/engine.hpp) as LNS, with its
// DatagramPort backed by netlink's UdpBatchSocket and the TUN read in batches, i.e. the
// path vpdnd's LNS runs per packet minus the app glue (one map lookup, one PPP header).
#include "bench/dataplane/lns_path.hpp"

#include <poll.h>
#include <sys/resource.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstring>
#include <deque>

#include "startup-config/model.hpp"
#include "vpdn/engine.hpp"

namespace vpdnd::bench {

namespace {

double thread_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_THREAD, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// In-memory datagrams for the control-plane setup.
struct Wire {
  struct Item {
    vpdn::Endpoint from, to;
    Bytes data;
  };
  std::deque<Item> q;
};
struct MemPort : vpdn::DatagramPort {
  MemPort(Wire& w, vpdn::Endpoint self) : wire(w), self(self) {}
  Wire& wire;
  vpdn::Endpoint self;
  void send_to(const vpdn::Endpoint& to, ByteView d) override {
    wire.q.push_back({self, to, Bytes(d.begin(), d.end())});
  }
  void send_parts(const vpdn::Endpoint& to, ByteView head, ByteView body) override {
    Bytes b(head.begin(), head.end());
    b.insert(b.end(), body.begin(), body.end());
    wire.q.push_back({self, to, std::move(b)});
  }
  vpdn::Endpoint local() const override { return self; }
};

// The LNS's real port during measurement: sendmmsg batches.
struct BatchPort : vpdn::DatagramPort {
  BatchPort(netlink::UdpBatchSocket& s, vpdn::Endpoint self) : sock(s), self(self) {}
  netlink::UdpBatchSocket& sock;
  vpdn::Endpoint self;
  static netlink::Endpoint ep(const vpdn::Endpoint& e) { return {e.address, e.port}; }
  void send_to(const vpdn::Endpoint& to, ByteView d) override { sock.queue(ep(to), d); }
  void send_parts(const vpdn::Endpoint& to, ByteView head, ByteView body) override {
    sock.queue(ep(to), head, body);
  }
  vpdn::Endpoint local() const override { return self; }
};

struct Lns : vpdn::SessionHandler {
  std::optional<vpdn::SessionRef> ref;
  netlink::TunDevice* tun = nullptr;
  std::uint64_t to_tun = 0;
  bool on_incoming_session(const vpdn::IncomingSession& s) override {
    ref = s.ref;
    return true;
  }
  void on_session_down(vpdn::SessionRef, const vpdn::SessionEnd&) override { ref.reset(); }
  void on_data(vpdn::SessionRef, ByteView frame) override {
    // PPP: optional FF 03, then protocol 0x0021 (IPv4).
    if (frame.size() >= 2 && frame[0] == 0xff && frame[1] == 0x03) frame = frame.subspan(2);
    if (frame.size() < 2 || frame[0] != 0x00 || frame[1] != 0x21) return;
    if (tun && tun->write(frame.subspan(2))) ++to_tun;
  }
};
struct Lac : vpdn::SessionHandler {
  bool on_incoming_session(const vpdn::IncomingSession&) override { return false; }
  void on_session_down(vpdn::SessionRef, const vpdn::SessionEnd&) override {}
  void on_data(vpdn::SessionRef, ByteView) override {}
};

}  // namespace

LnsPathResult run_lns_path(netlink::TunDevice& tun, bool down, std::uint16_t lns_port,
                           std::uint16_t lac_port, std::size_t batch_size, std::atomic<bool>& stop,
                           std::atomic<bool>& ready, std::uint16_t ids[2]) {
  LnsPathResult res;
  const Ipv4 lo = *Ipv4::parse("127.0.0.1");
  vpdn::Endpoint lns_ep{lo, lns_port}, lac_ep{lo, lac_port};
  boost::asio::io_context io;
  AsioTimerService timers(io);
  vpdn::OsRandom random;
  config::RunningConfig lns_cfg, lac_cfg;
  lns_cfg.l2tp.enabled = lac_cfg.l2tp.enabled = true;
  lns_cfg.sysname = "bench-lns";
  lac_cfg.sysname = "bench-lac";
  config::L2tpGroup g;
  g.number = 1;
  g.allow_virtual_template = 1;
  g.tunnel_authentication = false;
  lns_cfg.l2tp_groups[1] = g;
  vpdn::L2tpEngine lns(lns_cfg, timers, random), lac(lac_cfg, timers, random);
  Lns lns_h;
  Lac lac_h;
  lns.set_handler(&lns_h);
  lac.set_handler(&lac_h);
  Wire wire;
  MemPort lns_mem(wire, lns_ep), lac_mem(wire, lac_ep);
  lns.attach(&lns_mem);
  lac.attach(&lac_mem);

  vpdn::LacCallRequest req;
  req.lns_addresses = {lo};
  req.lns_port = lns_port;
  req.authenticate = false;
  req.user = "bench";
  bool up = false;
  vpdn::LacCallbacks cb;
  cb.on_up = [&](vpdn::SessionRef) { up = true; };
  auto call = lac.place_call(req, cb);
  if (!call) return res;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while ((!up || !lns_h.ref) && std::chrono::steady_clock::now() < deadline) {
    io.poll();
    while (!wire.q.empty()) {
      auto item = std::move(wire.q.front());
      wire.q.pop_front();
      (item.to == lns_ep ? lns : lac).on_datagram(item.from, item.data);
    }
  }
  if (!up || !lns_h.ref) return res;
  auto st = lns.session_status(*lns_h.ref);
  if (!st) return res;
  // What the generator needs to build data messages for the LNS session: the LNS's ids.
  ids[0] = lns_h.ref->tunnel;
  ids[1] = lns_h.ref->session;

  auto udp = netlink::UdpBatchSocket::bind({lo, lns_port}, batch_size, 2048);
  if (!udp) return res;
  (void)(*udp)->set_buffers(8 << 20, 8 << 20);
  BatchPort port(**udp, lns_ep);
  lns.attach(&port);
  lns_h.tun = &tun;
  netlink::AddressMap<vpdn::SessionRef> sessions;
  sessions.insert(*Ipv4::parse("10.98.1.5"), *lns_h.ref);
  netlink::DataPlaneCounters drops;
  // 4 octets of headroom: the PPP header goes in front of each packet without a copy.
  netlink::PacketBatch batch(batch_size, 2048, 4);
  ready = true;

  pollfd fds[2] = {{tun.fd(), POLLIN, 0}, {(*udp)->fd(), POLLIN, 0}};
  double cpu0 = thread_cpu_seconds();
  std::uint64_t sent = 0;
  while (!stop.load(std::memory_order_relaxed)) {
    if (::poll(fds, 2, 100) <= 0) continue;
    if (fds[0].revents & POLLIN) {
      std::size_t n = tun.read_batch(batch);
      for (std::size_t i = 0; i < n; ++i) {
        const vpdn::SessionRef* s = sessions.find_for_packet(batch[i], drops);
        if (!s) continue;
        std::span<std::uint8_t> frame = batch.prepend(i, 4);
        frame[0] = 0xff;
        frame[1] = 0x03;
        frame[2] = 0x00;
        frame[3] = 0x21;
        if (lns.send_data(*s, frame)) ++sent;
      }
      (*udp)->flush();
    }
    if (fds[1].revents & POLLIN) {
      std::size_t n = (*udp)->receive();
      for (std::size_t i = 0; i < n; ++i) {
        netlink::Endpoint f = (*udp)->from(i);
        lns.on_datagram(vpdn::Endpoint{f.address, f.port}, (*udp)->datagram(i));
      }
      (*udp)->flush();  // acks, if any
    }
  }
  res.cpu_s = thread_cpu_seconds() - cpu0;
  res.relayed = down ? sent : lns_h.to_tun;
  res.ok = true;
  lns.attach(nullptr);
  lac.attach(nullptr);
  return res;
}

}  // namespace vpdnd::bench
