// DOC: the data-plane interface of vpdnd (netlink module, part "tun").
//
// Owner: dataplane. This header is the only one other modules include from netlink/; it is
// the only module that links libnl (libnl-route for links/addresses/routes, libnl-genl for
// the kernel L2TP family).
//
// What is here:
//  - TunDevice: a TUN interface (IFF_TUN|IFF_NO_PI, non-blocking) read in batches on the
//    engine io_context (one async_wait, then up to batch_size read()s per wake-up).
//  - RouteNetlink: address/link/route programming over rtnetlink via libnl-route
//    (rtnl_link, rtnl_addr, rtnl_route) — never `ip` commands.
//  - RouteTable: the host routes (/32 per session address) a TUN carries; removes what it
//    added on destruction.
//  - LinkStatsReader: link counters (RTM_GETLINK, one dump for every pppN) for the kernel
//    sessions' accounting.
//  - AddressMap<V>: destination IPv4 -> session lookup for the TUN->session direction.
//  - UdpBatchSocket: recvmmsg/sendmmsg wrapper for the L2TP data path.
//  - Kernel L2TP backend: detection (genetlink family "l2tp"), message builders for
//    L2TP_CMD_TUNNEL_CREATE/SESSION_CREATE/*_DELETE, and a small sender.
//  - PppoL2tpChannel (netlink/tun/pppol2tp.cpp): the kernel backend's per-session PPP
//    channel: an AF_PPPOX/PX_PROTO_OL2TP socket connected to the tunnel's UDP socket, its
//    channel attached on /dev/ppp and connected to a new ppp unit (interface pppN).
//
// Using the kernel backend: app/services/kernel_port.hpp (KernelPort, the LNS's IpPort in
// kernel mode) does the steps below through its KernelOps seam; vpdnd --data-plane picks the
// backend once at start (detection: kernel_l2tp_available + pppol2tp_available) and
// `display l2tp statistics` prints backend_name() of the choice with the reason.
// docs/ARCHITECTURE-NOTES.md "Kernel data-plane backend" says what is wired and what not.
//  - Tunnel up (after SCCCN is sent/received; control messages keep flowing through our
//    socket, the kernel passes packets with the T bit set up to it): KernelL2tp::open() once,
//    then create_tunnel({our tunnel id, peer tunnel id, udp_fd = the tunnel's *connected*
//    UDP socket}); build_tunnel_create carries it as L2TP_ATTR_FD with PROTO_VERSION 2 and
//    ENCAP_TYPE UDP.
//  - Session up (LNS: after ICCN and PPP/IPCP are done; the PPP session keeps running in user
//    space on the control frames ppp_generic queues on the channel fd (protocols >= 0xc000:
//    LCP, PAP, CHAP) and the unit fd (IPCP and other NCPs)): PppoL2tpChannel::open({udp_fd, peer,
//    tunnel/session ids both ways}); the kernel creates the session itself on connect() (no
//    SESSION_CREATE needed for PPP over L2TPv2). Then LinkSetupSocket::ifindex(ifname())
//    and send_setup(template address, peer = the user's address, MTU): one send, acks read
//    later; the kernel's own peer route is the session's host route.
//  - Session down (CDN either way, reset, PPP down): destroy the PppoL2tpChannel (disconnects the
//  channel, closes the unit: pppN disappears, and
//    the kernel session with the PPPoX socket).
//  - Tunnel down (StopCCN, Hello timeout, daemon stop): every session's channel first, then
//    KernelL2tp::delete_tunnel(tunnel id), then close the UDP socket.
//
// Threading: every object belongs to the thread that created it (the protocol thread in
// vpdnd); none takes locks. Errors are returned as Result/Status with a text that names the
// failing step and errno; nothing throws except std::bad_alloc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/bytes.hpp"
#include "common/ipv4.hpp"
#include "common/result.hpp"

namespace boost::asio {
class io_context;
}
struct mmsghdr;  // <sys/socket.h>

