#include "common/mschap.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "common/digest.hpp"

namespace vpdnd::mschap {
namespace {

// MD4 and DES live in OpenSSL 3's legacy provider. It is loaded (with the default one, which
// an explicit load would otherwise displace) into a library context of our own, so nothing
// else in the process starts seeing legacy algorithms.
struct Legacy {
  OSSL_LIB_CTX* ctx = nullptr;
  EVP_MD* md4 = nullptr;
  EVP_CIPHER* des = nullptr;
  EVP_MD* sha1 = nullptr;
  Legacy() {
    ctx = OSSL_LIB_CTX_new();
    if (!ctx) return;
    if (!OSSL_PROVIDER_load(ctx, "legacy") || !OSSL_PROVIDER_load(ctx, "default")) return;
    md4 = EVP_MD_fetch(ctx, "MD4", nullptr);
    des = EVP_CIPHER_fetch(ctx, "DES-ECB", nullptr);
    sha1 = EVP_MD_fetch(ctx, "SHA1", nullptr);
  }
  bool ok() const { return md4 && des && sha1; }
};

const Legacy& legacy() {
  static const Legacy l;
  return l;
}

const Legacy& need_legacy() {
  const Legacy& l = legacy();
  if (!l.ok()) {
    std::fputs("vpdnd: libcrypto offers no MD4/DES (OpenSSL legacy provider missing)\n", stderr);
    std::abort();
  }
  return l;
}

struct MdCtx {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> c{EVP_MD_CTX_new(), EVP_MD_CTX_free};
};

template <std::size_t N>
std::array<std::uint8_t, N> digest(const EVP_MD* md, std::initializer_list<ByteView> parts) {
  MdCtx ctx;
  std::uint8_t out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  bool ok = ctx.c && EVP_DigestInit_ex(ctx.c.get(), md, nullptr) == 1;
  for (ByteView p : parts) ok = ok && EVP_DigestUpdate(ctx.c.get(), p.data(), p.size()) == 1;
  ok = ok && EVP_DigestFinal_ex(ctx.c.get(), out, &len) == 1 && len >= N;
  if (!ok) std::abort();
  std::array<std::uint8_t, N> r{};
  std::memcpy(r.data(), out, N);
  return r;
}

std::array<std::uint8_t, 20> sha1(std::initializer_list<ByteView> parts) {
  return digest<20>(need_legacy().sha1, parts);
}

// 7 key octets spread over 8 (DES ignores the low parity bit of each).
std::array<std::uint8_t, 8> des_key(const std::uint8_t* k) {
  return {k[0],
          static_cast<std::uint8_t>((k[0] << 7) | (k[1] >> 1)),
          static_cast<std::uint8_t>((k[1] << 6) | (k[2] >> 2)),
          static_cast<std::uint8_t>((k[2] << 5) | (k[3] >> 3)),
          static_cast<std::uint8_t>((k[3] << 4) | (k[4] >> 4)),
          static_cast<std::uint8_t>((k[4] << 3) | (k[5] >> 5)),
          static_cast<std::uint8_t>((k[5] << 2) | (k[6] >> 6)),
          static_cast<std::uint8_t>(k[6] << 1)};
}

void des_encrypt(const Challenge8& clear, const std::uint8_t* key7, std::uint8_t* out) {
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                      EVP_CIPHER_CTX_free);
  auto key = des_key(key7);
  int len = 0, fin = 0;
  bool ok =
      ctx && EVP_EncryptInit_ex2(ctx.get(), need_legacy().des, key.data(), nullptr, nullptr) == 1;
  ok = ok && EVP_CIPHER_CTX_set_padding(ctx.get(), 0) == 1;
  ok = ok && EVP_EncryptUpdate(ctx.get(), out, &len, clear.data(), 8) == 1 && len == 8;
  ok = ok && EVP_EncryptFinal_ex(ctx.get(), out + len, &fin) == 1 && fin == 0;
  if (!ok) std::abort();
}

// UTF-8 to UTF-16LE; an invalid sequence's lead byte counts as Latin-1.
Bytes utf16le(std::string_view s) {
  Bytes out;
  out.reserve(s.size() * 2);
  auto put = [&](std::uint32_t u) {
    out.push_back(static_cast<std::uint8_t>(u & 0xff));
    out.push_back(static_cast<std::uint8_t>(u >> 8));
  };
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<std::uint8_t>(s[i]);
    std::size_t n = b0 < 0x80         ? 1
                    : (b0 >> 5) == 6  ? 2
                    : (b0 >> 4) == 14 ? 3
                    : (b0 >> 3) == 30 ? 4
                                      : 0;
    std::uint32_t cp = n == 1 ? b0 : n == 2 ? (b0 & 0x1f) : n == 3 ? (b0 & 0x0f) : (b0 & 0x07);
    bool valid = n != 0 && i + n <= s.size();
    for (std::size_t k = 1; valid && k < n; ++k) {
      const auto b = static_cast<std::uint8_t>(s[i + k]);
      if ((b & 0xc0) != 0x80) valid = false;
      cp = (cp << 6) | (b & 0x3f);
    }
    if (valid && ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
                  cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)))
      valid = false;
    if (!valid) {
      put(b0);
      ++i;
      continue;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      put(0xd800 | (cp >> 10));
      put(0xdc00 | (cp & 0x3ff));
    } else {
      put(cp);
    }
    i += n;
  }
  return out;
}

