// KernelPort (app/services/kernel_port.hpp) driven with a fake KernelOps: socketpairs stand
// in for the tunnel's connected UDP socket and for each session's /dev/ppp channel and unit
// fds, so the sequencing, the fallback to user space and the teardown order are checked on
// kernels without l2tp/ppp. The last tests use the real open_tunnel_socket on loopback
// against the L2TP engine's own socket (the SO_REUSEADDR pairing the kernel path needs).
#include "app/services/kernel_port.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "app/services/descriptor_limit.hpp"
#include "common/timer.hpp"
#include "startup-config/model.hpp"
#include "vpdn/engine.hpp"

namespace vpdnd::app {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using vpdn::SessionRef;

Ipv4 ip(const char* s) {
  return *Ipv4::parse(s);
}

using Log = std::vector<std::string>;

struct FdPair {
  int near = -1, far = -1;  // near: handed to KernelPort; far: the test's end
};
FdPair dgram_pair() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) != 0) return {};
  return {sv[0], sv[1]};
}

// With KernelPort's closer threads the channels go elsewhere: counted, not logged.
struct ChannelTally {
  bool active = false;
  std::atomic<int> released{0}, destroyed{0}, off_thread{0};
  std::thread::id protocol_thread = std::this_thread::get_id();
};

class FakeChannel final : public KernelChannel {
 public:
  FakeChannel(Log& log, int unit, int channel_fd, int unit_fd, ChannelTally* tally = nullptr)
      : log_(log), unit_(unit), channel_fd_(channel_fd), unit_fd_(unit_fd), tally_(tally) {}
  ~FakeChannel() override {
    if (tally_ && tally_->active) {
      ++tally_->destroyed;
      if (std::this_thread::get_id() != tally_->protocol_thread) ++tally_->off_thread;
    } else {
      log_.push_back("close_channel " + ifname());
    }
    ::close(channel_fd_);
    ::close(unit_fd_);
  }
  std::string ifname() const override { return "ppp" + std::to_string(unit_); }
  int channel_fd() const override { return channel_fd_; }
  int unit_fd() const override { return unit_fd_; }
  std::optional<std::uint64_t> data_numbered() const override { return numbered; }
  void release_channel() override {
    if (tally_ && tally_->active)
      ++tally_->released;
    else
      log_.push_back("release " + ifname());
  }
  std::optional<std::uint64_t> numbered;  // what the kernel session reports

 private:
  Log& log_;
  int unit_, channel_fd_, unit_fd_;
  ChannelTally* tally_;
};

// Records every operation in order; `fail_at` makes one step fail.
class FakeOps final : public KernelOps {
 public:
  explicit FakeOps(Log& log) : log_(log) {}
  ~FakeOps() override {
    for (int fd : far_fds) ::close(fd);
  }
  std::optional<KernelStep> fail_at;
  bool fail_teardown = false;  // delete_tunnel and remove_route fail
  int fail_code = 0;           // when set, the errno of a failing socket/channel open (EMFILE ...)
  std::vector<int> far_fds;    // every far end, closed at the end
  std::map<int, int> tunnel_far;                     // near tunnel fd -> far end
  std::map<std::string, int> channel_far, unit_far;  // ifname -> far end
  std::vector<int> tunnel_fds;                       // near ends given out, in order
  int next_unit = 0;
  std::optional<std::uint64_t> kernel_numbered;  // each channel's data_numbered()
  ChannelTally tally;

  Result<int, netlink::Error> open_tunnel_socket(netlink::Endpoint local,
                                                 netlink::Endpoint peer) override {
    log_.push_back("socket " + local.address.to_string() + ":" + std::to_string(local.port) + "->" +
                   peer.address.to_string() + ":" + std::to_string(peer.port));
    if (fail_at == KernelStep::tunnel_socket)
      return unexpected(netlink::Error{"bind: Address in use", fail_code ? fail_code : EADDRINUSE});
    FdPair p = dgram_pair();
    far_fds.push_back(p.far);
    tunnel_far[p.near] = p.far;
    tunnel_fds.push_back(p.near);
    return p.near;
  }
  Status<netlink::Error> create_tunnel(const netlink::KernelTunnelParams& p) override {
    log_.push_back("create_tunnel " + std::to_string(p.tunnel_id) + " peer " +
                   std::to_string(p.peer_tunnel_id) +
                   (tunnel_far.count(p.udp_fd) ? " fd ok" : " fd BAD"));
    if (fail_at == KernelStep::create_tunnel)
      return unexpected(netlink::Error{"resolve genetlink family l2tp: Object not found", -12});
    return {};
  }
  Status<netlink::Error> delete_tunnel(std::uint32_t tunnel_id) override {
    log_.push_back("delete_tunnel " + std::to_string(tunnel_id));
    if (fail_teardown) return unexpected(netlink::Error{"l2tp request: Object not found", -12});
    return {};
  }
  // With KernelPort's opener threads, open_channel runs on them: it then logs nothing
  // (the protocol thread logs meanwhile), records under `open_m`, and waits while `held`
  // (the kernel's wait for a grace period, as long as the test wants).
  bool threaded = false;
  std::mutex open_m;
  std::condition_variable open_cv;
  bool opens_held = false;
  int opens_started = 0, opens_on_protocol_thread = 0;
  void release_opens() {
    {
      std::lock_guard<std::mutex> l(open_m);
      opens_held = false;
    }
    open_cv.notify_all();
  }
  bool wait_opens_started(int n) {
    std::unique_lock<std::mutex> l(open_m);
    return open_cv.wait_for(l, std::chrono::seconds(10), [&] { return opens_started >= n; });
  }
  Result<std::unique_ptr<KernelChannel>, netlink::Error> open_channel(
      const netlink::PppoL2tpParams& p) override {
    if (threaded) return open_off_thread(p);
    log_.push_back("open_channel " + std::to_string(p.tunnel_id) + "/" +
                   std::to_string(p.session_id) + " peer " + std::to_string(p.peer_tunnel_id) +
                   "/" + std::to_string(p.peer_session_id) +
                   (tunnel_far.count(p.udp_fd) ? " fd ok" : " fd BAD"));
    channel_params.push_back(p);
    if (fail_at == KernelStep::open_channel)
      return unexpected(netlink::Error{"AF_PPPOX not supported by this kernel (no pppol2tp module)",
                                       fail_code ? fail_code : EAFNOSUPPORT});
    FdPair c = dgram_pair(), u = dgram_pair();
    far_fds.push_back(c.far);
    far_fds.push_back(u.far);
    auto ch = std::make_unique<FakeChannel>(log_, next_unit++, c.near, u.near, &tally);
    ch->numbered = kernel_numbered;
    channel_far[ch->ifname()] = c.far;
    unit_far[ch->ifname()] = u.far;
    return std::unique_ptr<KernelChannel>(std::move(ch));
  }
  Result<std::unique_ptr<KernelChannel>, netlink::Error> open_off_thread(
      const netlink::PppoL2tpParams& p) {
    std::unique_lock<std::mutex> l(open_m);
    ++opens_started;
    if (std::this_thread::get_id() == tally.protocol_thread) ++opens_on_protocol_thread;
    open_cv.notify_all();
    open_cv.wait(l, [&] { return !opens_held; });
    channel_params.push_back(p);
    if (fail_at == KernelStep::open_channel)
      return unexpected(
          netlink::Error{"PPPIOCGCHAN: Transport endpoint is not connected", ENOTCONN});
    FdPair c = dgram_pair(), u = dgram_pair();
    far_fds.push_back(c.far);
    far_fds.push_back(u.far);
    auto ch = std::make_unique<FakeChannel>(log_, next_unit++, c.near, u.near, &tally);
    channel_far[ch->ifname()] = c.far;
    unit_far[ch->ifname()] = u.far;
    return std::unique_ptr<KernelChannel>(std::move(ch));
  }
  // The kernel's side of a pppN configuration: its acks (the address's, then the link's,
  // as netlink::build_ppp_link_setup gets them) queued on a socketpair KernelPort reads;
  // `link_error` makes the link's ack refuse, `hold_acks` keeps them back.
  int link_error = 0;
  bool hold_acks = false;
  FdPair ack_pair;
  std::uint32_t link_seq = 0;
  std::vector<std::uint32_t> held;
  Result<LinkRequest, netlink::Error> configure_link(const std::string& ifname, Ipv4 local,
                                                     Ipv4 peer, std::uint16_t mtu) override {
    log_.push_back("configure " + ifname + " " + local.to_string() + " peer " + peer.to_string() +
                   " mtu " + std::to_string(mtu));
    if (fail_at == KernelStep::configure_link)
      return unexpected(netlink::Error{"ifindex of " + ifname + ": No such device", ENODEV});
    if (ack_pair.near < 0) {
      ack_pair = dgram_pair();
      far_fds.push_back(ack_pair.far);
      far_fds.push_back(ack_pair.near);
    }
    LinkRequest r;
    r.ifindex = 100 + std::stoi(ifname.substr(3));
    r.ack_fd = ack_pair.near;
    r.seq = ++link_seq;
    if (hold_acks)
      held.push_back(r.seq);
    else
      send_acks(r.seq, link_error);
    return r;
  }
  // On the opener threads: recorded under `open_m` ("ppp0 10.9.0.1 peer 10.9.0.2 mtu 1400"),
  // with the thread; `link_error` refuses it (the link's part).
  std::vector<std::string> configured_now;
  int configures_on_protocol_thread = 0;
  Result<int, netlink::Error> configure_link_now(const std::string& ifname, Ipv4 local, Ipv4 peer,
                                                 std::uint16_t mtu) override {
    std::lock_guard<std::mutex> l(open_m);
    if (std::this_thread::get_id() == tally.protocol_thread) ++configures_on_protocol_thread;
    configured_now.push_back(ifname + " " + local.to_string() + " peer " + peer.to_string() +
                             " mtu " + std::to_string(mtu));
    if (link_error)
      return unexpected(netlink::Error{ifname + ": RTM_NEWADDR/RTM_NEWLINK: refused", -link_error});
    return 100 + std::stoi(ifname.substr(3));
  }
  void send_acks(std::uint32_t seq, int second_error) {
    for (int e : {0, second_error}) {
      Bytes ack;
      Bytes body(sizeof(nlmsgerr), 0);
      std::memcpy(body.data(), &e, sizeof e);
      append_message(ack, NLMSG_ERROR, seq, body);
      (void)::send(ack_pair.far, ack.data(), ack.size(), 0);
    }
  }
  // The fake netlink reader: `links` is what the kernel would report; reads are counted,
  // not logged (the step logs above stay as they are).
  std::map<int, netlink::LinkStats> links;
  int dumps = 0, single_reads = 0;
  bool hold_done = false;  // a dump that does not end (a lost reply)
  FdPair dump_pair;
  std::vector<netlink::PppoL2tpParams> channel_params;
  bool fail_stats = false;
  // The kernel's side of a dump: every link as an RTM_NEWLINK (two per datagram, as the
  // kernel packs several), then NLMSG_DONE, queued on a socketpair whose near end
  // KernelPort reads.
  Result<std::pair<int, std::uint32_t>, netlink::Error> start_ppp_link_dump() override {
    ++dumps;
    if (fail_stats) return unexpected(netlink::Error{"send RTM_GETLINK: No buffer space", ENOBUFS});
    if (dump_pair.near < 0) {
      dump_pair = dgram_pair();
      far_fds.push_back(dump_pair.far);
      far_fds.push_back(dump_pair.near);
    }
    const std::uint32_t seq = static_cast<std::uint32_t>(dumps) + 100;
    std::vector<netlink::LinkStats> all;
    for (const auto& [i, l] : links) all.push_back(l);
    netlink::LinkStats other;  // a link that is no session's (another pppN, or lo unfiltered)
    other.ifindex = 1;
    other.rx_packets = 999;
    all.push_back(other);
    Bytes datagram;
    for (std::size_t i = 0; i < all.size(); ++i) {
      append_newlink(datagram, all[i], seq);
      if (i % 2 == 1 || i + 1 == all.size()) {
        if (i + 1 == all.size() && !hold_done) append_message(datagram, NLMSG_DONE, seq, Bytes(4));
        (void)::send(dump_pair.far, datagram.data(), datagram.size(), 0);
        datagram.clear();
      }
    }
    return std::pair<int, std::uint32_t>{dump_pair.near, seq};
  }
  static void append_message(Bytes& out, std::uint16_t type, std::uint32_t seq, const Bytes& body) {
    nlmsghdr h{};
    h.nlmsg_len = static_cast<std::uint32_t>(sizeof h + body.size());
    h.nlmsg_type = type;
    h.nlmsg_seq = seq;
    const auto* p = reinterpret_cast<const std::uint8_t*>(&h);
    out.insert(out.end(), p, p + sizeof h);
    out.insert(out.end(), body.begin(), body.end());
  }
  static void append_newlink(Bytes& out, const netlink::LinkStats& l, std::uint32_t seq) {
    ifinfomsg ifi{};
    ifi.ifi_index = l.ifindex;
    Bytes body(reinterpret_cast<const std::uint8_t*>(&ifi),
               reinterpret_cast<const std::uint8_t*>(&ifi) + sizeof ifi);
    rtnl_link_stats64 st{};
    st.rx_packets = l.rx_packets, st.tx_packets = l.tx_packets;
    st.rx_bytes = l.rx_bytes, st.tx_bytes = l.tx_bytes;
    nlattr a{};
    a.nla_len = static_cast<std::uint16_t>(sizeof a + sizeof st);
    a.nla_type = IFLA_STATS64;
    body.insert(body.end(), reinterpret_cast<const std::uint8_t*>(&a),
                reinterpret_cast<const std::uint8_t*>(&a) + sizeof a);
    body.insert(body.end(), reinterpret_cast<const std::uint8_t*>(&st),
                reinterpret_cast<const std::uint8_t*>(&st) + sizeof st);
    append_message(out, RTM_NEWLINK, seq, body);
  }
  // The kernel's cost of a teardown: one RCU wait per batch of links deleted together.
  bool fail_delete = false;
  int batches = 0;
  // With closer threads the deletes run on them: counted (under `open_m`), not logged.
  // `deletes_held`: each waits (the kernel's grace periods) until released.
  int deletes_off_thread = 0, destroyed_before_delete = 0;
  bool deletes_held = false;
  std::vector<std::size_t> batch_sizes;
  Status<netlink::Error> delete_links(const std::vector<int>& ifindexes) override {
    if (tally.active) {
      std::unique_lock<std::mutex> l(open_m);
      ++batches;
      batch_sizes.push_back(ifindexes.size());
      open_cv.notify_all();
      open_cv.wait(l, [&] { return !deletes_held; });
      if (std::this_thread::get_id() != tally.protocol_thread) ++deletes_off_thread;
      destroyed_before_delete += tally.destroyed.load();
      return {};
    }
    std::string line = "delete_links";
    for (int i : ifindexes) line += " " + std::to_string(i);
    log_.push_back(line);
    ++batches;
    if (fail_delete)
      return unexpected(netlink::Error{"RTM_DELLINK group: Not supported", EOPNOTSUPP});
    return {};
  }
  Result<netlink::LinkStats, netlink::Error> link_stats(int ifindex, const std::string&) override {
    ++single_reads;
    if (fail_stats) return unexpected(netlink::Error{"RTM_GETLINK: No such device", ENODEV});
    auto it = links.find(ifindex);
    if (it != links.end()) return it->second;
    netlink::LinkStats none;  // a pppN nothing crossed yet
    none.ifindex = ifindex;
    return none;
  }