namespace vpdnd::netlink {

struct Error {
  std::string message;  // "TUNSETIFF vt1: Operation not permitted"
  int code = 0;         // errno or negative libnl error; 0 if neither applies
};

// Base of the classes below that own descriptors or kernel objects: never copied.
struct NoCopy {
  NoCopy() = default;
  NoCopy(const NoCopy&) = delete;
  NoCopy& operator=(const NoCopy&) = delete;
};

// ---- packets -------------------------------------------------------------------------

// Fixed buffers for one batch of packets; views handed out stay valid until the next fill.
// `headroom` octets are kept free before each packet so that an encapsulation header (PPP
// FF 03 00 21 on the LNS) can be put in front without copying the packet.
class PacketBatch {
 public:
  explicit PacketBatch(std::size_t count = 32, std::size_t buffer_size = 2048,
                       std::size_t headroom = 0);
  std::size_t capacity() const { return lengths_.size(); }
  std::size_t buffer_size() const { return buffer_size_; }
  std::size_t headroom() const { return headroom_; }
  std::size_t size() const { return used_; }
  ByteView operator[](std::size_t i) const { return {slot(i), lengths_[i]}; }
  // Packet i with `n` (<= headroom) octets in front of it, for the caller to fill.
  std::span<std::uint8_t> prepend(std::size_t i, std::size_t n) {
    return {slot(i) - n, lengths_[i] + n};
  }
  // For fillers (TunDevice, UdpBatchSocket).
  std::uint8_t* slot(std::size_t i) { return storage_.data() + i * stride() + headroom_; }
  const std::uint8_t* slot(std::size_t i) const {
    return storage_.data() + i * stride() + headroom_;
  }
  void set_length(std::size_t i, std::size_t n) { lengths_[i] = n; }
  void set_size(std::size_t n) { used_ = n; }

 private:
  std::size_t stride() const { return buffer_size_ + headroom_; }
  std::size_t buffer_size_;
  std::size_t headroom_;
  std::vector<std::uint8_t> storage_;
  std::vector<std::size_t> lengths_;
  std::size_t used_ = 0;
};

// IPv4 header fields the data path needs; nullopt if the packet is not a plausible IPv4
// packet (too short, version != 4, IHL < 5).
using vpdnd::ipv4_destination;  // common/ipv4
using vpdnd::ipv4_source;

struct DataPlaneCounters {
  std::uint64_t packets_in = 0, bytes_in = 0;    // read from the device/socket
  std::uint64_t packets_out = 0, bytes_out = 0;  // written
  std::uint64_t read_errors = 0, write_errors = 0;
  std::uint64_t drops_no_session = 0;  // for users of AddressMap that count misses
  std::uint64_t drops_not_ipv4 = 0;
};

// ---- TUN --------------------------------------------------------------------------------

class TunDevice : NoCopy {
 public:
  // Called once per wake-up with every packet read in it (1..batch size).
  using PacketHandler = std::function<void(const PacketBatch&)>;

  // Opens /dev/net/tun and creates (or attaches to) interface `name` ("vt1"); an empty name
  // lets the kernel choose ("tun%d"). The device is non-blocking and down until configured.
  static Result<std::unique_ptr<TunDevice>, Error> open(const std::string& name);
  ~TunDevice();

  const std::string& name() const { return name_; }
  int ifindex() const { return ifindex_; }
  int fd() const { return fd_; }

  // Non-blocking: reads until EAGAIN or the batch is full; returns how many were read.
  std::size_t read_batch(PacketBatch& batch);
  // One packet (an IPv4/IPv6 datagram without any header). false on error (counted).
  bool write(ByteView packet);

  // Starts reading on `io`: each readiness wake-up drains up to one batch into `handler`.
  // stop() (or destruction) cancels; the handler is never called after that.
  void start(boost::asio::io_context& io, PacketHandler handler, std::size_t batch_size = 32);
  void stop();

  const DataPlaneCounters& counters() const { return counters_; }

