// The radcli-backed RadiusClient. radcli is synchronous ("sends a request ... and waits for
// the reply"), so requests run on worker threads. Each worker keeps its own rc_handle per
// (timeout, retries) pair; servers and secrets are passed per request through radcli's
// SERVER struct, so a config change needs no handle rebuild. Results, and the debug lines
// describing them, are posted back to the engine thread; nothing here touches engine state
// from a worker.
#include <arpa/inet.h>
#include <radcli/radcli.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "aaa/aaa.hpp"
#include "aaa/radius/tunnel.hpp"
#include "common/engine.hpp"
#include "common/log.hpp"

#ifndef VPDND_RADIUS_DICTIONARY
#define VPDND_RADIUS_DICTIONARY "/usr/share/vpdnd/radius/dictionary"
#endif

namespace vpdnd::aaa {
namespace {

// RFC 2865/2866 attribute numbers (our dictionary declares them; radcli adds by number).
enum : int {
  kUserName = 1,
  kUserPassword = 2,
  kChapPassword = 3,
  kNasIpAddress = 4,
  kNasPort = 5,
  kServiceType = 6,
  kFramedProtocol = 7,
  kFramedIpAddress = 8,
  kReplyMessage = 18,
  kSessionTimeout = 27,
  kIdleTimeout = 28,
  kCalledStationId = 30,
  kCallingStationId = 31,
  kNasIdentifier = 32,
  kAcctStatusType = 40,
  kAcctInputOctets = 42,
  kAcctOutputOctets = 43,
  kAcctSessionId = 44,
  kAcctSessionTime = 46,
  kAcctInputPackets = 47,
  kAcctOutputPackets = 48,
  kAcctTerminateCause = 49,
  kAcctInputGigawords = 52,
  kAcctOutputGigawords = 53,
  kEventTimestamp = 55,
  kChapChallenge = 60,
  kNasPortType = 61,
  kNasPortId = 87,
  kFramedPool = 88,
};
constexpr std::uint32_t kServiceFramed = 2;
constexpr std::uint32_t kProtocolPpp = 1;
constexpr std::uint32_t kPortVirtual = 5;

std::string_view status_name(AcctStatus s) {
  switch (s) {
    case AcctStatus::start:
      return "Start";
    case AcctStatus::stop:
      return "Stop";
    case AcctStatus::interim:
      return "Interim-Update";
  }
  return "?";
}

struct Job {
  RadiusClient::Id id = 0;
  RadiusTarget target;
  std::variant<RadiusAccessRequest, RadiusAccountingRequest> request;
};

struct Outcome {
  RadiusAccessReply access;
  RadiusAccountingReply accounting;
  // Debug lines (class, text), emitted on the engine thread: control for packets,
  // error for servers that did not answer, event for the rest.
  std::vector<std::pair<DebugClass, std::string>> debug;
  std::vector<std::string> errors;  // logged as warnings there
};

// The VALUE_PAIR list of one request, freed on scope exit.
class Pairs {
 public:
  explicit Pairs(rc_handle* rh) : rh_(rh) {}
  ~Pairs() { rc_avpair_free(list_); }
  Pairs(const Pairs&) = delete;
  Pairs& operator=(const Pairs&) = delete;
  bool add_string(int attr, std::string_view s) {
    if (s.empty()) return true;
    return rc_avpair_add(rh_, &list_, attr, s.data(), static_cast<int>(s.size()), 0) != nullptr;
  }
  bool add_bytes(int attr, const std::vector<std::uint8_t>& b) {
    return rc_avpair_add(rh_, &list_, attr, b.data(), static_cast<int>(b.size()), 0) != nullptr;
  }
  bool add_int(int attr, std::uint32_t v) {
    return rc_avpair_add(rh_, &list_, attr, &v, 0, 0) != nullptr;
  }
  bool add_ip(int attr, Ipv4 a) {
    std::uint32_t v = a.value;  // radcli wants ipaddr values in host order
    return rc_avpair_add(rh_, &list_, attr, &v, 0, 0) != nullptr;
  }
  VALUE_PAIR* get() { return list_; }

