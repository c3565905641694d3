// The L2TP-MIB (RFC 3371) over an L2tpSnapshot, and the notifications between two
// snapshots. Pure: no net-snmp here, so the object tree is tested without an agent.
#include <algorithm>
#include <functional>

#include "snmp/snmp.hpp"

namespace vpdnd::snmp {
namespace {

using vpdn::SessionState;
using vpdn::SessionStatus;
using vpdn::TunnelState;
using vpdn::TunnelStatus;

Oid operator+(Oid a, const Oid& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

bool starts_with(const Oid& oid, const Oid& prefix) {
  return oid.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), oid.begin());
}

// RFC 3371 l2tpTunnelStatsState / l2tpSessionStatsState: idle(1), connecting(2),
// established(3), disconnecting(4). Tunnels and sessions name their states alike; every
// state that waits for the peer is connecting.
template <class State>
std::int64_t mib_state(State s) {
  if (s == State::idle) return 1;
  if (s == State::established) return 3;
  if (s == State::stopping) return 4;
  return 2;
}

// l2tpSessionStatsAuthMethod: none(1) text(2) pppChap(3) pppPap(4) pppEap(5) pppMsChapV1(6)
// pppMsChapV2(7) other(8), from the name `display l2tp session verbose` shows.
std::int64_t auth_method(std::string_view m) {
  if (m.empty() || m == "none") return 1;
  if (m.ends_with("MS-CHAP-V2")) return 7;
  if (m.ends_with("MS-CHAP")) return 6;
  if (m.ends_with("CHAP")) return 3;
  if (m.ends_with("PAP")) return 4;
  return 8;
}

constexpr std::int64_t kFalse = 2;  // TruthValue

const Oid kIfIndex{1, 3, 6, 1, 2, 1, 2, 2, 1, 1};
const Oid kIfAdminStatus{1, 3, 6, 1, 2, 1, 2, 2, 1, 7};
const Oid kIfOperStatus{1, 3, 6, 1, 2, 1, 2, 2, 1, 8};
const Oid kLinkDown{1, 3, 6, 1, 6, 3, 1, 1, 5, 3};
const Oid kLinkUp{1, 3, 6, 1, 6, 3, 1, 1, 5, 4};
const Oid kPlaypen{1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 1701};

std::uint32_t tunnel_if_index(std::uint16_t local_id) {
  return kTunnelIfIndexBase + local_id;
}

// One column of a table (or one scalar: rows == 1, index {0}).
struct Column {
  Oid prefix;
  std::size_t rows = 0;
  std::function<Oid(std::size_t)> index;
  std::function<Value(std::size_t)> value;
};

}  // namespace

std::string to_string(const Oid& oid) {
  std::string out;
  for (auto n : oid) out += (out.empty() ? "" : ".") + std::to_string(n);
  return out;
}

const Oid& l2tp_mib_root() {
  static const Oid root{1, 3, 6, 1, 2, 1, 10, 95};
  return root;
}

const Oid& session_limit_notification() {
  static const Oid oid = kPlaypen + Oid{0, 1};
  return oid;
}