 private:
  TunDevice(int fd, std::string name, int ifindex);
  struct Reader;
  int fd_;
  std::string name_;
  int ifindex_;
  DataPlaneCounters counters_;
  std::shared_ptr<Reader> reader_;
};

// ---- rtnetlink via libnl-route -----------------------------------------------------------

struct AddressEntry {
  int ifindex = 0;
  Ipv4 address;
  int prefix = 32;
  std::optional<Ipv4> peer;
};
struct RouteEntry {
  Ipv4 destination;
  int prefix = 32;
  int ifindex = 0;
};

class RouteNetlink : NoCopy {
 public:
  // Connects a NETLINK_ROUTE socket (in the calling thread's network namespace).
  static Result<std::unique_ptr<RouteNetlink>, Error> open();
  ~RouteNetlink();

  Result<int, Error> link_index(const std::string& name);
  // Sets the MTU (0 = leave) and brings the link up or down.
  Status<Error> set_link(int ifindex, std::uint32_t mtu, bool up);
  Result<std::uint32_t, Error> link_mtu(int ifindex);
  Result<bool, Error> link_up(int ifindex);
  // `ip address` of a virtual template: address/prefix on the link (peer for point-to-point
  // if given). Adding an address that is already there succeeds.
  Status<Error> add_address(int ifindex, Ipv4 address, int prefix,
                            std::optional<Ipv4> peer = std::nullopt);
  Status<Error> remove_address(int ifindex, Ipv4 address, int prefix);
  Result<std::vector<AddressEntry>, Error> addresses(int ifindex);
  // Routes in the main table (scope link, protocol static). Adding an existing route
  // succeeds, and so does removing one that is not there: either way the caller's wish
  // holds. (On pppN the kernel's own route to the peer address, protocol kernel, is the one
  // an add finds; it goes with the link.)
  Status<Error> add_route(Ipv4 destination, int prefix, int ifindex);
  Status<Error> remove_route(Ipv4 destination, int prefix, int ifindex);
  Result<std::vector<RouteEntry>, Error> routes(int ifindex);
  // `ip route-static`: via `gateway` (scope universe) and/or out of `ifindex` (0: the
  // kernel finds the interface from the gateway; no gateway: scope link), with the
  // preference as metric (smaller wins on both). Protocol static, main table. Adding an
  // existing route succeeds; removing needs the same fields.
  Status<Error> add_static_route(Ipv4 destination, int prefix, std::optional<Ipv4> gateway,
                                 int ifindex, std::uint32_t metric);
  Status<Error> remove_static_route(Ipv4 destination, int prefix, std::optional<Ipv4> gateway,
                                    int ifindex, std::uint32_t metric);

