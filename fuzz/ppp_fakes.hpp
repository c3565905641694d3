// DOC: what the PPP fuzz targets put around a PppSession: an abort on a broken invariant
// (libFuzzer reports it as a crash), a listener that ignores the session's events, and an
// address provider that hands out one fixed address.
#pragma once

#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "ppp/ppp.hpp"

namespace vpdnd::fuzz {

inline void check(bool ok) {
  if (!ok) std::abort();
}

struct NullListener : ppp::PppListener {
  void on_ready_to_tunnel(const ppp::ProxyData&, const ppp::AuthResult&) override {}
  void on_up(const ppp::SessionUpInfo&) override {}
  void on_down(ppp::DownReason, std::string_view) override {}
};

// 10.0.0.2 to every user; nothing to give back.
struct FixedAddress : ppp::AddressProvider {
  std::optional<Ipv4> acquire(const std::string&, const ppp::AuthResult&) override {
    return Ipv4{0x0a000002};
  }
  void release(Ipv4) override {}
};

}  // namespace vpdnd::fuzz
