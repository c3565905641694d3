// AAA views: ISP domain (`domain NAME`), local user (`local-user NAME`), RADIUS scheme
// (`radius scheme NAME`), and the `{simple|cipher}` secret arguments they share.
#include "cli/lang/session.hpp"
#include "startup-config/secret.hpp"

namespace vpdnd::cli::lang {
namespace {

using config::ConfigSection;
using config::Domain;
using config::LocalUser;
using config::RadiusScheme;
using config::RunningConfig;

bool printable(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

const ObjectTable<decltype(RunningConfig::domains)> kDomains{ConfigSection::domain,
                                                             &RunningConfig::domains, "Domain "};
const ObjectTable<decltype(RunningConfig::local_users)> kUsers{
    ConfigSection::local_user, &RunningConfig::local_users, "Local user "};
const ObjectTable<decltype(RunningConfig::radius_schemes)> kSchemes{
    ConfigSection::radius_scheme, &RunningConfig::radius_schemes, "RADIUS scheme "};
void domain_edit(Call& call, const std::function<std::string(Domain&)>& fn) {
  kDomains.edit(call, fn);
}
void user_edit(Call& call, const std::function<std::string(LocalUser&)>& fn) {
  kUsers.edit(call, fn);
}
void radius_edit(Call& call, const std::function<std::string(RadiusScheme&)>& fn) {
  kSchemes.edit(call, fn);
}

std::uint8_t service_bit(const std::string& word) {
  if (word == "ppp") return static_cast<std::uint8_t>(config::ServiceType::ppp);
  if (word == "telnet") return static_cast<std::uint8_t>(config::ServiceType::telnet);
  if (word == "ssh") return static_cast<std::uint8_t>(config::ServiceType::ssh);
  return static_cast<std::uint8_t>(config::ServiceType::terminal);
}

// {ppp|ssh|telnet|terminal}... in any order, each at most once.
void add_services(Node& n, std::uint8_t used, const Action& act) {
  const std::pair<const char*, const char*> all[] = {{"ppp", "PPP users (VPDN)"},
                                                     {"ssh", "SSH login"},
                                                     {"telnet", "Telnet login"},
                                                     {"terminal", "Console login"}};
  for (auto& [word, help] : all) {
    std::uint8_t bit = service_bit(word);
    if (used & bit) continue;
    Node& c = n.kw(word, help, "service");
    c.run(act);
    add_services(c, used | bit, act);
  }
}

}  // namespace

void add_secret_args(Node& parent, const Action& act, std::int64_t max_simple) {
  parent.kw("simple", "Give the secret in clear (it is saved as cipher)", "form")
      .string("secret", 1, max_simple, "Secret in clear", printable)
      .run(act);
  parent.kw("cipher", "Give the secret in cipher form", "form")
      .string("secret", 1, 256, "Secret in cipher form ($c$3$...)",
              [](std::string_view s) { return config::decrypt_secret(s).has_value(); })
      .run(act);
}

config::Secret secret_from(const Call& call) {
  if (call.get("form") == "cipher") return *config::decrypt_secret(call.get("secret"));
  return config::Secret{call.get("secret")};
}

void register_stop_accounting_buffer(Grammar& g);  // commands_stop_buffer.cpp

void register_aaa(Grammar& g) {
  // ---- domain view ----
  Node& d = root(g, View::domain);
  Node& du = d.kw("undo", "Cancel current setting");
  auto authn = [](Call& call) {
    std::string method = call.get("method");
    std::string scheme = call.get("scheme");
    auto fallbacks = call.all("fallback");
    domain_edit(call, [&](Domain& dom) {
      dom.auth = method == "local"  ? config::AuthMethod::local
                 : method == "none" ? config::AuthMethod::none
                                    : config::AuthMethod::radius;
      dom.auth_radius_scheme = scheme;
      dom.auth_fallback_local = false;
      dom.auth_fallback_none = false;
      for (auto& f : fallbacks)
        (f == "local" ? dom.auth_fallback_local : dom.auth_fallback_none) = true;
      return std::string{};
    });
  };
  Node& ap = d.kw("authentication", "Authentication method").kw("ppp", "For PPP users");
  ap.kw("local", "Local users", "method").run(authn);
  ap.kw("none", "No authentication", "method").run(authn);
  Node& rs = ap.kw("radius-scheme", "A RADIUS scheme", "method")
                 .string("scheme", 1, 32, "RADIUS scheme name", valid_name);
  rs.run(authn);
  Node& fl = rs.kw("local", "Fall back to local users when RADIUS does not answer", "fallback");
  fl.run(authn);
  fl.kw("none", "Then to no authentication", "fallback").run(authn);
  rs.kw("none", "Fall back to no authentication when RADIUS does not answer", "fallback")
      .run(authn);
  du.kw("authentication", "Authentication method")
      .kw("ppp", "Restore local authentication")
      .run([](Call& call) {
        domain_edit(call, [](Domain& dom) {
          dom.auth = config::AuthMethod::local;
          dom.auth_radius_scheme.clear();
          dom.auth_fallback_local = dom.auth_fallback_none = false;
          return std::string{};
        });
      });
  Node& acc = d.kw("accounting", "Accounting method").kw("ppp", "For PPP users");
  auto no_accounting = kDomains.apply([](Domain& dom) {
    dom.accounting_radius = false;
    dom.accounting_radius_scheme.clear();
  });
  acc.kw("none", "No accounting").run(no_accounting);
  acc.kw("radius-scheme", "A RADIUS scheme")
      .string("scheme", 1, 32, "RADIUS scheme name", valid_name)
      .run([](Call& call) {
        std::string scheme = call.get("scheme");
        domain_edit(call, [&](Domain& dom) {
          dom.accounting_radius = true;
          dom.accounting_radius_scheme = scheme;
          return std::string{};
        });
      });
  du.kw("accounting", "Accounting method").kw("ppp", "Restore no accounting").run(no_accounting);
  add_ip_pool_commands(d, true);
  d.kw("authorization-attribute", "Attributes given to the users")
      .kw("ip-pool", "Pool addresses come from")
      .string("pool", 1, 31, "Pool name", valid_name)
      .run(kDomains.set_text(&Domain::authorization_ip_pool, "pool"));
  du.kw("authorization-attribute", "Attributes given to the users")
      .kw("ip-pool", "Remove the pool attribute")
      .run(kDomains.reset(&Domain::authorization_ip_pool));
  // `state {active|block}` and `undo state` (active) of a domain or a local user.
  auto add_state = [](Node& view, Node& undo, const char* help, const char* active_help,
                      const char* block_help, const auto& table, auto field) {
    Node& st = view.kw("state", help);
    st.kw("active", active_help).run(table.set_value(field, true));
    st.kw("block", block_help).run(table.set_value(field, false));
    undo.kw("state", "Restore the active state").run(table.set_value(field, true));
  };
  add_state(d, du, "State of the domain", "Users of the domain may log in",
            "Users of the domain may not log in", kDomains, &Domain::active);

  // ---- local user view ----
  Node& u = root(g, View::local_user);
  Node& uu = u.kw("undo", "Cancel current setting");
  add_secret_args(u.kw("password", "Password of the user"),
                  kUsers.set_secret(&LocalUser::password));
  uu.kw("password", "Remove the password").run(kUsers.reset(&LocalUser::password));
  auto service = [](bool add) {
    return [add](Call& call) {
      std::uint8_t bits = 0;
      for (auto& s : call.all("service")) bits |= service_bit(s);
      user_edit(call, [&](LocalUser& user) {
        user.service_types = add ? (user.service_types | bits) : (user.service_types & ~bits);
        return std::string{};
      });
    };
  };
  add_services(u.kw("service-type", "Services the user may use"), 0, service(true));
  Node& us = uu.kw("service-type", "Remove services");
  add_services(us, 0, service(false));
  add_state(u, uu, "State of the user", "The user may log in", "The user may not log in", kUsers,
            &LocalUser::active);

  // ---- RADIUS scheme view ----
  Node& r = root(g, View::radius);
  Node& ru = r.kw("undo", "Cancel current setting");
  for (bool primary : {true, false}) {
    Node& which = r.kw(primary ? "primary" : "secondary",
                       primary ? "Primary RADIUS server" : "Secondary RADIUS server");
    Node& uwhich = ru.kw(primary ? "primary" : "secondary",
                         primary ? "Primary RADIUS server" : "Secondary RADIUS server");
    for (bool auth : {true, false}) {
      auto field = primary ? (auth ? &RadiusScheme::primary_authentication
                                   : &RadiusScheme::primary_accounting)
                           : (auth ? &RadiusScheme::secondary_authentication
                                   : &RadiusScheme::secondary_accounting);
      std::uint16_t default_port = auth ? 1812 : 1813;
      auto set = [field, default_port](Call& call) {
        config::RadiusServer server{
            *Ipv4::parse(call.get("ip")),
            call.has("port") ? static_cast<std::uint16_t>(call.number("port")) : default_port};
        radius_edit(call, [&](RadiusScheme& s) {
          s.*field = server;
          return std::string{};
        });
      };
      const char* word = auth ? "authentication" : "accounting";
      Node& ip = which.kw(word, auth ? "Authentication server" : "Accounting server")
                     .ipv4("ip", "Server address");
      ip.run(set);
      ip.integer("port", 1, 65535, auth ? "UDP port (default 1812)" : "UDP port (default 1813)")
          .run(set);
      uwhich.kw(word, "Remove the server").run(kSchemes.reset(field));
    }
  }
  Node& key = r.kw("key", "Shared key with the servers");
  Node& ukey = ru.kw("key", "Shared key with the servers");
  for (bool auth : {true, false}) {
    auto field = auth ? &RadiusScheme::key_authentication : &RadiusScheme::key_accounting;
    const char* word = auth ? "authentication" : "accounting";
    add_secret_args(key.kw(word, auth ? "Key for authentication" : "Key for accounting"),
                    kSchemes.set_secret(field), 64);
    ukey.kw(word, "Remove the key").run(kSchemes.reset(field));
  }
  Node& unf = r.kw("user-name-format", "How user names are sent to the server");
  const std::pair<const char*, config::UserNameFormat> formats[] = {
      {"with-domain", config::UserNameFormat::with_domain},
      {"without-domain", config::UserNameFormat::without_domain},
      {"keep-original", config::UserNameFormat::keep_original}};
  for (auto& [word, fmt] : formats) {
    unf.kw(word, "Send the name this way")
        .run(kSchemes.set_value(&RadiusScheme::user_name_format, fmt));
  }
  ru.kw("user-name-format", "Restore with-domain")
      .run(
          kSchemes.set_value(&RadiusScheme::user_name_format, config::UserNameFormat::with_domain));
  auto number_setting = [&](Node& set_at, Node& undo_at, const char* word, const char* help,
                            std::int64_t lo, std::int64_t hi, const char* arg_help,
                            std::uint32_t RadiusScheme::*field, std::uint32_t def) {
    set_at.kw(word, help).integer("n", lo, hi, arg_help).run(kSchemes.set_number(field, "n"));
    undo_at.kw(word, "Restore the default").run(kSchemes.set_value(field, def));
  };
  Node& timer = r.kw("timer", "RADIUS timers");
  Node& utimer = ru.kw("timer", "RADIUS timers");
  number_setting(timer, utimer, "response-timeout", "Time to wait for a server's answer", 1, 10,
                 "Seconds (default 3)", &RadiusScheme::response_timeout_s, 3);
  number_setting(timer, utimer, "realtime-accounting", "Interim accounting interval", 0, 60,
                 "Minutes (default 12, 0: none)", &RadiusScheme::realtime_accounting_min, 12);
  number_setting(r, ru, "retry", "Transmissions of a request before giving up", 1, 20,
                 "Times (default 3)", &RadiusScheme::retry, 3);
  r.kw("nas-ip", "Source address of RADIUS packets (NAS-IP-Address)")
      .ipv4("ip", "IP address")
      .run([](Call& call) {
        Ipv4 a = *Ipv4::parse(call.get("ip"));
        radius_edit(call, [&](RadiusScheme& s) {
          s.nas_ip = a;
          return std::string{};
        });
      });
  ru.kw("nas-ip", "Remove the NAS address").run(kSchemes.reset(&RadiusScheme::nas_ip));
  // Modelled on Comware's `attribute 15 check-mode {loose|strict}`: attribute 80 is
  // Message-Authenticator (RFC 3579), whose absence in Access replies is what BlastRADIUS
  // (CVE-2024-3596) exploits.
  Node& a80 = r.kw("attribute", "RADIUS attribute handling")
                  .kw("80", "Message-Authenticator")
                  .kw("check-mode", "How Access replies are checked for it");
  for (bool strict : {true, false}) {
    a80.kw(strict ? "strict" : "loose",
           strict ? "Drop Access replies without a Message-Authenticator (default)"
                  : "Accept Access replies without one (servers that never send it)")
        .run(kSchemes.set_value(&RadiusScheme::message_authenticator_strict, strict));
  }
  ru.kw("attribute", "RADIUS attribute handling")
      .kw("80", "Message-Authenticator")
      .kw("check-mode", "Restore strict")
      .run(kSchemes.set_value(&RadiusScheme::message_authenticator_strict, true));
  // Comware's stop-accounting buffer: on by default, up to 500 transmissions of a Stop.
  auto buffer = [](bool on) {
    return kSchemes.set_value(&RadiusScheme::stop_accounting_buffer, on);
  };
  r.kw("stop-accounting-buffer", "Buffer the Stops no server answered and send them again")
      .kw("enable", "Enable the stop-accounting buffer (default)")
      .run(buffer(true));
  ru.kw("stop-accounting-buffer", "Buffer the Stops no server answered and send them again")
      .kw("enable", "Disable the stop-accounting buffer")
      .run(buffer(false));
  number_setting(r.kw("retry", "Transmissions of a request before giving up"),
                 ru.kw("retry", "Restore the default"), "stop-accounting",
                 "Transmissions of a buffered Stop before it is dropped", 10, 65535,
                 "Times (default 500)", &RadiusScheme::retry_stop_accounting, 500);
  register_stop_accounting_buffer(g);
}

}  // namespace vpdnd::cli::lang
