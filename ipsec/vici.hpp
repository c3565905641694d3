// DOC: strongSwan's VICI protocol, as far as vpdnd speaks it to a charon it did not start
// (--ipsec-attach): load and unload its own connections and pre-shared keys one by one,
// where `swanctl --load-all` would replace everything charon holds with vpdnd's file
// (it unloads every connection the file lacks and clears every credential first).
//
// The codec and the conversion of vpdnd's swanctl.conf are pure functions over bytes and
// text; Client is a blocking exchange over charon's Unix socket, for the driver's worker
// thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vpdnd::ipsec::vici {

// One element of a VICI message: a key/value, a list of values, or a section of elements.
struct Element {
  enum class Kind : std::uint8_t { value, list, section } kind = Kind::value;
  std::string name;
  std::string value;               // value
  std::vector<std::string> items;  // list
  std::vector<Element> children;   // section
  bool operator==(const Element&) const = default;
};
using Message = std::vector<Element>;

Element value(std::string name, std::string v);
Element list(std::string name, std::vector<std::string> items);
Element section(std::string name, std::vector<Element> children);
// The element named `name` at this level, or null.
const Element* find(const Message& m, std::string_view name);

// A CMD_REQUEST packet, its 32-bit length prefix included. Names longer than 255 bytes and
// values longer than 65535 are cut (vpdnd's own names and keys are far shorter).
std::string encode_request(std::string_view command, const Message& message);
// A packet's message elements (after its type byte, and name where the type has one);
// nullopt on bytes that are no well-formed message.
std::optional<Message> decode_message(std::string_view bytes);

enum PacketType : std::uint8_t {
  kCmdRequest = 0,
  kCmdResponse = 1,
  kCmdUnknown = 2,
  kEvent = 7,
};

// vpdnd's own swanctl.conf text (render_swanctl) -> its sections, values as written.
std::optional<Message> parse_conf(std::string_view text);

// The VICI requests that load what a parsed swanctl.conf holds: one `load-conn` per
// connection (comma-separated address, proposal and selector values as lists), one
// `load-shared` per secret, whose VICI id is `secret_prefix` + its section name.
struct Request {
  std::string command;
  Message message;
  std::string name;  // the connection's name, or the secret's VICI id
};
std::vector<Request> load_requests(const Message& conf, const std::string& secret_prefix);

// A blocking request/response exchange with charon's VICI socket.
class Client {
 public:
  struct Result {
    bool ok = false;  // answered, and `success` is not "no"
    std::string error;
    Message response;
  };
  // uri: "unix:///path"; each call connects, sends, reads the answer within `timeout`.
  Client(std::string uri, std::chrono::milliseconds timeout);
  Result call(std::string_view command, const Message& message) const;

 private:
  std::string path_;
  std::chrono::milliseconds timeout_;
};

}  // namespace vpdnd::ipsec::vici
