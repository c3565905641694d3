// DOC: cli/lang, the Comware command language of vpdnd, beyond what cli/cli.hpp declares
// (make_command_session, load_config_file, render_configuration, save_configuration are
// implemented here too). This header adds the display renderers: pure functions from the
// engines' snapshot structs (vpdn/status.hpp, aaa/status.hpp, ppp/status.hpp) or the
// running config to the text `display ...` prints. They never print a secret in clear.
// Threads: pure; call them anywhere (the snapshots are taken on the protocol thread).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "aaa/status.hpp"
#include "cli/operations.hpp"
#include "ppp/status.hpp"
#include "startup-config/model.hpp"
#include "vpdn/status.hpp"

namespace vpdnd::cli {

enum class Detail { brief, statistics, verbose };

std::string_view tunnel_state_name(vpdn::TunnelState s);    // "Established", ...
std::string_view session_state_name(vpdn::SessionState s);  // "Wait-connect", ...

// `display l2tp tunnel [statistics|verbose]`. Tunnels in the Stopping hold (cleared, still
// answering the peer's StopCCN retransmissions) are neither counted nor listed, except by
// verbose, which lists them after a count of their own.
std::string render_l2tp_tunnels(const std::vector<vpdn::TunnelStatus>& tunnels, Detail detail);
// `display l2tp session [statistics|verbose]`. The brief table has fixed column widths
// (as Comware's), so that it can be printed in pages as the sessions are read: the count
// and column titles first, then rows page by page.
std::string render_l2tp_sessions(const std::vector<vpdn::SessionStatus>& sessions, Detail detail);
std::string render_l2tp_session_head(std::size_t total);
std::string render_l2tp_session_rows(const std::vector<vpdn::SessionStatus>& sessions);
// `display l2tp statistics`
std::string render_l2tp_statistics(const vpdn::L2tpStatistics& stats);
// `display ip pool [NAME]` (name empty: all pools, no lease list). "" when NAME is unknown.
std::string render_ip_pools(const std::vector<aaa::PoolStatus>& pools, const std::string& name);
// `display domain [NAME]`, `display local-user`, `display radius scheme [NAME]`
std::string render_domains(const config::RunningConfig& config, const std::string& name);
std::string render_local_users(const config::RunningConfig& config);
std::string render_radius_schemes(const config::RunningConfig& config, const std::string& name);
// `display radius statistics`: the totals, then one block per server ("host:port").
std::string render_radius_statistics(const aaa::RadiusStatistics& stats);
// `display connection [domain D | ip A | ucibindex N | user-name U]`: the matching online
// users, V5 layout (Index/Username, IP, IPv6); `ucibindex` adds access, port and online
// time. `now` is the wall clock the Start/Current times are printed from.
std::string render_connections(const std::vector<aaa::OnlineUser>& users,
                               const ConnectionFilter& filter,
                               std::chrono::system_clock::time_point now);
// `display pppoe-server session`
std::string render_pppoe_sessions(const std::vector<ppp::PppoeSessionStatus>& sessions);
// `display version`
std::string render_version();
// `display debugging`, from the LogBus switches.
std::string render_debugging();
// `display saved-configuration`: the file text with any `simple` secret shown as cipher.
std::string mask_secrets(const std::string& config_text);

}  // namespace vpdnd::cli
