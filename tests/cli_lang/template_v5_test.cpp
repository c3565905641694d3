// Virtual template commands as a Comware V5 engineer types them: `remote address pool` with
// no number (V5's default pool 0), `timer hold S` beside `ppp timer hold S`, and the PPP
// client credentials: each in `?` and Tab, through display and save/load, and undone.
#include <fstream>
#include <sstream>

#include "cli/cli.hpp"
#include "fixture.hpp"

namespace vpdnd::cli::test {
namespace {

class TemplateV5Test : public ShellTest {
 protected:
  std::unique_ptr<CommandSession> template_session() {
    auto s = system_session();
    auto r = s->execute("interface virtual-template 1");
    EXPECT_TRUE(r.ok) << r.output;
    return s;
  }
  // `display current-configuration` as the operator sees it.
  std::string display(CommandSession& s) {
    auto r = s.execute("display current-configuration");
    EXPECT_TRUE(r.ok) << r.output;
    return r.output;
  }
  // `save force`, then the saved file loaded into an empty model: the same template.
  void expect_save_round_trip(CommandSession& s, std::string* saved = nullptr) {
    const auto before = running();
    auto r = s.execute("save force");
    ASSERT_TRUE(r.ok) << r.output;
    std::ifstream in(context.startup_path);
    std::stringstream text;
    text << in.rdbuf();
    if (saved) *saved = text.str();
    reset_model();
    auto report = load_config_file(context, context.startup_path);
    EXPECT_TRUE(report.errors.empty()) << ::testing::PrintToString(report.errors);
    EXPECT_TRUE(running().virtual_templates == before.virtual_templates) << text.str();
  }
};

TEST_F(TemplateV5Test, RemoteAddressPoolWithoutNumberUsesDefaultPoolZero) {
  auto s = template_session();
  const auto baseline = running();
  auto r = s->execute("remote address pool");
  ASSERT_TRUE(r.ok) << r.output;
  const auto t = running().virtual_templates.at(1);  // a copy: running() returns by value
  EXPECT_EQ(t.remote_pool, "0");  // `ip pool 0 A B` is the pool the peers draw from
  EXPECT_TRUE(t.remote_pool_implicit);
  EXPECT_FALSE(t.remote_address);

  // Printed back as typed, without a number, and loaded back identical.
  EXPECT_THAT(display(*s), HasSubstr("\n remote address pool\n"));
  std::string saved;
  expect_save_round_trip(*s, &saved);
  EXPECT_THAT(saved, HasSubstr("\n remote address pool\n"));

  ASSERT_TRUE(s->execute("undo remote address").ok);
  EXPECT_TRUE(running().virtual_templates.at(1) == baseline.virtual_templates.at(1));
}

TEST_F(TemplateV5Test, RemoteAddressPoolNumberTypedIsKeptAsTyped) {
  auto s = template_session();
  ASSERT_TRUE(s->execute("remote address pool").ok);
  // An explicit 0 is the same pool, printed with its number since it was typed so.
  ASSERT_TRUE(s->execute("remote address pool 0").ok);
  EXPECT_EQ(running().virtual_templates.at(1).remote_pool, "0");
  EXPECT_FALSE(running().virtual_templates.at(1).remote_pool_implicit);
  EXPECT_THAT(display(*s), HasSubstr("\n remote address pool 0\n"));
  expect_save_round_trip(*s);

  // A fixed address replaces the default pool, and the pool comes back without a number.
  ASSERT_TRUE(s->execute("remote address pool").ok);
  ASSERT_TRUE(s->execute("remote address 10.0.0.2").ok);
  EXPECT_TRUE(running().virtual_templates.at(1).remote_pool.empty());
  EXPECT_FALSE(running().virtual_templates.at(1).remote_pool_implicit);
  std::string text = display(*s);
  EXPECT_THAT(text, HasSubstr("\n remote address 10.0.0.2\n"));
  EXPECT_THAT(text, Not(HasSubstr("remote address pool")));
}

TEST_F(TemplateV5Test, RemoteAddressPoolHelpOffersEndOfCommand) {
  auto s = template_session();
  std::string h = s->help("remote address pool ");
  EXPECT_THAT(h, HasSubstr("<cr>"));
  EXPECT_THAT(h, HasSubstr("STRING<1-31>"));
  EXPECT_THAT(s->help("remote address "), HasSubstr("default: pool 0"));
  EXPECT_EQ(s->complete("remote address p"), std::vector<std::string>{"pool"});
}

TEST_F(TemplateV5Test, TimerHoldIsTheSameSettingAsPppTimerHold) {
  auto s = template_session();
  auto r = s->execute("timer hold 30");
  ASSERT_TRUE(r.ok) << r.output;
  EXPECT_EQ(running().virtual_templates.at(1).hold_timer_s, 30u);
  // One canonical print, V5's own form, whichever form was typed.
  std::string text = display(*s);
  EXPECT_THAT(text, HasSubstr("\n timer hold 30\n"));
  EXPECT_THAT(text, Not(HasSubstr("ppp timer hold")));
  expect_save_round_trip(*s);

  ASSERT_TRUE(s->execute("ppp timer hold 0").ok);
  EXPECT_EQ(running().virtual_templates.at(1).hold_timer_s, 0u);
  EXPECT_THAT(display(*s), HasSubstr("\n timer hold 0\n"));
  expect_save_round_trip(*s);

  // Either undo restores the default, and the default is not printed.
  ASSERT_TRUE(s->execute("undo timer hold").ok);
  EXPECT_EQ(running().virtual_templates.at(1).hold_timer_s, 10u);
  EXPECT_THAT(display(*s), Not(HasSubstr("timer hold")));
  ASSERT_TRUE(s->execute("timer hold 60").ok);
  ASSERT_TRUE(s->execute("undo ppp timer hold").ok);
  EXPECT_EQ(running().virtual_templates.at(1).hold_timer_s, 10u);
}

TEST_F(TemplateV5Test, TimerHoldRejectsOutOfRangeAndOtherViews) {
  auto s = template_session();
  const auto before = running();
  EXPECT_THAT(s->execute("timer hold 32768").output, HasSubstr("Wrong parameter"));
  EXPECT_THAT(s->execute("timer hold").output, HasSubstr("Incomplete command"));
  EXPECT_THAT(s->execute("timer hold -1").output, HasSubstr("Wrong parameter"));
  EXPECT_TRUE(running() == before);
  auto sys = system_session();
  EXPECT_FALSE(sys->execute("timer hold 30").ok);
  EXPECT_TRUE(running() == before);
}

TEST_F(TemplateV5Test, TimerHoldInHelpAndTab) {
  auto s = template_session();
  EXPECT_EQ(s->complete("tim"), std::vector<std::string>{"timer"});
  EXPECT_EQ(s->complete("timer h"), std::vector<std::string>{"hold"});
  EXPECT_EQ(s->complete("undo tim"), std::vector<std::string>{"timer"});
  EXPECT_THAT(s->help("timer hold "), HasSubstr("INTEGER<0-32767>"));
  EXPECT_THAT(s->help("undo timer hold "), HasSubstr("<cr>"));
}

TEST_F(TemplateV5Test, ClientCredentialsInHelpAndTab) {
  auto s = template_session();
  EXPECT_EQ(s->complete("ppp p"), std::vector<std::string>{"pap"});
  EXPECT_EQ(s->complete("ppp ch"), std::vector<std::string>{"chap"});
  EXPECT_EQ(s->complete("ppp chap "), (std::vector<std::string>{"password", "user"}));
  EXPECT_EQ(s->complete("ppp pap l"), std::vector<std::string>{"local-user"});
  EXPECT_EQ(s->complete("ppp chap password "), (std::vector<std::string>{"cipher", "simple"}));
  EXPECT_THAT(s->help("ppp pap local-user box password "), HasSubstr("simple"));
  EXPECT_THAT(s->help("undo ppp "), HasSubstr("chap"));
  EXPECT_THAT(s->help("undo ppp pap "), HasSubstr("local-user"));
}

TEST_F(TemplateV5Test, ClientCredentialsDisplayedInCipherAndSavedRoundTrip) {
  auto s = template_session();
  ASSERT_TRUE(s->execute("ppp chap user box1").ok);
  ASSERT_TRUE(s->execute("ppp chap password simple Chap-S3cret").ok);
  ASSERT_TRUE(s->execute("ppp pap local-user box1 password simple Pap-S3cret").ok);
  std::string text = display(*s);
  EXPECT_THAT(text, HasSubstr("\n ppp chap user box1\n"));
  EXPECT_THAT(text, HasSubstr("\n ppp chap password cipher "));
  EXPECT_THAT(text, HasSubstr("\n ppp pap local-user box1 password cipher "));
  EXPECT_THAT(text, Not(HasSubstr("Chap-S3cret")));
  EXPECT_THAT(text, Not(HasSubstr("Pap-S3cret")));
  std::string saved;
  expect_save_round_trip(*s, &saved);
  EXPECT_THAT(saved, Not(HasSubstr("Chap-S3cret")));
  EXPECT_THAT(saved, Not(HasSubstr("Pap-S3cret")));
  const auto t = running().virtual_templates.at(1);  // a copy: running() returns by value
  EXPECT_EQ(t.chap_password.plain, "Chap-S3cret");
  EXPECT_EQ(t.pap_password.plain, "Pap-S3cret");
}

}  // namespace
}  // namespace vpdnd::cli::test
