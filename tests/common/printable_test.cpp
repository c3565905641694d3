#include "common/printable.hpp"

#include <gtest/gtest.h>

#include <string>

#include "common/log.hpp"

namespace vpdnd {
namespace {

using namespace std::string_literals;

bool only_printable_ascii(const std::string& s) {
  for (unsigned char c : s)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

TEST(Printable, PlainTextPassesUnchanged) {
  EXPECT_EQ(printable("lns-1.example.com"), "lns-1.example.com");
  EXPECT_EQ(printable(""), "");
  EXPECT_EQ(printable("a b\"c'"), "a b\"c'");
}

TEST(Printable, ControlBytesAreEscaped) {
  EXPECT_EQ(printable("a\0b"s), "a\\x00b");
  EXPECT_EQ(printable("line1\r\nline2"), "line1\\x0d\\x0aline2");
  EXPECT_EQ(printable("\x1b[2J\x1b]0;pwned\x07"), "\\x1b[2J\\x1b]0;pwned\\x07");
  EXPECT_EQ(printable("del\x7f"), "del\\x7f");
  EXPECT_EQ(printable("tab\there"), "tab\\x09here");
}

TEST(Printable, BackslashIsEscapedSoTheOutputIsUnambiguous) {
  EXPECT_EQ(printable("a\\x41"), "a\\\\x41");
  EXPECT_NE(printable("\\x00"), printable("\0"s));
}

// Bytes 0x80 and above are escaped one by one, valid UTF-8 included: 0x9b alone is CSI
// on an 8-bit terminal, and U+009B (c2 9b) is CSI on a UTF-8 one.
TEST(Printable, HighBytesAreEscapedEvenAsValidUtf8) {
  EXPECT_EQ(printable("\x9b"
                      "31m"),
            "\\x9b31m");
  EXPECT_EQ(printable("\xc2\x9b"
                      "31m"),
            "\\xc2\\x9b31m");
  EXPECT_EQ(printable("caf\xc3\xa9"), "caf\\xc3\\xa9");
  EXPECT_EQ(printable("\xe2\x80\xae"
                      "evil"),
            "\\xe2\\x80\\xaeevil");  // U+202E RLO
  EXPECT_EQ(printable("\xff\x80"), "\\xff\\x80");
  std::string every;
  for (int c = 0; c < 256; ++c) every.push_back(static_cast<char>(c));
  const std::string out = printable(every, 4096);
  EXPECT_TRUE(only_printable_ascii(out)) << out;
  EXPECT_EQ(out.size(), 95u - 1 + 2 + 161u * 4);  // 94 plain, "\\\\", 161 as \xNN
}

TEST(Printable, BoundedWithAMarkerNeverInsideAnEscape) {
  const std::string name(1017, 'h');
  const std::string cell = printable(name, kCellWidth);
  EXPECT_EQ(cell.size(), kCellWidth);
  EXPECT_EQ(cell, std::string(kCellWidth - 3, 'h') + "...");
  EXPECT_EQ(printable(name).size(), kFieldWidth);
  // Exactly `max` characters fit without a marker.
  EXPECT_EQ(printable(std::string(kCellWidth, 'x'), kCellWidth), std::string(kCellWidth, 'x'));
  EXPECT_EQ(printable(std::string(kCellWidth + 1, 'x'), kCellWidth).size(), kCellWidth);
  // An escape that does not fit whole is left out rather than cut.
  EXPECT_EQ(printable("abcdef\x01zzzzzzz", 10), "abcdef...");
  EXPECT_EQ(printable("ab\x01\x02\x03\x04", 10), "ab\\x01...");
  // Every byte escaped, long input: still within the bound.
  const std::string hostile(1017, '\x1b');
  const std::string out = printable(hostile, kCellWidth);
  EXPECT_LE(out.size(), kCellWidth);
  EXPECT_TRUE(only_printable_ascii(out));
  // A tiny bound still leaves room for one character and the marker.
  EXPECT_EQ(printable("abcdefgh", 1), "a...");
}

TEST(Printable, BytesOverload) {
  const Bytes b{'o', 'k', 0, 0x1b};
  EXPECT_EQ(printable(ByteView(b)), "ok\\x00\\x1b");
}

TEST(TerminalSafe, NeutralisesControlsButLeavesEscapesAlone) {
  EXPECT_EQ(terminal_safe("user=" + printable("a\\b\x1b"), false), "user=a\\\\b\\x1b");
  EXPECT_EQ(terminal_safe("a\nb\x1b[1m\x9b", true), "a\nb\\x1b[1m\\x9b");
  EXPECT_EQ(terminal_safe("a\tb\r\n", true), "a\tb\\x0d\n");
  EXPECT_EQ(terminal_safe("a\tb", false), "a\\x09b");
  EXPECT_EQ(terminal_safe("a\nb\0"s, false), "a\\x0ab\\x00");
  EXPECT_EQ(terminal_safe("clean line", false), "clean line");
}

// The bus escapes whatever a call site forgot: no control byte reaches a subscriber, and a
// log line cannot be split into a forged second line.
TEST(TerminalSafe, LogBusNeverDeliversControlBytes) {
  auto& bus = LogBus::instance();
  bus.set_stderr(false);
  std::vector<std::string> lines;
  auto id = bus.subscribe([&](const LogRecord& r) { lines.push_back(r.text); });
  bus.set(DebugModule::l2tp, DebugClass::event, true);
  log_warning(DebugModule::aaa,
              "user=evil\n%Dec  7 00:00:00:000 2026 VPDN AAA/6/INFO: forged\x1b[2J");
  bus.debug(DebugModule::l2tp, DebugClass::event, "two\nlines \x07\x9b");
  bus.set(DebugModule::l2tp, DebugClass::event, false);
  bus.unsubscribe(id);
  bus.set_stderr(true);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(only_printable_ascii(lines[0])) << lines[0];
  EXPECT_EQ(lines[0].find('\n'), std::string::npos);
  EXPECT_EQ(lines[1], "two\nlines \\x07\\x9b");
}

std::string hex_of(const Bytes& b) {
  return to_hex(b);
}

// ff 03 c0 23 | 01 07 00 0f | 03 'b' 'o' 'b' | 05 's' 'e' 'c' 'r' 't'
const Bytes kPapRequest{0xff, 0x03, 0xc0, 0x23, 0x01, 0x07, 0x00, 0x0f, 0x03,
                        'b',  'o',  'b',  0x05, 's',  'e',  'c',  'r',  't'};

TEST(PppFrameHex, PapPasswordMasked) {
  const std::string d = ppp_frame_hex(kPapRequest, 64);
  EXPECT_EQ(d, "ff 03 c0 23 01 07 00 0f 03 62 6f 62 05 ** ** ** ** **");
  EXPECT_EQ(ppp_frame_hex(kPapRequest, 14), "ff 03 c0 23 01 07 00 0f 03 62 6f 62 05 **");
  // Without address/control, and with the peer id running past the frame.
  const Bytes bare(kPapRequest.begin() + 2, kPapRequest.end());
  EXPECT_EQ(ppp_frame_hex(bare, 64), "c0 23 01 07 00 0f 03 62 6f 62 05 ** ** ** ** **");
  const Bytes cut{0xc0, 0x23, 0x01, 0x07, 0x00, 0x0f, 0x09, 'b', 'o', 'b', 0x05, 's', 'e'};
  EXPECT_EQ(ppp_frame_hex(cut, 64), "c0 23 01 07 00 0f 09 ** ** ** ** ** **");
  // Authenticate-Ack carries a message, not a secret.
  const Bytes ack{0xc0, 0x23, 0x02, 0x07, 0x00, 0x07, 0x02, 'o', 'k'};
  EXPECT_EQ(ppp_frame_hex(ack, 64), hex_of(ack));
}

TEST(PppFrameHex, ChapAndMsChapResponsesMasked) {
  // ff 03 c2 23 | 02 01 00 0b | 04 de ad be ef | 'a' 'l'
  const Bytes resp{0xff, 0x03, 0xc2, 0x23, 0x02, 0x01, 0x00, 0x0b,
                   0x04, 0xde, 0xad, 0xbe, 0xef, 'a',  'l'};
  EXPECT_EQ(ppp_frame_hex(resp, 64), "ff 03 c2 23 02 01 00 0b 04 ** ** ** ** 61 6c");
  // The challenge is not secret.
  Bytes challenge = resp;
  challenge[4] = 0x01;
  EXPECT_EQ(ppp_frame_hex(challenge, 64), hex_of(challenge));
  // MS-CHAPv2 Response (49-octet value) and Change-Password: all masked.
  Bytes ms{0xc2, 0x23, 0x02, 0x05, 0x00, 0x3a, 49};
  for (int i = 0; i < 49; ++i) ms.push_back(static_cast<std::uint8_t>(0xa0 + i % 16));
  ms.push_back('u');
  const std::string d = ppp_frame_hex(ms, 256);
  EXPECT_EQ(d.find("a0"), std::string::npos) << d;
  EXPECT_NE(d.find(" 75"), std::string::npos) << d;
  const Bytes change{0xc2, 0x23, 0x07, 0x05, 0x00, 0x08, 0x11, 0x22};
  EXPECT_EQ(ppp_frame_hex(change, 64), "c2 23 07 05 00 08 ** **");
}

TEST(PppFrameHex, OtherFramesAsPlainHex) {
  const Bytes lcp{0xff, 0x03, 0xc0, 0x21, 0x01, 0x01, 0x00, 0x04};
  EXPECT_EQ(ppp_frame_hex(lcp, 64), hex_of(lcp));
  const Bytes ip{0x21, 0x45, 0x00};  // compressed protocol field
  EXPECT_EQ(ppp_frame_hex(ip, 64), hex_of(ip));
  EXPECT_EQ(ppp_frame_hex(Bytes{}, 16), "");
  EXPECT_EQ(ppp_frame_hex(Bytes{0xff, 0x03, 0xc0}, 16), "ff 03 c0");
}

}  // namespace
}  // namespace vpdnd
