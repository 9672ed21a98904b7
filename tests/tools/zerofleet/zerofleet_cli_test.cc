// The `zerofleet` binary as a user meets it: help, bad flags, and a real self-play run.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/game/game_record.h"
#include "tests/testing/process.h"
#include "tests/testing/temp_dir.h"

namespace zf {
namespace {

using ::testing::HasSubstr;
using ::zf::testing::RunBinary;

int CountLines(const std::string& s) {
  return static_cast<int>(
      std::vector<std::string>(absl::StrSplit(s, '\n', absl::SkipEmpty())).size());
}

TEST(ZerofleetCli, HelpListsCommandsAndFlags) {
  auto main_help = RunBinary("zerofleet", "--help");
  EXPECT_EQ(main_help.exit_code, 0);
  EXPECT_THAT(main_help.out, HasSubstr("selfplay"));
  EXPECT_THAT(main_help.out, HasSubstr("bench"));
  auto cmd_help = RunBinary("zerofleet", "selfplay --help");
  EXPECT_EQ(cmd_help.exit_code, 0);
  EXPECT_THAT(cmd_help.out, HasSubstr("--board-size"));
  EXPECT_THAT(cmd_help.out, HasSubstr("--parallel-games"));
}

// Every command's --help exits 0 and shows each flag with its default (the flags each command
// declares in its cmd_<name>.cc).
TEST(ZerofleetCli, EveryCommandHelpListsRealFlags) {
  for (const char* command : {"selfplay", "train", "learner", "actor", "inference-server", "play",
                              "evaluate", "ratings", "bench"}) {
    auto help = RunBinary("zerofleet", std::string(command) + " --help");
    EXPECT_EQ(help.exit_code, 0) << command;
    EXPECT_THAT(help.out, HasSubstr("flags:")) << command;
    for (absl::string_view line : absl::StrSplit(help.out, '\n')) {
      if (absl::StartsWith(line, "  --")) {
        EXPECT_THAT(line, HasSubstr("default: ")) << command;
      }
    }
  }
}

// The fleet binaries are their subcommands: --help exits 0 with the command's own flags, not
// absl's listing of every flag in the binary.
TEST(ZerofleetCli, FleetBinariesHaveTheirCommandsHelp) {
  struct Case {
    const char* binary;
    const char* own_flag;
    const char* foreign_flag;
  };
  for (const Case& c : {Case{"zerofleet-inference-server", "--max-batch", "--replay-ratio"},
                        Case{"zerofleet-learner", "--replay-ratio", "--max-batch"},
                        Case{"zerofleet-actor", "--inference", "--max-batch"}}) {
    auto help = RunBinary(c.binary, "--help");
    EXPECT_EQ(help.exit_code, 0) << c.binary << help.err;
    EXPECT_THAT(help.out, HasSubstr(c.own_flag)) << c.binary;
    EXPECT_THAT(help.out, ::testing::Not(HasSubstr(c.foreign_flag))) << c.binary;
    EXPECT_THAT(help.out, ::testing::Not(HasSubstr("Flags from"))) << c.binary;
    auto refused = RunBinary(c.binary, std::string(c.foreign_flag) + " 3");
    EXPECT_EQ(refused.exit_code, 2) << c.binary;
    EXPECT_THAT(refused.err, HasSubstr(std::string(c.foreign_flag) + " is not a flag of"))
        << c.binary;
    EXPECT_EQ(CountLines(refused.err), 1) << refused.err;
  }
}

// Help shows the command's defaults after its presets (the inference server listens on a free
// port by default; the learner on 50051).
TEST(ZerofleetCli, HelpShowsTheCommandsOwnDefaults) {
  auto inference = RunBinary("zerofleet-inference-server", "--help");
  EXPECT_THAT(inference.out,
              ::testing::ContainsRegex("--port +[^\n]*\\(0\\.\\.65535; default: 0\\)"));
  auto learner = RunBinary("zerofleet-learner", "--help");
  EXPECT_THAT(learner.out,
              ::testing::ContainsRegex("--port +[^\n]*\\(0\\.\\.65535; default: 50051\\)"));
}

struct BadFlagCase {
  std::string args;
  std::string expected;  // a fragment of the one-line error
};

class BadFlagTest : public ::testing::TestWithParam<BadFlagCase> {};

TEST_P(BadFlagTest, ExitsNonZeroWithOneClearLine) {
  auto r = RunBinary("zerofleet", "selfplay --games 1 " + GetParam().args);
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr(GetParam().expected));
  EXPECT_EQ(CountLines(r.err), 1) << r.err;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadFlagTest,
    ::testing::Values(BadFlagCase{"--board-size 4", "board size 4 out of range"},
                      BadFlagCase{"--board-size 21", "--board-size = 21 out of range: 3..20"},
                      BadFlagCase{"--board-size 7 --win-length 8", "win length 8 out of range"},
                      BadFlagCase{"--sims -5", "--sims = -5 out of range"},
                      BadFlagCase{"--parallel-games 0",
                                  "--parallel-games = 0 out of range: 1..65536"},
                      BadFlagCase{"--rule renju", "unknown rule 'renju'"},
                      BadFlagCase{"--sims abc", "sims"},
                      BadFlagCase{"--no-such-flag", "--no-such-flag is not a flag of `selfplay`"},
                      // Another command's flag: refused, not silently ignored.
                      BadFlagCase{"--replay-ratio 3", "--replay-ratio is not a flag of `selfplay`"},
                      BadFlagCase{"--evaluator magic", "unknown evaluator 'magic'"}));

// Each command's declared ranges are checked before it starts any work, naming the flag.
TEST(ZerofleetCli, DeclaredRangesAreCheckedBeforeTheCommandRuns) {
  struct Case {
    const char* binary;
    const char* args;
    const char* expected;
  };
  for (const Case& c :
       {Case{"zerofleet", "bench rules --seconds 0", "--seconds = 0 out of range: (0, 3600]"},
        Case{"zerofleet", "play --move-time -1", "--move-time = -1 out of range: 0..3600"},
        Case{"zerofleet", "evaluate --sprt-alpha 0.6", "--sprt-alpha = 0.6 out of range: (0, 0.5)"},
        Case{"zerofleet", "train --lr 0", "--lr = 0 out of range: (0, 100]"},
        Case{"zerofleet-learner", "--metrics-port 70000",
             "--metrics-port = 70000 out of range: 0..65535"},
        Case{"zerofleet-actor", "--max-games -2", "--max-games = -2 out of range: >= -1"},
        Case{"zerofleet-inference-server", "--max-batch 5000",
             "--max-batch = 5000 out of range: 1..4096"}}) {
    auto r = RunBinary(c.binary, c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.expected)) << c.args;
    EXPECT_EQ(CountLines(r.err), 1) << r.err;
  }
}

