// `save`: the question on terminals, `save force`, `save FILE` (a plain .cfg name only),
// files never save, and atomicity: a save killed with SIGKILL at any moment leaves a file that
// loads cleanly.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>

#include "cli/cli.hpp"
#include "fixture.hpp"

namespace vpdnd::cli::test {
namespace {

class SaveTest : public ShellTest {};

TEST_F(SaveTest, AsksOnTerminalAndSavesOnYes) {
  auto s = system_session();
  s->execute("sysname SAVED");
  auto r = s->execute("save");
  EXPECT_TRUE(r.awaiting_answer);
  EXPECT_EQ(r.output,
            "The current configuration will be written to the device. Are you sure? [Y/N]:");
  EXPECT_FALSE(std::filesystem::exists(context.startup_path));
  r = s->execute("y");
  EXPECT_TRUE(r.ok) << r.output;
  EXPECT_FALSE(r.awaiting_answer);
  EXPECT_THAT(r.output, HasSubstr("saved to device successfully"));
  ASSERT_TRUE(std::filesystem::exists(context.startup_path));
  reset_model();
  EXPECT_TRUE(load_config_file(context, context.startup_path).errors.empty());
  EXPECT_EQ(running().sysname, "SAVED");
}

TEST_F(SaveTest, NoMeansNotSaved) {
  auto s = session();
  EXPECT_TRUE(s->execute("save").awaiting_answer);
  auto r = s->execute("n");
  EXPECT_THAT(r.output, HasSubstr("not saved"));
  EXPECT_FALSE(std::filesystem::exists(context.startup_path));
  EXPECT_EQ(s->prompt(), "<VPDN>");
  EXPECT_TRUE(s->execute("display version").ok);  // back to commands
}

TEST_F(SaveTest, ForceAndFileAndBackup) {
  auto s = system_session();
  auto r = s->execute("save force");
  EXPECT_FALSE(r.awaiting_answer);
  EXPECT_TRUE(r.ok) << r.output;
  s->execute("sysname SECOND");
  EXPECT_TRUE(s->execute("save force").ok);
  // The previous file is kept as .bak.
  reset_model();
  EXPECT_TRUE(load_config_file(context, context.startup_path + ".bak").errors.empty());
  EXPECT_EQ(running().sysname, "VPDN");
  r = s->execute("save other.cfg force");
  EXPECT_TRUE(r.ok) << r.output;
  EXPECT_TRUE(std::filesystem::exists(dir / "other.cfg"));
  r = s->execute("save other2.cfg");
  EXPECT_TRUE(r.awaiting_answer);
  EXPECT_THAT(r.output, HasSubstr("other2.cfg"));
  s->execute("Y");
  EXPECT_TRUE(std::filesystem::exists(dir / "other2.cfg"));
}

// `save FILE` takes a plain name ending in .cfg, saved beside the startup file: a telnet
// admin of a root daemon must not be able to write any other path.
TEST_F(SaveTest, FileMustBeAPlainCfgName) {
  auto s = system_session();
  const std::string outside =
      (dir.parent_path() / ("cli_lang_escape_" + std::to_string(::getpid()) + ".cfg")).string();
  for (const std::string& bad : std::vector<std::string>{
           "/tmp/x.cfg", outside, "../" + std::filesystem::path(outside).filename().string(),
           "../../../tmp/x.cfg", "sub/x.cfg", ".", "..", ".cfg", "x.txt", "x.cfg.bak", "a$b.cfg",
           std::string(60, 'a') + ".cfg"}) {
    for (std::string tail : {" force", ""}) {
      auto r = s->execute("save " + bad + tail);
      EXPECT_FALSE(r.ok) << bad << tail;
      EXPECT_FALSE(r.awaiting_answer) << bad << tail;
      EXPECT_THAT(r.output, HasSubstr("Error: The file name is invalid."))
          << bad << tail << ": " << r.output;
    }
  }
  EXPECT_FALSE(std::filesystem::exists(outside));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir),
                          std::filesystem::directory_iterator{}),
            0);
  // The longest valid name, other characters allowed, the extension in any case.
  for (const std::string& good :
       std::vector<std::string>{std::string(59, 'a') + ".cfg", "My_Box-2.v1.CFG"}) {
    auto r = s->execute("save " + good + " force");
    EXPECT_TRUE(r.ok) << good << ": " << r.output;
    EXPECT_TRUE(std::filesystem::exists(dir / good)) << good;
  }
  // `save` and `save force` are unchanged.
  EXPECT_TRUE(s->execute("save force").ok);
  EXPECT_TRUE(std::filesystem::exists(context.startup_path));
}

TEST_F(SaveTest, FileSessionsNeverSave) {
  auto errors = load_text("sysname X\nsave force\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("load.cfg:2:"));
  EXPECT_FALSE(std::filesystem::exists(context.startup_path));
}

TEST_F(SaveTest, SaveErrorIsReported) {
  auto cfg = running();
  std::string err = save_configuration(cfg, (dir / "no-such-dir" / "x.cfg").string());
  EXPECT_FALSE(err.empty());
}

// A child saves in a loop; the parent SIGKILLs it at random moments. Whatever is on disk
// afterwards is always a complete config: it loads with zero errors to the saved model.
TEST_F(SaveTest, KilledSaveNeverLeavesABrokenFile) {
  // A config big enough that a write takes a while.
  std::string text = "sysname KILLTEST\nl2tp enable\n";
  for (int i = 1; i <= 300; ++i) {
    text += "local-user user" + std::to_string(i) + "\n password simple pw" + std::to_string(i) +
            "\n service-type ppp\n";
    text += "l2tp-group " + std::to_string(i) + "\n tunnel password simple t" + std::to_string(i) +
            "\n start l2tp ip 10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1) +
            " domain d" + std::to_string(i) + "\n";
  }
  ASSERT_TRUE(load_text(text).empty());
  const auto model = running();
  ASSERT_EQ(save_configuration(model, context.startup_path), "");

  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> delay_us(0, 30000);
  for (int round = 0; round < 25; ++round) {
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      for (;;) save_configuration(model, context.startup_path);
      ::_exit(0);
    }
    ::usleep(static_cast<useconds_t>(delay_us(rng)));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    reset_model();
    auto report = load_config_file(context, context.startup_path);
    ASSERT_TRUE(report.file_found) << "round " << round;
    ASSERT_TRUE(report.errors.empty()) << "round " << round << ": " << report.errors.front();
    ASSERT_TRUE(running() == model) << "round " << round;
  }
}

}  // namespace
}  // namespace vpdnd::cli::test
