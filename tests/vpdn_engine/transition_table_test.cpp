// The tunnel and session transition tables: every {state, message} pair has a handler, each
// line is the one that answers its pair, and the whole table reads as pinned here.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "vpdn/engine/internal.hpp"

namespace vpdnd::vpdn {
namespace {

using Impl = L2tpEngine::Impl;

constexpr TunnelState kTunnelStatesAll[] = {TunnelState::idle, TunnelState::wait_reply,
                                            TunnelState::wait_connect, TunnelState::established,
                                            TunnelState::stopping};
constexpr SessionState kSessionStatesAll[] = {SessionState::idle,        SessionState::wait_tunnel,
                                              SessionState::wait_reply,  SessionState::wait_connect,
                                              SessionState::established, SessionState::stopping};

std::vector<MessageType> known_messages() {
  std::vector<MessageType> out;
  for (std::uint16_t v = 0; v < 64; ++v)
    if (is_known_message_type(v)) out.push_back(static_cast<MessageType>(v));
  return out;
}

std::string tunnel_handler_name(Impl::TunnelHandlerFn f) {
  const std::pair<Impl::TunnelHandlerFn, const char*> names[] = {
      {&Impl::on_sccrq, "on_sccrq"},
      {&Impl::on_sccrp, "on_sccrp"},
      {&Impl::on_scccn, "on_scccn"},
      {&Impl::on_stopccn, "on_stopccn"},
      {&Impl::on_crossed_stopccn, "on_crossed_stopccn"},
      {&Impl::on_hello, "on_hello"},
      {&Impl::on_icrq, "on_icrq"},
      {&Impl::on_ocrq, "on_ocrq"},
      {&Impl::on_call_message, "on_call_message"},
      {&Impl::unexpected_tunnel_message, "unexpected"},
  };
  for (const auto& [fn, name] : names)
    if (fn == f) return name;
  return f ? "?" : "null";
}

std::string session_handler_name(Impl::SessionHandlerFn f) {
  const std::pair<Impl::SessionHandlerFn, const char*> names[] = {
      {&Impl::on_icrp, "on_icrp"},
      {&Impl::on_iccn, "on_iccn"},
      {&Impl::on_cdn, "on_cdn"},
      {&Impl::on_wen, "on_wen"},
      {&Impl::on_sli, "on_sli"},
      {&Impl::ignore_link_info, "ignore_link_info"},
      {&Impl::unexpected_call_message, "unexpected"},
  };
  for (const auto& [fn, name] : names)
    if (fn == f) return name;
  return f ? "?" : "null";
}

// One state's row: "MSG:handler" for every message not sent to the default handler.
template <class State, class Name, class Lookup>
std::string row(State s, Lookup lookup, Name name) {
  std::string out;
  for (MessageType m : known_messages()) {
    const std::string h = name(lookup(s, m));
    if (h == "unexpected") continue;
    if (!out.empty()) out += ' ';
    out += std::string(message_name(m)) + ":" + h;
  }
  return out;
}

TEST(TunnelTransitions, EveryStateAndMessageHasAKnownHandler) {
  for (TunnelState s : kTunnelStatesAll)
    for (std::uint16_t v = 0; v < 300; ++v) {
      const auto h = tunnel_handler(s, static_cast<MessageType>(v));
      EXPECT_NE(tunnel_handler_name(h), "null") << display_name(s) << " " << v;
      EXPECT_NE(tunnel_handler_name(h), "?") << display_name(s) << " " << v;
      if (!is_known_message_type(v)) {
        EXPECT_EQ(tunnel_handler_name(h), "unexpected") << v;
      }
    }
}

TEST(TunnelTransitions, EachLineAnswersItsPairAndNamesItOnce) {
  const auto lines = tunnel_transitions();
  ASSERT_FALSE(lines.empty());
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto& l = lines[i];
    EXPECT_TRUE(is_known_message_type(static_cast<std::uint16_t>(l.message)));
    EXPECT_TRUE(tunnel_handler(l.state, l.message) == l.handle) << "line " << i;
    for (std::size_t j = i + 1; j < lines.size(); ++j)
      EXPECT_FALSE(lines[j].state == l.state && lines[j].message == l.message)
          << "lines " << i << " and " << j;
  }
}

TEST(TunnelTransitions, TheWholeTable) {
  auto r = [](TunnelState s) { return row(s, tunnel_handler, tunnel_handler_name); };
  EXPECT_EQ(r(TunnelState::idle), "SCCRQ:on_sccrq StopCCN:on_stopccn HELLO:on_hello");
  EXPECT_EQ(r(TunnelState::wait_reply), "SCCRP:on_sccrp StopCCN:on_stopccn HELLO:on_hello");
  EXPECT_EQ(r(TunnelState::wait_connect), "SCCCN:on_scccn StopCCN:on_stopccn HELLO:on_hello");
  EXPECT_EQ(r(TunnelState::established),
            "StopCCN:on_stopccn HELLO:on_hello OCRQ:on_ocrq OCRP:on_call_message "
            "OCCN:on_call_message ICRQ:on_icrq ICRP:on_call_message ICCN:on_call_message "
            "CDN:on_call_message WEN:on_call_message SLI:on_call_message");
  EXPECT_EQ(r(TunnelState::stopping), "StopCCN:on_crossed_stopccn HELLO:on_hello");
}

TEST(TunnelTransitions, PinnedLines) {
  // An SCCCN confirms the tunnel only where the LNS waits for it.
  EXPECT_TRUE(tunnel_handler(TunnelState::wait_connect, MessageType::scccn) == &Impl::on_scccn);
  EXPECT_TRUE(tunnel_handler(TunnelState::wait_reply, MessageType::scccn) ==
              &Impl::unexpected_tunnel_message);
  EXPECT_TRUE(tunnel_handler(TunnelState::established, MessageType::sccrq) ==
              &Impl::unexpected_tunnel_message);
  EXPECT_TRUE(tunnel_handler(TunnelState::wait_connect, MessageType::icrq) ==
              &Impl::unexpected_tunnel_message);
}

TEST(SessionTransitions, EveryStateAndMessageHasAKnownHandler) {
  for (SessionState s : kSessionStatesAll)
    for (std::uint16_t v = 0; v < 300; ++v) {
      const auto h = session_handler(s, static_cast<MessageType>(v));
      EXPECT_NE(session_handler_name(h), "null") << display_name(s) << " " << v;
      EXPECT_NE(session_handler_name(h), "?") << display_name(s) << " " << v;
      if (!is_known_message_type(v)) {
        EXPECT_EQ(session_handler_name(h), "unexpected") << v;
      }
    }
}

TEST(SessionTransitions, EachLineAnswersItsPairAndNamesItOnce) {
  const auto lines = session_transitions();
  ASSERT_FALSE(lines.empty());
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto& l = lines[i];
    EXPECT_FALSE(is_tunnel_message(l.message)) << "line " << i;
    EXPECT_TRUE(session_handler(l.state, l.message) == l.handle) << "line " << i;
    for (std::size_t j = i + 1; j < lines.size(); ++j)
      EXPECT_FALSE(lines[j].state == l.state && lines[j].message == l.message)
          << "lines " << i << " and " << j;
  }
}

