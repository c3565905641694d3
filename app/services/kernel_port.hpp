// DOC: the LNS's kernel data plane (the "kernel" back end): KernelPort decorates the
// TunPort as the vpdn::IpPort of LnsCalls and moves each LNS session whose PPP reached IPCP
// Opened into the kernel (l2tp_core/l2tp_ppp): a per-tunnel UDP socket bound to the
// engine's address and port and connect()ed to the peer carries the kernel tunnel
// (genetlink L2TP_CMD_TUNNEL_CREATE with that fd), a PPPoL2TP channel + /dev/ppp unit per
// session gives interface pppN with the template address, the user's address as peer, the
// template MTU (one rtnetlink send: on the opener thread right after the channel's open,
// acks awaited there; on the protocol thread, acks matched later); the
// kernel's route to the peer is its host route, and the TUN's host route for that address
// is never added (add_host_route holds it back until session_ip_up; a fallback adds it).
//
// The control plane stays in user space: the connected socket gets every datagram from the
// peer (the kernel passes control messages and data of sessions it does not hold up to the
// socket) and KernelPort hands each to the L2TP engine (Hooks::on_datagram); PPP control
// frames the kernel delivers on the channel fd (LCP, authentication) and the unit fd (IPCP
// and other NCPs) go to LnsCalls (Hooks::on_ppp_frame) as if they had come from L2TP. What
// LnsCalls sends still goes out through the engine's own socket.
//
// Every kernel step goes through KernelOps (real: make_netlink_kernel_ops() over
// netlink/netlink.hpp; tests: a fake with socketpairs), so the sequencing and the fallback
// are unit-tested on kernels without l2tp. A failing step is logged with its error (one
// line per failure; past ten of a step, every 1000th), counted by step (fallbacks(), shown
// by `display l2tp statistics`), everything done for that session is undone, and the
// session stays on the user-space path (TUN route, engine data path), which keeps working.
// Sessions with data sequencing (Ns/Nr: `tunnel flow-control` or the LAC's Sequencing
// Required) go in with the kernel sending Ns (PPPOL2TP_SO_SENDSEQ). The engine
// numbered the session's data messages until then (PPP negotiation) and the kernel starts
// at Ns 0, so KernelPort first sends as many LCP Discard-Requests through the channel as
// the engine sent data messages: the peer drops them as old (or, a kernel peer that
// resynchronises, hands them to a PPP that discards them) and the kernel's next Ns is the
// one the peer expects. The kernel takes the peer's Ns from the first data message it
// receives. From then on every frame the calls layer sends for the session goes through
// the channel (send_ppp), so only the kernel numbers the session's data. When such a
// session leaves the kernel with its call going on, the kernel session's count of numbered
// data messages is its next Ns: the engine resumes from there (Hooks::resume_numbering).
//
// The packets of a session in the kernel no longer pass vpdnd: its octets and packets come
// from pppN's link counters (data_counters; one dump for every session, at most
// stats_max_age old; session_ip_down's last reading is exact).
//
// Owner: kernel-dp. Threading: protocol thread only (the io_context that runs the readers);
// no locks.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "common/ipv4.hpp"
#include "common/result.hpp"
#include "netlink/netlink.hpp"
#include "vpdn/calls.hpp"

namespace boost::asio {
class io_context;
}
namespace vpdnd::vpdn {
class L2tpEngine;
}