 private:
  RouteNetlink() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---- link counters (rtnetlink RTM_GETLINK, no libnl: a dump of many links is parsed in place) --

// The counters the kernel keeps for one link (IFLA_STATS64; IFLA_STATS when 64 is absent).
// rx: what arrived on the link (on a pppN: from the user), tx: what left by it.
struct LinkStats {
  int ifindex = 0;
  std::uint64_t rx_packets = 0, tx_packets = 0, rx_bytes = 0, tx_bytes = 0;
};

// An RTM_GETLINK request (ifinfomsg + attributes). ifindex > 0: that one link (the reply is
// one RTM_NEWLINK or an NLMSG_ERROR). ifindex 0: a dump (NLM_F_DUMP) of every link of
// `kind` ("ppp"), filtered by the kernel through IFLA_LINKINFO/IFLA_INFO_KIND, so links of
// other kinds are never sent; an empty kind (or one whose module is not loaded: the kernel
// then ignores the filter) dumps every link, so readers match links by ifindex.
Bytes build_link_stats_request(int ifindex, std::string_view kind, std::uint32_t seq);

// One link's counters from sysfs (/sys/class/net/IFNAME: ifindex, statistics/rx_packets,
// tx_packets, rx_bytes, tx_bytes): the kernel reads them without the rtnl lock, which an
// RTM_GETLINK waits for behind every link being registered or deleted. An error when a
// file is unreadable or the link there is not `ifindex` (a sysfs mounted for another
// network namespace, the name reused): the caller asks rtnetlink then.
Result<LinkStats, Error> read_link_stats_sysfs(const std::string& ifname, int ifindex);

// One recv()'s worth of netlink replies decoded: the RTM_NEWLINK messages' counters,
// whether NLMSG_DONE ended the dump, and `error` (a negative errno) from an NLMSG_ERROR
// that is not a plain ack. Messages other than RTM_NEWLINK are skipped, and so are (counted
// as `stale`) those whose sequence number is not `seq` when seq != 0: a late reply to an
// earlier request that timed out. A malformed length fails the whole buffer.
struct LinkStatsReply {
  std::vector<LinkStats> links;
  bool done = false;
  int error = 0;
  std::size_t stale = 0;
};
Result<LinkStatsReply, Error> parse_link_stats(ByteView messages, std::uint32_t seq = 0);

// Reads link counters over its own NETLINK_ROUTE socket (a dump never interleaves with
// RouteNetlink's requests). Replies are awaited with a receive timeout (1 s): the kernel
// answers at once, and a lost reply must not hang the caller.
class LinkStatsReader : NoCopy {
 public:
  static Result<std::unique_ptr<LinkStatsReader>, Error> open();
  ~LinkStatsReader();
  // Every link of `kind` in one dump.
  Result<std::vector<LinkStats>, Error> dump(std::string_view kind);
  // One link.
  Result<LinkStats, Error> get(int ifindex);
  // For an event loop: sends the dump request and returns its sequence number; the caller
  // reads fd() (one reply datagram per recv; the kernel builds the next as each is read, so
  // reading them a few at a time never stalls the loop on a dump of many links) and decodes
  // each with parse_link_stats(bytes, seq) until `done`. dump()/get() must not be used on
  // a reader whose fd the caller made non-blocking.
  Result<std::uint32_t, Error> send_dump(std::string_view kind);
  int fd() const { return fd_; }
  // Deletes the links `ifindexes` together (build_link_group_delete with `group`): the
  // kernel does the work inside the send, so this returns once they are gone. An error
  // when the delete was refused (the links then stay); links already gone are skipped.
  Status<Error> delete_links(const std::vector<int>& ifindexes, std::uint32_t group);

 private:
  explicit LinkStatsReader(int fd);
  Result<std::vector<LinkStats>, Error> transact(int ifindex, std::string_view kind);
  int fd_;
  std::uint32_t seq_ = 0;
  Bytes buffer_;
};

// ---- pppN set-up in one send (rtnetlink, no libnl) ------------------------------------------

// The whole configuration of a kernel session's pppN as one buffer for one send():
// RTM_NEWADDR `local`/32 with `peer` as IFA_ADDRESS (the kernel adds the /32 to the peer
// itself, protocol kernel, once the link is up), then RTM_NEWLINK IFF_UP with IFLA_MTU.
// Both carry `seq` and NLM_F_ACK: the kernel handles them in order and acks each (an
// nlmsgerr with error 0 or a negative errno), so the sender reads the acks later instead of
// waiting for them one by one. The address request has NLM_F_REPLACE: sent again it
// succeeds.
Bytes build_ppp_link_setup(int ifindex, Ipv4 local, Ipv4 peer, std::uint32_t mtu,
                           std::uint32_t seq);
inline constexpr std::size_t kPppLinkSetupAcks = 2;  // acks one build_ppp_link_setup gets

// The acks (NLMSG_ERROR) in one recv()'s worth of netlink messages; other messages are
// skipped. A malformed length fails the whole buffer.
struct NetlinkAck {
  std::uint32_t seq = 0;
  int error = 0;  // 0 or a negative errno
};
Result<std::vector<NetlinkAck>, Error> parse_acks(ByteView messages);

// Many links deleted as one batch, in one buffer for one send(): for each of `ifindexes`
// an RTM_DELADDR of its first IPv4 address (by ifindex alone) and an RTM_NEWLINK setting
// IFLA_GROUP `group` (both sequence `seq`, no ack asked: only a refusal, e.g. a link
// already gone or without an address, answers), then RTM_DELLINK of every link in `group`
// (sequence seq + 1, acked). The kernel unregisters the group's links together
// (unregister_netdevice_many): one RCU grace period and barrier for the batch, where
// closing each pppN unit's /dev/ppp descriptor waits for them once per unit. The address
// goes first because a link that takes its address down with it costs a walk of every
// IPv4 route of the namespace: taking the link down marks the routes through it dead and
// fib_flush() then looks at all routes to find them, once per link, so N links with two
// routes each cost O(N^2). Deleting the address removes exactly its own routes (the local
// one, the peer's /32) by lookup, and the link's down then finds no route to flush.
// `group` must be one no other link of the namespace is in (the delete takes them all).
Bytes build_link_group_delete(const std::vector<int>& ifindexes, std::uint32_t group,
                              std::uint32_t seq);

// A non-blocking NETLINK_ROUTE socket for build_ppp_link_setup requests: send() never
// waits for the kernel; the caller reads fd() when readable and matches parse_acks by
// sequence number. Its receive buffer holds the acks of thousands of requests.
class LinkSetupSocket : NoCopy {
 public:
  static Result<std::unique_ptr<LinkSetupSocket>, Error> open();
  ~LinkSetupSocket();
  // The ifindex of `name` (SIOCGIFINDEX: one ioctl, no netlink round trip).
  Result<int, Error> ifindex(const std::string& name) const;
  // Sends the set-up of `ifindex`; returns its sequence number.
  Result<std::uint32_t, Error> send_setup(int ifindex, Ipv4 local, Ipv4 peer, std::uint32_t mtu);
  int fd() const { return fd_; }