TEST(SessionTransitions, TheWholeTable) {
  auto r = [](SessionState s) { return row(s, session_handler, session_handler_name); };
  const std::string anywhere = "CDN:on_cdn WEN:on_wen SLI:ignore_link_info";
  EXPECT_EQ(r(SessionState::idle), anywhere);
  EXPECT_EQ(r(SessionState::wait_tunnel), anywhere);
  EXPECT_EQ(r(SessionState::wait_reply), "ICRP:on_icrp " + anywhere);
  EXPECT_EQ(r(SessionState::wait_connect), "ICCN:on_iccn " + anywhere);
  EXPECT_EQ(r(SessionState::established), "CDN:on_cdn WEN:on_wen SLI:on_sli");
  EXPECT_EQ(r(SessionState::stopping), anywhere);
}

TEST(SessionTransitions, PinnedLines) {
  EXPECT_TRUE(session_handler(SessionState::wait_reply, MessageType::icrp) == &Impl::on_icrp);
  EXPECT_TRUE(session_handler(SessionState::established, MessageType::icrp) ==
              &Impl::unexpected_call_message);
  EXPECT_TRUE(session_handler(SessionState::wait_reply, MessageType::iccn) ==
              &Impl::unexpected_call_message);
  // We never send OCRQ: its answers have no place in any state.
  for (SessionState s : kSessionStatesAll) {
    EXPECT_TRUE(session_handler(s, MessageType::ocrp) == &Impl::unexpected_call_message);
    EXPECT_TRUE(session_handler(s, MessageType::occn) == &Impl::unexpected_call_message);
  }
}

}  // namespace
}  // namespace vpdnd::vpdn
