// DOC: the command grammar engine (internal to cli/lang). A view's commands are a tree of
// keyword and argument nodes (data) with a one-line help each; a node with an
// action completes a command (`<cr>`). The matcher gives unique-prefix abbreviation,
// backtracking between a keyword and an argument at the same position (`domain de` is the
// domain "de", not `domain default`), and the five Comware errors at the deepest token that
// failed. Trees are built once and are immutable afterwards, so sessions on any thread
// share them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vpdnd::cli::lang {

class Call;
using Action = std::function<void(Call&)>;

enum class NodeKind { keyword, integer, string, ipv4, character };

struct Node {
  NodeKind kind = NodeKind::keyword;
  std::string word;  // keyword, or the argument's display form "INTEGER<1-65535>"
  std::string help;
  std::string key;                              // capture key (arguments always; keywords when set)
  std::int64_t lo = 0, hi = 0;                  // integer range, or string length range
  std::function<bool(std::string_view)> check;  // extra check of a string argument
  std::vector<std::unique_ptr<Node>> children;
  Action action;        // set: the command may end here
  bool hidden = false;  // not listed by `?` / Tab (aliases)

  // Builders. kw() finds an existing keyword child (so trees merge), arguments likewise by
  // kind and key.
  Node& kw(std::string_view word, std::string_view help, std::string_view key = {});
  Node& integer(std::string_view key, std::int64_t lo, std::int64_t hi, std::string_view help);
  Node& string(std::string_view key, std::int64_t min_len, std::int64_t max_len,
               std::string_view help, std::function<bool(std::string_view)> check = {});
  Node& ipv4(std::string_view key, std::string_view help);
  Node& character(std::string_view key, std::string_view help,
                  std::function<bool(std::string_view)> check = {});
  Node& run(Action a) {
    action = std::move(a);
    return *this;
  }
};

enum class ErrorKind { none, unrecognized, incomplete, ambiguous, too_many, wrong_parameter };
std::string_view error_text(ErrorKind k);  // "Unrecognized", "Incomplete", ...

struct Token {
  std::string text;
  std::size_t offset = 0;  // in the line
};
std::vector<Token> tokenize(std::string_view line);
// ASCII lower case (keywords and names compare so).
std::string lower(std::string_view s);
// ASCII upper case (a keyword as Comware displays it: "aes-cbc-128" -> "AES-CBC-128").
std::string upper(std::string_view s);

struct Captured {
  std::string key;
  std::string value;
};

struct Match {
  ErrorKind error = ErrorKind::none;
  std::size_t error_token = 0;  // index into the tokens; == size(): end of line
  const Node* node = nullptr;   // on success: the node with the action
  std::vector<Captured> args;
};

// Matches all tokens against the children of `root`.
Match match(const Node& root, const std::vector<Token>& tokens);

// Every node reachable by consuming all of `tokens` (several when backtracking allows more
// than one reading); empty with `error` set when none.
std::vector<const Node*> reach(const Node& root, const std::vector<Token>& tokens, Match* error);

// The children of `nodes` a token could continue with: visible, deduplicated by word.
std::vector<const Node*> next_nodes(const std::vector<const Node*>& nodes);

}  // namespace vpdnd::cli::lang