 private:
  Log& log_;
};

// The TunPort KernelPort decorates.
class FakeTun final : public vpdn::IpPort {
 public:
  explicit FakeTun(Log& log) : log_(log) {}
  bool add_host_route(std::uint16_t vt, Ipv4 a) override {
    log_.push_back("tun add_route vt" + std::to_string(vt) + " " + a.to_string());
    return true;
  }
  void remove_host_route(std::uint16_t vt, Ipv4 a) override {
    log_.push_back("tun remove_route vt" + std::to_string(vt) + " " + a.to_string());
  }
  void write_ip(std::uint16_t vt, ByteView p) override {
    log_.push_back("tun write vt" + std::to_string(vt) + " " + std::to_string(p.size()));
  }
  bool set_peer_address(std::uint16_t vt, Ipv4 l, Ipv4 p) override {
    log_.push_back("tun peer vt" + std::to_string(vt) + " " + l.to_string() + " " + p.to_string());
    return true;
  }
  void clear_peer_address(std::uint16_t vt) override {
    log_.push_back("tun clear_peer vt" + std::to_string(vt));
  }

 private:
  Log& log_;
};

struct KernelPortTest : ::testing::Test {
  boost::asio::io_context io;
  Log log;
  FakeTun tun{log};
  FakeOps* ops = nullptr;
  std::unique_ptr<KernelPort> port;
  std::vector<std::pair<netlink::Endpoint, Bytes>> datagrams;
  std::vector<std::pair<SessionRef, Bytes>> frames;
  bool sequencing = false;
  std::uint16_t data_sent = 0;
  std::optional<Ipv4> template_address = ip("10.9.0.1");
  std::map<SessionRef, std::uint16_t> known;  // call -> peer session id
  std::function<void(SessionRef, ByteView)> frame_hook;
  std::uint16_t unknown_tunnel = 0;
  std::vector<std::pair<SessionRef, std::uint16_t>> resumed;  // resume_numbering calls

  void SetUp() override {
    auto o = std::make_unique<FakeOps>(log);
    ops = o.get();
    KernelPort::Hooks h;
    h.session_info = [this](SessionRef c, std::uint16_t) -> std::optional<KernelSessionInfo> {
      auto k = known.find(c);
      if (k == known.end()) return std::nullopt;
      KernelSessionInfo i;
      i.peer_session_id = k->second;
      i.sequencing = sequencing;
      i.data_sent = data_sent;
      i.template_address = template_address;
      i.mtu = 1400;
      return i;
    };
    h.tunnel_info = [this](std::uint16_t t) -> std::optional<KernelTunnelInfo> {
      if (unknown_tunnel == t) return std::nullopt;
      KernelTunnelInfo i;
      i.local = {ip("192.0.2.1"), 1701};
      i.peer = {ip("192.0.2.2"), static_cast<std::uint16_t>(1700 + t % 10)};
      i.peer_tunnel_id = static_cast<std::uint16_t>(t + 1000);
      return i;
    };
    h.on_datagram = [this](netlink::Endpoint from, ByteView d) {
      datagrams.emplace_back(from, Bytes(d.begin(), d.end()));
    };
    h.on_ppp_frame = [this](SessionRef c, ByteView f) {
      frames.emplace_back(c, Bytes(f.begin(), f.end()));
      if (frame_hook) frame_hook(c, f);
    };
    h.resume_numbering = [this](SessionRef c, std::uint16_t ns) { resumed.emplace_back(c, ns); };
    port = std::make_unique<KernelPort>(io, tun, std::move(o), std::move(h));
  }
  void TearDown() override {
    port.reset();  // stops (ops, owned by the port, goes with it)
  }
  // As LnsCalls does at IPCP Opened: the host route, then the session.
  void up(SessionRef c, const char* address, std::uint16_t peer_session = 77) {
    known[c] = peer_session;
    port->add_host_route(1, ip(address));
    port->session_ip_up(c, 1, ip(address));
  }
  // ... and at the end.
  void down(SessionRef c, const char* address) {
    port->session_ip_down(c, 1, ip(address));
    port->remove_host_route(1, ip(address));
  }
  // `n` sessions up on tunnel 10 (acks read), then all down in one go.
  void up_then_down(int n) {
    auto address = [](int i) { return "10.9.1." + std::to_string(i); };
    for (int i = 1; i <= n; ++i) up({10, static_cast<std::uint16_t>(i)}, address(i).c_str());
    io.poll();
    take();
    for (int i = 1; i <= n; ++i)
      port->session_ip_down({10, static_cast<std::uint16_t>(i)}, 1, ip(address(i).c_str()));
  }
  Log take() {
    Log out;
    out.swap(log);
    return out;
  }
};

TEST_F(KernelPortTest, FirstSessionCreatesTheTunnelSecondReusesIt) {
  up({10, 1}, "10.9.0.2", 501);
  EXPECT_THAT(take(), ElementsAre("socket 192.0.2.1:1701->192.0.2.2:1700",
                                  "create_tunnel 10 peer 1010 fd ok",
                                  "open_channel 10/1 peer 1010/501 fd ok",
                                  "configure ppp0 10.9.0.1 peer 10.9.0.2 mtu 1400"));
  up({10, 2}, "10.9.0.3", 502);
  EXPECT_THAT(take(), ElementsAre("open_channel 10/2 peer 1010/502 fd ok",
                                  "configure ppp1 10.9.0.1 peer 10.9.0.3 mtu 1400"));
  EXPECT_TRUE(port->in_kernel({10, 1}));
  EXPECT_TRUE(port->in_kernel({10, 2}));
  EXPECT_EQ(port->ifname({10, 2}), "ppp1");
  EXPECT_EQ(port->tunnel_count(), 1u);
  EXPECT_EQ(port->session_count(), 2u);
  EXPECT_EQ(port->counters().tunnels_created, 1u);
  EXPECT_EQ(port->counters().sessions_moved, 2u);
  EXPECT_TRUE(port->fallbacks().empty());
  EXPECT_EQ(port->summary(), "2 sessions and 1 tunnel in the kernel");
}

