// DOC: the LAC's VPDN user lookup: which `l2tp-group` (if any) tunnels a PPP user, decided
// from the running config alone. Pure functions, no state, no I/O; called on the engine
// thread with the current RunningConfig.
//
// Rules (docs/CLI.md, `l2tp-group`): a LAC group whose `start l2tp ... fullusername U` equals
// the whole user name wins outright; otherwise groups with `dnis N` (the Called Number)
// and `domain D` (the user name's domain, split by the configured prefix/suffix separator,
// compared case-insensitively) are searched in `l2tp match-order`. Among several matching
// groups of one kind the lowest group number wins. A RADIUS tunnel answer (RFC 2868)
// overrides this lookup; that decision belongs to the caller.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "startup-config/model.hpp"

namespace vpdnd::vpdn {

struct LacGroupMatch {
  std::uint16_t group = 0;
  config::LacMatchKind by = config::LacMatchKind::none;  // fullusername, domain or dnis
};

// `dnis` empty: no Called Number known (DNIS rules cannot match).
std::optional<LacGroupMatch> find_lac_group(const config::RunningConfig& config,
                                            std::string_view full_user_name, std::string_view dnis);

// The LAC-side user check (docs/ARCHITECTURE-NOTES.md, "LAC decisions"): with a fullusername group
// the LAC's local user is the VPN user's full name (and its password is checked locally); with a
// domain (or DNIS) group, either that full-name local user or a local user named after the domain
// itself stands for the user, who is only recognised (the real credentials go to the LNS by proxy
// authentication). Only active local users with `service-type ppp` count.
enum class LacUserCheckKind : std::uint8_t {
  none,            // no local user stands for this user: the check fails
  full_name_user,  // local user == full name: verify the password against it
  domain_user,     // local user named after the domain: recognise only
};
struct LacUserCheck {
  LacUserCheckKind kind = LacUserCheckKind::none;
  std::string local_user;  // the local user's name
  bool passes() const { return kind != LacUserCheckKind::none; }
};
LacUserCheck lac_user_check(const config::RunningConfig& config, const LacGroupMatch& match,
                            std::string_view full_user_name);

}  // namespace vpdnd::vpdn
