#include "tests/support/vpdnd.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace vpdnd::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

bool Vpdnd::built() {
  return fs::exists(vpdnd_path());
}

bool Vpdnd::start(const fs::path& dir, const std::string& config,
                  const std::vector<std::string>& args, bool pty) {
  fs::create_directories(dir);
  const fs::path cfg = dir / "startup.cfg";
  std::ofstream(cfg) << config;
  std::vector<std::string> argv{vpdnd_path(), "--config", cfg.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  Options o;
  o.log = dir / "vpdnd.log";
  o.pty = pty;
  o.rows = o.columns = 0;  // the console as a terminal of unknown size
  return spawn(argv, o);
}

bool TermChild::spawn(const std::vector<std::string>& argv, unsigned short rows) {
  Options o;
  o.pty = true;
  o.rows = rows;
  if (!Child::spawn(argv, o)) return false;
  term_.set_fd(master());
  return true;
}

bool TermChild::exited(std::chrono::milliseconds timeout) {
  if (pid() <= 0) return true;
  return wait_exit(timeout, nullptr, [this] { term_.drain(20ms); }) >= 0;
}

fs::path test_dir(const std::string& prefix) {
  return fs::temp_directory_path() /
         (prefix + "-" + std::to_string(::getpid()) + "-" +
          ::testing::UnitTest::GetInstance()->current_test_info()->name());
}

bool take_port_slot(std::size_t slots, std::size_t step, int attempts,
                    const std::function<bool(std::size_t slot)>& try_slot) {
  const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  const std::size_t base = std::hash<std::string>{}(name) % slots;
  for (int attempt = 0; attempt < attempts; ++attempt)
    if (try_slot((base + static_cast<std::size_t>(attempt) * step) % slots)) return true;
  return false;
}

}  // namespace vpdnd::test
