// SSH (Comware V5/V7 Stelnet): `ssh server enable`, peer public keys (`public-key peer NAME`
// with its key code typed between `public-key-code begin` and `public-key-code end`, or
// V7's `public-key peer NAME import sshkey FILE`), `ssh user NAME ...`, the host keys
// (`public-key local create`, `display public-key local ... public`) and `display ssh
// server {status | session}`.
// A key code is the key in SSH wire format (what an OpenSSH .pub line carries in base64),
// in hex; Comware's own key code is a DER structure, which this box does not read.
#include <cctype>
#include <ctime>
#include <fstream>

#include "cli/front/ssh_keys.hpp"
#include "cli/lang/session.hpp"

namespace vpdnd::cli::lang {
namespace {

using config::ConfigSection;
using config::PeerPublicKey;
using config::RunningConfig;
using config::SshAuthType;
using config::SshUser;

constexpr std::size_t kMaxKeyCode = 16 * 1024;  // hex digits: far beyond an RSA 8192 key

bool is_hex(std::string_view s) {
  for (unsigned char c : s)
    if (!std::isxdigit(c)) return false;
  return true;
}

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.empty() || hex.size() % 2) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

std::string hex_groups(std::string_view blob, const std::string& indent) {
  static const char digits[] = "0123456789ABCDEF";
  std::string out;
  for (std::size_t i = 0; i < blob.size(); ++i) {
    if (i % 32 == 0)
      out += (i ? "\n" : "") + indent;
    else if (i % 4 == 0)
      out += ' ';
    auto c = static_cast<unsigned char>(blob[i]);
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string key_type_word(std::string_view blob) {
  std::string t = key_blob_type(blob);
  if (t == "ssh-rsa") return "RSA";
  if (t.rfind("ecdsa-", 0) == 0) return "ECDSA";
  if (t == "ssh-ed25519") return "ED25519";
  if (t == "ssh-dss") return "DSA";
  return t;
}

std::string time_text(std::time_t t) {
  std::tm tm{};
  ::localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%H:%M:%S %Y/%m/%d", &tm);
  return buf;
}

void store_key(Call& call, const std::string& name, const std::string& blob) {
  call.edit({ConfigSection::public_key, name}, [&](RunningConfig& c) {
    c.peer_public_keys[name] = PeerPublicKey{name, blob};
    return std::string{};
  });
}

// `import sshkey FILE` reads a plain file name beside the startup config, never a path:
// vpdnd runs as root and a telnet admin must not read arbitrary files through it.
bool valid_file_name(std::string_view s) {
  if (s.empty() || s.size() > 63 || s == "." || s == "..") return false;
  for (unsigned char c : s)
    if (!std::isalnum(c) && c != '.' && c != '_' && c != '-') return false;
  return true;
}

void import_sshkey(Call& call) {
  std::string name = call.get("name");
  std::string file = call.get("file");
  if (!valid_file_name(file))
    return call.error(
        "Error: The file name is invalid. Give the name of a file beside the startup "
        "configuration (letters, digits, '.', '_' or '-').");
  const std::string& startup = call.session.context().startup_path;
  auto slash = startup.rfind('/');
  std::string path =
      (slash == std::string::npos ? std::string() : startup.substr(0, slash + 1)) + file;
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line) || line.size() > 64 * 1024)
    return call.error("Error: Cannot read the file " + path + ".");
  std::string error;
  auto blob = key_blob_from_openssh(line, &error);
  if (!blob) return call.error("Error: " + error);
  store_key(call, name, *blob);
}

void display_local(Call& call, HostKeyType t) {
  auto key = process_host_keys().public_key(t);
  if (!key)
    return call.error("Error: The local " + std::string(host_key_name(t)) +
                      " key pair does not exist.");
  std::string out;
  out += "\n=============================================\n";
  out += std::string("Key name: ") + host_key_name(t) + " (default)\n";
  out += "Key type: " + key_type_word(key->blob) + "\n";
  out += "Time when key pair created: " + time_text(key->created) + "\n";
  out += "Key code:\n" + hex_groups(key->blob, "   ") + "\n\n";
  out += "OpenSSH format:\n" + openssh_line(key->blob, "") + "\n";
  out += "Fingerprint: " + key_fingerprint(key->blob);
  call.print(out);
}

void display_peer(Call& call) {
  auto c = call.snapshot();
  if (call.has("name")) {
    auto it = c.peer_public_keys.find(call.get("name"));
    if (it == c.peer_public_keys.end())
      return call.error("Error: The peer public key " + call.get("name") + " does not exist.");
    const auto& blob = it->second.blob;
    std::string out;
    out += "\n=============================================\n";
    out += "Key name: " + it->first + "\n";
    out += "Key type: " + key_type_word(blob) + "\n";
    out += "Key code:\n" + hex_groups(blob, "   ") + "\n\n";
    out += "Fingerprint: " + key_fingerprint(blob);
    call.print(out);
    return;
  }
  std::string out = " Type    Name\n ---------------------------\n";
  for (auto& [name, k] : c.peer_public_keys) {
    std::string type = key_type_word(k.blob);
    type.resize(std::max<std::size_t>(type.size() + 1, 8), ' ');
    out += " " + type + name + "\n";
  }
  out += "\n Total " + std::to_string(c.peer_public_keys.size()) + " peer public key(s).";
  call.print(out);
}

void display_status(Call& call) {
  auto c = call.snapshot();
  std::string out;
  out += std::string(" SSH server: ") + (c.ssh_server ? "Enable" : "Disable") + "\n";
  out += " SSH version : 2.0\n";
  out += " SSH authentication retries : 3 time(s)\n";
  out += " SSH connection authentication-timeout : 60 second(s)\n";
  out += " SFTP server: Disable";
  call.print(out);
}

std::string column(std::string s, std::size_t width) {
  s.resize(std::max(s.size() + 1, width), ' ');
  return s;
}

void display_sessions(Call& call) {
  auto list = process_ssh_sessions().list();
  if (list.empty()) return call.print(" No SSH session is established.");
  std::string out = " " + column("Conn", 8) + column("Ver", 5) + column("Encry", 13) +
                    column("State", 14) + column("Retry", 7) + column("SerType", 9) +
                    column("Username", 12) + "Peer\n";
  std::size_t n = 0;
  for (auto& s : list) {
    out += " " + column("VTY " + std::to_string(n++), 8) + column("2.0", 5) +
           column(s.cipher.empty() ? "-" : s.cipher, 13) + column(s.state, 14) +
           column(std::to_string(s.retries), 7) + column(s.service, 9) +
           column(s.user.empty() ? "-" : s.user, 12) + s.peer + "\n";
  }
  out.pop_back();
  call.print(out);
}

void ssh_user_edit(Call& call, SshAuthType auth) {
  std::string name = call.get("user");
  std::string key = call.get("key");
  call.edit({ConfigSection::ssh_user, name}, [&](RunningConfig& c) {
    c.ssh_users[name] = SshUser{name, auth, auth == SshAuthType::password ? std::string() : key};
    return std::string{};
  });
}

// `... authentication-type {password | {any | password-publickey | publickey} assign
// publickey KEY}` under `n`.
void add_auth_types(Node& n) {
  Node& at = n.kw("authentication-type", "How the user authenticates");
  at.kw("password", "Password authentication").run([](Call& call) {
    ssh_user_edit(call, SshAuthType::password);
  });
  const std::pair<const char*, SshAuthType> keyed[] = {
      {"any", SshAuthType::any},
      {"password-publickey", SshAuthType::password_publickey},
      {"publickey", SshAuthType::publickey}};
  const char* helps[] = {"Password or public key", "Password and public key", "Public key"};
  for (std::size_t i = 0; i < 3; ++i) {
    auto auth = keyed[i].second;
    at.kw(keyed[i].first, helps[i])
        .kw("assign", "Assign a public key")
        .kw("publickey", "A peer public key")
        .string("key", 1, 64, "Peer public key name", valid_name)
        .run([auth](Call& call) { ssh_user_edit(call, auth); });
  }
}

}  // namespace

