// `radius dynamic-author server` (RFC 5176 DAE): the view, its commands, keys shown only in
// cipher form, the save/load round trip, and the statistics display.
#include "tests/cli_lang/fixture.hpp"

namespace vpdnd::cli::test {
namespace {

class DaeCliTest : public ShellTest {
 protected:
  struct Ops final : FakeOperations {
    aaa::DaeStatistics dae;
    aaa::DaeStatistics dae_statistics() const override { return dae; }
    void reset_dae_statistics() override { dae = {}; }
    std::uint16_t dae_port() const override { return 3799; }
  };
};

TEST_F(DaeCliTest, ViewClientsAndPort) {
  auto s = session_in({"system-view", "radius dynamic-author server",
                       "client ip 192.0.2.10 key simple s3cr3t-one",
                       "client ip 192.0.2.11 key simple two", "port 3790"});
  EXPECT_EQ(s->prompt(), "[VPDN-radius-da-server]");
  // A port out of range, a client without its key, the removal of a client never configured.
  for (const char* line : {"port 0", "client ip 192.0.2.12", "undo client ip 192.0.2.99"})
    EXPECT_FALSE(s->execute(line).ok) << line;
  auto c = running().dynamic_author;
  EXPECT_TRUE(c.enabled);
  EXPECT_EQ(c.port, 3790);
  ASSERT_EQ(c.clients.size(), 2u);
  EXPECT_EQ(c.clients.at(Ipv4::parse("192.0.2.10")->value).key.plain, "s3cr3t-one");
  // Keys are never shown in clear.
  auto shown = s->execute("display this").output;
  EXPECT_EQ(shown.find("s3cr3t-one"), std::string::npos) << shown;
  EXPECT_NE(shown.find(" client ip 192.0.2.10 key cipher $c$3$"), std::string::npos) << shown;
  std::string all = render_configuration(running());
  EXPECT_EQ(all.find("s3cr3t-one"), std::string::npos);
  EXPECT_NE(all.find("radius dynamic-author server\n port 3790\n client ip 192.0.2.10 key "
                     "cipher $c$3$"),
            std::string::npos)
      << all;
  EXPECT_TRUE(s->execute("undo client ip 192.0.2.11").ok);
  EXPECT_TRUE(s->execute("undo port").ok);
  EXPECT_EQ(running().dynamic_author.port, 3799);
  EXPECT_EQ(running().dynamic_author.clients.size(), 1u);
  s->execute("quit");
  EXPECT_TRUE(s->execute("undo radius dynamic-author server").ok);
  EXPECT_FALSE(running().dynamic_author.enabled);
  EXPECT_EQ(render_configuration(running()).find("dynamic-author"), std::string::npos);
}

TEST_F(DaeCliTest, SaveLoadRoundTrip) {
  ASSERT_TRUE(load_text("radius dynamic-author server\n"
                        " client ip 10.0.0.1 key simple abc\n"
                        " client ip 10.0.0.2 key simple d e\n"
                        " port 4000\n")
                  .size() == 1);  // "d e" is two words: that line is refused
  ASSERT_TRUE(load_text("radius dynamic-author server\n"
                        " client ip 10.0.0.2 key simple def\n")
                  .empty());
  auto first = running();
  std::string printed = render_configuration(first);
  reset_model();
  ASSERT_TRUE(load_text(printed).empty()) << printed;
  EXPECT_TRUE(running() == first) << printed;
  EXPECT_EQ(running().dynamic_author.clients.size(), 2u);
  EXPECT_EQ(running().dynamic_author.clients.at(Ipv4::parse("10.0.0.2")->value).key.plain, "def");
  EXPECT_EQ(running().dynamic_author.port, 4000);
}

TEST_F(DaeCliTest, StatisticsDisplayAndReset) {
  Ops dae_ops;
  ShellContext ctx{engine, store, dae_ops, ""};
  dae_ops.dae.disconnect_requests = 3;
  dae_ops.dae.disconnect_acks = 2;
  dae_ops.dae.bad_authenticator = 7;
  auto s = make_command_session(ctx, SessionOrigin::console);
  auto out = s->execute("display radius dynamic-author statistics").output;
  EXPECT_NE(out.find("Listening on UDP port 3799"), std::string::npos) << out;
  EXPECT_NE(out.find(" Disconnect-Requests                     : 3"), std::string::npos) << out;
  EXPECT_NE(out.find(" Dropped, bad authenticator              : 7"), std::string::npos) << out;
  EXPECT_TRUE(s->execute("reset radius dynamic-author statistics").ok);
  EXPECT_EQ(engine.call([&] { return dae_ops.dae; }), aaa::DaeStatistics{});
}

}  // namespace
}  // namespace vpdnd::cli::test
