// charon's SA list (swanctl --list-sas --pretty) -> IkeSa, and the guard decision.
#include <algorithm>
#include <charconv>

#include "ipsec/ipsec.hpp"

namespace vpdnd::ipsec {
namespace {

std::string_view trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e + 1 - b);
}

template <class T>
T number(std::string_view v) {
  T out{};
  std::from_chars(v.data(), v.data() + v.size(), out);
  return out;
}

void set_ike(IkeSa& sa, std::string_view k, std::string_view v) {
  std::string s(v);
  if (k == "uniqueid")
    sa.uniqueid = number<std::uint32_t>(v);
  else if (k == "version")
    sa.version = number<std::uint32_t>(v);
  else if (k == "state")
    sa.state = s;
  else if (k == "local-host")
    sa.local_host = s;
  else if (k == "local-port")
    sa.local_port = number<std::uint16_t>(v);
  else if (k == "local-id")
    sa.local_id = s;
  else if (k == "remote-host")
    sa.remote_host = s;
  else if (k == "remote-port")
    sa.remote_port = number<std::uint16_t>(v);
  else if (k == "remote-id")
    sa.remote_id = s;
  else if (k == "initiator")
    sa.initiator = v == "yes";
  else if (k == "initiator-spi")
    sa.initiator_spi = s;
  else if (k == "responder-spi")
    sa.responder_spi = s;
  else if (k == "nat-local")
    sa.nat_local = v == "yes";
  else if (k == "nat-remote")
    sa.nat_remote = v == "yes";
  else if (k == "encr-alg")
    sa.encr_alg = s;
  else if (k == "encr-keysize")
    sa.encr_keysize = number<std::uint32_t>(v);
  else if (k == "integ-alg")
    sa.integ_alg = s;
  else if (k == "prf-alg")
    sa.prf_alg = s;
  else if (k == "dh-group")
    sa.dh_group = s;
  else if (k == "established")
    sa.established = number<std::uint32_t>(v);
  else if (k == "rekey-time")
    sa.rekey_time = number<std::uint32_t>(v);
  else if (k == "reauth-time")
    sa.reauth_time = number<std::uint32_t>(v);
}

void set_child(ChildSa& c, std::string_view k, std::string_view v) {
  std::string s(v);
  if (k == "name")
    c.name = s;
  else if (k == "uniqueid")
    c.uniqueid = number<std::uint32_t>(v);
  else if (k == "state")
    c.state = s;
  else if (k == "mode")
    c.mode = s;
  else if (k == "protocol")
    c.protocol = s;
  else if (k == "encap")
    c.encap = v == "yes";
  else if (k == "spi-in")
    c.spi_in = s;
  else if (k == "spi-out")
    c.spi_out = s;
  else if (k == "encr-alg")
    c.encr_alg = s;
  else if (k == "encr-keysize")
    c.encr_keysize = number<std::uint32_t>(v);
  else if (k == "integ-alg")
    c.integ_alg = s;
  else if (k == "dh-group")
    c.dh_group = s;
  else if (k == "bytes-in")
    c.bytes_in = number<std::uint64_t>(v);
  else if (k == "packets-in")
    c.packets_in = number<std::uint64_t>(v);
  else if (k == "bytes-out")
    c.bytes_out = number<std::uint64_t>(v);
  else if (k == "packets-out")
    c.packets_out = number<std::uint64_t>(v);
  else if (k == "rekey-time")
    c.rekey_time = number<std::uint32_t>(v);
  else if (k == "life-time")
    c.life_time = number<std::uint32_t>(v);
  else if (k == "install-time")
    c.install_time = number<std::uint32_t>(v);
}

}  // namespace

std::vector<IkeSa> parse_list_sas(std::string_view text) {
  std::vector<IkeSa> out;
  // Sections open with "NAME {" and close with "}"; the depth says what a key belongs to:
  // 1 = "list-sa event", 2 = an IKE SA, 3 = "child-sas" (or another sub-section of the IKE
  // SA), 4 = a child SA. Lists ("key = [" ... "]") are collected into `list`.
  std::vector<std::string> stack;
  std::string list_key;
  bool in_list = false;
  std::vector<std::string> list;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.empty()) continue;
    if (in_list) {
      if (line == "]") {
        in_list = false;
        if (stack.size() == 4 && stack[2] == "child-sas" && !out.empty() &&
            !out.back().children.empty()) {
          auto& c = out.back().children.back();
          if (list_key == "local-ts") c.local_ts = list;
          if (list_key == "remote-ts") c.remote_ts = list;
        }
        list.clear();
      } else {
        list.emplace_back(line);
      }
      continue;
    }
    if (line == "}") {
      if (!stack.empty()) stack.pop_back();
      continue;
    }
    if (line.size() >= 2 && line.substr(line.size() - 2) == " {") {
      std::string name(trim(line.substr(0, line.size() - 2)));
      // A reply (not an event) carries no SA; charon sends one at the end.
      if (stack.empty() && name.find(" event") == std::string::npos) {
        stack.push_back("reply");
        continue;
      }
      stack.push_back(name);
      if (stack.size() == 2 && stack[0] != "reply") {
        out.emplace_back();
        out.back().name = name;
      }
      if (stack.size() == 4 && stack[2] == "child-sas" && !out.empty())
        out.back().children.emplace_back().name = name;
      continue;
    }
    auto eq = line.find(" = ");
    if (eq == std::string_view::npos) continue;
    std::string_view key = line.substr(0, eq), value = line.substr(eq + 3);
    if (value == "[") {
      in_list = true;
      list_key = std::string(key);
      continue;
    }
    if (stack.size() == 2 && stack[0] != "reply" && !out.empty()) set_ike(out.back(), key, value);
    if (stack.size() == 4 && stack[2] == "child-sas" && !out.empty() &&
        !out.back().children.empty())
      set_child(out.back().children.back(), key, value);
  }
  return out;
}

std::vector<Ipv4> protected_peers(const std::vector<IkeSa>& sas) {
  std::vector<Ipv4> out;
  for (auto& sa : sas) {
    if (sa.state != "ESTABLISHED") continue;
    bool installed = std::any_of(sa.children.begin(), sa.children.end(),
                                 [](const ChildSa& c) { return c.state == "INSTALLED"; });
    if (!installed) continue;
    if (auto a = Ipv4::parse(sa.remote_host)) out.push_back(*a);
  }
  return out;
}

bool l2tp_admitted(const GuardPolicy& policy, Ipv4 peer, const std::vector<Ipv4>& protected_peers) {
  bool required = policy.any_peer ||
                  std::find(policy.peers.begin(), policy.peers.end(), peer) != policy.peers.end();
  if (!required) return true;
  return std::find(protected_peers.begin(), protected_peers.end(), peer) != protected_peers.end();
}

}  // namespace vpdnd::ipsec
