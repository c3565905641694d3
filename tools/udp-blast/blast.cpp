#include "tools/udp-blast/blast.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <optional>
#include <string_view>

#include "tools/parse_number.hpp"

namespace vpdnd::blast {

namespace {
template <class T>
bool number(std::string_view s, T& out) {
  if (!tools::parse_number(s, out)) return false;
  if constexpr (std::is_floating_point_v<T>) return std::isfinite(out);
  return true;
}
}  // namespace

Result<std::vector<Ipv4>, std::string> parse_address_list(const std::string& text) {
  std::vector<Ipv4> out;
  std::string_view rest = text;
  while (true) {
    auto comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    auto a = Ipv4::parse(item);
    if (!a) return unexpected("not an IPv4 address: \"" + std::string(item) + "\"");
    out.push_back(*a);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

Result<Options, std::string> parse_options(const std::vector<std::string>& args) {
  Options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (i + 1 >= args.size()) return unexpected(a + ": needs a value");
    const std::string& v = args[++i];
    auto bad = [&](std::string why) { return unexpected(a + " " + v + ": " + why); };
    if (a == "--l2tp") {
      if (v.empty()) return bad("needs a file name");
      o.l2tp_file = v;
    } else if (a == "--from" || a == "--to") {
      auto list = parse_address_list(v);
      if (!list) return bad(list.error());
      (a == "--from" ? o.from : o.to) = std::move(*list);
    } else if (a == "--port") {
      if (!number(v, o.port) || o.port == 0) return bad("not a UDP port (1..65535)");
    } else if (a == "--size") {
      if (!number(v, o.size)) return bad("not a number");
      if (o.size < kIpUdpHeaders) return bad("below the 28 octets of the IPv4 and UDP headers");
      if (o.size > kMaxIpSize) return bad("above the 65,535 octets of an IPv4 packet");
    } else if (a == "--seconds") {
      if (!number(v, o.seconds) || o.seconds <= 0) return bad("not a positive number");
    } else if (a == "--pps") {
      if (!number(v, o.pps) || o.pps < 0) return bad("not a rate (0 = as fast as possible)");
    } else if (a == "--batch") {
      if (!number(v, o.batch) || o.batch == 0 || o.batch > kMaxBatch) return bad("not 1..1024");
    } else {
      return unexpected("unknown option " + a);
    }
  }
  if (!o.l2tp_file.empty()) {
    if (!o.from.empty()) return unexpected(std::string("--l2tp and --from exclude each other"));
    if (o.to.size() != 1) return unexpected(std::string("--l2tp needs one --to address"));
    if (o.size + kL2tpOverhead > kMaxIpSize)
      return unexpected("--size " + std::to_string(o.size) +
                        ": with the L2TP headers above the 65,535 octets of an IPv4 packet");
    return o;
  }
  if (o.from.empty()) return unexpected(std::string("--from is required"));
  if (o.to.empty()) return unexpected(std::string("--to is required"));
  if (auto f = make_flows(o.from, o.to); !f) return unexpected(f.error());
  return o;
}

Result<std::vector<std::pair<Ipv4, Ipv4>>, std::string> make_flows(const std::vector<Ipv4>& from,
                                                                   const std::vector<Ipv4>& to) {
  if (from.empty() || to.empty()) return unexpected(std::string("no flow: an empty address list"));
  if (from.size() != to.size() && from.size() != 1 && to.size() != 1)
    return unexpected("--from has " + std::to_string(from.size()) + " addresses and --to " +
                      std::to_string(to.size()) + ": the lists pair up, or one has one address");
  std::size_t n = std::max(from.size(), to.size());
  std::vector<std::pair<Ipv4, Ipv4>> flows;
  flows.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    flows.emplace_back(from[from.size() == 1 ? 0 : i], to[to.size() == 1 ? 0 : i]);
  return flows;
}

std::string format_session_line(const L2tpSession& s) {
  return "lac=" + s.lac.to_string() + " lns=" + s.lns.to_string() +
         " tunnel=" + std::to_string(s.tunnel) + " session=" + std::to_string(s.session) +
         " address=" + s.address.to_string();
}

namespace {
std::optional<Endpoint> parse_endpoint(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto a = Ipv4::parse(text.substr(0, colon));
  std::uint16_t port = 0;
  if (!a || !number(text.substr(colon + 1), port) || port == 0) return std::nullopt;
  return Endpoint{*a, port};
}
}  // namespace

Result<L2tpSession, std::string> parse_session_line(std::string_view line) {
  L2tpSession s;
  unsigned seen = 0;  // one bit per field
  static constexpr std::string_view kFields[] = {"lac", "lns", "tunnel", "session", "address"};
  while (!line.empty()) {
    auto space = line.find(' ');
    std::string_view item = line.substr(0, space);
    line = space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);
    if (item.empty()) continue;
    auto eq = item.find('=');
    std::string_view key = item.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
    std::size_t field = 0;
    while (field < std::size(kFields) && kFields[field] != key) ++field;
    if (field == std::size(kFields))
      return unexpected("unknown field \"" + std::string(item) + "\"");
    if (seen & (1u << field)) return unexpected("field " + std::string(key) + " twice");
    seen |= 1u << field;
    auto bad = [&] { return unexpected("bad " + std::string(item)); };
    switch (field) {
      case 0:
      case 1: {
        auto e = parse_endpoint(value);
        if (!e) return bad();
        (field == 0 ? s.lac : s.lns) = *e;
        break;
      }
      case 2:
      case 3: {
        std::uint16_t id = 0;
        if (!number(value, id) || id == 0) return bad();  // RFC 2661 §3.1: 0 is no id
        (field == 2 ? s.tunnel : s.session) = id;
        break;
      }
      default: {
        auto a = Ipv4::parse(value);
        if (!a) return bad();
        s.address = *a;
      }
    }
  }
  for (std::size_t f = 0; f < std::size(kFields); ++f)
    if (!(seen & (1u << f))) return unexpected("no " + std::string(kFields[f]) + "=");
  return s;
}

Result<std::vector<L2tpSession>, std::string> parse_sessions(std::string_view text) {
  std::vector<L2tpSession> out;
  std::size_t number_of_line = 0;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++number_of_line;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    if (line.back() == '\r') line.remove_suffix(1);
    auto s = parse_session_line(line);
    if (!s) return unexpected("line " + std::to_string(number_of_line) + ": " + s.error());
    out.push_back(*s);
  }
  return out;
}

