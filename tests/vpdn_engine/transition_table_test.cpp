// The tunnel and session transition tables: every {state, message} pair has a handler, each
// line is the one that answers its pair, and the whole table reads as pinned here.
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <type_traits>
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

// The name `names` gives handler `f` ("unexpected" for `unexpected`): "?" for one it does
// not list, "null" for none.
template <class Fn>
std::string name_of(Fn f, Fn unexpected,
                    std::initializer_list<std::pair<std::type_identity_t<Fn>, const char*>> names) {
  if (f == unexpected) return "unexpected";
  for (const auto& [fn, name] : names)
    if (fn == f) return name;
  return f ? "?" : "null";
}

// A handler and its own name.
#define HANDLER(fn) std::pair(&Impl::fn, #fn)

std::string tunnel_handler_name(Impl::TunnelHandlerFn f) {
  return name_of(f, &Impl::unexpected_tunnel_message,
                 {HANDLER(on_sccrq), HANDLER(on_sccrp), HANDLER(on_scccn), HANDLER(on_stopccn),
                  HANDLER(on_crossed_stopccn), HANDLER(on_hello), HANDLER(on_icrq),
                  HANDLER(on_ocrq), HANDLER(on_call_message)});
}

std::string session_handler_name(Impl::SessionHandlerFn f) {
  return name_of(f, &Impl::unexpected_call_message,
                 {HANDLER(on_icrp), HANDLER(on_iccn), HANDLER(on_cdn), HANDLER(on_wen),
                  HANDLER(on_sli), HANDLER(ignore_link_info)});
}

#undef HANDLER

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

// Every state with every message type value 0..299 has a named handler; a type that is not
// a known message gets "unexpected".
template <class States, class Lookup, class Name>
void expect_every_pair_handled(const States& states, Lookup lookup, Name name) {
  for (auto s : states)
    for (std::uint16_t v = 0; v < 300; ++v) {
      const std::string h = name(lookup(s, static_cast<MessageType>(v)));
      EXPECT_NE(h, "null") << display_name(s) << " " << v;
      EXPECT_NE(h, "?") << display_name(s) << " " << v;
      if (!is_known_message_type(v)) {
        EXPECT_EQ(h, "unexpected") << v;
      }
    }
}

// The table has lines, each is what lookup() answers for its (state, message), and no pair
// has two lines.
template <class Lines, class Lookup>
void expect_lines_answered_once(const Lines& lines, Lookup lookup) {
  ASSERT_FALSE(lines.empty());
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto& l = lines[i];
    EXPECT_TRUE(lookup(l.state, l.message) == l.handle) << "line " << i;
    for (std::size_t j = i + 1; j < lines.size(); ++j)
      EXPECT_FALSE(lines[j].state == l.state && lines[j].message == l.message)
          << "lines " << i << " and " << j;
  }
}

TEST(TunnelTransitions, EveryStateAndMessageHasAKnownHandler) {
  expect_every_pair_handled(kTunnelStatesAll, tunnel_handler, tunnel_handler_name);
}

TEST(TunnelTransitions, EachLineAnswersItsPairAndNamesItOnce) {
  const auto lines = tunnel_transitions();
  expect_lines_answered_once(lines, tunnel_handler);
  for (const auto& l : lines)
    EXPECT_TRUE(is_known_message_type(static_cast<std::uint16_t>(l.message)));
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
  auto h = [](TunnelState s, MessageType m) { return tunnel_handler_name(tunnel_handler(s, m)); };
  // An SCCCN confirms the tunnel only where the LNS waits for it.
  EXPECT_EQ(h(TunnelState::wait_connect, MessageType::scccn), "on_scccn");
  EXPECT_EQ(h(TunnelState::wait_reply, MessageType::scccn), "unexpected");
  EXPECT_EQ(h(TunnelState::established, MessageType::sccrq), "unexpected");
  EXPECT_EQ(h(TunnelState::wait_connect, MessageType::icrq), "unexpected");
}

TEST(SessionTransitions, EveryStateAndMessageHasAKnownHandler) {
  expect_every_pair_handled(kSessionStatesAll, session_handler, session_handler_name);
}

TEST(SessionTransitions, EachLineAnswersItsPairAndNamesItOnce) {
  const auto lines = session_transitions();
  expect_lines_answered_once(lines, session_handler);
  for (std::size_t i = 0; i < lines.size(); ++i)
    EXPECT_FALSE(is_tunnel_message(lines[i].message)) << "line " << i;
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
  auto h = [](SessionState s, MessageType m) {
    return session_handler_name(session_handler(s, m));
  };
  EXPECT_EQ(h(SessionState::wait_reply, MessageType::icrp), "on_icrp");
  EXPECT_EQ(h(SessionState::established, MessageType::icrp), "unexpected");
  EXPECT_EQ(h(SessionState::wait_reply, MessageType::iccn), "unexpected");
  // We never send OCRQ: its answers have no place in any state.
  for (SessionState s : kSessionStatesAll) {
    EXPECT_EQ(h(s, MessageType::ocrp), "unexpected");
    EXPECT_EQ(h(s, MessageType::occn), "unexpected");
  }
}

}  // namespace
}  // namespace vpdnd::vpdn