// The set-up cost per session: no TUN route added and removed again, no ifindex lookup or
// route of its own over rtnetlink; one configuration sent, its two acks read later on the
// protocol thread.
TEST_F(KernelPortTest, ASessionGoesInWithOneLinkSetupSentAndItsAcksReadLater) {
  up({10, 1}, "10.9.0.2");
  up({10, 2}, "10.9.0.3");
  EXPECT_THAT(take(), ElementsAre("socket 192.0.2.1:1701->192.0.2.2:1700",
                                  "create_tunnel 10 peer 1010 fd ok",
                                  "open_channel 10/1 peer 1010/77 fd ok",
                                  "configure ppp0 10.9.0.1 peer 10.9.0.2 mtu 1400",
                                  "open_channel 10/2 peer 1010/77 fd ok",
                                  "configure ppp1 10.9.0.1 peer 10.9.0.3 mtu 1400"));
  EXPECT_EQ(port->counters().link_requests, 2u);
  EXPECT_EQ(port->counters().link_acks, 0u);  // nothing waited for them
  io.poll();
  EXPECT_EQ(port->counters().link_acks, 4u);
  EXPECT_TRUE(port->in_kernel({10, 1}));
  EXPECT_TRUE(port->in_kernel({10, 2}));
  EXPECT_TRUE(take().empty());
}

TEST_F(KernelPortTest, ALinkSetupTheKernelRefusesTakesTheSessionBackToUserSpace) {
  up({10, 1}, "10.9.0.2");
  ops->link_error = -EINVAL;
  up({10, 2}, "10.9.0.3");
  take();
  EXPECT_TRUE(port->in_kernel({10, 2}));  // until the ack says otherwise
  io.poll();
  EXPECT_FALSE(port->in_kernel({10, 2}));
  EXPECT_TRUE(port->in_kernel({10, 1}));
  // pppN goes before the TUN's route comes: the two never meet in the table.
  EXPECT_THAT(take(), ElementsAre("release ppp1", "delete_links 101", "close_channel ppp1",
                                  "tun add_route vt1 10.9.0.3"));
  EXPECT_EQ(port->fallbacks().at(KernelStep::configure_link), 1u);
  EXPECT_EQ(port->counters().sessions_moved, 1u);
  EXPECT_EQ(port->tunnel_count(), 1u);
  // Its end is the TUN's.
  down({10, 2}, "10.9.0.3");
  EXPECT_THAT(take(), ElementsAre("tun remove_route vt1 10.9.0.3"));
}

TEST_F(KernelPortTest, AcksOfASessionThatEndedFirstAreIgnored) {
  ops->hold_acks = true;
  up({10, 1}, "10.9.0.2");
  down({10, 1}, "10.9.0.2");
  up({10, 2}, "10.9.0.3");
  take();
  ASSERT_EQ(ops->held.size(), 2u);
  ops->send_acks(ops->held[0], -ENODEV);  // its pppN is gone already
  ops->send_acks(ops->held[1], 0);
  io.poll();
  EXPECT_THAT(take(), ElementsAre("delete_links 100", "close_channel ppp0"));
  EXPECT_TRUE(port->in_kernel({10, 2}));
  EXPECT_EQ(port->counters().link_acks, 2u);  // the live session's own
  EXPECT_TRUE(port->fallbacks().empty());
}

TEST_F(KernelPortTest, DownOfOneKeepsTheTunnelDownOfTheLastDeletesIt) {
  up({10, 1}, "10.9.0.2");
  up({10, 2}, "10.9.0.3");
  const int far = ops->tunnel_far.at(ops->tunnel_fds.at(0));
  take();
  down({10, 1}, "10.9.0.2");
  // pppN takes its address and route with it: nothing else to remove, on the TUN neither.
  // The kernel session goes at once, pppN once the protocol thread is idle.
  EXPECT_THAT(take(), ElementsAre("release ppp0", "tun remove_route vt1 10.9.0.2"));
  io.poll();
  EXPECT_THAT(take(), ElementsAre("delete_links 100", "close_channel ppp0"));
  EXPECT_EQ(port->tunnel_count(), 1u);
  EXPECT_FALSE(port->in_kernel({10, 1}));
  // The connected socket is still open: the far end can still send to it.
  const std::uint8_t b = 1;
  EXPECT_EQ(::send(far, &b, 1, MSG_DONTWAIT), 1);
  port->session_ip_down({10, 2}, 1, ip("10.9.0.3"));
  EXPECT_THAT(take(), ElementsAre("release ppp1", "delete_tunnel 10"));
  io.poll();
  EXPECT_THAT(take(), ElementsAre("delete_links 101", "close_channel ppp1"));
  EXPECT_EQ(port->tunnel_count(), 0u);
  EXPECT_EQ(port->counters().tunnels_deleted, 1u);
  // ... and now it is closed.
  errno = 0;
  EXPECT_EQ(::send(far, &b, 1, MSG_DONTWAIT), -1);
  EXPECT_EQ(errno, ECONNREFUSED);
  // A session that never went into the kernel only passes through.
  port->session_ip_down({10, 9}, 1, ip("10.9.0.9"));
  EXPECT_TRUE(take().empty());
}

TEST_F(KernelPortTest, SeparateTunnelsGetSeparateSockets) {
  up({10, 1}, "10.9.0.2");
  up({11, 1}, "10.9.0.3");
  EXPECT_EQ(port->tunnel_count(), 2u);
  EXPECT_EQ(ops->tunnel_fds.size(), 2u);
  port->session_ip_down({10, 1}, 1, ip("10.9.0.2"));
  EXPECT_EQ(port->tunnel_count(), 1u);
}

struct StepCase {
  KernelStep step;
  std::vector<std::string> expected;  // operations of the failed attempt
};

class KernelPortFailure : public KernelPortTest, public ::testing::WithParamInterface<StepCase> {};

TEST_P(KernelPortFailure, EachStepFallsBackToUserSpaceAndCounts) {
  const StepCase& c = GetParam();
  ops->fail_at = c.step;
  up({10, 1}, "10.9.0.2");
  EXPECT_EQ(take(), c.expected);
  EXPECT_FALSE(port->in_kernel({10, 1}));
  EXPECT_EQ(port->tunnel_count(), 0u);
  EXPECT_EQ(port->session_count(), 0u);
  ASSERT_EQ(port->fallbacks().count(c.step), 1u);
  EXPECT_EQ(port->fallbacks().at(c.step), 1u);
  EXPECT_THAT(port->summary(),
              HasSubstr("kept in user space: " + std::string(describe(c.step)) + " 1"));
  // Any socket that was opened is closed again.
  for (const auto& [near, far] : ops->tunnel_far) {
    const std::uint8_t b = 1;
    errno = 0;
    EXPECT_EQ(::send(far, &b, 1, MSG_DONTWAIT), -1);
    EXPECT_EQ(errno, ECONNREFUSED);
  }
  // The session's teardown only reaches the TUN side.
  port->session_ip_down({10, 1}, 1, ip("10.9.0.2"));
  EXPECT_TRUE(take().empty());
  // Once the step works again, the next session goes into the kernel.
  ops->fail_at.reset();
  up({10, 2}, "10.9.0.3");
  EXPECT_TRUE(port->in_kernel({10, 2}));
}

INSTANTIATE_TEST_SUITE_P(
    Steps, KernelPortFailure,
    ::testing::Values(
        StepCase{KernelStep::tunnel_socket,
                 {"socket 192.0.2.1:1701->192.0.2.2:1700", "tun add_route vt1 10.9.0.2"}},
        StepCase{KernelStep::create_tunnel,
                 {"socket 192.0.2.1:1701->192.0.2.2:1700", "create_tunnel 10 peer 1010 fd ok",
                  "tun add_route vt1 10.9.0.2"}},
        StepCase{KernelStep::open_channel,
                 {"socket 192.0.2.1:1701->192.0.2.2:1700", "create_tunnel 10 peer 1010 fd ok",
                  "open_channel 10/1 peer 1010/77 fd ok", "delete_tunnel 10",
                  "tun add_route vt1 10.9.0.2"}},
        StepCase{KernelStep::configure_link,
                 {"socket 192.0.2.1:1701->192.0.2.2:1700", "create_tunnel 10 peer 1010 fd ok",
                  "open_channel 10/1 peer 1010/77 fd ok",
                  "configure ppp0 10.9.0.1 peer 10.9.0.2 mtu 1400", "close_channel ppp0",
                  "delete_tunnel 10", "tun add_route vt1 10.9.0.2"}}),
    [](const ::testing::TestParamInfo<StepCase>& i) {
      std::string n(describe(i.param.step));
      for (auto& ch : n)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return n;
    });

TEST_F(KernelPortTest, AFailingSecondSessionKeepsTheTunnelOfTheFirst) {
  up({10, 1}, "10.9.0.2");
  ops->fail_at = KernelStep::open_channel;
  take();
  up({10, 2}, "10.9.0.3");
  EXPECT_THAT(take(),
              ElementsAre("open_channel 10/2 peer 1010/77 fd ok", "tun add_route vt1 10.9.0.3"));
  EXPECT_EQ(port->tunnel_count(), 1u);
  EXPECT_TRUE(port->in_kernel({10, 1}));
  EXPECT_FALSE(port->in_kernel({10, 2}));
}

TEST_F(KernelPortTest, RunningOutOfDescriptorsIsCountedApartFromOtherFailures) {
  up({10, 1}, "10.9.0.2");
  ops->fail_at = KernelStep::open_channel;
  ops->fail_code = EMFILE;
  up({10, 2}, "10.9.0.3");
  ops->fail_code = 0;
  up({10, 3}, "10.9.0.4");
  ops->fail_at = KernelStep::tunnel_socket;
  ops->fail_code = ENFILE;
  up({11, 1}, "10.9.0.5");
  EXPECT_EQ(port->fallbacks().at(KernelStep::descriptors), 2u);
  EXPECT_EQ(port->fallbacks().at(KernelStep::open_channel), 1u);
  EXPECT_EQ(port->fallbacks().count(KernelStep::tunnel_socket), 0u);
  EXPECT_EQ(port->summary(),
            "1 session and 1 tunnel in the kernel; kept in user space: open PPPoL2TP channel 1, "
            "descriptor limit 2");
}

