#include "vpdn/lookup.hpp"

#include <gtest/gtest.h>

namespace vpdnd::vpdn {
namespace {

using config::LacMatchKind;
using config::MatchOrder;

config::L2tpGroup lac(std::uint16_t n, LacMatchKind kind, std::string value) {
  config::L2tpGroup g;
  g.number = n;
  g.lns_addresses = {*Ipv4::parse("10.0.0.2")};
  g.match_kind = kind;
  g.match_value = std::move(value);
  return g;
}

class LookupTest : public ::testing::Test {
 protected:
  void add(config::L2tpGroup g) { cfg.l2tp_groups[g.number] = std::move(g); }
  std::optional<LacGroupMatch> find(std::string_view user, std::string_view dnis = {}) {
    return find_lac_group(cfg, user, dnis);
  }
  void user(std::string name, bool active = true, std::uint8_t services = 1) {
    config::LocalUser u;
    u.name = name;
    u.password.plain = "pw";
    u.service_types = services;
    u.active = active;
    cfg.local_users[name] = u;
  }
  // User names written domain\user (corp.com\alice).
  void domain_before_backslash() {
    cfg.l2tp.prefix_separator = true;
    cfg.l2tp.separator = '\\';
  }
  config::RunningConfig cfg;
};

TEST_F(LookupTest, FullUserNameWinsOverEverything) {
  add(lac(1, LacMatchKind::domain, "corp.com"));
  add(lac(2, LacMatchKind::dnis, "5551234"));
  add(lac(9, LacMatchKind::fullusername, "alice@corp.com"));
  auto m = find("alice@corp.com", "5551234");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->group, 9);
  EXPECT_EQ(m->by, LacMatchKind::fullusername);
  // Another user of the same domain goes by the domain/DNIS rules.
  m = find("bob@corp.com", "5551234");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->group, 2);  // dnis-domain is the default order
}

TEST_F(LookupTest, FullUserNameIsExact) {
  add(lac(3, LacMatchKind::fullusername, "alice@corp.com"));
  EXPECT_FALSE(find("alice@corp.co"));
  EXPECT_FALSE(find("Alice@corp.com"));
  EXPECT_FALSE(find("alice"));
  EXPECT_FALSE(find(""));
}

TEST_F(LookupTest, DomainWithSuffixSeparator) {
  add(lac(1, LacMatchKind::domain, "corp.com"));
  auto m = find("alice@corp.com");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->group, 1);
  EXPECT_EQ(m->by, LacMatchKind::domain);
  EXPECT_TRUE(find("alice@CORP.COM"));  // domains ignore case
  EXPECT_TRUE(find("a@b@corp.com"));    // suffix: the last separator
  EXPECT_FALSE(find("alice"));          // no domain
  EXPECT_FALSE(find("alice@other.com"));
  EXPECT_FALSE(find("corp.com\\alice"));  // not split with the suffix separator
}

TEST_F(LookupTest, DomainWithPrefixBackslash) {
  domain_before_backslash();
  add(lac(4, LacMatchKind::domain, "corp.com"));
  auto m = find("corp.com\\alice");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->group, 4);
  EXPECT_FALSE(find("alice@corp.com"));
  EXPECT_FALSE(find("alice"));
}

// Group 1 matches domain corp.com, group 2 DNIS 5551234: which one each `l2tp match-order`
// picks for a user and a DNIS (0: none).
TEST_F(LookupTest, MatchOrderDecidesBetweenDnisAndDomain) {
  struct Case {
    MatchOrder order;
    const char* user;
    const char* dnis;
    int group;
  };
  const Case cases[] = {
      {MatchOrder::dnis_only, "x@corp.com", "5551234", 2},
      {MatchOrder::dnis_only, "x@corp.com", "5550000", 0},  // domain is not consulted
      {MatchOrder::dnis_only, "x@corp.com", "", 0},
      {MatchOrder::domain_only, "x@corp.com", "5551234", 1},
      {MatchOrder::domain_only, "x@other.com", "5551234", 0},  // DNIS is not consulted
      {MatchOrder::dnis_domain, "x@corp.com", "5551234", 2},   // DNIS first
      {MatchOrder::dnis_domain, "x@corp.com", "999", 1},       // DNIS misses, domain hits
      {MatchOrder::dnis_domain, "x@other", "5551234", 2},
      {MatchOrder::dnis_domain, "x@other", "999", 0},
      {MatchOrder::domain_dnis, "x@corp.com", "5551234", 1},  // domain first
      {MatchOrder::domain_dnis, "x@other", "5551234", 2},
  };
  add(lac(1, LacMatchKind::domain, "corp.com"));
  add(lac(2, LacMatchKind::dnis, "5551234"));
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::Message() << "order " << static_cast<int>(c.order) << ", user " << c.user
                                    << ", DNIS " << c.dnis);
    cfg.l2tp.match_order = c.order;
    auto m = find(c.user, c.dnis);
    EXPECT_EQ(m ? m->group : 0, c.group);
    if (m) {
      EXPECT_EQ(m->by, m->group == 1 ? LacMatchKind::domain : LacMatchKind::dnis);
    }
  }
}

