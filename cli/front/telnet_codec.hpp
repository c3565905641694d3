// DOC: the telnet protocol codec (RFC 854/855, NAWS RFC 1073): a pure, resumable decoder of
// the byte stream a telnet client sends. feed() may be given any split of the stream (one
// byte at a time or all at once, with the same result); it separates the keys (data bytes)
// from commands, answers option negotiation by a fixed policy, and parses subnegotiations
// (IAC SB ... IAC SE) so that none of their bytes ever reach the shell as keys.
// Policy: we WILL ECHO and WILL SUPPRESS-GO-AHEAD (the shell echoes, character at a time);
// we DO SUPPRESS-GO-AHEAD and DO NAWS (the window size pages `---- More ----`); every other
// option is refused (DONT/WONT). Requests for a state already in force are not answered,
// so no negotiation can loop (RFC 854). An IAC IAC data byte (255) is not a key and is
// dropped. A subnegotiation longer than kMaxSubnegotiation is cut (its end is still
// awaited); a malformed one (IAC and a command inside) ends where that command starts.
// Thread: one owner.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vpdnd::cli::front {

inline constexpr unsigned char kIac = 255, kDont = 254, kDo = 253, kWont = 252, kWill = 251,
                               kSb = 250, kSe = 240;
inline constexpr unsigned char kOptEcho = 1, kOptSga = 3, kOptNaws = 31;

struct WindowSize {
  std::uint16_t width = 0;   // 0: not given
  std::uint16_t height = 0;  // 0: not given
  bool operator==(const WindowSize&) const = default;
};

class TelnetCodec {
 public:
  static constexpr std::size_t kMaxSubnegotiation = 64;

  struct Output {
    std::string keys;                  // data bytes for the shell
    std::string reply;                 // bytes to send back to the client
    std::optional<WindowSize> window;  // the latest NAWS report in this input, if any
  };

  // What the server sends when the connection opens; the codec counts these as asked.
  static std::string_view greeting();

  void feed(std::string_view in, Output& out);
  // The latest window size the client reported (0x0 before any report).
  WindowSize window() const { return window_; }

 private:
  enum class State : std::uint8_t { data, iac, option, sub, sub_iac };
  // One side of an option (RFC 1143 style, without the queue: we never change our mind).
  struct Option {
    bool on;
    bool asked;  // we sent the request (in the greeting) and have no answer yet
  };
  // The state of `option` on the client's side (`his`) or on ours; null for an option we
  // do not support there.
  Option* option_state(bool his, unsigned char option);
  void negotiate(unsigned char verb, unsigned char option, Output& out);
  void end_subnegotiation(Output& out);

  State state_ = State::data;
  unsigned char verb_ = 0;
  std::string sub_;               // option code + payload of the current subnegotiation
  bool sub_cut_ = false;          // it went over kMaxSubnegotiation
  Option naws_him_{false, true};  // the client WILL NAWS; DO NAWS is in the greeting
  Option sga_him_{false, true};   // the client WILL SGA; DO SGA likewise
  Option echo_us_{true, false};   // we WILL ECHO (offered in the greeting)
  Option sga_us_{true, false};    // we WILL SGA (offered in the greeting)
  WindowSize window_;
};

// Lines per page for a terminal of `height` rows as a client reported it: 0 (unknown)
// stays 0; silly sizes are clamped to [kMinRows, kMaxRows].
inline constexpr std::uint16_t kMinRows = 4, kMaxRows = 512;
std::uint16_t clamp_rows(std::uint16_t height);

}  // namespace vpdnd::cli::front
