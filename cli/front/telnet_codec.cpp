#include "cli/front/telnet_codec.hpp"

#include <algorithm>

namespace vpdnd::cli::front {

std::string_view TelnetCodec::greeting() {
  // WILL ECHO, WILL SGA, DO SGA, DO NAWS.
  static constexpr char kGreeting[] = "\xFF\xFB\x01\xFF\xFB\x03\xFF\xFD\x03\xFF\xFD\x1F";
  return {kGreeting, sizeof kGreeting - 1};
}

std::uint16_t clamp_rows(std::uint16_t height) {
  if (height == 0) return 0;
  return std::clamp(height, kMinRows, kMaxRows);
}

namespace {
void send(std::string& reply, unsigned char verb, unsigned char option) {
  reply += static_cast<char>(kIac);
  reply += static_cast<char>(verb);
  reply += static_cast<char>(option);
}
}  // namespace

TelnetCodec::Option* TelnetCodec::option_state(bool his, unsigned char option) {
  switch (option) {
    case kOptNaws:
      return his ? &naws_him_ : nullptr;
    case kOptSga:
      return his ? &sga_him_ : &sga_us_;
    case kOptEcho:
      return his ? nullptr : &echo_us_;
    default:
      return nullptr;
  }
}

void TelnetCodec::negotiate(unsigned char verb, unsigned char option, Output& out) {
  if (verb != kWill && verb != kWont && verb != kDo && verb != kDont) return;
  // WILL/WONT speak of the client's side of an option, DO/DONT of ours.
  const bool his = verb == kWill || verb == kWont;
  const bool enable = verb == kWill || verb == kDo;
  Option* o = option_state(his, option);
  if (!o) {
    // Unsupported options stay off: an offer or a request is refused, and switching one
    // off needs no acknowledgement.
    if (enable) send(out.reply, his ? kDont : kWont, option);
    return;
  }
  // A change is agreed to; the answer to our own request needs no reply.
  if (o->on != enable && !o->asked)
    send(out.reply, his ? (enable ? kDo : kDont) : (enable ? kWill : kWont), option);
  o->on = enable;
  o->asked = false;
}

void TelnetCodec::end_subnegotiation(Output& out) {
  if (!sub_cut_ && sub_.size() == 5 && static_cast<unsigned char>(sub_[0]) == kOptNaws) {
    auto u = [&](std::size_t i) {
      return static_cast<std::uint16_t>(static_cast<unsigned char>(sub_[i]));
    };
    window_ = WindowSize{static_cast<std::uint16_t>(u(1) << 8 | u(2)),
                         static_cast<std::uint16_t>(u(3) << 8 | u(4))};
    out.window = window_;
  }
  // Other subnegotiations (options we refused) are read and ignored.
  sub_.clear();
  sub_cut_ = false;
}

void TelnetCodec::feed(std::string_view in, Output& out) {
  for (char ch : in) {
    auto c = static_cast<unsigned char>(ch);
    switch (state_) {
      case State::data:
        if (c == kIac)
          state_ = State::iac;
        else
          out.keys += ch;
        break;
      case State::iac:
        if (c >= kWill && c <= kDont) {
          verb_ = c;
          state_ = State::option;
        } else if (c == kSb) {
          sub_.clear();
          sub_cut_ = false;
          state_ = State::sub;
        } else {
          // IAC IAC (a 255 data byte: no key of ours), NOP, AYT, GA, a stray SE ...: nothing
          // for the shell.
          state_ = State::data;
        }
        break;
      case State::option:
        negotiate(verb_, c, out);
        state_ = State::data;
        break;
      case State::sub:
        if (c == kIac) {
          state_ = State::sub_iac;
        } else if (sub_.size() < kMaxSubnegotiation) {
          sub_ += ch;
        } else {
          sub_cut_ = true;
        }
        break;
      case State::sub_iac:
        if (c == kIac) {  // an escaped 255 inside the payload
          if (sub_.size() < kMaxSubnegotiation)
            sub_ += ch;
          else
            sub_cut_ = true;
          state_ = State::sub;
        } else if (c == kSe) {
          end_subnegotiation(out);
          state_ = State::data;
        } else {
          // Malformed: the client never ended it. What follows the IAC is a command.
          sub_cut_ = true;
          end_subnegotiation(out);
          state_ = State::iac;
          // Re-read `c` as the byte after an IAC.
          if (c >= kWill && c <= kDont) {
            verb_ = c;
            state_ = State::option;
          } else if (c == kSb) {
            state_ = State::sub;
          } else {
            state_ = State::data;
          }
        }
        break;
    }
  }
}

}  // namespace vpdnd::cli::front
