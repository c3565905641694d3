// Property: whatever sequence of commands an operator types (random walks over the real
// grammar, with random valid and boundary arguments), the running config printed by
// render_configuration loads back to the identical model with zero errors, and nothing
// crashes or throws on the way.
#include <random>

#include "cli/cli.hpp"
#include "cli/lang/session.hpp"
#include "fixture.hpp"
#include "startup-config/secret.hpp"

namespace vpdnd::cli::test {
namespace {

using lang::Node;
using lang::NodeKind;
using lang::View;

class Walker {
 public:
  explicit Walker(std::uint32_t seed) : rng_(seed) {}

  std::string command(const Node& root) {
    std::string line;
    const Node* n = &root;
    for (int depth = 0; depth < 20; ++depth) {
      std::vector<const Node*> next;
      for (auto& c : n->children)
        if (!skip(*c)) next.push_back(c.get());
      if (next.empty() || (n->action && depth > 0 && pick(3) == 0)) break;
      n = next[pick(next.size())];
      if (!line.empty()) line += ' ';
      line += token(*n);
    }
    return line;
  }

  std::size_t pick(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }

 private:
  // Operator commands are not configuration; `save` would wait for an answer.
  static bool skip(const Node& n) {
    static const char* words[] = {"save",     "quit",    "return",      "reset",        "debugging",
                                  "terminal", "display", "system-view", "screen-length"};
    if (n.kind != NodeKind::keyword) return false;
    for (auto* w : words)
      if (n.word == w) return true;
    return false;
  }

  std::string token(const Node& n) {
    switch (n.kind) {
      case NodeKind::keyword:
        return n.word;
      case NodeKind::integer: {
        std::int64_t choices[] = {
            n.lo, n.hi, n.lo + 1, (n.lo + n.hi) / 2,
            static_cast<std::int64_t>(std::uniform_int_distribution<std::int64_t>(
                n.lo, std::min<std::int64_t>(n.hi, n.lo + 5))(rng_))};
        return std::to_string(choices[pick(5)]);
      }
      case NodeKind::ipv4: {
        const char* a[] = {"10.0.0.1",    "10.0.0.2",      "10.0.0.9",
                           "192.168.0.1", "255.255.255.0", "1.1.1.1"};
        return a[pick(6)];
      }
      case NodeKind::character: {
        const char* c[] = {"@", "\\", "%", "#"};
        return c[pick(4)];
      }
      case NodeKind::string: {
        static const std::string cipher = config::encrypt_secret(config::Secret{"pw1"});
        std::vector<std::string> candidates = {"1",
                                               "corp.com",
                                               "LAC",
                                               "r1",
                                               "d1",
                                               "bob@corp.com",
                                               "123",
                                               "pw",
                                               cipher,
                                               "eth1",
                                               std::string(n.hi, 'x')};
        for (int tries = 0; tries < 20; ++tries) {
          auto& c = candidates[pick(candidates.size())];
          if (static_cast<std::int64_t>(c.size()) >= n.lo &&
              static_cast<std::int64_t>(c.size()) <= n.hi && (!n.check || n.check(c)))
            return c;
        }
        return "1";
      }
    }
    return "?";
  }

  std::mt19937 rng_;
};

class PropertyTest : public ShellTest {};

TEST_F(PropertyTest, RandomCommandSequencesAlwaysRoundTrip) {
  const std::pair<View, const char*> entries[] = {
      {View::system, nullptr},
      {View::l2tp_group, "l2tp-group 1"},
      {View::l2tp_group, "l2tp-group 2"},
      {View::virtual_template, "interface virtual-template 1"},
      {View::interface, "interface eth1"},
      {View::domain, "domain d1"},
      {View::domain, "domain system"},
      {View::local_user, "local-user bob@corp.com"},
      {View::radius, "radius scheme r1"},
      {View::vty, "user-interface vty 0 4"},
  };
  const auto& g = lang::grammar();
  for (std::uint32_t seed = 1; seed <= 40; ++seed) {
    reset_model();
    Walker w(seed);
    auto s = system_session();
    std::vector<std::string> typed;
    for (int i = 0; i < 150; ++i) {
      auto& [view, enter] = entries[w.pick(std::size(entries))];
      s->execute("return");
      s->execute("system-view");
      if (enter) {
        ASSERT_TRUE(s->execute(enter).ok) << enter;
      }
      std::string line = w.command(g.roots[static_cast<std::size_t>(view)]);
      typed.push_back((enter ? std::string(enter) + " / " : "") + line);
      ASSERT_NO_THROW(s->execute(line)) << line;
    }
    auto model = running();
    std::string printed = render_configuration(model);
    reset_model();
    auto errors = load_text(printed);
    std::string history;
    for (auto& t : typed) history += t + "\n";
    ASSERT_TRUE(errors.empty()) << "seed " << seed << ": " << errors.front() << "\n" << printed;
    ASSERT_TRUE(running() == model) << "seed " << seed << "\n"
                                    << printed << "\nreloaded:\n"
                                    << render_configuration(running()) << "\nhistory:\n"
                                    << history;
    EXPECT_EQ(render_configuration(running()), printed);
  }
}

// Garbage and cut-off lines at every view: execute, `?` and Tab answer without throwing,
// and `?`/Tab on any prefix of a real command never fails to parse what came before.
TEST_F(PropertyTest, GarbageAndPrefixesNeverBreakTheSession) {
  std::mt19937 rng(777);
  const char* entries[] = {"l2tp-group 1",           "interface virtual-template 1",
                           "interface eth1",         "domain d1",
                           "local-user u1",          "radius scheme r1",
                           "user-interface vty 0 4", "quit"};
  const auto& g = lang::grammar();
  Walker w(99);
  auto s = system_session();
  for (int i = 0; i < 2000; ++i) {
    s->execute("return");
    s->execute("system-view");
    s->execute(entries[i % std::size(entries)]);
    std::string junk;
    std::size_t len = std::uniform_int_distribution<std::size_t>(0, 40)(rng);
    for (std::size_t k = 0; k < len; ++k)
      junk += static_cast<char>(std::uniform_int_distribution<int>(1, 127)(rng));
    ASSERT_NO_THROW(s->execute(junk));
    ASSERT_NO_THROW(s->help(junk));
    ASSERT_NO_THROW(s->complete(junk));
    std::string line = w.command(g.roots[static_cast<std::size_t>(View::system)]);
    std::size_t cut = std::uniform_int_distribution<std::size_t>(0, line.size())(rng);
    std::string prefix = line.substr(0, cut);
    // Everything before the last word parsed, so `?` never answers with an error caret.
    auto space = prefix.rfind(' ');
    if (space != std::string::npos && s->prompt()[0] == '[') {  // user view has no system commands
      std::string h = s->help(prefix.substr(0, space + 1));
      EXPECT_EQ(h.find("% "), std::string::npos) << prefix << "\n" << h;
    }
  }
  EXPECT_TRUE(running().domains.count("system"));
}

}  // namespace
}  // namespace vpdnd::cli::test
