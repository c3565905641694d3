// DOC: the error a byte decoder returns: what went wrong (the codec's own Kind
// enumeration), where in the input, and a fixed text; printed "<kind> at <offset>: <what>".
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace vpdnd {

template <class K>
struct CodecError {
  using Kind = K;
  Kind kind{};
  std::size_t offset = 0;  // where in the input the problem is
  std::string_view what;   // fixed text, e.g. "option length < 2"
};

template <class K>
Unexpected<CodecError<K>> codec_error(K kind, std::size_t offset, std::string_view what) {
  return {CodecError<K>{kind, offset, what}};
}

// `kinds`: the names of Kind's enumerators, in order.
template <class K, std::size_t N>
std::string describe(const CodecError<K>& e, const std::string_view (&kinds)[N]) {
  const auto i = static_cast<std::size_t>(e.kind);
  return std::string(i < N ? kinds[i] : "?") + " at " + std::to_string(e.offset) + ": " +
         std::string(e.what);
}

}  // namespace vpdnd
