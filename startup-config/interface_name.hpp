// DOC: Comware interface names (`GigabitEthernet0/0`, `GE1/0/1`, `Vlan-interface1`,
// `LoopBack0`, ...): recognising what an operator or a pasted configuration typed and giving
// the canonical spelling the running config is keyed by. A Comware name is bound to a Linux
// interface by `interface-map` (RunningConfig::interface_map); any other name is taken as a
// Linux interface name, as before.
#pragma once

#include <array>
#include <cctype>
#include <string>
#include <string_view>

namespace vpdnd::config {

struct ComwareInterfaceType {
  std::string_view name;        // canonical spelling
  std::string_view short_name;  // V7 `display interface brief` form, "" when none
  bool slotted;                 // numbered slot/port (`0/0`, `1/0/1`), else a plain number
};

inline constexpr std::array<ComwareInterfaceType, 17> kComwareInterfaceTypes{{
    {"GigabitEthernet", "GE", true},
    {"Ten-GigabitEthernet", "XGE", true},
    {"FortyGigE", "FGE", true},
    {"M-GigabitEthernet", "MGE", true},
    {"Ethernet", "Eth", true},
    {"Serial", "Ser", true},
    {"Cellular", "Cel", true},
    {"Vlan-interface", "", false},
    {"LoopBack", "", false},
    {"Dialer", "", false},
    {"Tunnel", "", false},
    {"NULL", "", false},
    {"Aux", "", false},
    {"Virtual-Ethernet", "", false},
    {"Route-Aggregation", "RAGG", false},
    {"Bridge-Aggregation", "BAGG", false},
    {"InLoopBack", "", false},
}};

namespace detail {

inline bool iequal_prefix(std::string_view word, std::string_view of) {
  if (word.empty() || word.size() > of.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(word[i])) !=
        std::tolower(static_cast<unsigned char>(of[i])))
      return false;
  return true;
}

inline bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && iequal_prefix(a, b);
}

// `0`, `0/0`, `1/0/1`, with an optional sub-interface `.N` or channel `:N`.
inline bool interface_number(std::string_view n, bool* slotted) {
  std::size_t i = 0, groups = 0;
  for (;;) {
    std::size_t start = i;
    while (i < n.size() && i - start < 5 && std::isdigit(static_cast<unsigned char>(n[i]))) ++i;
    if (i == start) return false;
    ++groups;
    if (i == n.size()) break;
    if (n[i] == '/' && groups < 4) {
      ++i;
      continue;
    }
    if ((n[i] == '.' || n[i] == ':') && groups >= 1) {
      ++i;
      std::size_t sub = i;
      while (i < n.size() && i - sub < 5 && std::isdigit(static_cast<unsigned char>(n[i]))) ++i;
      if (i == sub || i != n.size()) return false;
      break;
    }
    return false;
  }
  *slotted = groups > 1;
  return true;
}

}  // namespace detail

// The canonical Comware name for an interface type word and its number (`gi`, `0/0` →
// `GigabitEthernet0/0`), or "" when they name no Comware interface. The type may be the
// full name or its short form in any case, or (typed apart from the number) any prefix that
// names one type. Virtual-Template is not one of these: it has its own view.
inline std::string comware_interface_name(std::string_view type, std::string_view number,
                                          bool allow_prefix = true) {
  bool slotted = false;
  if (!detail::interface_number(number, &slotted)) return {};
  const ComwareInterfaceType* found = nullptr;
  int prefixed = 0;
  for (const auto& t : kComwareInterfaceTypes) {
    if (detail::iequal(type, t.name) ||
        (!t.short_name.empty() && detail::iequal(type, t.short_name))) {
      found = &t;
      prefixed = 1;
      break;
    }
    if (allow_prefix && detail::iequal_prefix(type, t.name)) {
      found = &t;
      ++prefixed;
    }
  }
  if (!found || prefixed != 1 || found->slotted != slotted) return {};
  return std::string(found->name) + std::string(number);
}

// The canonical Comware name of one word (`GigabitEthernet0/0`, `GE0/0`, `g0/0`,
// `LoopBack0`), or "" when it is none (a Linux name such as `eth0` or `vlan100`). A prefix
// of a type is taken only before a slot/port number: Linux names never hold a `/`, so
// `eth0` stays a Linux name while `eth0/1` is Ethernet0/1.
inline std::string comware_interface_name(std::string_view word) {
  std::size_t digit = 0;
  while (digit < word.size() && !std::isdigit(static_cast<unsigned char>(word[digit]))) ++digit;
  if (digit == 0 || digit == word.size()) return {};
  std::string_view type = word.substr(0, digit), number = word.substr(digit);
  bool slashed = number.find('/') != std::string_view::npos;
  return comware_interface_name(type, number, slashed);
}

}  // namespace vpdnd::config
