// The PPP client credentials of a virtual template (l2tp-auto-client): `ppp chap user`,
// `ppp chap password`, `ppp pap local-user ... password`: set, printed in cipher only,
// loaded back identical, undone.
#include "cli/cli.hpp"
#include "fixture.hpp"

namespace vpdnd::cli::test {
namespace {

TEST_F(ShellTest, ChapClientCredentialsSetPrintedInCipherAndUndone) {
  auto s = system_session();
  ASSERT_TRUE(s->execute("interface virtual-template 1").ok);
  const auto baseline = running().virtual_templates.at(1);
  auto r = s->execute("ppp chap user box1");
  ASSERT_TRUE(r.ok) << r.output;
  r = s->execute("ppp chap password simple t0pSecret");
  ASSERT_TRUE(r.ok) << r.output;
  const auto t = running().virtual_templates.at(1);
  EXPECT_EQ(t.chap_user, "box1");
  EXPECT_EQ(t.chap_password.plain, "t0pSecret");
  std::string text = render_configuration(running());
  EXPECT_THAT(text, HasSubstr(" ppp chap user box1\n"));
  EXPECT_THAT(text, HasSubstr(" ppp chap password cipher "));
  EXPECT_THAT(text, Not(HasSubstr("t0pSecret")));

  // The cipher form loads back to the same secret.
  auto pos = text.find("ppp chap password cipher ");
  std::string cipher = text.substr(pos + 25, text.find('\n', pos) - pos - 25);
  ASSERT_TRUE(s->execute("undo ppp chap password").ok);
  EXPECT_TRUE(running().virtual_templates.at(1).chap_password.empty());
  r = s->execute("ppp chap password cipher " + cipher);
  ASSERT_TRUE(r.ok) << r.output;
  EXPECT_EQ(running().virtual_templates.at(1).chap_password.plain, "t0pSecret");

  ASSERT_TRUE(s->execute("undo ppp chap user").ok);
  ASSERT_TRUE(s->execute("undo ppp chap password").ok);
  EXPECT_TRUE(running().virtual_templates.at(1) == baseline);
}

TEST_F(ShellTest, PapLocalUserSetPrintedInCipherAndUndone) {
  auto s = system_session();
  ASSERT_TRUE(s->execute("interface virtual-template 2").ok);
  auto r = s->execute("ppp pap local-user box2 password simple p4ss");
  ASSERT_TRUE(r.ok) << r.output;
  EXPECT_EQ(running().virtual_templates.at(2).pap_user, "box2");
  EXPECT_EQ(running().virtual_templates.at(2).pap_password.plain, "p4ss");
  std::string text = render_configuration(running());
  EXPECT_THAT(text, HasSubstr(" ppp pap local-user box2 password cipher "));
  EXPECT_THAT(text, Not(HasSubstr("p4ss")));
  ASSERT_TRUE(s->execute("undo ppp pap local-user").ok);
  EXPECT_TRUE(running().virtual_templates.at(2).pap_user.empty());
  EXPECT_TRUE(running().virtual_templates.at(2).pap_password.empty());
}

TEST_F(ShellTest, ClientCredentialsRejectBadInputAndWrongView) {
  auto s = system_session();
  EXPECT_FALSE(s->execute("ppp chap user box1").ok);  // system view
  ASSERT_TRUE(s->execute("interface virtual-template 1").ok);
  auto before = running();
  EXPECT_FALSE(s->execute("ppp chap user").ok);
  EXPECT_FALSE(s->execute("ppp chap password simple").ok);
  EXPECT_FALSE(s->execute("ppp chap password cipher notacipher").ok);
  EXPECT_FALSE(s->execute("ppp pap local-user box2 password").ok);
  EXPECT_FALSE(s->execute("ppp chap user " + std::string(81, 'u')).ok);
  EXPECT_TRUE(running() == before);
}

}  // namespace
}  // namespace vpdnd::cli::test
