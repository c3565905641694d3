// KernelPort: LNS sessions moved into the kernel's L2TP/PPP data path. See kernel_port.hpp.
#include "app/services/kernel_port.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/system_error.hpp>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/enum_names.hpp"
#include "common/log.hpp"
#include "netlink/pppoe_bridge.hpp"
#include "vpdn/engine.hpp"

namespace vpdnd::app {

// ---- start-up choice ---------------------------------------------------------------------

namespace {
constexpr std::string_view kDataPlaneNames[] = {"auto", "user-space", "kernel"};
}  // namespace

std::optional<DataPlaneChoice> parse_data_plane(std::string_view text) {
  for (std::size_t i = 0; i < std::size(kDataPlaneNames); ++i)
    if (text == kDataPlaneNames[i]) return static_cast<DataPlaneChoice>(i);
  return std::nullopt;
}

std::string_view to_string(DataPlaneChoice c) {
  return enum_name<DataPlaneChoice::automatic, DataPlaneChoice::kernel>(c, kDataPlaneNames, "auto");
}

DataPlaneDecision decide_data_plane(DataPlaneChoice choice, bool kernel_available,
                                    const std::string& reason) {
  DataPlaneDecision d;
  if (!kernel_available) d.reason = reason;
  const std::string user(netlink::backend_name(netlink::Backend::user_space));
  const std::string kernel(netlink::backend_name(netlink::Backend::kernel));
  if (choice == DataPlaneChoice::user_space) {
    d.description = user + "; chosen by --data-plane user-space";
    return d;
  }
  // auto and kernel: the kernel's data path whenever it is there.
  const bool automatic = choice == DataPlaneChoice::automatic;
  if (kernel_available) {
    d.backend = netlink::Backend::kernel;
    d.description = kernel + (automatic ? "; kernel L2TP available (--data-plane auto)"
                                        : "; chosen by --data-plane kernel");
  } else if (automatic) {
    // The same text as before the flag existed: the default on kernels without l2tp.
    d.description = user + "; kernel L2TP unavailable: " + reason;
  } else {
    d.requested_kernel_unavailable = true;
    d.description = user + "; --data-plane kernel but kernel L2TP unavailable: " + reason;
  }
  return d;
}

DataPlaneDecision detect_data_plane(DataPlaneChoice choice) {
  if (choice == DataPlaneChoice::user_space) return decide_data_plane(choice, false, {});
  std::string reason;
  const bool available =
      netlink::kernel_l2tp_available(&reason) && netlink::pppol2tp_available(&reason);
  return decide_data_plane(choice, available, reason);
}

// ---- real kernel operations ----------------------------------------------------------------

namespace {

netlink::Error sys_error(const std::string& what, int code) {
  return netlink::Error{what + ": " + std::strerror(code), code};
}

sockaddr_in to_sockaddr(netlink::Endpoint e) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(e.address.value);
  a.sin_port = htons(e.port);
  return a;
}

class NetlinkChannel final : public KernelChannel {
 public:
  explicit NetlinkChannel(std::unique_ptr<netlink::PppoL2tpChannel> c) : c_(std::move(c)) {}
  std::string ifname() const override { return c_->ifname(); }
  int channel_fd() const override { return c_->channel_fd(); }
  int unit_fd() const override { return c_->unit_fd(); }
  std::optional<std::uint64_t> data_numbered() const override {
    auto s = netlink::read_l2tp_session_stats(c_->socket_fd());
    if (!s) return std::nullopt;
    return s->tx_packets + s->tx_errors;
  }
  void release_channel() override { c_->release_channel(); }

 private:
  std::unique_ptr<netlink::PppoL2tpChannel> c_;
};

class NetlinkKernelOps final : public KernelOps {
 public:
  Result<int, netlink::Error> open_tunnel_socket(netlink::Endpoint local,
                                                 netlink::Endpoint peer) override {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return unexpected(sys_error("tunnel socket", errno));
    auto fail = [&](const std::string& what) {
      netlink::Error e = sys_error(what, errno);
      ::close(fd);
      return unexpected(std::move(e));
    };
    const int on = 1;
    if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0)
      return fail("tunnel socket SO_REUSEADDR");
    const sockaddr_in a = to_sockaddr(local), p = to_sockaddr(peer);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0)
      return fail("tunnel socket bind " + local.to_string());
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&p), sizeof p) != 0)
      return fail("tunnel socket connect " + peer.to_string());
    return fd;
  }

  Status<netlink::Error> create_tunnel(const netlink::KernelTunnelParams& p) override {
    if (auto s = genl(); !s) return s;
    return genl_->create_tunnel(p);
  }
  Status<netlink::Error> delete_tunnel(std::uint32_t tunnel_id) override {
    if (auto s = genl(); !s) return s;
    return genl_->delete_tunnel(tunnel_id);
  }
  Result<std::unique_ptr<KernelChannel>, netlink::Error> open_channel(
      const netlink::PppoL2tpParams& p) override {
    auto c = netlink::PppoL2tpChannel::open(p);
    if (!c) return unexpected(c.error());
    return std::unique_ptr<KernelChannel>(std::make_unique<NetlinkChannel>(std::move(*c)));
  }
  Result<LinkRequest, netlink::Error> configure_link(const std::string& ifname, Ipv4 local,
                                                     Ipv4 peer, std::uint16_t mtu) override {
    if (auto s = open_once(setup_); !s) return unexpected(s.error());
    LinkRequest r;
    auto index = setup_->ifindex(ifname);
    if (!index) return unexpected(index.error());
    r.ifindex = *index;
    auto seq = setup_->send_setup(r.ifindex, local, peer, mtu);
    if (!seq) return unexpected(seq.error());
    r.seq = *seq;
    r.ack_fd = setup_->fd();
    return r;
  }
  Result<int, netlink::Error> configure_link_now(const std::string& ifname, Ipv4 local, Ipv4 peer,
                                                 std::uint16_t mtu) override {
    return netlink::configure_ppp_link(ifname, local, peer, mtu);
  }
  Result<std::pair<int, std::uint32_t>, netlink::Error> start_ppp_link_dump() override {
    if (auto s = open_once(dump_); !s) return unexpected(s.error());
    auto seq = dump_->send_dump("ppp");
    if (!seq) return unexpected(seq.error());
    return std::pair<int, std::uint32_t>{dump_->fd(), *seq};
  }
  Result<netlink::LinkStats, netlink::Error> link_stats(int ifindex,
                                                        const std::string& ifname) override {
    if (auto l = netlink::read_link_stats_sysfs(ifname, ifindex)) return l;
    if (auto s = stats(); !s) return unexpected(s.error());
    return stats_->get(ifindex);
  }
  Status<netlink::Error> delete_links(const std::vector<int>& ifindexes) override {
    // A socket per batch: batches on several closer threads go at once (the kernel holds
    // its rtnl lock for the unregistering only; the waits for RCU callbacks after it
    // overlap), and none is kept between teardowns.
    auto deleter = netlink::LinkStatsReader::open();
    if (!deleter) return unexpected(deleter.error());
    // A group of this batch's own: the delete takes every link in it, and a link is in it
    // only between the two messages of one batch.
    const std::uint32_t group = 0x80000000u |
                                ((static_cast<std::uint32_t>(::getpid()) & 0x7fffu) << 16) |
                                (next_group_.fetch_add(1) & 0xffffu);
    return (*deleter)->delete_links(ifindexes, group);
  }

 private:
  // Each netlink socket is opened on first use and kept.
  template <class T>
  static Status<netlink::Error> open_once(std::unique_ptr<T>& p) {
    if (p) return {};
    auto r = T::open();
    if (!r) return unexpected(r.error());
    p = std::move(*r);
    return {};
  }
  Status<netlink::Error> genl() { return open_once(genl_); }
  Status<netlink::Error> stats() { return open_once(stats_); }
  std::unique_ptr<netlink::KernelL2tp> genl_;
  std::unique_ptr<netlink::LinkSetupSocket> setup_;  // non-blocking, acks read by KernelPort
  std::unique_ptr<netlink::LinkStatsReader> stats_;  // blocking single-link reads
  std::unique_ptr<netlink::LinkStatsReader> dump_;   // read non-blocking by KernelPort
  std::atomic<std::uint32_t> next_group_{0};         // delete_links: any thread
};

