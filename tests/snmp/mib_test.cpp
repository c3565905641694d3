#include <gtest/gtest.h>

#include "snmp/snmp.hpp"

namespace vpdnd::snmp {
namespace {

Oid mib(Oid sub) {
  Oid o = l2tp_mib_root();
  o.insert(o.end(), sub.begin(), sub.end());
  return o;
}

vpdn::TunnelStatus tunnel(std::uint16_t id, vpdn::TunnelState st, std::string name) {
  vpdn::TunnelStatus t;
  t.local_id = id;
  t.remote_id = static_cast<std::uint16_t>(id + 1000);
  t.state = st;
  t.remote_name = std::move(name);
  t.sessions = 1;
  return t;
}

vpdn::SessionStatus session(std::uint16_t tunnel, std::uint16_t id, std::string user) {
  vpdn::SessionStatus s;
  s.tunnel_local_id = tunnel;
  s.local_id = id;
  s.remote_id = static_cast<std::uint16_t>(id + 1);
  s.user = std::move(user);
  s.state = vpdn::SessionState::established;
  s.auth_method = "CHAP";
  s.call_serial = 77;
  return s;
}

L2tpSnapshot two_tunnels() {
  L2tpSnapshot s;
  s.l2tp_enabled = true;
  // Out of order on purpose: the MIB orders rows by index.
  s.tunnels = {tunnel(9, vpdn::TunnelState::established, "LAC-B"),
               tunnel(5, vpdn::TunnelState::wait_connect, "LAC-A")};
  s.sessions = {session(9, 300, "u3@corp"), session(5, 20, "u1@corp"), session(9, 4, "u2@corp")};
  s.sessions[0].auth_method = "proxy MS-CHAP-V2";
  return s;
}

const std::uint32_t kIf5 = kTunnelIfIndexBase + 5, kIf9 = kTunnelIfIndexBase + 9;

TEST(L2tpMib, ScalarsAndTunnelColumns) {
  L2tpMib m(two_tunnels());
  EXPECT_EQ(m.get(mib({1, 1, 1, 1, 0})), Value::integer(1));  // l2tpAdminState enabled
  EXPECT_EQ(m.get(mib({1, 1, 2, 2, 0})), Value::string("vpdnd"));
  EXPECT_EQ(m.get(mib({1, 1, 2, 1, 0})), Value::string(std::string("\x01\x00", 2)));
  EXPECT_FALSE(m.get(mib({1, 1, 2, 2})));     // no instance without .0
  EXPECT_FALSE(m.get(mib({1, 1, 2, 2, 1})));  // nor with another one
  EXPECT_EQ(m.get(mib({1, 5, 1, 1, kIf9})), Value::integer(9));
  EXPECT_EQ(m.get(mib({1, 5, 1, 2, kIf9})), Value::integer(1009));
  EXPECT_EQ(m.get(mib({1, 5, 1, 3, kIf9})), Value::integer(3));  // established
  EXPECT_EQ(m.get(mib({1, 5, 1, 3, kIf5})), Value::integer(2));  // connecting
  EXPECT_EQ(m.get(mib({1, 5, 1, 4, kIf5})), Value::integer(2));  // remotely initiated (LNS)
  EXPECT_EQ(m.get(mib({1, 5, 1, 5, kIf5})), Value::string("LAC-A"));
  EXPECT_EQ(m.get(mib({1, 8, 1, 2, 9})), Value::integer(kIf9));  // l2tpTunnelMapIfIndex
  EXPECT_FALSE(m.get(mib({1, 5, 1, 1, kIf9 + 1})));
  EXPECT_FALSE(m.get({1, 3, 6, 1, 2, 1, 1, 1, 0}));
}

TEST(L2tpMib, SessionRowsIndexedByTunnelIfIndexAndSessionId) {
  L2tpMib m(two_tunnels());
  EXPECT_EQ(m.get(mib({1, 7, 1, 5, kIf9, 300})), Value::string("u3@corp"));
  EXPECT_EQ(m.get(mib({1, 7, 1, 4, kIf5, 20})), Value::integer(21));
  EXPECT_EQ(m.get(mib({1, 7, 1, 6, kIf5, 20})), Value::integer(3));
  EXPECT_EQ(m.get(mib({1, 7, 1, 7, kIf5, 20})), Value::integer(2));  // lnsIncoming
  EXPECT_EQ(m.get(mib({1, 7, 1, 8, kIf5, 20})), Value::gauge(77));
  EXPECT_EQ(m.get(mib({1, 7, 1, 19, kIf5, 20})), Value::integer(3));   // pppChap
  EXPECT_EQ(m.get(mib({1, 7, 1, 19, kIf9, 300})), Value::integer(7));  // pppMsChapV2
  EXPECT_FALSE(m.get(mib({1, 7, 1, 5, kIf5, 300})));
}

TEST(L2tpMib, WalkVisitsEveryObjectOnceInOidOrder) {
  L2tpMib m(two_tunnels());
  std::vector<Oid> seen;
  Oid at = l2tp_mib_root();
  while (auto next = m.get_next(at)) {
    ASSERT_TRUE(at < next->oid) << to_string(at) << " -> " << to_string(next->oid);
    EXPECT_EQ(m.get(next->oid), next->value) << to_string(next->oid);
    seen.push_back(next->oid);
    at = next->oid;
    ASSERT_LT(seen.size(), 1000u);
  }
  // The user names column, rows in index order: (if5,20), (if9,4), (if9,300).
  std::vector<std::string> users;
  for (auto& o : seen)
    if (o.size() == 14 && Oid(o.begin(), o.begin() + 12) == mib({1, 7, 1, 5}))
      users.push_back(m.get(o)->octets);
  EXPECT_EQ(users, (std::vector<std::string>{"u1@corp", "u2@corp", "u3@corp"}));
  EXPECT_EQ(seen.front(), mib({1, 1, 1, 1, 0}));
  EXPECT_EQ(seen.back(), mib({1, 8, 1, 2, 9}));
  // From inside a column, past its last row: the next column's first row.
  auto next = m.get_next(mib({1, 5, 1, 1, kIf9}));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->oid, mib({1, 5, 1, 2, kIf5}));
  // Before the MIB: its first object; after it: nothing.
  EXPECT_EQ(m.get_next({1, 3, 6, 1, 2, 1, 10})->oid, mib({1, 1, 1, 1, 0}));
  EXPECT_FALSE(m.get_next(mib({2})));
}

TEST(L2tpMib, EmptySnapshotHasOnlyScalars) {
  L2tpMib m(L2tpSnapshot{});
  int n = 0;
  Oid at = l2tp_mib_root();
  while (auto next = m.get_next(at)) {
    at = next->oid;
    ++n;
  }
  EXPECT_EQ(n, 6);
  EXPECT_EQ(m.get(mib({1, 1, 1, 1, 0})), Value::integer(2));  // disabled
}

TEST(Notifications, TunnelUpAndDownAsLinkUpLinkDown) {
  L2tpSnapshot before = two_tunnels(), after = two_tunnels();
  after.tunnels[1].state = vpdn::TunnelState::established;  // 5 comes up
  after.tunnels.erase(after.tunnels.begin());               // 9 goes
  auto n = notifications_between(before, after);
  ASSERT_EQ(n.size(), 2u);
  EXPECT_EQ(n[0].trap_oid, (Oid{1, 3, 6, 1, 6, 3, 1, 1, 5, 3}));  // linkDown
  EXPECT_EQ(n[0].varbinds[0].oid, (Oid{1, 3, 6, 1, 2, 1, 2, 2, 1, 1, kIf9}));
  EXPECT_EQ(n[0].varbinds[2].value, Value::integer(2));  // ifOperStatus down
  EXPECT_EQ(n[0].varbinds[5].value, Value::string("LAC-B"));
  EXPECT_EQ(n[1].trap_oid, (Oid{1, 3, 6, 1, 6, 3, 1, 1, 5, 4}));  // linkUp
  EXPECT_EQ(n[1].varbinds[3].value, Value::integer(5));
  EXPECT_TRUE(notifications_between(after, after).empty());
  // Stopping counts as down.
  L2tpSnapshot stopping = after;
  stopping.tunnels[0].state = vpdn::TunnelState::stopping;
  ASSERT_EQ(notifications_between(after, stopping).size(), 1u);
}

TEST(Notifications, SessionLimitOnceWhenReached) {
  L2tpSnapshot a, b;
  a.session_limit = b.session_limit = 10;
  a.session_count = 9;
  b.session_count = 10;
  auto n = notifications_between(a, b);
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].trap_oid, session_limit_notification());
  EXPECT_EQ(n[0].varbinds[0].value, Value::gauge(10));
  EXPECT_TRUE(notifications_between(b, b).empty());  // still at the limit: once
  L2tpSnapshot none = b;
  none.session_limit.reset();
  EXPECT_TRUE(notifications_between(a, none).empty());
}

}  // namespace
}  // namespace vpdnd::snmp