std::string_view strip_domain(std::string_view user) {
  auto p = user.rfind('\\');
  return p == std::string_view::npos ? user : user.substr(p + 1);
}

std::string hex_upper(ByteView v) {
  return to_hex(v, '\0', HexCase::upper);
}

constexpr std::string_view kAuthMagic1 = "Magic server to client signing constant";
constexpr std::string_view kAuthMagic2 = "Pad to make it do more than one iteration";
constexpr std::string_view kMasterMagic = "This is the MPPE Master Key";
constexpr std::string_view kMagicClientSend =
    "On the client side, this is the send key; on the server side, it is the receive key.";
constexpr std::string_view kMagicClientRecv =
    "On the client side, this is the receive key; on the server side, it is the send key.";

// The value of field `key` ("S", "E", ...) in a space-separated "K=V" message: up to the
// next space, except M=, which runs to the end.
std::optional<std::string_view> field(std::string_view msg, std::string_view key) {
  std::size_t pos = 0;
  while (pos < msg.size()) {
    while (pos < msg.size() && msg[pos] == ' ') ++pos;
    std::size_t end = msg.find(' ', pos);
    if (end == std::string_view::npos) end = msg.size();
    std::string_view tok = msg.substr(pos, end - pos);
    if (tok.size() >= key.size() + 1 && tok.substr(0, key.size()) == key &&
        tok[key.size()] == '=') {
      if (key == "M") return msg.substr(pos + 2);
      return tok.substr(key.size() + 1);
    }
    pos = end;
  }
  return std::nullopt;
}

}  // namespace

bool available() {
  return legacy().ok();
}

Hash16 nt_password_hash(std::string_view password) {
  Bytes u = utf16le(password);
  return digest<16>(need_legacy().md4, {ByteView(u)});
}

Hash16 hash_nt_password_hash(const Hash16& password_hash) {
  return digest<16>(need_legacy().md4, {ByteView(password_hash)});
}

Challenge8 challenge_hash(ByteView peer_challenge, ByteView authenticator_challenge,
                          std::string_view user_name) {
  auto d = sha1({peer_challenge, authenticator_challenge, as_bytes(strip_domain(user_name))});
  Challenge8 c{};
  std::memcpy(c.data(), d.data(), c.size());
  return c;
}

NtResponse challenge_response(const Challenge8& challenge, const Hash16& password_hash) {
  std::array<std::uint8_t, 21> z{};
  std::memcpy(z.data(), password_hash.data(), password_hash.size());
  NtResponse r{};
  des_encrypt(challenge, z.data(), r.data());
  des_encrypt(challenge, z.data() + 7, r.data() + 8);
  des_encrypt(challenge, z.data() + 14, r.data() + 16);
  return r;
}

