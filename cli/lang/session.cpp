#include "cli/lang/session.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <exception>
#include <map>
// GCC 12 warns -Wmaybe-uninitialized inside <regex>'s own NFA code under the sanitizer
// build (a false positive in the library header, not in this file).
// Clang (the fuzz build) has no such warning and rejects the unknown name under -Werror.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <regex>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include "cli/front/lines.hpp"
#include "common/printable.hpp"

namespace vpdnd::cli::lang {
namespace {

// Whole-word aliases of other dialects (IOS-style habits).
const std::map<std::string, std::string>& aliases() {
  static const std::map<std::string, std::string> table = {
      {"show", "display"}, {"no", "undo"},    {"exit", "quit"},
      {"end", "return"},   {"write", "save"}, {"hostname", "sysname"},
  };
  return table;
}

bool is_sub_view(View v) {
  return v != View::user && v != View::system;
}

// What each view is called: its prompt after "[sysname-" and, for a view whose lines vpdnd
// keeps without applying them, the configuration line that opens its block. "{}" stands for
// the view's object; in the prompt its spaces are spelled `space`, as Comware prompts
// `vlan 1` "[H3C-vlan1]" and `ipsec policy P 1 isakmp` "[H3C-ipsec-policy-isakmp-P-1]".
struct ViewNames {
  View view;
  std::string_view prompt;
  std::string_view kept;  // "": vpdnd applies every line of the view
  std::string_view space = " ";
};

constexpr std::array kViewNames = {
    ViewNames{View::user, "", ""},
    ViewNames{View::system, "", ""},
    ViewNames{View::l2tp_group, "l2tp{}", "l2tp-group {}"},
    ViewNames{View::virtual_template, "Virtual-Template{}", "interface Virtual-Template{}"},
    ViewNames{View::interface, "{}", "interface {}"},
    ViewNames{View::domain, "isp-{}", "domain {}"},
    ViewNames{View::local_user, "luser-{}", "local-user {}"},
    ViewNames{View::radius, "radius-{}", "radius scheme {}"},
    ViewNames{View::vty, "ui-vty{}", "user-interface vty 0 4"},
    ViewNames{View::public_key, "pkey-public-key", ""},
    ViewNames{View::key_code, "pkey-key-code", ""},
    ViewNames{View::dae, "radius-da-server", ""},
    ViewNames{View::foreign, "{}", "{}", ""},
    ViewNames{View::ike_proposal, "ike-proposal-{}", ""},
    ViewNames{View::ike_keychain, "ike-keychain-{}", ""},
    ViewNames{View::ike_profile, "ike-profile-{}", ""},
    ViewNames{View::ipsec_transform_set, "ipsec-transform-set-{}", ""},
    ViewNames{View::ipsec_policy_template, "ipsec-policy-template-{}", "", "-"},
    ViewNames{View::ipsec_policy, "ipsec-policy-isakmp-{}", "", "-"},
};
static_assert(kViewNames.size() == static_cast<std::size_t>(View::count));
static_assert([] {
  for (std::size_t i = 0; i < kViewNames.size(); ++i)
    if (kViewNames[i].view != static_cast<View>(i)) return false;
  return true;
}());

// `pattern` with "{}" replaced by `object`, whose spaces are spelled `space`.
std::string fill(std::string_view pattern, const std::string& object, std::string_view space) {
  auto at = pattern.find("{}");
  if (at == std::string_view::npos) return std::string(pattern);
  std::string out(pattern.substr(0, at));
  for (char c : object)
    if (c == ' ')
      out += space;
    else
      out += c;
  return out += pattern.substr(at + 2);
}

std::string view_prompt(View view, const std::string& object) {
  const auto& names = kViewNames.at(static_cast<std::size_t>(view));
  return fill(names.prompt, object, names.space);
}

// ---- output filters: `display ... | {begin|exclude|include} REGEX` (Comware V5) ----------

constexpr std::string_view kFilters[] = {"begin", "exclude", "include"};
constexpr std::string_view kFilterHelp[] = {"Begin with the line that matches",
                                            "Match not the regular expression",
                                            "Match the regular expression"};

// The index of the first `|` token typed as such (a `|` inside a word is no filter), or
// tokens.size().
std::size_t pipe_token(const std::vector<Token>& tokens) {
  for (std::size_t i = 0; i < tokens.size(); ++i)
    if (tokens[i].text == "|") return i;
  return tokens.size();
}

// Only `display ...` takes a filter: the first word (after alias folding) abbreviates
// `display`, and the command matched, so it can be no other keyword.
bool is_display(const std::vector<Token>& tokens) {
  if (tokens.empty()) return false;
  std::string first = lower(tokens[0].text);
  return std::string_view("display").compare(0, first.size(), first) == 0;
}

// The filter keyword `word` abbreviates: its index, or -1 (none) / -2 (several).
int filter_of(std::string_view word) {
  std::string w = lower(word);
  int found = -1;
  for (int i = 0; i < 3; ++i)
    if (kFilters[i].compare(0, w.size(), w) == 0) {
      if (found >= 0) return -2;
      found = i;
    }
  return w.empty() ? -1 : found;
}

// The regular expression: the rest of the line after the filter word, spaces inside
// included; one pair of surrounding double quotes is removed.
std::string filter_text(const std::string& line, const Token& keyword) {
  std::size_t from = line.find_first_not_of(" \t", keyword.offset + keyword.text.size());
  if (from == std::string::npos) return {};
  std::size_t to = line.find_last_not_of(" \t\r\n");
  std::string text = line.substr(from, to + 1 - from);
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"')
    text = text.substr(1, text.size() - 2);
  return text;
}

std::string apply_filter(const std::string& output, int filter, const std::regex& re) {
  std::string out;
  bool begun = false;
  std::size_t pos = 0;
  while (pos < output.size()) {
    std::size_t nl = output.find('\n', pos);
    std::size_t end = nl == std::string::npos ? output.size() : nl + 1;
    std::string_view line(output.data() + pos, end - pos);
    std::string_view body = line.substr(0, line.find_last_not_of("\r\n") + 1);
    if (line.find_last_not_of("\r\n") == std::string_view::npos) body = {};
    bool hit = std::regex_search(body.begin(), body.end(), re);
    bool keep = filter == 0 ? (begun = begun || hit) : filter == 1 ? !hit : hit;
    if (keep) out.append(line);
    pos = end;
  }
  return out;
}

}  // namespace

// ---- Call ------------------------------------------------------------------------------

namespace {

// The Comware lines kept in a removed object's block go with it (printed without their
// object they would create it again when the file loads). An interface's binding is removed
// alone (`undo pppoe-server bind`): `undo interface` drops its kept lines itself.
void forget_kept(config::RunningConfig& c, const config::ConfigChange& change) {
  using config::ConfigSection;
  static const std::map<ConfigSection, std::string> kBlock = {
      {ConfigSection::l2tp_group, "l2tp-group "},
      {ConfigSection::virtual_template, "interface Virtual-Template"},
      {ConfigSection::domain, "domain "},
      {ConfigSection::local_user, "local-user "},
      {ConfigSection::radius_scheme, "radius scheme "},
  };
  if (auto it = kBlock.find(change.section); it != kBlock.end())
    c.kept.erase(it->second + change.key);
}

}  // namespace

bool Call::has(std::string_view key) const {
  return std::any_of(args_.begin(), args_.end(), [&](const Captured& c) { return c.key == key; });
}

std::string Call::get(std::string_view key) const {
  for (auto& c : args_)
    if (c.key == key) return c.value;
  return {};
}

std::vector<std::string> Call::all(std::string_view key) const {
  std::vector<std::string> out;
  for (auto& c : args_)
    if (c.key == key) out.push_back(c.value);
  return out;
}

std::uint32_t Call::number(std::string_view key) const {
  return static_cast<std::uint32_t>(std::stoul(get(key)));
}

void Call::print(std::string_view text) {
  // Renderers escape peer data field by field (printable()); this is the net under them.
  output.append(terminal_safe(std::string(text), true));
  if (!text.empty() && text.back() != '\n') output.push_back('\n');
}

void Call::warn(std::string_view text) {
  warnings.emplace_back(text);
  if (session.origin() != SessionOrigin::file) print("Warning: " + std::string(text));
}

void Call::error(std::string_view text) {
  failed = true;
  print(text);
}

void Call::edit(config::ConfigChange change,
                const std::function<std::string(config::RunningConfig&)>& fn) {
  auto& ctx = session.context();
  std::string err = ctx.engine.call([&] {
    return ctx.store.edit(change, [&](config::RunningConfig& candidate) {
      std::string e = fn(candidate);
      if (e.empty() && change.removed) forget_kept(candidate, change);
      return e;
    });
  });
  if (!err.empty()) error(err);
}

config::RunningConfig Call::snapshot() const {
  auto& ctx = session.context();
  return ctx.engine.call([&] { return ctx.store.running(); });
}

// ---- grammar ---------------------------------------------------------------------------

const Grammar& grammar() {
  static const Grammar g = [] {
    Grammar built;
    register_system(built);
    register_l2tp(built);
    register_interfaces(built);
    register_aaa(built);
    register_device(built);
    register_ssh(built);
    register_operator(built);
    register_system_info(built);
    register_pppoe_server(built);
    register_dae(built);
    register_l2tp_statistics(built);
    register_interface_display(built);
    register_routing(built);
    register_logbuffer(built);
    register_ipsec(built);
    register_snmp(built);
    return built;
  }();
  return g;
}

// ---- Session ---------------------------------------------------------------------------

Session::Session(ShellContext& context, SessionOrigin origin, std::string user)
    : context_(context),
      origin_(origin),
      user_(std::move(user)),
      view_(origin == SessionOrigin::file ? View::system : View::user) {
  auto [name, vty_length] = context_.engine.call([&] {
    const auto& c = context_.store.running();
    return std::pair{c.sysname, c.vty.screen_length};
  });
  sysname_ = name;
  if (origin_ == SessionOrigin::telnet || origin_ == SessionOrigin::ssh)
    terminal_.screen_length = vty_length;
  if (origin_ == SessionOrigin::file) terminal_.screen_length = 0;
}

std::string Session::prompt() const {
  if (view_ == View::user) return "<" + sysname_ + ">";
  std::string tail = view_prompt(view_, object_);
  return "[" + sysname_ + (tail.empty() ? "" : "-" + tail) + "]";
}

std::string kept_key(View view, const std::string& object) {
  return fill(kViewNames.at(static_cast<std::size_t>(view)).kept, object, " ");
}

std::vector<Token> Session::normalise(const std::string& line) const {
  auto tokens = tokenize(line);
  for (std::size_t i = 0; i < tokens.size() && i < 2; ++i) {
    auto it = aliases().find(lower(tokens[i].text));
    if (it != aliases().end()) tokens[i].text = it->second;
    if (lower(tokens[i].text) != "undo") break;  // only `undo <alias>` looks at word two
  }
  return tokens;
}

std::string Session::caret_error(const std::string& line, const std::vector<Token>& tokens,
                                 const Match& m) const {
  std::string kind(error_text(m.error));
  if (m.error == ErrorKind::unrecognized || m.error == ErrorKind::incomplete ||
      m.error == ErrorKind::ambiguous)
    kind += " command";
  std::size_t column;
  std::string token;
  if (m.error_token < tokens.size()) {
    column = tokens[m.error_token].offset;
    token = tokens[m.error_token].text;
  } else {
    std::size_t end = line.find_last_not_of(" \t\r\n");
    column = end == std::string::npos ? 0 : end + 2;
  }
  if (origin_ == SessionOrigin::file) {
    std::string where = token.empty()
                            ? "at end of line"
                            : "at '" + token + "' (column " + std::to_string(column + 1) + ")";
    return "% " + kind + " found " + where + ".";
  }
  return std::string(prompt().size() + column, ' ') + "^\n % " + kind + " found at '^' position.";
}

ExecResult Session::execute(const std::string& line) {
  if (pending_) {
    auto answer = std::move(pending_);
    pending_ = nullptr;
    return answer(line);
  }
  if (origin_ != SessionOrigin::file) {
    // Any line typed, even a wrong one, ends the terminal's idle time (`display users`).
    auto now = std::chrono::steady_clock::now();
    context_.engine.call([&] { process_lines().touch(this, now); });
  }
  if (banner_delim_) return continue_banner(line);
  auto first = line.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  // In a file a foreign view's lines are the indented ones after its header (as Comware
  // prints them): kept in its block whatever they say.
  if (view_ == View::foreign && origin_ == SessionOrigin::file && first > 0 && line[first] != '#')
    return keep(object_, canonical_line(line));
  if (line[first] == '#') {
    // In a file a bare `#` closes the block it follows (the printer separates blocks so),
    // which keeps a global command after a view block out of that view.
    if (origin_ == SessionOrigin::file &&
        line.find_first_not_of(" \t\r\n", first + 1) == std::string::npos && is_sub_view(view_))
      enter(View::system);
    return {};
  }

  auto tokens = normalise(line);
  // `display ... | FILTER REGEX`: the command is the part before the `|`; anything else
  // with a `|` goes to the matcher whole and fails there (Too many parameters).
  std::string command_line = line;
  std::vector<Token> all_tokens;
  std::size_t pipe = pipe_token(tokens);
  bool filtered = pipe < tokens.size() && is_display(tokens);
  if (filtered) {
    command_line = line.substr(0, tokens[pipe].offset);
    all_tokens = tokens;
    tokens.resize(pipe);
  }
  const auto& g = grammar();
  Match m = match(g.roots[static_cast<std::size_t>(view_)], tokens);
  View exec_view = view_;
  // Comware runs a system-view command typed in a sub-view (and moves to system view); a
  // config file may also go on after `return`.
  bool fallback = is_sub_view(view_) || (origin_ == SessionOrigin::file && view_ == View::user);
  if (m.error != ErrorKind::none && fallback) {
    Match sys = match(g.roots[static_cast<std::size_t>(View::system)], tokens);
    if (sys.error == ErrorKind::none) {
      m = std::move(sys);
      exec_view = View::system;
    } else if (sys.error_token > m.error_token) {
      m = std::move(sys);
    }
  }
  auto failure = [](std::string text) {
    ExecResult r;
    r.ok = false;
    r.output = std::move(text);
    return r;
  };
  if (m.error != ErrorKind::none) {
    if (auto kept = keep_known(line, tokens)) return *kept;
    // On a terminal a foreign view keeps whatever is typed in it.
    if (view_ == View::foreign && !filtered) return keep(object_, canonical_line(line));
    return failure(caret_error(command_line, tokens, m));
  }
  int filter = -1;
  std::regex filter_re;
  if (filtered) {
    Match bad;
    bad.error_token = all_tokens.size();
    bad.error = ErrorKind::incomplete;
    if (pipe + 1 == all_tokens.size()) return failure(caret_error(line, all_tokens, bad));
    filter = filter_of(all_tokens[pipe + 1].text);
    if (filter < 0) {
      bad.error = filter == -2 ? ErrorKind::ambiguous : ErrorKind::unrecognized;
      bad.error_token = pipe + 1;
      return failure(caret_error(line, all_tokens, bad));
    }
    std::string text = filter_text(line, all_tokens[pipe + 1]);
    if (text.empty()) return failure(caret_error(line, all_tokens, bad));
    try {
      filter_re = std::regex(text, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      bad.error = ErrorKind::wrong_parameter;
      bad.error_token = pipe + 2;
      return failure(caret_error(line, all_tokens, bad) +
                     "\n % Invalid regular expression: " + e.what());
    }
  }
  if (origin_ != SessionOrigin::file) {
    // Comware keeps the commands that parsed, as typed, a repeat of the last one once. A
    // secret given in the command (`password simple ...`) is kept as `******`.
    std::string masked = line;
    for (auto& arg : m.args) {
      if (arg.key != "secret") continue;
      for (std::size_t i = tokens.size(); i-- > 0;)
        if (tokens[i].text == arg.value) {
          masked.replace(tokens[i].offset, tokens[i].text.size(), "******");
          break;
        }
    }
    std::size_t end = masked.find_last_not_of(" \t\r\n");
    std::string typed = masked.substr(first, end + 1 - first);
    if (history_.empty() || history_.back() != typed) history_.push_back(std::move(typed));
    if (history_.size() > kHistorySize) history_.pop_front();
  }
  View before = view_;
  std::string before_object = object_;
  if (exec_view != view_) enter(exec_view);
  Call call(*this, std::move(m.args));
  try {
    m.node->action(call);
  } catch (const std::exception& e) {
    call.error(std::string("Error: ") + e.what());
  }
  if (call.failed && exec_view != before && view_ == exec_view) enter(before, before_object);
  sysname_ = context_.engine.call([&] { return context_.store.running().sysname; });

  ExecResult r;
  r.output = std::move(call.output);
  r.warnings = std::move(call.warnings);
  if (filter >= 0 && !call.failed) r.output = apply_filter(r.output, filter, filter_re);
  if (!r.output.empty() && r.output.back() == '\n') r.output.pop_back();
  r.ok = !call.failed;
  r.close_session = call.close;
  if (call.question) {
    pending_ = std::move(call.question);
    r.awaiting_answer = true;
  }
  return r;
}

std::string Session::help(const std::string& partial) const {
  auto tokens = normalise(partial);
  bool new_word = partial.empty() || std::isspace(static_cast<unsigned char>(partial.back()));
  std::size_t pipe = pipe_token(tokens);
  if (pipe < tokens.size() && is_display(tokens))
    return filter_help(partial, tokens, pipe, new_word);
  std::string prefix;
  if (!new_word && !tokens.empty()) {
    prefix = lower(tokens.back().text);
    tokens.pop_back();
  }
  Match err;
  auto nodes = reachable(tokens, &err);
  if (nodes.empty()) return caret_error(partial, tokens, err);

  auto next = next_nodes(nodes);
  std::string out;
  if (!new_word) {
    std::vector<std::string> words = complete(partial);
    if (words.empty()) {
      Match m;
      m.error = ErrorKind::unrecognized;
      m.error_token = tokens.size();
      auto all = normalise(partial);
      return caret_error(partial, all, m);
    }
    for (auto& w : words) out += "  " + w + "\n";
    return out;
  }
  std::vector<const Node*> args, keywords;
  for (auto* n : next) (n->kind == NodeKind::keyword ? keywords : args).push_back(n);
  std::sort(keywords.begin(), keywords.end(),
            [](const Node* a, const Node* b) { return a->word < b->word; });
  std::size_t width = 12;
  for (auto* n : next) width = std::max(width, n->word.size());
  auto line = [&](const std::string& w, const std::string& h) {
    out += "  " + w + std::string(width - w.size() + 2, ' ') + h + "\n";
  };
  for (auto* n : args) line(n->word, n->help);
  for (auto* n : keywords) line(n->word, n->help);
  bool complete =
      std::any_of(nodes.begin(), nodes.end(), [](const Node* n) { return bool(n->action); });
  if (complete && is_display(tokens)) line("|", "Matching output");
  if (complete) out += "  <cr>\n";
  return out;
}

// ---- known but not applicable Comware commands --------------------------------------

ExecResult Session::keep(const std::string& key, const std::string& text, bool as_line) {
  context_.engine.call([&] {
    return context_.store.edit(
        {config::ConfigSection::system, "kept"}, [&](config::RunningConfig& c) {
          auto& lines = c.kept[key];
          // Typed twice, a Comware setting is still there once.
          if (as_line && std::find(lines.begin(), lines.end(), text) == lines.end())
            lines.push_back(text);
          return std::string();
        });
  });
  std::string first = text.substr(0, text.find('\n'));
  ExecResult r;
  r.warnings.push_back("\"" + first + "\" is not applied by vpdnd: ignored, kept");
  if (origin_ != SessionOrigin::file) r.output = "Warning: " + r.warnings.back();
  return r;
}

std::optional<ExecResult> Session::keep_known(const std::string& line,
                                              const std::vector<Token>& tokens) {
  View here = view_ == View::user ? View::system : view_;
  auto known = known_not_applicable(here, tokens);
  if (!known) return std::nullopt;
  std::string text = canonical_line(line);
  // A system-view command typed in a sub-view runs in system view and stays there.
  if (known->system_level || view_ == View::user) enter(View::system);
  switch (known->kind) {
    case KnownKind::line:
      return keep(kept_key(view_, object_), text);
    case KnownKind::block: {
      ExecResult r = keep(text, text, false);  // the header is the block's key
      enter(View::foreign, text);
      return r;
    }
    case KnownKind::banner: {
      // `header motd %` ... `%`: the first character after the banner's kind delimits the
      // text; the banner ends on the line where it appears again.
      std::size_t after = tokens.size() >= 2 ? tokens[1].offset + tokens[1].text.size() : 0;
      std::size_t start = line.find_first_not_of(" \t", after);
      if (tokens.size() < 2 || start == std::string::npos || line[start] == '\r')
        return keep("", text);
      char delim = line[start];
      std::string head = line.substr(line.find_first_not_of(" \t"));
      while (!head.empty() && (head.back() == '\r' || head.back() == '\n')) head.pop_back();
      if (head.find(delim, start - line.find_first_not_of(" \t") + 1) != std::string::npos)
        return keep("", head);
      banner_ = head;
      banner_delim_ = delim;
      ExecResult r;
      if (origin_ != SessionOrigin::file)
        r.output =
            "Input banner text, and quit with the character '" + std::string(1, delim) + "'.";
      return r;
    }
  }
  return std::nullopt;
}

ExecResult Session::continue_banner(const std::string& line) {
  std::string text = line;
  if (!text.empty() && text.back() == '\r') text.pop_back();
  banner_ += "\n" + text;
  if (text.find(banner_delim_) == std::string::npos) return {};
  banner_delim_ = 0;
  std::string banner = std::move(banner_);
  banner_.clear();
  return keep("", banner);
}

// `?` somewhere after `display ... |`.
std::string Session::filter_help(const std::string& partial, const std::vector<Token>& tokens,
                                 std::size_t pipe, bool new_word) const {
  std::vector<Token> command(tokens.begin(), tokens.begin() + static_cast<std::ptrdiff_t>(pipe));
  const auto& g = grammar();
  Match m = match(g.roots[static_cast<std::size_t>(view_)], command);
  if (m.error != ErrorKind::none && is_sub_view(view_)) {
    Match sys = match(g.roots[static_cast<std::size_t>(View::system)], command);
    if (sys.error == ErrorKind::none || sys.error_token > m.error_token) m = std::move(sys);
  }
  if (m.error != ErrorKind::none)
    return caret_error(partial.substr(0, tokens[pipe].offset), command, m);
  std::size_t after = tokens.size() - pipe - 1;
  auto line = [](std::string_view w, std::string_view h) {
    return "  " + std::string(w) + std::string(14 - w.size(), ' ') + std::string(h) + "\n";
  };
  std::string out;
  if (after == 0) {
    for (int i = 0; i < 3; ++i) out += line(kFilters[i], kFilterHelp[i]);
    return out;
  }
  Match bad;
  bad.error = ErrorKind::unrecognized;
  bad.error_token = pipe + 1;
  if (after == 1 && !new_word) {
    std::string prefix = lower(tokens.back().text);
    for (auto f : kFilters)
      if (f.compare(0, prefix.size(), prefix) == 0) out += "  " + std::string(f) + "\n";
    return out.empty() ? caret_error(partial, tokens, bad) : out;
  }
  int filter = filter_of(tokens[pipe + 1].text);
  if (filter < 0) {
    if (filter == -2) bad.error = ErrorKind::ambiguous;
    return caret_error(partial, tokens, bad);
  }
  if (after == 1) return line("TEXT", "Regular expression");
  return "  <cr>\n";
}

std::vector<std::string> Session::complete(const std::string& partial) const {
  auto tokens = normalise(partial);
  bool new_word = partial.empty() || std::isspace(static_cast<unsigned char>(partial.back()));
  std::string prefix;
  if (!new_word && !tokens.empty()) {
    prefix = lower(tokens.back().text);
    tokens.pop_back();
  }
  std::size_t pipe = pipe_token(tokens);
  if (pipe < tokens.size() && is_display(tokens)) {
    // Only the filter word completes; the regular expression is free text.
    std::vector<std::string> out;
    if (pipe + 1 == tokens.size())
      for (auto f : kFilters)
        if (f.compare(0, prefix.size(), prefix) == 0) out.emplace_back(f);
    return out;
  }
  std::vector<std::string> out;
  for (auto* n : next_nodes(reachable(tokens, nullptr)))
    if (n->kind == NodeKind::keyword && n->word.compare(0, prefix.size(), prefix) == 0)
      out.push_back(n->word);
  std::sort(out.begin(), out.end());
  return out;
}

// What `?` and Tab offer is what execute() accepts: the view's own commands and, in a
// sub-view, the system-view commands (execute falls back to them), the view's first when
// both have a word.
std::vector<const Node*> Session::reachable(const std::vector<Token>& tokens, Match* error) const {
  const auto& g = grammar();
  auto nodes = reach(g.roots[static_cast<std::size_t>(view_)], tokens, error);
  if (is_sub_view(view_)) {
    Match sys_error;
    auto sys = reach(g.roots[static_cast<std::size_t>(View::system)], tokens, &sys_error);
    if (nodes.empty() && sys.empty() && error && sys_error.error_token > error->error_token)
      *error = sys_error;
    nodes.insert(nodes.end(), sys.begin(), sys.end());
  }
  return nodes;
}

// ---- helpers ---------------------------------------------------------------------------

bool valid_name(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (c < 0x21 || c > 0x7e) return false;
    if (std::string_view("\\|/:*?<>\"").find(static_cast<char>(c)) != std::string_view::npos)
      return false;
  }
  return true;
}

bool valid_interface_name(std::string_view s) {
  if (s.empty() || s.size() > 15 || s == "." || s == "..") return false;
  for (unsigned char c : s)
    if (c < 0x21 || c > 0x7e || c == '/' || c == ':') return false;
  return true;
}

bool is_virtual_template_name(std::string_view s, std::uint16_t* number) {
  constexpr std::string_view kPrefix = "virtual-template";
  if (s.size() <= kPrefix.size() || lower(s.substr(0, kPrefix.size())) != kPrefix) return false;
  auto digits = s.substr(kPrefix.size());
  if (digits.size() > 4) return false;
  unsigned v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v > 1023) return false;
  if (number) *number = static_cast<std::uint16_t>(v);
  return true;
}

}  // namespace vpdnd::cli::lang