std::string call_key(vpdn::SessionRef c) {
  return "tunnel=" + std::to_string(c.tunnel) + " session=" + std::to_string(c.session);
}

}  // namespace

std::unique_ptr<KernelOps> make_netlink_kernel_ops() {
  return std::make_unique<NetlinkKernelOps>();
}

std::optional<KernelTunnelInfo> engine_tunnel_info(const vpdn::L2tpEngine& engine,
                                                   std::uint16_t tunnel) {
  // Once per kernel tunnel (its first session), so a scan of the tunnels is fine.
  for (const auto& t : engine.snapshot_tunnels()) {
    if (t.local_id != tunnel) continue;
    KernelTunnelInfo i;
    i.local = engine.local_endpoint();
    i.peer = {t.remote_address, t.remote_port};
    i.peer_tunnel_id = t.remote_id;
    return i;
  }
  return std::nullopt;
}

std::optional<std::uint16_t> engine_peer_session_id(const vpdn::L2tpEngine& engine,
                                                    vpdn::SessionRef call) {
  auto st = engine.session_status(call);
  if (!st || st->remote_id == 0) return std::nullopt;
  return st->remote_id;
}

std::string_view describe(KernelStep step) {
  static constexpr std::string_view kTexts[] = {
      "session info",          "data sequencing catch-up too long",
      "tunnel UDP socket",     "create kernel tunnel",
      "open PPPoL2TP channel", "configure pppN",
      "descriptor limit"};
  return enum_name<KernelStep::session_info, KernelStep::descriptors>(step, kTexts, "unknown step");
}

KernelStep fallback_reason(KernelStep step, int code) {
  return code == EMFILE || code == ENFILE ? KernelStep::descriptors : step;
}

// ---- readers -------------------------------------------------------------------------------

// Reads one fd on the io_context and hands every datagram/frame to `handler`. Never owns
// the fd (stop() releases it from the reactor; the owner closes it). Lives in a shared_ptr
// so that a completion after stop(), or a handler that stops its own reader, is safe.
struct KernelPort::Reader : std::enable_shared_from_this<Reader> {
  enum class Kind { datagram, frame };
  Reader(boost::asio::io_context& io, int fd, Kind k, std::shared_ptr<Bytes> buf,
         std::function<void(ByteView)> h, std::uint64_t& errors)
      : descriptor(io, fd),
        kind(k),
        buffer(std::move(buf)),
        handler(std::move(h)),
        read_errors(errors) {
    // The reactor only says "readable"; the reads themselves must not block the engine.
    // The real channel and unit fds are opened non-blocking already: one syscall then.
    int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0 && !(flags & O_NONBLOCK)) (void)::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  }
  boost::asio::posix::stream_descriptor descriptor;
  Kind kind;
  std::shared_ptr<Bytes> buffer;  // shared by all readers: handlers run one at a time
  std::function<void(ByteView)> handler;
  std::uint64_t& read_errors;  // KernelPort's counter; only touched while not stopped
  bool stopped = false;

  void arm() {
    descriptor.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                          [self = shared_from_this()](const boost::system::error_code& ec) {
                            if (self->stopped || ec) return;
                            self->drain();
                          });
  }

  void drain() {
    const int fd = descriptor.native_handle();
    // Up to 32 per wake-up so one busy fd cannot starve the loop; the next wait returns
    // at once if more is queued.
    for (int i = 0; i < 32 && !stopped; ++i) {
      ssize_t n = ::read(fd, buffer->data(), buffer->size());
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        if (errno == EINTR) continue;
        ++read_errors;
        // A connected UDP socket reports an ICMP error once (ECONNREFUSED...): read on.
        // Anything else on a PPP fd means it is dead: stop rather than spin.
        if (kind == Kind::frame) return;
        continue;
      }
      if (n == 0) {
        if (kind == Kind::frame) return;  // EOF: the unit/channel went away
        continue;                         // an empty datagram: nothing to hand on
      }
      handler(ByteView(buffer->data(), static_cast<std::size_t>(n)));
    }
    if (!stopped) arm();
  }

  void stop() {
    if (stopped) return;
    stopped = true;
    boost::system::error_code ec;
    descriptor.cancel(ec);
    (void)descriptor.release();
  }
};