NtResponse v1_nt_response(ByteView challenge, const Hash16& password_hash) {
  Challenge8 c{};
  std::memcpy(c.data(), challenge.data(), std::min(challenge.size(), c.size()));
  return challenge_response(c, password_hash);
}

NtResponse v2_nt_response(ByteView authenticator_challenge, ByteView peer_challenge,
                          std::string_view user_name, const Hash16& password_hash) {
  return challenge_response(challenge_hash(peer_challenge, authenticator_challenge, user_name),
                            password_hash);
}

std::string authenticator_response(const Hash16& password_hash, const NtResponse& nt_response,
                                   ByteView peer_challenge, ByteView authenticator_challenge,
                                   std::string_view user_name) {
  const Hash16 hh = hash_nt_password_hash(password_hash);
  auto d = sha1({ByteView(hh), ByteView(nt_response), as_bytes(kAuthMagic1)});
  const Challenge8 c = challenge_hash(peer_challenge, authenticator_challenge, user_name);
  d = sha1({ByteView(d), ByteView(c), as_bytes(kAuthMagic2)});
  return "S=" + hex_upper(d);
}

bool check_authenticator_response(const Hash16& password_hash, const NtResponse& nt_response,
                                  ByteView peer_challenge, ByteView authenticator_challenge,
                                  std::string_view user_name, std::string_view received) {
  std::string want = authenticator_response(password_hash, nt_response, peer_challenge,
                                            authenticator_challenge, user_name);
  std::string got(received);
  std::transform(got.begin(), got.end(), got.begin(),
                 [](char ch) { return ch >= 'a' && ch <= 'f' ? static_cast<char>(ch - 32) : ch; });
  return equal_secret(std::string_view(want), std::string_view(got));
}

Hash16 master_key(const Hash16& password_hash_hash, const NtResponse& nt_response) {
  auto d = sha1({ByteView(password_hash_hash), ByteView(nt_response), as_bytes(kMasterMagic)});
  Hash16 k{};
  std::memcpy(k.data(), d.data(), k.size());
  return k;
}

Hash16 asymmetric_start_key(const Hash16& master, bool is_send, bool is_server) {
  static const std::array<std::uint8_t, 40> pad1{};
  std::array<std::uint8_t, 40> pad2;
  pad2.fill(0xf2);
  const std::string_view magic =
      is_send == is_server ? kMagicClientRecv : kMagicClientSend;  // server send = client recv
  auto d = sha1({ByteView(master), ByteView(pad1), as_bytes(magic), ByteView(pad2)});
  Hash16 k{};
  std::memcpy(k.data(), d.data(), k.size());
  return k;
}

MppeKeys v2_mppe_keys(const Hash16& password_hash, const NtResponse& nt_response, bool is_server) {
  const Hash16 m = master_key(hash_nt_password_hash(password_hash), nt_response);
  return {asymmetric_start_key(m, true, is_server), asymmetric_start_key(m, false, is_server)};
}

MppeKeys v1_mppe_keys(const Hash16& password_hash, ByteView challenge) {
  return v1_mppe_keys_from_hash_hash(hash_nt_password_hash(password_hash), challenge);
}

MppeKeys v1_mppe_keys_from_hash_hash(const Hash16& hh, ByteView challenge) {
  Challenge8 c{};
  std::memcpy(c.data(), challenge.data(), std::min(challenge.size(), c.size()));
  auto d = sha1({ByteView(hh), ByteView(hh), ByteView(c)});
  Hash16 k{};
  std::memcpy(k.data(), d.data(), k.size());
  return {k, k};
}

std::optional<V1Response> parse_v1_response(ByteView v) {
  if (v.size() != kResponseSize) return std::nullopt;
  V1Response r;
  std::memcpy(r.lm_response.data(), v.data(), 24);
  std::memcpy(r.nt_response.data(), v.data() + 24, 24);
  r.flags = v[48];
  return r;
}

