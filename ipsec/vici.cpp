// VICI codec, swanctl.conf -> VICI requests, and the blocking client.
#include "ipsec/vici.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace vpdnd::ipsec::vici {
namespace {

enum ElementType : std::uint8_t {
  kSectionStart = 1,
  kSectionEnd = 2,
  kKeyValue = 3,
  kListStart = 4,
  kListItem = 5,
  kListEnd = 6,
};

void put_name(std::string& out, std::string_view name) {
  name = name.substr(0, 255);
  out += static_cast<char>(name.size());
  out += name;
}
void put_value(std::string& out, std::string_view v) {
  v = v.substr(0, 65535);
  out += static_cast<char>(v.size() >> 8);
  out += static_cast<char>(v.size() & 0xff);
  out += v;
}
void put(std::string& out, const Element& e) {
  switch (e.kind) {
    case Element::Kind::value:
      out += static_cast<char>(kKeyValue);
      put_name(out, e.name);
      put_value(out, e.value);
      break;
    case Element::Kind::list:
      out += static_cast<char>(kListStart);
      put_name(out, e.name);
      for (auto& i : e.items) {
        out += static_cast<char>(kListItem);
        put_value(out, i);
      }
      out += static_cast<char>(kListEnd);
      break;
    case Element::Kind::section:
      out += static_cast<char>(kSectionStart);
      put_name(out, e.name);
      for (auto& c : e.children) put(out, c);
      out += static_cast<char>(kSectionEnd);
      break;
  }
}

struct Reader {
  std::string_view b;
  std::size_t pos = 0;
  bool byte(std::uint8_t& v) {
    if (pos >= b.size()) return false;
    v = static_cast<std::uint8_t>(b[pos++]);
    return true;
  }
  bool name(std::string& s) {
    std::uint8_t n = 0;
    if (!byte(n) || b.size() - pos < n) return false;
    s.assign(b.substr(pos, n));
    pos += n;
    return true;
  }
  bool value(std::string& s) {
    std::uint8_t hi = 0, lo = 0;
    if (!byte(hi) || !byte(lo)) return false;
    std::size_t n = (std::size_t{hi} << 8) | lo;
    if (b.size() - pos < n) return false;
    s.assign(b.substr(pos, n));
    pos += n;
    return true;
  }
};

std::string trim(std::string_view s) {
  auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  auto last = s.find_last_not_of(" \t\r");
  return std::string(s.substr(first, last - first + 1));
}

// swanctl.conf keys whose comma-separated values VICI takes as lists.
bool list_key(const std::string& k) {
  static const char* kLists[] = {"local_addrs",  "remote_addrs", "proposals", "esp_proposals",
                                 "ah_proposals", "local_ts",     "remote_ts", "vips",
                                 "pools",        "certs",        "cacerts",   "pubkeys"};
  return std::any_of(std::begin(kLists), std::end(kLists), [&](const char* l) { return k == l; });
}

Element to_vici(const Element& e) {
  if (e.kind == Element::Kind::section) {
    Element s = section(e.name, {});
    for (auto& c : e.children) s.children.push_back(to_vici(c));
    return s;
  }
  if (e.kind == Element::Kind::value && list_key(e.name)) {
    std::vector<std::string> items;
    std::size_t pos = 0;
    while (pos <= e.value.size()) {
      auto comma = e.value.find(',', pos);
      if (comma == std::string::npos) comma = e.value.size();
      if (auto item = trim(std::string_view(e.value).substr(pos, comma - pos)); !item.empty())
        items.push_back(item);
      pos = comma + 1;
    }
    return list(e.name, std::move(items));
  }
  return e;
}

// swanctl's secret syntax: "0x" hex, else the text itself.
std::string secret_bytes(const std::string& v) {
  if (v.size() < 2 || v[0] != '0' || (v[1] != 'x' && v[1] != 'X')) return v;
  std::string out;
  for (std::size_t i = 2; i + 1 < v.size(); i += 2)
    out += static_cast<char>(std::stoi(v.substr(i, 2), nullptr, 16));
  return out;
}

}  // namespace

