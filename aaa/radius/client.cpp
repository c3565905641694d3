// The production RadiusClient: RADIUS over non-blocking UDP sockets on the engine's
// io_context. All state lives on the protocol thread; nothing blocks and nothing queues: every
// request is on the wire as soon as it is made, each with its own timer.
#include <openssl/rand.h>
#include <sys/socket.h>

#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <ctime>
#include <map>
#include <memory>
#include <unordered_map>

#include "aaa/aaa.hpp"
#include "aaa/radius/codec.hpp"
#include "common/enum_names.hpp"
#include "common/log.hpp"
#include "common/protocol_thread.hpp"

namespace vpdnd::aaa {
namespace {

namespace asio = boost::asio;
using asio::ip::udp;
using Clock = std::chrono::steady_clock;
using namespace radius;

using S = RadiusServerStatistics;

// The `display radius statistics` counter a reply that failed `check` counts in.
std::uint64_t S::*counter_for(ReplyCheck check) {
  switch (check) {
    case ReplyCheck::ok:  // not a failure: never asked
      break;
    case ReplyCheck::bad_message_authenticator:
    case ReplyCheck::missing_message_authenticator:
      return &S::bad_message_authenticator;
    case ReplyCheck::bad_authenticator:
      return &S::bad_authenticator;
    case ReplyCheck::bad_id:
      return &S::unknown_id;
    case ReplyCheck::malformed:
    case ReplyCheck::bad_code:
      return &S::malformed;
  }
  return &S::malformed;
}

constexpr std::uint32_t kServiceFramed = 2;
constexpr std::uint32_t kProtocolPpp = 1;
constexpr std::uint32_t kPortVirtual = 5;
// Comware's `timer quiet` default.
constexpr auto kQuiet = std::chrono::minutes(5);
// At most one log line per server and kind of bad reply in this interval; the rest are
// counted (display radius statistics) and summed into the next line.
constexpr auto kBadReplyLogInterval = std::chrono::seconds(60);

std::string_view status_name(AcctStatus s) {
  static constexpr std::string_view kNames[] = {"Start", "Stop", "Interim-Update"};
  return enum_name<AcctStatus::start, AcctStatus::interim>(s, kNames);
}

struct Server {
  Ipv4 address;
  std::uint16_t port = 0;
  const char* role = "";
  std::string key() const { return address.to_string() + ":" + std::to_string(port); }
  udp::endpoint endpoint() const { return {asio::ip::address_v4(address.value), port}; }
};

// One UDP socket and its identifier space: slots[i] is the request using Identifier i.
struct Socket {
  explicit Socket(asio::io_context& io) : socket(io) {}
  udp::socket socket;
  std::array<RadiusClient::Id, 256> slots{};
  unsigned used = 0;
  std::uint8_t next = 0;
  std::array<std::uint8_t, kMaxPacket + 1> buffer{};
  udp::endpoint from;
};

void add_common(AttributeList& a, const RadiusTarget& t, const std::string& user,
                const std::string& calling, const std::string& called, std::uint32_t nas_port,
                const std::string& nas_port_id) {
  a.add_string(PW_USER_NAME, user);
  if (t.scheme.nas_ip) a.add_u32(PW_NAS_IP_ADDRESS, t.scheme.nas_ip->value);
  a.add_string(PW_NAS_IDENTIFIER, t.nas_identifier.substr(0, kMaxValue));
  a.add_u32(PW_NAS_PORT, nas_port);
  a.add_string(PW_NAS_PORT_ID_STRING, nas_port_id.substr(0, kMaxValue));
  a.add_u32(PW_NAS_PORT_TYPE, kPortVirtual);
  a.add_u32(PW_SERVICE_TYPE, kServiceFramed);
  a.add_u32(PW_FRAMED_PROTOCOL, kProtocolPpp);
  a.add_string(PW_CALLING_STATION_ID, calling.substr(0, kMaxValue));
  a.add_string(PW_CALLED_STATION_ID, called.substr(0, kMaxValue));
}

class Client final : public RadiusClient {
 public:
  explicit Client(ProtocolThread& engine) : io_(engine.io()), alive_(std::make_shared<bool>()) {}
  ~Client() override {
    // Handlers still queued see alive_ expired and do nothing.
    for (auto& s : sockets_) {
      boost::system::error_code ec;
      s->socket.close(ec);
    }
  }

