// Test harness: engines on an in-memory datagram network under a manual clock, plus a
// scripted raw peer that speaks through the codec. Datagrams are queued and delivered from
// pump(), never re-entrantly, like a real socket.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "vpdn/codec.hpp"
#include "vpdn/engine.hpp"

namespace vpdnd::vpdn::test {

inline Ipv4 ip(const char* s) {
  return *Ipv4::parse(s);
}

// Where the engine tests put their boxes: a LAC and two LNSs.
inline const Endpoint kLac{ip("127.0.0.1"), 40001};
inline const Endpoint kLns{ip("127.0.0.2"), 1701};
inline const Endpoint kLns2{ip("127.0.0.3"), 1701};

// Proxy CHAP data for `user` (what a LAC forwards in ICCN): a Challenge of 16 `challenge`
// bytes, Identifier `id`, a Response of 16 `response` bytes.
inline ppp::ProxyData chap_proxy(const std::string& user, std::uint8_t challenge, std::uint8_t id,
                                 std::uint8_t response) {
  ppp::ProxyData p;
  p.auth_type = ppp::ProxyAuthType::chap;
  p.auth_name = user;
  p.auth_challenge = Bytes(16, challenge);
  p.auth_id = id;
  p.auth_response = Bytes(16, response);
  return p;
}

// Result Codes of StopCCNs, in order (nullopt: one without).
using StopCcnResults = std::vector<std::optional<std::uint16_t>>;

struct Packet {
  Endpoint from, to;
  Bytes data;
  bool control() const { return peek_is_control(data); }
  std::optional<ControlMessage> decode(const std::string& secret = {}) const {
    HidingContext h{secret};
    auto m = decode_control(data, secret.empty() ? nullptr : &h);
    if (!m) return std::nullopt;
    return *m;
  }
  bool is(MessageType t) const {
    auto m = decode();
    return m && !m->zlb && m->type == t;
  }
  bool zlb() const { return control() && data.size() == kControlHeaderSize; }
};

class Net {
 public:
  using Receiver = std::function<void(const Endpoint& from, ByteView data)>;
  void add(const Endpoint& at, Receiver r) { hosts_[at] = std::move(r); }
  void remove(const Endpoint& at) { hosts_.erase(at); }
  void send(const Endpoint& from, const Endpoint& to, ByteView data) {
    Packet p{from, to, Bytes(data.begin(), data.end())};
    wire.push_back(p);
    if (drop && drop(p)) {
      ++dropped;
      return;
    }
    queue_.push_back(std::move(p));
  }
  // Delivers queued datagrams (and what they cause) until quiet.
  void pump() {
    for (int budget = 0; budget < 1000000 && !queue_.empty(); ++budget) {
      Packet p = std::move(queue_.front());
      queue_.pop_front();
      auto it = hosts_.find(p.to);
      if (it != hosts_.end()) it->second(p.from, p.data);
    }
  }
  std::vector<Packet> wire;                 // everything sent, dropped or not
  std::function<bool(const Packet&)> drop;  // return true to lose a datagram
  int dropped = 0;
  // Packets on the wire matching a type, optionally from one endpoint.
  std::vector<ControlMessage> sent(MessageType t, std::optional<Endpoint> from = {},
                                   const std::string& secret = {}) const {
    std::vector<ControlMessage> out;
    for (auto& p : wire) {
      if (from && p.from != *from) continue;
      if (!p.control() || p.zlb()) continue;
      auto m = p.decode(secret);
      if (m && m->type == t) out.push_back(*m);
    }
    return out;
  }
  std::size_t count(MessageType t, std::optional<Endpoint> from = {}) const {
    return sent(t, from).size();
  }
  // The Result Code of the StopCCNs `from` sent: one entry each (nullopt for one without).
  StopCcnResults stopccn_results(const Endpoint& from) const {
    StopCcnResults out;
    for (const auto& m : sent(MessageType::stopccn, from)) {
      auto rc = m.result_code();
      out.push_back(rc ? std::optional<std::uint16_t>(rc->result) : std::nullopt);
    }
    return out;
  }
  std::size_t zlbs(std::optional<Endpoint> from = {}) const {
    std::size_t n = 0;
    for (auto& p : wire)
      if ((!from || p.from == *from) && p.zlb()) ++n;
    return n;
  }

