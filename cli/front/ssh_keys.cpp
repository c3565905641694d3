#include "cli/front/ssh_keys.hpp"

#include <fcntl.h>
#include <libssh/libssh.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "common/base64.hpp"

namespace vpdnd::cli {
namespace {

struct KeyFree {
  void operator()(ssh_key k) const { ssh_key_free(k); }
};
using KeyPtr = std::unique_ptr<std::remove_pointer_t<ssh_key>, KeyFree>;

// The blob of a libssh key (its public half).
std::optional<std::string> blob_of(ssh_key key) {
  char* b64 = nullptr;
  if (ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK || !b64) return std::nullopt;
  auto blob = base64_decode(b64);
  ssh_string_free_char(b64);
  return blob;
}

KeyPtr key_of(std::string_view blob) {
  std::string type = key_blob_type(blob);
  if (type.empty()) return nullptr;
  enum ssh_keytypes_e t = ssh_key_type_from_name(type.c_str());
  if (t == SSH_KEYTYPE_UNKNOWN) return nullptr;
  ssh_key key = nullptr;
  if (ssh_pki_import_pubkey_base64(base64_encode(blob).c_str(), t, &key) != SSH_OK) return nullptr;
  return KeyPtr(key);
}

bool write_private(const std::string& path, const std::string& text, std::string* error) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    *error = "cannot write " + tmp + ": " + std::strerror(errno);
    return false;
  }
  ::fchmod(fd, 0600);  // an older file of that name may have had other bits
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  bool ok = done == text.size() && ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    *error = "cannot write " + path + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
}

}  // namespace

std::string key_blob_type(std::string_view blob) {
  if (blob.size() < 4) return {};
  std::uint32_t len = (std::uint32_t(std::uint8_t(blob[0])) << 24) |
                      (std::uint32_t(std::uint8_t(blob[1])) << 16) |
                      (std::uint32_t(std::uint8_t(blob[2])) << 8) | std::uint8_t(blob[3]);
  if (len == 0 || len > 64 || blob.size() - 4 < len) return {};
  std::string type(blob.substr(4, len));
  for (unsigned char c : type)
    if (c < 0x21 || c > 0x7e) return {};
  return type;
}

std::string check_key_blob(std::string_view blob) {
  std::string type = key_blob_type(blob);
  if (type.empty()) return "The key code is not an SSH public key.";
  if (!key_of(blob)) return "The " + type + " key code is not a valid public key.";
  return {};
}

std::optional<std::string> key_blob_from_openssh(std::string_view line, std::string* error) {
  std::istringstream in{std::string(line)};
  std::string type, b64;
  in >> type >> b64;
  auto blob = base64_decode(b64);
  if (type.empty() || !blob) {
    *error = "The file holds no OpenSSH public key (\"TYPE BASE64 [COMMENT]\").";
    return std::nullopt;
  }
  if (key_blob_type(*blob) != type) {
    *error = "The key type " + type + " does not match the key code.";
    return std::nullopt;
  }
  if (auto e = check_key_blob(*blob); !e.empty()) {
    *error = e;
    return std::nullopt;
  }
  return blob;
}

std::string openssh_line(std::string_view blob, std::string_view comment) {
  std::string s = key_blob_type(blob) + " " + base64_encode(blob);
  if (!comment.empty()) s += " " + std::string(comment);
  return s;
}

std::string key_fingerprint(std::string_view blob) {
  auto key = key_of(blob);
  if (!key) return {};
  unsigned char* hash = nullptr;
  std::size_t len = 0;
  if (ssh_get_publickey_hash(key.get(), SSH_PUBLICKEY_HASH_SHA256, &hash, &len) != SSH_OK)
    return {};
  char* text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, len);
  ssh_clean_pubkey_hash(&hash);
  std::string out = text ? text : "";
  ssh_string_free_char(text);
  return out;
}

const char* host_key_name(HostKeyType t) {
  return t == HostKeyType::rsa ? "rsa" : "ecdsa";
}

