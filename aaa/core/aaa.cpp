// The Aaa service: method chains per ISP domain, local authentication, pools kept in step
// with the config, accounting sessions. Protocol thread only.
#include "aaa/aaa.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <unordered_map>

#include "aaa/core/pool.hpp"
#include "aaa/core/stop_buffer.hpp"
#include "common/enum_names.hpp"
#include "common/log.hpp"
#include "common/packed_strings.hpp"
#include "common/printable.hpp"

namespace vpdnd::aaa {
namespace {

const config::Domain* find_domain(const config::RunningConfig& cfg, std::string_view name) {
  if (name.empty()) return nullptr;
  auto it = cfg.domains.find(std::string(name));
  if (it != cfg.domains.end()) return &it->second;
  for (const auto& [key, d] : cfg.domains)
    if (domain_equal(key, name)) return &d;
  return nullptr;
}

const config::RadiusScheme* find_scheme(const config::RunningConfig& cfg, std::string_view name) {
  auto it = cfg.radius_schemes.find(std::string(name));
  return it == cfg.radius_schemes.end() ? nullptr : &it->second;
}

const char* credentials_name(const Credentials& c) {
  if (std::holds_alternative<PapCredentials>(c)) return " (PAP)";
  if (std::holds_alternative<ChapCredentials>(c)) return " (CHAP)";
  return std::get<MsChapCredentials>(c).version == 1 ? " (MS-CHAP)" : " (MS-CHAP-V2)";
}

std::string_view method_name(AuthMethodUsed m) {
  static constexpr std::string_view kNames[] = {"none", "local", "radius"};
  return enum_name<AuthMethodUsed::none, AuthMethodUsed::radius>(m, kNames);
}

}  // namespace

std::string choose_pool(const config::RunningConfig& config, const AuthResult& auth,
                        std::string_view template_pool) {
  if (!auth.framed_pool.empty()) return auth.framed_pool;
  if (const auto* d = find_domain(config, auth.domain); d && !d->authorization_ip_pool.empty())
    return d->authorization_ip_pool;
  return std::string(template_pool);
}

struct Aaa::Impl {
  struct PendingAuth {
    AuthRequest request;
    AuthCallback done;
    AuthResult partial;  // user/domain filled in
    std::string domain_name;
    RadiusClient::Id radius_id = 0;
    TimerService::Id timer = TimerService::kNoTimer;
  };

  // One online user. Per-session memory matters (tens of thousands of them): the texts
  // share one block, the record lives in the table's node itself (120 bytes with the
  // node: a 128-byte malloc chunk), the Acct-Session-Id is formatted from the session id
  // when needed, and the usual interface name (NAS-Port-Id:NAS-Port, the LNS's
  // "Virtual-Template1:5") is not stored.
  struct Session {
    enum Text : std::size_t {
      user,
      domain,
      interface,
      pool,
      calling,
      called,
      nas_port_id,
      scheme,
      count
    };
    // In place of the interface text: it is nas_port_id + ":" + nas_port. No interface
    // name has a control character.
    static constexpr std::string_view kDerivedInterface{"\x01", 1};
    std::string_view get(Text t) const { return text.get(t); }
    std::string interface_name() const {
      if (get(interface) == kDerivedInterface)
        return std::string(get(nas_port_id)) + ":" + std::to_string(nas_port);
      return std::string(get(interface));
    }
    // 0.0.0.0 stands for "no address" (a peer is never given 0.0.0.0).
    std::optional<Ipv4> framed_ip() const {
      return address.is_zero() ? std::nullopt : std::optional<Ipv4>(address);
    }
    PackedStrings<Text::count> text;
    std::uint32_t nas_port = 0;
    Ipv4 address{};
    TimePoint started{};
    std::function<Counters()> counters;                 // SessionStart::counters
    TimerService::Id interim = TimerService::kNoTimer;  // cancelled by close_session / ~Aaa
  };

  Impl(config::ConfigStore& s, TimerService& t, RadiusClient& r, StopBufferOptions o)
      : store(s), timers(t), radius(r), buf_opt(std::move(o)) {
    std::random_device rd;
    acct_prefix = (static_cast<std::uint32_t>(rd()) & 0xffffff00u);
    if (!buf_opt.wall_clock)
      buf_opt.wall_clock = [] {
        return std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
      };
    if (buf_opt.capacity == 0) buf_opt.capacity = 1;
    if (buf_opt.window == 0) buf_opt.window = 1;
  }

  config::ConfigStore& store;
  TimerService& timers;
  RadiusClient& radius;
  config::Subscription config_subscription;  // pools follow the config while it is held

  std::map<std::string, std::unique_ptr<detail::AddressPool>, std::less<>> pools;
  // Leases that no configured pool range holds any more, by pool name (see sync_pools).
  std::map<std::string, std::map<std::uint32_t, std::string>, std::less<>> orphans;