 private:
  std::map<Endpoint, Receiver> hosts_;
  std::deque<Packet> queue_;
};

class NetPort : public DatagramPort {
 public:
  NetPort(Net& net, Endpoint self) : net_(net), self_(self) {}
  void send_to(const Endpoint& to, ByteView d) override { net_.send(self_, to, d); }
  Endpoint local() const override { return self_; }

 private:
  Net& net_;
  Endpoint self_;
};

// Records what the engine tells its handler.
struct RecordingHandler : SessionHandler {
  bool accept = true;
  std::vector<IncomingSession> incoming;
  std::vector<std::pair<SessionRef, SessionEnd>> down;
  std::vector<std::pair<SessionRef, Bytes>> data;
  std::vector<std::pair<SessionRef, Accm>> link_info;
  bool on_incoming_session(const IncomingSession& s) override {
    incoming.push_back(s);
    return accept;
  }
  void on_session_down(SessionRef r, const SessionEnd& e) override { down.push_back({r, e}); }
  void on_data(SessionRef r, ByteView f) override {
    data.push_back({r, Bytes(f.begin(), f.end())});
  }
  std::vector<std::uint32_t> tags;  // of each data message, in order
  void on_tagged_data(SessionRef r, ByteView f, std::uint32_t tag) override {
    tags.push_back(tag);
    on_data(r, f);
  }
  void on_link_info(SessionRef r, const Accm& a) override { link_info.push_back({r, a}); }
};

// One engine on the in-memory net.
struct Node {
  Node(Net& net, ManualTimerService& timers, Endpoint self, std::uint64_t seed,
       EngineOptions opt = {})
      : random(seed), port(net, self), self_ep(self) {
    config.l2tp.enabled = true;
    engine = std::make_unique<L2tpEngine>(config, timers, random, opt);
    engine->attach(&port);
    engine->set_handler(&handler);
    net.add(self, [this](const Endpoint& from, ByteView d) { engine->on_datagram(from, d); });
  }
  config::RunningConfig config;
  SeededRandom random;
  NetPort port;
  Endpoint self_ep;
  RecordingHandler handler;
  std::unique_ptr<L2tpEngine> engine;
};

// LAC call outcome recorder.
struct CallLog {
  std::vector<SessionRef> up;
  std::vector<SessionEnd> down;
  LacCallbacks callbacks() {
    return LacCallbacks{[this](SessionRef r) { up.push_back(r); },
                        [this](const SessionEnd& e) { down.push_back(e); }};
  }
};

struct World {
  ManualTimerService timers;
  Net net;
  // Moves virtual time in small steps, delivering datagrams between them.
  void run(Duration d, Duration step = std::chrono::milliseconds(10)) {
    net.pump();
    for (Duration t{}; t < d; t += step) {
      timers.advance(step);
      net.pump();
    }
  }
  void settle() { run(std::chrono::milliseconds(500)); }
};

inline config::L2tpGroup lac_group(std::uint16_t n, std::vector<Ipv4> lns, const std::string& name,
                                   const std::string& password) {
  config::L2tpGroup g;
  g.number = n;
  g.lns_addresses = std::move(lns);
  g.match_kind = config::LacMatchKind::domain;
  g.match_value = "corp.com";
  g.tunnel_name = name;
  g.tunnel_password.plain = password;
  g.tunnel_authentication = !password.empty();
  return g;
}

inline config::L2tpGroup lns_group(std::uint16_t n, std::uint16_t vt, const std::string& remote,
                                   const std::string& name, const std::string& password) {
  config::L2tpGroup g;
  g.number = n;
  g.allow_virtual_template = vt;
  g.allow_remote = remote;
  g.tunnel_name = name;
  g.tunnel_password.plain = password;
  g.tunnel_authentication = !password.empty();
  return g;
}

}  // namespace vpdnd::vpdn::test
