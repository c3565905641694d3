#include "tests/support/freeradius.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>

namespace vpdnd::test {

namespace fs = std::filesystem;

namespace {

constexpr const char* kReady = "Ready to process requests";

std::string radiusd_conf(const fs::path& dir, std::uint16_t auth_port) {
  std::string d = dir.string();
  std::ostringstream c;
  c << "prefix = /usr\nexec_prefix = /usr\nsysconfdir = /etc\nlocalstatedir = /var\n"
    << "sbindir = /usr/sbin\nlogdir = " << d << "/log\nraddbdir = " << d << "\n"
    << "radacctdir = " << d << "/acct\nname = freeradius\nconfdir = ${raddbdir}\n"
    << "modconfdir = ${confdir}\nrun_dir = " << d << "/run\ndb_dir = " << d << "\n"
    << "libdir = /usr/lib/freeradius\npidfile = ${run_dir}/${name}.pid\n"
    << "max_request_time = 30\ncleanup_delay = 0\nmax_requests = 4096\n"
    << "hostname_lookups = no\n"
    << "log {\n destination = stdout\n colourise = no\n auth = yes\n}\n"
    << "security {\n allow_core_dumps = no\n max_attributes = 200\n reject_delay = 0\n"
    << " status_server = no\n}\n"
    << "client localhost {\n ipaddr = 127.0.0.1\n secret = " << FreeRadius::kSecret << "\n}\n"
    << "thread pool {\n start_servers = 2\n max_servers = 4\n min_spare_servers = 1\n"
    << " max_spare_servers = 3\n max_requests_per_server = 0\n}\n"
    << "modules {\n pap {\n  normalise = yes\n }\n chap {\n }\n mschap {\n }\n"
    << " files {\n  filename = ${confdir}/users\n }\n"
    << " detail {\n  filename = ${confdir}/acct-detail\n  permissions = 0600\n"
    << "  header = \"%t\"\n }\n}\n"
    << "server default {\n"
    // vpdnd puts every request on the wire at once; the kernel's default receive buffer
    // (about 200 datagrams) would drop part of a burst of hundreds.
    << " listen {\n  type = auth\n  ipaddr = 127.0.0.1\n  port = " << auth_port
    << "\n  recv_buff = 4194304\n }\n"
    << " listen {\n  type = acct\n  ipaddr = 127.0.0.1\n  port = " << auth_port + 1 << "\n }\n"
    << " authorize {\n  chap\n  mschap\n  files\n  pap\n }\n"
    << " authenticate {\n  Auth-Type PAP {\n   pap\n  }\n  Auth-Type CHAP {\n   chap\n  }\n"
    << "  Auth-Type MS-CHAP {\n   mschap\n  }\n }\n"
    // FreeRADIUS signs a reply that carries a Message-Authenticator (rad_sign); 3.2.5 and
    // later add one by themselves, Debian 12's 3.2.1 only when told to. vpdnd refuses
    // Access replies without one by default (`attribute 80 check-mode strict`).
    << " preacct {\n }\n accounting {\n  detail\n }\n"
    << " post-auth {\n  update reply {\n   Message-Authenticator := 0x00\n  }\n"
    << "  Post-Auth-Type REJECT {\n   update reply {\n    Message-Authenticator := 0x00\n   }\n  "
       "}\n"
    << " }\n}\n";
  return c.str();
}

}  // namespace

bool FreeRadius::installed() {
  return fs::exists(kBinary);
}

FreeRadius::FreeRadius(fs::path dir, std::uint16_t auth_port, const std::string& users)
    : dir_(std::move(dir)), auth_port_(auth_port) {
  fs::remove_all(dir_);
  for (const char* sub : {"log", "run", "acct"}) fs::create_directories(dir_ / sub);
  std::ofstream(dir_ / "radiusd.conf") << radiusd_conf(dir_, auth_port_);
  std::ofstream(dir_ / "users") << users;
}

bool FreeRadius::start() {
  const fs::path out = dir_ / "radiusd.out";
  Child::Options o;
  o.log = out;
  o.append = true;
  const std::size_t ready_before = process_.count_in_log(kReady);
  if (!process_.spawn({kBinary, "-X", "-d", dir_.string()}, o)) return false;
  return process_.wait_log(kReady, std::chrono::milliseconds(15000), ready_before);
}

void FreeRadius::stop(std::chrono::milliseconds grace) {
  process_.stop(grace);
}

fs::path radius_scratch_dir(const std::string& name) {
  const std::string build = build_dir();
  const fs::path base = fs::exists(build) ? fs::path(build) : fs::temp_directory_path();
  return base / "radius-test" / (name + "-" + std::to_string(::getpid()));
}

}  // namespace vpdnd::test