namespace vpdnd::app {

// ---- start-up choice (`vpdnd --data-plane auto|user-space|kernel`) -----------------------

enum class DataPlaneChoice : std::uint8_t { automatic = 0, user_space, kernel };
// "auto" / "user-space" / "kernel"; nullopt for anything else.
std::optional<DataPlaneChoice> parse_data_plane(std::string_view text);
std::string_view to_string(DataPlaneChoice c);

struct DataPlaneDecision {
  netlink::Backend backend = netlink::Backend::user_space;
  // For `display l2tp statistics` and the start-up log, e.g.
  // "user-space (TUN); kernel L2TP unavailable: genetlink family "l2tp" not found (...)".
  std::string description;
  // `kernel` was asked for and cannot be used: the caller logs it as an error (and runs on
  // in user space).
  bool requested_kernel_unavailable = false;
  std::string reason;  // why the kernel path is not usable (empty when it is, or not probed)
};
// Pure: the backend for `choice` given what detection found (`kernel_available`, and
// `reason` when not).
DataPlaneDecision decide_data_plane(DataPlaneChoice choice, bool kernel_available,
                                    const std::string& reason);
// Runs detection (netlink::kernel_l2tp_available and pppol2tp_available: genetlink family
// "l2tp", AF_PPPOX/PX_PROTO_OL2TP, /dev/ppp) unless `choice` is user_space, then decides.
DataPlaneDecision detect_data_plane(DataPlaneChoice choice);

// ---- the kernel operations KernelPort needs ----------------------------------------------

// One session's kernel PPP channel and unit (real: netlink::PppoL2tpChannel). Destroying it
// tears the channel and the unit down (pppN goes).
class KernelChannel {
 public:
  virtual ~KernelChannel() = default;
  virtual std::string ifname() const = 0;  // "ppp3"
  // Read by KernelPort for PPP frames the kernel does not switch (protocol + information):
  // the channel fd gets LCP and authentication, the unit fd IPCP and other NCPs. -1: none.
  virtual int channel_fd() const = 0;
  virtual int unit_fd() const = 0;
  // Data messages the kernel session numbered since it was created (sent or failed: each
  // took an Ns), for the engine to resume past them; nullopt when unreadable.
  virtual std::optional<std::uint64_t> data_numbered() const { return std::nullopt; }
  // Everything but the unit: the channel leaves the unit and the kernel session goes;
  // pppN stays until KernelOps::delete_links or the destructor takes it.
  virtual void release_channel() {}
};

// A pppN configuration sent: its ifindex, the netlink socket its acks arrive on (owned by
// the ops, the same for every request; the caller only reads it, non-blocking, and decodes
// each datagram with netlink::parse_acks), the request's sequence number and how many acks
// it takes.
struct LinkRequest {
  int ifindex = 0;
  int ack_fd = -1;
  std::uint32_t seq = 0;
  std::size_t acks = netlink::kPppLinkSetupAcks;
};

// The kernel tunnel operations both kernel data planes need (the LNS's KernelPort, the
// LAC's LacKernelBridge).
class KernelTunnelOps {
 public:
  virtual ~KernelTunnelOps() = default;
  // A non-blocking UDP socket with SO_REUSEADDR bound to `local` and connect()ed to `peer`;
  // the caller owns the fd.
  virtual Result<int, netlink::Error> open_tunnel_socket(netlink::Endpoint local,
                                                         netlink::Endpoint peer) = 0;
  virtual Status<netlink::Error> create_tunnel(const netlink::KernelTunnelParams& p) = 0;
  virtual Status<netlink::Error> delete_tunnel(std::uint32_t tunnel_id) = 0;
};

class KernelOps : public KernelTunnelOps {
 public:
  // Called on KernelPort's opener threads (see KernelPort::set_open_threads), several at
  // once and while the protocol thread calls the other operations: it must touch nothing
  // they share. The channel it returns is then used on the protocol thread only.
  virtual Result<std::unique_ptr<KernelChannel>, netlink::Error> open_channel(
      const netlink::PppoL2tpParams& p) = 0;
  // Sends `local`/32 with `peer` as point-to-point peer, the MTU and up for `ifname`
  // without waiting for the kernel (netlink::build_ppp_link_setup); the kernel's own route
  // to the peer is the session's host route. Returns the link and where its acks arrive.
  virtual Result<LinkRequest, netlink::Error> configure_link(const std::string& ifname, Ipv4 local,
                                                             Ipv4 peer, std::uint16_t mtu) = 0;
  // The same set-up, on an opener thread (as open_channel, right after it): sent and its
  // acks waited for (netlink::configure_ppp_link). Returns pppN's ifindex; an error when the
  // kernel refused a part (the errno as the code).
  virtual Result<int, netlink::Error> configure_link_now(const std::string& ifname, Ipv4 local,
                                                         Ipv4 peer, std::uint16_t mtu) = 0;
  // Sends a dump request for every pppN's counters (links of other kinds may come too where
  // the kernel cannot filter) and returns the netlink socket its replies arrive on (owned by
  // the ops; the caller only reads it, non-blocking, and decodes each datagram with
  // netlink::parse_link_stats(bytes, seq) until done) and the request's sequence number.
  virtual Result<std::pair<int, std::uint32_t>, netlink::Error> start_ppp_link_dump() = 0;
  // One link's counters, blocking (real: from sysfs, which needs no rtnl lock; a single
  // RTM_GETLINK round trip when sysfs cannot tell).
  virtual Result<netlink::LinkStats, netlink::Error> link_stats(int ifindex,
                                                                const std::string& ifname) = 0;
  // Deletes the released units' pppN `ifindexes` in one batch (netlink::
  // build_link_group_delete): one RCU grace period for all, where destroying each channel
  // with its unit registered waits for one or two per unit. On an error they stay, and
  // destroying their channels deletes them one by one. With closer threads it is called on
  // them (several at once, and while the protocol thread calls the other operations): it
  // must touch nothing they share.
  virtual Status<netlink::Error> delete_links(const std::vector<int>& ifindexes) = 0;
};

// The real operations over netlink/netlink.hpp (KernelL2tp, PppoL2tpChannel, RouteNetlink;
// the genetlink and rtnetlink sockets are opened on first use).
std::unique_ptr<KernelOps> make_netlink_kernel_ops();

// ---- KernelPort ---------------------------------------------------------------------------

// What KernelPort needs to know to move a session (services read it from the L2TP engine
// and the running config).
struct KernelTunnelInfo {
  netlink::Endpoint local;  // the engine's bound address and port
  netlink::Endpoint peer;   // the LAC's address and port
  std::uint16_t peer_tunnel_id = 0;
};
struct KernelSessionInfo {
  std::uint16_t peer_session_id = 0;
  bool sequencing = false;               // data messages carry Ns/Nr
  std::uint16_t data_sent = 0;           // with sequencing: data messages the engine sent
  std::optional<Ipv4> template_address;  // `ip address` of the virtual template
  std::uint16_t mtu = 1500;              // the template's MTU
};

// Read from the L2TP engine as services wire the hooks (and the component test does):
// the tunnel's peer endpoint and id with the engine's bound endpoint; the peer's session id.
std::optional<KernelTunnelInfo> engine_tunnel_info(const vpdn::L2tpEngine& engine,
                                                   std::uint16_t tunnel);
std::optional<std::uint16_t> engine_peer_session_id(const vpdn::L2tpEngine& engine,
                                                    vpdn::SessionRef call);

// The set-up steps, for logs and fallback counts.
enum class KernelStep : std::uint8_t {
  session_info,    // the session or its tunnel is unknown to the engine / no template address
  sequencing,      // Ns/Nr: more engine-sent data messages than the kernel may catch up on
  tunnel_socket,   // open the connected per-tunnel UDP socket
  create_tunnel,   // genetlink L2TP_CMD_TUNNEL_CREATE
  open_channel,    // PPPoL2TP socket + /dev/ppp channel and unit
  configure_link,  // address/peer, MTU, up on pppN (sent, or refused in the kernel's ack)
  descriptors,     // a socket or /dev/ppp open hit the descriptor limit (EMFILE/ENFILE)
};
// The step to count a failure of `step` under: `descriptors` when `code` (an errno) says
// the process or the system ran out of descriptors, which the operator fixes differently
// from a missing module; `step` otherwise.
KernelStep fallback_reason(KernelStep step, int code);
std::string_view describe(KernelStep step);

struct KernelPortCounters {
  std::uint64_t sessions_moved = 0;   // total sessions that went into the kernel
  std::uint64_t tunnels_created = 0;  // kernel tunnels created
  std::uint64_t tunnels_deleted = 0;
  std::uint64_t datagrams_up = 0;     // from connected sockets to the engine
  std::uint64_t ppp_frames_up = 0;    // from channel/unit fds to LnsCalls
  std::uint64_t ppp_frames_down = 0;  // from LnsCalls written to channel fds (send_ppp)
  std::uint64_t catch_up_frames = 0;  // LCP Discard-Requests that aligned the kernel's Ns
  std::uint64_t write_errors = 0;     // channel writes that failed (frame sent by the engine)
  std::uint64_t read_errors = 0;      // recv/read failures other than EAGAIN
  std::uint64_t teardown_errors = 0;  // delete tunnel failures (logged)
  std::uint64_t link_requests = 0;    // pppN configurations sent
  std::uint64_t link_acks = 0;        // their acks read (errors fall back: configure_link)
  std::uint64_t stats_reads = 0;      // pppN counter reads: dumps of all, and single links
  std::uint64_t stats_errors = 0;     // failed ones (the last good reading is kept)
  std::uint64_t link_deletes = 0;     // batches of pppN deleted together (delete_links)
};

class KernelPort final : public vpdn::IpPort {
 public:
  struct Hooks {
    // nullopt when the engine no longer knows the call / the tunnel. tunnel_info is asked
    // only when the call's tunnel is not in the kernel yet.
    std::function<std::optional<KernelSessionInfo>(vpdn::SessionRef, std::uint16_t vt)>
        session_info;
    std::function<std::optional<KernelTunnelInfo>(std::uint16_t tunnel)> tunnel_info;
    // A datagram read from a tunnel's connected socket (sender = the tunnel's peer).
    std::function<void(netlink::Endpoint from, ByteView datagram)> on_datagram;
    // A PPP frame (protocol + information) read from a session's channel or unit fd.
    std::function<void(vpdn::SessionRef, ByteView frame)> on_ppp_frame;
    // A sequenced session leaves the kernel while its call may go on: the engine numbers
    // its data from `next_ns` (past what the kernel sent) and takes the peer's next Ns.
    std::function<void(vpdn::SessionRef, std::uint16_t next_ns)> resume_numbering;
  };

