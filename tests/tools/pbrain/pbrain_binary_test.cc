// The real pbrain-zerofleet binary over pipes: a scripted session, the time limit, and a
// model that will not load. Every wait is bounded (timeout(1) or the client's deadline).
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/game/game_state.h"
#include "gtest/gtest.h"
#include "tools/play/pbrain_client.h"

namespace zf::play {
namespace {

std::string Binary() {
  const char* dir = std::getenv("ZF_BIN_DIR");
  return dir == nullptr ? "" : std::string(dir) + "/pbrain-zerofleet";
}

// Runs `input | binary args` (bounded by timeout(1)); returns stdout lines without DEBUG.
std::vector<std::string> RunScript(const std::string& input, const std::string& args, int* status) {
  const std::string command = "printf '" + input + "' | env -u ZEROFLEET_MODEL timeout 60 " +
                              Binary() + " " + args + " 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while (pipe != nullptr && (n = fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  *status = pipe == nullptr ? -1 : pclose(pipe);
  std::vector<std::string> lines;
  for (absl::string_view l : absl::StrSplit(out, absl::ByAnyChar("\r\n"), absl::SkipEmpty())) {
    if (!absl::StartsWith(l, "DEBUG")) lines.emplace_back(l);
  }
  return lines;
}

class PbrainBinaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Binary().empty()) GTEST_SKIP() << "ZF_BIN_DIR is not set (run through ctest)";
  }
};

TEST_F(PbrainBinaryTest, ScriptedSessionWithCrlf) {
  int status;
  const std::vector<std::string> lines = RunScript(
      "START 30\\r\\nSTART 15\\r\\nABOUT\\r\\nFOO\\r\\nTURN 7,7\\r\\nTURN "
      "x\\r\\nEND\\r\\nBEGIN\\r\\n",
      "--max_sims=50", &status);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  ASSERT_EQ(lines.size(), 7u) << absl::StrJoin(lines, " | ");
  EXPECT_TRUE(absl::StartsWith(lines[0], "ERROR unsupported board size 30"));
  EXPECT_EQ(lines[1], "OK");
  // No model anywhere: it says so and plays with the uniform evaluator.
  EXPECT_TRUE(absl::StartsWith(lines[2], "MESSAGE zerofleet: no model found")) << lines[2];
  EXPECT_TRUE(absl::StartsWith(lines[3], "name=\"zerofleet\""));
  EXPECT_EQ(lines[4], "UNKNOWN FOO");
  EXPECT_NE(lines[5], "7,7");
  EXPECT_EQ(std::count(lines[5].begin(), lines[5].end(), ','), 1);
  EXPECT_TRUE(absl::StartsWith(lines[6], "ERROR"));  // TURN x; nothing after END
}

TEST_F(PbrainBinaryTest, ModelThatDoesNotLoadIsReportedOnStart) {
  int status;
  const std::vector<std::string> lines =
      RunScript("START 15\\nEND\\n", "--model=/nonexistent/zerofleet.model", &status);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(absl::StartsWith(lines[0], "ERROR cannot load model")) << lines[0];
  EXPECT_NE(lines[0].find("/nonexistent/zerofleet.model"), std::string::npos);
  // Started with a model it cannot load: exit status 1 (not a timeout, not a signal).
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << status;
}

TEST_F(PbrainBinaryTest, DeviceFileAsModelIsOneErrorNotAHangOrAbort) {
  // /dev/zero never ends: it must be refused as not a regular file, not read until bad_alloc.
  int status;
  const std::vector<std::string> lines =
      RunScript("START 15\\nEND\\n", "--model=/dev/zero", &status);
  ASSERT_EQ(lines.size(), 1u) << absl::StrJoin(lines, " | ");
  EXPECT_TRUE(absl::StartsWith(lines[0], "ERROR cannot load model")) << lines[0];
  EXPECT_NE(lines[0].find("not a regular file"), std::string::npos) << lines[0];
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << status;
}

TEST_F(PbrainBinaryTest, AnswersWithinTheTurnTime) {
  // The client forfeits the engine after turn_time + grace = 2 x 0.5 s: a loose bound, since
  // CI machines are slow. Several moves, so tree reuse and later positions are covered too.
  PbrainClientOptions options;
  options.command = "env -u ZEROFLEET_MODEL " + Binary();
  options.turn_time = absl::Milliseconds(500);
  options.grace = absl::Milliseconds(500);
  options.max_memory = 200000000;
  absl::StatusOr<std::unique_ptr<PbrainClient>> client =
      PbrainClient::Start(options, Rules{15, 5, Rule::kFreestyle});
  ASSERT_TRUE(client.ok()) << client.status();
  GameState state(Rules{15, 5, Rule::kFreestyle});
  std::vector<int16_t> moves;
  for (int turn = 0; turn < 3; ++turn) {
    ASSERT_TRUE((*client)->RequestMove(moves).ok());
    std::optional<int> move;
    while (!move.has_value()) {
      absl::StatusOr<std::optional<int>> polled = (*client)->PollMove(absl::Milliseconds(20));
      ASSERT_TRUE(polled.ok()) << polled.status();
      move = *polled;
    }
    ASSERT_TRUE(state.Play(*move).ok());
    moves.push_back(static_cast<int16_t>(*move));
    // Our reply: the first free point.
    int ours = 0;
    while (!state.IsLegal(ours)) ++ours;
    ASSERT_TRUE(state.Play(ours).ok());
    moves.push_back(static_cast<int16_t>(ours));
  }
}

}  // namespace
}  // namespace zf::play
