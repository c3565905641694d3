// The stop-accounting buffer's operator commands (Comware V5/V7 AAA):
//   display stop-accounting-buffer { radius-scheme NAME | session-id ID |
//                                    time-range START END | user-name NAME }   (any view)
//   reset stop-accounting-buffer { radius-scheme NAME | session-id ID |
//                                  time-range START END | user-name NAME }     (user view)
// START/END: hh:mm:ss-mm/dd/yyyy or hh:mm:ss-yyyy/mm/dd, local time, inclusive; they select
// by when the session ended. The scheme-view settings (`stop-accounting-buffer enable`,
// `retry stop-accounting N`) are in commands_aaa.cpp.
#include <cstdio>
#include <ctime>

#include "cli/lang.hpp"
#include "cli/lang/session.hpp"
#include "common/printable.hpp"

namespace vpdnd::cli::lang {

void register_stop_accounting_buffer(Grammar& g);

namespace {

// Parses hh:mm:ss-mm/dd/yyyy or hh:mm:ss-yyyy/mm/dd (local time) into Unix seconds.
std::optional<std::int64_t> parse_comware_time(std::string_view s) {
  int h = 0, mi = 0, sec = 0, a = 0, b = 0, c = 0;
  char tail = 0;
  const std::string text(s);
  if (std::sscanf(text.c_str(), "%2d:%2d:%2d-%d/%d/%d%c", &h, &mi, &sec, &a, &b, &c, &tail) != 6)
    return std::nullopt;
  int year = 0, month = 0, day = 0;
  if (a > 31) {
    year = a, month = b, day = c;
  } else {
    month = a, day = b, year = c;
  }
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 || month < 1 || month > 12 ||
      day < 1 || day > 31 || year < 1970 || year > 2100)
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  tm.tm_isdst = -1;
  std::tm check = tm;
  std::time_t t = std::mktime(&tm);
  if (t == static_cast<std::time_t>(-1) || tm.tm_mday != check.tm_mday) return std::nullopt;
  return static_cast<std::int64_t>(t);
}

bool valid_comware_time(std::string_view s) {
  return parse_comware_time(s).has_value();
}

bool printable_token(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x21 || c > 0x7e) return false;
  return !s.empty();
}

// User names come from PPP peers: escaped and bounded like every other peer string.
std::string shown(std::string_view s) {
  return printable(s, kFieldWidth);
}

std::string comware_time(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  ::localtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%H:%M:%S-%m/%d/%Y", &tm);
  return buf;
}

StopBufferFilter filter_of(const Call& call) {
  StopBufferFilter f;
  if (call.has("scheme")) {
    f.kind = StopBufferFilter::Kind::scheme;
    f.text = call.get("scheme");
  } else if (call.has("sid")) {
    f.kind = StopBufferFilter::Kind::session_id;
    f.text = call.get("sid");
  } else if (call.has("user")) {
    f.kind = StopBufferFilter::Kind::user_name;
    f.text = call.get("user");
  } else if (call.has("from")) {
    f.kind = StopBufferFilter::Kind::time_range;
    f.from = parse_comware_time(call.get("from")).value_or(0);
    f.to = parse_comware_time(call.get("to")).value_or(0);
  }
  return f;
}

std::string render(const std::vector<aaa::BufferedStop>& list, const StopBufferFilter& f,
                   const aaa::StopBufferStatistics& st) {
  std::string out;
  char line[256];
  std::size_t matched = 0;
  for (const auto& b : list) {
    if (!f.matches(b)) continue;
    if (matched++ == 0)
      out +=
          " Scheme           Session ID                 Username                         "
          "Attempts  Session ended\n";
    std::snprintf(line, sizeof line, " %-16s %-26s %-32s %-9u %s\n", shown(b.scheme).c_str(),
                  shown(b.session_id).c_str(), shown(b.user).c_str(), b.attempts,
                  comware_time(b.event_time).c_str());
    out += line;
  }
  out += " Total " + std::to_string(matched) + " record(s) matched.\n";
  std::snprintf(
      line, sizeof line,
      " Buffer: %zu of %zu entries; buffered %llu, delivered %llu, dropped %llu "
      "(full %llu, attempts %llu, no server %llu), reset %llu\n",
      st.entries, st.capacity, static_cast<unsigned long long>(st.buffered),
      static_cast<unsigned long long>(st.answered),
      static_cast<unsigned long long>(st.dropped_full + st.dropped_attempts + st.dropped_unusable),
      static_cast<unsigned long long>(st.dropped_full),
      static_cast<unsigned long long>(st.dropped_attempts),
      static_cast<unsigned long long>(st.dropped_unusable),
      static_cast<unsigned long long>(st.reset));
  out += line;
  return out;
}

void selectors(Node& n, const Action& run) {
  n.kw("radius-scheme", "Stops of a RADIUS scheme")
      .string("scheme", 1, 32, "RADIUS scheme name", valid_name)
      .run(run);
  n.kw("session-id", "The Stop of an accounting session")
      .string("sid", 1, 64, "Acct-Session-Id", printable_token)
      .run(run);
  n.kw("time-range", "Stops of sessions that ended in a time range")
      .string("from", 19, 19, "Start time (hh:mm:ss-mm/dd/yyyy or hh:mm:ss-yyyy/mm/dd)",
              valid_comware_time)
      .string("to", 19, 19, "End time (hh:mm:ss-mm/dd/yyyy or hh:mm:ss-yyyy/mm/dd)",
              valid_comware_time)
      .run(run);
  n.kw("user-name", "Stops of a user name")
      .string("user", 1, 80, "User name (case-sensitive)", printable_token)
      .run(run);
}

}  // namespace

void register_stop_accounting_buffer(Grammar& g) {
  auto display = [](Call& call) {
    StopBufferFilter f = filter_of(call);
    auto list = on_engine(call, [](Operations& o) { return o.stop_accounting_buffer(); });
    auto st = on_engine(call, [](Operations& o) { return o.stop_buffer_statistics(); });
    call.print(render(list, f, st));
  };
  for (Node& d : display_roots(g))
    selectors(d.kw("stop-accounting-buffer", "Buffered accounting Stops no server answered"),
              display);
  auto reset = [](Call& call) {
    StopBufferFilter f = filter_of(call);
    auto n = on_engine(call, [&](Operations& o) { return o.reset_stop_accounting_buffer(f); });
    if (n == 0) call.print(" No buffered Stop matched.");
  };
  Node& r = root(g, View::user)
                .kw("reset", "Reset operation")
                .kw("stop-accounting-buffer", "Remove buffered accounting Stops");
  selectors(r, reset);
}

}  // namespace vpdnd::cli::lang