namespace {
void put16(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
void put32(std::uint8_t* p, std::uint32_t v) {
  put16(p, v >> 16);
  put16(p + 2, v & 0xffff);
}
// An IPv4 header without options (RFC 791), its checksum filled in.
void ipv4_header(std::uint8_t* p, std::size_t total, Ipv4 from, Ipv4 to) {
  p[0] = 0x45;
  p[1] = 0;
  put16(p + 2, static_cast<std::uint32_t>(total));
  put16(p + 4, 0);       // identification: DF set, never fragmented
  put16(p + 6, 0x4000);  // DF
  p[8] = 64;
  p[9] = 17;  // UDP
  put16(p + 10, 0);
  put32(p + 12, from.value);
  put32(p + 16, to.value);
  std::uint32_t sum = 0;
  for (int i = 0; i < 20; i += 2) sum += std::uint32_t{p[i]} << 8 | p[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  put16(p + 10, ~sum & 0xffff);
}
void udp_header(std::uint8_t* p, std::uint16_t from, std::uint16_t to, std::size_t length) {
  put16(p, from);
  put16(p + 2, to);
  put16(p + 4, static_cast<std::uint32_t>(length));
  put16(p + 6, 0);  // no checksum
}
}  // namespace

Bytes l2tp_data_packet(const L2tpSession& s, Ipv4 to, std::uint16_t port, std::size_t size) {
  size = std::clamp(size, kIpUdpHeaders, kMaxIpSize - kL2tpOverhead);
  Bytes p(size + kL2tpOverhead, 0);
  std::uint8_t* q = p.data();
  ipv4_header(q, p.size(), s.lac.address, s.lns.address);
  udp_header(q + 20, s.lac.port, s.lns.port, p.size() - 20);
  q += 28;
  put16(q, 0x0002);  // T=0 (data), no L, S, O or P; version 2
  put16(q + 2, s.tunnel);
  put16(q + 4, s.session);
  q[6] = 0xff;  // PPP address and control (RFC 1662 §3.1), protocol IPv4
  q[7] = 0x03;
  put16(q + 8, 0x0021);
  q += 10;
  ipv4_header(q, size, s.address, to);
  udp_header(q + 20, 9, port, size - 20);
  return p;
}

std::size_t Pacer::allowed(std::chrono::duration<double> elapsed, std::uint64_t sent) const {
  if (pps_ <= 0) return batch_;
  double due = std::floor(pps_ * std::max(0.0, elapsed.count()));
  if (due <= static_cast<double>(sent)) return 0;
  double behind = due - static_cast<double>(sent);
  return behind >= static_cast<double>(batch_) ? batch_ : static_cast<std::size_t>(behind);
}

std::chrono::duration<double> Pacer::wait(std::chrono::duration<double> elapsed,
                                          std::uint64_t sent) const {
  if (pps_ <= 0) return std::chrono::duration<double>(0);
  // Datagram number `sent` (0-based) is due once floor(pps * t) exceeds sent.
  double next = (static_cast<double>(sent) + 1) / pps_;
  return std::chrono::duration<double>(std::max(0.0, next - elapsed.count()));
}

std::string format_report(const Report& r) {
  char line[256];
  double pps = r.seconds > 0 ? static_cast<double>(r.sent) / r.seconds : 0;
  std::snprintf(line, sizeof line,
                "udp-blast: flows=%zu size=%zu sent=%llu send_errors=%llu seconds=%.3f pps=%.0f "
                "cpu_user_s=%.2f cpu_sys_s=%.2f",
                r.flows, r.size, static_cast<unsigned long long>(r.sent),
                static_cast<unsigned long long>(r.send_errors), r.seconds, pps, r.cpu_user_s,
                r.cpu_sys_s);
  return line;
}

}  // namespace vpdnd::blast