TEST_F(KernelPortTest, UnknownSessionNoTemplateAddressAndLongSequencingStayInUserSpace) {
  port->session_ip_up({10, 1}, 1, ip("10.9.0.2"));  // not known to the "engine"
  template_address.reset();
  up({10, 2}, "10.9.0.3");
  template_address = ip("10.9.0.1");
  sequencing = true;
  data_sent = KernelPort::kMaxCatchUp + 1;
  up({10, 3}, "10.9.0.4");
  sequencing = false;
  unknown_tunnel = 10;
  up({10, 4}, "10.9.0.5");
  // No kernel operation was tried; each stays on the TUN.
  EXPECT_THAT(take(), ElementsAre("tun add_route vt1 10.9.0.3", "tun add_route vt1 10.9.0.4",
                                  "tun add_route vt1 10.9.0.5"));
  EXPECT_EQ(port->fallbacks().at(KernelStep::session_info), 3u);
  EXPECT_EQ(port->fallbacks().at(KernelStep::sequencing), 1u);
  EXPECT_EQ(port->session_count(), 0u);
}

Bytes recv_all(int fd, std::vector<Bytes>* frames = nullptr) {
  Bytes last;
  std::uint8_t buf[2048];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0) break;
    last.assign(buf, buf + n);
    if (frames) frames->push_back(last);
  }
  return last;
}

// With data sequencing the session goes in with the kernel sending Ns, after as many
// LCP Discard-Requests on the channel as the engine sent data messages (the kernel's Ns then
// continues the engine's); later frames from the calls layer go through the channel.
TEST_F(KernelPortTest, SequencedSessionCatchesUpTheEnginesNsThenSendsThroughTheChannel) {
  sequencing = true;
  data_sent = 5;
  up({10, 1}, "10.9.0.2");
  ASSERT_TRUE(port->in_kernel({10, 1}));
  ASSERT_EQ(ops->channel_params.size(), 1u);
  EXPECT_TRUE(ops->channel_params[0].send_seq);
  // Neither required nor LNS mode: a LAC that sends without Ns is not cut off.
  EXPECT_FALSE(ops->channel_params[0].recv_seq);
  EXPECT_FALSE(ops->channel_params[0].lns_mode);
  std::vector<Bytes> sent;
  recv_all(ops->channel_far.at("ppp0"), &sent);
  ASSERT_EQ(sent.size(), 5u);
  for (std::size_t i = 0; i < sent.size(); ++i)
    EXPECT_EQ(sent[i],
              (Bytes{0xc0, 0x21, 0x0b, static_cast<std::uint8_t>(i), 0x00, 0x08, 0, 0, 0, 0}));
  EXPECT_EQ(port->counters().catch_up_frames, 5u);
  // An LCP Echo-Reply from the calls layer (FF 03 on): out through the channel, without it.
  EXPECT_TRUE(port->send_ppp({10, 1}, Bytes{0xff, 0x03, 0xc0, 0x21, 0x0a, 0x01, 0x00, 0x04}));
  EXPECT_EQ(recv_all(ops->channel_far.at("ppp0")), (Bytes{0xc0, 0x21, 0x0a, 0x01, 0x00, 0x04}));
  EXPECT_EQ(port->counters().ppp_frames_down, 1u);
  EXPECT_FALSE(port->send_ppp({10, 2}, Bytes{0xc0, 0x21}));  // not in the kernel: the engine's
}

// A sequenced session leaving the kernel while its call goes on (an address renegotiation
// moves it to a new unit): the engine numbers its data from the kernel's next Ns (the
// kernel caught up from 0 to the engine's, so its count of numbered messages is that Ns,
// modulo 2^16), not from where it stopped before the move.
TEST_F(KernelPortTest, SequencedSessionLeavingTheKernelResumesTheEnginePastTheKernelsNs) {
  sequencing = true;
  data_sent = 5;
  ops->kernel_numbered = 5 + 70000;  // catch-up frames, then 70,000 of the call's
  up({10, 1}, "10.9.0.2");
  ASSERT_TRUE(port->in_kernel({10, 1}));
  EXPECT_TRUE(resumed.empty());
  port->session_ip_down({10, 1}, 1, ip("10.9.0.2"));
  ASSERT_EQ(resumed.size(), 1u);
  EXPECT_EQ(resumed[0].first, (SessionRef{10, 1}));
  EXPECT_EQ(resumed[0].second, static_cast<std::uint16_t>((5 + 70000) % 65536));

  // Unreadable: the engine keeps its own count; counted, not guessed.
  ops->kernel_numbered.reset();
  up({10, 2}, "10.9.0.3");
  port->session_ip_down({10, 2}, 1, ip("10.9.0.3"));
  EXPECT_EQ(resumed.size(), 1u);
  EXPECT_EQ(port->counters().stats_errors, 1u);

  // Without sequencing there is no Ns to hand back.
  sequencing = false;
  ops->kernel_numbered = 12;
  up({10, 3}, "10.9.0.4");
  port->session_ip_down({10, 3}, 1, ip("10.9.0.4"));
  EXPECT_EQ(resumed.size(), 1u);
}

TEST_F(KernelPortTest, UnsequencedSessionGetsNoCatchUpAndNoSequencing) {
  data_sent = 9;  // ignored without sequencing
  up({10, 1}, "10.9.0.2");
  ASSERT_EQ(ops->channel_params.size(), 1u);
  EXPECT_FALSE(ops->channel_params[0].send_seq);
  EXPECT_FALSE(ops->channel_params[0].recv_seq);
  EXPECT_TRUE(recv_all(ops->channel_far.at("ppp0")).empty());
  EXPECT_EQ(port->counters().catch_up_frames, 0u);
}

TEST_F(KernelPortTest, FramesOnTheChannelAndUnitFdsReachTheCallsLayer) {
  up({10, 1}, "10.9.0.2");
  up({10, 2}, "10.9.0.3");
  const Bytes lcp_echo = {0xc0, 0x21, 0x09, 0x01, 0x00, 0x08, 0x11, 0x22, 0x33, 0x44};
  const Bytes ipcp = {0x80, 0x21, 0x01, 0x02, 0x00, 0x04};
  ASSERT_EQ(::send(ops->channel_far.at("ppp1"), lcp_echo.data(), lcp_echo.size(), 0),
            static_cast<ssize_t>(lcp_echo.size()));
  ASSERT_EQ(::send(ops->unit_far.at("ppp0"), ipcp.data(), ipcp.size(), 0),
            static_cast<ssize_t>(ipcp.size()));
  io.poll();
  ASSERT_EQ(frames.size(), 2u);
  std::map<SessionRef, Bytes> got(frames.begin(), frames.end());
  EXPECT_EQ(got.at(SessionRef{10, 2}), lcp_echo);
  EXPECT_EQ(got.at(SessionRef{10, 1}), ipcp);
  EXPECT_EQ(port->counters().ppp_frames_up, 2u);
  EXPECT_TRUE(datagrams.empty());
}

TEST_F(KernelPortTest, DatagramsOnTheConnectedSocketReachTheEngine) {
  up({10, 1}, "10.9.0.2");
  const int far = ops->tunnel_far.at(ops->tunnel_fds.at(0));
  const Bytes hello = {0xc8, 0x02, 0x00, 0x14, 0x03, 0xf2, 0x00, 0x00, 0x00, 0x01,
                       0x00, 0x02, 0x80, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06};
  for (int i = 0; i < 40; ++i)
    ASSERT_EQ(::send(far, hello.data(), hello.size(), 0), static_cast<ssize_t>(hello.size()));
  // An empty datagram is skipped, not taken as the end of the socket.
  ASSERT_EQ(::send(far, hello.data(), 0, 0), 0);
  ASSERT_EQ(::send(far, hello.data(), hello.size(), 0), static_cast<ssize_t>(hello.size()));
  io.poll();
  ASSERT_EQ(datagrams.size(), 41u);
  EXPECT_EQ(datagrams[0].first, (netlink::Endpoint{ip("192.0.2.2"), 1700}));
  EXPECT_EQ(datagrams[40].second, hello);
  EXPECT_EQ(port->counters().datagrams_up, 41u);
}

TEST_F(KernelPortTest, ACallTornDownFromItsOwnFrameStopsReadingSafely) {
  up({10, 1}, "10.9.0.2");
  up({10, 2}, "10.9.0.3");
  // LCP Terminate-Request read from the channel: LnsCalls ends the call inside the callback.
  frame_hook = [this](SessionRef c, ByteView) {
    port->session_ip_down(c, 1, c.session == 1 ? ip("10.9.0.2") : ip("10.9.0.3"));
  };
  const Bytes term = {0xc0, 0x21, 0x05, 0x01, 0x00, 0x04};
  for (int i = 0; i < 3; ++i) ::send(ops->channel_far.at("ppp0"), term.data(), term.size(), 0);
  ::send(ops->channel_far.at("ppp1"), term.data(), term.size(), 0);
  io.poll();
  EXPECT_EQ(frames.size(), 2u);  // one per call: reading stops with the call
  EXPECT_EQ(port->session_count(), 0u);
  EXPECT_EQ(port->tunnel_count(), 0u);
}

// Closing a registered unit's /dev/ppp fd makes the kernel unregister pppN on its own, which
// waits for an RCU grace period or two each: thousands of sessions ending took minutes.
// Sessions ending together (a StopCCN, a read's worth of CDNs) lose their kernel sessions
// at once and their pppN in one delete.
TEST_F(KernelPortTest, SessionsEndingTogetherDeleteTheirPppnInOneBatch) {
  const int n = 40;
  up_then_down(n);
  Log l = take();
  ASSERT_EQ(l.size(), static_cast<std::size_t>(n + 1));  // every release, the tunnel
  EXPECT_EQ(l.front(), "release ppp0");
  EXPECT_EQ(l.back(), "delete_tunnel 10");
  EXPECT_EQ(ops->batches, 0);
  io.poll();
  l = take();
  ASSERT_EQ(l.size(), static_cast<std::size_t>(n + 1));
  EXPECT_EQ(ops->batches, 1);
  EXPECT_THAT(l[0], HasSubstr("delete_links 100 101 102"));
  EXPECT_THAT(l[0], HasSubstr(" 139"));
  EXPECT_EQ(l[1], "close_channel ppp0");  // after the delete: no unregister left to wait for
  EXPECT_EQ(port->counters().link_deletes, 1u);
  EXPECT_EQ(port->session_count(), 0u);
}