  // `inner` (the TunPort) does everything the kernel path does not: TUN routes and writes,
  // auto clients, and every session that is not (or could not be) moved.
  KernelPort(boost::asio::io_context& io, vpdn::IpPort& inner, std::unique_ptr<KernelOps> ops,
             Hooks hooks);
  ~KernelPort() override;  // stop()
  KernelPort(const KernelPort&) = delete;
  KernelPort& operator=(const KernelPort&) = delete;

  bool add_host_route(std::uint16_t vt, Ipv4 address) override;
  void remove_host_route(std::uint16_t vt, Ipv4 address) override;
  void write_ip(std::uint16_t vt, ByteView packet) override;
  bool set_peer_address(std::uint16_t vt, Ipv4 local, Ipv4 peer) override;
  void clear_peer_address(std::uint16_t vt) override;
  // Moves the call into the kernel (see the top of this file); on any failure it stays
  // in user space. With opener threads (set_open_threads) the channel opens on one of
  // them and the move completes on the protocol thread once it is there; until then the
  // call is in user space (in_kernel false, its frames go through the engine) and its host
  // route is held back, for pppN's to take. A session_ip_down meanwhile cancels the move:
  // the channel is closed when it arrives and the tunnel is kept until then.
  void session_ip_up(vpdn::SessionRef call, std::uint16_t vt, Ipv4 address) override;
  // Channel and kernel session at once; pppN (with its address and route) a moment later,
  // with every other pppN that ended meanwhile, in one batch (see retire); the tunnel and
  // its socket with its last kernel session. Returns the session's pppN counters read just
  // before the session leaves.
  aaa::Counters session_ip_down(vpdn::SessionRef call, std::uint16_t vt, Ipv4 address) override;
  // The session's pppN counters as the calls layer counts its own (see kernel_counters()),
  // as the last dump of every pppN left them. An ask when that is stats_max_age old starts
  // the next dump, read on the io_context a few replies per wake-up (a dump of 100,000
  // links takes seconds of kernel and parse time: done in one go it would stall the engine
  // thread); the answer is the previous reading meanwhile. Displays of many sessions and
  // interim accounting spread over time cost one dump per interval, never a round trip per
  // session. Zero for a call not in the kernel or not read yet.
  aaa::Counters data_counters(vpdn::SessionRef call) override;
  // pppN batch deletes run on `n` threads of their own (batches queued behind a delete
  // merged into the next), since a delete holds the kernel's rtnl lock through grace
  // periods. Released channels are destroyed on the same threads after their pppN's
  // delete: Debian's 6.1 waits for RCU grace periods in the PPPoL2TP socket's close (the
  // kernel session's delete, the channel's unregistration), and the waits of concurrent
  // closers share grace periods, where on the protocol thread they were one after the
  // other. The threads touch nothing but the batches and channels handed to them. A call
  // whose address is renegotiated before its old channel is closed finds its kernel
  // session still there (open_channel fails, EEXIST) and stays in user space. 0 (the
  // default): deleted and destroyed on the protocol thread, in order (tests).
  void set_close_threads(std::size_t n) { close_threads_ = n; }
  // Channels are opened (KernelOps::open_channel: the PPPoL2TP socket's connect, PPPIOCGCHAN,
  // the /dev/ppp channel and unit) on `n` threads of their own: Debian's 6.1 waits for an
  // RCU grace period in PPPIOCGCHAN, and the waits of concurrent openers share grace
  // periods, where on the protocol thread every session
  // waited for its own while nothing else ran. The threads touch nothing but the
  // parameters and the channel of their open; the result is posted back to the protocol
  // thread, which alone keeps the sessions' state. The opener also configures pppN
  // (KernelOps::configure_link_now) unless the session numbers its data: its catch-up
  // frames must go before pppN is up, so the protocol thread configures it after them.
  // 0 (the default): opened on the protocol thread within session_ip_up (tests). Set
  // before the first session.
  void set_open_threads(std::size_t n) { open_threads_ = n; }
  // Moves started and not complete (their channel is opening).
  std::size_t opening_count() const { return opening_.size(); }
  // Default 5 s; zero starts a dump on every ask that finds none under way (tests).
  void set_stats_max_age(std::chrono::steady_clock::duration age) { stats_max_age_ = age; }
  // A dump still unfinished this long after it started is given up (a lost reply) when
  // the next is due. Default 60 s: 100,000 pppN take seconds on a busy host.
  void set_dump_timeout(std::chrono::steady_clock::duration t) { dump_timeout_ = t; }
  bool user_data_visible(vpdn::SessionRef call) const override { return !in_kernel(call); }
  // A PPP frame (FF 03 optional) from the calls layer for `call`: written to its channel fd
  // when the call is in the kernel (true); false otherwise or when the write fails, and the
  // caller sends it through the engine.
  bool send_ppp(vpdn::SessionRef call, ByteView frame);
  // More sequenced data messages than this sent by the engine before the move: the session
  // stays in user space rather than flood the peer with catch-up frames.
  static constexpr std::uint16_t kMaxCatchUp = 512;

