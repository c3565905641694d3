// DOC: internal to cli/lang: the session (views, prompts, execute/help/complete), the call
// context an action sees, and the per-view grammar roots. Actions run on the session's
// terminal thread and touch the running config only inside context.engine.call().
#pragma once

#include <array>
#include <deque>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "cli/cli.hpp"
#include "cli/lang/grammar.hpp"

namespace vpdnd::cli::lang {

enum class View {
  user,
  system,
  l2tp_group,
  virtual_template,
  interface,
  domain,
  local_user,
  radius,
  vty,
  public_key,             // `public-key peer NAME`
  key_code,               // `public-key-code begin` inside it
  dae,                    // radius dynamic-author server
  foreign,                // a Comware view vpdnd does not implement (`vlan 1`): its lines are kept
  ike_proposal,           // `ike proposal N`
  ike_keychain,           // `ike keychain NAME`
  ike_profile,            // `ike profile NAME`
  ipsec_transform_set,    // `ipsec transform-set NAME`
  ipsec_policy_template,  // `ipsec policy-template NAME N` (object "NAME N")
  ipsec_policy,           // `ipsec policy NAME N isakmp` (object "NAME N")
  count
};

class Session;

// Comware commands vpdnd knows but does not apply (kept.cpp).
enum class KnownKind { line, block, banner };
struct Known {
  KnownKind kind;
  bool system_level;  // a system-view command typed in a sub-view (it leaves the view)
};
// The curated entry the tokens start with in `view` (or in system view), if any.
std::optional<Known> known_not_applicable(View view, const std::vector<Token>& tokens);
// The RunningConfig::kept key of a view's block ("" for user and system view).
std::string kept_key(View view, const std::string& object);
// The line's words joined by single spaces.
std::string canonical_line(std::string_view line);

// What an action gets: the captured arguments, the session, and where to write.
class Call {
 public:
  // A warning (the command still ran): printed on a terminal, reported by the file loader.
  void warn(std::string_view text);
  std::vector<std::string> warnings;

  Call(Session& s, std::vector<Captured> args) : session(s), args_(std::move(args)) {}
  Session& session;

  bool has(std::string_view key) const;
  std::string get(std::string_view key) const;  // first value, "" when absent
  std::vector<std::string> all(std::string_view key) const;
  std::uint32_t number(std::string_view key) const;  // an INTEGER argument (validated)

  void print(std::string_view text);  // appends a line
  void error(std::string_view text);  // a command error: printed, ok=false
  // Edits the running config on the protocol thread, as one ConfigStore transaction: `fn`
  // validates and changes a candidate copy and returns an error text or "". Only an
  // accepted candidate replaces the running config (then `change` is published); after an
  // error or an exception the running config is as it was.
  void edit(config::ConfigChange change,
            const std::function<std::string(config::RunningConfig&)>& fn);
  // Reads on the protocol thread.
  config::RunningConfig snapshot() const;

  std::string output;
  bool failed = false;
  bool close = false;
  std::function<ExecResult(const std::string&)> question;  // set: ask and wait for the answer

 private:
  std::vector<Captured> args_;
};

struct Grammar {
  std::array<Node, static_cast<std::size_t>(View::count)> roots;
};
const Grammar& grammar();

// Registration, one file per group of views.
void register_system(Grammar& g);
void register_l2tp(Grammar& g);
void register_interfaces(Grammar& g);
void register_aaa(Grammar& g);
void register_device(Grammar& g);
void register_ssh(Grammar& g);
void register_operator(Grammar& g);
void register_system_info(Grammar& g);
void register_pppoe_server(Grammar& g);       // commands_pppoe_server.cpp
void register_l2tp_statistics(Grammar& g);    // commands_l2tp_statistics.cpp
void register_interface_display(Grammar& g);  // commands_interface_display.cpp
void register_routing(Grammar& g);            // commands_routing.cpp
void register_logbuffer(Grammar& g);          // commands_logbuffer.cpp
void register_dae(Grammar& g);
void register_ipsec(Grammar& g);  // commands_ipsec.cpp
void register_snmp(Grammar& g);   // commands_snmp.cpp
// commands_snmp.cpp: the `snmp-agent ...` lines of the configuration (system level).
std::vector<std::string> snmp_block(const config::RunningConfig& c);
// commands_ipsec.cpp: the IKE/IPsec views' blocks.
std::vector<std::vector<std::string>> ipsec_blocks(const config::RunningConfig& c);
// commands_ipsec.cpp: the CLI keyword of an IKE algorithm ("aes-cbc-128", "sha256").
const char* keyword(config::IkeCipher c);
const char* keyword(config::IkeHash h);
const char* keyword(config::EspCipher c);
const char* keyword(config::EspHash h);
std::vector<std::string> ipsec_view_block(const config::RunningConfig& c, View v,
                                          const std::string& object);

class Session final : public CommandSession {
 public:
  Session(ShellContext& context, SessionOrigin origin, std::string user);

