// Test helper: child processes (daemons, clients, servers under test) started with
// fork/exec, their output in a log file, and the waits a system test needs around them.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace vpdnd::test {

// The build tree: $VPDND_BUILD_DIR, else two levels above this test binary
// (<build>/tests/<name>), so binaries like vpdnd and vpdn-dial are found however ctest
// passes the environment.
std::string build_dir();
std::string vpdnd_path();  // <build>/vpdnd

bool have_tool(const char* name);  // on $PATH
std::string read_file(const std::filesystem::path& p);
// What `cmd` (a shell command) wrote on stdout.
std::string run_output(const std::string& cmd);

// A TCP connection to 127.0.0.1:`port`, from `source` (an address of 127/8) when given, so
// one test can play several clients with addresses of their own. -1 on failure.
int connect_tcp(std::uint16_t port, const char* source = nullptr);

// A system-test script (bash `script` `args`) with VPDND_BUILD_DIR set, bounded by
// timeout(1) at `timeout_s`: its exit code (77: skipped) and everything it printed.
struct ScriptOutcome {
  int code = -1;
  std::string output;
};
ScriptOutcome run_script(const std::string& script, const std::string& args, int timeout_s);
// Runs the script and prints what it said: true when it passed (0) or skipped (77, and the
// test is marked skipped); the caller asserts on it.
bool script_passes(const std::string& script, const std::string& args, int timeout_s);

// Polls `done` every `interval` until it holds (true) or `timeout` passes (false).
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval = std::chrono::milliseconds(50));

// One child process. Killed (SIGKILL) when the object goes, and by the kernel when the
// thread that started it ends (PR_SET_PDEATHSIG), so a crashed test leaves nothing behind.
class Child {
 public:
  struct Options {
    // stdout and stderr (stderr only on a pty) go there; empty: inherited.
    std::filesystem::path log;
    bool append = false;  // keep what earlier runs wrote to `log`
    // On a new pseudo-terminal (its master: master()) instead of /dev/null as stdin.
    bool pty = false;
    unsigned short rows = 24, columns = 120;  // rows 0: no window size set
    // A process group of its own: every signal, and the final SIGKILL, reach the children
    // it starts too (xl2tpd's pppd).
    bool own_group = false;
  };

  Child() = default;
  ~Child() { kill_hard(); }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // argv[0] is looked up on $PATH unless it holds a '/'.
  bool spawn(const std::vector<std::string>& argv, const Options& options);
  bool spawn(const std::vector<std::string>& argv) { return spawn(argv, Options{}); }

  pid_t pid() const { return pid_; }
  int master() const { return master_; }
  // True once it ended (reaped); exit_code() then tells how.
  bool exited();
  // The exit status, or 128 + the signal that ended it.
  int exit_code() const;
  // Waits up to `timeout` for it to end by itself: its exit code, -1 on timeout. `meanwhile`
  // runs between the polls (a pty child blocks when nobody reads its output).
  int wait_exit(std::chrono::milliseconds timeout, std::chrono::milliseconds* took = nullptr,
                const std::function<void()>& meanwhile = {});
  // SIGTERM, then wait_exit.
  int terminate(std::chrono::milliseconds timeout, std::chrono::milliseconds* took = nullptr);
  // Sends `number` every `interval` until it exits: its exit code, -1 on timeout.
  int signal_until_exit(int number, std::chrono::milliseconds interval,
                        std::chrono::milliseconds timeout);
  // `number` (tshark writes its capture out on SIGINT), and SIGKILL when it is still there
  // after `grace`.
  void stop(std::chrono::milliseconds grace, int number = SIGTERM);
  void kill_hard();  // SIGKILL and reap; closes the pty

  // The log file's text, how often `text` occurs in it, and a wait for one more occurrence
  // than `seen_before` (false when the child exits first or on timeout).
  std::string log() const;
  std::size_t count_in_log(const std::string& text) const;
  bool wait_log(const std::string& text,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(15000),
                std::size_t seen_before = 0);

 private:
  void signal(int number) const;  // to the child, or to its group

  pid_t pid_ = -1;
  bool group_ = false;
  int master_ = -1;
  int status_ = 0;
  std::filesystem::path log_;
};

}  // namespace vpdnd::test
