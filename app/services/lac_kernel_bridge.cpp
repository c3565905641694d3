// LacKernelBridge: the LAC's PPPoE <-> L2TP switch in the kernel. See lac_kernel_bridge.hpp.
#include "app/services/lac_kernel_bridge.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/system/system_error.hpp>
#include <cerrno>
#include <utility>
#include <vector>

#include "common/log.hpp"

namespace vpdnd::app {

namespace {

class KernelBridgedCall final : public BridgedCall {
 public:
  explicit KernelBridgedCall(std::unique_ptr<netlink::PppBridge> b) : b_(std::move(b)) {}
  Result<netlink::L2tpSessionStats, netlink::Error> stats() override { return b_->stats(); }

 private:
  std::unique_ptr<netlink::PppBridge> b_;
};

class KernelBridgeOps final : public LacBridgeOps {
 public:
  Result<std::unique_ptr<BridgedCall>, netlink::BridgeError> open_bridge(
      const netlink::PppoeSessionParams& user, const netlink::PppoL2tpParams& l2tp,
      std::uint16_t catch_up) override {
    auto b = netlink::PppBridge::open(user, l2tp, catch_up);
    if (!b) return unexpected(b.error());
    return std::unique_ptr<BridgedCall>(std::make_unique<KernelBridgedCall>(std::move(*b)));
  }
};

std::string call_text(vpdn::AccessId user, vpdn::SessionRef call) {
  return "pppoe port=" + std::to_string(user.port) + " session=" + std::to_string(user.session) +
         " tunnel=" + std::to_string(call.tunnel) + " session=" + std::to_string(call.session);
}

std::uint64_t less(std::uint64_t a, std::uint64_t b) {
  return a > b ? a - b : 0;
}

}  // namespace

std::unique_ptr<LacBridgeOps> make_kernel_bridge_ops() {
  return std::make_unique<KernelBridgeOps>();
}

aaa::Counters bridge_counters(const netlink::L2tpSessionStats& s, bool sequencing,
                              std::uint16_t catch_up) {
  const std::uint64_t per_packet = (sequencing ? 10 : 6) + 2;  // L2TP header, FF 03
  constexpr std::uint64_t kCatchUpFrame = 10;                  // LCP Discard-Request
  aaa::Counters c;
  c.input_packets = less(s.tx_packets, catch_up);
  c.input_octets =
      less(less(s.tx_bytes, catch_up * (per_packet + kCatchUpFrame)), c.input_packets * per_packet);
  c.output_packets = s.rx_packets;
  c.output_octets = less(s.rx_bytes, s.rx_packets * per_packet);
  return c;
}

// The per-tunnel connected socket, read on the io_context: every datagram the kernel does
// not take goes to the L2TP engine.
struct LacKernelBridge::Tunnel {
  Tunnel(boost::asio::io_context& io, int f) : fd(f), descriptor(io, f) {}
  int fd;
  boost::asio::posix::stream_descriptor descriptor;
  netlink::Endpoint peer;
  std::uint16_t peer_tunnel_id = 0;
  std::size_t calls = 0;
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);  // gone: handlers do nothing

  void arm(LacKernelBridge& owner) {
    descriptor.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                          [&owner, self = this, alive = std::weak_ptr<bool>(alive)](
                              const boost::system::error_code& ec) {
                            if (ec || alive.expired()) return;
                            self->drain(owner, alive);
                          });
  }
  void drain(LacKernelBridge& owner, const std::weak_ptr<bool>& alive) {
    static thread_local Bytes buffer(65536);
    // A few per wake-up so one busy tunnel cannot starve the loop.
    for (int i = 0; i < 32; ++i) {
      ssize_t n = ::recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        // A connected UDP socket reports an ICMP error once (ECONNREFUSED): read on.
        ++owner.counters_.read_errors;
        continue;
      }
      ++owner.counters_.datagrams_up;
      if (owner.hooks_.on_datagram)
        owner.hooks_.on_datagram(peer, ByteView(buffer.data(), static_cast<std::size_t>(n)));
      if (alive.expired()) return;  // the datagram ended the tunnel's last call
    }
    arm(owner);
  }
  // Stops reading; the fd stays open for the caller to close after the kernel tunnel.
  void stop() {
    alive.reset();
    boost::system::error_code ec;
    descriptor.cancel(ec);
    (void)descriptor.release();
  }
};