  auto new_request(const RadiusTarget& target) {
    auto r = std::make_unique<Request>(io_);
    r->id = next_++;
    r->target = target;
    return r;
  }

  Id access_request(const RadiusTarget& target, RadiusAccessRequest request,
                    AccessCallback done) override {
    auto r = new_request(target);
    r->on_access = std::move(done);
    const auto* pap = std::get_if<PapCredentials>(&request.credentials);
    const auto* chap = std::get_if<ChapCredentials>(&request.credentials);
    const auto* ms = std::get_if<MsChapCredentials>(&request.credentials);
    // Values RADIUS cannot carry (RFC 2865 §5: 253 octets; User-Password 128) are refused
    // here: sending the request without them would only earn a reject, and treating it as
    // a silent server would wrongly open the local fallback.
    if (request.user_name.empty() || request.user_name.size() > 253 ||
        (pap && pap->password.size() > 128) ||
        (chap && (chap->response.size() > 252 || chap->challenge.size() > 253))) {
      debug(DebugClass::error,
            "Access-Request for a user name or credentials RADIUS cannot carry refused (name "
            "length " +
                std::to_string(request.user_name.size()) + ")");
      return finish_later(std::move(r), RadiusOutcome::reject);
    }
    r->method = pap ? "PAP" : chap ? "CHAP" : ms->version == 1 ? "MS-CHAP" : "MS-CHAP-V2";
    r->user = request.user_name;
    AttributeList a;
    add_common(a, target, request.user_name, request.calling_station_id, request.called_station_id,
               request.nas_port, request.nas_port_id);
    if (ms) {
      if (!add_mschap(a, *ms)) {
        debug(DebugClass::error, "Access-Request with malformed MS-CHAP credentials refused");
        return finish_later(std::move(r), RadiusOutcome::reject);
      }
    } else if (chap) {
      std::vector<std::uint8_t> value{chap->id};
      value.insert(value.end(), chap->response.begin(), chap->response.end());
      a.add(PW_CHAP_PASSWORD, value);
      a.add(PW_CHAP_CHALLENGE, chap->challenge);
    } else {
      r->password = pap->password;
    }
    r->attributes = a.items();
    r->servers = ordered(target.scheme, false);
    r->secret = target.scheme.key_authentication.plain;
    return start(std::move(r));
  }

