// Every configuration command: accepted (it changes the model), its undo form restores the
// model default, and rejected input (range, length, characters, wrong view, mutual
// exclusion) leaves the model unchanged.
#include "cli/cli.hpp"
#include "fixture.hpp"

namespace vpdnd::cli::test {
namespace {

struct UndoCase {
  std::vector<std::string> setup;  // run first (from system view); the baseline after it
  std::string command;
  std::string undo;
};

void PrintTo(const UndoCase& c, std::ostream* os) {
  *os << "'" << c.command << "'";
}

// A case that starts in system view once its `setup` lines ran: `s` is that session and
// `baseline` the model after the setup.
template <class Case>
class SetupTest : public ShellTest, public ::testing::WithParamInterface<Case> {
 protected:
  void SetUp() override {
    ShellTest::SetUp();
    std::vector<std::string> lines{"system-view"};
    lines.insert(lines.end(), this->GetParam().setup.begin(), this->GetParam().setup.end());
    s = session_in(lines);
    ASSERT_FALSE(HasFailure()) << "the case's setup failed";
    baseline = running();
  }
  void TearDown() override {
    s.reset();
    ShellTest::TearDown();
  }

  std::unique_ptr<CommandSession> s;
  config::RunningConfig baseline;
};

// Runs setup, takes the model, runs command (model must change), runs undo (model must be
// back to the baseline).
class UndoTest : public SetupTest<UndoCase> {};

TEST_P(UndoTest, CommandChangesAndUndoRestoresDefault) {
  const auto& c = GetParam();
  auto r = s->execute(c.command);
  ASSERT_TRUE(r.ok) << c.command << "\n" << r.output;
  EXPECT_FALSE(running() == baseline) << c.command << " changed nothing";
  r = s->execute(c.undo);
  ASSERT_TRUE(r.ok) << c.undo << "\n" << r.output;
  EXPECT_TRUE(running() == baseline) << c.undo << " did not restore the default\n"
                                     << render_configuration(running());
}

const std::vector<std::string> kGroup = {"l2tp-group 1"};
const std::vector<std::string> kTemplate = {"interface virtual-template 1"};
const std::vector<std::string> kDomain = {"domain corp.com"};
const std::vector<std::string> kUser = {"local-user alice"};
const std::vector<std::string> kRadius = {"radius scheme r1"};
const std::vector<std::string> kVty = {"user-interface vty 0 4"};

// Each case: `setup` (from system view, e.g. entering a view), then a command and its undo.
std::vector<UndoCase> undo_cases() {
  std::vector<UndoCase> all;
  auto in = [&](const std::vector<std::string>& setup,
                std::initializer_list<std::pair<const char*, const char*>> cases) {
    for (auto& [command, undo] : cases) all.push_back({setup, command, undo});
  };
  // system view
  in({}, {{"sysname LNS", "undo sysname"},
          {"undo telnet server enable", "telnet server enable"},
          {"l2tp enable", "undo l2tp enable"},
          {"l2tp domain prefix-separator \\", "undo l2tp domain prefix-separator"},
          {"l2tp domain suffix-separator %", "undo l2tp domain suffix-separator"},
          {"l2tp match-order domain-only", "undo l2tp match-order"},
          {"l2tp match-order dnis-only", "undo l2tp match-order"},
          {"l2tp match-order domain-dnis", "undo l2tp match-order"},
          {"l2tp session-limit 100", "undo l2tp session-limit"},
          {"l2tp tunnel-limit 100", "undo l2tp tunnel-limit"},
          {"l2tp listen-port 1702", "undo l2tp listen-port"},
          {"l2tp receive-buffer 65536", "undo l2tp receive-buffer"},
          {"l2tp-group 9", "undo l2tp-group 9"},
          {"l2tp-group 9 mode lac", "undo l2tp-group 9"},
          {"interface virtual-template 1023", "undo interface virtual-template 1023"},
          {"interface Virtual-Template5", "undo interface Virtual-Template5"},
          {"ip pool 1 10.0.0.1 10.0.0.9", "undo ip pool 1"},
          {"ip pool lan 10.0.0.1", "undo ip pool lan"},
          {"domain corp.com", "undo domain corp.com"}});
  in({"domain corp.com", "quit"},
     {{"domain default enable corp.com", "undo domain default enable"}});
  in({}, {{"local-user alice@corp.com", "undo local-user alice@corp.com"},
          {"radius scheme r1", "undo radius scheme r1"}});
  in({"interface eth1"}, {{"pppoe-server bind virtual-template 1", "undo pppoe-server bind"}});
  // L2TP group view
  in(kGroup, {{"start l2tp ip 10.0.0.2 domain corp.com", "undo start l2tp"},
              {"start l2tp ip 1.1.1.1 ip 1.1.1.2 ip 1.1.1.3 ip 1.1.1.4 ip 1.1.1.5 fullusername a@b",
               "undo start l2tp"},
              {"start l2tp ip 10.0.0.2 dnis 12345", "undo start l2tp"},
              {"lns-ip 10.0.0.2 10.0.0.3", "undo lns-ip"},
              {"user domain corp.com", "undo user"},
              {"user fullusername bob@corp.com", "undo user"},
              {"allow l2tp virtual-template 1", "undo allow l2tp"},
              {"allow l2tp virtual-template 1 remote LAC", "undo allow l2tp"},
              {"allow l2tp virtual-template 1 remote LAC", "undo allow"},
              {"tunnel name LNS", "undo tunnel name"},
              {"undo tunnel authentication", "tunnel authentication"},
              {"tunnel password simple aabbcc", "undo tunnel password"},
              {"tunnel timer hello 1000", "undo tunnel timer hello"},
              {"tunnel timer idle 0", "undo tunnel timer idle"},
              {"tunnel timer idle 3600", "undo tunnel timer idle"}});
  in({"l2tp-group 1", "tunnel password simple x"},
     {{"tunnel avp-hidden", "undo tunnel avp-hidden"}});
  in(kGroup, {{"tunnel flow-control", "undo tunnel flow-control"},
              {"mandatory-chap", "undo mandatory-chap"},
              {"mandatory-lcp", "undo mandatory-lcp"},
              {"session-limit 10", "undo session-limit"}});
  // virtual template view
  in(kTemplate,
     {{"ip address 10.0.0.1 255.255.255.0", "undo ip address"},
      {"ip address 10.0.0.1 30", "undo ip address"},
      {"remote address pool 1", "undo remote address"},
      {"remote address 10.0.0.2", "undo remote address"},
      {"ppp authentication-mode chap", "undo ppp authentication-mode"},
      {"ppp authentication-mode pap chap domain corp.com", "undo ppp authentication-mode"},
      {"ppp authentication-mode ms-chap-v2", "undo ppp authentication-mode"},
      {"ppp authentication-mode ms-chap-v2 ms-chap chap pap domain corp.com",
       "undo ppp authentication-mode"},
      {"ppp timer hold 0", "undo ppp timer hold"},
      {"ppp ipcp dns 8.8.8.8 8.8.4.4", "undo ppp ipcp dns"},
      {"mtu 1400", "undo mtu"},
      {"l2tp-auto-client l2tp-group 2", "undo l2tp-auto-client"}});
  // domain view
  in(kDomain, {{"authentication ppp none", "undo authentication ppp"},
               {"authentication ppp radius-scheme r1", "undo authentication ppp"},
               {"authentication ppp radius-scheme r1 local none", "undo authentication ppp"},
               {"authentication ppp radius-scheme r1 none", "undo authentication ppp"},
               {"accounting ppp radius-scheme r1", "undo accounting ppp"},
               {"ip pool 2 10.1.0.1 10.1.0.50", "undo ip pool 2"},
               {"authorization-attribute ip-pool 2", "undo authorization-attribute ip-pool"},
               {"state block", "undo state"}});
  // local user view
  in(kUser, {{"password simple alicepw", "undo password"},
             {"service-type ppp telnet terminal", "undo service-type terminal ppp telnet"}});
  in({"local-user alice", "service-type ppp"},
     {{"service-type telnet", "undo service-type telnet"}});
  in(kUser, {{"state block", "undo state"}});
  // RADIUS scheme view
  in(kRadius, {{"primary authentication 127.0.0.1", "undo primary authentication"},
               {"primary accounting 127.0.0.1 1646", "undo primary accounting"},
               {"secondary authentication 127.0.0.2 1812", "undo secondary authentication"},
               {"secondary accounting 127.0.0.2", "undo secondary accounting"},
               {"key authentication simple testing123", "undo key authentication"},
               {"key accounting simple testing123", "undo key accounting"},
               {"user-name-format without-domain", "undo user-name-format"},
               {"user-name-format keep-original", "undo user-name-format"},
               {"timer response-timeout 10", "undo timer response-timeout"},
               {"retry 5", "undo retry"},
               {"timer realtime-accounting 1", "undo timer realtime-accounting"},
               {"nas-ip 10.0.0.1", "undo nas-ip"},
               {"attribute 80 check-mode loose", "undo attribute 80 check-mode"},
               {"undo stop-accounting-buffer enable", "stop-accounting-buffer enable"},
               {"retry stop-accounting 10", "undo retry stop-accounting"}});
  // VTY view
  in(kVty, {{"authentication-mode none", "undo authentication-mode"}});
  in({"user-interface vty 0 4", "set authentication password simple pw"},
     {{"authentication-mode password", "authentication-mode scheme"}});
  in(kVty, {{"set authentication password simple pw", "undo set authentication password"},
            {"idle-timeout 0", "undo idle-timeout"},
            {"idle-timeout 20 30", "undo idle-timeout"},
            {"screen-length 0", "undo screen-length"}});
  return all;
}

INSTANTIATE_TEST_SUITE_P(All, UndoTest, ::testing::ValuesIn(undo_cases()));

struct RejectCase {
  std::vector<std::string> setup;
  std::string command;
  std::string error;  // substring of the output
};

void PrintTo(const RejectCase& c, std::ostream* os) {
  *os << "'" << c.command << "'";
}

class RejectTest : public SetupTest<RejectCase> {};

TEST_P(RejectTest, RejectedAndModelUnchanged) {
  const auto& c = GetParam();
  auto r = s->execute(c.command);
  EXPECT_FALSE(r.ok) << c.command;
  EXPECT_THAT(r.output, HasSubstr(c.error)) << c.command;
  EXPECT_TRUE(running() == baseline) << c.command;
}

const char* kWrong = "% Wrong parameter";
const char* kUnrec = "% Unrecognized command";
const char* kIncomplete = "% Incomplete command";

std::vector<RejectCase> reject_cases() {
  std::vector<RejectCase> all;
  auto in = [&](const std::vector<std::string>& setup,
                std::initializer_list<std::pair<std::string, const char*>> cases) {
    for (auto& [command, error] : cases) all.push_back({setup, command, error});
  };
  in({}, {{"sysname " + std::string(31, 'x'), kWrong},
          {"sysname a/b", kWrong},
          {"l2tp-group 0", kWrong},
          {"l2tp-group 65536", kWrong},
          {"l2tp-group -1", kWrong},
          {"l2tp-group 1 mode both", kUnrec}});
  in({"l2tp-group 1 mode lac", "quit"}, {{"l2tp-group 1 mode lns", "another mode"}});
  in({"l2tp-group 1", "allow l2tp virtual-template 1", "quit"},
     {{"l2tp-group 1 mode lac", "other role"}});
  in({}, {{"l2tp domain suffix-separator ab", kWrong},
          {"l2tp domain suffix-separator a", kWrong},
          {"l2tp match-order random", kUnrec},
          {"l2tp listen-port 0", kWrong},
          {"l2tp listen-port 65536", kWrong},
          {"l2tp receive-buffer 63", kWrong},
          {"l2tp receive-buffer 1048577", kWrong},
          {"l2tp session-limit 0", kWrong},
          {"interface virtual-template 1024", kWrong},
          {"interface Virtual-Template1024", kWrong},
          {"interface averyveryverylongname", kWrong},
          {"ip pool 1 10.0.0.9 10.0.0.1", "must not be lower"},
          {"ip pool 1 10.0.0.1 10.0.0.256", kWrong}});
  in({"ip pool 1 10.0.0.1 10.0.0.9"}, {{"ip pool 2 10.0.0.5 10.0.0.20", "overlaps"}});
  in({"domain d", "ip pool 3 10.5.0.1", "quit"}, {{"ip pool 3 10.6.0.1", "belongs to domain d"}});
  in({}, {{"undo ip pool nope", "does not exist"},
          {"domain a@b", kWrong},
          {"domain " + std::string(25, 'd'), kWrong},
          {"domain default enable nope", "does not exist"},
          {"undo domain system", "cannot be removed"}});
  in({"domain d", "quit", "domain default enable d"}, {{"undo domain d", "default domain"}});
  in({}, {{"local-user " + std::string(81, 'u'), kWrong},
          {"local-user a|b", kWrong},
          {"radius scheme " + std::string(33, 'r'), kWrong},
          {"user-interface vty 4 0", "must not be lower"},
          {"user-interface vty 64", kWrong}});
  // L2TP group
  in({"l2tp-group 1", "allow l2tp virtual-template 1"},
     {{"start l2tp ip 10.0.0.2 domain x", "mutually exclusive"}});
  in({"l2tp-group 1", "start l2tp ip 10.0.0.2 domain x"},
     {{"allow l2tp virtual-template 1", "mutually exclusive"}});
  in({"l2tp-group 1 mode lns"}, {{"lns-ip 10.0.0.2", "mutually exclusive"}});
  in({"l2tp-group 1 mode lac"}, {{"allow l2tp virtual-template 1", "mutually exclusive"}});
  in(kGroup,
     {{"start l2tp ip 10.0.0.2", kIncomplete},
      {"start l2tp ip 10.0.0.2 ip 10.0.0.2 domain x", "twice"},
      {"start l2tp ip 1.1.1.1 ip 1.1.1.2 ip 1.1.1.3 ip 1.1.1.4 ip 1.1.1.5 ip 1.1.1.6 domain x",
       kUnrec},
      {"lns-ip 1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5 1.1.1.6", "% Too many parameters"},
      {"start l2tp ip 10.0.0.2 dnis 12ab", kWrong}});
  in({"l2tp-group 2"}, {{"allow l2tp virtual-template 1", "Only L2TP group 1"}});
  in({"l2tp-group 2", "allow l2tp virtual-template 1 remote LAC", "quit", "l2tp-group 3"},
     {{"allow l2tp virtual-template 1 remote LAC", "already accepts"}});
  in(kGroup,
     {{"allow l2tp virtual-template 1024", kWrong}, {"tunnel avp-hidden", "password first"}});
  in({"l2tp-group 1", "tunnel password simple x", "tunnel avp-hidden"},
     {{"undo tunnel password", "avp-hidden"}});
  in(kGroup, {{"tunnel timer hello 59", kWrong},
              {"tunnel timer hello 1001", kWrong},
              {"tunnel timer idle 3601", kWrong},
              {"tunnel password simple " + std::string(17, 'p'), kWrong},
              {"tunnel password cipher notacipher", kWrong},
              {"tunnel name " + std::string(31, 'n'), kWrong}});
  // virtual template
  in(kTemplate, {{"ip address 10.0.0.1 255.0.255.0", "not contiguous"},
                 {"ip address 10.0.0.1 33", kWrong},
                 {"mtu 127", kWrong},
                 {"mtu 1501", kWrong},
                 {"ppp authentication-mode chap chap", kUnrec},
                 {"ppp authentication-mode ms-chap-v2 pap ms-chap-v2", kUnrec},
                 {"ppp authentication-mode ms-chap-v2 ms-chap-v2", kUnrec},
                 {"ppp timer hold 32768", kWrong}});
  // domain / user / radius / vty
  in(kDomain, {{"authentication ppp radius-scheme", kIncomplete}, {"state sleepy", kUnrec}});
  in(kUser,
     {{"password simple " + std::string(64, 'p'), kWrong}, {"service-type ppp ppp", kUnrec}});
  in(kRadius, {{"primary authentication 127.0.0.1 0", kWrong},
               {"timer response-timeout 11", kWrong},
               {"retry 0", kWrong},
               {"retry stop-accounting 9", kWrong},
               {"retry stop-accounting 65536", kWrong},
               {"key authentication simple " + std::string(65, 'k'), kWrong}});
  in(kVty, {{"authentication-mode password", "password first"},
            {"idle-timeout 1 60", kWrong},
            {"screen-length 513", kWrong}});
  // wrong view
  in(kDomain, {{"mandatory-chap", kUnrec}});
  in(kGroup, {{"ppp timer hold 5", kUnrec}});
  in({}, {{"tunnel name x", kUnrec}});
  return all;
}

INSTANTIATE_TEST_SUITE_P(All, RejectTest, ::testing::ValuesIn(reject_cases()));

TEST_F(ShellTest, TunnelIdleTimerHasHelpAndCompletion) {
  auto s = system_session();
  ASSERT_TRUE(s->execute("l2tp-group 1").ok);
  EXPECT_THAT(s->help("tunnel timer "), HasSubstr("idle"));
  EXPECT_THAT(s->help("tunnel timer idle "), HasSubstr("INTEGER<0-3600>"));
  EXPECT_EQ(s->complete("tunnel timer i"), std::vector<std::string>{"idle"});
  EXPECT_EQ(s->complete("undo tunnel timer i"), std::vector<std::string>{"idle"});
}

TEST_F(ShellTest, CipherPasswordLoadsTheSameSecret) {
  auto s = system_session();
  s->execute("local-user alice");
  s->execute("password simple s3cret!");
  std::string text = render_configuration(running());
  auto pos = text.find("password cipher ");
  ASSERT_NE(pos, std::string::npos);
  std::string cipher = text.substr(pos + 16, text.find('\n', pos) - pos - 16);
  s->execute("undo password");
  EXPECT_TRUE(running().local_users.at("alice").password.empty());
  auto r = s->execute("password cipher " + cipher);
  ASSERT_TRUE(r.ok) << r.output;
  EXPECT_EQ(running().local_users.at("alice").password.plain, "s3cret!");
}

TEST_F(ShellTest, DeletingTheObjectOfAnotherSessionsView) {
  auto a = system_session();
  auto b = system_session();
  a->execute("l2tp-group 4");
  b->execute("undo l2tp-group 4");
  auto r = a->execute("tunnel name X");
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.output, HasSubstr("no longer exists"));
  EXPECT_FALSE(running().l2tp_groups.count(4));
}

TEST_F(ShellTest, ConfigChangesAreNotified) {
  std::vector<config::ConfigChange> seen;
  auto subscription = engine.call([&] {
    return store.subscribe([&](const config::ConfigChange& c, const config::RunningConfig&,
                               const config::RunningConfig&) { seen.push_back(c); });
  });
  auto s = system_session();
  s->execute("l2tp enable");
  s->execute("l2tp-group 3");
  s->execute("tunnel name X");
  s->execute("tunnel timer hello 5");  // rejected: no notification
  s->execute("undo l2tp-group 3");
  auto copy = engine.call([&] { return seen; });
  ASSERT_EQ(copy.size(), 4u);
  EXPECT_EQ(copy[0].section, config::ConfigSection::l2tp_global);
  EXPECT_EQ(copy[1].section, config::ConfigSection::l2tp_group);
  EXPECT_EQ(copy[1].key, "3");
  EXPECT_EQ(copy[2].key, "3");
  EXPECT_TRUE(copy[3].removed);
  engine.call([&] { subscription.reset(); });
}

}  // namespace
}  // namespace vpdnd::cli::test
