// The startup config on disk: loading it through a file session (the same grammar as the
// shell) and saving it atomically (temp file, fsync, rename, one .bak).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>

#include "cli/lang/session.hpp"

namespace vpdnd::cli {

LoadReport load_config_file(ShellContext& context, const std::string& path) {
  LoadReport report;
  std::ifstream in(path);
  if (!in) return report;
  report.file_found = true;
  lang::Session session(context, SessionOrigin::file, "");
  std::map<std::string, std::size_t> interface_lines;  // where each interface view was entered
  std::string line;
  while (std::getline(in, line)) {
    ++report.lines;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto r = session.execute(line);
    if (session.view() == lang::View::interface)
      interface_lines.emplace(session.object(), report.lines);
    for (auto& w : r.warnings)
      report.warnings.push_back(path + ":" + std::to_string(report.lines) + ": warning: " + w);
    if (!r.ok) {
      std::string msg = r.output;
      for (auto& c : msg)
        if (c == '\n') c = ' ';
      auto first = msg.find_first_not_of(' ');
      report.errors.push_back(path + ":" + std::to_string(report.lines) + ": " +
                              (first == std::string::npos ? msg : msg.substr(first)));
    }
  }
  // Only now is every `linux-interface` of the file known.
  auto unmapped = context.engine.call([&] {
    std::vector<std::string> names;
    const auto& c = context.store.running();
    for (auto& [name, i] : c.interfaces)
      if (c.linux_interface(name).empty()) names.push_back(name);
    return names;
  });
  for (auto& name : unmapped) {
    auto at = interface_lines.find(name);
    report.warnings.push_back(path + ":" +
                              std::to_string(at == interface_lines.end() ? 0 : at->second) +
                              ": warning: " + lang::unmapped_warning(name));
  }
  return report;
}

namespace {

std::string errno_text(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

bool write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

void fsync_dir(const std::string& path) {
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

std::string save_configuration(const config::RunningConfig& config, const std::string& path) {
  // Two terminals saving at once would share the temp file name: one at a time.
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  const std::string text = render_configuration(config);
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return errno_text("open");
  if (!write_all(fd, text) || ::fsync(fd) != 0) {
    std::string e = errno_text("write");
    ::close(fd);
    ::unlink(tmp.c_str());
    return e;
  }
  if (::close(fd) != 0) {
    std::string e = errno_text("close");
    ::unlink(tmp.c_str());
    return e;
  }
  // Keep the previous file as PATH.bak; the hard link is atomic too, so PATH itself is
  // always either the old or the new complete file.
  if (::access(path.c_str(), F_OK) == 0) {
    const std::string bak = path + ".bak";
    const std::string bak_tmp = bak + ".tmp";
    ::unlink(bak_tmp.c_str());
    if (::link(path.c_str(), bak_tmp.c_str()) == 0) ::rename(bak_tmp.c_str(), bak.c_str());
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string e = errno_text("rename");
    ::unlink(tmp.c_str());
    return e;
  }
  fsync_dir(path);
  return {};
}

}  // namespace vpdnd::cli
