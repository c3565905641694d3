#include "vpdn/engine/transport.hpp"

#include <algorithm>

namespace vpdnd::vpdn::detail {

namespace {
void put_u16(Bytes& b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v);
}
}  // namespace

ReliableTransport::ReliableTransport(TimerService& timers, TransportSink& sink,
                                     TransportConfig config)
    : timers_(timers),
      sink_(sink),
      config_(config),
      timeout_(config.initial_timeout),
      retransmit_timer_(timers),
      ack_timer_(timers) {}

void ReliableTransport::send(Bytes packet) {
  if (stopped_ || packet.size() < kHeaderSize) return;
  pending_.push_back(std::move(packet));
  fill_window();
}

void ReliableTransport::stamp_and_transmit(Queued& q, bool retransmission) {
  put_u16(q.packet, 8, q.ns);
  put_u16(q.packet, 10, next_nr_);
  // Any message we send acknowledges everything received so far (piggybacked ack).
  ack_timer_.cancel();
  if (retransmission)
    ++counters_.retransmits;
  else
    ++counters_.sent;
  sink_.transmit(q.packet, retransmission);
}

void ReliableTransport::fill_window() {
  if (ssthresh_ == 0) ssthresh_ = peer_window_;
  const std::size_t limit = std::min<std::size_t>(peer_window_, cwnd_);
  while (!stopped_ && pending() > 0 && in_flight_.size() < limit) {
    in_flight_.push_back(Queued{next_ns_++, std::move(pending_[pending_head_++])});
    stamp_and_transmit(in_flight_.back(), false);
    if (stopped_) return;  // the sink may have shut us down
    if (!passive_ && !retransmit_timer_.armed()) {
      timeout_ = config_.initial_timeout;
      retransmit_timer_.arm(timeout_, [this] { on_retransmit_timer(); });
    }
  }
  compact_pending();
}

void ReliableTransport::compact_pending() {
  if (pending_head_ == pending_.size()) {
    pending_.clear();
    pending_head_ = 0;
  } else if (pending_head_ >= 64 && pending_head_ * 2 >= pending_.size()) {
    // Amortised O(1): at least as many messages were sent as are moved here.
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(pending_head_));
    pending_head_ = 0;
  }
}

void ReliableTransport::process_ack(std::uint16_t nr) {
  // Nr acknowledges every message with Ns < Nr. An Nr beyond what we sent is bogus: ignore it.
  if (seq_before(next_ns_, nr)) return;
  std::size_t acked = 0;
  while (acked < in_flight_.size() && seq_before(in_flight_[acked].ns, nr)) ++acked;
  if (acked == 0) return;
  in_flight_.erase(in_flight_.begin(), in_flight_.begin() + static_cast<std::ptrdiff_t>(acked));
  // Appendix A: slow start below the threshold, then one more per window of acks.
  for (std::size_t i = 0; i < acked; ++i) {
    if (cwnd_ < ssthresh_) {
      ++cwnd_;
    } else if (++acked_in_cwnd_ >= cwnd_) {
      acked_in_cwnd_ = 0;
      ++cwnd_;
    }
  }
  if (cwnd_ > peer_window_) cwnd_ = peer_window_;
  retries_ = 0;
  timeout_ = config_.initial_timeout;
  retransmit_timer_.cancel();
  if (!in_flight_.empty() && !passive_)
    retransmit_timer_.arm(timeout_, [this] { on_retransmit_timer(); });
  if (in_flight_.empty() && pending() == 0 && in_flight_.capacity() > 8) {
    // Idle tunnels should not keep a burst's worth of buffers.
    std::vector<Queued>().swap(in_flight_);
    std::vector<Bytes>().swap(pending_);
    pending_head_ = 0;
  }
  fill_window();
}

void ReliableTransport::set_passive(bool passive) {
  passive_ = passive;
  if (passive_) {
    retransmit_timer_.cancel();
  } else if (!stopped_ && !in_flight_.empty() && !retransmit_timer_.armed()) {
    timeout_ = config_.initial_timeout;
    retransmit_timer_.arm(timeout_, [this] { on_retransmit_timer(); });
  }
}

