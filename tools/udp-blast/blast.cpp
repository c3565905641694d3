#include "tools/udp-blast/blast.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
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
    if (a == "--from" || a == "--to") {
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
