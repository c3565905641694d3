// DOC: the cli module's public face. The command language (views, grammar, abbreviation,
// help, caret errors, every configuration and operator command) behind CommandSession;
// the startup-config loader that runs files through the same parser; the printer of the
// running config; the console, telnet and SSH front ends.
// Threads: a CommandSession belongs to one terminal thread and reaches the running config
// and the engines only through ShellContext::engine.call(...).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cli/operations.hpp"
#include "cli/shell.hpp"
#include "common/protocol_thread.hpp"
#include "startup-config/model.hpp"

namespace vpdnd::cli {

struct ShellContext {
  ProtocolThread& engine;
  config::ConfigStore& store;  // engine-thread object: touch only inside engine.call
  Operations& operations;      // likewise
  std::string startup_path;    // where `save` writes and `display saved-configuration` reads
};

enum class SessionOrigin { console, telnet, ssh, file };

std::unique_ptr<CommandSession> make_command_session(ShellContext& context, SessionOrigin origin,
                                                     std::string user = {});

struct LoadReport {
  bool file_found = false;
  std::size_t lines = 0;
  std::vector<std::string> errors;    // "FILE:LINE: <error>"
  std::vector<std::string> warnings;  // "FILE:LINE: warning: <text>" (the line still loaded)
};
// Runs every line of `path` through a SessionOrigin::file session (a bad line is reported
// and the rest still loads).
LoadReport load_config_file(ShellContext& context, const std::string& path);

// `display current-configuration` body: Comware layout, `#` between blocks, ends `return`.
std::string render_configuration(const config::RunningConfig& config);

// Atomic save: temp file, fsync, rename, previous file kept as PATH.bak.
// Returns "" on success, else the error text.
std::string save_configuration(const config::RunningConfig& config, const std::string& path);

}  // namespace vpdnd::cli
