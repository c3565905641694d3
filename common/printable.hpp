// DOC: what the operator may see of data a peer sent. Every string that came from the wire
// (L2TP Host/Vendor Name, user names from PAP/CHAP/proxy AVPs, calling/called numbers,
// PPPoE tags, RADIUS attributes) goes through printable() where it is rendered: in a
// display, a log line or a debug line. The stored value stays raw, so lookups and
// matching see what the peer sent.
//
// The output is printable ASCII only (0x20-0x7e): every other byte becomes `\xNN` and a
// backslash becomes `\\`, so the rendering is unambiguous and reversible. Bytes 0x80 and
// above are escaped even when they form valid UTF-8: the terminal's encoding is unknown
// (a Latin-1 terminal takes 0x9b as CSI), valid UTF-8 itself encodes the C1 controls
// (U+0080-U+009F) and bidirectional overrides, and wide characters break table columns.
// A name in UTF-8 therefore shows as its escaped bytes, one column per output character.
//
// Secrets in PPP frames (PAP password, CHAP/MS-CHAP response, MS-CHAP change-password
// blocks) never appear in a dump: ppp_frame_hex() masks them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/bytes.hpp"

namespace vpdnd {

// Bounds on the rendered width (output characters, marker included).
inline constexpr std::size_t kCellWidth = 24;    // a column of a table
inline constexpr std::size_t kFieldWidth = 128;  // a verbose display field, a log field

// Appended when printable() cut its output to fit `max`.
inline constexpr std::string_view kTruncatedMarker = "...";

// `raw` escaped as above and cut to at most `max` characters (never inside an escape); a
// cut output ends with kTruncatedMarker. `max` below the marker's width + 1 counts as that.
std::string printable(std::string_view raw, std::size_t max = kFieldWidth);
std::string printable(ByteView raw, std::size_t max = kFieldWidth);

// The last line of defence for text assembled from already-escaped fields (log bus, CLI
// output): bytes outside 0x20-0x7e become `\xNN`, except the layout characters '\n' and
// '\t' when `keep_newlines` (multi-line output: a display, a debug line).
// A backslash is left alone, so text built from printable() fields passes unchanged.
std::string terminal_safe(std::string text, bool keep_newlines);

// Hex of the first `max_bytes` bytes of a PPP frame (optionally starting with ff 03; the
// protocol field may be compressed), with each secret byte shown as `**`: the password of
// a PAP Authenticate-Request, the value of a CHAP (and MS-CHAP) Response, everything after
// the header of an MS-CHAP Change-Password packet. A frame cut short is masked from where
// its secret would start.
std::string ppp_frame_hex(ByteView frame, std::size_t max_bytes);

}  // namespace vpdnd
