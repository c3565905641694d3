#include "tools/vpdn-dial/options.hpp"

#include <charconv>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "tools/parse_number.hpp"

namespace vpdnd::dial {

namespace {
const char* kUsage =
    "usage: vpdn-dial (--pppoe IFNAME | --l2tp HOST[:PORT]) [options]\n"
    "  emulates PPP users: PPPoE clients on IFNAME, or client-initiated L2TP (LAC and user\n"
    "  at once) towards an LNS; each runs LCP, PAP or CHAP and IPCP.\n"
    "options:\n"
    "  --user PATTERN       user name, {n} = user number (default user{n})\n"
    "  --password PW        PAP password / CHAP secret\n"
    "  --count N            users to dial (default 1)\n"
    "  --rate R             new dials per second (default 100)\n"
    "  --concurrency C      dials in setup at the same time (default 100)\n"
    "  --hold SECONDS       keep each session up this long, then hang up (default 0;\n"
    "                       -1 = until SIGINT/SIGTERM)\n"
    "  --timeout SECONDS    setup time limit per user (default 30)\n"
    "  --echo SECONDS       LCP Echo-Request interval of each user (default 10; 0 = none,\n"
    "                       as clients that never probe; the peer's echoes are answered)\n"
    "  --chap | --pap | --mschap | --mschapv2\n"
    "                       allowed authentication (the PPP client Naks the others;\n"
    "                       MS-CHAP-V2 checks the server's authenticator response)\n"
    "  --auth pap|chap|mschap|mschapv2  same as --pap / --chap / --mschap / --mschapv2\n"
    "  --tun                put session addresses on a TUN device and carry IP through them\n"
    "  --tun-name NAME      TUN device (default vdial0)\n"
    "  --route PREFIX/LEN   route PREFIX via the TUN (with --tun)\n"
    "  --service NAME       PPPoE Service-Name (default any)\n"
    "  --first-mac N        first emulated MAC index (default 1): 02:76:64:00:00:01 ...\n"
    "  --secret S           L2TP tunnel authentication secret\n"
    "  --hostname NAME      L2TP Host Name, {t} = tunnel number (default vpdn-dial)\n"
    "  --local-port P       local UDP port for L2TP (default ephemeral)\n"
    "  --tunnels N          spread the users over N tunnels from N UDP ports (--l2tp;\n"
    "                       --local-port P, P+1, ... or ephemeral; default 1)\n"
    "  --quiet              no progress lines\n"
    "  --sessions-file PATH (--l2tp) write each session as it comes up, one line:\n"
    "                       lac=ADDR:PORT lns=ADDR:PORT tunnel=T session=S address=A\n"
    "                       (T, S: the LNS's ids; what udp-blast --l2tp reads)\n"
    "prints progress each second and a final line\n"
    "  established=N failed=F setup_rate=R/s p50_ms=.. p99_ms=..\n"
    "and exits 1 if any user failed.\n";

template <class T>
bool number(std::string_view s, T& out) {
  return tools::parse_number(s, out);
}
}  // namespace

namespace {
std::string substitute(const std::string& pattern, std::string_view key, unsigned n) {
  std::string out = pattern;
  const std::string num = std::to_string(n);
  for (std::size_t at = out.find(key); at != std::string::npos; at = out.find(key, at)) {
    out.replace(at, key.size(), num);
    at += num.size();
  }
  return out;
}
}  // namespace

std::string user_name(const std::string& pattern, unsigned n) {
  return substitute(pattern, "{n}", n);
}

std::string host_name(const std::string& pattern, unsigned t) {
  return substitute(pattern, "{t}", t);
}

std::optional<Options> parse_options(int argc, char** argv, int& exit_code) {
  Options o;
  bool have_access = false;
  exit_code = 2;
  auto fail = [&](const std::string& msg) -> std::optional<Options> {
    std::fprintf(stderr, "vpdn-dial: %s\n%s", msg.c_str(), kUsage);
    return std::nullopt;
  };
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&](std::string_view& v) {
      if (i + 1 >= argc) return false;
      v = argv[++i];
      return true;
    };
    std::string_view v;
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      exit_code = 0;
      return std::nullopt;
    } else if (a == "--pppoe") {
      if (!value(v) || v.empty()) return fail("--pppoe needs an interface");
      o.access = Access::pppoe;
      o.interface = std::string(v);
      have_access = true;
    } else if (a == "--l2tp") {
      if (!value(v)) return fail("--l2tp needs HOST[:PORT]");
      std::string_view host = v;
      if (auto colon = v.find(':'); colon != std::string_view::npos) {
        host = v.substr(0, colon);
        if (!number(v.substr(colon + 1), o.lns_port) || o.lns_port == 0)
          return fail("bad port in --l2tp");
      }
      auto ip = Ipv4::parse(host);
      if (!ip) return fail("--l2tp needs an IPv4 address, got '" + std::string(host) + "'");
      o.lns = *ip;
      o.access = Access::l2tp;
      have_access = true;
    } else if (a == "--user") {
      if (!value(v) || v.empty()) return fail("--user needs a name pattern");
      o.user = std::string(v);
    } else if (a == "--password") {
      if (!value(v)) return fail("--password needs a value");
      o.password = std::string(v);
    } else if (a == "--count") {
      if (!value(v) || !number(v, o.count) || o.count == 0)
        return fail("--count needs a number > 0");
    } else if (a == "--rate") {
      if (!value(v) || !number(v, o.rate) || !(o.rate > 0))
        return fail("--rate needs a number > 0");
    } else if (a == "--concurrency") {
      if (!value(v) || !number(v, o.concurrency) || o.concurrency == 0)
        return fail("--concurrency needs a number > 0");
    } else if (a == "--hold") {
      if (!value(v) || !number(v, o.hold_s)) return fail("--hold needs seconds");
    } else if (a == "--timeout") {
      if (!value(v) || !number(v, o.timeout_s) || !(o.timeout_s > 0))
        return fail("--timeout needs seconds > 0");
    } else if (a == "--auth") {
      if (!value(v) || (v != "pap" && v != "chap" && v != "mschap" && v != "mschapv2"))
        return fail("--auth needs pap, chap, mschap or mschapv2");
      o.auth = v == "pap"      ? AuthPreference::pap
               : v == "chap"   ? AuthPreference::chap
               : v == "mschap" ? AuthPreference::mschap
                               : AuthPreference::mschapv2;
    } else if (a == "--chap") {
      o.auth = AuthPreference::chap;
    } else if (a == "--pap") {
      o.auth = AuthPreference::pap;
    } else if (a == "--mschap") {
      o.auth = AuthPreference::mschap;
    } else if (a == "--mschapv2") {
      o.auth = AuthPreference::mschapv2;
    } else if (a == "--tun") {
      o.tun = true;
    } else if (a == "--tun-name") {
      if (!value(v) || v.empty() || v.size() > 15)
        return fail("--tun-name needs a name of 1..15 characters");
      o.tun_name = std::string(v);
    } else if (a == "--route") {
      if (!value(v)) return fail("--route needs PREFIX/LEN");
      auto slash = v.find('/');
      int len = 32;
      if (slash != std::string_view::npos &&
          (!number(v.substr(slash + 1), len) || len < 0 || len > 32))
        return fail("bad prefix length in --route");
      auto ip = Ipv4::parse(v.substr(0, slash));
      if (!ip) return fail("bad address in --route");
      o.route = std::make_pair(*ip, len);
    } else if (a == "--service") {
      if (!value(v)) return fail("--service needs a name");
      o.service = std::string(v);
    } else if (a == "--first-mac") {
      if (!value(v) || !number(v, o.first_mac)) return fail("--first-mac needs a number");
    } else if (a == "--secret") {
      if (!value(v)) return fail("--secret needs a value");
      o.secret = std::string(v);
    } else if (a == "--hostname") {
      if (!value(v) || v.empty()) return fail("--hostname needs a name");
      o.hostname = std::string(v);
    } else if (a == "--local-port") {
      if (!value(v) || !number(v, o.local_port)) return fail("--local-port needs a port");
    } else if (a == "--tunnels") {
      if (!value(v) || !number(v, o.tunnels) || o.tunnels == 0 || o.tunnels > 4096)
        return fail("--tunnels needs a number from 1 to 4096");
    } else if (a == "--echo") {
      if (!value(v) || !number(v, o.echo_s) || o.echo_s < 0 || o.echo_s > 3600)
        return fail("--echo needs seconds from 0 to 3600");
    } else if (a == "--sessions-file") {
      if (!value(v) || v.empty()) return fail("--sessions-file needs a path");
      o.sessions_file = std::string(v);
    } else if (a == "--quiet") {
      o.quiet = true;
    } else {
      return fail("unknown option '" + std::string(a) + "'");
    }
  }
  if (!have_access) return fail("one of --pppoe IFNAME or --l2tp HOST is required");
  if (o.route && !o.tun) return fail("--route needs --tun");
  if (o.tunnels > 1 && o.access != Access::l2tp) return fail("--tunnels needs --l2tp");
  if (!o.sessions_file.empty() && o.access != Access::l2tp)
    return fail("--sessions-file needs --l2tp");
  if (o.local_port != 0 && o.local_port + std::uint64_t{o.tunnels} - 1 > 0xffff)
    return fail("--local-port + --tunnels runs past port 65535");
  if (static_cast<std::uint64_t>(o.first_mac) + o.count > 0xffffff)
    return fail("too many users for the MAC range");
  exit_code = 0;
  return o;
}

}  // namespace vpdnd::dial