 private:
  rc_handle* rh_;
  VALUE_PAIR* list_ = nullptr;
};

// Servers that did not answer, shared by the workers. Like Comware's `timer quiet` (default
// 5 minutes), a silent server is tried after the others until the quiet time is over, so a
// dead primary does not cost every request its full timeout.
class QuietList {
 public:
  static constexpr auto kQuiet = std::chrono::minutes(5);
  bool quiet(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto it = until_.find(key);
    if (it == until_.end()) return false;
    if (std::chrono::steady_clock::now() >= it->second) {
      until_.erase(it);
      return false;
    }
    return true;
  }
  void silent(const std::string& key) {
    std::lock_guard lock(mutex_);
    until_[key] = std::chrono::steady_clock::now() + kQuiet;
  }
  void answered(const std::string& key) {
    std::lock_guard lock(mutex_);
    until_.erase(key);
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::chrono::steady_clock::time_point> until_;
};

class Worker {
 public:
  Worker(std::string dictionary, QuietList& quiet)
      : dictionary_(std::move(dictionary)), quiet_(quiet) {}
  ~Worker() {
    for (auto& [key, rh] : handles_) rc_destroy(rh);
  }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  Outcome run(const Job& job) {
    Outcome out;
    const auto& scheme = job.target.scheme;
    int timeout = static_cast<int>(std::max<std::uint32_t>(1, scheme.response_timeout_s));
    // Comware's `retry N` counts transmissions; radcli's radius_retries counts the ones
    // after the first (radius_retries 3 sends 4 requests, 0 sends one: measured).
    int retries = static_cast<int>(std::max<std::uint32_t>(1, scheme.retry)) - 1;
    rc_handle* rh = handle(timeout, retries, out);
    if (!rh) {
      out.access.outcome = RadiusOutcome::error;
      out.accounting.outcome = RadiusOutcome::error;
      return out;
    }
    if (const auto* a = std::get_if<RadiusAccessRequest>(&job.request)) {
      out.access = access(rh, job.target, *a, out);
    } else {
      out.accounting.outcome =
          accounting(rh, job.target, std::get<RadiusAccountingRequest>(job.request), out);
    }
    return out;
  }

 private:
  rc_handle* handle(int timeout, int retries, Outcome& out) {
    auto key = std::make_pair(timeout, retries);
    if (auto it = handles_.find(key); it != handles_.end()) return it->second;
    rc_handle* rh = rc_new();
    if (!rh) return nullptr;
    rh = rc_config_init(rh);
    if (!rh) return nullptr;
    const std::string t = std::to_string(timeout), r = std::to_string(retries);
    // authserver/acctserver are never used (every request names its server) but radcli
    // insists on having them.
    bool ok = rc_add_config(rh, "dictionary", dictionary_.c_str(), "vpdnd", 0) == 0 &&
              rc_add_config(rh, "authserver", "127.0.0.1", "vpdnd", 0) == 0 &&
              rc_add_config(rh, "acctserver", "127.0.0.1", "vpdnd", 0) == 0 &&
              rc_add_config(rh, "radius_timeout", t.c_str(), "vpdnd", 0) == 0 &&
              rc_add_config(rh, "radius_retries", r.c_str(), "vpdnd", 0) == 0 &&
              rc_add_config(rh, "radius_deadtime", "0", "vpdnd", 0) == 0 &&
              rc_apply_config(rh) == 0 && rc_read_dictionary(rh, dictionary_.c_str()) == 0;
    if (!ok) {
      out.errors.push_back("event=radcli-config-failed dictionary=" + dictionary_);
      rc_destroy(rh);
      return nullptr;
    }
    handles_[key] = rh;
    return rh;
  }

  struct Server {
    std::string host;
    std::uint16_t port;
    const char* role;
    std::string key() const { return host + ":" + std::to_string(port); }
  };

  // Servers in configured order, quiet ones moved to the end.
  std::vector<Server> ordered(const config::RadiusScheme& s, bool accounting, Outcome& out) {
    std::vector<Server> live, quiet;
    for (auto& srv : servers(s, accounting)) {
      if (quiet_.quiet(srv.key())) {
        out.debug.emplace_back(DebugClass::event, std::string(srv.role) + " " + srv.key() +
                                                      " is quiet after not answering, tried last");
        quiet.push_back(std::move(srv));
      } else {
        live.push_back(std::move(srv));
      }
    }
    live.insert(live.end(), quiet.begin(), quiet.end());
    return live;
  }