namespace vpdnd::cli {

std::unique_ptr<CommandSession> make_command_session(ShellContext& context, SessionOrigin origin,
                                                     std::string user) {
  return std::make_unique<lang::Session>(context, origin, std::move(user));
}

}  // namespace vpdnd::cli

namespace vpdnd::cli::lang {
Node& root(Grammar& g, View v) {
  return g.roots[static_cast<std::size_t>(v)];
}

std::vector<std::reference_wrapper<Node>> display_roots(Grammar& g) {
  std::vector<std::reference_wrapper<Node>> out;
  for (auto& r : g.roots) out.push_back(r.kw("display", "Display current system information"));
  return out;
}

void add_enable_flag(Node& view, Node& undo_root, std::initializer_list<KeywordHelp> words,
                     const char* enable_help, const char* disable_help, const char* key,
                     bool config::RunningConfig::*flag) {
  auto set = [key, flag](bool on) {
    return [key, flag, on](Call& call) {
      call.edit({config::ConfigSection::system, key}, [&](config::RunningConfig& c) {
        c.*flag = on;
        return std::string{};
      });
    };
  };
  Node* on = &view;
  Node* off = &undo_root;
  for (auto& w : words) {
    on = &on->kw(w.word, w.help);
    off = &off->kw(w.word, w.help);
  }
  on->kw("enable", enable_help).run(set(true));
  off->kw("enable", disable_help).run(set(false));
}
}  // namespace vpdnd::cli::lang