Element value(std::string name, std::string v) {
  Element e;
  e.kind = Element::Kind::value;
  e.name = std::move(name);
  e.value = std::move(v);
  return e;
}
Element list(std::string name, std::vector<std::string> items) {
  Element e;
  e.kind = Element::Kind::list;
  e.name = std::move(name);
  e.items = std::move(items);
  return e;
}
Element section(std::string name, std::vector<Element> children) {
  Element e;
  e.kind = Element::Kind::section;
  e.name = std::move(name);
  e.children = std::move(children);
  return e;
}
const Element* find(const Message& m, std::string_view name) {
  for (auto& e : m)
    if (e.name == name) return &e;
  return nullptr;
}

std::string encode_request(std::string_view command, const Message& message) {
  std::string body;
  body += static_cast<char>(kCmdRequest);
  put_name(body, command);
  for (auto& e : message) put(body, e);
  std::string out;
  std::uint32_t n = static_cast<std::uint32_t>(body.size());
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((n >> shift) & 0xff);
  return out + body;
}

std::optional<Message> decode_message(std::string_view bytes) {
  Reader r{bytes};
  std::vector<Message> stack(1);
  std::vector<std::string> names;
  std::optional<Element> open_list;
  while (r.pos < bytes.size()) {
    std::uint8_t type = 0;
    r.byte(type);
    if (open_list && type != kListItem && type != kListEnd) return std::nullopt;
    switch (type) {
      case kSectionStart: {
        std::string n;
        if (!r.name(n)) return std::nullopt;
        names.push_back(std::move(n));
        stack.emplace_back();
        break;
      }
      case kSectionEnd: {
        if (names.empty()) return std::nullopt;
        Element s = section(std::move(names.back()), std::move(stack.back()));
        names.pop_back();
        stack.pop_back();
        stack.back().push_back(std::move(s));
        break;
      }
      case kKeyValue: {
        std::string n, v;
        if (!r.name(n) || !r.value(v)) return std::nullopt;
        stack.back().push_back(value(std::move(n), std::move(v)));
        break;
      }
      case kListStart: {
        std::string n;
        if (!r.name(n)) return std::nullopt;
        open_list = list(std::move(n), {});
        break;
      }
      case kListItem: {
        std::string v;
        if (!open_list || !r.value(v)) return std::nullopt;
        open_list->items.push_back(std::move(v));
        break;
      }
      case kListEnd:
        if (!open_list) return std::nullopt;
        stack.back().push_back(std::move(*open_list));
        open_list.reset();
        break;
      default:
        return std::nullopt;
    }
  }
  if (!names.empty() || open_list) return std::nullopt;
  return std::move(stack.front());
}

std::optional<Message> parse_conf(std::string_view text) {
  std::vector<Message> stack(1);
  std::vector<std::string> names;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string line = trim(text.substr(pos, nl - pos));
    pos = nl + 1;
    if (line.empty() || line[0] == '#') continue;
    if (line == "}") {
      if (names.empty()) return std::nullopt;
      Element s = section(std::move(names.back()), std::move(stack.back()));
      names.pop_back();
      stack.pop_back();
      stack.back().push_back(std::move(s));
    } else if (line.back() == '{') {
      names.push_back(trim(std::string_view(line).substr(0, line.size() - 1)));
      stack.emplace_back();
    } else if (auto eq = line.find('='); eq != std::string::npos) {
      stack.back().push_back(value(trim(std::string_view(line).substr(0, eq)),
                                   trim(std::string_view(line).substr(eq + 1))));
    } else {
      return std::nullopt;
    }
  }
  if (!names.empty()) return std::nullopt;
  return std::move(stack.front());
}