  bool release_lease(std::string_view pool, Ipv4 address) {
    if (auto it = pools.find(pool); it != pools.end() && it->second->release(address)) return true;
    auto o = orphans.find(pool);
    if (o == orphans.end() || !o->second.erase(address.value)) return false;
    if (o->second.empty()) orphans.erase(o);
    return true;
  }
  std::unordered_map<AuthHandle, PendingAuth> pending;
  AuthHandle next_auth = 1;
  std::unordered_map<SessionId, Session> sessions;  // shown and closed in id order
  SessionId next_session = 1;
  std::uint32_t acct_prefix = 0;
  std::unordered_map<RadiusClient::Id, SessionId> acct_in_flight;

  const config::RunningConfig& cfg() const { return store.running(); }

  // ---- pools -------------------------------------------------------------------------

  void sync_pools() {
    const auto& wanted = cfg().ip_pools;
    for (auto it = pools.begin(); it != pools.end();) {
      if (!wanted.count(it->first)) {
        log_info(DebugModule::aaa, "event=pool-removed pool=" + it->first +
                                       " leases_kept=" + std::to_string(it->second->in_use()));
        for (const auto& lease : it->second->leases())
          orphans[it->first][lease.address.value] = lease.user;
        it = pools.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& [name, pc] : wanted) {
      auto it = pools.find(name);
      if (it != pools.end() && it->second->config() == pc) continue;
      auto next = std::make_unique<detail::AddressPool>(pc);
      if (next->truncated())
        log_warning(DebugModule::aaa,
                    "event=pool-truncated pool=" + name + " size=" + std::to_string(next->size()));
      // Leases inside the new range stay leased. Leases outside it (or of a pool that was
      // removed) stay with their sessions as orphans: they are not handed out again when a
      // later change brings them back into a pool, and their release just forgets them.
      auto& orphaned = orphans[name];
      if (it != pools.end()) {
        for (const auto& lease : it->second->leases())
          if (!next->adopt(lease.address, lease.user)) orphaned[lease.address.value] = lease.user;
      }
      for (auto o = orphaned.begin(); o != orphaned.end();) {
        if (next->adopt(Ipv4{o->first}, o->second))
          o = orphaned.erase(o);
        else
          ++o;
      }
      const std::size_t dropped = orphaned.size();
      if (orphaned.empty()) orphans.erase(name);
      debug_lazy(DebugModule::aaa, DebugClass::event, [&] {
        return "Pool " + name + " configured " + pc.start.to_string() + "-" +
               next->status().end.to_string() +
               ", leases outside the range: " + std::to_string(dropped);
      });
      pools[name] = std::move(next);
    }
  }

  // ---- authentication ------------------------------------------------------------------

  void finish(AuthHandle h, AuthResult result) {
    auto it = pending.find(h);
    if (it == pending.end()) return;
    auto done = std::move(it->second.done);
    const std::string name = it->second.request.user_name;
    pending.erase(it);
    debug_lazy(DebugModule::aaa, DebugClass::event, [&] {
      return "User " + printable(name) + " domain " + printable(result.domain) + " " +
             (result.accepted ? "accepted" : "rejected") + " by " +
             std::string(method_name(result.method)) +
             (result.accepted ? std::string()
                              : " (" + std::string(to_string(result.failure)) + ")");
    });
    done(std::move(result));
  }

  // Defers a synchronous answer so that the callback never runs inside authenticate().
  void finish_later(AuthHandle h, AuthResult result) {
    auto& p = pending.at(h);
    p.timer = timers.schedule(Duration::zero(), [this, h, r = std::move(result)]() mutable {
      auto it = pending.find(h);
      if (it == pending.end()) return;
      it->second.timer = TimerService::kNoTimer;
      finish(h, std::move(r));
    });
  }

  AuthResult local_auth(const PendingAuth& p) const {
    AuthResult r = p.partial;
    r.method = AuthMethodUsed::local;
    const auto& users = cfg().local_users;
    // Comware keeps local users under the full name (`local-user alice@corp.com`) or the
    // bare one; try the name as typed, then in the domain's configured spelling (domains
    // ignore case), then the bare user.
    auto it = users.find(p.request.user_name);
    if (it == users.end()) it = users.find(qualified(r.user, r.domain));
    if (it == users.end() && r.user != p.request.user_name) it = users.find(r.user);
    if (it == users.end()) {
      r.failure = AuthFailure::no_such_user;
      return r;
    }
    const auto& u = it->second;
    if (!u.active) {
      r.failure = AuthFailure::user_blocked;
      return r;
    }
    if (!u.has_service(config::ServiceType::ppp)) {
      r.failure = AuthFailure::service_not_allowed;
      return r;
    }
    bool ok = false;
    if (const auto* pap = std::get_if<PapCredentials>(&p.request.credentials)) {
      ok = pap->password.size() == u.password.plain.size() &&
           CRYPTO_memcmp(pap->password.data(), u.password.plain.data(), pap->password.size()) == 0;
    } else if (const auto* chap = std::get_if<ChapCredentials>(&p.request.credentials)) {
      auto expect = chap_md5(chap->id, u.password.plain, chap->challenge);
      ok = chap->response.size() == expect.size() &&
           CRYPTO_memcmp(chap->response.data(), expect.data(), expect.size()) == 0;
    } else if (const auto* ms = std::get_if<MsChapCredentials>(&p.request.credentials)) {
      // v2 hashes the name the user sent in its Response (RFC 2759 §8.2), the full one.
      auto v = ms->version == 1 ? mschap::verify_v1(u.password.plain, ms->challenge, ms->response)
                                : mschap::verify_v2(u.password.plain, ms->challenge, ms->response,
                                                    p.request.user_name);
      if (v) {
        ok = true;
        r.mschap_auth_response = v->authenticator_response;
        r.mppe_keys = v->keys;
      }
    }
    if (!ok) {
      r.failure = AuthFailure::bad_password;
      r.reply_message = "Authentication failed";
      return r;
    }
    r.accepted = true;
    return r;
  }

  AuthResult none_auth(const PendingAuth& p) const {
    AuthResult r = p.partial;
    r.method = AuthMethodUsed::none;
    r.accepted = true;
    return r;
  }

  // RADIUS did not answer (or the scheme is unusable): Comware falls back to local, then
  // none, only in this case, never on Access-Reject.
  AuthResult fallback(const PendingAuth& p, const config::Domain& d, AuthFailure otherwise) const {
    if (d.auth_fallback_local) return local_auth(p);
    if (d.auth_fallback_none) return none_auth(p);
    AuthResult r = p.partial;
    r.method = AuthMethodUsed::radius;
    r.failure = otherwise;
    return r;
  }

  std::string qualified(const std::string& user, const std::string& domain) const {
    const auto& l2tp = cfg().l2tp;
    const std::string sep(1, l2tp.separator);
    return l2tp.prefix_separator ? domain + sep + user : user + sep + domain;
  }

  std::string radius_user_name(const PendingAuth& p, const config::RadiusScheme& s) const {
    switch (s.user_name_format) {
      case config::UserNameFormat::keep_original:
        return p.request.user_name;
      case config::UserNameFormat::without_domain:
        return p.partial.user;
      case config::UserNameFormat::with_domain: {
        const auto& l2tp = cfg().l2tp;
        if (!split_user_name(p.request.user_name, l2tp).domain.empty() &&
            p.request.domain_override.empty())
          return p.request.user_name;
        return qualified(p.partial.user, p.partial.domain);
      }
    }
    return p.request.user_name;
  }

  AuthHandle authenticate(AuthRequest req, AuthCallback done) {
    const AuthHandle h = next_auth++;
    PendingAuth& p = pending[h];
    p.request = std::move(req);
    p.done = std::move(done);

    const auto& c = cfg();
    UserName split = split_user_name(p.request.user_name, c.l2tp);
    const config::Domain* d = nullptr;
    if (!p.request.domain_override.empty()) d = find_domain(c, p.request.domain_override);
    if (!d) d = find_domain(c, split.domain);
    if (!d) d = find_domain(c, c.default_domain);
    if (!d) d = find_domain(c, "system");
    p.partial.user = split.user;
    p.partial.domain = d ? d->name : (split.domain.empty() ? c.default_domain : split.domain);

    debug_lazy(DebugModule::aaa, DebugClass::event, [&] {
      return "User " + printable(p.request.user_name) + " authenticating in domain " +
             printable(p.partial.domain) + credentials_name(p.request.credentials);
    });

    if (!d) {
      AuthResult r = p.partial;
      r.failure = AuthFailure::config_error;
      finish_later(h, std::move(r));
      return h;
    }
    if (!d->active) {
      AuthResult r = p.partial;
      r.failure = AuthFailure::domain_blocked;
      r.reply_message = "Domain blocked";
      finish_later(h, std::move(r));
      return h;
    }
    switch (d->auth) {
      case config::AuthMethod::local:
        finish_later(h, local_auth(p));
        return h;
      case config::AuthMethod::none:
        finish_later(h, none_auth(p));
        return h;
      case config::AuthMethod::radius:
        break;
    }
    const auto* scheme = find_scheme(c, d->auth_radius_scheme);
    if (!scheme || (!scheme->primary_authentication && !scheme->secondary_authentication)) {
      log_warning(DebugModule::aaa, "event=radius-scheme-unusable domain=" + d->name +
                                        " scheme=" + d->auth_radius_scheme);
      finish_later(h, fallback(p, *d, AuthFailure::config_error));
      return h;
    }
    RadiusAccessRequest rr;
    rr.user_name = radius_user_name(p, *scheme);
    rr.credentials = p.request.credentials;
    rr.calling_station_id = p.request.calling_station_id;
    rr.called_station_id = p.request.called_station_id;
    rr.nas_port = p.request.nas_port;
    rr.nas_port_id = p.request.nas_port_id;
    p.domain_name = d->name;
    RadiusTarget target{*scheme, c.sysname};
    // `p` may be gone when access_request returns (a client that answers at once), so the
    // id is stored through a fresh lookup.
    RadiusClient::Id id = radius.access_request(
        target, std::move(rr),
        [this, h](RadiusAccessReply reply) { on_radius_reply(h, std::move(reply)); });
    if (auto it = pending.find(h); it != pending.end()) it->second.radius_id = id;
    return h;
  }

  void on_radius_reply(AuthHandle h, RadiusAccessReply reply) {
    auto it = pending.find(h);
    if (it == pending.end()) return;
    PendingAuth& p = it->second;
    p.radius_id = 0;
    AuthResult r = p.partial;
    r.method = AuthMethodUsed::radius;
    r.reply_message = reply.reply_message;
    switch (reply.outcome) {
      case RadiusOutcome::accept:
        r.accepted = true;
        r.framed_ip = reply.framed_ip;
        r.framed_pool = reply.framed_pool;
        r.session_timeout_s = reply.session_timeout_s;
        r.idle_timeout_s = reply.idle_timeout_s;
        r.tunnels = order_l2tp_tunnels(std::move(reply.tunnels));
        r.mschap_auth_response = reply.mschap2_success;
        r.mppe_keys = reply.mppe_keys;
        if (const auto* ms = std::get_if<MsChapCredentials>(&p.request.credentials);
            !r.mppe_keys && reply.mschap_v1_nt_key && ms && ms->version == 1)
          r.mppe_keys = mschap::v1_mppe_keys_from_hash_hash(*reply.mschap_v1_nt_key, ms->challenge);
        break;
      case RadiusOutcome::reject:
        r.failure = AuthFailure::radius_reject;
        r.mschap_error = reply.mschap_error;
        break;
      case RadiusOutcome::timeout:
      case RadiusOutcome::error: {
        const auto* d = find_domain(cfg(), p.domain_name);
        log_warning(DebugModule::aaa,
                    "event=radius-no-answer user=" + printable(p.request.user_name) +
                        " domain=" + printable(p.domain_name));
        if (d) {
          r = fallback(p, *d, AuthFailure::radius_unreachable);
        } else {
          r.failure = AuthFailure::radius_unreachable;
        }
        break;
      }
    }
    finish(h, std::move(r));
  }

  void cancel(AuthHandle h) {
    auto it = pending.find(h);
    if (it == pending.end()) return;
    if (it->second.radius_id) radius.cancel(it->second.radius_id);
    if (it->second.timer != TimerService::kNoTimer) timers.cancel(it->second.timer);
    pending.erase(it);
  }

  // ---- accounting ------------------------------------------------------------------------

  // The session ids count 1, 2, 3...: their low 32 bits are the Acct-Session-Id serial.
  std::string acct_id(SessionId id) const {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%08X%08X", acct_prefix, static_cast<std::uint32_t>(id));
    return buf;
  }

  std::vector<SessionId> sorted_session_ids() const {
    std::vector<SessionId> ids;
    ids.reserve(sessions.size());
    for (const auto& [id, s] : sessions) ids.push_back(id);
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  void send_accounting(SessionId id, Session& s, AcctStatus status,
                       std::optional<TerminateCause> cause) {
    const std::string_view scheme_name = s.get(Session::scheme);
    if (scheme_name.empty()) return;
    const auto* scheme = find_scheme(cfg(), scheme_name);
    if (!scheme || (!scheme->primary_accounting && !scheme->secondary_accounting)) {
      log_warning(DebugModule::aaa,
                  "event=accounting-scheme-unusable scheme=" + std::string(scheme_name));
      return;
    }
    RadiusAccountingRequest a;
    a.status = status;
    a.session_id = acct_id(id);
    a.user_name = s.get(Session::user);
    a.framed_ip = s.framed_ip();
    a.calling_station_id = s.get(Session::calling);
    a.called_station_id = s.get(Session::called);
    a.nas_port = s.nas_port;
    a.nas_port_id = s.get(Session::nas_port_id);
    if (status != AcctStatus::start) {
      a.session_time_s = static_cast<std::uint32_t>(
          std::chrono::duration_cast<std::chrono::seconds>(timers.now() - s.started).count());
      if (s.counters) a.counters = s.counters();
      a.terminate_cause = cause;
    }
    debug_lazy(DebugModule::aaa, DebugClass::event, [&] {
      const char* kind = status == AcctStatus::start  ? "Start"
                         : status == AcctStatus::stop ? "Stop"
                                                      : "Interim-Update";
      return std::string("Accounting ") + kind + " for " + printable(a.user_name) + " session " +
             a.session_id;
    });
    std::string sid = a.session_id;
    enqueue_accounting(sid, RadiusTarget{*scheme, cfg().sysname}, std::move(a),
                       status == AcctStatus::stop ? buf_opt.wall_clock() : 0);
  }

  // One accounting request per session is on the wire at a time, so the server sees Start,
  // Interim-Updates and Stop in order even though the client runs requests in parallel.
  struct AcctJob {
    RadiusTarget target;
    RadiusAccountingRequest request;
    std::int64_t event_time = 0;  // Stop: when the session ended (Unix seconds)
  };
  std::unordered_map<std::string, std::deque<AcctJob>> acct_queue;  // front: on the wire

  void enqueue_accounting(const std::string& sid, RadiusTarget target,
                          RadiusAccountingRequest request, std::int64_t event_time) {
    auto& q = acct_queue[sid];
    q.push_back({std::move(target), std::move(request), event_time});
    if (q.size() == 1) dispatch_accounting(sid);
  }

  void dispatch_accounting(const std::string& sid) {
    auto q = acct_queue.find(sid);
    if (q == acct_queue.end() || q->second.empty()) return;
    AcctJob job = q->second.front();  // a copy: the queue may change under the call
    struct InFlight {
      RadiusClient::Id id = 0;
      bool answered = false;
    };
    auto flight = std::make_shared<InFlight>();
    RadiusClient::Id id = radius.accounting_request(
        job.target, std::move(job.request), [this, flight, sid](RadiusAccountingReply reply) {
          flight->answered = true;
          if (flight->id) acct_in_flight.erase(flight->id);
          if (reply.outcome != RadiusOutcome::accept)
            log_warning(DebugModule::aaa, "event=accounting-failed session=" + sid +
                                              " outcome=" + std::string(to_string(reply.outcome)));
          auto it = acct_queue.find(sid);
          if (it == acct_queue.end()) return;
          if (reply.outcome != RadiusOutcome::accept &&
              it->second.front().request.status == AcctStatus::stop) {
            AcctJob& job = it->second.front();
            buffer_stop(job.target.scheme.name, std::move(job.request), job.event_time, 1);
          }
          it->second.pop_front();
          if (it->second.empty()) {
            acct_queue.erase(it);
          } else {
            dispatch_accounting(sid);
          }
        });
    flight->id = id;
    if (!flight->answered) acct_in_flight.emplace(id, 0);
  }

  void arm_interim(Session& s, SessionId id) {
    const auto* scheme = find_scheme(cfg(), s.get(Session::scheme));
    if (!scheme || scheme->realtime_accounting_min == 0) return;
    timers.cancel(s.interim);
    s.interim = timers.schedule(std::chrono::minutes(scheme->realtime_accounting_min), [this, id] {
      auto it = sessions.find(id);
      if (it == sessions.end()) return;
      it->second.interim = TimerService::kNoTimer;
      send_accounting(id, it->second, AcctStatus::interim, std::nullopt);
      arm_interim(it->second, id);
    });
  }

  SessionId open_session(SessionStart start) {
    const SessionId id = next_session++;
    Session& s = sessions.try_emplace(id).first->second;
    std::string_view scheme;
    if (const auto* d = find_domain(cfg(), start.domain); d && d->accounting_radius)
      scheme = d->accounting_radius_scheme;
    std::string_view interface = start.interface;
    if (!start.nas_port_id.empty() &&
        interface == start.nas_port_id + ":" + std::to_string(start.nas_port))
      interface = Session::kDerivedInterface;
    s.text.assign({start.user_name, start.domain, interface, start.pool, start.calling_station_id,
                   start.called_station_id, start.nas_port_id, scheme});
    s.address = start.address.value_or(Ipv4{});
    s.nas_port = start.nas_port;
    s.started = timers.now();
    s.counters = std::move(start.counters);
    send_accounting(id, s, AcctStatus::start, std::nullopt);
    if (!s.get(Session::scheme).empty()) arm_interim(s, id);
    return id;
  }

  void close_session(SessionId id, TerminateCause cause) {
    auto it = sessions.find(id);
    if (it == sessions.end()) return;
    Session& s = it->second;
    timers.cancel(s.interim);
    s.interim = TimerService::kNoTimer;
    send_accounting(id, s, AcctStatus::stop, cause);
    if (auto pool = s.get(Session::pool); !pool.empty() && s.framed_ip())
      release_lease(pool, s.address);
    sessions.erase(it);
  }

  // ---- stop-accounting buffer ------------------------------------------------------------

  struct BufferEntry {
    detail::StopRecord record;
    TimePoint due{};
    RadiusClient::Id on_wire = 0;
  };
  StopBufferOptions buf_opt;
  std::map<std::uint64_t, BufferEntry> stop_buffer;  // key ascending: oldest first
  std::uint64_t next_stop_key = 1;
  std::size_t stops_on_wire = 0;
  TimerService::Id stop_timer = TimerService::kNoTimer;
  TimerService::Id persist_timer = TimerService::kNoTimer;
  bool closing = false;  // ~Aaa: no timers, no transmissions
  // After a buffered Stop failed, one at a time until one is answered: a dead server is
  // probed, not flooded, and few requests wait in the client behind the probe (their
  // Acct-Delay-Time is fixed when they are handed over).
  bool probing = false;
  StopBufferStatistics stop_stats;

  static const char* outcome_text(RadiusOutcome o) {
    return o == RadiusOutcome::timeout  ? "timeout"
           : o == RadiusOutcome::accept ? "accept"
                                        : "error";
  }

  static bool has_accounting_server(const config::RadiusScheme& s) {
    return s.primary_accounting || s.secondary_accounting;
  }

  // A Stop that got no answer after `attempts` transmissions.
  void buffer_stop(const std::string& scheme_name, RadiusAccountingRequest request,
                   std::int64_t event_time, std::uint32_t attempts) {
    const auto* scheme = find_scheme(cfg(), scheme_name);
    const std::string what =
        "session=" + request.session_id + " user=" + request.user_name + " scheme=" + scheme_name;
    // Comware buffers nothing for a scheme without accounting server, nor when disabled.
    if (!scheme || !has_accounting_server(*scheme) || !scheme->stop_accounting_buffer) {
      log_warning(DebugModule::aaa,
                  "event=accounting-stop-lost " + what + " reason=" +
                      (!scheme || !has_accounting_server(*scheme) ? "no-accounting-server"
                                                                  : "buffer-disabled"));
      return;
    }
    if (attempts >= scheme->retry_stop_accounting && !closing) {
      ++stop_stats.dropped_attempts;
      log_warning(DebugModule::aaa, "event=accounting-stop-dropped " + what +
                                        " reason=attempts attempts=" + std::to_string(attempts));
      return;
    }
    while (stop_buffer.size() >= buf_opt.capacity) {
      auto oldest = stop_buffer.begin();
      if (oldest->second.on_wire) {
        radius.cancel(oldest->second.on_wire);
        --stops_on_wire;
      }
      ++stop_stats.dropped_full;
      log_warning(
          DebugModule::aaa,
          "event=accounting-stop-dropped session=" + oldest->second.record.request.session_id +
              " user=" + oldest->second.record.request.user_name +
              " scheme=" + oldest->second.record.scheme +
              " reason=buffer-full capacity=" + std::to_string(buf_opt.capacity));
      stop_buffer.erase(oldest);
    }
    request.status = AcctStatus::stop;
    request.delay_time_s = 0;
    BufferEntry e;
    e.record.scheme = scheme_name;
    e.record.request = std::move(request);
    e.record.event_time = event_time;
    e.record.attempts = attempts;
    e.due = timers.now() + buf_opt.retry_interval;
    stop_buffer.emplace(next_stop_key++, std::move(e));
    ++stop_stats.buffered;
    probing = true;  // its server did not answer
    log_info(DebugModule::aaa, "event=accounting-stop-buffered " + what +
                                   " entries=" + std::to_string(stop_buffer.size()));
    changed();
    pump_stops();
  }

  std::uint32_t delay_since(std::int64_t event_time) const {
    std::int64_t d = buf_opt.wall_clock() - event_time;
    if (d < 0) return 0;
    return static_cast<std::uint32_t>(
        std::min<std::int64_t>(d, std::numeric_limits<std::uint32_t>::max()));
  }

  // Sends due entries, oldest first, up to the window; then sleeps until the next is due.
  void pump_stops() {
    if (closing) return;
    if (stop_timer != TimerService::kNoTimer) {
      timers.cancel(stop_timer);
      stop_timer = TimerService::kNoTimer;
    }
    const TimePoint now = timers.now();
    std::optional<TimePoint> next;
    std::vector<std::uint64_t> due;
    const std::size_t window = probing ? 1 : buf_opt.window;
    for (const auto& [key, e] : stop_buffer) {
      if (e.on_wire) continue;
      if (e.due <= now) {
        if (stops_on_wire + due.size() < window) due.push_back(key);
      } else if (!next || e.due < *next) {
        next = e.due;
      }
    }
    for (auto key : due) send_buffered(key);
    if (next) {
      stop_timer = timers.schedule(*next - now, [this] {
        stop_timer = TimerService::kNoTimer;
        pump_stops();
      });
    }
  }

  void send_buffered(std::uint64_t key) {
    auto it = stop_buffer.find(key);
    if (it == stop_buffer.end()) return;
    BufferEntry& e = it->second;
    const auto* scheme = find_scheme(cfg(), e.record.scheme);
    if (!scheme || !has_accounting_server(*scheme)) {
      ++stop_stats.dropped_unusable;
      log_warning(DebugModule::aaa,
                  "event=accounting-stop-dropped session=" + e.record.request.session_id +
                      " user=" + e.record.request.user_name + " scheme=" + e.record.scheme +
                      " reason=no-accounting-server");
      stop_buffer.erase(it);
      changed();
      return;
    }
    RadiusAccountingRequest request = e.record.request;
    request.delay_time_s = delay_since(e.record.event_time);
    ++e.record.attempts;
    debug_lazy(DebugModule::aaa, DebugClass::event, [&] {
      return "Accounting Stop for " + request.user_name + " session " + request.session_id +
             " re-sent from the buffer, attempt " + std::to_string(e.record.attempts) + ", delay " +
             std::to_string(request.delay_time_s) + " s";
    });
    struct InFlight {
      bool answered = false;
    };
    auto flight = std::make_shared<InFlight>();
    ++stops_on_wire;
    RadiusClient::Id id =
        radius.accounting_request(RadiusTarget{*scheme, cfg().sysname}, std::move(request),
                                  [this, flight, key](RadiusAccountingReply reply) {
                                    flight->answered = true;
                                    on_buffered_reply(key, reply.outcome);
                                  });
    if (!flight->answered) {
      if (auto again = stop_buffer.find(key); again != stop_buffer.end())
        again->second.on_wire = id;
    }
    // The attempt count alone does not rewrite the file (a long outage would rewrite it
    // every interval); it is written with the next Stop that comes or goes, and at exit.
  }

  void on_buffered_reply(std::uint64_t key, RadiusOutcome outcome) {
    auto it = stop_buffer.find(key);
    if (it == stop_buffer.end()) return;
    BufferEntry& e = it->second;
    e.on_wire = 0;
    --stops_on_wire;
    const std::string what = "session=" + e.record.request.session_id +
                             " user=" + e.record.request.user_name + " scheme=" + e.record.scheme +
                             " attempts=" + std::to_string(e.record.attempts);
    probing = outcome != RadiusOutcome::accept;
    if (outcome == RadiusOutcome::accept) {
      ++stop_stats.answered;
      log_info(DebugModule::aaa, "event=accounting-stop-delivered " + what);
      stop_buffer.erase(it);
    } else {
      const auto* scheme = find_scheme(cfg(), e.record.scheme);
      const std::uint32_t limit = scheme ? scheme->retry_stop_accounting : 0;
      if (e.record.attempts >= limit) {
        ++stop_stats.dropped_attempts;
        log_warning(DebugModule::aaa, "event=accounting-stop-dropped " + what +
                                          " reason=attempts outcome=" + outcome_text(outcome));
        stop_buffer.erase(it);
      } else {
        e.due = timers.now() + buf_opt.retry_interval;
      }
    }
    changed();
    pump_stops();
  }

  std::size_t reset_stops(const std::function<bool(const BufferedStop&)>& match) {
    std::size_t n = 0;
    for (auto it = stop_buffer.begin(); it != stop_buffer.end();) {
      if (!match(status_of(it->second))) {
        ++it;
        continue;
      }
      if (it->second.on_wire) {
        radius.cancel(it->second.on_wire);
        --stops_on_wire;
      }
      it = stop_buffer.erase(it);
      ++n;
    }
    if (n) {
      stop_stats.reset += n;
      log_info(DebugModule::aaa, "event=stop-accounting-buffer-reset removed=" + std::to_string(n));
      changed();
      pump_stops();
    }
    return n;
  }

  static BufferedStop status_of(const BufferEntry& e) {
    BufferedStop b;
    b.scheme = e.record.scheme;
    b.session_id = e.record.request.session_id;
    b.user = e.record.request.user_name;
    b.event_time = e.record.event_time;
    b.attempts = e.record.attempts;
    return b;
  }

  // ---- the buffer file ----

  bool file_has_content = false;  // the file exists or the buffer was ever non-empty

  void changed() {
    if (buf_opt.file.empty() || closing || persist_timer != TimerService::kNoTimer) return;
    persist_timer = timers.schedule(buf_opt.persist_delay, [this] {
      persist_timer = TimerService::kNoTimer;
      persist();
    });
  }

  void persist() {
    if (buf_opt.file.empty()) return;
    if (stop_buffer.empty() && !file_has_content) return;
    std::vector<detail::StopRecord> records;
    records.reserve(stop_buffer.size());
    for (const auto& [key, e] : stop_buffer) records.push_back(e.record);
    std::string err =
        detail::write_file_atomically(buf_opt.file, detail::encode_stop_buffer(records));
    if (!err.empty()) {
      log_warning(DebugModule::aaa, "event=stop-accounting-buffer-write-failed file=" +
                                        buf_opt.file + " error=\"" + err + "\"");
      return;
    }
    file_has_content = !stop_buffer.empty();
  }

  void load() {
    if (buf_opt.file.empty()) return;
    std::ifstream in(buf_opt.file, std::ios::binary);
    if (!in) return;
    file_has_content = true;
    std::stringstream ss;
    ss << in.rdbuf();
    auto decoded = detail::decode_stop_buffer(ss.str());
    if (decoded.bad_lines) {
      stop_stats.load_errors += decoded.bad_lines;
      log_warning(DebugModule::aaa, "event=stop-accounting-buffer-bad-lines file=" + buf_opt.file +
                                        " lines=" + std::to_string(decoded.bad_lines));
    }
    for (auto& r : decoded.records) {
      if (stop_buffer.size() >= buf_opt.capacity) {
        stop_buffer.erase(stop_buffer.begin());
        ++stop_stats.dropped_full;
      }
      BufferEntry e;
      e.record = std::move(r);
      e.due = timers.now();  // re-sent right after the start
      stop_buffer.emplace(next_stop_key++, std::move(e));
    }
    if (!stop_buffer.empty()) {
      log_info(DebugModule::aaa, "event=stop-accounting-buffer-loaded file=" + buf_opt.file +
                                     " entries=" + std::to_string(stop_buffer.size()));
      stop_timer = timers.schedule(Duration::zero(), [this] {
        stop_timer = TimerService::kNoTimer;
        pump_stops();
      });
    }
  }

  // ~Aaa: Stops not answered yet join the buffer, then the buffer goes to its file.
  void close_stop_buffer() {
    closing = true;
    for (auto& [sid, q] : acct_queue) {
      bool front = true;
      for (auto& job : q) {
        if (job.request.status == AcctStatus::stop)
          buffer_stop(job.target.scheme.name, std::move(job.request), job.event_time,
                      front ? 1 : 0);
        front = false;
      }
    }
    for (auto& [key, e] : stop_buffer)
      if (e.on_wire) radius.cancel(e.on_wire);
    stops_on_wire = 0;
    if (stop_timer != TimerService::kNoTimer) timers.cancel(stop_timer);
    if (persist_timer != TimerService::kNoTimer) timers.cancel(persist_timer);
    persist();
  }
};

Aaa::Aaa(config::ConfigStore& store, TimerService& timers, RadiusClient& radius,
         StopBufferOptions stop_buffer)
    : impl_(std::make_unique<Impl>(store, timers, radius, std::move(stop_buffer))) {
  impl_->sync_pools();
  impl_->load();
  Impl* impl = impl_.get();
  impl_->config_subscription =
      store.subscribe([impl](const config::ConfigChange& change, const config::RunningConfig&,
                             const config::RunningConfig&) {
        if (change.section == config::ConfigSection::ip_pool ||
            change.section == config::ConfigSection::domain)
          impl->sync_pools();
      });
}

Aaa::~Aaa() {
  for (auto& [h, p] : impl_->pending) {
    if (p.radius_id) impl_->radius.cancel(p.radius_id);
    if (p.timer != TimerService::kNoTimer) impl_->timers.cancel(p.timer);
  }
  for (auto& [id, unused] : impl_->acct_in_flight) impl_->radius.cancel(id);
  for (auto& [id, s] : impl_->sessions) impl_->timers.cancel(s.interim);
  impl_->close_stop_buffer();
}

Aaa::AuthHandle Aaa::authenticate(AuthRequest request, AuthCallback done) {
  return impl_->authenticate(std::move(request), std::move(done));
}
void Aaa::cancel(AuthHandle handle) {
  impl_->cancel(handle);
}

Result<Ipv4, PoolError> Aaa::allocate(std::string_view pool, std::string_view user,
                                      std::optional<Ipv4> wanted, bool strict) {
  auto it = impl_->pools.find(pool);
  if (it == impl_->pools.end()) return unexpected(PoolError::no_such_pool);
  auto r = it->second->allocate(user, wanted, strict);
  debug_lazy(DebugModule::aaa, DebugClass::event, [&] {
    return "Pool " + printable(pool) + " for " + printable(user) + ": " +
           (r ? "allocated " + r->to_string() : std::string(to_string(r.error())));
  });
  return r;
}

bool Aaa::release(std::string_view pool, Ipv4 address) {
  return impl_->release_lease(pool, address);
}

std::vector<PoolStatus> Aaa::pool_status(std::string_view name) const {
  std::vector<PoolStatus> out;
  for (const auto& [n, p] : impl_->pools) {
    if (!name.empty() && n != name) continue;
    out.push_back(p->status());
  }
  return out;
}

Aaa::SessionId Aaa::open_session(SessionStart start) {
  return impl_->open_session(std::move(start));
}
void Aaa::close_session(SessionId id, TerminateCause cause) {
  impl_->close_session(id, cause);
}

std::vector<OnlineUser> Aaa::online_users() const {
  std::vector<OnlineUser> out;
  out.reserve(impl_->sessions.size());
  for (SessionId id : impl_->sorted_session_ids()) {
    const auto& s = impl_->sessions.at(id);
    OnlineUser u;
    u.index = id;
    u.user = s.get(Impl::Session::user);
    u.domain = s.get(Impl::Session::domain);
    u.interface = s.interface_name();
    u.address = s.address;
    u.acct_session_id = impl_->acct_id(id);
    u.nas_port = s.nas_port;
    u.online_s = static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::seconds>(impl_->timers.now() - s.started).count());
    out.push_back(std::move(u));
  }
  return out;
}

std::size_t Aaa::session_count() const {
  return impl_->sessions.size();
}

void Aaa::close_all_sessions(TerminateCause cause) {
  for (SessionId id : impl_->sorted_session_ids()) impl_->close_session(id, cause);
}

std::size_t Aaa::accounting_in_flight() const {
  std::size_t n = 0;
  for (const auto& [sid, q] : impl_->acct_queue) n += q.size();
  return n;
}

std::string Aaa::accounting_session_id(SessionId id) const {
  auto it = impl_->sessions.find(id);
  return it == impl_->sessions.end() ? std::string() : impl_->acct_id(id);
}

}  // namespace vpdnd::aaa

namespace vpdnd::aaa {

std::vector<BufferedStop> Aaa::stop_accounting_buffer() const {
  std::vector<BufferedStop> out;
  out.reserve(impl_->stop_buffer.size());
  for (const auto& [key, e] : impl_->stop_buffer) out.push_back(Impl::status_of(e));
  return out;
}

StopBufferStatistics Aaa::stop_buffer_statistics() const {
  StopBufferStatistics s = impl_->stop_stats;
  s.entries = impl_->stop_buffer.size();
  s.capacity = impl_->buf_opt.capacity;
  return s;
}

std::size_t Aaa::reset_stop_accounting_buffer(
    const std::function<bool(const BufferedStop&)>& match) {
  return impl_->reset_stops(match);
}

}  // namespace vpdnd::aaa