  static std::vector<Server> servers(const config::RadiusScheme& s, bool accounting) {
    std::vector<Server> out;
    const auto& primary = accounting ? s.primary_accounting : s.primary_authentication;
    const auto& secondary = accounting ? s.secondary_accounting : s.secondary_authentication;
    const std::uint16_t def = accounting ? 1813 : 1812;
    if (primary)
      out.push_back({primary->address.to_string(), primary->port ? primary->port : def, "primary"});
    if (secondary)
      out.push_back(
          {secondary->address.to_string(), secondary->port ? secondary->port : def, "secondary"});
    return out;
  }

  // One exchange with one server. ctx receives the request authenticator (needed for
  // Tunnel-Password) when a reply arrives.
  static int exchange(rc_handle* rh, const Server& srv, const std::string& secret, rc_type type,
                      std::uint32_t nas_port, VALUE_PAIR* send, VALUE_PAIR** received, char* msg,
                      rc_standard_codes code, RC_AAA_CTX** ctx) {
    // radcli 1.2 takes the shared secret not from the SERVER it is handed but from the
    // first entry of the handle's own authserver/acctserver list whose name matches
    // (rc_find_server_addr), and its config syntax cannot carry secrets with ':' or ','.
    // So the handle's first entry is pointed at this server and secret for the exchange.
    for (const char* option : {"authserver", "acctserver"}) {
      SERVER* own = rc_conf_srv(rh, option);
      if (!own || own->max < 1) return ERROR_RC;
      std::free(own->name[0]);
      own->name[0] = strdup(srv.host.c_str());
      own->port[0] = srv.port;
      if (own->secret[0]) {
        std::memset(own->secret[0], 0, std::strlen(own->secret[0]));
        std::free(own->secret[0]);
      }
      own->secret[0] = strdup(secret.c_str());
      if (!own->name[0] || !own->secret[0]) return ERROR_RC;
    }
    SERVER server{};
    server.max = 1;
    std::string host = srv.host;
    std::string key = secret;
    server.name[0] = host.data();
    server.port[0] = srv.port;
    server.secret[0] = key.data();
    int rc = rc_aaa_ctx_server(rh, ctx, &server, type, nas_port, send, received, msg, 0, code);
    std::fill(key.begin(), key.end(), '\0');
    return rc;
  }

  static void add_common(Pairs& p, const RadiusTarget& t, const std::string& user,
                         const std::string& calling, const std::string& called,
                         std::uint32_t nas_port, const std::string& nas_port_id) {
    p.add_string(kUserName, user);
    if (t.scheme.nas_ip) p.add_ip(kNasIpAddress, *t.scheme.nas_ip);
    p.add_string(kNasIdentifier, t.nas_identifier);
    p.add_int(kNasPort, nas_port);
    p.add_string(kNasPortId, nas_port_id);
    p.add_int(kNasPortType, kPortVirtual);
    p.add_int(kServiceType, kServiceFramed);
    p.add_int(kFramedProtocol, kProtocolPpp);
    p.add_string(kCallingStationId, calling);
    p.add_string(kCalledStationId, called);
  }

