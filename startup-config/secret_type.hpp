// DOC: a secret of the running config (passwords, keys): held in clear in memory because
// the protocols need it, printed only in cipher form (secret.hpp).
#pragma once

#include <string>

namespace vpdnd::config {

struct Secret {
  std::string plain;  // empty = not configured
  bool empty() const { return plain.empty(); }
  bool operator==(const Secret&) const = default;
};

}  // namespace vpdnd::config