TEST_F(KernelPortTest, ABatchGoesAtItsBoundWithoutWaitingForTheLoop) {
  const std::size_t n = KernelPort::kMaxDeleteBatch + 3;
  for (std::size_t i = 1; i <= n; ++i) {
    up({10, static_cast<std::uint16_t>(i)},
       Ipv4{ip("10.10.0.0").value + static_cast<std::uint32_t>(i)}.to_string().c_str());
    io.poll();  // the fake's acks: its socketpair holds a few hundred
  }
  take();
  for (std::size_t i = 1; i <= n; ++i)
    port->session_ip_down({10, static_cast<std::uint16_t>(i)}, 1,
                          Ipv4{ip("10.10.0.0").value + static_cast<std::uint32_t>(i)});
  EXPECT_EQ(ops->batches, 1);  // the first kMaxDeleteBatch
  io.poll();
  EXPECT_EQ(ops->batches, 2);  // the other 3
  EXPECT_EQ(port->counters().link_deletes, 2u);
}

// The kernel waits for RCU grace periods in the PPPoL2TP socket's close (session delete,
// channel unregistration): on closer threads those waits overlap, and the protocol thread does not
// wait.
TEST_F(KernelPortTest, ReleasedChannelsAreClosedOnCloserThreadsAfterTheirBatchDelete) {
  port->set_close_threads(4);
  ops->tally.active = true;
  const int n = 20;
  up_then_down(n);
  EXPECT_EQ(ops->tally.released.load(), 0);  // nothing released on the protocol thread
  io.poll();
  port->stop();  // joins the closers after their queue
  EXPECT_EQ(ops->batches, 1);
  EXPECT_EQ(ops->tally.released.load(), n);
  EXPECT_EQ(ops->tally.destroyed.load(), n);
  EXPECT_EQ(ops->tally.off_thread.load(), n);
  EXPECT_EQ(ops->destroyed_before_delete, 0);  // the units closed after their pppN's delete
  EXPECT_EQ(port->counters().link_deletes, 1u);
}

// Batches that queue while a delete is in the kernel go together in the next one: each
// delete costs grace periods and an RCU barrier of its own.
TEST_F(KernelPortTest, BatchesQueuedBehindADeleteGoTogether) {
  port->set_close_threads(1);
  ops->tally.active = true;
  ops->deletes_held = true;
  auto address = [](int i) { return ip(("10.9.1." + std::to_string(i)).c_str()); };
  for (int i = 1; i <= 3; ++i)
    up({10, static_cast<std::uint16_t>(i)}, ("10.9.1." + std::to_string(i)).c_str());
  io.poll();
  port->session_ip_down({10, 1}, 1, address(1));
  io.poll();  // the first batch: its delete waits in the kernel
  {
    std::unique_lock<std::mutex> l(ops->open_m);
    ASSERT_TRUE(
        ops->open_cv.wait_for(l, std::chrono::seconds(10), [&] { return ops->batches == 1; }));
  }
  port->session_ip_down({10, 2}, 1, address(2));
  io.poll();
  port->session_ip_down({10, 3}, 1, address(3));
  io.poll();
  {
    std::lock_guard<std::mutex> l(ops->open_m);
    ops->deletes_held = false;
  }
  ops->open_cv.notify_all();
  port->stop();
  std::lock_guard<std::mutex> l(ops->open_m);
  EXPECT_THAT(ops->batch_sizes, ElementsAre(1u, 2u));
  EXPECT_EQ(ops->tally.destroyed.load(), 3);
}

// The batch delete keeps the kernel's rtnl lock through RCU grace periods: on the protocol
// thread every session ending meanwhile waited for it. It runs on a closer thread, and is
// counted on the protocol thread once done.
TEST_F(KernelPortTest, BatchDeletesRunOnACloserThread) {
  port->set_close_threads(2);
  ops->tally.active = true;
  up_then_down(30);
  io.poll();  // the batch goes
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (port->counters().link_deletes == 0 && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(port->counters().link_deletes, 1u);
  port->stop();
  std::lock_guard<std::mutex> l(ops->open_m);
  EXPECT_EQ(ops->batches, 1);
  EXPECT_EQ(ops->deletes_off_thread, 1);
  EXPECT_EQ(ops->destroyed_before_delete, 0);
  EXPECT_EQ(ops->tally.destroyed.load(), 30);
}

// Opener threads: the channel opens (the kernel's waits for grace periods) off the
// protocol thread; the call stays in user space, its route held back, until the open is
// posted back, and then goes in on the protocol thread.
struct KernelPortOpenerTest : KernelPortTest {
  void SetUp() override {
    KernelPortTest::SetUp();
    port->set_open_threads(3);
    ops->threaded = true;
    ops->tally.active = true;
  }
  bool run_until(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io.restart();
      io.run_for(std::chrono::milliseconds(2));
    }
    return done();
  }
  bool opens_done() {
    return run_until([&] { return port->opening_count() == 0; });
  }
};

TEST_F(KernelPortOpenerTest, TheChannelOpensOffTheProtocolThreadAndTheMoveCompletesOnIt) {
  ops->opens_held = true;
  up({10, 1}, "10.9.0.2");
  up({10, 2}, "10.9.0.3");
  ASSERT_TRUE(ops->wait_opens_started(2));
  // Both wait in the kernel at once; nothing of theirs is on the protocol thread yet.
  EXPECT_EQ(port->opening_count(), 2u);
  EXPECT_FALSE(port->in_kernel({10, 1}));
  EXPECT_FALSE(port->send_ppp({10, 1}, Bytes{0xc0, 0x21, 9}));  // the engine sends meanwhile
  EXPECT_THAT(take(), ElementsAre("socket 192.0.2.1:1701->192.0.2.2:1700",
                                  "create_tunnel 10 peer 1010 fd ok"));
  ops->release_opens();
  ASSERT_TRUE(opens_done());
  EXPECT_EQ(ops->opens_on_protocol_thread, 0);
  EXPECT_TRUE(port->in_kernel({10, 1}));
  EXPECT_TRUE(port->in_kernel({10, 2}));
  // pppN takes the held routes: the TUN never gets one. pppN was configured on the opener
  // threads too (the kernel's rtnl lock waited for there): nothing on the protocol thread.
  EXPECT_TRUE(take().empty());
  {
    std::lock_guard<std::mutex> l(ops->open_m);
    EXPECT_EQ(ops->configures_on_protocol_thread, 0);
    ASSERT_EQ(ops->configured_now.size(), 2u);  // the units' numbers: whichever open ended first
    const std::string both = ops->configured_now[0] + ops->configured_now[1];
    EXPECT_THAT(both, HasSubstr("10.9.0.1 peer 10.9.0.2 mtu 1400"));
    EXPECT_THAT(both, HasSubstr("10.9.0.1 peer 10.9.0.3 mtu 1400"));
  }
  EXPECT_EQ(port->counters().link_requests, 2u);
  EXPECT_EQ(port->counters().link_acks, 4u);
  EXPECT_EQ(port->counters().sessions_moved, 2u);
  EXPECT_TRUE(port->fallbacks().empty());
  // Frames from the kernel reach the calls layer once the move is done.
  const Bytes lcp = {0xc0, 0x21, 0x09, 0x01, 0x00, 0x08, 1, 2, 3, 4};
  ASSERT_EQ(::send(ops->channel_far.at(port->ifname({10, 1})), lcp.data(), lcp.size(), 0),
            static_cast<ssize_t>(lcp.size()));
  ASSERT_TRUE(run_until([&] { return frames.size() == 1; }));
  EXPECT_EQ(frames[0].first, (SessionRef{10, 1}));
}

// The call ends while its channel opens: the move is cancelled, the channel closed when it
// arrives (off the protocol thread), and the tunnel, held by the open, goes after it.
TEST_F(KernelPortOpenerTest, ACallEndingWhileItsChannelOpensLeavesNothingBehind) {
  port->set_close_threads(2);
  ops->opens_held = true;
  up({10, 1}, "10.9.0.2");
  ASSERT_TRUE(ops->wait_opens_started(1));
  take();
  down({10, 1}, "10.9.0.2");
  // The route was never added: nothing to remove; the tunnel waits for the open.
  EXPECT_TRUE(take().empty());
  EXPECT_EQ(port->tunnel_count(), 1u);
  const int tunnel_far = ops->tunnel_far.at(ops->tunnel_fds.at(0));
  ops->release_opens();
  ASSERT_TRUE(opens_done());
  EXPECT_FALSE(port->in_kernel({10, 1}));
  EXPECT_EQ(port->session_count(), 0u);
  EXPECT_EQ(port->tunnel_count(), 0u);
  EXPECT_THAT(take(), ElementsAre("delete_tunnel 10"));  // no TUN route
  EXPECT_EQ(port->counters().sessions_moved, 0u);
  EXPECT_TRUE(port->fallbacks().empty());
  const std::uint8_t b = 1;
  errno = 0;
  EXPECT_EQ(::send(tunnel_far, &b, 1, MSG_DONTWAIT), -1);  // the tunnel's socket is closed
  EXPECT_EQ(errno, ECONNREFUSED);
  port->stop();                               // joins the closers
  EXPECT_EQ(ops->tally.destroyed.load(), 1);  // the channel (and its unit) closed
  EXPECT_EQ(ops->tally.off_thread.load(), 1);
}

// LnsCalls on an address renegotiated while the channel opens: down(old), route(new),
// up(new). The open goes on for the new address.
TEST_F(KernelPortOpenerTest, AnAddressRenegotiatedWhileTheChannelOpensGoesInWithTheNewOne) {
  ops->opens_held = true;
  up({10, 1}, "10.9.0.2");
  ASSERT_TRUE(ops->wait_opens_started(1));
  take();
  port->session_ip_down({10, 1}, 1, ip("10.9.0.2"));
  port->remove_host_route(1, ip("10.9.0.2"));
  port->add_host_route(1, ip("10.9.0.7"));
  port->session_ip_up({10, 1}, 1, ip("10.9.0.7"));
  ops->release_opens();
  ASSERT_TRUE(opens_done());
  EXPECT_TRUE(port->in_kernel({10, 1}));
  EXPECT_TRUE(take().empty());  // no TUN route: pppN has it
  // The opener had configured the first unit for the old address: deleted (and its kernel
  // session gone) before the second open, configured for the new one.
  std::lock_guard<std::mutex> l(ops->open_m);
  EXPECT_EQ(ops->opens_started, 2);
  EXPECT_THAT(ops->configured_now, ElementsAre("ppp0 10.9.0.1 peer 10.9.0.2 mtu 1400",
                                               "ppp1 10.9.0.1 peer 10.9.0.7 mtu 1400"));
  EXPECT_EQ(ops->batches, 1);
  EXPECT_EQ(port->ifname({10, 1}), "ppp1");
}