struct LacKernelBridge::Call {
  vpdn::SessionRef l2tp;
  bool sequencing = false;
  std::uint16_t catch_up = 0;
  aaa::Counters last;  // the last good reading
  std::unique_ptr<BridgedCall> kernel;
};

LacKernelBridge::LacKernelBridge(boost::asio::io_context& io,
                                 std::unique_ptr<KernelTunnelOps> tunnels,
                                 std::unique_ptr<LacBridgeOps> bridges, Hooks hooks)
    : io_(io),
      tunnel_ops_(std::move(tunnels)),
      ops_(std::move(bridges)),
      hooks_(std::move(hooks)) {}

LacKernelBridge::~LacKernelBridge() {
  stop();
}

bool LacKernelBridge::bridged(vpdn::AccessId user) const {
  return calls_.count(user) != 0;
}
std::size_t LacKernelBridge::call_count() const {
  return calls_.size();
}

bool LacKernelBridge::fail(vpdn::AccessId user, vpdn::SessionRef call, const std::string& step,
                           const std::string& error) {
  std::uint64_t n = ++fallbacks_[step];
  if (n <= 10 || n % 1000 == 0)
    log_warning(DebugModule::l2tp, call_text(user, call) + " kernel bridge: " + step + ": " +
                                       error + "; switched in user space (" + std::to_string(n) +
                                       " so far)");
  return false;
}

bool LacKernelBridge::bridge(vpdn::AccessId user, vpdn::SessionRef call) {
  if (stopped_ || calls_.count(user)) return false;
  auto access = hooks_.access ? hooks_.access(user) : std::nullopt;
  if (!access) return fail(user, call, "session info", "the PPPoE server does not hold the user");
  auto info = hooks_.session ? hooks_.session(call) : std::nullopt;
  if (!info) return fail(user, call, "session info", "the L2TP engine does not know the session");
  const std::uint16_t catch_up = info->sequencing ? info->next_ns : 0;
  if (catch_up > kMaxCatchUp)
    return fail(user, call, "data sequencing catch-up too long",
                "the engine numbered " + std::to_string(catch_up) + " data messages");

  auto t = tunnels_.find(call.tunnel);
  if (t == tunnels_.end()) {
    auto ti = hooks_.tunnel_info ? hooks_.tunnel_info(call.tunnel) : std::nullopt;
    if (!ti) return fail(user, call, "session info", "the L2TP engine does not know the tunnel");
    auto fd = tunnel_ops_->open_tunnel_socket(ti->local, ti->peer);
    if (!fd)
      return fail(user, call,
                  fd.error().code == EMFILE || fd.error().code == ENFILE ? "descriptor limit"
                                                                         : "tunnel UDP socket",
                  fd.error().message);
    std::unique_ptr<Tunnel> nt;
    try {
      nt = std::make_unique<Tunnel>(io_, *fd);
    } catch (const boost::system::system_error& e) {
      ::close(*fd);
      return fail(user, call, "tunnel UDP socket", std::string("watch fd: ") + e.what());
    }
    nt->peer = ti->peer;
    nt->peer_tunnel_id = ti->peer_tunnel_id;
    // Read before the kernel tunnel exists: from then on the LNS's control messages arrive
    // on this socket only.
    nt->arm(*this);
    netlink::KernelTunnelParams p;
    p.tunnel_id = call.tunnel;
    p.peer_tunnel_id = ti->peer_tunnel_id;
    p.udp_fd = *fd;
    if (auto s = tunnel_ops_->create_tunnel(p); !s) {
      nt->stop();
      ::close(*fd);
      return fail(user, call, "create kernel tunnel", s.error().message);
    }
    ++counters_.tunnels_created;
    log_info(DebugModule::l2tp, "tunnel=" + std::to_string(call.tunnel) +
                                    " kernel tunnel created for bridged calls (peer " +
                                    ti->peer.to_string() + ")");
    t = tunnels_.emplace(call.tunnel, std::move(nt)).first;
  }
  Tunnel& tunnel = *t->second;

  const netlink::PppoL2tpParams cp{.udp_fd = tunnel.fd,
                                   .peer = tunnel.peer,
                                   .tunnel_id = call.tunnel,
                                   .session_id = call.session,
                                   .peer_tunnel_id = tunnel.peer_tunnel_id,
                                   .peer_session_id = info->peer_session_id,
                                   .send_seq = info->sequencing};
  auto b = ops_->open_bridge(*access, cp, catch_up);
  if (!b) {
    const int code = b.error().error.code;
    fail(user, call,
         code == EMFILE || code == ENFILE ? "descriptor limit"
                                          : std::string(netlink::describe(b.error().step)),
         b.error().error.message);
    release_tunnel_if_unused(call.tunnel);
    return false;
  }
  ++tunnel.calls;
  ++counters_.bridged;
  Call c;
  c.l2tp = call;
  c.sequencing = info->sequencing;
  c.catch_up = catch_up;
  c.kernel = std::move(*b);
  by_l2tp_[call] = user;
  calls_.emplace(user, std::move(c));
  log_info(DebugModule::l2tp, call_text(user, call) +
                                  " switched in the kernel (PPPoE bridged to "
                                  "PPPoL2TP)");
  return true;
}

