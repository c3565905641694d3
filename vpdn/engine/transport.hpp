// DOC: the reliable control channel of one tunnel (RFC 2661 §5.8, §5.10, Appendix A).
// A plain class: no sockets, no Asio. The owner (the tunnel) hands it fully encoded control
// messages whose header already carries the right Tunnel/Session IDs; the transport stamps
// Ns and Nr into the fixed control header (flags, length, tid, sid, Ns, Nr: Ns at byte 8,
// Nr at byte 10, RFC 2661 §3.1 requires L and S on control messages and forbids O) at each
// (re)transmission, so a retransmission always carries our latest Nr.
//
// Sending: at most min(peer RWS, congestion window) messages are unacknowledged at once;
// more wait in a pending queue. The congestion window follows Appendix A (slow start from 1,
// congestion avoidance above the threshold, back to 1 on a retransmission timeout).
// Retransmission: the oldest unacknowledged message (and the others in flight with it) after
// 1 s, doubling up to 8 s; after `max_retries` retransmissions without progress the sink's
// failed() is called. Defaults: 1,2,4,8,8 then failure at 31 s, matching the RFC's
// "full retransmission cycle".
// Receiving: in-order messages are delivered upward; duplicates (Ns behind us) are counted,
// re-acknowledged with an immediate ZLB and dropped; out-of-order messages within our
// advertised window are queued until the gap fills; beyond the window they are dropped and
// counted. Acknowledgement is piggybacked on our next message, else a ZLB goes after
// `ack_delay`. The default delay is zero: the ZLB timer then fires once the current
// receive batch has been processed, which still piggybacks every reply the FSMs make (they
// answer synchronously) and coalesces a burst into one ZLB, without adding latency that a
// peer waiting for our ack (tunnel/session setup) would pay.
// Threading: protocol thread only. The sink may destroy the transport only from failed()
// and must return immediately (the owner defers real destruction).
#pragma once

#include <cstdint>
#include <vector>

#include "common/bytes.hpp"
#include "common/timer.hpp"

namespace vpdnd::vpdn::detail {

// 16-bit sequence arithmetic (RFC 2661 §5.8: "modulo 65536").
inline bool seq_before(std::uint16_t a, std::uint16_t b) {
  return static_cast<std::int16_t>(static_cast<std::uint16_t>(a - b)) < 0;
}

struct TransportConfig {
  // Our Receive Window Size (advertised in SCCRQ/SCCRP): how many out-of-order messages we
  // queue. 16 keeps a burst of ICRQs flowing without letting a peer make us queue much.
  std::uint16_t receive_window = 16;
  // Retransmission timeout: 1 s, doubling up to 8 s; failed() after 5 retransmissions.
  Duration initial_timeout = std::chrono::seconds(1);
  Duration max_timeout = std::chrono::seconds(8);
  unsigned max_retries = 5;
  // 0 = ZLB at the end of the current receive batch unless a reply piggybacks the ack
  // (see above for why no fixed delay).
  Duration ack_delay = Duration::zero();
};

struct TransportCounters {
  std::uint64_t sent = 0;         // new messages transmitted (not ZLBs)
  std::uint64_t retransmits = 0;  // message retransmissions
  std::uint64_t zlb_sent = 0;
  std::uint64_t received = 0;  // messages delivered upward
  std::uint64_t zlb_received = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t out_of_order = 0;   // queued
  std::uint64_t beyond_window = 0;  // dropped
};

class TransportSink {
 public:
  virtual ~TransportSink() = default;
  // One datagram to the peer. `retransmission` for logging/counting only.
  virtual void transmit(const Bytes& packet, bool retransmission) = 0;
  // An in-order, non-ZLB control message for the FSM (header with its Ns/Nr included).
  virtual void deliver(Bytes packet) = 0;
  // Retries exhausted: the peer is gone.
  virtual void failed() = 0;
};

class ReliableTransport {
 public:
  static constexpr std::size_t kHeaderSize = 12;

  ReliableTransport(TimerService& timers, TransportSink& sink, TransportConfig config = {});
  ReliableTransport(const ReliableTransport&) = delete;
  ReliableTransport& operator=(const ReliableTransport&) = delete;

