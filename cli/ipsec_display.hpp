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
// `display ipsec sa brief`: one row an SA (each direction): interface, destination, SPI.
std::string render_ipsec_sa_brief(const ipsec::SaSnapshot& snap, const ipsec::Statistics& stats);
// `display ipsec sa count`
std::string render_ipsec_sa_count(const ipsec::SaSnapshot& snap);
// `display ipsec transform-set [NAME]`: each set's state, mode and algorithms.
std::string render_ipsec_transform_sets(const config::RunningConfig& config,
                                        const std::string& name);
// `display ipsec policy [NAME [N]]` (`template` false) and `display ipsec policy-template
// [NAME [N]]` (true): each entry's settings and what it lacks. Empty `name`: all; 0 `seq`:
// every entry of the name.
std::string render_ipsec_policies(const config::RunningConfig& config, bool is_template,
                                  const std::string& name, std::uint16_t seq);
// `display ipsec statistics`
std::string render_ipsec_statistics(const ipsec::SaSnapshot& snap, const ipsec::Statistics& stats);

}  // namespace vpdnd::cli