std::optional<V2Response> parse_v2_response(ByteView v) {
  if (v.size() != kResponseSize) return std::nullopt;
  if (std::any_of(v.begin() + 16, v.begin() + 24, [](std::uint8_t b) { return b != 0; }))
    return std::nullopt;
  V2Response r;
  std::memcpy(r.peer_challenge.data(), v.data(), 16);
  std::memcpy(r.nt_response.data(), v.data() + 24, 24);
  r.flags = v[48];
  return r;
}

Bytes encode_v1_response(const V1Response& r) {
  Bytes out(r.lm_response.begin(), r.lm_response.end());
  out.insert(out.end(), r.nt_response.begin(), r.nt_response.end());
  out.push_back(r.flags);
  return out;
}

Bytes encode_v2_response(const V2Response& r) {
  Bytes out(r.peer_challenge.begin(), r.peer_challenge.end());
  out.resize(24, 0);
  out.insert(out.end(), r.nt_response.begin(), r.nt_response.end());
  out.push_back(r.flags);
  return out;
}

std::optional<Verified> verify_v1(std::string_view password, ByteView challenge,
                                  ByteView response_value) {
  auto r = parse_v1_response(response_value);
  // Flags 0 asks for the LAN Manager response, which no current client sends and which
  // we never accept (RFC 2433 §12: the LM hash is weak).
  if (!r || challenge.size() != kV1ChallengeSize || !(r->flags & 1)) return std::nullopt;
  const Hash16 ph = nt_password_hash(password);
  const NtResponse want = v1_nt_response(challenge, ph);
  if (!equal_secret(ByteView(want), ByteView(r->nt_response))) return std::nullopt;
  return Verified{{}, v1_mppe_keys(ph, challenge)};
}

std::optional<Verified> verify_v2(std::string_view password, ByteView authenticator_challenge,
                                  ByteView response_value, std::string_view user_name) {
  auto r = parse_v2_response(response_value);
  if (!r || authenticator_challenge.size() != kV2ChallengeSize) return std::nullopt;
  const Hash16 ph = nt_password_hash(password);
  const NtResponse want = v2_nt_response(authenticator_challenge, r->peer_challenge, user_name, ph);
  if (!equal_secret(ByteView(want), ByteView(r->nt_response))) return std::nullopt;
  return Verified{authenticator_response(ph, r->nt_response, r->peer_challenge,
                                         authenticator_challenge, user_name),
                  v2_mppe_keys(ph, r->nt_response, true)};
}

std::string v2_success_message(std::string_view auth_response, std::string_view message) {
  std::string s(auth_response);
  if (!message.empty()) {
    s += " M=";
    s += message;
  }
  return s;
}

std::string failure_message(unsigned error, bool retry, ByteView challenge,
                            std::string_view message) {
  std::string s = "E=" + std::to_string(error) + (retry ? " R=1" : " R=0");
  if (!challenge.empty()) s += " C=" + hex_upper(challenge) + " V=3";
  if (!message.empty()) {
    s += " M=";
    s += message;
  }
  return s;
}

std::optional<std::string> success_authenticator(std::string_view message) {
  auto s = field(message, "S");
  if (!s || s->size() != 40) return std::nullopt;
  if (!std::all_of(s->begin(), s->end(),
                   [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); }))
    return std::nullopt;
  return "S=" + std::string(*s);
}

std::optional<Failure> parse_failure(std::string_view message) {
  auto e = field(message, "E");
  if (!e || e->empty() || e->size() > 9) return std::nullopt;
  Failure f;
  for (char c : *e) {
    if (c < '0' || c > '9') return std::nullopt;
    f.error = f.error * 10 + static_cast<unsigned>(c - '0');
  }
  auto r = field(message, "R");
  f.retry = r && *r == "1";
  if (auto m = field(message, "M")) f.message = std::string(*m);
  return f;
}

}  // namespace vpdnd::mschap
