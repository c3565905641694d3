#include "vpdn/status.hpp"

namespace vpdnd::vpdn {

std::string_view display_name(TunnelState s) {
  switch (s) {
    case TunnelState::idle:
      return "Idle";
    case TunnelState::wait_reply:
      return "Wait-reply";
    case TunnelState::wait_connect:
      return "Wait-connect";
    case TunnelState::established:
      return "Established";
    case TunnelState::stopping:
      return "Stopping";
  }
  return "?";
}

std::string_view display_name(SessionState s) {
  switch (s) {
    case SessionState::idle:
      return "Idle";
    case SessionState::wait_tunnel:
      return "Wait-tunnel";
    case SessionState::wait_reply:
      return "Wait-reply";
    case SessionState::wait_connect:
      return "Wait-connect";
    case SessionState::established:
      return "Established";
    case SessionState::stopping:
      return "Stopping";
  }
  return "?";
}

}  // namespace vpdnd::vpdn
