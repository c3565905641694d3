// The log buffer: `display logbuffer [reverse] [size N]` (every view), `reset logbuffer`
// (user view), and in system view `info-center enable`, `info-center logbuffer [size N]`,
// V7 `info-center source default logbuffer level L`, V5 `info-center source default
// channel {4 | logbuffer} log level L`, with their undo forms.
//
// The buffer itself is common/logbuffer's LogBuffer (bounded, thread-safe); the configuration is
// kept in the running config (info-center block) and applied to the buffer by each
// command. `undo info-center enable` stops the buffer from taking lines (terminal monitor
// and syslog are their own switches).
#include <algorithm>

#include "cli/lang/session.hpp"
#include "common/logbuffer.hpp"

namespace vpdnd::cli::lang {
namespace {

using config::ConfigSection;
using config::InfoCenter;
using config::RunningConfig;

// V7 severity names (shown); V5's plural forms are accepted as hidden aliases.
const char* const kLevels[] = {"emergency", "alert",        "critical",      "error",
                               "warning",   "notification", "informational", "debugging"};
const char* const kV5Levels[] = {"emergencies", "alerts",        "critical",      "errors",
                                 "warnings",    "notifications", "informational", "debugging"};
const char* const kLevelHelp[] = {"Severity 0: system unusable",
                                  "Severity 1: immediate action needed",
                                  "Severity 2: critical conditions",
                                  "Severity 3: error conditions",
                                  "Severity 4: warning conditions",
                                  "Severity 5: normal but significant",
                                  "Severity 6: informational messages (default)",
                                  "Severity 7: debugging messages"};

void apply(const InfoCenter& i) {
  LogBuffer::Settings s;
  s.enabled = i.enabled && i.logbuffer;
  s.capacity = i.logbuffer_size;
  s.level = i.logbuffer_level;
  LogBuffer::instance().configure(s);
}

void edit(Call& call, const std::function<void(InfoCenter&)>& fn) {
  InfoCenter after;
  call.edit({ConfigSection::info_center, ""}, [&](RunningConfig& c) {
    fn(c.info_center);
    after = c.info_center;
    return std::string{};
  });
  if (!call.failed) apply(after);
}

int level_of(const std::string& word) {
  for (int i = 0; i < 8; ++i)
    if (word == kLevels[i] || word == kV5Levels[i]) return i;
  return 6;
}

void add_levels(Node& n, const Action& act) {
  for (int i = 0; i < 8; ++i) {
    n.kw(kLevels[i], kLevelHelp[i], "level").run(act);
    if (std::string_view(kV5Levels[i]) != kLevels[i]) {
      Node& alias = n.kw(kV5Levels[i], kLevelHelp[i], "level");
      alias.hidden = true;
      alias.run(act);
    }
  }
}

void display(Call& call) {
  auto snap = LogBuffer::instance().snapshot();
  std::string out;
  out += "Log buffer: " + std::string(snap.settings.enabled ? "Enabled" : "Disabled") + "\n";
  out += "Max buffer size: " + std::to_string(LogBuffer::kMaxCapacity) + "\n";
  out += "Actual buffer size: " + std::to_string(snap.settings.capacity) + "\n";
  out += "Overwritten messages: " + std::to_string(snap.overwritten) + "\n";
  out += "Current messages: " + std::to_string(snap.lines.size()) + "\n";
  std::vector<std::string> lines = std::move(snap.lines);
  if (call.has("size") && lines.size() > call.number("size"))
    lines.erase(lines.begin(), lines.end() - call.number("size"));  // the newest N
  if (call.has("reverse")) std::reverse(lines.begin(), lines.end());
  for (auto& l : lines) out += l + "\n";
  if (!out.empty() && out.back() == '\n') out.pop_back();
  call.print(out);
}

}  // namespace

void register_logbuffer(Grammar& g) {
  for (Node& display_node : display_roots(g)) {
    Node& d = display_node.kw("logbuffer", "Log lines kept in memory");
    d.run(display);
    Node& rev = d.kw("reverse", "Newest first", "reverse");
    rev.run(display);
    rev.kw("size", "Only the newest lines")
        .integer("size", 1, LogBuffer::kMaxCapacity, "Number of lines")
        .run(display);
    Node& sz = d.kw("size", "Only the newest lines")
                   .integer("size", 1, LogBuffer::kMaxCapacity, "Number of lines");
    sz.run(display);
    sz.kw("reverse", "Newest first", "reverse").run(display);
  }
  root(g, View::user)
      .kw("reset", "Reset operation")
      .kw("logbuffer", "Clear the log buffer")
      .run([](Call&) { LogBuffer::instance().clear(); });

  Node& sys = root(g, View::system);
  Node& ic = sys.kw("info-center", "Information center (log output)");
  Node& uic = sys.kw("undo", "Cancel current setting").kw("info-center", "Information center");
  ic.kw("enable", "Enable the information center").run([](Call& call) {
    edit(call, [](InfoCenter& i) { i.enabled = true; });
    call.print("Info: Information center is enabled.");
  });
  uic.kw("enable", "Disable the information center").run([](Call& call) {
    edit(call, [](InfoCenter& i) { i.enabled = false; });
    call.print("Info: Information center is disabled.");
  });
  Node& lb = ic.kw("logbuffer", "Keep log lines in the log buffer");
  lb.run([](Call& call) { edit(call, [](InfoCenter& i) { i.logbuffer = true; }); });
  lb.kw("size", "Lines the log buffer keeps")
      .integer("size", 0, LogBuffer::kMaxCapacity, "Lines (default 512)")
      .run([](Call& call) {
        auto n = call.number("size");
        edit(call, [n](InfoCenter& i) { i.logbuffer_size = n; });
      });
  Node& ulb = uic.kw("logbuffer", "Stop keeping log lines in the log buffer");
  ulb.run([](Call& call) { edit(call, [](InfoCenter& i) { i.logbuffer = false; }); });
  ulb.kw("size", "Restore the default size (512 lines)").run([](Call& call) {
    edit(call, [](InfoCenter& i) { i.logbuffer_size = InfoCenter{}.logbuffer_size; });
  });

  auto set_level = [](Call& call) {
    int level = level_of(call.get("level"));
    edit(call, [level](InfoCenter& i) { i.logbuffer_level = level; });
  };
  auto reset_level = [](Call& call) {
    edit(call, [](InfoCenter& i) { i.logbuffer_level = InfoCenter{}.logbuffer_level; });
  };
  Node& src = ic.kw("source", "Which messages go to an output").kw("default", "Every module");
  add_levels(src.kw("logbuffer", "The log buffer (V7)").kw("level", "Lowest severity kept"),
             set_level);
  Node& channel = src.kw("channel", "Output channel (V5)");
  for (Node* c :
       {&channel.kw("logbuffer", "The log buffer"), &channel.kw("4", "Channel 4, the log buffer")})
    add_levels(c->kw("log", "Log messages").kw("level", "Lowest severity kept"), set_level);
  Node& usrc = uic.kw("source", "Which messages go to an output").kw("default", "Every module");
  usrc.kw("logbuffer", "The log buffer (V7)").run(reset_level);
  Node& uchannel = usrc.kw("channel", "Output channel (V5)");
  uchannel.kw("logbuffer", "The log buffer").run(reset_level);
  uchannel.kw("4", "Channel 4, the log buffer").run(reset_level);
}

}  // namespace vpdnd::cli::lang
