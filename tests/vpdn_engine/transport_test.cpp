#include "vpdn/engine/transport.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace vpdnd::vpdn::detail {
namespace {

struct Sent {
  Bytes packet;
  bool retransmission;
  TimePoint at;
  std::uint16_t ns() const { return static_cast<std::uint16_t>(packet[8] << 8 | packet[9]); }
  std::uint16_t nr() const { return static_cast<std::uint16_t>(packet[10] << 8 | packet[11]); }
  bool zlb() const { return packet.size() == 12; }
};

class Recorder : public TransportSink {
 public:
  explicit Recorder(ManualTimerService& t) : timers(t) {}
  void transmit(const Bytes& p, bool re) override { sent.push_back({p, re, timers.now()}); }
  void deliver(Bytes p) override { delivered.push_back(std::move(p)); }
  void failed() override {
    ++failures;
    failed_at = timers.now();
  }
  ManualTimerService& timers;
  std::vector<Sent> sent;
  std::vector<Bytes> delivered;
  int failures = 0;
  TimePoint failed_at{};
};

// A control message: header + one fake AVP byte pattern tagged with `tag`.
Bytes msg(std::uint8_t tag) {
  Bytes b(20, 0);
  b[0] = 0xC8;
  b[1] = 0x02;
  b[3] = 20;
  b[19] = tag;
  return b;
}

struct TransportTest : ::testing::Test {
  ManualTimerService timers;
  Recorder rec{timers};
  TransportConfig cfg;
  std::unique_ptr<ReliableTransport> t;
  void make() { t = std::make_unique<ReliableTransport>(timers, rec, cfg); }
  void SetUp() override {
    cfg.ack_delay = std::chrono::milliseconds(200);
    make();
  }
};

TEST_F(TransportTest, StampsNsAndNrAndCountsUp) {
  t->set_peer_window(8);
  t->send(msg(1));
  ASSERT_EQ(rec.sent.size(), 1u);
  EXPECT_EQ(rec.sent[0].ns(), 0);
  EXPECT_EQ(rec.sent[0].nr(), 0);
  t->on_receive(0, 1, false, msg(9));  // peer acks ours and sends one
  ASSERT_EQ(rec.delivered.size(), 1u);
  t->send(msg(2));
  ASSERT_EQ(rec.sent.size(), 2u);
  EXPECT_EQ(rec.sent[1].ns(), 1);
  EXPECT_EQ(rec.sent[1].nr(), 1);  // piggybacked ack
  EXPECT_EQ(t->next_ns(), 2);
}

TEST_F(TransportTest, RetransmissionScheduleDoublesCappedAtEightThenFails) {
  t->send(msg(1));
  timers.advance(std::chrono::seconds(40));
  std::vector<int> at;
  for (auto& s : rec.sent)
    at.push_back(static_cast<int>(
        std::chrono::duration_cast<std::chrono::seconds>(s.at - rec.sent[0].at).count()));
  // sent at 0, retransmitted after 1, 2, 4, 8, 8 seconds.
  EXPECT_EQ(at, (std::vector<int>{0, 1, 3, 7, 15, 23}));
  for (std::size_t i = 1; i < rec.sent.size(); ++i) {
    EXPECT_TRUE(rec.sent[i].retransmission);
    EXPECT_EQ(rec.sent[i].ns(), 0);
  }
  EXPECT_EQ(rec.failures, 1);
  EXPECT_EQ(rec.failed_at - rec.sent[0].at, std::chrono::seconds(31));
  EXPECT_EQ(t->counters().retransmits, 5u);
  EXPECT_EQ(timers.pending(), 0u);
}

TEST_F(TransportTest, MaxRetriesIsConfigurable) {
  cfg.max_retries = 2;
  make();
  t->send(msg(1));
  timers.advance(std::chrono::seconds(60));
  EXPECT_EQ(rec.sent.size(), 3u);
  EXPECT_EQ(rec.failures, 1);
  EXPECT_EQ(rec.failed_at - rec.sent[0].at, std::chrono::seconds(7));
}

TEST_F(TransportTest, AckStopsRetransmissionAndResetsBackoff) {
  t->send(msg(1));
  timers.advance(std::chrono::milliseconds(3500));  // two retransmissions
  EXPECT_EQ(rec.sent.size(), 3u);
  t->on_receive(0, 1, true, {});
  EXPECT_EQ(t->unacked(), 0u);
  timers.advance(std::chrono::seconds(60));
  EXPECT_EQ(rec.sent.size(), 3u);
  EXPECT_EQ(rec.failures, 0);
  // The next message starts again at 1 s.
  t->send(msg(2));
  timers.advance(std::chrono::milliseconds(1001));
  ASSERT_EQ(rec.sent.size(), 5u);
  EXPECT_EQ(rec.sent[4].at - rec.sent[3].at, std::chrono::seconds(1));
}

TEST_F(TransportTest, LostMessageRecoveredByRetransmission) {
  t->send(msg(1));  // "lost": the peer never sees it
  timers.advance(std::chrono::seconds(1));
  ASSERT_EQ(rec.sent.size(), 2u);
  EXPECT_EQ(rec.sent[1].packet, rec.sent[0].packet);
  t->on_receive(0, 1, true, {});
  EXPECT_TRUE(t->idle());
}

TEST_F(TransportTest, DelayedZlbAckUnlessPiggybacked) {
  t->on_receive(0, 0, false, msg(1));
  EXPECT_TRUE(rec.sent.empty());
  timers.advance(cfg.ack_delay);
  ASSERT_EQ(rec.sent.size(), 1u);
  EXPECT_TRUE(rec.sent[0].zlb());
  EXPECT_EQ(rec.sent[0].nr(), 1);
  EXPECT_EQ(rec.sent[0].ns(), 0);
  EXPECT_EQ(t->next_ns(), 0);  // a ZLB consumes no Ns
  // Piggyback: a reply sent before the delay cancels the ZLB.
  t->on_receive(1, 0, false, msg(2));
  t->send(msg(3));
  timers.advance(std::chrono::seconds(0) + cfg.ack_delay * 2);
  ASSERT_EQ(rec.sent.size(), 2u);
  EXPECT_FALSE(rec.sent[1].zlb());
  EXPECT_EQ(rec.sent[1].nr(), 2);
}

TEST_F(TransportTest, ZeroAckDelayAcksAfterTheCurrentEventOnce) {
  cfg.ack_delay = Duration::zero();
  make();
  t->on_receive(0, 0, false, msg(1));
  t->on_receive(1, 0, false, msg(2));
  EXPECT_TRUE(rec.sent.empty());  // not inside the receive path
  timers.run_due();
  ASSERT_EQ(rec.sent.size(), 1u);  // one ZLB for the burst
  EXPECT_TRUE(rec.sent[0].zlb());
  EXPECT_EQ(rec.sent[0].nr(), 2);
  // A reply in the same event piggybacks instead.
  t->on_receive(2, 0, false, msg(3));
  t->send(msg(4));
  timers.run_due();
  ASSERT_EQ(rec.sent.size(), 2u);
  EXPECT_FALSE(rec.sent[1].zlb());
  EXPECT_EQ(rec.sent[1].nr(), 3);
}

TEST_F(TransportTest, DuplicateIsReackedImmediatelyAndDropped) {
  t->on_receive(0, 0, false, msg(1));
  timers.advance(cfg.ack_delay);
  ASSERT_EQ(rec.sent.size(), 1u);
  t->on_receive(0, 0, false, msg(1));  // the peer did not get our ZLB
  ASSERT_EQ(rec.sent.size(), 2u);
  EXPECT_TRUE(rec.sent[1].zlb());
  EXPECT_EQ(rec.sent[1].nr(), 1);
  EXPECT_EQ(rec.delivered.size(), 1u);
  EXPECT_EQ(t->counters().duplicates, 1u);
}

TEST_F(TransportTest, OutOfOrderWithinWindowIsQueuedAndDeliveredInOrder) {
  t->on_receive(2, 0, false, msg(3));
  t->on_receive(1, 0, false, msg(2));
  t->on_receive(2, 0, false, msg(3));  // duplicate of a queued one
  EXPECT_TRUE(rec.delivered.empty());
  t->on_receive(0, 0, false, msg(1));
  ASSERT_EQ(rec.delivered.size(), 3u);
  EXPECT_EQ(rec.delivered[0][19], 1);
  EXPECT_EQ(rec.delivered[1][19], 2);
  EXPECT_EQ(rec.delivered[2][19], 3);
  EXPECT_EQ(t->next_nr(), 3);
  EXPECT_EQ(t->counters().out_of_order, 2u);
  EXPECT_EQ(t->counters().duplicates, 1u);
}

TEST_F(TransportTest, BeyondWindowIsDroppedAndCounted) {
  cfg.receive_window = 4;
  make();
  t->on_receive(4, 0, false, msg(5));
  t->on_receive(3, 0, false, msg(4));
  EXPECT_EQ(t->counters().beyond_window, 1u);
  EXPECT_EQ(t->counters().out_of_order, 1u);
  for (std::uint16_t i = 0; i < 3; ++i)
    t->on_receive(i, 0, false, msg(static_cast<std::uint8_t>(i + 1)));
  EXPECT_EQ(rec.delivered.size(), 4u);
  EXPECT_EQ(t->next_nr(), 4);
}

TEST_F(TransportTest, PeerWindowLimitsMessagesInFlight) {
  t->set_peer_window(4);
  for (std::uint8_t i = 0; i < 10; ++i) t->send(msg(i));
  // Slow start: one message until the first ack.
  EXPECT_EQ(rec.sent.size(), 1u);
  std::uint16_t acked = 0;
  for (int round = 0; round < 10 && !t->idle(); ++round) {
    EXPECT_LE(t->unacked(), 4u);
    acked = static_cast<std::uint16_t>(acked + t->unacked());
    t->on_receive(0, acked, true, {});
  }
  EXPECT_TRUE(t->idle());
  EXPECT_EQ(rec.sent.size(), 10u);
  EXPECT_EQ(t->congestion_window(), 4);
  for (std::size_t i = 0; i < rec.sent.size(); ++i) EXPECT_EQ(rec.sent[i].ns(), i);
}

TEST_F(TransportTest, FullWindowHoldsBackUntilAcked) {
  t->set_peer_window(1);
  t->send(msg(1));
  t->send(msg(2));
  EXPECT_EQ(t->unacked(), 1u);
  EXPECT_EQ(t->pending(), 1u);
  timers.advance(std::chrono::seconds(1));  // retransmits only the one in flight
  ASSERT_EQ(rec.sent.size(), 2u);
  EXPECT_EQ(rec.sent[1].ns(), 0);
  t->on_receive(0, 1, true, {});
  ASSERT_EQ(rec.sent.size(), 3u);
  EXPECT_EQ(rec.sent[2].ns(), 1);
}

TEST_F(TransportTest, BogusNrBeyondSentIsIgnored) {
  t->send(msg(1));
  t->on_receive(0, 500, true, {});
  EXPECT_EQ(t->unacked(), 1u);
}

TEST_F(TransportTest, SequenceNumbersWrap) {
  EXPECT_TRUE(seq_before(65535, 0));
  EXPECT_FALSE(seq_before(0, 65535));
  // Drive the receive side across the wrap.
  for (std::uint32_t i = 0; i < 65540; ++i) {
    t->on_receive(static_cast<std::uint16_t>(i), 0, false, msg(1));
  }
  EXPECT_EQ(rec.delivered.size(), 65540u);
  EXPECT_EQ(t->next_nr(), 4);
  EXPECT_EQ(t->counters().duplicates, 0u);
}

TEST_F(TransportTest, ShutdownStopsEverything) {
  t->send(msg(1));
  t->on_receive(0, 0, false, msg(1));
  t->shutdown();
  EXPECT_EQ(timers.pending(), 0u);
  timers.advance(std::chrono::seconds(60));
  EXPECT_EQ(rec.sent.size(), 1u);
}

TEST_F(TransportTest, PassiveRetransmitsOnlyOnRequestAndNeverFails) {
  t->set_passive(true);
  t->send(msg(1));
  ASSERT_EQ(rec.sent.size(), 1u);
  timers.advance(std::chrono::seconds(120));
  EXPECT_EQ(rec.sent.size(), 1u);
  EXPECT_EQ(rec.failures, 0);
  t->retransmit_now();
  ASSERT_EQ(rec.sent.size(), 2u);
  EXPECT_TRUE(rec.sent[1].retransmission);
  EXPECT_EQ(rec.sent[1].ns(), 0);
  // Leaving passive mode starts the usual schedule for what is still in flight.
  t->set_passive(false);
  timers.advance(std::chrono::seconds(1));
  EXPECT_EQ(rec.sent.size(), 3u);
  timers.advance(std::chrono::seconds(30));
  EXPECT_EQ(rec.failures, 1);
}

}  // namespace
}  // namespace vpdnd::vpdn::detail