// The kernel refuses pppN's set-up on the opener thread: the call stays in user space with
// the TUN's route, its channel (and pppN with its unit) closed.
TEST_F(KernelPortOpenerTest, ALinkSetupRefusedOnTheOpenerLeavesTheCallInUserSpace) {
  ops->link_error = -EINVAL;
  up({10, 1}, "10.9.0.2");
  ASSERT_TRUE(opens_done());
  EXPECT_FALSE(port->in_kernel({10, 1}));
  EXPECT_EQ(port->fallbacks().at(KernelStep::configure_link), 1u);
  Log l = take();
  ASSERT_FALSE(l.empty());
  EXPECT_EQ(l.back(), "tun add_route vt1 10.9.0.2");
  EXPECT_EQ(port->tunnel_count(), 0u);
  port->stop();
  EXPECT_EQ(ops->tally.destroyed.load(), 1);
}

TEST_F(KernelPortOpenerTest, AFailedOpenLeavesTheCallInUserSpaceWithTheTunRoute) {
  ops->fail_at = KernelStep::open_channel;
  up({10, 1}, "10.9.0.2");
  ASSERT_TRUE(opens_done());
  EXPECT_THAT(take(), ElementsAre("socket 192.0.2.1:1701->192.0.2.2:1700",
                                  "create_tunnel 10 peer 1010 fd ok", "delete_tunnel 10",
                                  "tun add_route vt1 10.9.0.2"));
  EXPECT_FALSE(port->in_kernel({10, 1}));
  EXPECT_EQ(port->fallbacks().at(KernelStep::open_channel), 1u);
  EXPECT_EQ(port->tunnel_count(), 0u);
}

// With data sequencing the engine goes on numbering while the channel opens: the kernel
// catches up on every message it sent, counted when the move completes.
TEST_F(KernelPortOpenerTest, CatchUpCountsTheDataTheEngineSentWhileTheChannelOpened) {
  sequencing = true;
  data_sent = 3;
  ops->opens_held = true;
  up({10, 1}, "10.9.0.2");
  ASSERT_TRUE(ops->wait_opens_started(1));
  data_sent = 5;
  ops->release_opens();
  ASSERT_TRUE(opens_done());
  ASSERT_TRUE(port->in_kernel({10, 1}));
  EXPECT_EQ(port->counters().catch_up_frames, 5u);
  // pppN comes up only after the catch-up: configured here, not on the opener.
  EXPECT_THAT(take(), ::testing::Contains("configure ppp0 10.9.0.1 peer 10.9.0.2 mtu 1400"));
  std::lock_guard<std::mutex> l(ops->open_m);
  EXPECT_TRUE(ops->configured_now.empty());
}

// The call the engine no longer knows by the time its channel is there stays out.
TEST_F(KernelPortOpenerTest, ACallTheEngineForgotWhileTheChannelOpenedStaysOut) {
  ops->opens_held = true;
  up({10, 1}, "10.9.0.2");
  ASSERT_TRUE(ops->wait_opens_started(1));
  known.erase({10, 1});
  ops->release_opens();
  ASSERT_TRUE(opens_done());
  EXPECT_FALSE(port->in_kernel({10, 1}));
  EXPECT_EQ(port->fallbacks().at(KernelStep::session_info), 1u);
  EXPECT_EQ(port->tunnel_count(), 0u);
  port->stop();
  EXPECT_EQ(ops->tally.destroyed.load(), 1);
}

// Stop with opens under way and queued: it waits for those under way and closes their
// channels; the queued ones never open. Nothing stays: channels, tunnels.
TEST_F(KernelPortOpenerTest, StopWaitsForTheOpensUnderWayAndClosesTheirChannels) {
  ops->opens_held = true;
  for (int i = 1; i <= 8; ++i)
    up({10, static_cast<std::uint16_t>(i)}, ("10.9.0." + std::to_string(i + 1)).c_str());
  ASSERT_TRUE(ops->wait_opens_started(3));  // one per thread; five queued
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ops->release_opens();
  });
  port->stop();
  releaser.join();
  EXPECT_EQ(port->opening_count(), 0u);
  EXPECT_EQ(port->session_count(), 0u);
  EXPECT_EQ(port->tunnel_count(), 0u);
  std::lock_guard<std::mutex> l(ops->open_m);
  EXPECT_GE(ops->opens_started, 3);
  EXPECT_EQ(ops->tally.destroyed.load(), static_cast<int>(ops->channel_params.size()));
  EXPECT_EQ(port->counters().tunnels_deleted, 1u);
}

TEST_F(KernelPortTest, StopTearsEverythingDownInReverseOrder) {
  up({10, 1}, "10.9.0.2");
  up({11, 1}, "10.9.0.3");
  up({10, 2}, "10.9.0.4");
  take();
  port->stop();
  EXPECT_THAT(take(),
              ElementsAre("release ppp2", "release ppp1", "delete_tunnel 11", "release ppp0",
                          "delete_tunnel 10", "delete_links 102 101 100", "close_channel ppp2",
                          "close_channel ppp1", "close_channel ppp0"));
  EXPECT_EQ(port->session_count(), 0u);
  EXPECT_EQ(port->tunnel_count(), 0u);
  port->stop();  // idempotent
  EXPECT_TRUE(take().empty());
  // After stop nothing goes into the kernel any more: the TUN carries the session.
  up({12, 1}, "10.9.0.5");
  EXPECT_THAT(take(), ElementsAre("tun add_route vt1 10.9.0.5"));
  io.poll();  // cancelled waits complete without touching anything
}

TEST_F(KernelPortTest, FailingTeardownStepsStillCloseEverythingAndAreCounted) {
  up({10, 1}, "10.9.0.2");
  const int far = ops->tunnel_far.at(ops->tunnel_fds.at(0));
  ops->fail_teardown = true;
  take();
  ops->fail_delete = true;
  port->session_ip_down({10, 1}, 1, ip("10.9.0.2"));
  io.poll();
  // pppN still goes: with its unit, one by one.
  EXPECT_THAT(take(), ElementsAre("release ppp0", "delete_tunnel 10", "delete_links 100",
                                  "close_channel ppp0"));
  EXPECT_EQ(port->tunnel_count(), 0u);
  const std::uint8_t b = 1;
  errno = 0;
  EXPECT_EQ(::send(far, &b, 1, MSG_DONTWAIT), -1);  // the socket is closed all the same
  EXPECT_EQ(errno, ECONNREFUSED);
  EXPECT_EQ(port->counters().teardown_errors, 2u);
  EXPECT_EQ(port->summary(), "0 sessions and 0 tunnels in the kernel; teardown errors 2");
}

// LnsCalls on an IPCP renegotiation that changes the address: session_ip_down(old) then
// session_ip_up(new) on the same call; a repeated up for a call in the kernel changes nothing.
TEST_F(KernelPortTest, ARenegotiatedAddressMovesTheSessionToANewUnit) {
  up({10, 1}, "10.9.0.2");
  up({10, 2}, "10.9.0.3");
  port->session_ip_up({10, 1}, 1, ip("10.9.0.2"));
  take();
  // LnsCalls' order (vpdn/calls/lns.cpp renegotiated).
  port->session_ip_down({10, 1}, 1, ip("10.9.0.2"));
  port->remove_host_route(1, ip("10.9.0.2"));
  port->add_host_route(1, ip("10.9.0.7"));
  port->session_ip_up({10, 1}, 1, ip("10.9.0.7"));
  EXPECT_THAT(take(), ElementsAre("release ppp0", "tun remove_route vt1 10.9.0.2",
                                  "open_channel 10/1 peer 1010/77 fd ok",
                                  "configure ppp2 10.9.0.1 peer 10.9.0.7 mtu 1400"));
  EXPECT_EQ(port->ifname({10, 1}), "ppp2");
  EXPECT_EQ(port->tunnel_count(), 1u);
  EXPECT_EQ(port->counters().tunnels_created, 1u);
}

netlink::LinkStats link(int ifindex, std::uint64_t rx_packets, std::uint64_t rx_bytes,
                        std::uint64_t tx_packets, std::uint64_t tx_bytes) {
  netlink::LinkStats l;
  l.ifindex = ifindex;
  l.rx_packets = rx_packets, l.rx_bytes = rx_bytes;
  l.tx_packets = tx_packets, l.tx_bytes = tx_bytes;
  return l;
}

TEST(KernelCounters, PppnCountersGetTheirPppHeadersBack) {
  aaa::Counters c = kernel_counters(link(3, 2, 168, 5, 1000));
  EXPECT_EQ(c.input_packets, 2u);
  EXPECT_EQ(c.input_octets, 168u + 2 * 4);  // FF 03 00 21 on each
  EXPECT_EQ(c.output_packets, 5u);
  EXPECT_EQ(c.output_octets, 1000u + 5 * 4);
}

// Displays and interim accounting ask per session; one dump, read on the io_context (the
// answer meanwhile is the previous reading), serves them all until it is stats_max_age old.
TEST_F(KernelPortTest, SessionCountersComeFromOneDumpForAllSessions) {
  up({10, 1}, "10.9.0.2");  // ppp0, ifindex 100
  up({10, 2}, "10.9.0.3");  // ppp1, ifindex 101
  port->set_stats_max_age(std::chrono::hours(1));
  ops->links[100] = link(100, 3, 252, 4, 336);
  ops->links[101] = link(101, 1, 1000, 0, 0);
  ops->links[102] = link(102, 1, 1, 1, 1);                   // a third datagram's worth
  EXPECT_EQ(port->data_counters({10, 1}).input_octets, 0u);  // nothing read yet
  EXPECT_EQ(port->data_counters({10, 2}).input_octets, 0u);
  io.poll();
  EXPECT_EQ(port->data_counters({10, 1}).input_octets, 252u + 12);
  EXPECT_EQ(port->data_counters({10, 1}).output_packets, 4u);
  EXPECT_EQ(port->data_counters({10, 2}).input_octets, 1004u);
  EXPECT_EQ(ops->dumps, 1);
  EXPECT_EQ(ops->single_reads, 0);
  ops->links[100] = link(100, 30, 2520, 40, 3360);
  EXPECT_EQ(port->data_counters({10, 1}).input_packets, 3u);  // still the first reading
  io.poll();
  EXPECT_EQ(ops->dumps, 1);
  port->set_stats_max_age(std::chrono::seconds(0));
  EXPECT_EQ(port->data_counters({10, 1}).input_packets, 3u);  // a new dump is under way
  EXPECT_EQ(port->data_counters({10, 2}).input_packets, 1u);  // and is not started again
  EXPECT_EQ(ops->dumps, 2);
  io.poll();
  EXPECT_EQ(port->data_counters({10, 1}).input_packets, 30u);
  EXPECT_EQ(ops->dumps, 3);  // max age 0: each ask that finds none under way starts one
  // A call not in the kernel costs nothing and counts nothing.
  aaa::Counters none = port->data_counters({10, 9});
  EXPECT_EQ(none.input_packets + none.input_octets + none.output_octets, 0u);
  EXPECT_EQ(ops->dumps, 3);
  EXPECT_EQ(port->counters().stats_reads, 3u);
  EXPECT_EQ(port->counters().stats_errors, 0u);
}