void register_ssh(Grammar& g) {
  Node& sys = root(g, View::system);
  Node& undo = sys.kw("undo", "Cancel current setting");

  add_enable_flag(sys, undo, {{"ssh", "Specify SSH configuration"}, {"server", "SSH server"}},
                  "Enable the SSH server", "Disable the SSH server (ends its sessions)", "ssh",
                  &RunningConfig::ssh_server);

  // ssh user NAME [service-type stelnet] authentication-type ...
  Node& su = sys.kw("ssh", "Specify SSH configuration")
                 .kw("user", "SSH user")
                 .string("user", 1, 80, "User name", valid_name);
  add_auth_types(su);
  add_auth_types(su.kw("service-type", "Services of the SSH user").kw("stelnet", "Secure telnet"));
  undo.kw("ssh", "Specify SSH configuration")
      .kw("user", "Remove an SSH user")
      .string("user", 1, 80, "User name", valid_name)
      .run(ObjectTable{ConfigSection::ssh_user, &RunningConfig::ssh_users, "SSH user "}.remove(
          "user"));

  // public-key peer NAME [import sshkey FILE]
  Node& peer = sys.kw("public-key", "Public key configuration")
                   .kw("peer", "A peer's public key")
                   .string("name", 1, 64, "Peer public key name", valid_name);
  peer.run([](Call& call) { call.session.enter(View::public_key, call.get("name")); });
  peer.kw("import", "Import the key from a file")
      .kw("sshkey", "A file in OpenSSH public key format")
      .string("file", 1, 63, "File name (beside the startup configuration)")
      .run(import_sshkey);
  undo.kw("public-key", "Public key configuration")
      .kw("peer", "Remove a peer's public key")
      .string("name", 1, 64, "Peer public key name", valid_name)
      .run(ObjectTable{ConfigSection::public_key, &RunningConfig::peer_public_keys,
                       "The peer public key "}
               .remove("name"));

  Node& pk = root(g, View::public_key);
  pk.kw("public-key-code", "Key code")
      .kw("begin", "Start typing the key code (hex)")
      .run([](Call& call) {
        call.session.key_code().clear();
        call.session.enter(View::key_code, call.session.object());
      });
  pk.kw("peer-public-key", "End the peer public key")
      .kw("end", "Return to system view")
      .run([](Call& call) { call.session.enter(View::system); });

  Node& kc = root(g, View::key_code);
  auto append = [](Call& call) {
    std::string& code = call.session.key_code();
    for (auto& w : call.all("hex")) code += w;
    if (code.size() > kMaxKeyCode) {
      code.clear();
      call.error("Error: The key code is too long.");
    }
  };
  Node* level = &kc;
  for (int i = 0; i < 16; ++i) {
    level = &level->string("hex", 1, 1024, "Key code in hex", is_hex);
    level->run(append);
  }
  kc.kw("public-key-code", "Key code")
      .kw("end", "End the key code and store the key")
      .run([](Call& call) {
        std::string code;
        code.swap(call.session.key_code());
        std::string name = call.session.object();
        call.session.enter(View::public_key, name);
        auto blob = from_hex(code);
        if (!blob) return call.error("Error: The key code is not complete hex.");
        if (auto e = check_key_blob(*blob); !e.empty()) return call.error("Error: " + e);
        store_key(call, name, *blob);
      });

  // public-key local create {rsa | ecdsa}
  for (HostKeyType t : {HostKeyType::rsa, HostKeyType::ecdsa}) {
    sys.kw("public-key", "Public key configuration")
        .kw("local", "The local key pairs (SSH host keys)")
        .kw("create", "Create a key pair (replaces the old one)")
        .kw(host_key_name(t), t == HostKeyType::rsa ? "RSA 2048" : "ECDSA P-256")
        .run([t](Call& call) {
          if (call.session.origin() == SessionOrigin::file)
            return call.error("Error: Key pairs are not created from a configuration file.");
          std::string e = process_host_keys().create(t);
          if (!e.empty()) return call.error("Error: " + e + ".");
          call.print(std::string("Create the ") + host_key_name(t) + " key pair: done.");
        });
  }

  for (Node& d : display_roots(g)) {
    Node& local = d.kw("public-key", "Public key information")
                      .kw("local", "The local key pairs (SSH host keys)");
    for (HostKeyType t : {HostKeyType::rsa, HostKeyType::ecdsa})
      local.kw(host_key_name(t), t == HostKeyType::rsa ? "RSA key pair" : "ECDSA key pair")
          .kw("public", "The public key")
          .run([t](Call& call) { display_local(call, t); });
    Node& dp = d.kw("public-key", "Public key information").kw("peer", "Peer public keys");
    dp.run(display_peer);
    dp.kw("name", "One key").string("name", 1, 64, "Peer public key name").run(display_peer);
    Node& ds = d.kw("ssh", "SSH information").kw("server", "SSH server");
    ds.kw("status", "Server settings").run(display_status);
    ds.kw("session", "SSH sessions").run(display_sessions);
  }

  // user-interface vty: protocol inbound {all | ssh | telnet}
  Node& vty = root(g, View::vty);
  auto protocol = [](config::VtyProtocol p) {
    return [p](Call& call) {
      call.edit({ConfigSection::user_interface, "vty"}, [&](RunningConfig& c) -> std::string {
        if (p == config::VtyProtocol::ssh && c.vty.auth_mode != config::VtyAuthMode::scheme)
          return "Error: SSH needs authentication-mode scheme on the lines.";
        c.vty.protocol = p;
        return {};
      });
    };
  };
  Node& pi = vty.kw("protocol", "Protocols of the lines").kw("inbound", "Login protocols");
  pi.kw("all", "SSH and telnet").run(protocol(config::VtyProtocol::all));
  pi.kw("ssh", "SSH only").run(protocol(config::VtyProtocol::ssh));
  pi.kw("telnet", "Telnet only").run(protocol(config::VtyProtocol::telnet));
  vty.kw("undo", "Cancel current setting")
      .kw("protocol", "Protocols of the lines")
      .kw("inbound", "Allow SSH and telnet")
      .run(protocol(config::VtyProtocol::all));
}

}  // namespace vpdnd::cli::lang