  RadiusAccessReply access(rc_handle* rh, const RadiusTarget& t, const RadiusAccessRequest& r,
                           Outcome& out) {
    RadiusAccessReply reply;
    // Values RADIUS cannot carry (RFC 2865 §5: 253 octets; User-Password 128) are refused
    // here: sending the request without them would only earn a reject, and treating it as
    // a silent server would wrongly open the local fallback.
    const auto* pap_in = std::get_if<PapCredentials>(&r.credentials);
    const auto* chap_in = std::get_if<ChapCredentials>(&r.credentials);
    if (r.user_name.empty() || r.user_name.size() > 253 ||
        (pap_in && pap_in->password.size() > 128) ||
        (chap_in && (chap_in->response.size() > 252 || chap_in->challenge.size() > 253))) {
      out.debug.emplace_back(DebugClass::error,
                             "Access-Request for a user name or credentials RADIUS cannot carry "
                             "refused (name length " +
                                 std::to_string(r.user_name.size()) + ")");
      reply.outcome = RadiusOutcome::reject;
      return reply;
    }
    Pairs p(rh);
    add_common(p, t, r.user_name, r.calling_station_id, r.called_station_id, r.nas_port,
               r.nas_port_id);
    const char* method = "PAP";
    if (const auto* pap = std::get_if<PapCredentials>(&r.credentials)) {
      p.add_string(kUserPassword, pap->password.empty() ? std::string_view("\0", 1)
                                                        : std::string_view(pap->password));
    } else {
      const auto& chap = std::get<ChapCredentials>(r.credentials);
      method = "CHAP";
      std::vector<std::uint8_t> value{chap.id};
      value.insert(value.end(), chap.response.begin(), chap.response.end());
      p.add_bytes(kChapPassword, value);
      p.add_bytes(kChapChallenge, chap.challenge);
    }
    const auto list = ordered(t.scheme, false, out);
    reply.outcome = RadiusOutcome::timeout;
    for (const auto& srv : list) {
      out.debug.emplace_back(DebugClass::control,
                             "Access-Request (" + std::string(method) + ") for " + r.user_name +
                                 " to " + srv.role + " " + srv.host + ":" +
                                 std::to_string(srv.port) + " scheme " + t.scheme.name);
      VALUE_PAIR* received = nullptr;
      RC_AAA_CTX* ctx = nullptr;
      char msg[PW_MAX_MSG_SIZE] = {0};
      int rc = exchange(rh, srv, t.scheme.key_authentication.plain, AUTH, r.nas_port, p.get(),
                        &received, msg, PW_ACCESS_REQUEST, &ctx);
      // An Access-Challenge cannot be relayed over PPP PAP/CHAP: treat it as a reject
      // (the server answered, so no fallback applies).
      if (rc == OK_RC || rc == REJECT_RC || rc == CHALLENGE_RC) {
        quiet_.answered(srv.key());
        reply.reply_message = msg;
        while (!reply.reply_message.empty() && (reply.reply_message.back() == '\n'))
          reply.reply_message.pop_back();
        if (rc == OK_RC) {
          reply.outcome = RadiusOutcome::accept;
          parse_accept(received, ctx, t.scheme.key_authentication.plain, reply, out);
        } else {
          reply.outcome = RadiusOutcome::reject;
        }
        const char* what = rc == OK_RC       ? "Access-Accept"
                           : rc == REJECT_RC ? "Access-Reject"
                                             : "Access-Challenge (refused)";
        out.debug.emplace_back(DebugClass::control, std::string(what) + " for " + r.user_name +
                                                        " from " + srv.host + ":" +
                                                        std::to_string(srv.port));
        rc_avpair_free(received);
        if (ctx) rc_aaa_ctx_free(ctx);
        return reply;
      }
      rc_avpair_free(received);
      if (ctx) rc_aaa_ctx_free(ctx);
      quiet_.silent(srv.key());
      out.debug.emplace_back(DebugClass::error, "No answer from " + std::string(srv.role) + " " +
                                                    srv.host + ":" + std::to_string(srv.port) +
                                                    " (rc=" + std::to_string(rc) + ")");
      if (rc != TIMEOUT_RC) reply.outcome = RadiusOutcome::error;
    }
    if (list.empty()) reply.outcome = RadiusOutcome::error;
    return reply;
  }