namespace {

std::vector<Column> columns(const L2tpSnapshot& s, const std::vector<std::size_t>& tunnels,
                            const std::vector<std::size_t>& sessions,
                            const std::vector<bool>& session_lac) {
  const Oid& r = l2tp_mib_root();
  std::vector<Column> out;
  auto scalar = [&](Oid sub, Value v) {
    out.push_back({r + sub, 1, [](std::size_t) { return Oid{0}; }, [v](std::size_t) { return v; }});
  };
  scalar({1, 1, 1, 1}, Value::integer(s.l2tp_enabled ? 1 : 2));     // l2tpAdminState
  scalar({1, 1, 1, 2}, Value::integer(kFalse));                     // l2tpDrainTunnels
  scalar({1, 1, 2, 1}, Value::string(std::string("\x01\x00", 2)));  // l2tpProtocolVersions
  scalar({1, 1, 2, 2}, Value::string("vpdnd"));                     // l2tpVendorName
  scalar({1, 1, 2, 3}, Value::integer(0x0100));                     // l2tpFirmwareRev
  scalar({1, 1, 2, 4}, Value::integer(kFalse));                     // l2tpDrainingTunnels

  auto tunnel = [&s, &tunnels](std::size_t row) -> const TunnelStatus& {
    return s.tunnels[tunnels[row]];
  };
  auto tunnel_column = [&](Oid sub, std::function<Value(const TunnelStatus&)> fn) {
    out.push_back({r + sub, tunnels.size(),
                   [tunnel](std::size_t row) { return Oid{tunnel_if_index(tunnel(row).local_id)}; },
                   [tunnel, fn](std::size_t row) { return fn(tunnel(row)); }});
  };
  // l2tpTunnelConfigTable (.1.4.1), indexed by the tunnel's ifIndex.
  tunnel_column({1, 4, 1, 3}, [](auto& t) { return Value::integer(t.authenticated ? 3 : 1); });
  tunnel_column({1, 4, 1, 5}, [](auto&) { return Value::integer(1); });  // security none
  tunnel_column({1, 4, 1, 6}, [](auto& t) { return Value::integer(t.hello_interval_s); });
  tunnel_column({1, 4, 1, 8}, [](auto& t) { return Value::integer(t.our_window); });
  tunnel_column({1, 4, 1, 13}, [](auto&) { return Value::integer(3); });  // udpIp
  tunnel_column({1, 4, 1, 14}, [](auto&) { return Value::integer(kFalse); });
  // l2tpTunnelStatsTable (.1.5.1), augmenting it.
  tunnel_column({1, 5, 1, 1}, [](auto& t) { return Value::integer(t.local_id); });
  tunnel_column({1, 5, 1, 2}, [](auto& t) { return Value::integer(t.remote_id); });
  tunnel_column({1, 5, 1, 3}, [](auto& t) { return Value::integer(mib_state(t.state)); });
  tunnel_column({1, 5, 1, 4}, [](auto& t) { return Value::integer(t.is_lac ? 1 : 2); });
  tunnel_column({1, 5, 1, 5}, [](auto& t) { return Value::string(t.remote_name); });
  tunnel_column({1, 5, 1, 12}, [](auto& t) { return Value::counter(t.control_in); });
  tunnel_column({1, 5, 1, 16}, [](auto& t) { return Value::counter(t.control_out); });
  tunnel_column({1, 5, 1, 18}, [](auto& t) { return Value::counter(t.retransmits); });
  tunnel_column({1, 5, 1, 19}, [](auto& t) { return Value::gauge(t.peer_window); });
  tunnel_column({1, 5, 1, 20}, [](auto& t) { return Value::integer(t.ns); });
  tunnel_column({1, 5, 1, 22}, [](auto& t) { return Value::integer(t.nr); });
  tunnel_column({1, 5, 1, 26}, [](auto& t) { return Value::gauge(t.sessions); });
  tunnel_column({1, 5, 1, 30}, [](auto&) { return Value::integer(kFalse); });

  // l2tpSessionStatsTable (.1.7.1), indexed by (tunnel ifIndex, local session id).
  auto session = [&s, &sessions](std::size_t row) -> const SessionStatus& {
    return s.sessions[sessions[row]];
  };
  auto session_column = [&](std::uint32_t col, std::function<Value(std::size_t)> fn) {
    out.push_back({r + Oid{1, 7, 1, col}, sessions.size(),
                   [session](std::size_t row) {
                     auto& x = session(row);
                     return Oid{tunnel_if_index(x.tunnel_local_id), x.local_id};
                   },
                   std::move(fn)});
  };
  session_column(4, [session](std::size_t i) { return Value::integer(session(i).remote_id); });
  session_column(5, [session](std::size_t i) { return Value::string(session(i).user); });
  session_column(6,
                 [session](std::size_t i) { return Value::integer(mib_state(session(i).state)); });
  session_column(7, [&session_lac](std::size_t i) {
    return Value::integer(session_lac[i] ? 1 : 2);  // lacIncoming / lnsIncoming
  });
  session_column(8, [session](std::size_t i) { return Value::gauge(session(i).call_serial); });
  session_column(14, [session](std::size_t i) { return Value::string(session(i).called_number); });
  session_column(15, [session](std::size_t i) { return Value::string(session(i).calling_number); });
  session_column(
      19, [session](std::size_t i) { return Value::integer(auth_method(session(i).auth_method)); });

  // l2tpTunnelMapTable (.1.8.1): local tunnel id -> ifIndex.
  out.push_back({r + Oid{1, 8, 1, 2}, tunnels.size(),
                 [tunnel](std::size_t row) { return Oid{tunnel(row).local_id}; },
                 [tunnel](std::size_t row) {
                   return Value::integer(tunnel_if_index(tunnel(row).local_id));
                 }});
  return out;
}

// Columns are in OID order; within one, rows are in index order.
std::optional<Varbind> find_next(const std::vector<Column>& cols, const Oid& oid) {
  for (const auto& c : cols) {
    if (c.rows == 0) continue;
    std::size_t row = 0;
    if (starts_with(oid, c.prefix)) {
      Oid suffix(oid.begin() + static_cast<std::ptrdiff_t>(c.prefix.size()), oid.end());
      std::size_t lo = 0, hi = c.rows;
      while (lo < hi) {  // first row whose index is greater than suffix
        std::size_t mid = (lo + hi) / 2;
        if (c.index(mid) <= suffix)
          lo = mid + 1;
        else
          hi = mid;
      }
      row = lo;
      if (row == c.rows) continue;
    } else if (!(oid < c.prefix)) {
      continue;  // the whole column is before oid
    }
    return Varbind{c.prefix + c.index(row), c.value(row)};
  }
  return std::nullopt;
}

}  // namespace

