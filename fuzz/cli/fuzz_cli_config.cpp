// libFuzzer target over the command language as a startup-config file: the input is split
// into lines (a config file, or an operator typing), each line goes through execute(), and
// its prefixes through help() (`?`) and complete() (Tab). Whatever the input did, the
// running config it left must print (render_configuration) as a file that loads back with
// no error and prints identically: a config the box writes with `save` has to come back
// the same at the next boot. Any crash, sanitizer report or broken round trip aborts.
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "cli/cli.hpp"
#include "cli/lang.hpp"
#include "common/lines.hpp"
#include "common/log.hpp"
#include "common/protocol_thread.hpp"

using namespace vpdnd;

namespace {

struct World {
  ProtocolThread engine;
  cli::NoEngineOperations operations;  // the displays and resets reach no engine here
  std::string dir;
  World() {
    dir = (std::filesystem::temp_directory_path() / ("fuzz_cli_" + std::to_string(::getpid())))
              .string();
    std::filesystem::create_directories(dir);
    engine.start();
    // `save force FILE` lines write here; nothing is left behind in /tmp.
    static std::string removed_at_exit;
    removed_at_exit = dir;
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(removed_at_exit, ignored);
    });
  }
};

World& world() {
  static World* w = new World;  // never destroyed: the protocol thread outlives every input
  return *w;
}

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_cli_config: %s\n", what);
    std::abort();
  }
}

// At most `max_lines` lines of `text`.
std::vector<std::string> first_lines(std::string_view text, std::size_t max_lines) {
  std::vector<std::string_view> all = split_lines(text);
  all.resize(std::min(all.size(), max_lines));
  return {all.begin(), all.end()};
}

std::string print(World& w, config::ConfigStore& store) {
  return w.engine.call([&] { return cli::render_configuration(store.running()); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 4096) return 0;
  World& w = world();
  std::string_view text(reinterpret_cast<const char*>(data), size);

  // 1. The input, as a console operator would type it (every view reachable).
  config::ConfigStore store;
  cli::ShellContext context{w.engine, store, w.operations, w.dir + "/startup.cfg"};
  {
    auto session = cli::make_command_session(context, cli::SessionOrigin::console, "admin");
    for (const auto& line : first_lines(text, 64)) {
      // `display ... | include REGEX` runs std::regex, whose backtracking is exponential for
      // patterns like (a*)*b by design: such a line would only measure the library.
      if (auto bar = line.find('|');
          bar != std::string::npos && line.find_first_of("*+{?", bar) != std::string::npos)
        continue;
      for (std::size_t cut : {line.size() / 2, line.size()}) {
        (void)session->help(line.substr(0, cut));
        (void)session->complete(line.substr(0, cut));
      }
      auto r = session->execute(line);
      if (r.close_session) break;
      if (r.awaiting_answer) (void)session->execute("N");  // never let `save` write
    }
  }

  // 2. What it left must survive save + boot: print, load the print, print again.
  std::string first = print(w, store);
  config::ConfigStore reloaded;
  cli::ShellContext context2{w.engine, reloaded, w.operations, w.dir + "/startup.cfg"};
  auto loader = cli::make_command_session(context2, cli::SessionOrigin::file);
  for (const auto& line : first_lines(first, 1u << 16)) {
    auto r = loader->execute(line);
    if (!r.ok)
      std::fprintf(stderr, "line %s\n%s\n--- config ---\n%s\n", line.c_str(), r.output.c_str(),
                   first.c_str());
    check(r.ok, "a line of the printed running config does not load back");
  }
  check(print(w, reloaded) == first, "the reloaded config prints differently");
  // Both stores die here, off the protocol thread but with no call in flight.
  return 0;
}