std::vector<Request> load_requests(const Message& conf, const std::string& secret_prefix) {
  std::vector<Request> out;
  if (auto* conns = find(conf, "connections"))
    for (auto& c : conns->children)
      if (c.kind == Element::Kind::section) out.push_back({"load-conn", {to_vici(c)}, c.name});
  if (auto* secrets = find(conf, "secrets"))
    for (auto& s : secrets->children) {
      if (s.kind != Element::Kind::section) continue;
      std::string id = secret_prefix + s.name;
      Message m{value("id", id), value("type", "IKE")};
      std::vector<std::string> owners;
      for (auto& k : s.children) {
        if (k.name == "secret") m.push_back(value("data", secret_bytes(k.value)));
        if (k.name.rfind("id", 0) == 0) owners.push_back(k.value);
      }
      m.push_back(list("owners", std::move(owners)));
      out.push_back({"load-shared", std::move(m), id});
    }
  return out;
}

Client::Client(std::string uri, std::chrono::milliseconds timeout) : timeout_(timeout) {
  constexpr std::string_view kUnix = "unix://";
  path_ = uri.rfind(kUnix, 0) == 0 ? uri.substr(kUnix.size()) : uri;
}

Client::Result Client::call(std::string_view command, const Message& message) const {
  Result res;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.size() >= sizeof addr.sun_path) {
    res.error = "VICI socket path too long: " + path_;
    return res;
  }
  std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    res.error = std::strerror(errno);
    return res;
  }
  auto fail = [&](const std::string& what) {
    res.error = what + " " + path_ + ": " + (errno ? std::strerror(errno) : "closed");
    ::close(fd);
    return res;
  };
  errno = 0;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return fail("connecting to");
  auto deadline = std::chrono::steady_clock::now() + timeout_;
  auto wait = [&](short events) {
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        errno = ETIMEDOUT;
        return false;
      }
      pollfd p{fd, events, 0};
      int n = ::poll(&p, 1, static_cast<int>(left.count()));
      if (n > 0) return true;
      if (n < 0 && errno != EINTR) return false;
    }
  };
  std::string out = encode_request(command, message);
  for (std::size_t done = 0; done < out.size();) {
    if (!wait(POLLOUT)) return fail("writing to");
    ssize_t n = ::send(fd, out.data() + done, out.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("writing to");
    done += static_cast<std::size_t>(n);
  }
  auto read_exact = [&](std::string& buf, std::size_t n) {
    buf.resize(n);
    for (std::size_t done = 0; done < n;) {
      if (!wait(POLLIN)) return false;
      ssize_t got = ::recv(fd, buf.data() + done, n - done, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return false;
      done += static_cast<std::size_t>(got);
    }
    return true;
  };
  for (;;) {
    std::string len, packet;
    errno = 0;
    if (!read_exact(len, 4)) return fail("reading from");
    std::uint32_t n = 0;
    for (unsigned char c : len) n = (n << 8) | c;
    if (n == 0 || n > (1u << 22) || !read_exact(packet, n)) return fail("reading from");
    auto type = static_cast<std::uint8_t>(packet[0]);
    if (type == kEvent) continue;  // not registered for any: not ours to read
    ::close(fd);
    if (type == kCmdUnknown) {
      res.error = "charon does not know the VICI command " + std::string(command);
      return res;
    }
    if (type != kCmdResponse) {
      res.error = "unexpected packet type " + std::to_string(type);
      return res;
    }
    auto m = decode_message(std::string_view(packet).substr(1));
    if (!m) {
      res.error = "malformed response to " + std::string(command);
      return res;
    }
    res.response = std::move(*m);
    auto* success = find(res.response, "success");
    res.ok = !success || success->value != "no";
    if (!res.ok) {
      auto* msg = find(res.response, "errmsg");
      res.error = std::string(command) + ": " + (msg ? msg->value : "failed");
    }
    return res;
  }
}

}  // namespace vpdnd::ipsec::vici