void HostKeys::set_directory(std::string dir) {
  std::lock_guard lock(mutex_);
  if (dir == dir_) return;
  dir_ = std::move(dir);
  keys_.clear();  // the keys of another directory
}

std::string HostKeys::path(HostKeyType t) const {
  return dir_ + "/ssh_host_" + host_key_name(t) + "_key";
}

std::string HostKeys::load_locked(HostKeyType t) {
  std::ifstream in(path(t));
  if (!in) return create_locked(t);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  ssh_key key = nullptr;
  if (ssh_pki_import_privkey_base64(text.c_str(), nullptr, nullptr, nullptr, &key) != SSH_OK)
    return path(t) + " holds no private key; remove it to have a new key created";
  KeyPtr owned(key);
  auto blob = blob_of(key);
  if (!blob) return path(t) + ": cannot read its public key";
  struct stat st {};
  std::time_t created = ::stat(path(t).c_str(), &st) == 0 ? st.st_mtime : std::time(nullptr);
  keys_[t] = Key{text, Public{*blob, created}};
  return {};
}

std::string HostKeys::create_locked(HostKeyType t) {
  ssh_key key = nullptr;
  int rc = t == HostKeyType::rsa ? ssh_pki_generate(SSH_KEYTYPE_RSA, 2048, &key)
                                 : ssh_pki_generate(SSH_KEYTYPE_ECDSA_P256, 256, &key);
  if (rc != SSH_OK || !key) return std::string("cannot create the ") + host_key_name(t) + " key";
  KeyPtr owned(key);
  char* text = nullptr;
  if (ssh_pki_export_privkey_base64(key, nullptr, nullptr, nullptr, &text) != SSH_OK || !text)
    return "cannot export the new key";
  std::string private_text = text;
  ssh_string_free_char(text);
  auto blob = blob_of(key);
  if (!blob) return "cannot export the new public key";
  std::string error;
  if (!dir_.empty() && !write_private(path(t), private_text, &error)) return error;
  keys_[t] = Key{private_text, Public{*blob, std::time(nullptr)}};
  return {};
}

std::string HostKeys::load_or_create() {
  std::lock_guard lock(mutex_);
  for (HostKeyType t : {HostKeyType::rsa, HostKeyType::ecdsa}) {
    if (keys_.count(t)) continue;
    std::string e = dir_.empty() ? create_locked(t) : load_locked(t);
    if (!e.empty()) return e;
  }
  return {};
}

std::string HostKeys::create(HostKeyType t) {
  std::lock_guard lock(mutex_);
  return create_locked(t);
}

std::optional<HostKeys::Public> HostKeys::public_key(HostKeyType t) const {
  std::lock_guard lock(mutex_);
  auto it = keys_.find(t);
  if (it == keys_.end()) return std::nullopt;
  return it->second.pub;
}

std::vector<std::string> HostKeys::private_keys() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (auto& [t, k] : keys_) out.push_back(k.private_text);
  return out;
}

HostKeys& process_host_keys() {
  static HostKeys keys;
  return keys;
}

std::uint64_t SshSessions::add(const std::string& peer) {
  std::lock_guard lock(mutex_);
  SshSessionInfo info;
  info.id = ++next_;
  info.peer = peer;
  info.since = std::time(nullptr);
  sessions_[info.id] = info;
  return info.id;
}

void SshSessions::update(std::uint64_t id, const std::function<void(SshSessionInfo&)>& fn) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(id);
  if (it != sessions_.end()) fn(it->second);
}

void SshSessions::remove(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  sessions_.erase(id);
}

std::vector<SshSessionInfo> SshSessions::list() const {
  std::lock_guard lock(mutex_);
  std::vector<SshSessionInfo> out;
  for (auto& [id, s] : sessions_) out.push_back(s);
  return out;
}

SshSessions& process_ssh_sessions() {
  static SshSessions sessions;
  return sessions;
}

}  // namespace vpdnd::cli