 private:
  explicit LinkSetupSocket(int fd) : fd_(fd) {}
  int fd_;
  std::uint32_t seq_ = 0;
};

// pppN's whole set-up (build_ppp_link_setup for the link named `ifname`) sent and its acks
// waited for (at most 5 s), over a NETLINK_ROUTE socket of its own (opened and closed
// within the call): for threads that may block, several at once.
// Returns the link's ifindex; an error when the link is not there or the kernel refused a
// part (the error's code is the errno), after which the link may be half configured.
Result<int, Error> configure_ppp_link(const std::string& ifname, Ipv4 local, Ipv4 peer,
                                      std::uint32_t mtu);

// Host routes of one device: one /32 per session address. Remembers what it added and
// removes it again on remove_all() or destruction, so a session end or a daemon stop
// leaves no route behind.
class RouteTable : NoCopy {
 public:
  RouteTable(RouteNetlink& rtnl, int ifindex) : rtnl_(rtnl), ifindex_(ifindex) {}
  ~RouteTable() { remove_all(); }

  Status<Error> add_host(Ipv4 address);
  Status<Error> remove_host(Ipv4 address);
  // Any prefix (vpdn-dial's `--route`).
  Status<Error> add(Ipv4 destination, int prefix);
  void remove_all();
  std::size_t size() const { return installed_.size(); }

 private:
  RouteNetlink& rtnl_;
  int ifindex_;
  // (address << 8) | prefix of every route we added: O(1) per session end.
  std::unordered_set<std::uint64_t> installed_;
};

// ---- address -> session ------------------------------------------------------------------

// Destination lookup for packets read from a TUN. V is whatever names a session for the
// user (a pointer or an id pair); lookups are O(1).
template <class V>
class AddressMap {
 public:
  bool insert(Ipv4 address, V value) {
    return map_.emplace(address.value, std::move(value)).second;
  }
  bool erase(Ipv4 address) { return map_.erase(address.value) != 0; }
  const V* find(Ipv4 address) const {
    auto it = map_.find(address.value);
    return it == map_.end() ? nullptr : &it->second;
  }
  // Looks up a whole packet's destination; counts misses and non-IPv4 in `counters`.
  const V* find_for_packet(ByteView packet, DataPlaneCounters& counters) const {
    auto dst = ipv4_destination(packet);
    if (!dst) {
      ++counters.drops_not_ipv4;
      return nullptr;
    }
    const V* v = find(*dst);
    if (!v) ++counters.drops_no_session;
    return v;
  }
  std::size_t size() const { return map_.size(); }
  void clear() { map_.clear(); }

