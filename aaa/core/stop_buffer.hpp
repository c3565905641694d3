// The stop-accounting buffer file: its text format (pure functions) and the atomic write.
//
// Format, one Stop a line after a header line:
//   # vpdnd stop-accounting-buffer 1
//   stop scheme=r1 sid=1A2B3C0000000005 event=1765000000 attempts=3 user=alice%40corp ...
// Values are percent-encoded (anything outside [A-Za-z0-9._@:/+-] as %XX) so no value holds
// a space or newline. Unknown keys are ignored, so a later version can add some. The file
// references the RADIUS scheme by name and never holds a shared secret.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "aaa/aaa.hpp"

namespace vpdnd::aaa::detail {

struct StopRecord {
  std::string scheme;
  RadiusAccountingRequest request;  // status stop; delay_time_s unused
  std::int64_t event_time = 0;      // Unix seconds
  std::uint32_t attempts = 0;
  bool operator==(const StopRecord& o) const;
};

std::string encode_stop_buffer(const std::vector<StopRecord>& records);

struct DecodedStopBuffer {
  std::vector<StopRecord> records;
  std::size_t bad_lines = 0;
};
DecodedStopBuffer decode_stop_buffer(std::string_view text);

// Writes `text` to `path` atomically: `path`.tmp (mode 0600), fsync, rename, fsync of the
// directory. Returns "" or what failed (errno text).
std::string write_file_atomically(const std::string& path, std::string_view text);

}  // namespace vpdnd::aaa::detail
