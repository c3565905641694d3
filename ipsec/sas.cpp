// charon's SA list (swanctl --list-sas --pretty) -> IkeSa, and the guard decision.
#include <algorithm>
#include <charconv>
#include <variant>

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

void assign(std::string& to, std::string_view v) {
  to = v;
}
void assign(bool& to, std::string_view v) {
  to = v == "yes";
}
template <class T>
void assign(T& to, std::string_view v) {
  to = number<T>(v);
}

// A key of an SA section and the member its value goes to: text as charon prints it,
// numbers in decimal, flags as "yes"/"no".
template <class Sa>
struct Field {
  std::string_view key;
  std::variant<std::string Sa::*, bool Sa::*, std::uint16_t Sa::*, std::uint32_t Sa::*,
               std::uint64_t Sa::*>
      member;
};

constexpr Field<IkeSa> kIkeFields[] = {
    {"uniqueid", &IkeSa::uniqueid},
    {"version", &IkeSa::version},
    {"state", &IkeSa::state},
    {"local-host", &IkeSa::local_host},
    {"local-port", &IkeSa::local_port},
    {"local-id", &IkeSa::local_id},
    {"remote-host", &IkeSa::remote_host},
    {"remote-port", &IkeSa::remote_port},
    {"remote-id", &IkeSa::remote_id},
    {"initiator", &IkeSa::initiator},
    {"initiator-spi", &IkeSa::initiator_spi},
    {"responder-spi", &IkeSa::responder_spi},
    {"nat-local", &IkeSa::nat_local},
    {"nat-remote", &IkeSa::nat_remote},
    {"encr-alg", &IkeSa::encr_alg},
    {"encr-keysize", &IkeSa::encr_keysize},
    {"integ-alg", &IkeSa::integ_alg},
    {"prf-alg", &IkeSa::prf_alg},
    {"dh-group", &IkeSa::dh_group},
    {"established", &IkeSa::established},
    {"rekey-time", &IkeSa::rekey_time},
    {"reauth-time", &IkeSa::reauth_time},
};

constexpr Field<ChildSa> kChildFields[] = {
    {"name", &ChildSa::name},
    {"uniqueid", &ChildSa::uniqueid},
    {"state", &ChildSa::state},
    {"mode", &ChildSa::mode},
    {"protocol", &ChildSa::protocol},
    {"encap", &ChildSa::encap},
    {"spi-in", &ChildSa::spi_in},
    {"spi-out", &ChildSa::spi_out},
    {"encr-alg", &ChildSa::encr_alg},
    {"encr-keysize", &ChildSa::encr_keysize},
    {"integ-alg", &ChildSa::integ_alg},
    {"dh-group", &ChildSa::dh_group},
    {"bytes-in", &ChildSa::bytes_in},
    {"packets-in", &ChildSa::packets_in},
    {"bytes-out", &ChildSa::bytes_out},
    {"packets-out", &ChildSa::packets_out},
    {"rekey-time", &ChildSa::rekey_time},
    {"life-time", &ChildSa::life_time},
    {"install-time", &ChildSa::install_time},
};

// Keys not in `fields` are charon's that no display shows: ignored.
template <class Sa, std::size_t N>
void set_field(Sa& sa, const Field<Sa> (&fields)[N], std::string_view k, std::string_view v) {
  for (const auto& f : fields)
    if (f.key == k) return std::visit([&](auto member) { assign(sa.*member, v); }, f.member);
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
    if (stack.size() == 2 && stack[0] != "reply" && !out.empty())
      set_field(out.back(), kIkeFields, key, value);
    if (stack.size() == 4 && stack[2] == "child-sas" && !out.empty() &&
        !out.back().children.empty())
      set_field(out.back().children.back(), kChildFields, key, value);
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
