// `password-control login-attempt` as configuration (print, load back, undo) and the
// blacklist of the process's login guard (`display|reset password-control blacklist`).
#include "cli/cli.hpp"
#include "cli/front/login_guard.hpp"
#include "fixture.hpp"

namespace vpdnd::cli::test {
namespace {

class PasswordControlTest : public ShellTest {
 protected:
  void TearDown() override {
    engine.call([] { return process_login_guard().reset_all(); });
  }
};

TEST_F(PasswordControlTest, LoginAttemptPrintsLoadsBackAndUndoes) {
  auto s = system_session();
  EXPECT_THAT(render_configuration(running()), Not(HasSubstr("password-control")));
  auto r = s->execute("password-control login-attempt 5 exceed lock-time 10");
  ASSERT_TRUE(r.ok) << r.output;
  EXPECT_EQ(running().login_attempt.attempts, 5u);
  EXPECT_EQ(running().login_attempt.lock_minutes, 10u);
  std::string text = render_configuration(running());
  EXPECT_THAT(text, HasSubstr("\n password-control login-attempt 5 exceed lock-time 10\n"));
  reset_model();
  EXPECT_TRUE(load_text(text).empty());
  EXPECT_EQ(running().login_attempt.exceed, config::LoginAttemptPolicy::Exceed::lock_time);
  EXPECT_EQ(running().login_attempt.lock_minutes, 10u);
  ASSERT_TRUE(s->execute("password-control login-attempt 2 exceed lock").ok);
  EXPECT_THAT(render_configuration(running()),
              HasSubstr(" password-control login-attempt 2 exceed lock\n"));
  ASSERT_TRUE(s->execute("password-control login-attempt 4 exceed unlock").ok);
  EXPECT_THAT(render_configuration(running()),
              HasSubstr(" password-control login-attempt 4 exceed unlock\n"));
  ASSERT_TRUE(s->execute("undo password-control login-attempt").ok);
  EXPECT_EQ(running().login_attempt, config::LoginAttemptPolicy{});
  EXPECT_FALSE(s->execute("password-control login-attempt 1").ok);  // 2..10
  EXPECT_FALSE(s->execute("password-control login-attempt 3 exceed lock-time 361").ok);
}

TEST_F(PasswordControlTest, BlacklistDisplaysAndResets) {
  engine.call([] {
    auto& g = process_login_guard();
    config::LoginAttemptPolicy p;
    for (int i = 0; i < 3; ++i) g.failed("192.0.2.7", "admin", p);
    g.failed("192.0.2.8", "oper", p);
    return 0;
  });
  auto s = session();
  auto r = s->execute("display password-control blacklist");
  ASSERT_TRUE(r.ok) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Username: admin\n   IP: 192.0.2.7           Login failed times: "
                                  "3      Lock flag: lock\n"));
  EXPECT_THAT(r.output,
              HasSubstr("Username: oper\n   IP: 192.0.2.8           Login failed times: 1   "
                        "   Lock flag: unlock\n"));
  EXPECT_THAT(r.output, HasSubstr("Total 2 blacklist item(s) matched. 2 listed."));
  r = s->execute("display password-control blacklist user-name oper");
  EXPECT_THAT(r.output, Not(HasSubstr("admin")));
  EXPECT_THAT(r.output, HasSubstr("Total 1 blacklist item(s) matched. 1 listed."));
  r = s->execute("display password-control blacklist ip 192.0.2.7");
  EXPECT_THAT(r.output, HasSubstr("Username: admin"));
  ASSERT_TRUE(s->execute("reset password-control blacklist user-name admin").ok);
  r = s->execute("display password-control blacklist");
  EXPECT_THAT(r.output, Not(HasSubstr("admin")));
  ASSERT_TRUE(s->execute("reset password-control blacklist").ok);
  r = s->execute("display password-control blacklist");
  EXPECT_EQ(r.output, "Total 0 blacklist item(s) matched. 0 listed.");
}

}  // namespace
}  // namespace vpdnd::cli::test