void ReliableTransport::retransmit_now() {
  for (auto& q : in_flight_) {
    if (stopped_) return;
    stamp_and_transmit(q, true);
  }
}

void ReliableTransport::on_retransmit_timer() {
  if (stopped_ || passive_ || in_flight_.empty()) return;
  if (retries_ >= config_.max_retries) {
    stopped_ = true;
    ack_timer_.cancel();
    sink_.failed();  // may destroy us
    return;
  }
  ++retries_;
  ssthresh_ = std::max<std::uint16_t>(1, static_cast<std::uint16_t>(cwnd_ / 2));
  cwnd_ = 1;
  acked_in_cwnd_ = 0;
  for (auto& q : in_flight_) {
    stamp_and_transmit(q, true);
    if (stopped_) return;
  }
  timeout_ = std::min(timeout_ * 2, config_.max_timeout);
  retransmit_timer_.arm(timeout_, [this] { on_retransmit_timer(); });
}

void ReliableTransport::on_receive(std::uint16_t ns, std::uint16_t nr, bool zlb, Bytes packet) {
  if (stopped_) return;
  process_ack(nr);
  if (stopped_) return;
  if (zlb) {
    ++counters_.zlb_received;
    return;
  }
  if (ns == next_nr_) {
    ++next_nr_;
    ++counters_.received;
    arm_ack();
    sink_.deliver(std::move(packet));
    // Drain what the gap was holding back.
    for (;;) {
      if (stopped_) return;
      auto it = std::find_if(reorder_.begin(), reorder_.end(),
                             [this](const Queued& q) { return q.ns == next_nr_; });
      if (it == reorder_.end()) break;
      Bytes next = std::move(it->packet);
      reorder_.erase(it);
      ++next_nr_;
      ++counters_.received;
      sink_.deliver(std::move(next));
    }
    if (reorder_.empty() && reorder_.capacity() > 0) std::vector<Queued>().swap(reorder_);
    return;
  }
  if (seq_before(ns, next_nr_)) {
    // Our ack was lost: acknowledge again at once, drop the copy.
    ++counters_.duplicates;
    send_zlb();
    return;
  }
  const std::uint16_t ahead = static_cast<std::uint16_t>(ns - next_nr_);
  if (ahead >= config_.receive_window) {
    ++counters_.beyond_window;
    return;
  }
  for (const auto& q : reorder_) {
    if (q.ns == ns) {
      ++counters_.duplicates;
      return;
    }
  }
  ++counters_.out_of_order;
  reorder_.push_back(Queued{ns, std::move(packet)});
  // Tell the peer where the gap is so it can retransmit without waiting for its full timeout.
  arm_ack();
}

void ReliableTransport::arm_ack() {
  if (!ack_timer_.armed()) ack_timer_.arm(config_.ack_delay, [this] { send_zlb(); });
}

void ReliableTransport::flush_ack() {
  if (ack_timer_.armed()) send_zlb();
}

void ReliableTransport::send_zlb() {
  if (stopped_) return;
  ack_timer_.cancel();
  Bytes zlb(kHeaderSize, 0);
  zlb[0] = 0xC8;  // T, L, S
  zlb[1] = 0x02;  // version 2
  put_u16(zlb, 2, kHeaderSize);
  put_u16(zlb, 4, peer_tunnel_id_);
  put_u16(zlb, 6, 0);
  put_u16(zlb, 8, next_ns_);
  put_u16(zlb, 10, next_nr_);
  ++counters_.zlb_sent;
  sink_.transmit(zlb, false);
}

void ReliableTransport::shutdown() {
  stopped_ = true;
  retransmit_timer_.cancel();
  ack_timer_.cancel();
  in_flight_.clear();
  pending_.clear();
  pending_head_ = 0;
  reorder_.clear();
}

}  // namespace vpdnd::vpdn::detail