  std::string prompt() const override;
  ExecResult execute(const std::string& line) override;
  std::string help(const std::string& partial) const override;
  std::vector<std::string> complete(const std::string& partial) const override;
  const TerminalSettings& terminal() const override { return terminal_; }
  void set_live_output(LiveOutput live) override { live_ = std::move(live); }
  const LiveOutput& live_output() const { return live_; }

  // For actions.
  ShellContext& context() { return context_; }
  SessionOrigin origin() const { return origin_; }
  View view() const { return view_; }
  const std::string& object() const { return object_; }
  const std::string& user() const { return user_; }  // who logged in (telnet scheme login)
  void enter(View v, std::string object = {}) {
    view_ = v;
    object_ = std::move(object);
  }
  TerminalSettings& mutable_terminal() { return terminal_; }
  void set_sysname(std::string name) { sysname_ = std::move(name); }
  // The commands this terminal ran, oldest first, as typed (`display history-command`).
  static constexpr std::size_t kHistorySize = 10;
  const std::deque<std::string>& history() const { return history_; }
  // The key code typed so far in the key-code view (hex, spaces removed).
  std::string& key_code() { return key_code_; }

 private:
  std::string caret_error(const std::string& line, const std::vector<Token>& tokens,
                          const Match& m) const;
  std::vector<Token> normalise(const std::string& line) const;
  std::vector<const Node*> reachable(const std::vector<Token>& tokens, Match* error) const;
  std::string filter_help(const std::string& partial, const std::vector<Token>& tokens,
                          std::size_t pipe, bool new_word) const;
  // A line of a known but not applicable Comware command (or of a foreign view): kept in
  // RunningConfig::kept under `key`, with a warning.
  ExecResult keep(const std::string& key, const std::string& text, bool as_line = true);
  std::optional<ExecResult> keep_known(const std::string& line, const std::vector<Token>& tokens);
  ExecResult continue_banner(const std::string& line);

  ShellContext& context_;
  SessionOrigin origin_;
  std::string user_;
  View view_;
  std::string object_;
  TerminalSettings terminal_;
  std::string sysname_ = "VPDN";
  std::function<ExecResult(const std::string&)> pending_;
  std::deque<std::string> history_;
  std::string key_code_;
  // A `header` banner being read: its text so far and the delimiter that ends it.
  std::string banner_;
  char banner_delim_ = 0;
  LiveOutput live_;
};

// Runs `f(operations)` on the protocol thread and returns what it returns.
template <class F>
auto on_engine(Call& call, F&& f) {
  auto& ctx = call.session.context();
  return ctx.engine.call([&] { return f(ctx.operations); });
}

// `{simple PW | cipher CIPHER}` under `parent`, each ending in `act`; secret_from() reads it.
void add_secret_args(Node& parent, const Action& act, std::int64_t max_simple = 63);
config::Secret secret_from(const Call& call);

// The table of RunningConfig a view's object lives in (`l2tp-group 3`: l2tp_groups[3]), for
// the commands typed inside that view.
template <class Table>
struct ObjectTable {
  using Object = typename Table::mapped_type;
  config::ConfigSection section;
  Table config::RunningConfig::*table;
  const char* what;  // "L2TP group ": "Error: L2TP group 3 no longer exists."