aaa::Counters LacKernelBridge::read(Call& c) {
  if (auto s = c.kernel->stats())
    c.last = bridge_counters(*s, c.sequencing, c.catch_up);
  else
    ++counters_.stats_errors;
  return c.last;
}

aaa::Counters LacKernelBridge::counters(vpdn::AccessId user) {
  auto it = calls_.find(user);
  return it == calls_.end() ? aaa::Counters{} : read(it->second);
}

aaa::Counters LacKernelBridge::session_counters(vpdn::SessionRef l2tp) {
  auto it = by_l2tp_.find(l2tp);
  return it == by_l2tp_.end() ? aaa::Counters{} : counters(it->second);
}

aaa::Counters LacKernelBridge::unbridge(vpdn::AccessId user) {
  auto it = calls_.find(user);
  if (it == calls_.end()) return {};
  const aaa::Counters final_counts = read(it->second);
  by_l2tp_.erase(it->second.l2tp);
  const std::uint16_t tunnel = it->second.l2tp.tunnel;
  it->second.kernel.reset();  // unbridged; the kernel session and PPPoE channel go
  calls_.erase(it);
  auto t = tunnels_.find(tunnel);
  if (t != tunnels_.end() && t->second->calls > 0) --t->second->calls;
  release_tunnel_if_unused(tunnel);
  return final_counts;
}

void LacKernelBridge::release_tunnel_if_unused(std::uint16_t tunnel) {
  auto t = tunnels_.find(tunnel);
  if (t == tunnels_.end() || t->second->calls > 0) return;
  // Reverse of creation: stop reading, delete the kernel tunnel, then close its socket.
  t->second->stop();
  if (auto s = tunnel_ops_->delete_tunnel(tunnel); !s) {
    ++counters_.teardown_errors;
    log_warning(DebugModule::l2tp,
                "tunnel=" + std::to_string(tunnel) + " kernel tunnel delete: " + s.error().message);
  }
  ::close(t->second->fd);
  tunnels_.erase(t);
  ++counters_.tunnels_deleted;
}

void LacKernelBridge::stop() {
  stopped_ = true;
  std::vector<vpdn::AccessId> users;
  for (const auto& [user, c] : calls_) users.push_back(user);
  for (auto user : users) (void)unbridge(user);
  while (!tunnels_.empty()) {
    tunnels_.begin()->second->calls = 0;
    release_tunnel_if_unused(tunnels_.begin()->first);
  }
}

std::string LacKernelBridge::summary() const {
  std::string out = "LAC: " + std::to_string(calls_.size()) +
                    (calls_.size() == 1 ? " call" : " calls") + " bridged in the kernel over " +
                    std::to_string(tunnels_.size()) +
                    (tunnels_.size() == 1 ? " tunnel" : " tunnels");
  if (!fallbacks_.empty()) {
    out += "; kept in user space:";
    bool first = true;
    for (const auto& [step, n] : fallbacks_) {
      out += (first ? " " : ", ") + step + " " + std::to_string(n);
      first = false;
    }
  }
  if (counters_.read_errors) out += "; read errors " + std::to_string(counters_.read_errors);
  if (counters_.teardown_errors)
    out += "; teardown errors " + std::to_string(counters_.teardown_errors);
  if (counters_.stats_errors)
    out += "; counter read errors " + std::to_string(counters_.stats_errors);
  return out;
}

}  // namespace vpdnd::app