  static void parse_accept(VALUE_PAIR* vp, RC_AAA_CTX* ctx, const std::string& secret,
                           RadiusAccessReply& reply, Outcome& out) {
    std::vector<detail::RawAttribute> tunnel_attrs;
    for (; vp; vp = rc_avpair_next(vp)) {
      unsigned type = 0, id = 0;
      rc_avpair_get_attr(vp, &type, &id);
      if (VENDOR(id) != 0) continue;
      const unsigned attr = ATTRID(id);
      std::uint32_t u = 0;
      switch (attr) {
        case kFramedIpAddress:
          // RFC 2865 §5.8: 255.255.255.255 lets the user pick, 255.255.255.254 lets
          // the NAS pick; neither names an address.
          if (rc_avpair_get_uint32(vp, &u) == 0 && u && u != 0xffffffffu && u != 0xfffffffeu)
            reply.framed_ip = Ipv4{u};
          break;
        case kSessionTimeout:
          if (rc_avpair_get_uint32(vp, &u) == 0) reply.session_timeout_s = u;
          break;
        case kIdleTimeout:
          if (rc_avpair_get_uint32(vp, &u) == 0) reply.idle_timeout_s = u;
          break;
        case kFramedPool: {
          char* raw = nullptr;
          unsigned size = 0;
          if (rc_avpair_get_raw(vp, &raw, &size) == 0) reply.framed_pool.assign(raw, size);
          break;
        }
        case 64:
        case 65:
        case 67:
        case 69:
        case 82:
        case 83:
        case 90: {
          char* raw = nullptr;
          unsigned size = 0;
          if (type == PW_TYPE_STRING && rc_avpair_get_raw(vp, &raw, &size) == 0) {
            const auto* b = reinterpret_cast<const std::uint8_t*>(raw);
            tunnel_attrs.push_back({static_cast<std::uint8_t>(attr), {b, b + size}});
          }
          break;
        }
        default:
          break;
      }
    }
    if (tunnel_attrs.empty()) return;
    detail::Authenticator authenticator{};
    if (ctx) {
      std::memcpy(authenticator.data(), rc_aaa_ctx_get_vector(ctx), authenticator.size());
    }
    int bad = 0;
    reply.tunnels = detail::decode_tunnel_attributes(tunnel_attrs, secret, authenticator, &bad);
    if (bad)
      out.errors.push_back("event=radius-tunnel-password-undecryptable count=" +
                           std::to_string(bad));
    for (const auto& s : reply.tunnels) {
      out.debug.emplace_back(DebugClass::control,
                             "Tunnel tag " + std::to_string(s.tag) + ": type " +
                                 std::to_string(s.type) + " medium " + std::to_string(s.medium) +
                                 " endpoint " + s.server_endpoint_text + " preference " +
                                 (s.preference ? std::to_string(*s.preference) : std::string("-")) +
                                 " assignment-id " + s.assignment_id + " client-auth-id " +
                                 s.client_auth_id + (s.password.empty() ? "" : " password ******"));
    }
  }

  RadiusOutcome accounting(rc_handle* rh, const RadiusTarget& t, const RadiusAccountingRequest& r,
                           Outcome& out) {
    Pairs p(rh);
    p.add_int(kAcctStatusType, static_cast<std::uint32_t>(r.status));
    p.add_string(kAcctSessionId, r.session_id);
    add_common(p, t, r.user_name, r.calling_station_id, r.called_station_id, r.nas_port,
               r.nas_port_id);
    if (r.framed_ip && !r.framed_ip->is_zero()) p.add_ip(kFramedIpAddress, *r.framed_ip);
    p.add_int(kEventTimestamp, static_cast<std::uint32_t>(std::time(nullptr)));
    if (r.status != AcctStatus::start) {
      const auto& c = r.counters;
      p.add_int(kAcctSessionTime, r.session_time_s);
      p.add_int(kAcctInputOctets, static_cast<std::uint32_t>(c.input_octets));
      p.add_int(kAcctOutputOctets, static_cast<std::uint32_t>(c.output_octets));
      p.add_int(kAcctInputGigawords, static_cast<std::uint32_t>(c.input_octets >> 32));
      p.add_int(kAcctOutputGigawords, static_cast<std::uint32_t>(c.output_octets >> 32));
      p.add_int(kAcctInputPackets, static_cast<std::uint32_t>(c.input_packets));
      p.add_int(kAcctOutputPackets, static_cast<std::uint32_t>(c.output_packets));
    }
    if (r.status == AcctStatus::stop && r.terminate_cause)
      p.add_int(kAcctTerminateCause, static_cast<std::uint32_t>(*r.terminate_cause));
    const auto list = ordered(t.scheme, true, out);
    RadiusOutcome result = list.empty() ? RadiusOutcome::error : RadiusOutcome::timeout;
    for (const auto& srv : list) {
      out.debug.emplace_back(DebugClass::control,
                             "Accounting-Request " + std::string(status_name(r.status)) + " for " +
                                 r.user_name + " session " + r.session_id + " to " + srv.role +
                                 " " + srv.host + ":" + std::to_string(srv.port));
      VALUE_PAIR* received = nullptr;
      int rc = exchange(rh, srv, t.scheme.key_accounting.plain, ACCT, r.nas_port, p.get(),
                        &received, nullptr, PW_ACCOUNTING_REQUEST, nullptr);
      rc_avpair_free(received);
      if (rc == OK_RC) {
        quiet_.answered(srv.key());
        out.debug.emplace_back(DebugClass::control, "Accounting-Response for session " +
                                                        r.session_id + " from " + srv.host + ":" +
                                                        std::to_string(srv.port));
        return RadiusOutcome::accept;
      }
      quiet_.silent(srv.key());
      out.debug.emplace_back(DebugClass::error, "No accounting answer from " +
                                                    std::string(srv.role) + " " + srv.host + ":" +
                                                    std::to_string(srv.port) +
                                                    " (rc=" + std::to_string(rc) + ")");
      if (rc != TIMEOUT_RC) result = RadiusOutcome::error;
    }
    return result;
  }

