// DOC: the IKE/IPsec displays, Comware V7 layout, as pure functions of the running config
// or of charon's SA list (ipsec/status.hpp) and vpdnd's IPsec counters. Keys never appear.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ipsec/status.hpp"
#include "startup-config/model.hpp"

namespace vpdnd::cli {

// `display ike proposal`
std::string render_ike_proposals(const config::RunningConfig& config);
// `display ike sa`: Connection-ID / Remote / Flag / DOI.
std::string render_ike_sas(const ipsec::SaSnapshot& snap);
// `display ike sa verbose [connection-id N]`; `config` gives each SA's profile settings.
std::string render_ike_sas_verbose(const ipsec::SaSnapshot& snap, const ipsec::Statistics& stats,
                                   const config::RunningConfig& config,
                                   std::optional<std::uint32_t> connection_id);
// `display ipsec sa`: per interface and policy, the tunnel and its inbound/outbound ESP SAs.
std::string render_ipsec_sas(const ipsec::SaSnapshot& snap, const ipsec::Statistics& stats);
// `display ipsec statistics`
std::string render_ipsec_statistics(const ipsec::SaSnapshot& snap, const ipsec::Statistics& stats);

}  // namespace vpdnd::cli