 private:
  std::unordered_map<std::uint32_t, V> map_;
};

// ---- batched UDP ---------------------------------------------------------------------------

using vpdnd::Endpoint;  // common/ipv4.hpp

class UdpBatchSocket : NoCopy {
 public:
  // Binds a non-blocking UDP socket (SO_REUSEADDR off). port 0 = ephemeral.
  static Result<std::unique_ptr<UdpBatchSocket>, Error> bind(Endpoint local, std::size_t batch = 32,
                                                             std::size_t buffer_size = 2048);
  ~UdpBatchSocket();

  int fd() const { return fd_; }
  Result<Endpoint, Error> local_endpoint() const;
  // Socket buffer sizes (SO_RCVBUF/SO_SNDBUF; the FORCE variants when privileged) so that
  // bursts between two batches are not dropped by the kernel. 0 leaves one unchanged.
  Status<Error> set_buffers(int receive_bytes, int send_bytes);

  // One recvmmsg of up to batch messages, non-blocking; returns the datagrams in them (0
  // when nothing waits). Datagram i is datagram(i), its sender from(i). With UDP GRO on
  // (gro(): when buffer_size holds the largest UDP payload, 65,507 octets) the kernel may
  // hand over several same-size datagrams of one sender as one message (a peer's GSO send
  // on loopback, a NIC's coalesced flow); they are split here on the segment size the
  // kernel reports (UDP_GRO control message; the last one may be shorter), so callers see
  // the datagrams the peer sent either way.
  std::size_t receive();
  ByteView datagram(std::size_t i) const { return rx_view_[i]; }
  std::span<const ByteView> datagrams() const { return rx_view_; }
  Endpoint from(std::size_t i) const { return from_[i]; }
  // Messages the last receive() took from the kernel: == batch size means more may wait.
  std::size_t messages() const { return rx_messages_; }
  bool gro() const { return gro_; }

  // Queues a copy of `data` for `to`; flushes automatically when the queue is full.
  void queue(Endpoint to, ByteView data);
  // Queues a datagram built from two pieces (an encapsulation header and a payload), copied
  // once into the send slot.
  void queue(Endpoint to, ByteView head, ByteView payload);
  // sendmmsg of everything queued; returns datagrams sent. Unsent ones are dropped and
  // counted as write errors (UDP gives no back-pressure worth waiting on here).
  std::size_t flush();
  std::size_t queued() const { return tx_count_; }
  // The sendmmsg(2) flush() calls (same contract: messages sent, or -1 with errno set);
  // tests inject the kernel's answers with this.
  using SendBatch = int (*)(void* context, int fd, ::mmsghdr* msgs, unsigned count);
  void set_send_for_testing(SendBatch send, void* context) {
    send_ = send;
    send_context_ = context;
  }
  // The recvmmsg(2) receive() calls (same contract), for tests.
  using ReceiveBatch = int (*)(void* context, int fd, ::mmsghdr* msgs, unsigned count);
  void set_receive_for_testing(ReceiveBatch receive, void* context) {
    receive_ = receive;
    receive_context_ = context;
  }

  const DataPlaneCounters& counters() const { return counters_; }

