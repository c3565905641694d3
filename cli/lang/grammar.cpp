#include "cli/lang/grammar.hpp"

#include <algorithm>
#include <cctype>

#include "common/enum_names.hpp"
#include "common/ipv4.hpp"

namespace vpdnd::cli::lang {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

namespace {

bool accepts(const Node& n, std::string_view tok) {
  switch (n.kind) {
    case NodeKind::keyword:
      return false;
    case NodeKind::integer: {
      if (tok.empty() || tok.size() > 10) return false;
      std::int64_t v = 0;
      for (char c : tok) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
      }
      return v >= n.lo && v <= n.hi;
    }
    case NodeKind::string:
      if (static_cast<std::int64_t>(tok.size()) < n.lo ||
          static_cast<std::int64_t>(tok.size()) > n.hi)
        return false;
      return !n.check || n.check(tok);
    case NodeKind::ipv4:
      return Ipv4::parse(tok).has_value();
    case NodeKind::character:
      return tok.size() == 1 && (!n.check || n.check(tok));
  }
  return false;
}

class Walker {
 public:
  Walker(const std::vector<Token>& tokens, bool reach_mode) : t_(tokens), reach_mode_(reach_mode) {}

  bool walk(const Node& node, std::size_t i) {
    if (i == t_.size()) {
      if (reach_mode_) {
        reached_.push_back(&node);
        return false;
      }
      if (node.action) {
        result_.error = ErrorKind::none;
        result_.node = &node;
        result_.args = captured_;
        return true;
      }
      fail(ErrorKind::incomplete, i);
      return false;
    }
    if (node.children.empty()) {
      fail(ErrorKind::too_many, i);
      return false;
    }
    const std::string tok = lower(t_[i].text);
    const Node* exact = nullptr;
    std::vector<const Node*> prefixed;
    bool has_args = false;
    for (auto& c : node.children) {
      if (c->kind != NodeKind::keyword) {
        has_args = true;
        continue;
      }
      if (c->word == tok)
        exact = c.get();
      else if (c->word.compare(0, tok.size(), tok) == 0)
        prefixed.push_back(c.get());
    }
    std::vector<const Node*> keywords;
    if (exact)
      keywords.push_back(exact);
    else if (prefixed.size() == 1)
      keywords = prefixed;
    else if (prefixed.size() > 1) {
      // An alias never makes a real keyword ambiguous.
      std::vector<const Node*> visible;
      for (auto* p : prefixed)
        if (!p->hidden) visible.push_back(p);
      if (visible.size() == 1)
        keywords = visible;
      else
        fail(ErrorKind::ambiguous, i);
    }
    for (const Node* k : keywords) {
      if (!k->key.empty()) captured_.push_back({k->key, k->word});
      bool done = walk(*k, i + 1);
      if (!k->key.empty()) captured_.pop_back();
      if (done) return true;
    }
    for (auto& c : node.children) {
      if (c->kind == NodeKind::keyword) continue;
      if (!accepts(*c, t_[i].text)) {
        fail(ErrorKind::wrong_parameter, i);
        continue;
      }
      captured_.push_back({c->key, t_[i].text});
      bool done = walk(*c, i + 1);
      captured_.pop_back();
      if (done) return true;
    }
    if (keywords.empty() && !has_args && prefixed.size() <= 1) fail(ErrorKind::unrecognized, i);
    return false;
  }

  Match result_;
  std::vector<const Node*> reached_;

 private:
  void fail(ErrorKind k, std::size_t i) {
    // The deepest failure is the one the operator needs to see; on a tie the first wins.
    if (!have_error_ || i > result_.error_token) {
      have_error_ = true;
      result_.error = k;
      result_.error_token = i;
    }
  }

  const std::vector<Token>& t_;
  bool reach_mode_;
  bool have_error_ = false;
  std::vector<Captured> captured_;
};

// A child of `parent`: `kind`, shown as `word`, capturing as `key`. An existing child that is
// the same (a keyword with that word, an argument of that kind and key) is returned instead,
// so the trees that several registrations build merge.
Node& child(Node& parent, NodeKind kind, std::string word, std::string_view help,
            std::string_view key, std::int64_t lo = 0, std::int64_t hi = 0,
            std::function<bool(std::string_view)> check = {}) {
  for (auto& c : parent.children)
    if (c->kind == kind && (kind == NodeKind::keyword ? c->word == word : c->key == key)) return *c;
  auto n = std::make_unique<Node>();
  n->kind = kind;
  n->word = std::move(word);
  n->help = std::string(help);
  n->key = std::string(key);
  n->lo = lo;
  n->hi = hi;
  n->check = std::move(check);
  parent.children.push_back(std::move(n));
  return *parent.children.back();
}

}  // namespace

Node& Node::kw(std::string_view w, std::string_view h, std::string_view k) {
  return child(*this, NodeKind::keyword, std::string(w), h, k);
}

Node& Node::integer(std::string_view k, std::int64_t lo_, std::int64_t hi_, std::string_view h) {
  return child(*this, NodeKind::integer,
               "INTEGER<" + std::to_string(lo_) + "-" + std::to_string(hi_) + ">", h, k, lo_, hi_);
}

Node& Node::string(std::string_view k, std::int64_t min_len, std::int64_t max_len,
                   std::string_view h, std::function<bool(std::string_view)> chk) {
  return child(*this, NodeKind::string,
               "STRING<" + std::to_string(min_len) + "-" + std::to_string(max_len) + ">", h, k,
               min_len, max_len, std::move(chk));
}

Node& Node::ipv4(std::string_view k, std::string_view h) {
  return child(*this, NodeKind::ipv4, "X.X.X.X", h, k);
}

Node& Node::character(std::string_view k, std::string_view h,
                      std::function<bool(std::string_view)> chk) {
  return child(*this, NodeKind::character, "CHAR", h, k, 0, 0, std::move(chk));
}

std::string_view error_text(ErrorKind k) {
  static constexpr std::string_view kTexts[] = {
      "", "Unrecognized", "Incomplete", "Ambiguous", "Too many parameters", "Wrong parameter"};
  return enum_name<ErrorKind::none, ErrorKind::wrong_parameter>(k, kTexts, "");
}

std::vector<Token> tokenize(std::string_view line) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i >= line.size()) break;
    std::size_t start = i;
    while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    out.push_back({std::string(line.substr(start, i - start)), start});
  }
  return out;
}

Match match(const Node& root, const std::vector<Token>& tokens) {
  Walker w(tokens, false);
  if (!w.walk(root, 0) && w.result_.error == ErrorKind::none)
    w.result_.error = ErrorKind::incomplete;  // empty line on a root without action
  return w.result_;
}

std::vector<const Node*> reach(const Node& root, const std::vector<Token>& tokens, Match* error) {
  Walker w(tokens, true);
  w.walk(root, 0);
  if (w.reached_.empty() && error) *error = w.result_;
  return w.reached_;
}

std::vector<const Node*> next_nodes(const std::vector<const Node*>& nodes) {
  std::vector<const Node*> out;
  for (const Node* n : nodes)
    for (auto& c : n->children) {
      if (c->hidden) continue;
      bool dup = std::any_of(out.begin(), out.end(), [&](const Node* o) {
        return o->kind == c->kind && o->word == c->word;
      });
      if (!dup) out.push_back(c.get());
    }
  return out;
}

}  // namespace vpdnd::cli::lang
