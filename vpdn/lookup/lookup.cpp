#include "vpdn/lookup.hpp"

#include "aaa/aaa.hpp"

namespace vpdnd::vpdn {
namespace {

using config::LacMatchKind;

// First LAC group (lowest number, std::map order) whose match rule is `kind` and accepts
// `value` under `eq`.
template <class Eq>
std::optional<LacGroupMatch> first_group(const config::RunningConfig& config, LacMatchKind kind,
                                         std::string_view value, Eq eq) {
  if (value.empty()) return std::nullopt;
  for (const auto& [number, group] : config.l2tp_groups) {
    if (!group.is_lac() || group.is_lns() || group.match_kind != kind) continue;
    if (eq(group.match_value, value)) return LacGroupMatch{number, kind};
  }
  return std::nullopt;
}

bool exact(std::string_view a, std::string_view b) {
  return a == b;
}

const config::LocalUser* ppp_user(const config::RunningConfig& config, std::string_view name) {
  if (name.empty()) return nullptr;
  auto it = config.local_users.find(std::string(name));
  if (it == config.local_users.end()) return nullptr;
  const auto& u = it->second;
  if (!u.active || !u.has_service(config::ServiceType::ppp)) return nullptr;
  return &u;
}

}  // namespace

std::optional<LacGroupMatch> find_lac_group(const config::RunningConfig& config,
                                            std::string_view full_user_name,
                                            std::string_view dnis) {
  if (auto m = first_group(config, LacMatchKind::fullusername, full_user_name, exact)) return m;

  const std::string domain = aaa::split_user_name(full_user_name, config.l2tp).domain;
  auto by_dnis = [&] { return first_group(config, LacMatchKind::dnis, dnis, exact); };
  auto by_domain = [&] {
    return first_group(config, LacMatchKind::domain, domain, aaa::domain_equal);
  };
  switch (config.l2tp.match_order) {
    case config::MatchOrder::dnis_domain:
      if (auto m = by_dnis()) return m;
      return by_domain();
    case config::MatchOrder::dnis_only:
      return by_dnis();
    case config::MatchOrder::domain_dnis:
      if (auto m = by_domain()) return m;
      return by_dnis();
    case config::MatchOrder::domain_only:
      return by_domain();
  }
  return std::nullopt;
}

LacUserCheck lac_user_check(const config::RunningConfig& config, const LacGroupMatch& match,
                            std::string_view full_user_name) {
  if (const auto* u = ppp_user(config, full_user_name))
    return {LacUserCheckKind::full_name_user, u->name};
  if (match.by == LacMatchKind::fullusername || match.by == LacMatchKind::none) return {};
  const std::string domain = aaa::split_user_name(full_user_name, config.l2tp).domain;
  if (domain.empty()) return {};
  // Local user names are case-sensitive, domains are not: look for an exact name first,
  // then any local user whose name equals the domain ignoring case.
  if (const auto* u = ppp_user(config, domain)) return {LacUserCheckKind::domain_user, u->name};
  for (const auto& [name, user] : config.local_users) {
    if (aaa::domain_equal(name, domain) && ppp_user(config, name))
      return {LacUserCheckKind::domain_user, name};
  }
  return {};
}

}  // namespace vpdnd::vpdn