  // Units released but whose pppN is not deleted yet; more than this and the batch goes
  // at once (one delete keeps the protocol thread in the kernel for the batch's length).
  static constexpr std::size_t kMaxDeleteBatch = 512;

  // Daemon stop: the opens under way are waited for and their channels closed (those not
  // started yet never are); every session's channel and every kernel tunnel and its socket,
  // in reverse order of creation, then every pppN in one batch. Idempotent.
  void stop();

  bool in_kernel(vpdn::SessionRef call) const;
  std::size_t session_count() const;
  std::size_t tunnel_count() const;
  std::string ifname(vpdn::SessionRef call) const;
  const KernelPortCounters& counters() const { return counters_; }
  // Sessions left in user space, by the step that failed.
  const std::map<KernelStep, std::uint64_t>& fallbacks() const { return fallbacks_; }
  // "2 sessions and 1 tunnel in the kernel; kept in user space: open PPPoL2TP channel 1",
  // then "; read errors N" / "; teardown errors N" when there were any.
  std::string summary() const;

 private:
  struct Reader;
  struct Tunnel;
  struct Session;
  class Closer;
  class Opener;
  struct Opened;
  struct OpenJob;
  struct LinkConfig {  // pppN's set-up
    Ipv4 local, peer;
    std::uint16_t mtu = 0;
  };
  // Counts and logs a fallback; false, for `return fail(...)` in move_in.
  bool fail(vpdn::SessionRef call, KernelStep step, const std::string& error);
  // What session_ip_up does in the kernel up to the channel's open: false when the call
  // stays in user space; true when the open is started (opening_ holds the call, its
  // tunnel counts it as a session) and then, without opener threads, complete.
  bool move_in(vpdn::SessionRef call, std::uint16_t vt, Ipv4 address);
  // An open's result, on the protocol thread: the move goes on (attach) unless the call
  // ended meanwhile or the port stopped (the channel is closed); the held host route goes to
  // pppN or, when the call stays in user space, to the TUN.
  // `link`: with Opening::link, pppN's ifindex as the opener configured it, or its error.
  void open_done(vpdn::SessionRef call, Result<std::unique_ptr<KernelChannel>, netlink::Error> r,
                 Result<int, netlink::Error> link = 0);
  // The opens finished on the opener threads, handed over (posted to the io_context).
  void take_opened();
  // The rest of the move with the channel open; false (channel closed) when the call stays
  // in user space.
  // `configured`: pppN's ifindex when the opener configured it already (0: not).
  bool attach(vpdn::SessionRef call, std::uint16_t vt, Ipv4 address, const KernelSessionInfo& info,
              std::unique_ptr<KernelChannel> channel, int configured = 0);
  // The last of a move: the session is in.
  bool enter(vpdn::SessionRef call, Session s, std::unique_ptr<KernelChannel> channel);
  // A channel whose pppN is configured (address, route to the peer) and no session takes:
  // pppN deleted and the kernel session gone before this returns, so the TUN's route for
  // the address, or a new open for the call, can follow.
  void discard_configured(int ifindex, std::unique_ptr<KernelChannel> channel);
  // A channel no session takes (never configured: its unit goes with it), on a closer thread
  // when there are any.
  void discard(std::unique_ptr<KernelChannel> channel);
  // Reads the acks of pppN configurations on `fd` (one reader; a new fd replaces it).
  bool watch_acks(int fd, std::string& error);
  void link_acks(ByteView datagram);
  std::shared_ptr<Reader> start_reader(int fd, bool datagram, std::function<void(ByteView)> handler,
                                       std::string& error);
  void release_tunnel_if_unused(std::uint16_t tunnel);
  void resume_numbering(vpdn::SessionRef call, const KernelChannel& channel);
  aaa::Counters close_session(std::map<vpdn::SessionRef, Session>::iterator it,
                              bool read_counters = true);
  void refresh_stats();
  void dump_reply(ByteView datagram);
  // A session's unit after release_channel: queued for the next delete_links batch, sent
  // once the protocol thread has handled what is ready (a StopCCN's sessions, a read's
  // worth of CDNs: the slower the kernel, the bigger the batches), or at kMaxDeleteBatch.
  // With closer threads the batch is deleted on one of them (`now`: on the protocol
  // thread, done when this returns).
  void retire(int ifindex, std::unique_ptr<KernelChannel> channel);
  void delete_retired(bool now = false);
  Closer& closer();  // started on first use
  // Batch deletes done on the closer threads, counted and logged here.
  void take_deleted();
  void count_delete(std::size_t links, const Status<netlink::Error>& s);
  // Writes `count` catch-up frames on the channel; the error text, empty when all went.
  std::string catch_up(int channel_fd, std::uint16_t count);

