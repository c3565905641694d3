// The telnet codec over byte fixtures: keys, negotiation answers, NAWS, malformed and
// split input (every fixture is also fed one byte at a time, with the same result).
#include "cli/front/telnet_codec.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace vpdnd::cli::front {
namespace {

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s += static_cast<char>(c);
  return s;
}

struct Result {
  std::string keys, reply;
  std::optional<WindowSize> window;
};

Result run_whole(std::string_view in) {
  TelnetCodec codec;
  TelnetCodec::Output out;
  codec.feed(in, out);
  return {out.keys, out.reply, out.window};
}

Result run_bytewise(std::string_view in) {
  TelnetCodec codec;
  Result r;
  for (char c : in) {
    TelnetCodec::Output out;
    codec.feed(std::string_view(&c, 1), out);
    r.keys += out.keys;
    r.reply += out.reply;
    if (out.window) r.window = out.window;
  }
  return r;
}

// Feeds `in` whole and byte by byte; both must give `keys`, `reply` and `window`.
void check(std::string_view in, std::string_view keys, std::string_view reply,
           std::optional<WindowSize> window = std::nullopt) {
  for (auto r : {run_whole(in), run_bytewise(in)}) {
    EXPECT_EQ(r.keys, keys);
    EXPECT_EQ(r.reply, reply);
    EXPECT_EQ(r.window, window);
  }
}

TEST(TelnetCodec, PlainKeysPassThrough) {
  check("display version\r\n", "display version\r\n", "");
}

TEST(TelnetCodec, NawsIsParsedAndNeverBecomesKeys) {
  // IAC SB NAWS 0 80 0 24 IAC SE between keys.
  check("ab" + bytes({255, 250, 31, 0, 80, 0, 24, 255, 240}) + "cd", "abcd", "",
        WindowSize{80, 24});
}

TEST(TelnetCodec, NawsOfOneByOneSwallowsNothing) {
  check(bytes({255, 250, 31, 0, 1, 0, 1, 255, 240}) + "display this\r", "display this\r", "",
        WindowSize{1, 1});
}

TEST(TelnetCodec, NawsWith255IsEscapedInside) {
  // 255 columns: the payload carries IAC IAC.
  check(bytes({255, 250, 31, 0, 255, 255, 0, 50, 255, 240}), "", "", WindowSize{255, 50});
}

TEST(TelnetCodec, ShortOrLongNawsIsIgnored) {
  check(bytes({255, 250, 31, 0, 80, 255, 240}) + "x", "x", "");
  std::string long_sb = bytes({255, 250, 31});
  long_sb += std::string(200, 'A');
  long_sb += bytes({255, 240});
  check(long_sb + "y", "y", "");
}

TEST(TelnetCodec, OtherSubnegotiationsAreSkipped) {
  // TERMINAL-TYPE IS "xterm".
  check(bytes({255, 250, 24, 0}) + "xterm" + bytes({255, 240}) + "k", "k", "");
}

TEST(TelnetCodec, MalformedSubnegotiationEndsAtTheNextCommand) {
  // IAC SB NAWS ... then IAC WILL TTYPE without IAC SE: the WILL is refused, keys follow.
  check(bytes({255, 250, 31, 0, 80, 255, 251, 24}) + "z", "z", bytes({255, 254, 24}));
}

TEST(TelnetCodec, UnknownOptionsAreRefusedOnce) {
  check(bytes({255, 251, 24}), "", bytes({255, 254, 24}));  // WILL TTYPE -> DONT
  check(bytes({255, 253, 34}), "", bytes({255, 252, 34}));  // DO LINEMODE -> WONT
  check(bytes({255, 252, 24, 255, 254, 34}), "", "");       // WONT/DONT of off options: silence
}

TEST(TelnetCodec, AnswersToTheGreetingAreNotAnswered) {
  // The client agrees to everything the greeting asked: no reply, so no loop.
  check(bytes({255, 253, 1, 255, 253, 3, 255, 251, 3, 255, 251, 31}), "", "");
}

TEST(TelnetCodec, WithdrawnOptionsAreAcknowledgedOnce) {
  check(bytes({255, 251, 31, 255, 252, 31, 255, 252, 31}), "", bytes({255, 254, 31}));
  check(bytes({255, 254, 1, 255, 254, 1}), "", bytes({255, 252, 1}));
  // Offered again after the withdrawal: agreed to.
  check(bytes({255, 251, 31, 255, 252, 31, 255, 251, 31}), "", bytes({255, 254, 31, 255, 253, 31}));
}

TEST(TelnetCodec, TwoByteCommandsAndEscapedDataAreNoKeys) {
  check("a" + bytes({255, 241, 255, 246, 255, 255, 255, 240}) + "b", "ab",
        "");  // NOP, AYT, IAC IAC, SE
}

TEST(TelnetCodec, WindowIsKeptAcrossFeeds) {
  TelnetCodec codec;
  TelnetCodec::Output out;
  codec.feed(bytes({255, 250, 31, 0, 100}), out);
  EXPECT_FALSE(out.window);
  codec.feed(bytes({0, 40, 255, 240}), out);
  ASSERT_TRUE(out.window);
  EXPECT_EQ(codec.window(), (WindowSize{100, 40}));
}

TEST(TelnetCodec, RowsAreClamped) {
  EXPECT_EQ(clamp_rows(0), 0);
  EXPECT_EQ(clamp_rows(1), kMinRows);
  EXPECT_EQ(clamp_rows(40), 40);
  EXPECT_EQ(clamp_rows(65535), kMaxRows);
}

TEST(TelnetCodec, GreetingAsksForEchoSgaAndNaws) {
  EXPECT_EQ(std::string(TelnetCodec::greeting()),
            bytes({255, 251, 1, 255, 251, 3, 255, 253, 3, 255, 253, 31}));
}

}  // namespace
}  // namespace vpdnd::cli::front
