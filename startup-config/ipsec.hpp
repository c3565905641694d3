// DOC: the IPsec part of the running-config model (Comware V7 `ike ...` / `ipsec ...`
// nodes). vpdnd never speaks IKE or ESP itself: ipsec/ renders these structs into
// strongSwan configuration. References between nodes are by name and may point at a node
// not (yet) configured, as on Comware, so a configuration loads in any order; the renderer
// skips what is incomplete and says why.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/ipv4.hpp"
#include "startup-config/secret_type.hpp"

namespace vpdnd::config {

enum class IkeCipher : std::uint8_t { des3_cbc, aes_cbc_128, aes_cbc_192, aes_cbc_256 };
enum class IkeHash : std::uint8_t { md5, sha, sha256, sha384, sha512 };
// Comware `dh groupN` / `pfs dh-groupN` numbers (RFC 3526 / 5114 / 5903 groups).
enum class DhGroup : std::uint8_t {
  group1 = 1,
  group2 = 2,
  group5 = 5,
  group14 = 14,
  group19 = 19,
  group20 = 20,
  group24 = 24
};
enum class EspCipher : std::uint8_t { des3_cbc, aes_cbc_128, aes_cbc_192, aes_cbc_256, null };
enum class EspHash : std::uint8_t { md5, sha1, sha256, sha384, sha512 };

// `ike proposal N` (1..65535). Comware's defaults except the cipher: vpdnd has no DES, so
// an unconfigured proposal uses AES-CBC-128.
struct IkeProposal {
  std::uint16_t number = 0;
  IkeCipher encryption = IkeCipher::aes_cbc_128;
  IkeHash authentication = IkeHash::sha;
  DhGroup dh = DhGroup::group1;
  std::uint32_t sa_duration_s = 86400;  // 60..604800
  bool operator==(const IkeProposal&) const = default;
};

// One `pre-shared-key address A [MASK] key {simple|cipher} K` of a keychain.
struct PreSharedKey {
  Ipv4 address;
  Ipv4 mask{0xffffffffu};
  Secret key;  // printed only in cipher form (secret.hpp)
  bool operator==(const PreSharedKey&) const = default;
};

struct IkeKeychain {
  std::string name;
  std::vector<PreSharedKey> keys;  // one per (address, mask), in the order configured
  bool operator==(const IkeKeychain&) const = default;
};

enum class ExchangeMode : std::uint8_t { main, aggressive };

struct IkeProfile {
  std::string name;
  std::vector<std::string> keychains;  // `keychain NAME`, up to 6
  // `match remote identity address A [MASK]`: the peers this profile is for.
  std::optional<std::pair<Ipv4, Ipv4>> match_address;
  ExchangeMode exchange_mode = ExchangeMode::main;
  // `local-identity address A`: kept and printed; charon identifies with the local address.
  std::optional<Ipv4> local_identity;
  std::vector<std::uint16_t> proposals;  // `proposal N...`; empty: the client-friendly set
  bool operator==(const IkeProfile&) const = default;
};

enum class EncapsulationMode : std::uint8_t { tunnel, transport };

struct TransformSet {
  std::string name;
  EncapsulationMode mode = EncapsulationMode::tunnel;
  std::vector<EspCipher> esp_encryption;  // empty: not configured (the set is incomplete)
  std::vector<EspHash> esp_authentication;
  std::optional<DhGroup> pfs;
  bool operator==(const TransformSet&) const = default;
};

// `ipsec policy-template NAME N` (dial-in peers) and `ipsec policy NAME N isakmp` (one
// named peer) share these settings.
struct IpsecPolicyEntry {
  std::string name;
  std::uint16_t sequence = 0;               // 1..65535
  std::vector<std::string> transform_sets;  // up to 6, in preference order
  std::string ike_profile;
  std::optional<Ipv4> remote_address;     // `remote-address A`
  std::optional<std::uint32_t> acl;       // `security acl N` (3000..3999)
  std::optional<std::uint32_t> lifetime;  // `sa duration time-based S`
  std::string template_name;              // `ipsec policy NAME N isakmp template T`
  bool operator==(const IpsecPolicyEntry&) const = default;
};

using PolicyKey = std::pair<std::string, std::uint16_t>;  // (name, sequence)

struct IpsecConfig {
  std::map<std::uint16_t, IkeProposal> proposals;
  std::map<std::string, IkeKeychain> keychains;
  std::map<std::string, IkeProfile> profiles;
  std::map<std::string, TransformSet> transform_sets;
  std::map<PolicyKey, IpsecPolicyEntry> templates;  // `ipsec policy-template`
  std::map<PolicyKey, IpsecPolicyEntry> policies;   // `ipsec policy ... isakmp [template]`
  std::uint32_t nat_keepalive_s = 20;               // `ike nat-keepalive S` (5..300)
  bool operator==(const IpsecConfig&) const = default;
};

}  // namespace vpdnd::config
