#include "cli/lang/session.hpp"

#include <algorithm>
#include <cctype>
#include <exception>
#include <map>

namespace vpdnd::cli::lang {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Whole-word aliases of other dialects (IOS-style habits).
const std::map<std::string, std::string>& aliases() {
  static const std::map<std::string, std::string> table = {
      {"show", "display"}, {"no", "undo"},     {"exit", "quit"},
      {"end", "return"},   {"write", "save"},  {"hostname", "sysname"},
  };
  return table;
}

bool is_sub_view(View v) { return v != View::user && v != View::system; }

}  // namespace

// ---- Call ------------------------------------------------------------------------------

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
  output.append(text);
  if (!text.empty() && text.back() != '\n') output.push_back('\n');
}

void Call::error(std::string_view text) {
  failed = true;
  print(text);
}

void Call::edit(config::ConfigChange change,
                const std::function<std::string(config::RunningConfig&)>& fn) {
  auto& ctx = session.context();
  std::string err = ctx.engine.call([&] {
    std::string e = fn(ctx.store.mutable_running());
    if (e.empty()) ctx.store.notify(change);
    return e;
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
    register_operator(built);
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
  if (origin_ == SessionOrigin::telnet) terminal_.screen_length = vty_length;
  if (origin_ == SessionOrigin::file) terminal_.screen_length = 0;
}

std::string Session::prompt() const {
  switch (view_) {
    case View::user: return "<" + sysname_ + ">";
    case View::system: return "[" + sysname_ + "]";
    case View::l2tp_group: return "[" + sysname_ + "-l2tp" + object_ + "]";
    case View::virtual_template: return "[" + sysname_ + "-Virtual-Template" + object_ + "]";
    case View::interface: return "[" + sysname_ + "-" + object_ + "]";
    case View::domain: return "[" + sysname_ + "-isp-" + object_ + "]";
    case View::local_user: return "[" + sysname_ + "-luser-" + object_ + "]";
    case View::radius: return "[" + sysname_ + "-radius-" + object_ + "]";
    case View::vty: return "[" + sysname_ + "-ui-vty" + object_ + "]";
    case View::count: break;
  }
  return "[" + sysname_ + "]";
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
    std::string where = token.empty() ? "at end of line" : "at '" + token + "' (column " +
                                                                std::to_string(column + 1) + ")";
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
  auto first = line.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  if (line[first] == '#') {
    // In a file a bare `#` closes the block it follows (the printer separates blocks so),
    // which keeps a global command after a view block out of that view.
    if (origin_ == SessionOrigin::file && line.find_first_not_of(" \t\r\n", first + 1) == std::string::npos &&
        is_sub_view(view_))
      enter(View::system);
    return {};
  }

  auto tokens = normalise(line);
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
  if (m.error != ErrorKind::none) {
    ExecResult r;
    r.ok = false;
    r.output = caret_error(line, tokens, m);
    return r;
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
  std::string prefix;
  if (!new_word && !tokens.empty()) {
    prefix = lower(tokens.back().text);
    tokens.pop_back();
  }
  const auto& g = grammar();
  Match err;
  auto nodes = reach(g.roots[static_cast<std::size_t>(view_)], tokens, &err);
  if (nodes.empty() && is_sub_view(view_) && !tokens.empty())
    nodes = reach(g.roots[static_cast<std::size_t>(View::system)], tokens, nullptr);
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
  bool complete = std::any_of(nodes.begin(), nodes.end(), [](const Node* n) { return bool(n->action); });
  if (complete) out += "  <cr>\n";
  return out;
}

std::vector<std::string> Session::complete(const std::string& partial) const {
  auto tokens = normalise(partial);
  bool new_word = partial.empty() || std::isspace(static_cast<unsigned char>(partial.back()));
  std::string prefix;
  if (!new_word && !tokens.empty()) {
    prefix = lower(tokens.back().text);
    tokens.pop_back();
  }
  const auto& g = grammar();
  auto nodes = reach(g.roots[static_cast<std::size_t>(view_)], tokens, nullptr);
  if (nodes.empty() && is_sub_view(view_) && !tokens.empty())
    nodes = reach(g.roots[static_cast<std::size_t>(View::system)], tokens, nullptr);
  auto words = [&](const std::vector<const Node*>& from) {
    std::vector<std::string> out;
    for (auto* n : next_nodes(from))
      if (n->kind == NodeKind::keyword && n->word.compare(0, prefix.size(), prefix) == 0)
        out.push_back(n->word);
    std::sort(out.begin(), out.end());
    return out;
  };
  auto out = words(nodes);
  // A system-view command typed in a sub-view runs there (see execute): complete it too.
  if (out.empty() && is_sub_view(view_))
    out = words(reach(g.roots[static_cast<std::size_t>(View::system)], tokens, nullptr));
  return out;
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
Node& root(Grammar& g, View v) { return g.roots[static_cast<std::size_t>(v)]; }
}  // namespace vpdnd::cli::lang
