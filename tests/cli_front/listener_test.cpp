// The listener alone, with a fake service on loopback: the pending-slot admission (per
// source, the oldest evicted), the logged-in slots and stop().
#include "cli/front/listener.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "cli/front/io.hpp"
#include "tests/support/process.hpp"
#include "tests/support/term_client.hpp"

namespace vpdnd::cli::front {
namespace {

using namespace std::chrono_literals;

class ListenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    listener_ = std::make_unique<TerminalListener>(TerminalListener::Service{
        .name = "test",
        .event = "test",
        .limits = {.max_sessions = 1, .max_pending = 2, .max_pending_per_source = 1},
        .enabled = [this] { return enabled_.load(); },
        .serve =
            [this](Connection& c) {
              write_all(c.fd, "hello\r\n");
              bool in = false;
              while (!c.stop.load()) {
                // A client sending "login" takes a logged-in slot.
                char b = 0;
                if (!in && ::recv(c.fd, &b, 1, MSG_DONTWAIT) == 1 && b == 'L') {
                  in = true;
                  write_all(c.fd, listener_->log_in(c) ? "in\r\n" : "full\r\n");
                }
                std::this_thread::sleep_for(5ms);
              }
            },
        .source_busy_text = "busy\r\n",
        .full_text = "full\r\n",
    });
    ASSERT_EQ(listener_->start("127.0.0.1", 0), "");
  }
  void TearDown() override {
    listener_->stop();
    for (int fd : fds_) ::close(fd);
  }

  test::TermClient open(const char* source) {
    int fd = test::connect_tcp(listener_->port(), source);
    EXPECT_GE(fd, 0);
    fds_.push_back(fd);
    return test::TermClient(fd);
  }
  // A connection the service serves (it says hello).
  test::TermClient served(const char* source) {
    test::TermClient c = open(source);
    EXPECT_TRUE(c.expect("hello")) << source;
    return c;
  }

  std::atomic<bool> enabled_{true};
  std::unique_ptr<TerminalListener> listener_;
  std::vector<int> fds_;
};

TEST_F(ListenerTest, PendingSlotsPerSourceAndTheOldestMakesRoom) {
  auto a = served("127.0.0.1");
  auto again = open("127.0.0.1");  // one pending per source
  ASSERT_TRUE(again.expect("busy"));
  EXPECT_TRUE(again.wait_eof(2000ms));
  auto b = served("127.0.0.2");
  EXPECT_EQ(listener_->active_sessions(), 2u);
  served("127.0.0.3");  // both pending slots taken: the oldest (a) goes
  EXPECT_TRUE(a.wait_eof(2000ms));
  EXPECT_FALSE(b.wait_eof(100ms));
}

TEST_F(ListenerTest, LoggedInConnectionsLeaveThePendingSlots) {
  auto a = served("127.0.0.1");
  a.send("L");
  ASSERT_TRUE(a.expect("in"));
  auto b = served("127.0.0.1");  // a is logged in: its source has a pending slot again
  b.send("L");
  ASSERT_TRUE(b.expect("full"));  // one logged-in slot
  served("127.0.0.2");
  served("127.0.0.3");  // evicts b, never the logged-in a
  EXPECT_TRUE(b.wait_eof(2000ms));
  EXPECT_FALSE(a.wait_eof(100ms));
}

TEST_F(ListenerTest, DisabledServiceClosesAtOnceAndStopEndsEveryConnection) {
  auto a = served("127.0.0.1");
  enabled_.store(false);
  auto b = open("127.0.0.2");
  EXPECT_TRUE(b.wait_eof(2000ms));
  EXPECT_EQ(b.all(), "");
  auto t0 = std::chrono::steady_clock::now();
  listener_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1000ms);
  EXPECT_TRUE(a.wait_eof(1000ms));
  EXPECT_EQ(listener_->active_sessions(), 0u);
}

}  // namespace
}  // namespace vpdnd::cli::front
