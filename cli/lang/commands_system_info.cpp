// Device information commands: `display clock` and `clock datetime` (user view), `display
// users [all]` (the terminal lines in use) and `display history-command` (this terminal's
// last commands). The clock is the host's: vpdnd reads it and never sets it.
#include <cstdio>
#include <ctime>

#include "cli/front/lines.hpp"
#include "cli/lang/session.hpp"

namespace vpdnd::cli::lang {
namespace {

// Digits only, at most `max` of them, value in [lo, hi].
bool number_in(std::string_view s, std::size_t max, int lo, int hi, int* out = nullptr) {
  if (s.empty() || s.size() > max) return false;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (out) *out = v;
  return v >= lo && v <= hi;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (true) {
    auto next = s.find(sep, pos);
    out.push_back(s.substr(pos, next == std::string_view::npos ? s.npos : next - pos));
    if (next == std::string_view::npos) return out;
    pos = next + 1;
  }
}

// HH:MM:SS, HH:MM, or 0 (midnight), as Comware accepts them.
bool valid_time(std::string_view s) {
  if (s == "0") return true;
  auto parts = split(s, ':');
  if (parts.size() < 2 || parts.size() > 3) return false;
  return number_in(parts[0], 2, 0, 23) && number_in(parts[1], 2, 0, 59) &&
         (parts.size() == 2 || number_in(parts[2], 2, 0, 59));
}

// MM/DD/YYYY or YYYY/MM/DD, year 2000 to 2035, a day that month has.
bool valid_date(std::string_view s) {
  auto parts = split(s, '/');
  if (parts.size() != 3) return false;
  bool year_first = parts[0].size() == 4;
  int y = 0, m = 0, d = 0;
  if (!number_in(year_first ? parts[0] : parts[2], 4, 2000, 2035, &y) ||
      !number_in(year_first ? parts[1] : parts[0], 2, 1, 12, &m) ||
      !number_in(year_first ? parts[2] : parts[1], 2, 1, 31, &d))
    return false;
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
  return d <= (m == 2 && !leap ? 28 : kDays[m - 1]);
}

std::string render_clock(std::chrono::system_clock::time_point now) {
  auto t = std::chrono::system_clock::to_time_t(now);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  ::localtime_r(&t, &tm);
  char hms[16], rest[64];
  std::strftime(hms, sizeof hms, "%H:%M:%S", &tm);
  std::strftime(rest, sizeof rest, "%Z %a %m/%d/%Y", &tm);
  char out[96];
  std::snprintf(out, sizeof out, "%s.%03d %s", hms, static_cast<int>(ms), rest);
  return out;
}

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.resize(width, ' ');
  return s + " ";
}

std::string line_name(bool console, std::uint32_t number) {
  return (console ? "CON " : "VTY ") + std::to_string(number);
}

std::string render_users(const std::vector<TerminalLine>& lines, const CommandSession* self,
                         bool all) {
  auto now = std::chrono::steady_clock::now();
  std::string out = "  Idx  Line    Idle       Time              Type\n";
  std::string details;
  auto row = [&](const TerminalLine* l, bool console, std::uint32_t number) {
    std::string idx = std::to_string(console ? 0 : number + 1);
    std::string text =
        (l && l->owner == self ? "+ " : "  ") + pad(idx, 4) + pad(line_name(console, number), 7);
    auto end_row = [&] {
      text.erase(text.find_last_not_of(' ') + 1);
      out += text + "\n";
    };
    if (!l) return end_row();
    auto idle = std::chrono::duration_cast<std::chrono::seconds>(now - l->last_input).count();
    if (idle < 0) idle = 0;
    char idle_text[32];
    std::snprintf(idle_text, sizeof idle_text, "%02lld:%02lld:%02lld",
                  static_cast<long long>(idle / 3600), static_cast<long long>(idle / 60 % 60),
                  static_cast<long long>(idle % 60));
    auto t = std::chrono::system_clock::to_time_t(l->login);
    std::tm tm{};
    ::localtime_r(&t, &tm);
    char login[32];
    std::strftime(login, sizeof login, "%b %d %H:%M:%S", &tm);
    text += pad(idle_text, 10) + pad(login, 17) + (console ? "" : "TEL");
    end_row();
    if (l->user.empty() && l->location.empty()) return;
    details += pad(line_name(console, number), 7) + ":\n";
    if (!l->location.empty()) details += "        Location: " + l->location + "\n";
    if (!l->user.empty()) details += "        User name: " + l->user + "\n";
  };
  auto find = [&](bool console, std::uint32_t number) -> const TerminalLine* {
    for (auto& l : lines)
      if (l.console == console && l.number == number) return &l;
    return nullptr;
  };
  if (all) {
    row(find(true, 0), true, 0);
    for (std::uint32_t n = 0; n < LineTable::kVtyLines; ++n) row(find(false, n), false, n);
  } else {
    for (auto& l : lines) row(&l, l.console, l.number);
  }
  out += "\nFollowing are more details.\n" + details;
  out += " +    : Current operation user.";
  return out;
}

void display_users(Call& call) {
  auto lines = call.session.context().engine.call([] { return process_lines().lines(); });
  call.print(
      render_users(lines, static_cast<const CommandSession*>(&call.session), call.has("all")));
}

}  // namespace

void register_system_info(Grammar& g) {
  for (Node& d : display_roots(g)) {
    d.kw("clock", "System time and date").run([](Call& call) {
      call.print(render_clock(std::chrono::system_clock::now()));
    });
    Node& users = d.kw("users", "Users logged in on the terminal lines");
    users.run(display_users);
    users.kw("all", "Every terminal line, in use or not", "all").run(display_users);
    d.kw("history-command", "Commands this terminal ran last").run([](Call& call) {
      std::string out;
      for (auto& c : call.session.history()) out += "  " + c + "\n";
      if (!out.empty()) call.print(out);
    });
  }

  root(g, View::user)
      .kw("clock", "Date and time")
      .kw("datetime", "Set the system time and date")
      .string("time", 1, 8, "HH:MM:SS Time", valid_time)
      .string("date", 8, 10, "MM/DD/YYYY or YYYY/MM/DD Date", valid_date)
      .run([](Call& call) {
        call.error(
            "Error: vpdnd does not set the system clock. It is the host's clock, shared with "
            "every process on the host; set it there (NTP, timedatectl).");
      });
}

}  // namespace vpdnd::cli::lang