TEST_F(LookupTest, TiesGoToTheLowestGroupNumber) {
  add(lac(7, LacMatchKind::domain, "corp.com"));
  add(lac(3, LacMatchKind::domain, "CORP.com"));
  add(lac(5, LacMatchKind::dnis, "42"));
  add(lac(4, LacMatchKind::dnis, "42"));
  EXPECT_EQ(find("x@corp.com")->group, 3);
  EXPECT_EQ(find("x@corp.com", "42")->group, 4);
  add(lac(8, LacMatchKind::fullusername, "x@corp.com"));
  add(lac(6, LacMatchKind::fullusername, "x@corp.com"));
  EXPECT_EQ(find("x@corp.com", "42")->group, 6);
}

TEST_F(LookupTest, LnsGroupsAndGroupsWithoutLnsAreIgnored) {
  auto g = lac(1, LacMatchKind::domain, "corp.com");
  g.lns_addresses.clear();  // V7 `user domain` without `lns-ip`, mode unspecified
  add(g);
  config::L2tpGroup lns;
  lns.number = 2;
  lns.allow_virtual_template = 1;
  lns.match_kind = LacMatchKind::domain;  // nonsense on an LNS group: never a LAC match
  lns.match_value = "corp.com";
  add(lns);
  EXPECT_FALSE(find("x@corp.com"));
  auto v7 = lac(3, LacMatchKind::domain, "corp.com");
  v7.lns_addresses.clear();
  v7.mode = config::GroupMode::lac;
  add(v7);
  EXPECT_EQ(find("x@corp.com")->group, 3);
}

TEST_F(LookupTest, MissesWithNoGroups) {
  EXPECT_FALSE(find("alice@corp.com", "123"));
  add(lac(1, LacMatchKind::dnis, "123"));
  EXPECT_FALSE(find("alice@corp.com", ""));  // no called number: DNIS cannot match
  EXPECT_FALSE(find("alice@corp.com", "1234"));
}

TEST_F(LookupTest, UserCheckFullName) {
  add(lac(1, LacMatchKind::fullusername, "alice@corp.com"));
  auto m = *find("alice@corp.com");
  EXPECT_FALSE(lac_user_check(cfg, m, "alice@corp.com").passes());
  user("corp.com");  // a domain user does not stand for a fullusername group
  EXPECT_FALSE(lac_user_check(cfg, m, "alice@corp.com").passes());
  user("alice@corp.com");
  auto c = lac_user_check(cfg, m, "alice@corp.com");
  EXPECT_EQ(c.kind, LacUserCheckKind::full_name_user);
  EXPECT_EQ(c.local_user, "alice@corp.com");
}

TEST_F(LookupTest, UserCheckDomainUser) {
  add(lac(1, LacMatchKind::domain, "corp.com"));
  auto m = *find("bob@Corp.Com");
  EXPECT_FALSE(lac_user_check(cfg, m, "bob@Corp.Com").passes());
  user("corp.com");
  auto c = lac_user_check(cfg, m, "bob@Corp.Com");
  EXPECT_EQ(c.kind, LacUserCheckKind::domain_user);
  EXPECT_EQ(c.local_user, "corp.com");
  user("bob@Corp.Com");  // a full-name user is preferred: its password is checked
  EXPECT_EQ(lac_user_check(cfg, m, "bob@Corp.Com").kind, LacUserCheckKind::full_name_user);
}

TEST_F(LookupTest, UserCheckIgnoresBlockedAndNonPppUsers) {
  add(lac(1, LacMatchKind::domain, "corp.com"));
  auto m = *find("bob@corp.com");
  user("corp.com", /*active=*/false);
  EXPECT_FALSE(lac_user_check(cfg, m, "bob@corp.com").passes());
  user("corp.com", true, /*services=telnet*/ 2);
  EXPECT_FALSE(lac_user_check(cfg, m, "bob@corp.com").passes());
  user("corp.com", true, 1 | 2);
  EXPECT_TRUE(lac_user_check(cfg, m, "bob@corp.com").passes());
}

TEST_F(LookupTest, UserCheckWithPrefixSeparator) {
  domain_before_backslash();
  add(lac(1, LacMatchKind::domain, "corp.com"));
  auto m = find("corp.com\\carol");
  ASSERT_TRUE(m);
  EXPECT_FALSE(lac_user_check(cfg, *m, "corp.com\\carol").passes());
  user("corp.com");
  auto c = lac_user_check(cfg, *m, "corp.com\\carol");
  EXPECT_EQ(c.kind, LacUserCheckKind::domain_user);
  EXPECT_EQ(c.local_user, "corp.com");
}

TEST_F(LookupTest, DnisGroupAcceptsTheDomainUser) {
  add(lac(2, LacMatchKind::dnis, "5551234"));
  auto m = find("dave@corp.com", "5551234");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->by, LacMatchKind::dnis);
  EXPECT_FALSE(lac_user_check(cfg, *m, "dave@corp.com").passes());
  user("corp.com");
  EXPECT_EQ(lac_user_check(cfg, *m, "dave@corp.com").kind, LacUserCheckKind::domain_user);
  EXPECT_FALSE(lac_user_check(cfg, *m, "dave").passes());  // no domain, no stand-in
}

}  // namespace
}  // namespace vpdnd::vpdn
