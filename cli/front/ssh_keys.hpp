// DOC: SSH keys and the SSH server's shared state, on libssh (no SSH code of our own).
//  - Key blobs: a public key in SSH wire format (RFC 4253 6.6, the base64 field of an
//    OpenSSH .pub line decoded); what `public-key peer` stores and the config prints in hex.
//  - HostKeys: the server's RSA and ECDSA host keys, kept as files (mode 0600) in a
//    directory (beside the startup config), created when missing; `public-key local create`
//    replaces one. Without a directory (tests) they live in memory only.
//  - SshSessions: the SSH connections (`display ssh server session`).
// Thread: HostKeys and SshSessions are locked inside (the SSH server's threads and the
// terminals' threads reach them); no lock is held across network I/O.
#pragma once

#include <cstdint>
#include <ctime>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vpdnd::cli {

// The key type name in a blob ("ssh-rsa", "ecdsa-sha2-nistp256", ...), "" when malformed.
std::string key_blob_type(std::string_view blob);
// "" when libssh accepts `blob` as a public key, else why not.
std::string check_key_blob(std::string_view blob);
// An OpenSSH public key line ("ssh-rsa AAAA... comment") to a blob; nullopt with `error`.
std::optional<std::string> key_blob_from_openssh(std::string_view line, std::string* error);
// The blob as an OpenSSH public key line.
std::string openssh_line(std::string_view blob, std::string_view comment);
// "SHA256:..." as ssh-keygen -l prints it.
std::string key_fingerprint(std::string_view blob);

enum class HostKeyType : std::uint8_t { rsa, ecdsa };
const char* host_key_name(HostKeyType t);  // "rsa" / "ecdsa"

class HostKeys {
 public:
  struct Public {
    std::string blob;
    std::time_t created = 0;
  };

  // Where the key files go ("" = memory only). Files: DIR/ssh_host_rsa_key and
  // DIR/ssh_host_ecdsa_key (private keys, OpenSSH/PEM text, mode 0600). Another directory
  // forgets the keys held so far.
  void set_directory(std::string dir);
  // Loads each key from its file or creates (and stores) it. Returns "" or the error text.
  std::string load_or_create();
  // Creates a new key of `t`, replacing the old one. Returns "" or the error text.
  std::string create(HostKeyType t);
  std::optional<Public> public_key(HostKeyType t) const;
  // The private keys present, as text libssh imports (ssh_pki_import_privkey_base64).
  std::vector<std::string> private_keys() const;

 private:
  struct Key {
    std::string private_text;
    Public pub;
  };
  std::string path(HostKeyType t) const;
  std::string load_locked(HostKeyType t);
  std::string create_locked(HostKeyType t);

  mutable std::mutex mutex_;
  std::string dir_;
  std::map<HostKeyType, Key> keys_;
};

HostKeys& process_host_keys();

struct SshSessionInfo {
  std::uint64_t id = 0;
  std::string peer;  // "A.B.C.D:port"
  std::string user;  // "" before authentication
  std::string state = "Negotiating";
  std::string cipher;  // client to server
  std::string service = "Stelnet";
  std::uint32_t retries = 0;  // failed authentications so far
  std::time_t since = 0;
};

class SshSessions {
 public:
  std::uint64_t add(const std::string& peer);
  void update(std::uint64_t id, const std::function<void(SshSessionInfo&)>& fn);
  void remove(std::uint64_t id);
  std::vector<SshSessionInfo> list() const;

 private:
  mutable std::mutex mutex_;
  std::uint64_t next_ = 0;
  std::map<std::uint64_t, SshSessionInfo> sessions_;
};

SshSessions& process_ssh_sessions();

}  // namespace vpdnd::cli