  Id accounting_request(const RadiusTarget& target, RadiusAccountingRequest r_in,
                        AccountingCallback done) override {
    auto r = new_request(target);
    r->on_accounting = std::move(done);
    r->accounting = true;
    r->user = r_in.user_name;
    r->acct_session = r_in.session_id;
    r->acct_status = r_in.status;
    AttributeList a;
    a.add_u32(PW_ACCT_STATUS_TYPE, static_cast<std::uint32_t>(r_in.status));
    a.add_string(PW_ACCT_SESSION_ID, r_in.session_id.substr(0, kMaxValue));
    add_common(a, target, r_in.user_name.substr(0, kMaxValue), r_in.calling_station_id,
               r_in.called_station_id, r_in.nas_port, r_in.nas_port_id);
    if (r_in.framed_ip && !r_in.framed_ip->is_zero())
      a.add_u32(PW_FRAMED_IP_ADDRESS, r_in.framed_ip->value);
    a.add_u32(PW_EVENT_TIMESTAMP, static_cast<std::uint32_t>(std::time(nullptr)));
    if (r_in.delay_time_s > 0) a.add_u32(PW_ACCT_DELAY_TIME, r_in.delay_time_s);
    if (r_in.status != AcctStatus::start) {
      const auto& c = r_in.counters;
      a.add_u32(PW_ACCT_SESSION_TIME, r_in.session_time_s);
      a.add_u32(PW_ACCT_INPUT_OCTETS, static_cast<std::uint32_t>(c.input_octets));
      a.add_u32(PW_ACCT_OUTPUT_OCTETS, static_cast<std::uint32_t>(c.output_octets));
      a.add_u32(PW_ACCT_INPUT_GIGAWORDS, static_cast<std::uint32_t>(c.input_octets >> 32));
      a.add_u32(PW_ACCT_OUTPUT_GIGAWORDS, static_cast<std::uint32_t>(c.output_octets >> 32));
      a.add_u32(PW_ACCT_INPUT_PACKETS, static_cast<std::uint32_t>(c.input_packets));
      a.add_u32(PW_ACCT_OUTPUT_PACKETS, static_cast<std::uint32_t>(c.output_packets));
    }
    if (r_in.status == AcctStatus::stop && r_in.terminate_cause)
      a.add_u32(PW_ACCT_TERMINATE_CAUSE, static_cast<std::uint32_t>(*r_in.terminate_cause));
    r->attributes = a.items();
    r->servers = ordered(target.scheme, true);
    r->secret = target.scheme.key_accounting.plain;
    return start(std::move(r));
  }

  void cancel(Id id) override {
    auto it = requests_.find(id);
    if (it == requests_.end()) return;
    release(*it->second);
    it->second->timer.cancel();
    requests_.erase(it);
  }

  RadiusStatistics statistics() const override {
    RadiusStatistics out;
    out.total = total_;
    for (const auto& [key, s] : per_server_) {
      out.servers.push_back(s);
      out.servers.back().server = key;
    }
    return out;
  }

  void reset_statistics() override {
    total_ = {};
    per_server_.clear();
  }

 private:
  struct Request {
    explicit Request(asio::io_context& io) : timer(io) {}
    Id id = 0;
    bool accounting = false;
    RadiusTarget target;
    AccessCallback on_access;
    AccountingCallback on_accounting;
    std::string user, method, password, acct_session;
    AcctStatus acct_status = AcctStatus::start;
    std::string secret;
    std::vector<Attribute> attributes;
    std::vector<Server> servers;
    std::size_t server = 0;  // index into servers
    unsigned sent = 0;       // transmissions to servers[server]
    RadiusOutcome outcome = RadiusOutcome::timeout;
    std::vector<std::uint8_t> packet;
    Authenticator request_authenticator{};
    std::shared_ptr<Socket> socket;  // while it holds an Identifier
    std::uint8_t identifier = 0;
    udp::endpoint endpoint;
    asio::steady_timer timer;
  };

  void debug(DebugClass c, std::string text) {
    debug_lazy(DebugModule::radius, c, [&] { return std::move(text); });
  }

  RadiusServerStatistics& stats(const std::string& key) { return per_server_[key]; }
  // One more of `counter` in the total and in the server's block.
  void count(const std::string& key, std::uint64_t RadiusServerStatistics::*counter) {
    ++(total_.*counter);
    ++(stats(key).*counter);
  }

  // Servers in configured order, quiet ones moved to the end.
  std::vector<Server> ordered(const config::RadiusScheme& s, bool accounting) {
    std::vector<Server> live, quiet;
    const auto& primary = accounting ? s.primary_accounting : s.primary_authentication;
    const auto& secondary = accounting ? s.secondary_accounting : s.secondary_authentication;
    const std::uint16_t def = accounting ? 1813 : 1812;
    std::vector<Server> all;
    if (primary) all.push_back({primary->address, primary->port ? primary->port : def, "primary"});
    if (secondary)
      all.push_back({secondary->address, secondary->port ? secondary->port : def, "secondary"});
    for (auto& srv : all) {
      if (is_quiet(srv.key())) {
        debug(DebugClass::event, std::string(srv.role) + " " + srv.key() +
                                     " is quiet after not answering, tried last");
        quiet.push_back(srv);
      } else {
        live.push_back(srv);
      }
    }
    live.insert(live.end(), quiet.begin(), quiet.end());
    return live;
  }