 private:
  UdpBatchSocket(int fd, std::size_t batch, std::size_t buffer_size, bool gro);
  int fd_;
  bool gro_;
  PacketBatch rx_;
  std::vector<ByteView> rx_view_;  // the datagrams of the last receive(), in rx_
  std::vector<Endpoint> from_;
  std::size_t rx_messages_ = 0;
  PacketBatch tx_;
  std::vector<Endpoint> tx_to_;
  std::size_t tx_count_ = 0;
  DataPlaneCounters counters_;
  SendBatch send_ = nullptr;  // nullptr: sendmmsg
  void* send_context_ = nullptr;
  ReceiveBatch receive_ = nullptr;  // nullptr: recvmmsg
  void* receive_context_ = nullptr;
  struct Scratch;  // mmsghdr/iovec/sockaddr arrays, allocated once
  std::unique_ptr<Scratch> scratch_;
};

// ---- backends --------------------------------------------------------------------------------

enum class Backend { user_space, kernel };
// "user-space (TUN)" / "kernel (l2tp_ppp)", as `display l2tp statistics` prints it.
std::string_view backend_name(Backend b);

// True when the genetlink family "l2tp" resolves (l2tp_netlink loaded / loadable), i.e. the
// kernel backend could be used. `reason` (optional) says why not.
bool kernel_l2tp_available(std::string* reason = nullptr);
// The backend vpdnd uses: kernel only when available *and* asked for; user space otherwise.
Backend choose_backend(bool prefer_kernel);

// Kernel L2TP (linux/l2tp.h) message parameters. Ids are L2TP tunnel/session ids.
struct KernelTunnelParams {
  std::uint32_t tunnel_id = 0;
  std::uint32_t peer_tunnel_id = 0;
  int udp_fd = -1;  // our connected UDP socket; the kernel takes the data path on it
};
// Full netlink messages (nlmsghdr + genlmsghdr + attributes), ready for send(), built with
// libnl-genl. family_id comes from resolving "l2tp"; sequence numbers are the caller's.
Bytes build_tunnel_create(int family_id, const KernelTunnelParams& p, std::uint32_t seq = 0);
Bytes build_tunnel_delete(int family_id, std::uint32_t tunnel_id, std::uint32_t seq = 0);

// Decoded view of one such message (for tests and debug output): the genl command and the
// attributes (type -> raw value bytes). Fails on malformed lengths.
struct GenlMessage {
  std::uint16_t nlmsg_type = 0;
  std::uint16_t nlmsg_flags = 0;
  std::uint8_t command = 0;
  std::uint8_t version = 0;
  std::vector<std::pair<std::uint16_t, Bytes>> attributes;
  const Bytes* attribute(std::uint16_t type) const;
};
Result<GenlMessage, Error> parse_genl_message(ByteView message);

// Talks to the kernel's l2tp genetlink family. open() fails with a clear reason when the
// family is absent (this kernel has no l2tp modules).
class KernelL2tp : NoCopy {
 public:
  static Result<std::unique_ptr<KernelL2tp>, Error> open();
  ~KernelL2tp();
  int family_id() const { return family_id_; }
  Status<Error> create_tunnel(const KernelTunnelParams& p);
  Status<Error> delete_tunnel(std::uint32_t tunnel_id);

