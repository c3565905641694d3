// What rtnl.cpp and kernel.cpp share over libnl: its error text, and owning pointers that
// give libnl objects back with libnl's own release function.
#pragma once

#include <netlink/errno.h>

#include <memory>
#include <string>

#include "netlink/netlink.hpp"

namespace vpdnd::netlink {

inline Error nl_error(const std::string& what, int code) {
  return Error{what + ": " + nl_geterror(code), code};
}

template <auto Release>
struct NlRelease {
  template <class T>
  void operator()(T* p) const {
    Release(p);
  }
};
// NlPtr<nl_sock, nl_socket_free>: a libnl object released with its own function.
template <class T, auto Release>
using NlPtr = std::unique_ptr<T, NlRelease<Release>>;

}  // namespace vpdnd::netlink