  bool is_quiet(const std::string& key) {
    auto it = quiet_until_.find(key);
    if (it == quiet_until_.end()) return false;
    if (Clock::now() >= it->second) {
      quiet_until_.erase(it);
      return false;
    }
    return true;
  }

  Id start(std::unique_ptr<Request> r) {
    const Id id = r->id;
    if (r->servers.empty()) {
      r->outcome = RadiusOutcome::error;
      return finish_later(std::move(r), RadiusOutcome::error);
    }
    auto& req = *r;
    requests_.emplace(id, std::move(r));
    send_to_server(req);
    return id;
  }

  // Answers without touching the wire, but never inside access_request().
  Id finish_later(std::unique_ptr<Request> r, RadiusOutcome outcome) {
    const Id id = r->id;
    r->outcome = outcome;
    requests_.emplace(id, std::move(r));
    asio::post(io_, [this, alive = std::weak_ptr<bool>(alive_), id] {
      if (alive.expired()) return;
      if (auto it = requests_.find(id); it != requests_.end())
        finish(*it->second, it->second->outcome, nullptr);
    });
    return id;
  }

  std::shared_ptr<Socket> socket_with_free_id() {
    for (auto& s : sockets_)
      if (s->used < 256) return s;
    auto s = std::make_shared<Socket>(io_);
    boost::system::error_code ec;
    s->socket.open(udp::v4(), ec);
    if (!ec) s->socket.bind(udp::endpoint(udp::v4(), 0), ec);
    if (!ec) s->socket.non_blocking(true, ec);
    if (!ec) {
      // Up to 256 replies can arrive in one burst; the default buffer holds about 200.
      // SO_RCVBUFFORCE (root) goes past net.core.rmem_max; SO_RCVBUF is the fallback.
      int size = 1 << 20;
      if (setsockopt(s->socket.native_handle(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) !=
          0)
        setsockopt(s->socket.native_handle(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }
    if (ec) {
      log_warning(DebugModule::radius, "event=radius-socket-failed error=" + ec.message());
      return nullptr;
    }
    // A fresh random starting Identifier, so a restart does not reuse the last run's.
    RAND_bytes(&s->next, 1);
    sockets_.push_back(s);
    receive(s);
    return s;
  }

  // (Re)starts the request on servers[server], or finishes it when none is left.
  void send_to_server(Request& r) {
    release(r);
    if (r.server >= r.servers.size()) {
      finish(r, r.outcome, nullptr);
      return;
    }
    const Server& srv = r.servers[r.server];
    auto sock = socket_with_free_id();
    if (!sock) {
      r.outcome = RadiusOutcome::error;
      ++r.server;
      send_to_server(r);
      return;
    }
    std::uint8_t ident = sock->next;
    while (sock->slots[ident] != 0) ++ident;
    sock->next = static_cast<std::uint8_t>(ident + 1);
    sock->slots[ident] = r.id;
    ++sock->used;
    r.socket = sock;
    r.identifier = ident;
    r.endpoint = srv.endpoint();
    r.sent = 0;
    std::optional<std::vector<std::uint8_t>> packet;
    if (r.accounting) {
      packet = encode_accounting_request(ident, r.attributes, r.secret);
      if (packet)
        std::copy(packet->begin() + 4, packet->begin() + 20, r.request_authenticator.begin());
      count(srv.key(), &S::accounting_requests);
      debug(DebugClass::control, "Accounting-Request " + std::string(status_name(r.acct_status)) +
                                     " for " + r.user + " session " + r.acct_session + " to " +
                                     srv.role + " " + srv.key());
    } else {
      RAND_bytes(r.request_authenticator.data(), static_cast<int>(r.request_authenticator.size()));
      auto attributes = r.attributes;
      if (r.method == "PAP")
        attributes.push_back(
            {PW_USER_PASSWORD, hide_user_password(r.password, r.secret, r.request_authenticator)});
      packet = encode_access_request(ident, r.request_authenticator, attributes, r.secret);
      count(srv.key(), &S::access_requests);
      debug(DebugClass::control, "Access-Request (" + r.method + ") for " + r.user + " to " +
                                     srv.role + " " + srv.key() + " scheme " +
                                     r.target.scheme.name);
    }
    if (!packet) {
      debug(DebugClass::error, "request for " + r.user + " does not fit in a RADIUS packet");
      r.outcome = RadiusOutcome::error;
      r.server = r.servers.size();
      send_to_server(r);
      return;
    }
    r.packet = std::move(*packet);
    transmit(r);
  }

  void transmit(Request& r) {
    ++r.sent;
    boost::system::error_code ec;
    // Non-blocking: a datagram the kernel cannot take now counts as lost; the timer retries.
    r.socket->socket.send_to(asio::buffer(r.packet), r.endpoint, 0, ec);
    if (ec)
      debug(DebugClass::error, "send to " + r.servers[r.server].key() + " failed: " + ec.message());
    const auto timeout =
        std::chrono::seconds(std::max<std::uint32_t>(1, r.target.scheme.response_timeout_s));
    r.timer.expires_after(timeout);
    r.timer.async_wait(
        [this, alive = std::weak_ptr<bool>(alive_), id = r.id](const boost::system::error_code& e) {
          if (e || alive.expired()) return;
          if (auto it = requests_.find(id); it != requests_.end()) expired(*it->second);
        });
  }

  void expired(Request& r) {
    const Server& srv = r.servers[r.server];
    // Comware's `retry N` counts transmissions.
    if (r.sent < std::max<std::uint32_t>(1, r.target.scheme.retry)) {
      count(srv.key(), &S::retransmissions);
      transmit(r);
      return;
    }
    count(srv.key(), &S::timeouts);
    quiet_until_[srv.key()] = Clock::now() + kQuiet;
    debug(DebugClass::error,
          std::string(r.accounting ? "No accounting answer from " : "No answer from ") + srv.role +
              " " + srv.key() + " after " + std::to_string(r.sent) + " transmissions");
    ++r.server;
    send_to_server(r);
  }

  void release(Request& r) {
    if (!r.socket) return;
    if (r.socket->slots[r.identifier] == r.id) {
      r.socket->slots[r.identifier] = 0;
      --r.socket->used;
    }
    r.socket.reset();
  }

  void receive(const std::shared_ptr<Socket>& s) {
    s->socket.async_receive_from(asio::buffer(s->buffer), s->from,
                                 [this, s, alive = std::weak_ptr<bool>(alive_)](
                                     const boost::system::error_code& ec, std::size_t n) {
                                   if (alive.expired() || ec == asio::error::operation_aborted)
                                     return;
                                   if (!ec) datagram(*s, n);
                                   receive(s);
                                 });
  }

  void bad_reply(const std::string& key, std::string_view what, const udp::endpoint& from) {
    auto& gate = log_gates_[key + "|" + std::string(what)];
    const auto now = Clock::now();
    if (now < gate.next) {
      ++gate.suppressed;
      return;
    }
    std::string line = "event=radius-reply-dropped server=" + key + " reason=\"" +
                       std::string(what) + "\" from=" + from.address().to_string() + ":" +
                       std::to_string(from.port());
    if (gate.suppressed) line += " more-dropped=" + std::to_string(gate.suppressed);
    gate.suppressed = 0;
    gate.next = now + kBadReplyLogInterval;
    log_warning(DebugModule::radius, std::move(line));
  }

  // One datagram on socket s. Anything that is not the right answer is counted and dropped;
  // the request keeps waiting for its server.
  void datagram(Socket& s, std::size_t n) {
    const std::span<const std::uint8_t> d(s.buffer.data(), n);
    const std::string from_key = s.from.address().to_string() + ":" + std::to_string(s.from.port());
    if (n < kHeaderSize || n > kMaxPacket) {
      ++total_.malformed;
      bad_reply(from_key, "malformed", s.from);
      return;
    }
    const Id id = s.slots[d[1]];
    auto it = id ? requests_.find(id) : requests_.end();
    if (it == requests_.end()) {
      ++total_.unknown_id;
      if (per_server_.count(from_key)) ++per_server_[from_key].unknown_id;
      bad_reply(from_key, "unknown identifier", s.from);
      return;
    }
    Request& r = *it->second;
    const std::string key = r.servers[r.server].key();
    if (s.from != r.endpoint) {
      count(key, &S::unknown_source);
      bad_reply(key, "unknown source", s.from);
      return;
    }
    Packet p;
    const auto check = check_reply(d, r.identifier, r.request_authenticator, r.secret, r.accounting,
                                   r.target.scheme.message_authenticator_strict, &p);
    if (check != ReplyCheck::ok) {
      count(key, counter_for(check));
      bad_reply(key, to_string(check), s.from);
      return;
    }
    quiet_until_.erase(key);
    finish(r, RadiusOutcome::accept, &p);
  }

  void finish(Request& r, RadiusOutcome outcome, const Packet* p) {
    r.timer.cancel();
    release(r);
    const std::string key = r.server < r.servers.size() ? r.servers[r.server].key() : "";
    auto owned = std::move(requests_.at(r.id));
    requests_.erase(r.id);
    if (owned->accounting) {
      RadiusAccountingReply reply;
      reply.outcome = outcome;
      if (p) {
        count(key, &S::accounting_responses);
        debug(DebugClass::control,
              "Accounting-Response for session " + owned->acct_session + " from " + key);
      }
      if (owned->on_accounting) owned->on_accounting(reply);
      return;
    }
    RadiusAccessReply reply;
    reply.outcome = outcome;
    if (p) {
      int bad = 0;
      reply = access_reply_from(*p, owned->secret, owned->request_authenticator, &bad);
      if (bad)
        log_warning(DebugModule::radius,
                    "event=radius-tunnel-password-undecryptable count=" + std::to_string(bad));
      const char* what = "Access-Accept";
      if (p->code == PW_ACCESS_ACCEPT) {
        count(key, &S::access_accepts);
      } else if (p->code == PW_ACCESS_REJECT) {
        count(key, &S::access_rejects);
        what = "Access-Reject";
      } else {
        count(key, &S::access_challenges);
        what = "Access-Challenge (refused)";
      }
      debug(DebugClass::control, std::string(what) + " for " + owned->user + " from " + key);
      for (const auto& s : reply.tunnels) {
        debug(DebugClass::control,
              "Tunnel tag " + std::to_string(s.tag) + ": type " + std::to_string(s.type) +
                  " medium " + std::to_string(s.medium) + " endpoint " + s.server_endpoint_text +
                  " preference " +
                  (s.preference ? std::to_string(*s.preference) : std::string("-")) +
                  " assignment-id " + s.assignment_id + " client-auth-id " + s.client_auth_id +
                  (s.password.empty() ? "" : " password ******"));
      }
    }
    if (owned->on_access) owned->on_access(std::move(reply));
  }

  struct LogGate {
    Clock::time_point next{};
    std::uint64_t suppressed = 0;
  };

  asio::io_context& io_;
  std::shared_ptr<bool> alive_;
  std::vector<std::shared_ptr<Socket>> sockets_;
  std::unordered_map<Id, std::unique_ptr<Request>> requests_;
  std::map<std::string, Clock::time_point> quiet_until_;
  std::map<std::string, LogGate> log_gates_;
  RadiusServerStatistics total_;
  std::map<std::string, RadiusServerStatistics> per_server_;
  Id next_ = 1;
};

}  // namespace

std::unique_ptr<RadiusClient> make_radius_client(ProtocolThread& engine) {
  return std::make_unique<Client>(engine);
}

}  // namespace vpdnd::aaa