 private:
  KernelL2tp() = default;
  Status<Error> transact(const Bytes& message);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int family_id_ = 0;
};

// ---- PPPoL2TP channel (kernel backend, one per session) -------------------------------------

// What one session's PPPoL2TP socket is connected to (linux/if_pppol2tp.h, L2TPv2: 16-bit ids).
struct PppoL2tpParams {
  int udp_fd = -1;  // the tunnel's UDP socket (the same fd given to L2TP_ATTR_FD)
  Endpoint peer;    // the LAC/LNS address and port the tunnel talks to
  std::uint16_t tunnel_id = 0, session_id = 0;            // ours: match incoming packets
  std::uint16_t peer_tunnel_id = 0, peer_session_id = 0;  // the peer's: put on outgoing ones
  // Data sequencing (PPPOL2TP_SO_SENDSEQ/RECVSEQ): the kernel puts Ns on every data message
  // it sends, from 0, and requires them on what it receives (it takes the first one's Ns
  // as its starting point). lns_mode (PPPOL2TP_SO_LNSMODE): we are the LNS, so a peer's
  // sequenced data does not switch our own sending on by itself.
  bool send_seq = false, recv_seq = false, lns_mode = false;
};

// The bytes of `struct sockaddr_pppol2tp` (packed, 38 octets) for connect(): sa_family
// AF_PPPOX, sa_protocol PX_PROTO_OL2TP, pid 0 (this process owns the fd), fd = udp_fd, addr =
// AF_INET sockaddr of the peer (network order), s_tunnel/s_session ours, d_tunnel/d_session the
// peer's (host order, as the kernel reads them). Empty when the params cannot be connected
// (udp_fd < 0, a zero own id or peer tunnel id).
Bytes build_pppol2tp_sockaddr(const PppoL2tpParams& p);

// The set-up steps of a channel, in order; teardown undoes them in reverse.
enum class PppoL2tpStep : std::uint8_t {
  open_socket,     // socket(AF_PPPOX, SOCK_DGRAM, PX_PROTO_OL2TP)
  connect_socket,  // connect(sockaddr_pppol2tp)
  set_options,     // setsockopt SOL_PPPOL2TP: LNSMODE, SENDSEQ, RECVSEQ (those asked for)
  get_channel,     // ioctl(PPPIOCGCHAN) on the socket: the channel index
  open_channel,    // open("/dev/ppp")
  attach_channel,  // ioctl(PPPIOCATTCHAN, channel index) on that fd
  open_unit,       // open("/dev/ppp") again
  new_unit,        // ioctl(PPPIOCNEWUNIT, -1 -> assigned unit N): interface pppN appears
  connect_unit,    // ioctl(PPPIOCCONNECT, N) on the channel fd
};
// All steps in set-up order.
std::span<const PppoL2tpStep> pppol2tp_steps();
// "socket(AF_PPPOX, SOCK_DGRAM, PX_PROTO_OL2TP)", "ioctl PPPIOCNEWUNIT on /dev/ppp", ...
std::string_view describe_step(PppoL2tpStep step);
// The Error for `step` failing with errno `code`: names the step and, where errno has a
// known cause on kernels without PPP/L2TP, says which module is missing, e.g.
// "AF_PPPOX not supported by this kernel (no pppol2tp module)".
Error pppol2tp_step_error(PppoL2tpStep step, int code);

// True when this kernel can create a PPPoL2TP socket and /dev/ppp exists; `reason` says
// which step failed otherwise (the text pppol2tp_step_error gives).
bool pppol2tp_available(std::string* reason = nullptr);

// One session's kernel PPP channel and unit. open() runs the steps above and undoes the done
// ones when a later one fails; the destructor tears down in reverse order (close the unit
// fd: pppN goes away, close the channel fd, close the socket: the kernel session goes and
// the channel is unregistered, which disconnects it from the unit). The tunnel (genetlink or
// implicit) must exist on udp_fd first.
class PppoL2tpChannel {
 public:
  static Result<std::unique_ptr<PppoL2tpChannel>, Error> open(const PppoL2tpParams& p);
  ~PppoL2tpChannel();
  PppoL2tpChannel(const PppoL2tpChannel&) = delete;
  PppoL2tpChannel& operator=(const PppoL2tpChannel&) = delete;

  int channel_index() const { return channel_; }
  int unit() const { return unit_; }
  std::string ifname() const { return "ppp" + std::to_string(unit_); }
  // The PPPoX socket. Once PPPIOCGCHAN bound it, received frames go to the ppp channel,
  // not to this socket: ppp_generic queues LCP/PAP/CHAP (protocols >= 0xc000) on the
  // channel fd and IPCP and other NCPs on the unit fd, where the user-space PPP session reads
  // them (app/services/kernel_port.hpp); the kernel switches IP itself.
  int socket_fd() const { return socket_fd_; }
  int channel_fd() const { return channel_fd_; }
  int unit_fd() const { return unit_fd_; }
  // Everything but the unit: the channel fd and the socket (the kernel session goes, the
  // channel leaves the unit). pppN stays until the unit fd is closed (the destructor) or the link
  // is deleted over rtnetlink (LinkStatsReader::delete_links), after which closing the unit fd no
  // longer waits for the kernel to unregister it.
  void release_channel();

 private:
  PppoL2tpChannel() = default;
  void close_all();
  int socket_fd_ = -1;
  int channel_fd_ = -1;
  int unit_fd_ = -1;
  int channel_ = -1;
  int unit_ = -1;
};

}  // namespace vpdnd::netlink