  // The peer's Receive Window Size AVP (RFC 2661 §4.4.3; 4 when absent). 0 is invalid and
  // treated as 1 so we can still talk.
  void set_peer_window(std::uint16_t w) { peer_window_ = w == 0 ? 1 : w; }
  // Retransmissions without progress before failed() (e.g. fewer while another LNS waits).
  void set_max_retries(unsigned n) { config_.max_retries = n; }
  std::uint16_t peer_window() const { return peer_window_; }
  // Tunnel ID to put into ZLBs (the peer's Assigned Tunnel ID; 0 until known).
  void set_peer_tunnel_id(std::uint16_t id) { peer_tunnel_id_ = id; }

  // Queues a control message (>= 12 bytes, control header). Ns/Nr are stamped here.
  void send(Bytes packet);
  // A received control message with a valid header. `zlb` when it carries no AVP.
  void on_receive(std::uint16_t ns, std::uint16_t nr, bool zlb, Bytes packet);
  // Sends any pending acknowledgement now (e.g. for a StopCCN we are about to forget).
  void flush_ack();
  // Passive: messages in flight are not retransmitted on our own timer (and never count
  // towards failure); only retransmit_now() sends them again. For a peer that has not yet
  // shown it receives our packets, so a spoofed source cannot make us send it a full
  // retransmission cycle per datagram it forged. Leaving passive mode starts the timer.
  void set_passive(bool passive);
  bool passive() const { return passive_; }
  // Sends every message in flight once more (the peer asked again, e.g. a duplicate SCCRQ).
  void retransmit_now();
  // Forgets the messages still waiting for window space (never sent, no Ns yet): before a
  // StopCCN, which ends every session of the tunnel, the CDNs queued behind a full window
  // would only hold it back.
  void drop_pending() {
    pending_.clear();
    pending_head_ = 0;
  }
  // Stops all timers; nothing more is sent or retransmitted.
  void shutdown();

  std::uint16_t next_ns() const { return next_ns_; }
  std::uint16_t next_nr() const { return next_nr_; }
  std::size_t unacked() const { return in_flight_.size(); }
  std::size_t pending() const { return pending_.size() - pending_head_; }
  bool idle() const { return in_flight_.empty() && pending() == 0; }
  const TransportCounters& counters() const { return counters_; }
  unsigned retries() const { return retries_; }
  std::uint16_t congestion_window() const { return cwnd_; }

 private:
  struct Queued {
    std::uint16_t ns;
    Bytes packet;
  };
  void stamp_and_transmit(Queued& q, bool retransmission);
  void fill_window();
  void compact_pending();
  void process_ack(std::uint16_t nr);
  void on_retransmit_timer();
  void send_zlb();
  void arm_ack();

  TimerService& timers_;
  TransportSink& sink_;
  TransportConfig config_;
  std::uint16_t peer_window_ = 4;
  std::uint16_t peer_tunnel_id_ = 0;
  std::uint16_t next_ns_ = 0;  // Ns of the next new message
  std::uint16_t next_nr_ = 0;  // Ns we expect next from the peer
  std::uint16_t cwnd_ = 1;
  std::uint16_t ssthresh_ = 0;  // set from the peer window on first use
  std::uint16_t acked_in_cwnd_ = 0;
  unsigned retries_ = 0;
  Duration timeout_;
  bool stopped_ = false;
  bool passive_ = false;
  std::vector<Queued> in_flight_;  // sent, unacknowledged, oldest first
  // Waiting for window space, consumed from pending_head_ and compacted as it drains: a
  // vector erased at the front cost O(n) per message sent (quadratic with thousands queued
  // behind a small window), and a deque allocates its block map even when empty, on every
  // tunnel.
  std::vector<Bytes> pending_;
  std::size_t pending_head_ = 0;
  std::vector<Queued> reorder_;  // received ahead of next_nr_
  TimerSlot retransmit_timer_;
  TimerSlot ack_timer_;
  TransportCounters counters_;
};

}  // namespace vpdnd::vpdn::detail