  std::string dictionary_;
  QuietList& quiet_;
  std::map<std::pair<int, int>, rc_handle*> handles_;
};

class RadcliClient final : public RadiusClient {
 public:
  RadcliClient(Engine& engine, unsigned workers, std::string dictionary)
      : engine_(engine), shared_(std::make_shared<Shared>()), alive_(std::make_shared<bool>()) {
    if (dictionary.empty()) {
      dictionary = VPDND_RADIUS_DICTIONARY;
      if (!std::filesystem::exists(dictionary)) dictionary = "/etc/radcli/dictionary";
    }
    for (unsigned i = 0; i < std::max(1u, workers); ++i)
      threads_.emplace_back([this, dictionary] { work(dictionary); });
  }

  ~RadcliClient() override {
    {
      std::lock_guard lock(shared_->mutex);
      shared_->stop = true;
      shared_->queue.clear();
    }
    shared_->cv.notify_all();
    for (auto& t : threads_) t.join();
  }

  Id access_request(const RadiusTarget& target, RadiusAccessRequest request,
                    AccessCallback done) override {
    Id id = next_++;
    access_.emplace(id, std::move(done));
    enqueue(Job{id, target, std::move(request)});
    return id;
  }

  Id accounting_request(const RadiusTarget& target, RadiusAccountingRequest request,
                        AccountingCallback done) override {
    Id id = next_++;
    accounting_.emplace(id, std::move(done));
    enqueue(Job{id, target, std::move(request)});
    return id;
  }

  void cancel(Id id) override {
    access_.erase(id);
    accounting_.erase(id);
    std::lock_guard lock(shared_->mutex);
    std::erase_if(shared_->queue, [id](const Job& j) { return j.id == id; });
  }

 private:
  struct Shared {
    std::mutex mutex;
    std::condition_variable cv;
    std::deque<Job> queue;
    bool stop = false;
  };

  void enqueue(Job job) {
    {
      std::lock_guard lock(shared_->mutex);
      shared_->queue.push_back(std::move(job));
    }
    shared_->cv.notify_one();
  }

  void work(std::string dictionary) {
    Worker worker(std::move(dictionary), quiet_);
    for (;;) {
      Job job;
      {
        std::unique_lock lock(shared_->mutex);
        shared_->cv.wait(lock, [&] { return shared_->stop || !shared_->queue.empty(); });
        if (shared_->stop) return;
        job = std::move(shared_->queue.front());
        shared_->queue.pop_front();
      }
      Outcome out = worker.run(job);
      std::weak_ptr<bool> alive = alive_;
      engine_.post([this, alive, id = job.id, out = std::move(out)]() mutable {
        if (alive.expired()) return;  // the client is gone (engine-thread check)
        deliver(id, std::move(out));
      });
    }
  }

  // Engine thread.
  void deliver(Id id, Outcome out) {
    for (auto& [cls, line] : out.debug)
      debug_lazy(DebugModule::radius, cls, [&] { return std::move(line); });
    for (auto& e : out.errors) log_warning(DebugModule::radius, e);
    if (auto it = access_.find(id); it != access_.end()) {
      auto done = std::move(it->second);
      access_.erase(it);
      done(std::move(out.access));
    } else if (auto jt = accounting_.find(id); jt != accounting_.end()) {
      auto done = std::move(jt->second);
      accounting_.erase(jt);
      done(out.accounting);
    }
  }

  Engine& engine_;
  QuietList quiet_;
  std::shared_ptr<Shared> shared_;
  std::shared_ptr<bool> alive_;
  std::vector<std::thread> threads_;
  std::unordered_map<Id, AccessCallback> access_;          // engine thread only
  std::unordered_map<Id, AccountingCallback> accounting_;  // engine thread only
  Id next_ = 1;
};

}  // namespace

std::unique_ptr<RadiusClient> make_radcli_client(Engine& engine, unsigned workers,
                                                 std::string dictionary) {
  return std::make_unique<RadcliClient>(engine, workers, std::move(dictionary));
}

}  // namespace vpdnd::aaa