L2tpMib::L2tpMib(L2tpSnapshot snapshot) : snapshot_(std::move(snapshot)) {
  const auto& s = snapshot_;
  tunnel_order_.resize(s.tunnels.size());
  for (std::size_t i = 0; i < tunnel_order_.size(); ++i) tunnel_order_[i] = i;
  std::sort(tunnel_order_.begin(), tunnel_order_.end(),
            [&](auto a, auto b) { return s.tunnels[a].local_id < s.tunnels[b].local_id; });
  session_order_.resize(s.sessions.size());
  for (std::size_t i = 0; i < session_order_.size(); ++i) session_order_[i] = i;
  std::sort(session_order_.begin(), session_order_.end(), [&](auto a, auto b) {
    const auto &x = s.sessions[a], &y = s.sessions[b];
    return std::pair(x.tunnel_local_id, x.local_id) < std::pair(y.tunnel_local_id, y.local_id);
  });
  std::vector<bool> lac_by_id(65536, false);
  for (auto& t : s.tunnels) lac_by_id[t.local_id] = t.is_lac;
  tunnel_is_lac_.reserve(session_order_.size());
  for (auto i : session_order_) tunnel_is_lac_.push_back(lac_by_id[s.sessions[i].tunnel_local_id]);
}

std::optional<Value> L2tpMib::get(const Oid& oid) const {
  for (const auto& c : columns(snapshot_, tunnel_order_, session_order_, tunnel_is_lac_)) {
    if (!starts_with(oid, c.prefix)) continue;
    Oid suffix(oid.begin() + static_cast<std::ptrdiff_t>(c.prefix.size()), oid.end());
    std::size_t lo = 0, hi = c.rows;
    while (lo < hi) {  // first row whose index is not less than suffix
      std::size_t mid = (lo + hi) / 2;
      if (c.index(mid) < suffix)
        lo = mid + 1;
      else
        hi = mid;
    }
    if (lo < c.rows && c.index(lo) == suffix) return c.value(lo);
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<Varbind> L2tpMib::get_next(const Oid& oid) const {
  auto cols = columns(snapshot_, tunnel_order_, session_order_, tunnel_is_lac_);
  auto next = find_next(cols, oid);
  if (next && starts_with(next->oid, l2tp_mib_root())) return next;
  return std::nullopt;
}

std::vector<Notification> notifications_between(const L2tpSnapshot& before,
                                                const L2tpSnapshot& after) {
  std::vector<Notification> out;
  auto established = [](const L2tpSnapshot& s, std::uint16_t id) -> const TunnelStatus* {
    for (auto& t : s.tunnels)
      if (t.local_id == id && t.state == TunnelState::established) return &t;
    return nullptr;
  };
  auto link = [&](const TunnelStatus& t, bool up) {
    std::uint32_t ifx = tunnel_if_index(t.local_id);
    const Oid& r = l2tp_mib_root();
    Notification n{up ? kLinkUp : kLinkDown,
                   {{kIfIndex + Oid{ifx}, Value::integer(ifx)},
                    {kIfAdminStatus + Oid{ifx}, Value::integer(1)},
                    {kIfOperStatus + Oid{ifx}, Value::integer(up ? 1 : 2)},
                    {r + Oid{1, 5, 1, 1, ifx}, Value::integer(t.local_id)},
                    {r + Oid{1, 5, 1, 2, ifx}, Value::integer(t.remote_id)},
                    {r + Oid{1, 5, 1, 5, ifx}, Value::string(t.remote_name)}}};
    out.push_back(std::move(n));
  };
  for (auto& t : before.tunnels)
    if (t.state == TunnelState::established && !established(after, t.local_id)) link(t, false);
  for (auto& t : after.tunnels)
    if (t.state == TunnelState::established && !established(before, t.local_id)) link(t, true);
  if (after.session_limit && after.session_count >= *after.session_limit &&
      !(before.session_limit && before.session_count >= *before.session_limit)) {
    out.push_back({session_limit_notification(),
                   {{kPlaypen + Oid{1, 1, 0}, Value::gauge(after.session_count)},
                    {kPlaypen + Oid{1, 2, 0}, Value::gauge(*after.session_limit)}}});
  }
  return out;
}

}  // namespace vpdnd::snmp
