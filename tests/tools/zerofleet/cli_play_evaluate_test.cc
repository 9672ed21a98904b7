// `zerofleet play` with scripted stdin and `zerofleet evaluate` end to end, through the real
// binary (bounded by timeout(1)).
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/game/game_record.h"
#include "common/util/file_io.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"
#include "tools/play/psq.h"

namespace zf::play {
namespace {

struct CliRun {
  int exit_code = -1;
  std::string out;  // stdout and stderr
};

CliRun Zerofleet(const std::string& args, const std::string& input = "") {
  const char* dir = std::getenv("ZF_BIN_DIR");
  const std::string command =
      absl::StrCat("printf '", input, "' | timeout 120 ", dir, "/zerofleet ", args, " 2>&1");
  CliRun r;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) r.out.append(buf, n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class ZerofleetCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::getenv("ZF_BIN_DIR") == nullptr) GTEST_SKIP() << "ZF_BIN_DIR is not set";
  }
};

TEST_F(ZerofleetCliTest, PlayWithScriptedInput) {
  const CliRun r =
      Zerofleet("play --board-size 9 --sims 30", "hello\\ne5\\ne5\\nz99\\nundo\\nundo\\nquit\\n");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("not a move: bad move 'hello'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("point (4,4) is occupied"), std::string::npos);
  EXPECT_NE(r.out.find("off the 9x9 board"), std::string::npos);
  EXPECT_NE(r.out.find("Took back to move 1."), std::string::npos);
  EXPECT_NE(r.out.find("nothing to undo"), std::string::npos);
  EXPECT_NE(r.out.find("uniform plays "), std::string::npos);
  EXPECT_NE(r.out.find("bye"), std::string::npos);
}

TEST_F(ZerofleetCliTest, PlayEndOfInputAndBadFlags) {
  EXPECT_EQ(Zerofleet("play --board-size 9 --sims 10 --color white", "").exit_code, 0);
  const CliRun bad = Zerofleet("play --color green");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.out, "zerofleet: error: --color: unknown colour 'green' (black or white)\n");
  const CliRun missing = Zerofleet("play --model /nonexistent.model");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.out.find("/nonexistent.model"), std::string::npos) << missing.out;
}

TEST_F(ZerofleetCliTest, EvaluateUniformAgainstRandom) {
  const ::zf::testing::ScopedTempDir temp_dir("zf_evaluate_");
  ASSERT_FALSE(temp_dir.path().empty());
  const std::string& dir = temp_dir.path();
  const CliRun r = Zerofleet(absl::StrCat(
      "evaluate --model1 uniform --model2 random --board-size 9 --games 12 --sims 60 ",
      "--parallel-games 6 --json --save ", dir, "/games.zfgr --psq-dir ", dir, "/psq"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("uniform vs random: W/D/L "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Elo +"), std::string::npos) << r.out;  // uniform search wins
  EXPECT_NE(r.out.find("\"player1\":\"uniform\""), std::string::npos);
  absl::StatusOr<std::vector<GameRecord>> records = ReadGameRecords(dir + "/games.zfgr");
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 12u);
  for (int i = 1; i <= 12; ++i) {
    char name[64];
    std::snprintf(name, sizeof(name), "/psq/game_%04d.psq", i);
    absl::StatusOr<std::string> text = ReadFile(dir + name);
    ASSERT_TRUE(text.ok()) << text.status();
    absl::StatusOr<PsqGame> psq = ParsePsq(*text);
    ASSERT_TRUE(psq.ok()) << psq.status();
    EXPECT_EQ(psq->size, 9);
    ASSERT_EQ(psq->moves.size(), (*records)[i - 1].moves.size());
    for (size_t m = 0; m < psq->moves.size(); ++m)
      EXPECT_EQ(psq->moves[m], (*records)[i - 1].moves[m].move);
    EXPECT_EQ(psq->black_name, i % 2 == 1 ? "uniform" : "random");
  }
}

TEST_F(ZerofleetCliTest, EvaluateWithSprtAndBadFlags) {
  const CliRun r = Zerofleet(
      "evaluate --model1 uniform --model2 random --board-size 9 --games 6 --sims 40 "
      "--sprt-elo0 0 --sprt-elo1 50");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("SPRT: LLR "), std::string::npos) << r.out;
  const CliRun bad = Zerofleet("evaluate --sprt-elo0 10 --sprt-elo1 5");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.out.find("zerofleet: error: --sprt_elo0"), std::string::npos) << bad.out;
  const CliRun no_games = Zerofleet("evaluate --games 0");
  EXPECT_EQ(no_games.exit_code, 2);
  EXPECT_NE(no_games.out.find("games = 0"), std::string::npos) << no_games.out;
}

}  // namespace
}  // namespace zf::play
