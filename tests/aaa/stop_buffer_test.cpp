// The stop-accounting buffer: Stops no server answered are kept, re-sent with a growing
// Acct-Delay-Time until answered or their attempts are spent, bounded, reset by the
// operator, and carried across a restart in the buffer file.
#include "aaa/core/stop_buffer.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "aaa/aaa.hpp"
#include "fake_radius.hpp"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace vpdnd::aaa {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::FakeRadius;

constexpr std::int64_t kEpoch = 1'765'000'000;

class StopBufferTest : public ::testing::Test {
 protected:
  StopBufferTest() {
    auto& c = store.mutable_running();
    config::RadiusScheme r1{.name = "r1"};
    r1.primary_accounting = config::RadiusServer{*Ipv4::parse("127.0.0.1"), 1813};
    r1.key_accounting.plain = "acct-secret-xyz";
    r1.realtime_accounting_min = 0;
    c.radius_schemes["r1"] = r1;
    config::Domain corp{.name = "corp.com"};
    corp.accounting_radius = true;
    corp.accounting_radius_scheme = "r1";
    c.domains["corp.com"] = corp;
    dir = fs::temp_directory_path() /
          ("vpdnd-stopbuf-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~StopBufferTest() override {
    aaa.reset();
    fs::remove_all(dir);
  }

  config::RadiusScheme& r1() { return store.mutable_running().radius_schemes["r1"]; }

  StopBufferOptions options(bool with_file = true) {
    StopBufferOptions o;
    if (with_file) o.file = (dir / "stop-accounting.buf").string();
    o.retry_interval = 10s;
    o.capacity = 5;
    o.window = 2;
    o.persist_delay = 1s;
    o.wall_clock = [this] {
      return kEpoch + std::chrono::duration_cast<std::chrono::seconds>(timers.now() -
                                                                       ManualTimerService().now())
                          .count();
    };
    return o;
  }

  void start(StopBufferOptions o) { aaa = std::make_unique<Aaa>(store, timers, radius, o); }

  Aaa::SessionId open(const std::string& user) {
    return aaa->open_session(
        {.user_name = user, .domain = "corp.com", .nas_port = 7, .nas_port_id = "eth1"});
  }

  // Answers every request on the wire with `outcome`.
  void answer_all(RadiusOutcome outcome) {
    auto pending = std::move(radius.accounting_);
    radius.accounting_.clear();
    for (auto& [id, a] : pending) a.done({outcome});
  }

  // Opens `n` sessions (Starts answered) and closes them; their Stops time out.
  void end_sessions_unanswered(int n, const std::string& prefix = "user") {
    std::vector<Aaa::SessionId> ids;
    for (int i = 0; i < n; ++i) ids.push_back(open(prefix + std::to_string(i)));
    answer_all(RadiusOutcome::accept);
    for (auto id : ids) aaa->close_session(id, TerminateCause::user_request);
    answer_all(RadiusOutcome::timeout);
  }

  std::vector<RadiusAccountingRequest> on_wire() const {
    std::vector<RadiusAccountingRequest> out;
    for (const auto& [id, a] : radius.accounting_) out.push_back(a.request);
    return out;
  }

  std::string file_text() const {
    std::ifstream in(dir / "stop-accounting.buf");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  config::ConfigStore store;
  ManualTimerService timers;
  FakeRadius radius;
  std::unique_ptr<Aaa> aaa;
  fs::path dir;
};

TEST_F(StopBufferTest, UnansweredStopIsResentWithGrowingDelayUntilAnswered) {
  start(options(false));
  auto id = open("alice");
  answer_all(RadiusOutcome::accept);
  timers.advance(100s);
  aaa->close_session(id, TerminateCause::user_request);
  ASSERT_EQ(on_wire().size(), 1u);
  EXPECT_EQ(on_wire()[0].delay_time_s, 0u);  // the first transmission carries no delay
  timers.advance(3s);
  answer_all(RadiusOutcome::timeout);  // the scheme's retries are spent
  EXPECT_EQ(aaa->accounting_in_flight(), 0u);
  auto buffered = aaa->stop_accounting_buffer();
  ASSERT_EQ(buffered.size(), 1u);
  EXPECT_EQ(buffered[0].user, "alice");
  EXPECT_EQ(buffered[0].scheme, "r1");
  EXPECT_EQ(buffered[0].attempts, 1u);
  EXPECT_EQ(buffered[0].event_time, kEpoch + 100);

  EXPECT_TRUE(on_wire().empty());
  timers.advance(10s);  // retry interval
  ASSERT_EQ(on_wire().size(), 1u);
  auto first = on_wire()[0];
  EXPECT_EQ(first.status, AcctStatus::stop);
  EXPECT_EQ(first.session_id, buffered[0].session_id);
  EXPECT_EQ(first.terminate_cause, TerminateCause::user_request);
  EXPECT_EQ(first.session_time_s, 100u);
  EXPECT_EQ(first.delay_time_s, 13u);
  timers.advance(5s);
  answer_all(RadiusOutcome::timeout);
  EXPECT_EQ(aaa->stop_accounting_buffer()[0].attempts, 2u);
  timers.advance(10s);
  ASSERT_EQ(on_wire().size(), 1u);
  EXPECT_EQ(on_wire()[0].delay_time_s, 28u);
  answer_all(RadiusOutcome::accept);
  EXPECT_TRUE(aaa->stop_accounting_buffer().empty());
  auto st = aaa->stop_buffer_statistics();
  EXPECT_EQ(st.buffered, 1u);
  EXPECT_EQ(st.answered, 1u);
  timers.advance(60s);
  EXPECT_TRUE(on_wire().empty());  // nothing more is sent
}

TEST_F(StopBufferTest, DisabledBufferLosesTheStop) {
  r1().stop_accounting_buffer = false;
  start(options(false));
  end_sessions_unanswered(1);
  EXPECT_TRUE(aaa->stop_accounting_buffer().empty());
  timers.advance(60s);
  EXPECT_TRUE(on_wire().empty());
}

TEST_F(StopBufferTest, OnlyStopsAreBuffered) {
  start(options(false));
  open("alice");
  answer_all(RadiusOutcome::timeout);  // the Start
  EXPECT_TRUE(aaa->stop_accounting_buffer().empty());
}

TEST_F(StopBufferTest, AttemptsAreBoundedByRetryStopAccounting) {
  r1().retry_stop_accounting = 3;
  start(options(false));
  end_sessions_unanswered(1);
  for (int i = 0; i < 2; ++i) {
    timers.advance(10s);
    ASSERT_EQ(on_wire().size(), 1u) << i;
    answer_all(RadiusOutcome::error);
  }
  EXPECT_TRUE(aaa->stop_accounting_buffer().empty());
  EXPECT_EQ(aaa->stop_buffer_statistics().dropped_attempts, 1u);
  timers.advance(100s);
  EXPECT_TRUE(on_wire().empty());
}

TEST_F(StopBufferTest, FullBufferDropsTheOldest) {
  start(options(false));
  end_sessions_unanswered(7);  // capacity 5
  auto b = aaa->stop_accounting_buffer();
  ASSERT_EQ(b.size(), 5u);
  EXPECT_EQ(b.front().user, "user2");
  EXPECT_EQ(b.back().user, "user6");
  auto st = aaa->stop_buffer_statistics();
  EXPECT_EQ(st.dropped_full, 2u);
  EXPECT_EQ(st.buffered, 7u);
  EXPECT_EQ(st.capacity, 5u);
}

TEST_F(StopBufferTest, ResendsAreWindowedAndDrainWhenTheServerReturns) {
  start(options(false));
  end_sessions_unanswered(5);
  timers.advance(10s);
  EXPECT_EQ(on_wire().size(), 1u);  // the server did not answer: one probe
  answer_all(RadiusOutcome::accept);
  EXPECT_EQ(on_wire().size(), 2u);  // answered: window 2, the next ones follow at once
  answer_all(RadiusOutcome::accept);
  EXPECT_EQ(on_wire().size(), 2u);
  answer_all(RadiusOutcome::accept);
  EXPECT_TRUE(aaa->stop_accounting_buffer().empty());
  EXPECT_EQ(aaa->stop_buffer_statistics().answered, 5u);
}

TEST_F(StopBufferTest, AfterAFailureOneProbeAtATimeUntilAnswered) {
  start(options(false));
  end_sessions_unanswered(5);
  timers.advance(10s);
  ASSERT_EQ(on_wire().size(), 1u);
  answer_all(RadiusOutcome::timeout);
  // The remaining due Stops go one at a time: the server is probed, not flooded.
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(on_wire().size(), 1u) << i;
    answer_all(RadiusOutcome::timeout);
  }
  EXPECT_TRUE(on_wire().empty());
  timers.advance(10s);
  EXPECT_EQ(on_wire().size(), 1u);
  answer_all(RadiusOutcome::accept);
  EXPECT_EQ(on_wire().size(), 2u);  // the window reopens
}

TEST_F(StopBufferTest, ResetRemovesMatchingEntries) {
  start(options(false));
  end_sessions_unanswered(3);
  timers.advance(10s);  // user0 on the wire: a reset cancels it
  auto n = aaa->reset_stop_accounting_buffer(
      [](const BufferedStop& b) { return b.user == "user0" || b.user == "user2"; });
  EXPECT_EQ(n, 2u);
  ASSERT_EQ(aaa->stop_accounting_buffer().size(), 1u);
  EXPECT_EQ(aaa->stop_accounting_buffer()[0].user, "user1");
  EXPECT_EQ(aaa->stop_buffer_statistics().reset, 2u);
  EXPECT_EQ(radius.cancelled_.size(), 1u);  // user0 was on the wire
  answer_all(RadiusOutcome::accept);
  EXPECT_TRUE(aaa->stop_accounting_buffer().empty());
}

TEST_F(StopBufferTest, SchemeWithoutAccountingServerDropsOnResend) {
  start(options(false));
  end_sessions_unanswered(1);
  r1().primary_accounting.reset();
  timers.advance(10s);
  EXPECT_TRUE(on_wire().empty());
  EXPECT_TRUE(aaa->stop_accounting_buffer().empty());
  EXPECT_EQ(aaa->stop_buffer_statistics().dropped_unusable, 1u);
}

TEST_F(StopBufferTest, BufferSurvivesARestartThroughItsFile) {
  start(options());
  end_sessions_unanswered(2);
  timers.advance(1s);  // persist delay
  struct stat st {};
  ASSERT_EQ(::stat((dir / "stop-accounting.buf").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_EQ(file_text().find("acct-secret-xyz"), std::string::npos);
  EXPECT_NE(file_text().find("scheme=r1"), std::string::npos);
  auto before = aaa->stop_accounting_buffer();
  // A third session whose Stop is still on the wire at shutdown joins the buffer.
  auto id = open("late");
  answer_all(RadiusOutcome::accept);
  aaa->close_session(id, TerminateCause::admin_reboot);
  ASSERT_EQ(on_wire().size(), 1u);
  aaa.reset();
  EXPECT_FALSE(fs::exists(dir / "stop-accounting.buf.tmp"));

  radius.accounting_.clear();
  timers.advance(50s);  // down for a while
  start(options());
  auto after = aaa->stop_accounting_buffer();
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(after[0].session_id, before[0].session_id);
  EXPECT_EQ(after[1].session_id, before[1].session_id);
  EXPECT_EQ(after[2].user, "late");
  timers.run_due();  // re-sent right after the start
  ASSERT_EQ(on_wire().size(), 2u);
  for (const auto& r : on_wire()) {
    EXPECT_EQ(r.status, AcctStatus::stop);
    EXPECT_EQ(r.delay_time_s, 51u);
    EXPECT_EQ(r.nas_port, 7u);
    EXPECT_EQ(r.nas_port_id, "eth1");
  }
  answer_all(RadiusOutcome::accept);
  ASSERT_EQ(on_wire().size(), 1u);
  EXPECT_EQ(on_wire()[0].user_name, "late");
  EXPECT_EQ(on_wire()[0].terminate_cause, TerminateCause::admin_reboot);
  answer_all(RadiusOutcome::accept);
  EXPECT_TRUE(aaa->stop_accounting_buffer().empty());
  timers.advance(1s);
  start(options());  // the emptied buffer was written too
  EXPECT_TRUE(aaa->stop_accounting_buffer().empty());
}

TEST_F(StopBufferTest, DamagedFileLinesAreCountedNotFatal) {
  {
    std::ofstream out(dir / "stop-accounting.buf");
    out << "# vpdnd stop-accounting-buffer 1\n"
        << "stop scheme=r1 sid=00000001 event=" << kEpoch << " attempts=2 user=a%40b\n"
        << "garbage line\n"
        << "stop scheme=r1 sid=00000002 event=notanumber\n"
        << "stop scheme=r1 sid=00000003 event=1 user=%zz\n";
  }
  start(options());
  auto b = aaa->stop_accounting_buffer();
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].user, "a@b");
  EXPECT_EQ(b[0].attempts, 2u);
  EXPECT_EQ(aaa->stop_buffer_statistics().load_errors, 3u);
}

TEST(StopBufferCodec, RoundTripsEveryField) {
  detail::StopRecord r;
  r.scheme = "r 1%";
  r.event_time = kEpoch;
  r.attempts = 4;
  auto& q = r.request;
  q.status = AcctStatus::stop;
  q.session_id = "1A2B3C0000000005";
  q.user_name = "al ice@corp.com\n=x";
  q.framed_ip = *Ipv4::parse("10.1.2.3");
  q.calling_station_id = "00-11-22-33-44-55";
  q.called_station_id = "5551234";
  q.nas_port = 9;
  q.nas_port_id = "Virtual-Template1";
  q.session_time_s = 3600;
  q.counters = {
      .input_octets = 1ull << 40, .output_octets = 7, .input_packets = 8, .output_packets = 9};
  q.terminate_cause = TerminateCause::lost_carrier;
  detail::StopRecord bare;
  bare.scheme = "r2";
  bare.event_time = 1;
  bare.request.status = AcctStatus::stop;
  bare.request.session_id = "x";
  std::string text = detail::encode_stop_buffer({r, bare});
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);
  auto d = detail::decode_stop_buffer(text);
  EXPECT_EQ(d.bad_lines, 0u);
  ASSERT_EQ(d.records.size(), 2u);
  EXPECT_TRUE(d.records[0] == r);
  EXPECT_TRUE(d.records[1] == bare);
}

TEST(StopBufferCodec, AtomicWriteReplacesAndKeepsMode0600) {
  fs::path p = fs::temp_directory_path() / ("vpdnd-atomic-" + std::to_string(::getpid()));
  { std::ofstream(p) << "old"; }
  fs::permissions(p, fs::perms::all);
  EXPECT_EQ(detail::write_file_atomically(p.string(), "new\n"), "");
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "new");
  struct stat st {};
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  fs::remove(p);
  EXPECT_NE(detail::write_file_atomically("/nonexistent-dir-vpdnd/x", "y"), "");
}

}  // namespace
}  // namespace vpdnd::aaa