struct KernelPort::Tunnel {
  int fd = -1;
  netlink::Endpoint peer;
  std::uint16_t peer_tunnel_id = 0;
  std::size_t sessions = 0;
  std::shared_ptr<Reader> reader;
};

struct KernelPort::Session {
  std::uint16_t vt = 0;
  Ipv4 address;
  int ifindex = 0;
  std::string ifname;
  std::uint64_t order = 0;
  std::uint32_t link_seq = 0;  // its configuration's acks, while some are pending
  bool sequencing = false;     // the kernel numbers the session's data
  aaa::Counters stats;         // the last reading of pppN's counters (kernel_counters)
  std::unique_ptr<KernelChannel> channel;
  std::shared_ptr<Reader> channel_reader, unit_reader;
};

namespace {
// For stack samples and top -H: which of the daemon's threads waits where.
void name_thread(const char* name) {
  (void)::pthread_setname_np(::pthread_self(), name);
}
}  // namespace

// Destroys released channels on threads of its own (see set_close_threads), and deletes
// their pppN batches there first (KernelOps::delete_links: the kernel unregisters them
// inside the send, waiting for RCU grace periods with the rtnl lock held). The queues are
// the only things shared with the protocol thread; `ready` is called (on a closer thread)
// when batch results wait and none had waited before, for the protocol thread to count them.
class KernelPort::Closer {
 public:
  struct Deleted {
    std::size_t links = 0;
    Status<netlink::Error> status;
  };
  Closer(std::size_t threads, KernelOps& ops, std::function<void()> ready)
      : ops_(ops), ready_(std::move(ready)) {
    for (std::size_t i = 0; i < threads; ++i)
      threads_.emplace_back([this] {
        name_thread("kport-close");
        run();
      });
  }
  ~Closer() { join(); }
  // What is queued is still done: every batch deleted, every channel closed.
  void join() {
    {
      std::lock_guard<std::mutex> l(m_);
      done_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }
  void close(std::unique_ptr<KernelChannel> c) {
    {
      std::lock_guard<std::mutex> l(m_);
      queue_.push_back(std::move(c));
    }
    cv_.notify_one();
  }
  // The links deleted together, then their units' channels closed (after the delete: no
  // unregister left for their close to wait for).
  void delete_then_close(std::vector<int> ifindexes,
                         std::vector<std::unique_ptr<KernelChannel>> channels) {
    {
      std::lock_guard<std::mutex> l(m_);
      batches_.push_back(Batch{std::move(ifindexes), std::move(channels)});
    }
    cv_.notify_one();
  }
  std::vector<Deleted> take() {
    std::lock_guard<std::mutex> l(m_);
    std::vector<Deleted> out;
    out.swap(deleted_);
    notified_ = false;
    return out;
  }

 private:
  struct Batch {
    std::vector<int> ifindexes;
    std::vector<std::unique_ptr<KernelChannel>> channels;
  };
  // 40 octets of request per link: 4,096 stay under a netlink socket's default send buffer.
  static constexpr std::size_t kMaxMergedDelete = 4096;
  void run() {
    for (;;) {
      std::unique_ptr<KernelChannel> c;
      Batch b;
      {
        std::unique_lock<std::mutex> l(m_);
        // Done only when no batch is being deleted: its channels still come to the queue.
        cv_.wait(l, [this] {
          return !queue_.empty() || !batches_.empty() || (done_ && deleting_ == 0);
        });
        if (!batches_.empty()) {
          // Every batch queued meanwhile goes with this one, up to what one send carries:
          // each delete costs the kernel grace periods and an RCU barrier of its own.
          b = std::move(batches_.front());
          batches_.pop_front();
          while (!batches_.empty() &&
                 b.ifindexes.size() + batches_.front().ifindexes.size() <= kMaxMergedDelete) {
            Batch& next = batches_.front();
            b.ifindexes.insert(b.ifindexes.end(), next.ifindexes.begin(), next.ifindexes.end());
            for (auto& ch : next.channels) b.channels.push_back(std::move(ch));
            batches_.pop_front();
          }
          ++deleting_;
        } else if (!queue_.empty()) {
          c = std::move(queue_.front());
          queue_.pop_front();
        } else {
          return;
        }
      }
      if (c) {
        c->release_channel();
        c.reset();
        continue;
      }
      Deleted d{b.ifindexes.size(), ops_.delete_links(b.ifindexes)};
      bool notify = false;
      {
        std::lock_guard<std::mutex> l(m_);
        for (auto& ch : b.channels) queue_.push_back(std::move(ch));
        --deleting_;
        deleted_.push_back(std::move(d));
        notify = !std::exchange(notified_, true);
      }
      cv_.notify_all();
      if (notify && ready_) ready_();
    }
  }
  KernelOps& ops_;
  std::function<void()> ready_;
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<KernelChannel>> queue_;
  std::deque<Batch> batches_;
  std::vector<Deleted> deleted_;
  std::size_t deleting_ = 0;
  bool notified_ = false;  // ready_ called since the last take()
  bool done_ = false;
  std::vector<std::thread> threads_;
};

struct KernelPort::Opened {
  vpdn::SessionRef call;
  Result<std::unique_ptr<KernelChannel>, netlink::Error> channel;
  // With a LinkConfig: pppN's ifindex once configured, or the configuration's error (the
  // channel is there, its pppN perhaps half configured).
  Result<int, netlink::Error> link = 0;
};

struct KernelPort::OpenJob {
  vpdn::SessionRef call;
  netlink::PppoL2tpParams params;
  std::optional<LinkConfig> link;
};

// Opens channels on threads of its own (see set_open_threads). The queues are the only
// things shared with the protocol thread; `ready` is called (on an opener thread) when
// results wait and none had waited before, for the protocol thread to take them.
class KernelPort::Opener {
 public:
  Opener(std::size_t threads, KernelOps& ops, std::function<void()> ready)
      : ops_(ops), ready_(std::move(ready)) {
    for (std::size_t i = 0; i < threads; ++i)
      threads_.emplace_back([this] {
        name_thread("kport-open");
        run();
      });
  }
  ~Opener() { join(); }
  void open(OpenJob job) {
    {
      std::lock_guard<std::mutex> l(m_);
      jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
  }
  std::vector<Opened> take() {
    std::lock_guard<std::mutex> l(m_);
    std::vector<Opened> out;
    out.swap(opened_);
    notified_ = false;
    return out;
  }
  // The opens under way finish (take() has them); the queued ones never start.
  void join() {
    {
      std::lock_guard<std::mutex> l(m_);
      done_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }

 private:
  void run() {
    for (;;) {
      OpenJob job;
      {
        std::unique_lock<std::mutex> l(m_);
        cv_.wait(l, [this] { return done_ || !jobs_.empty(); });
        if (done_) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      Opened o{job.call, ops_.open_channel(job.params)};
      if (o.channel && job.link)
        o.link = ops_.configure_link_now((*o.channel)->ifname(), job.link->local, job.link->peer,
                                         job.link->mtu);
      bool notify = false;
      {
        std::lock_guard<std::mutex> l(m_);
        opened_.push_back(std::move(o));
        notify = !std::exchange(notified_, true);
      }
      if (notify) ready_();
    }
  }
  KernelOps& ops_;
  std::function<void()> ready_;
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<OpenJob> jobs_;
  std::vector<Opened> opened_;
  bool notified_ = false;  // ready_ called since the last take()
  bool done_ = false;
  std::vector<std::thread> threads_;
};

// ---- KernelPort -----------------------------------------------------------------------------

namespace {
std::shared_ptr<Bytes> shared_buffer() {
  static constexpr std::size_t kMax = 65536;  // largest UDP payload
  return std::make_shared<Bytes>(kMax);
}
}  // namespace

// Registering an fd with the reactor (epoll_ctl) can fail; asio reports that by throwing,
// which must not escape into LnsCalls: the caller treats nullptr as a failed step.
std::shared_ptr<KernelPort::Reader> KernelPort::start_reader(int fd, bool datagram,
                                                             std::function<void(ByteView)> handler,
                                                             std::string& error) {
  try {
    auto r =
        std::make_shared<Reader>(io_, fd, datagram ? Reader::Kind::datagram : Reader::Kind::frame,
                                 buffer_, std::move(handler), counters_.read_errors);
    r->arm();
    return r;
  } catch (const boost::system::system_error& e) {
    error = std::string("watch fd: ") + e.what();
    return nullptr;
  }
}

KernelPort::KernelPort(boost::asio::io_context& io, vpdn::IpPort& inner,
                       std::unique_ptr<KernelOps> ops, Hooks hooks)
    : io_(io),
      inner_(inner),
      ops_(std::move(ops)),
      hooks_(std::move(hooks)),
      buffer_(shared_buffer()) {}

KernelPort::~KernelPort() {
  stop();
}

bool KernelPort::add_host_route(std::uint16_t vt, Ipv4 address) {
  // LnsCalls calls session_ip_up right after: held back until then, so a session that
  // goes into the kernel costs no TUN route added and removed again.
  if (stopped_) return inner_.add_host_route(vt, address);
  deferred_routes_.emplace(vt, address.value);
  return true;
}
void KernelPort::remove_host_route(std::uint16_t vt, Ipv4 address) {
  if (deferred_routes_.erase({vt, address.value}) != 0) return;  // never added
  inner_.remove_host_route(vt, address);
}
void KernelPort::write_ip(std::uint16_t vt, ByteView packet) {
  inner_.write_ip(vt, packet);
}
bool KernelPort::set_peer_address(std::uint16_t vt, Ipv4 local, Ipv4 peer) {
  return inner_.set_peer_address(vt, local, peer);
}
void KernelPort::clear_peer_address(std::uint16_t vt) {
  inner_.clear_peer_address(vt);
}

bool KernelPort::in_kernel(vpdn::SessionRef call) const {
  return sessions_.count(call) != 0;
}
std::size_t KernelPort::session_count() const {
  return sessions_.size();
}
std::size_t KernelPort::tunnel_count() const {
  return tunnels_.size();
}

std::string KernelPort::ifname(vpdn::SessionRef call) const {
  auto it = sessions_.find(call);
  return it == sessions_.end() ? std::string{} : it->second.ifname;
}

bool KernelPort::fail(vpdn::SessionRef call, KernelStep step, const std::string& error) {
  std::uint64_t n = ++fallbacks_[step];
  // One line per failure while they are few; then every 1000th, so a systematic failure
  // (a module unloaded under us) cannot flood the log at thousands of sessions.
  if (n <= 10 || n % 1000 == 0) {
    log_warning(DebugModule::l2tp,
                call_key(call) + " kernel data plane: " + std::string(describe(step)) + ": " +
                    error + "; session stays in user space (" + std::to_string(n) + " so far)");
  }
  return false;
}

void KernelPort::session_ip_up(vpdn::SessionRef call, std::uint16_t vt, Ipv4 address) {
  inner_.session_ip_up(call, vt, address);
  if (sessions_.count(call)) {  // already there: pppN carries the route
    deferred_routes_.erase({vt, address.value});
    return;
  }
  if (auto o = opening_.find(call); o != opening_.end()) {
    // Up again while its channel opens (an address renegotiated): the move goes on, with
    // this address; its route is held back like the first one's.
    o->second.vt = vt;
    o->second.address = address;
    o->second.cancelled = false;
    return;
  }
  if (!stopped_ && move_in(call, vt, address)) return;  // open_done places the route
  if (deferred_routes_.erase({vt, address.value}) != 0)
    inner_.add_host_route(vt, address);  // stays in user space: the TUN's route
}

bool KernelPort::move_in(vpdn::SessionRef call, std::uint16_t vt, Ipv4 address) {
  std::optional<KernelSessionInfo> info =
      hooks_.session_info ? hooks_.session_info(call, vt) : std::nullopt;
  if (!info)
    return fail(call, KernelStep::session_info, "the L2TP engine does not know the session");
  if (!info->template_address)
    return fail(call, KernelStep::session_info,
                "virtual-template " + std::to_string(vt) + " has no ip address for pppN");
  if (info->sequencing && info->data_sent > kMaxCatchUp)
    return fail(call, KernelStep::sequencing,
                "the engine sent " + std::to_string(info->data_sent) +
                    " sequenced data messages, more than the kernel catches up on (" +
                    std::to_string(kMaxCatchUp) + ")");

  auto t = tunnels_.find(call.tunnel);
  if (t == tunnels_.end()) {
    std::optional<KernelTunnelInfo> ti =
        hooks_.tunnel_info ? hooks_.tunnel_info(call.tunnel) : std::nullopt;
    if (!ti)
      return fail(call, KernelStep::session_info, "the L2TP engine does not know the tunnel");
    auto fd = ops_->open_tunnel_socket(ti->local, ti->peer);
    if (!fd)
      return fail(call, fallback_reason(KernelStep::tunnel_socket, fd.error().code),
                  fd.error().message);
    netlink::KernelTunnelParams p;
    p.tunnel_id = call.tunnel;
    p.peer_tunnel_id = ti->peer_tunnel_id;
    p.udp_fd = *fd;
    // Read before the kernel tunnel exists: from then on the peer's control messages
    // arrive on this socket only.
    const netlink::Endpoint peer = ti->peer;
    std::string error;
    auto reader = start_reader(
        *fd, true,
        [this, peer](ByteView d) {
          ++counters_.datagrams_up;
          if (hooks_.on_datagram) hooks_.on_datagram(peer, d);
        },
        error);
    if (!reader) {
      ::close(*fd);
      return fail(call, KernelStep::tunnel_socket, error);
    }
    if (auto s = ops_->create_tunnel(p); !s) {
      reader->stop();
      ::close(*fd);
      return fail(call, KernelStep::create_tunnel, s.error().message);
    }
    ++counters_.tunnels_created;
    Tunnel nt;
    nt.fd = *fd;
    nt.peer = ti->peer;
    nt.peer_tunnel_id = ti->peer_tunnel_id;
    nt.reader = std::move(reader);
    t = tunnels_.emplace(call.tunnel, std::move(nt)).first;
    log_info(DebugModule::l2tp, "tunnel=" + std::to_string(call.tunnel) +
                                    " kernel tunnel created (peer " + ti->peer.to_string() +
                                    " tunnel " + std::to_string(ti->peer_tunnel_id) + ")");
  }
  Tunnel& tunnel = t->second;

  netlink::PppoL2tpParams cp;
  cp.udp_fd = tunnel.fd;
  cp.peer = tunnel.peer;
  cp.tunnel_id = call.tunnel;
  cp.session_id = call.session;
  cp.peer_tunnel_id = tunnel.peer_tunnel_id;
  cp.peer_session_id = info->peer_session_id;
  // Not LNS mode and receive sequencing not required: the kernel then keeps numbering while
  // the peer numbers, and stops (rather than discard the peer's data, as LNS mode does) when
  // a LAC sends without Ns, which the user-space path accepts too.
  cp.send_seq = info->sequencing;
  // The open holds the tunnel (its socket is in the parameters) until open_done.
  ++tunnel.sessions;
  OpenJob job{call, cp, std::nullopt};
  // pppN's set-up goes with the open: the kernel takes its rtnl lock for it, which on the
  // protocol thread waited behind every other pppN being registered or deleted. Not with
  // data sequencing: the catch-up frames go before pppN is up (attach).
  if (open_threads_ != 0 && !info->sequencing)
    job.link = LinkConfig{*info->template_address, address, info->mtu};
  opening_[call] = Opening{vt, address, *info, false, job.link};
  if (open_threads_ == 0) {
    open_done(call, ops_->open_channel(cp));
    return true;
  }
  if (!opener_) {
    // Posted from an opener thread; the port outlives its opener (stop() joins it).
    opener_ =
        std::make_unique<Opener>(open_threads_, *ops_, [this, alive = std::weak_ptr<char>(alive_)] {
          boost::asio::post(io_, [this, alive] {
            if (!alive.expired()) take_opened();
          });
        });
  }
  opener_->open(std::move(job));
  return true;
}

void KernelPort::take_opened() {
  if (!opener_) return;
  for (Opened& o : opener_->take()) open_done(o.call, std::move(o.channel), std::move(o.link));
}

void KernelPort::discard_configured(int ifindex, std::unique_ptr<KernelChannel> channel) {
  // The kernel session goes now too: the call may open its channel again at once.
  channel->release_channel();
  retire(ifindex, std::move(channel));
  delete_retired(true);
}

void KernelPort::open_done(vpdn::SessionRef call,
                           Result<std::unique_ptr<KernelChannel>, netlink::Error> r,
                           Result<int, netlink::Error> link) {
  auto it = opening_.find(call);
  if (it == opening_.end()) {  // not ours (cannot happen): close it all the same
    if (r) discard(std::move(*r));
    return;
  }
  Opening o = std::move(it->second);
  opening_.erase(it);
  // The open's hold on the tunnel ends; a session that goes in takes its own.
  if (auto t = tunnels_.find(call.tunnel); t != tunnels_.end() && t->second.sessions > 0)
    --t->second.sessions;
  if (o.cancelled || stopped_) {
    if (r) discard(std::move(*r));
    release_tunnel_if_unused(call.tunnel);
    return;
  }
  bool moved = false;
  // pppN configured by the opener (its ifindex), 0 when not.
  const int configured = r && o.link && link ? *link : 0;
  if (configured) counters_.link_acks += netlink::kPppLinkSetupAcks;
  if (r && o.link) ++counters_.link_requests;
  if (!r) {
    fail(call, fallback_reason(KernelStep::open_channel, r.error().code), r.error().message);
  } else if (o.link && !link) {
    // Refused in part: pppN is not up with its address (the link's ack comes last), so
    // it has no route to the peer, and it goes with its unit.
    fail(call, fallback_reason(KernelStep::configure_link, link.error().code),
         link.error().message);
    discard(std::move(*r));
  } else if (configured && o.link->peer != o.address) {
    // Renegotiated while the channel opened: configured for the old address. A new move
    // for the new one; the route stays held for it.
    discard_configured(configured, std::move(*r));
    if (move_in(call, o.vt, o.address)) return;
  } else if (open_threads_ == 0) {
    moved = attach(call, o.vt, o.address, o.info, std::move(*r));
  } else {
    // The engine went on meanwhile: it may have sent more sequenced data messages (the
    // kernel's Ns must catch up on them all), or the call may have gone.
    std::optional<KernelSessionInfo> now =
        hooks_.session_info ? hooks_.session_info(call, o.vt) : std::nullopt;
    if (!now || !now->template_address || now->peer_session_id != o.info.peer_session_id ||
        now->sequencing != o.info.sequencing) {
      fail(call, KernelStep::session_info, "the session changed while its channel opened");
      if (configured)
        discard_configured(configured, std::move(*r));
      else
        discard(std::move(*r));
    } else {
      moved = attach(call, o.vt, o.address, *now, std::move(*r), configured);
    }
  }
  if (!moved) release_tunnel_if_unused(call.tunnel);
  const bool held = deferred_routes_.erase({o.vt, o.address.value}) != 0;
  if (moved && !held)
    inner_.remove_host_route(o.vt, o.address);  // added by someone not holding it back
  else if (!moved && held)
    inner_.add_host_route(o.vt, o.address);  // stays in user space: the TUN's route
}

KernelPort::Closer& KernelPort::closer() {
  if (!closer_) {
    // Posted from a closer thread; the port outlives its closer (stop() joins it).
    closer_ = std::make_unique<Closer>(close_threads_, *ops_,
                                       [this, alive = std::weak_ptr<char>(alive_)] {
                                         boost::asio::post(io_, [this, alive] {
                                           if (!alive.expired()) take_deleted();
                                         });
                                       });
  }
  return *closer_;
}

void KernelPort::take_deleted() {
  if (!closer_) return;
  for (const Closer::Deleted& d : closer_->take()) count_delete(d.links, d.status);
}

void KernelPort::count_delete(std::size_t links, const Status<netlink::Error>& s) {
  if (s) {
    ++counters_.link_deletes;
    return;
  }
  ++counters_.teardown_errors;
  log_warning(DebugModule::l2tp, "kernel data plane: deleting " + std::to_string(links) +
                                     " pppN together: " + s.error().message +
                                     "; each goes with its unit instead");
}

void KernelPort::discard(std::unique_ptr<KernelChannel> channel) {
  if (close_threads_ == 0) return channel.reset();
  closer().close(std::move(channel));
}

bool KernelPort::attach(vpdn::SessionRef call, std::uint16_t vt, Ipv4 address,
                        const KernelSessionInfo& info, std::unique_ptr<KernelChannel> channel,
                        int configured) {
  auto give_up = [&](KernelStep step, const std::string& e) {
    fail(call, step, e);
    if (configured)
      discard_configured(configured, std::move(channel));
    else
      discard(std::move(channel));
    return false;
  };
  if (info.sequencing && info.data_sent > kMaxCatchUp)
    return give_up(KernelStep::sequencing, "the engine sent " + std::to_string(info.data_sent) +
                                               " sequenced data messages while the channel "
                                               "opened, more than the kernel catches up on");
  if (info.sequencing && info.data_sent > 0) {
    if (std::string e = catch_up(channel->channel_fd(), info.data_sent); !e.empty())
      return give_up(KernelStep::open_channel, channel->ifname() + ": " + e);
  }
  Session s;
  s.vt = vt;
  s.address = address;
  s.sequencing = info.sequencing;
  s.ifname = channel->ifname();
  auto up = [this, call](ByteView frame) {
    ++counters_.ppp_frames_up;
    if (hooks_.on_ppp_frame) hooks_.on_ppp_frame(call, frame);
  };
  std::string error;
  if (int fd = channel->channel_fd(); fd >= 0)
    s.channel_reader = start_reader(fd, false, up, error);
  if (int fd = channel->unit_fd(); fd >= 0 && error.empty())
    s.unit_reader = start_reader(fd, false, up, error);
  if (!error.empty()) {
    if (s.channel_reader) s.channel_reader->stop();
    return give_up(KernelStep::open_channel, s.ifname + ": " + error);
  }
  if (configured) {
    s.ifindex = configured;
    return enter(call, std::move(s), std::move(channel));
  }
  // Last, so that nothing before it needs undoing in the kernel: the acks come later
  // (link_acks), and a refusal then takes the session back out.
  auto link = ops_->configure_link(s.ifname, *info.template_address, address, info.mtu);
  if (!link || !watch_acks(link->ack_fd, error)) {
    if (s.channel_reader) s.channel_reader->stop();
    if (s.unit_reader) s.unit_reader->stop();
    return give_up(KernelStep::configure_link,
                   s.ifname + ": " + (link ? error : link.error().message));
  }
  ++counters_.link_requests;
  s.ifindex = link->ifindex;
  s.link_seq = link->seq;
  pending_links_[link->seq] = PendingLink{call, link->acks};
  return enter(call, std::move(s), std::move(channel));
}

bool KernelPort::enter(vpdn::SessionRef call, Session s, std::unique_ptr<KernelChannel> channel) {
  s.channel = std::move(channel);
  s.order = next_order_++;
  if (auto t = tunnels_.find(call.tunnel); t != tunnels_.end()) ++t->second.sessions;
  ++counters_.sessions_moved;
  log_info(DebugModule::l2tp, call_key(call) + " address=" + s.address.to_string() +
                                  " data plane in kernel on " + s.ifname);
  sessions_.emplace(call, std::move(s));
  return true;
}

bool KernelPort::watch_acks(int fd, std::string& error) {
  if (fd == ack_fd_ && ack_reader_) return true;
  if (ack_reader_) ack_reader_->stop();
  ack_reader_ = start_reader(
      fd, true, [this](ByteView d) { link_acks(d); }, error);
  ack_fd_ = ack_reader_ ? fd : -1;
  return ack_reader_ != nullptr;
}

void KernelPort::link_acks(ByteView datagram) {
  auto acks = netlink::parse_acks(datagram);
  if (!acks) {
    ++counters_.read_errors;
    return;
  }
  for (const netlink::NetlinkAck& a : *acks) {
    auto p = pending_links_.find(a.seq);
    if (p == pending_links_.end()) continue;  // its session ended meanwhile
    ++counters_.link_acks;
    const vpdn::SessionRef call = p->second.call;
    if (a.error == 0) {
      if (--p->second.acks == 0) pending_links_.erase(p);
      continue;
    }
    pending_links_.erase(p);
    auto it = sessions_.find(call);
    if (it == sessions_.end()) continue;
    // Refused (pppN gone, address invalid ...): the session goes back to user space, pppN
    // first so that the TUN's host route does not meet pppN's.
    const std::uint16_t vt = it->second.vt;
    const Ipv4 address = it->second.address;
    const std::string ifname = it->second.ifname;
    close_session(it, false);
    delete_retired(true);  // now, not batched: the TUN's route must not meet pppN's
    --counters_.sessions_moved;
    inner_.add_host_route(vt, address);
    fail(call, KernelStep::configure_link,
         ifname + ": RTM_NEWADDR/RTM_NEWLINK: " + std::strerror(-a.error));
  }
}

std::string KernelPort::catch_up(int channel_fd, std::uint16_t count) {
  std::string e = netlink::send_catch_up_frames(channel_fd, count);
  if (e.empty()) counters_.catch_up_frames += count;
  return e;
}

bool KernelPort::send_ppp(vpdn::SessionRef call, ByteView frame) {
  auto it = sessions_.find(call);
  if (it == sessions_.end() || !it->second.channel) return false;
  const int fd = it->second.channel->channel_fd();
  if (fd < 0) return false;
  // ppp_generic channels carry protocol + information; pppol2tp puts FF 03 back on.
  if (frame.size() >= 2 && frame[0] == 0xff && frame[1] == 0x03) frame = frame.subspan(2);
  if (::write(fd, frame.data(), frame.size()) != static_cast<ssize_t>(frame.size())) {
    ++counters_.write_errors;
    return false;
  }
  ++counters_.ppp_frames_down;
  return true;
}

aaa::Counters kernel_counters(const netlink::LinkStats& s) {
  aaa::Counters c;
  c.input_packets = s.rx_packets;
  c.input_octets = s.rx_bytes + 4 * s.rx_packets;
  c.output_packets = s.tx_packets;
  c.output_octets = s.tx_bytes + 4 * s.tx_packets;
  return c;
}

namespace {
void stats_error(std::uint64_t n, const std::string& what) {
  // The last readings stay; the next ask after stats_max_age tries again.
  if (n <= 10 || n % 1000 == 0)
    log_warning(DebugModule::l2tp, "kernel data plane: reading pppN counters: " + what);
}
}  // namespace

void KernelPort::refresh_stats() {
  const auto now = std::chrono::steady_clock::now();
  if (dump_) {
    if (now - dump_->started < dump_timeout_) return;  // still reading the last one
    // A lost reply: given up; its late replies carry the old sequence number and are
    // skipped.
    dump_->reader->stop();
    dump_.reset();
    stats_error(++counters_.stats_errors, "a dump did not finish within the dump timeout");
  }
  stats_read_at_ = now;
  ++counters_.stats_reads;
  auto started = ops_->start_ppp_link_dump();
  if (!started) return stats_error(++counters_.stats_errors, started.error().message);
  std::string error;
  auto reader = start_reader(
      started->first, true, [this](ByteView d) { dump_reply(d); }, error);
  if (!reader) return stats_error(++counters_.stats_errors, error);
  dump_ = Dump{std::move(reader), started->second, {}, now};
}

void KernelPort::dump_reply(ByteView datagram) {
  if (!dump_) return;
  auto r = netlink::parse_link_stats(datagram, dump_->seq);
  if (r && !r->error) {
    dump_->links.insert(dump_->links.end(), r->links.begin(), r->links.end());
    if (!r->done) return;
  }
  // Done (or failed): the reader stops inside its own handler, which it allows.
  Dump d = std::move(*dump_);
  dump_.reset();
  d.reader->stop();
  if (!r || r->error) {
    stats_error(
        ++counters_.stats_errors,
        r ? std::string("RTM_GETLINK dump: ") + std::strerror(-r->error) : r.error().message);
    return;
  }
  std::unordered_map<int, const netlink::LinkStats*> by_index;
  by_index.reserve(d.links.size());
  for (const auto& l : d.links) by_index.emplace(l.ifindex, &l);
  for (auto& [call, s] : sessions_)
    if (auto f = by_index.find(s.ifindex); f != by_index.end())
      s.stats = kernel_counters(*f->second);
}

aaa::Counters KernelPort::data_counters(vpdn::SessionRef call) {
  auto it = sessions_.find(call);
  if (it == sessions_.end()) return {};
  const auto now = std::chrono::steady_clock::now();
  if (!stopped_ && (!stats_read_at_ || now - *stats_read_at_ >= stats_max_age_)) refresh_stats();
  return it->second.stats;
}

aaa::Counters KernelPort::close_session(std::map<vpdn::SessionRef, Session>::iterator it,
                                        bool read_counters) {
  const vpdn::SessionRef call = it->first;
  Session& s = it->second;
  // The last reading, while pppN still exists: what accounting Stop reports.
  if (read_counters) {
    ++counters_.stats_reads;
    if (auto l = ops_->link_stats(s.ifindex, s.ifname))
      s.stats = kernel_counters(*l);
    else
      ++counters_.stats_errors;
  }
  const aaa::Counters final_counts = s.stats;
  if (s.sequencing) resume_numbering(call, *s.channel);
  if (s.channel_reader) s.channel_reader->stop();
  if (s.unit_reader) s.unit_reader->stop();
  if (s.link_seq) pending_links_.erase(s.link_seq);
  // The channel and the kernel session go; pppN (with its address and route) in a batch.
  retire(s.ifindex, std::move(s.channel));
  auto t = tunnels_.find(call.tunnel);
  if (t != tunnels_.end() && t->second.sessions > 0) --t->second.sessions;
  sessions_.erase(it);
  release_tunnel_if_unused(call.tunnel);
  return final_counts;
}

void KernelPort::retire(int ifindex, std::unique_ptr<KernelChannel> channel) {
  // On the closer threads the channel is released after the unit's delete (the order does
  // not matter to the kernel); here, at once, as before the batch.
  if (close_threads_ == 0) channel->release_channel();
  retired_.emplace_back(ifindex, std::move(channel));
  if (retired_.size() >= kMaxDeleteBatch) return delete_retired();
  if (delete_posted_) return;
  delete_posted_ = true;
  boost::asio::post(io_, [this, alive = std::weak_ptr<char>(alive_)] {
    if (alive.expired()) return;
    delete_posted_ = false;
    delete_retired();
  });
}

void KernelPort::delete_retired(bool now) {
  if (retired_.empty()) return;
  std::vector<int> ifindexes;
  ifindexes.reserve(retired_.size());
  for (const auto& r : retired_) ifindexes.push_back(r.first);
  if (close_threads_ != 0 && !now) {
    std::vector<std::unique_ptr<KernelChannel>> channels;
    channels.reserve(retired_.size());
    for (auto& r : retired_) channels.push_back(std::move(r.second));
    retired_.clear();
    closer().delete_then_close(std::move(ifindexes), std::move(channels));
    return;
  }
  count_delete(ifindexes.size(), ops_->delete_links(ifindexes));
  // The units' fds: pppN is gone already (or goes now, one by one).
  if (close_threads_ == 0) return retired_.clear();
  for (auto& r : retired_) closer().close(std::move(r.second));
  retired_.clear();
}

// The kernel session started at Ns 0 and caught up to where the engine was, so the count
// of data messages it numbered is the next Ns. Unreadable: the engine keeps its own count
// and the peer drops its data as old until that passes the kernel's (logged, counted).
void KernelPort::resume_numbering(vpdn::SessionRef call, const KernelChannel& channel) {
  auto numbered = channel.data_numbered();
  if (!numbered) {
    ++counters_.stats_errors;
    log_warning(DebugModule::l2tp, call_key(call) +
                                       " kernel data plane: the kernel's Ns is unreadable; the "
                                       "engine resumes with its own");
    return;
  }
  if (hooks_.resume_numbering)
    hooks_.resume_numbering(call, static_cast<std::uint16_t>(*numbered & 0xffff));
}

void KernelPort::release_tunnel_if_unused(std::uint16_t tunnel) {
  auto t = tunnels_.find(tunnel);
  if (t == tunnels_.end() || t->second.sessions > 0) return;
  // Reverse of creation: stop reading, delete the kernel tunnel, then close its socket.
  t->second.reader->stop();
  if (auto s = ops_->delete_tunnel(tunnel); !s) {
    ++counters_.teardown_errors;
    log_warning(DebugModule::l2tp,
                "tunnel=" + std::to_string(tunnel) + " kernel tunnel delete: " + s.error().message);
  }
  ::close(t->second.fd);
  tunnels_.erase(t);
  ++counters_.tunnels_deleted;
  log_info(DebugModule::l2tp, "tunnel=" + std::to_string(tunnel) + " kernel tunnel deleted");
}

aaa::Counters KernelPort::session_ip_down(vpdn::SessionRef call, std::uint16_t vt, Ipv4 address) {
  aaa::Counters c;
  auto it = sessions_.find(call);
  if (it != sessions_.end())
    c = close_session(it);
  else if (auto o = opening_.find(call); o != opening_.end())
    o->second.cancelled = true;  // its channel is closed when the open ends
  c += inner_.session_ip_down(call, vt, address);
  return c;
}

void KernelPort::stop() {
  stopped_ = true;
  // The opens under way end first (their channels are closed: open_done sees stopped_); the
  // queued ones never start, and their holds on the tunnels go with them.
  if (opener_) {
    opener_->join();
    take_opened();
    opener_.reset();
  }
  for (const auto& [call, o] : opening_)
    if (auto t = tunnels_.find(call.tunnel); t != tunnels_.end() && t->second.sessions > 0)
      --t->second.sessions;
  opening_.clear();
  if (dump_) {
    dump_->reader->stop();
    dump_.reset();
  }
  if (ack_reader_) ack_reader_->stop();
  ack_reader_.reset();
  ack_fd_ = -1;
  std::vector<std::pair<std::uint64_t, vpdn::SessionRef>> order;
  order.reserve(sessions_.size());
  for (const auto& [call, s] : sessions_) order.emplace_back(s.order, call);
  std::sort(order.rbegin(), order.rend());  // newest first
  for (const auto& [o, call] : order) {
    auto it = sessions_.find(call);
    // Nobody is left to report to (the calls ended first): no counter reads.
    if (it != sessions_.end()) close_session(it, false);
  }
  // Tunnels go with their last session; none is kept without one, but be thorough.
  while (!tunnels_.empty()) {
    tunnels_.begin()->second.sessions = 0;
    release_tunnel_if_unused(tunnels_.begin()->first);
  }
  delete_retired();
  if (closer_) {  // every pppN deleted and every channel closed before the daemon goes on
    closer_->join();
    take_deleted();
    closer_.reset();
  }
}

std::string KernelPort::summary() const {
  std::string out = std::to_string(sessions_.size()) +
                    (sessions_.size() == 1 ? " session" : " sessions") + " and " +
                    std::to_string(tunnels_.size()) +
                    (tunnels_.size() == 1 ? " tunnel" : " tunnels") + " in the kernel";
  if (!fallbacks_.empty()) {
    out += "; kept in user space:";
    bool first = true;
    for (const auto& [step, n] : fallbacks_) {
      out += (first ? " " : ", ") + std::string(describe(step)) + " " + std::to_string(n);
      first = false;
    }
  }
  if (counters_.read_errors) out += "; read errors " + std::to_string(counters_.read_errors);
  if (counters_.teardown_errors)
    out += "; teardown errors " + std::to_string(counters_.teardown_errors);
  if (counters_.write_errors) out += "; write errors " + std::to_string(counters_.write_errors);
  if (counters_.stats_errors)
    out += "; counter read errors " + std::to_string(counters_.stats_errors);
  return out;
}

}  // namespace vpdnd::app
