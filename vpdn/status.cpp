#include "vpdn/status.hpp"

#include "common/enum_names.hpp"

namespace vpdnd::vpdn {

std::string_view display_name(TunnelState s) {
  static constexpr std::string_view kNames[] = {"Idle", "Wait-reply", "Wait-connect", "Established",
                                                "Stopping"};
  return enum_name<TunnelState::idle, TunnelState::stopping>(s, kNames);
}

std::string_view display_name(SessionState s) {
  static constexpr std::string_view kNames[] = {"Idle",         "Wait-tunnel", "Wait-reply",
                                                "Wait-connect", "Established", "Stopping"};
  return enum_name<SessionState::idle, SessionState::stopping>(s, kNames);
}

}  // namespace vpdnd::vpdn