  // Edits the session's object with fn(Object&) or fn(Object&, RunningConfig&), which
  // returns "" or an error; fails if another terminal removed the object meanwhile.
  template <class Fn>
  void edit(Call& call, Fn&& fn) const {
    const std::string key = call.session.object();
    const auto k = key_of(key);
    call.edit({section, key}, [&](config::RunningConfig& c) -> std::string {
      auto it = (c.*table).find(k);
      if (it == (c.*table).end()) return std::string("Error: ") + what + key + " no longer exists.";
      if constexpr (std::is_invocable_v<Fn&, Object&, config::RunningConfig&>)
        return fn(it->second, c);
      else
        return fn(it->second);
    });
  }
  // An action applying `fn(Object&)`, a change that cannot fail, to the object.
  template <class Fn>
  Action apply(Fn fn) const {
    return [*this, fn](Call& call) {
      edit(call, [&](Object& o) {
        fn(o);
        return std::string();
      });
    };
  }
  // An action setting `field` of the object to the INTEGER argument `key`.
  template <class Field>
  Action set_number(Field Object::*field, const char* key) const {
    return [*this, field, key](Call& call) {
      auto v = static_cast<Field>(call.number(key));
      edit(call, [&](Object& o) {
        o.*field = v;
        return std::string();
      });
    };
  }
  // An action setting the string `field` of the object to the argument `key`.
  Action set_text(std::string Object::*field, const char* key) const {
    return [*this, field, key](Call& call) {
      std::string v = call.get(key);
      edit(call, [&](Object& o) {
        o.*field = std::move(v);
        return std::string();
      });
    };
  }
  // An action setting the Secret `field` of the object from add_secret_args' arguments.
  Action set_secret(config::Secret Object::*field) const {
    return [*this, field](Call& call) {
      auto secret = secret_from(call);
      edit(call, [&](Object& o) {
        o.*field = secret;
        return std::string();
      });
    };
  }
  // An action setting `field` of the object to `value` (a default, a flag).
  template <class Field, class V>
  Action set_value(Field Object::*field, V value) const {
    return [*this, field, value](Call& call) {
      edit(call, [&](Object& o) {
        o.*field = value;
        return std::string();
      });
    };
  }
  // An action resetting `field` of the object to its empty value (`undo ...`).
  template <class Field>
  Action reset(Field Object::*field) const {
    return set_value(field, Field{});
  }
  // An action removing the object the argument `arg` names (`undo radius scheme NAME`).
  Action remove(const char* arg) const {
    return [*this, arg](Call& call) {
      const auto k = key_of(call.get(arg));
      const std::string key = text_of(k);
      call.edit({section, key, true}, [&](config::RunningConfig& c) -> std::string {
        if (!(c.*table).erase(k)) return std::string("Error: ") + what + key + " does not exist.";
        return {};
      });
    };
  }
  // An action creating the object the argument `arg` names unless it exists (with that
  // name) and entering its view (`radius scheme NAME`).
  Action enter(View view, const char* arg) const {
    return [*this, view, arg](Call& call) {
      const auto k = key_of(call.get(arg));
      const std::string key = text_of(k);
      call.edit({section, key}, [&](config::RunningConfig& c) {
        if (!(c.*table).count(k)) (c.*table)[k].name = key;
        return std::string();
      });
      if (!call.failed) call.session.enter(view, key);
    };
  }

 private:
  using Key = typename Table::key_type;
  static Key key_of(const std::string& text) {
    if constexpr (std::is_integral_v<Key>)
      return static_cast<Key>(std::stoul(text));
    else
      return text;
  }
  static std::string text_of(const Key& k) {
    if constexpr (std::is_integral_v<Key>)
      return std::to_string(k);
    else
      return k;
  }
};
template <class Table>
ObjectTable(config::ConfigSection, Table config::RunningConfig::*, const char*)
    -> ObjectTable<Table>;

// `WORDS enable` and `undo WORDS enable` in `view` (undo: `undo_root`), turning a system-wide
// flag of the running config on and off; `key` names it in the ConfigChange.
struct KeywordHelp {
  const char* word;
  const char* help;
};
void add_enable_flag(Node& view, Node& undo_root, std::initializer_list<KeywordHelp> words,
                     const char* enable_help, const char* disable_help, const char* key,
                     bool config::RunningConfig::*flag);

// `interface Virtual-TemplateN` (commands_interfaces.cpp).
void vt_edit(Call& call, const std::function<std::string(config::VirtualTemplate&)>& fn);

// The warning for a Comware interface with configuration but no `linux-interface`.
std::string unmapped_warning(const std::string& comware_name);

// Helpers shared by the registration files.
bool valid_name(std::string_view s);            // printable, no space, none of \ | / : * ? < > "
bool valid_interface_name(std::string_view s);  // a Linux interface name
bool is_virtual_template_name(std::string_view s, std::uint16_t* number);  // "Virtual-Template1"
Node& root(Grammar& g, View v);
// The `display` keyword of every view (display commands work in any view).
std::vector<std::reference_wrapper<Node>> display_roots(Grammar& g);
// `ip pool NAME START [END]` and its undo, in system view or (V5) domain view.
void add_ip_pool_commands(Node& view_root, bool in_domain);
// The `display this` block of the view the session is in.
std::string render_view_block(const config::RunningConfig& c, View v, const std::string& object);

}  // namespace vpdnd::cli::lang