// The accounting Stop needs the counts up to the end: session_ip_down reads that one pppN
// before the unit goes, whatever the last dump said.
TEST_F(KernelPortTest, SessionDownReturnsTheLastReadingOfItsPppn) {
  up({10, 1}, "10.9.0.2");
  port->set_stats_max_age(std::chrono::hours(1));
  ops->links[100] = link(100, 3, 252, 3, 252);
  port->data_counters({10, 1});
  io.poll();
  EXPECT_EQ(port->data_counters({10, 1}).input_packets, 3u);
  ops->links[100] = link(100, 10, 5000, 9, 4000);
  aaa::Counters last = port->session_ip_down({10, 1}, 1, ip("10.9.0.2"));
  EXPECT_EQ(last.input_packets, 10u);
  EXPECT_EQ(last.input_octets, 5040u);
  EXPECT_EQ(last.output_packets, 9u);
  EXPECT_EQ(last.output_octets, 4036u);
  EXPECT_EQ(ops->single_reads, 1);
  EXPECT_EQ(port->data_counters({10, 1}).input_packets, 0u);  // gone with the session
}

TEST_F(KernelPortTest, FailedCounterReadsKeepTheLastReadingAndAreCounted) {
  up({10, 1}, "10.9.0.2");
  port->set_stats_max_age(std::chrono::seconds(0));
  port->set_dump_timeout(std::chrono::seconds(0));
  ops->links[100] = link(100, 3, 252, 3, 252);
  port->data_counters({10, 1});
  io.poll();
  ops->hold_done = true;  // the next dump never ends
  ops->links[100] = link(100, 5, 500, 5, 500);
  EXPECT_EQ(port->data_counters({10, 1}).input_packets, 3u);
  io.poll();
  EXPECT_EQ(port->counters().stats_errors, 0u);
  ops->hold_done = false;
  ops->fail_stats = true;
  // The unfinished dump is given up (1) and the new one cannot start (2).
  EXPECT_EQ(port->data_counters({10, 1}).input_packets, 3u);
  EXPECT_EQ(port->counters().stats_errors, 2u);
  io.poll();
  EXPECT_EQ(port->data_counters({10, 1}).input_packets, 3u);                       // (3)
  EXPECT_EQ(port->session_ip_down({10, 1}, 1, ip("10.9.0.2")).input_packets, 3u);  // (4)
  EXPECT_EQ(port->counters().stats_errors, 4u);
  EXPECT_THAT(port->summary(), HasSubstr("counter read errors 4"));
}

TEST_F(KernelPortTest, EverythingElsePassesToTheTunPort) {
  // A host route is held back until session_ip_up; one taken back before never reaches
  // the TUN, and one for an address no session brings up is the TUN's as before.
  EXPECT_TRUE(port->add_host_route(3, ip("10.1.0.2")));
  port->remove_host_route(3, ip("10.1.0.2"));
  EXPECT_TRUE(take().empty());
  port->remove_host_route(3, ip("10.1.0.3"));
  const Bytes pkt(20, 0x45);
  port->write_ip(3, pkt);
  EXPECT_TRUE(port->set_peer_address(4, ip("10.2.0.2"), ip("10.2.0.1")));
  port->clear_peer_address(4);
  EXPECT_THAT(take(), ElementsAre("tun remove_route vt3 10.1.0.3", "tun write vt3 20",
                                  "tun peer vt4 10.2.0.2 10.2.0.1", "tun clear_peer vt4"));
}

// ---- start-up choice -----------------------------------------------------------------------

TEST(DescriptorLimitTest, RaisesTheSoftLimitToTheHardLimit) {
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  if (saved.rlim_max == RLIM_INFINITY || saved.rlim_max <= 64)
    GTEST_SKIP() << "hard RLIMIT_NOFILE " << saved.rlim_max;
  rlimit low = saved;
  low.rlim_cur = 64;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  const DescriptorLimit l = raise_descriptor_limit();
  rlimit now{};
  ::getrlimit(RLIMIT_NOFILE, &now);
  // At the hard limit already: nothing to do, nothing lowered.
  const DescriptorLimit again = raise_descriptor_limit();
  ::setrlimit(RLIMIT_NOFILE, &saved);
  EXPECT_EQ(l.error, "");
  EXPECT_EQ(l.before, 64u);
  EXPECT_EQ(l.soft, saved.rlim_max);
  EXPECT_EQ(now.rlim_cur, saved.rlim_max);
  EXPECT_EQ(describe(l),
            "descriptor limit 64 raised to " + std::to_string(saved.rlim_max) + " (hard limit)");
  EXPECT_EQ(again.before, again.soft);
  EXPECT_EQ(describe(again),
            "descriptor limit " + std::to_string(saved.rlim_max) + " (hard limit)");
}

TEST(DataPlaneChoiceTest, ParsesTheFlagValues) {
  EXPECT_EQ(parse_data_plane("auto"), DataPlaneChoice::automatic);
  EXPECT_EQ(parse_data_plane("user-space"), DataPlaneChoice::user_space);
  EXPECT_EQ(parse_data_plane("kernel"), DataPlaneChoice::kernel);
  EXPECT_EQ(parse_data_plane("Kernel"), std::nullopt);
  EXPECT_EQ(parse_data_plane(""), std::nullopt);
  EXPECT_EQ(to_string(DataPlaneChoice::user_space), "user-space");
}

TEST(DataPlaneChoiceTest, DecidesFromDetection) {
  auto a = decide_data_plane(DataPlaneChoice::automatic, true, {});
  EXPECT_EQ(a.backend, netlink::Backend::kernel);
  EXPECT_THAT(a.description, HasSubstr("kernel (l2tp_ppp)"));
  auto b = decide_data_plane(DataPlaneChoice::automatic, false, "no l2tp here");
  EXPECT_EQ(b.backend, netlink::Backend::user_space);
  EXPECT_EQ(b.description, "user-space (TUN); kernel L2TP unavailable: no l2tp here");
  EXPECT_FALSE(b.requested_kernel_unavailable);
  auto c = decide_data_plane(DataPlaneChoice::kernel, false, "no l2tp here");
  EXPECT_EQ(c.backend, netlink::Backend::user_space);
  EXPECT_TRUE(c.requested_kernel_unavailable);
  EXPECT_EQ(c.reason, "no l2tp here");
  EXPECT_THAT(c.description, HasSubstr("no l2tp here"));
  auto d = decide_data_plane(DataPlaneChoice::user_space, true, {});
  EXPECT_EQ(d.backend, netlink::Backend::user_space);
  EXPECT_EQ(decide_data_plane(DataPlaneChoice::kernel, true, {}).backend, netlink::Backend::kernel);
}

TEST(DataPlaneChoiceTest, DetectionOnThisKernelMatchesNetlinkDetection) {
  std::string reason;
  const bool available =
      netlink::kernel_l2tp_available(&reason) && netlink::pppol2tp_available(&reason);
  auto d = detect_data_plane(DataPlaneChoice::automatic);
  EXPECT_EQ(d.backend, available ? netlink::Backend::kernel : netlink::Backend::user_space);
  if (!available) {
    EXPECT_THAT(d.description, HasSubstr(reason));
  }
  EXPECT_EQ(detect_data_plane(DataPlaneChoice::user_space).backend, netlink::Backend::user_space);
}

// ---- the real tunnel socket beside the L2TP engine's socket (loopback) ---------------------

int udp_socket(netlink::Endpoint bind_to, bool reuse_before_bind) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const int on = 1;
  if (reuse_before_bind) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(bind_to.address.value);
  a.sin_port = htons(bind_to.port);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}
std::uint16_t local_port(int fd) {
  sockaddr_in a{};
  socklen_t n = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
  return ntohs(a.sin_port);
}
void send_to(int fd, netlink::Endpoint to, const std::string& text) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(to.address.value);
  a.sin_port = htons(to.port);
  ::sendto(fd, text.data(), text.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
}

struct RecordingHandler final : vpdn::SessionHandler {
  bool on_incoming_session(const vpdn::IncomingSession&) override { return false; }
  void on_session_down(vpdn::SessionRef, const vpdn::SessionEnd&) override {}
  void on_data(vpdn::SessionRef, ByteView) override {}
};
struct FixedRandom final : vpdn::RandomSource {
  void fill(std::span<std::uint8_t> out) override {
    for (auto& b : out) b = 7;
  }
};

TEST(TunnelSocketTest, ConnectedSocketSharesTheEnginePortAndTakesThePeersDatagrams) {
  boost::asio::io_context io;
  AsioTimerService timers(io);
  config::RunningConfig cfg;
  cfg.l2tp.enabled = true;
  FixedRandom random;
  vpdn::EngineOptions o;
  o.bind_address = ip("127.0.0.1");
  o.port_override = 0;  // ephemeral
  vpdn::L2tpEngine engine(cfg, timers, random, o);
  RecordingHandler h;
  engine.set_handler(&h);
  auto opened = engine.open_udp(io);
  ASSERT_TRUE(opened.has_value()) << opened.error();
  const netlink::Endpoint local{ip("127.0.0.1"), engine.local_endpoint().port};
  ASSERT_NE(local.port, 0);

  // A second daemon (no SO_REUSEADDR) still cannot take the engine's port.
  EXPECT_EQ(udp_socket(local, false), -1);

  int peer = udp_socket({ip("127.0.0.1"), 0}, false);
  int other = udp_socket({ip("127.0.0.1"), 0}, false);
  ASSERT_GE(peer, 0);
  ASSERT_GE(other, 0);
  const netlink::Endpoint peer_ep{ip("127.0.0.1"), local_port(peer)};
  auto ops = make_netlink_kernel_ops();
  auto fd = ops->open_tunnel_socket(local, peer_ep);
  ASSERT_TRUE(fd.has_value()) << fd.error().message;
  EXPECT_NE(::fcntl(*fd, F_GETFL) & O_NONBLOCK, 0);

  // The peer's datagrams now arrive on the connected socket, everyone else's on the engine's.
  send_to(peer, local, "from-peer");
  send_to(other, local, "not-a-valid-l2tp-message");
  char buf[64];
  ssize_t n = -1;
  for (int i = 0; i < 200 && n < 0; ++i) {
    n = ::recv(*fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0) ::usleep(1000);
  }
  ASSERT_EQ(n, 9);
  EXPECT_EQ(std::string(buf, 9), "from-peer");
  for (int i = 0; i < 20; ++i) io.poll();
  EXPECT_EQ(::recv(*fd, buf, sizeof buf, MSG_DONTWAIT), -1);  // nothing else came here
  // The engine's socket got the other datagram (and dropped it as malformed).
  std::uint64_t dropped = 0;
  for (int i = 0; i < 200 && dropped == 0; ++i) {
    io.poll();
    for (const auto& [r, c] : engine.statistics().drops) dropped += c;
    if (dropped == 0) ::usleep(1000);
  }
  EXPECT_GT(dropped, 0u);
  ::close(*fd);
  ::close(peer);
  ::close(other);
}