TEST(ZerofleetCli, UnknownCommandFails) {
  auto r = RunBinary("zerofleet", "fly");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("unknown command 'fly'"));
}

TEST(ZerofleetCli, SelfPlayPrintsAGameAndWritesRecords) {
  const ::zf::testing::ScopedTempDir dir("zf_cli_selfplay_");
  ASSERT_FALSE(dir.path().empty());
  const std::string path = dir.Path("games.zfgr");
  auto r = RunBinary("zerofleet",
                     "selfplay --games 3 --parallel-games 3 --board-size 7 "
                     "--win-length 4 --sims 50 --out " +
                         path);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("result:"));
  EXPECT_THAT(r.out, HasSubstr("3 games (7x7 k=4 freestyle)"));
  auto records = ReadGameRecords(path);
  ASSERT_TRUE(records.ok()) << records.status();
  EXPECT_EQ(records->size(), 3u);
}

TEST(ZerofleetCli, BenchRulesJson) {
  auto r = RunBinary("zerofleet", "bench rules --json --seconds 0.2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"moves_per_sec\":"));
  auto bad = RunBinary("zerofleet", "bench warp");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.err, HasSubstr("unknown benchmark 'warp'"));
}

}  // namespace
}  // namespace zf

namespace zf {
namespace {

// SIGTERM in the middle of training stops cleanly (exit 0) with a checkpoint that the next
// run resumes from.
// Starts a training run, sends `signals` once it is training, and checks that it stops cleanly
// (exit 0) with a checkpoint that the next run resumes.
void StopMidTrainingAndResume(const std::vector<int>& signals) {
  const ::zf::testing::ScopedTempDir dir("zf_cli_train_");
  ASSERT_FALSE(dir.path().empty());
  const std::vector<std::string> flags = {"train",
                                          "--preset",
                                          "cpu",
                                          "--board-size",
                                          "5",
                                          "--win-length",
                                          "4",
                                          "--sims",
                                          "16",
                                          "--parallel-games",
                                          "8",
                                          "--games-per-iter",
                                          "8",
                                          "--min-positions",
                                          "32",
                                          "--batch-size",
                                          "16",
                                          "--run-dir",
                                          dir.Path("run")};
  std::vector<std::string> forever = {::zf::testing::BinDir() + "/zerofleet"};
  forever.insert(forever.end(), flags.begin(), flags.end());
  forever.insert(forever.end(), {"--num-iterations", "100000"});
  {
    using ::zf::testing::ChildProcess;
    std::unique_ptr<ChildProcess> train =
        ChildProcess::Start(forever, dir.Path("out"), dir.Path("err"));
    ASSERT_NE(train, nullptr);
    // Signal only once it is training (a loaded machine can take seconds to start): at the
    // first iteration summary ("iter N/M games G positions P ..."). Not "iter 1/": 8 games
    // that end together can carry the count past an iteration between two looks.
    ASSERT_TRUE(
        train->WaitForOutput(ChildProcess::Stream::kStderr, " positions ", absl::Seconds(120)))
        << "training never started";
    for (size_t i = 0; i < signals.size(); ++i) {
      // 100 ms apart: two deliveries for sure (back to back, they may coalesce into one).
      if (i > 0) absl::SleepFor(absl::Milliseconds(100));
      ASSERT_EQ(kill(train->pid(), signals[i]), 0);
    }
    EXPECT_EQ(train->WaitExit(absl::Seconds(120)), 0) << "a clean stop exits 0";
  }
  std::string args;
  for (const auto& f : flags) args += " " + f;
  auto again = RunBinary("zerofleet", args + " --num-iterations 1");
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.err, HasSubstr("resumed from step"));
  EXPECT_THAT(again.err, HasSubstr("checkpoint at step"));
}

TEST(ZerofleetTrain, SigtermLeavesALoadableCheckpointThatResumes) {
  StopMidTrainingAndResume({SIGTERM});
}

// `timeout -s INT` signals the child and then its process group: the same stop arrives twice
// within moments, which must not be taken for a second Ctrl-C ("quit now, no checkpoint").
TEST(ZerofleetTrain, DuplicatedSigintStillStopsWithACheckpoint) {
  StopMidTrainingAndResume({SIGINT, SIGINT});
}

TEST(ZerofleetTrain, BadTrainFlagsFailWithOneLine) {
  for (const std::string& args :
       {std::string("train --net huge"), std::string("train --preset tpu"),
        std::string("train --device quantum"),
        std::string("train --games-per-iter 0 --run-dir /tmp/x")}) {
    auto r = RunBinary("zerofleet", args);
    EXPECT_NE(r.exit_code, 0) << args;
    EXPECT_EQ(CountLines(r.err), 1) << args << ": " << r.err;
  }
}

}  // namespace
}  // namespace zf
