#include "aaa/core/stop_buffer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <map>

#include "common/lines.hpp"

namespace vpdnd::aaa::detail {
namespace {

constexpr std::string_view kHeader = "# vpdnd stop-accounting-buffer 1";

bool plain(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '@' || c == ':' || c == '/' || c == '+' || c == '-';
}

std::string encode(std::string_view s) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (plain(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool decode(std::string_view s, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return false;
    int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

template <typename T>
bool number(std::string_view s, T& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool decode_line(std::string_view line, StopRecord& r) {
  std::map<std::string, std::string, std::less<>> kv;
  std::size_t pos = 0;
  bool first = true;
  while (pos < line.size()) {
    std::size_t end = line.find(' ', pos);
    if (end == std::string_view::npos) end = line.size();
    std::string_view token = line.substr(pos, end - pos);
    pos = end + 1;
    if (token.empty()) continue;
    if (first) {
      if (token != "stop") return false;
      first = false;
      continue;
    }
    auto eq = token.find('=');
    if (eq == std::string_view::npos) return false;
    std::string value;
    if (!decode(token.substr(eq + 1), value)) return false;
    kv[std::string(token.substr(0, eq))] = std::move(value);
  }
  if (first) return false;
  auto get = [&](const char* key) -> const std::string* {
    auto it = kv.find(key);
    return it == kv.end() ? nullptr : &it->second;
  };
  const std::string* scheme = get("scheme");
  const std::string* sid = get("sid");
  const std::string* event = get("event");
  if (!scheme || scheme->empty() || !sid || sid->empty() || !event) return false;
  r = StopRecord{};
  r.scheme = *scheme;
  r.request.status = AcctStatus::stop;
  r.request.session_id = *sid;
  if (!number(*event, r.event_time)) return false;
  auto num = [&](const char* key, auto& field) {
    const std::string* v = get(key);
    return !v || number(*v, field);
  };
  auto text = [&](const char* key, std::string& field) {
    if (const std::string* v = get(key)) field = *v;
  };
  text("user", r.request.user_name);
  text("calling", r.request.calling_station_id);
  text("called", r.request.called_station_id);
  text("port_id", r.request.nas_port_id);
  auto& c = r.request.counters;
  if (!num("attempts", r.attempts) || !num("port", r.request.nas_port) ||
      !num("time", r.request.session_time_s) || !num("in", c.input_octets) ||
      !num("out", c.output_octets) || !num("inp", c.input_packets) ||
      !num("outp", c.output_packets))
    return false;
  if (const std::string* ip = get("ip")) {
    auto a = Ipv4::parse(*ip);
    if (!a) return false;
    r.request.framed_ip = *a;
  }
  if (const std::string* cause = get("cause")) {
    std::uint32_t v = 0;
    if (!number(*cause, v)) return false;
    r.request.terminate_cause = static_cast<TerminateCause>(v);
  }
  return true;
}

}  // namespace

bool StopRecord::operator==(const StopRecord& o) const {
  const auto& a = request;
  const auto& b = o.request;
  return scheme == o.scheme && event_time == o.event_time && attempts == o.attempts &&
         a.status == b.status && a.session_id == b.session_id && a.user_name == b.user_name &&
         a.framed_ip == b.framed_ip && a.calling_station_id == b.calling_station_id &&
         a.called_station_id == b.called_station_id && a.nas_port == b.nas_port &&
         a.nas_port_id == b.nas_port_id && a.session_time_s == b.session_time_s &&
         a.counters.input_octets == b.counters.input_octets &&
         a.counters.output_octets == b.counters.output_octets &&
         a.counters.input_packets == b.counters.input_packets &&
         a.counters.output_packets == b.counters.output_packets &&
         a.terminate_cause == b.terminate_cause;
}

std::string encode_stop_buffer(const std::vector<StopRecord>& records) {
  std::string out(kHeader);
  out += '\n';
  for (const auto& r : records) {
    const auto& q = r.request;
    out += "stop scheme=" + encode(r.scheme) + " sid=" + encode(q.session_id) +
           " event=" + std::to_string(r.event_time) + " attempts=" + std::to_string(r.attempts) +
           " user=" + encode(q.user_name) + " calling=" + encode(q.calling_station_id) +
           " called=" + encode(q.called_station_id) + " port=" + std::to_string(q.nas_port) +
           " port_id=" + encode(q.nas_port_id) + " time=" + std::to_string(q.session_time_s) +
           " in=" + std::to_string(q.counters.input_octets) +
           " out=" + std::to_string(q.counters.output_octets) +
           " inp=" + std::to_string(q.counters.input_packets) +
           " outp=" + std::to_string(q.counters.output_packets);
    if (q.framed_ip) out += " ip=" + q.framed_ip->to_string();
    if (q.terminate_cause)
      out += " cause=" + std::to_string(static_cast<std::uint32_t>(*q.terminate_cause));
    out += '\n';
  }
  return out;
}

DecodedStopBuffer decode_stop_buffer(std::string_view text) {
  DecodedStopBuffer out;
  for (std::string_view line : split_lines(text)) {
    if (line.empty() || line.front() == '#') continue;
    StopRecord r;
    if (decode_line(line, r))
      out.records.push_back(std::move(r));
    else
      ++out.bad_lines;
  }
  return out;
}

std::string write_file_atomically(const std::string& path, std::string_view text) {
  const std::string tmp = path + ".tmp";
  auto fail = [](const std::string& what) { return what + ": " + std::strerror(errno); };
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fail("open " + tmp);
  // O_CREAT honours the umask only for a new file; an existing one keeps its mode.
  if (::fchmod(fd, 0600) != 0) {
    std::string e = fail("chmod " + tmp);
    ::close(fd);
    return e;
  }
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string e = fail("write " + tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return e;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    std::string e = fail("fsync " + tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return e;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string e = fail("rename " + tmp);
    ::unlink(tmp.c_str());
    return e;
  }
  // The rename itself is durable only once the directory is.
  std::string dir = path;
  auto slash = dir.rfind('/');
  dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : dir.substr(0, slash));
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

}  // namespace vpdnd::aaa::detail