TEST(TunnelSocketTest, FailsWithTheStepWhenThePortIsHeldWithoutReuse) {
  int held = udp_socket({ip("127.0.0.1"), 0}, false);  // like a socket without SO_REUSEADDR
  ASSERT_GE(held, 0);
  auto ops = make_netlink_kernel_ops();
  auto fd = ops->open_tunnel_socket({ip("127.0.0.1"), local_port(held)}, {ip("127.0.0.1"), 9});
  ASSERT_FALSE(fd.has_value());
  EXPECT_EQ(fd.error().code, EADDRINUSE);
  EXPECT_THAT(fd.error().message, HasSubstr("tunnel socket bind 127.0.0.1:"));
  ::close(held);
}

// ---- component: a LAC engine and an LNS engine over loopback, the LNS's KernelPort with the
// real connected tunnel socket (the kernel steps themselves faked) ---------------------------

// Real socket, fake kernel: what the kernel would consume is not consumed, so every datagram
// on the connected socket must reach the LNS engine through KernelPort.
class RealSocketOps final : public KernelOps {
 public:
  std::unique_ptr<KernelOps> real = make_netlink_kernel_ops();
  std::vector<netlink::KernelTunnelParams> created;
  std::vector<std::uint32_t> deleted;
  std::vector<netlink::PppoL2tpParams> channels;
  Result<int, netlink::Error> open_tunnel_socket(netlink::Endpoint l,
                                                 netlink::Endpoint p) override {
    return real->open_tunnel_socket(l, p);
  }
  Status<netlink::Error> create_tunnel(const netlink::KernelTunnelParams& p) override {
    created.push_back(p);
    return {};
  }
  Status<netlink::Error> delete_tunnel(std::uint32_t id) override {
    deleted.push_back(id);
    return {};
  }
  Result<std::unique_ptr<KernelChannel>, netlink::Error> open_channel(
      const netlink::PppoL2tpParams& p) override {
    channels.push_back(p);
    return std::unique_ptr<KernelChannel>(std::make_unique<NoFdChannel>());
  }
  Result<LinkRequest, netlink::Error> configure_link(const std::string&, Ipv4, Ipv4,
                                                     std::uint16_t) override {
    if (acks.near < 0) acks = dgram_pair();
    LinkRequest r;
    r.ifindex = 7;
    r.ack_fd = acks.near;
    r.seq = 1;
    return r;
  }
  Result<int, netlink::Error> configure_link_now(const std::string&, Ipv4, Ipv4,
                                                 std::uint16_t) override {
    return 7;
  }
  FdPair acks;  // acks never come: the session stays in the kernel meanwhile
  ~RealSocketOps() override {
    if (acks.near >= 0) ::close(acks.near), ::close(acks.far);
  }
  Result<std::pair<int, std::uint32_t>, netlink::Error> start_ppp_link_dump() override {
    return unexpected(netlink::Error{"no link dumps here", EOPNOTSUPP});
  }
  Result<netlink::LinkStats, netlink::Error> link_stats(int ifindex, const std::string&) override {
    netlink::LinkStats l;
    l.ifindex = ifindex;
    return l;
  }
  Status<netlink::Error> delete_links(const std::vector<int>&) override { return {}; }

 private:
  struct NoFdChannel final : KernelChannel {
    std::string ifname() const override { return "ppp0"; }
    int channel_fd() const override { return -1; }
    int unit_fd() const override { return -1; }
  };
};

struct CountingRandom final : vpdn::RandomSource {
  explicit CountingRandom(std::uint32_t seed) : x(seed) {}
  std::uint32_t x;
  void fill(std::span<std::uint8_t> out) override {
    for (auto& b : out) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      b = static_cast<std::uint8_t>(x);
    }
  }
};

struct LnsHandler final : vpdn::SessionHandler {
  std::vector<vpdn::SessionRef> incoming;
  std::vector<std::pair<vpdn::SessionRef, Bytes>> data;
  bool on_incoming_session(const vpdn::IncomingSession& s) override {
    incoming.push_back(s.ref);
    return true;
  }
  void on_session_down(vpdn::SessionRef, const vpdn::SessionEnd&) override {}
  void on_data(vpdn::SessionRef r, ByteView f) override {
    data.emplace_back(r, Bytes(f.begin(), f.end()));
  }
};

TEST(KernelPortComponent, ControlAndUserSpaceDataKeepFlowingThroughTheConnectedSocket) {
  using namespace std::chrono_literals;
  boost::asio::io_context io;
  AsioTimerService timers(io);
  config::RunningConfig lac_cfg, lns_cfg;
  lac_cfg.l2tp.enabled = lns_cfg.l2tp.enabled = true;
  config::L2tpGroup lg;
  lg.number = 1;
  lg.lns_addresses = {ip("127.0.0.1")};
  lg.match_kind = config::LacMatchKind::domain;
  lg.match_value = "corp.com";
  lg.tunnel_name = "LAC";
  lg.tunnel_authentication = false;
  lac_cfg.l2tp_groups[1] = lg;
  config::L2tpGroup ng;
  ng.number = 1;
  ng.allow_virtual_template = 1;
  ng.tunnel_name = "LNS";
  ng.tunnel_authentication = false;
  lns_cfg.l2tp_groups[1] = ng;
  CountingRandom lac_rand(11), lns_rand(12);
  vpdn::EngineOptions lo, no;
  lo.bind_address = no.bind_address = ip("127.0.0.1");
  lo.port_override = 0;  // ephemeral: no fixed port to collide with another test
  no.port_override = 0;
  vpdn::L2tpEngine lac(lac_cfg, timers, lac_rand, lo), lns(lns_cfg, timers, lns_rand, no);
  LnsHandler lns_h, lac_h;
  lac.set_handler(&lac_h);
  lns.set_handler(&lns_h);
  ASSERT_TRUE(lac.open_udp(io).has_value());
  ASSERT_TRUE(lns.open_udp(io).has_value());
  const std::uint16_t lns_port = lns.local_endpoint().port;

  Log tun_log;  // the TUN side is not under test here
  FakeTun tun_log_only(tun_log);
  auto ops_owned = std::make_unique<RealSocketOps>();
  RealSocketOps* ops = ops_owned.get();
  std::uint64_t up_datagrams = 0;
  KernelPort::Hooks h;
  h.session_info = [&](SessionRef c, std::uint16_t) -> std::optional<KernelSessionInfo> {
    auto peer = engine_peer_session_id(lns, c);
    if (!peer) return std::nullopt;
    KernelSessionInfo i;
    i.peer_session_id = *peer;
    i.template_address = ip("10.9.0.1");
    return i;
  };
  h.tunnel_info = [&](std::uint16_t t) { return engine_tunnel_info(lns, t); };
  h.on_datagram = [&](netlink::Endpoint from, ByteView d) {
    ++up_datagrams;
    lns.on_datagram({from.address, from.port}, d);
  };
  KernelPort port(io, tun_log_only, std::move(ops_owned), h);

  auto run_until = [&](auto done) {
    auto deadline = SteadyClock::now() + 10s;
    while (!done() && SteadyClock::now() < deadline) io.run_for(5ms);
    return done();
  };
  std::vector<vpdn::SessionRef> lac_up;
  auto place = [&](int i) {
    vpdn::LacCallRequest r;
    r.group = 1;
    r.lns_port = lns_port;
    r.user = "u" + std::to_string(i) + "@corp.com";
    vpdn::LacCallbacks cb;
    cb.on_up = [&](vpdn::SessionRef ref) { lac_up.push_back(ref); };
    cb.on_down = [](const vpdn::SessionEnd&) {};
    return lac.place_call(std::move(r), std::move(cb)).has_value();
  };

  ASSERT_TRUE(place(1));
  ASSERT_TRUE(run_until([&] { return lns_h.incoming.size() == 1 && lac_up.size() == 1; }));
  const vpdn::SessionRef first = lns_h.incoming[0];
  port.session_ip_up({first.tunnel, first.session}, 1, ip("10.9.0.2"));
  ASSERT_TRUE(port.in_kernel({first.tunnel, first.session})) << port.summary();
  ASSERT_EQ(ops->created.size(), 1u);
  auto lac_tunnel = lac.snapshot_tunnels().at(0);
  EXPECT_EQ(ops->created[0].tunnel_id, first.tunnel);
  EXPECT_EQ(ops->created[0].peer_tunnel_id, lac_tunnel.local_id);
  ASSERT_EQ(ops->channels.size(), 1u);
  EXPECT_EQ(ops->channels[0].peer_session_id, lac_up[0].session);
  EXPECT_EQ(ops->channels[0].peer.port, lac.local_endpoint().port);
  EXPECT_EQ(ops->channels[0].udp_fd, ops->created[0].udp_fd);

  // A second call on the same tunnel: ICRQ/ICCN now arrive on the connected socket and
  // still set the session up.
  ASSERT_TRUE(place(2));
  ASSERT_TRUE(run_until([&] { return lns_h.incoming.size() == 2 && lac_up.size() == 2; }));
  EXPECT_GT(up_datagrams, 0u);
  // Its data (not in the kernel) reaches the LNS engine's data path the same way.
  const Bytes lcp = {0xff, 0x03, 0xc0, 0x21, 0x09, 0x01, 0x00, 0x08, 1, 2, 3, 4};
  ASSERT_TRUE(lac.send_data(lac_up[1], lcp));
  ASSERT_TRUE(run_until([&] { return !lns_h.data.empty(); }));
  EXPECT_EQ(lns_h.data[0].first, lns_h.incoming[1]);

  // The last kernel session goes: the tunnel is deleted and its socket closed; the next call
  // comes in on the engine's own socket again.
  port.session_ip_down({first.tunnel, first.session}, 1, ip("10.9.0.2"));
  EXPECT_EQ(ops->deleted, std::vector<std::uint32_t>{first.tunnel});
  const std::uint64_t before = up_datagrams;
  ASSERT_TRUE(place(3));
  ASSERT_TRUE(run_until([&] { return lns_h.incoming.size() == 3 && lac_up.size() == 3; }));
  EXPECT_EQ(up_datagrams, before);
  EXPECT_TRUE(lns.statistics().drops.empty());
}

}  // namespace
}  // namespace vpdnd::app
