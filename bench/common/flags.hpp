// Command-line flags of the benchmark programs: `--name VALUE` stores VALUE in the variable
// the flag names (read as atoi/atol/atof read it: the caller checks the ranges it needs),
// a switch (`--name` alone) stores its value. An unknown flag or a missing value fails.
#pragma once

#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace vpdnd::bench {

struct Switch {
  bool* target;
  bool value;
};

struct Flag {
  std::string_view name;
  std::variant<Switch, int*, long*, double*, std::string*> target;
};

inline bool parse_flags(int argc, char** argv, std::span<const Flag> flags) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    const Flag* flag = nullptr;
    for (const Flag& f : flags)
      if (f.name == a) flag = &f;
    if (flag == nullptr) return false;
    if (auto* s = std::get_if<Switch>(&flag->target)) {
      *s->target = s->value;
      continue;
    }
    if (i + 1 >= argc) return false;
    const char* v = argv[++i];
    if (auto* p = std::get_if<int*>(&flag->target)) **p = std::atoi(v);
    if (auto* p = std::get_if<long*>(&flag->target)) **p = std::atol(v);
    if (auto* p = std::get_if<double*>(&flag->target)) **p = std::atof(v);
    if (auto* p = std::get_if<std::string*>(&flag->target)) **p = v;
  }
  return true;
}

}  // namespace vpdnd::bench
