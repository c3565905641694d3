// Loads a generated startup config (10,000 local users, 1,000 l2tp-groups by default) through
// load_config_file, the path vpdnd takes at start, and prints the wall time. Every line is one
// command edit of the running config, so the figure shows what one edit costs on a big config.
//   config_load_bench [USERS] [GROUPS]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "cli/cli.hpp"
#include "cli/lang.hpp"

namespace {

using namespace vpdnd;

std::string make_config(int users, int groups) {
  std::string out = " sysname BIG\n#\n l2tp enable\n#\n";
  out += "interface Virtual-Template1\n ppp authentication-mode chap\n remote address pool 1\n#\n";
  for (int g = 1; g <= groups; ++g) {
    std::string n = std::to_string(g);
    out += "l2tp-group " + n + " mode lns\n allow l2tp virtual-template 1 remote lac" + n +
           "\n tunnel name lns" + n + "\n tunnel password simple secret" + n + "\n#\n";
  }
  for (int u = 1; u <= users; ++u) {
    std::string n = std::to_string(u);
    out += "local-user user" + n + " class network\n password simple pw" + n +
           "\n service-type ppp\n#\n";
  }
  return out + "return\n";
}

}  // namespace

int main(int argc, char** argv) {
  int users = argc > 1 ? std::atoi(argv[1]) : 10000;
  int groups = argc > 2 ? std::atoi(argv[2]) : 1000;
  auto path = std::filesystem::temp_directory_path() /
              ("config_load_bench_" + std::to_string(::getpid()) + ".cfg");
  {
    std::ofstream out(path);
    out << make_config(users, groups);
  }
  ProtocolThread engine;
  engine.start();
  config::ConfigStore store;
  cli::NoEngineOperations ops;
  cli::ShellContext context{engine, store, ops, ""};
  auto start = std::chrono::steady_clock::now();
  auto report = cli::load_config_file(context, path.string());
  auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto loaded = engine.call([&] {
    return std::make_pair(store.running().local_users.size(), store.running().l2tp_groups.size());
  });
  engine.stop();
  std::filesystem::remove(path);
  std::printf(
      "loaded %zu lines (%zu local users, %zu l2tp-groups, %zu errors) in %.3f s: %.1f us/line\n",
      report.lines, loaded.first, loaded.second, report.errors.size(), took,
      took * 1e6 / static_cast<double>(report.lines));
  for (std::size_t i = 0; i < report.errors.size() && i < 5; ++i)
    std::printf("  %s\n", report.errors[i].c_str());
  return report.errors.empty() ? 0 : 1;
}