  boost::asio::io_context& io_;
  vpdn::IpPort& inner_;
  std::unique_ptr<KernelOps> ops_;
  Hooks hooks_;
  std::map<std::uint16_t, Tunnel> tunnels_;       // by our tunnel id
  std::map<vpdn::SessionRef, Session> sessions_;  // calls in the kernel
  std::uint64_t next_order_ = 0;                  // creation order, for stop()
  KernelPortCounters counters_;
  std::map<KernelStep, std::uint64_t> fallbacks_;
  std::shared_ptr<Bytes> buffer_;  // one receive buffer for every reader
  bool stopped_ = false;
  std::chrono::steady_clock::duration stats_max_age_ = std::chrono::seconds(5);
  std::chrono::steady_clock::duration dump_timeout_ = std::chrono::seconds(60);
  std::optional<std::chrono::steady_clock::time_point> stats_read_at_;  // last dump started
  struct Dump {
    std::shared_ptr<Reader> reader;
    std::uint32_t seq = 0;
    std::vector<netlink::LinkStats> links;
    std::chrono::steady_clock::time_point started;
  };
  std::optional<Dump> dump_;                                             // in flight
  std::vector<std::pair<int, std::unique_ptr<KernelChannel>>> retired_;  // ifindex, unit
  bool delete_posted_ = false;
  std::size_t close_threads_ = 0;
  std::unique_ptr<Closer> closer_;  // started on first use; joined (after its queue) by stop()
  std::size_t open_threads_ = 0;
  std::unique_ptr<Opener> opener_;  // started on first use; joined by stop()
  struct Opening {
    std::uint16_t vt = 0;
    Ipv4 address;
    KernelSessionInfo info;          // as at the start; data_sent is read again at the end
    bool cancelled = false;          // the call's IP went down meanwhile
    std::optional<LinkConfig> link;  // pppN's set-up the opener does after the open
  };
  std::map<vpdn::SessionRef, Opening> opening_;             // channel opens under way
  std::shared_ptr<char> alive_ = std::make_shared<char>();  // posted work's guard
  // Addresses LnsCalls asked a host route for, held back until session_ip_up says whether
  // the session goes into the kernel (pppN's own route then) or stays (the TUN's).
  std::set<std::pair<std::uint16_t, std::uint32_t>> deferred_routes_;
  struct PendingLink {
    vpdn::SessionRef call;
    std::size_t acks = 0;  // still to come
  };
  std::map<std::uint32_t, PendingLink> pending_links_;  // by request sequence number
  std::shared_ptr<Reader> ack_reader_;
  int ack_fd_ = -1;
};

// A pppN's counters the way the calls layer counts a session's frames (the L2TP payload:
// FF 03, protocol, information). ppp_generic counts the information only (skb->len minus
// the protocol), so each packet gets its 4 header octets back. rx is from the user: input.
aaa::Counters kernel_counters(const netlink::LinkStats& s);

}  // namespace vpdnd::app
