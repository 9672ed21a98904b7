// MakeEvaluator with a real (tiny, untrained) model file, and that model driving the search,
// the arena, and pbrain-zerofleet (--model and $ZEROFLEET_MODEL).
#include "tools/play/evaluator_factory.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "common/nn/model_file.h"
#include "common/nn/network.h"
#include "gtest/gtest.h"
#include "tools/play/arena.h"
#include "tools/play/openings.h"

namespace zf::play {
namespace {

class EvaluatorFactoryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(::testing::TempDir() + "/zf_factory_XXXXXX");
    ASSERT_NE(mkdtemp(dir_->data()), nullptr);
    torch::manual_seed(1);
    PolicyValueNet net(NetConfigFromPreset("tiny").value());
    ASSERT_TRUE(SaveModel(Path(), net, 7).ok());
  }
  static void TearDownTestSuite() {
    std::remove(Path().c_str());
    rmdir(dir_->c_str());
    delete dir_;
  }
  static std::string Path() { return *dir_ + "/tiny.model"; }
  static std::string* dir_;
};
std::string* EvaluatorFactoryTest::dir_ = nullptr;

TEST_F(EvaluatorFactoryTest, BuiltinSpecs) {
  for (const char* spec : {"uniform", "random", "seeded:3"}) {
    absl::StatusOr<std::unique_ptr<Evaluator>> e = MakeEvaluator(spec, "cpu");
    ASSERT_TRUE(e.ok()) << spec << ": " << e.status();
  }
  EXPECT_FALSE(MakeEvaluator("", "cpu").ok());
}

TEST_F(EvaluatorFactoryTest, ModelFileEvaluates) {
  absl::StatusOr<std::unique_ptr<Evaluator>> e = MakeEvaluator(Path(), "cpu");
  ASSERT_TRUE(e.ok()) << e.status();
  GameState state(Rules{9, 5, Rule::kFreestyle});
  ASSERT_TRUE(state.Play(40).ok());
  std::vector<EncodedPosition> batch = {Encode(state),
                                        Encode(GameState(Rules{9, 5, Rule::kFreestyle}))};
  std::vector<float> policy(2 * 81), value(2);
  ASSERT_TRUE((*e)->Evaluate(batch, absl::MakeSpan(policy), absl::MakeSpan(value)).ok());
  float sum = 0;
  for (int p = 0; p < 81; ++p) sum += policy[p];
  EXPECT_NEAR(sum, 1.0f, 1e-4);
  EXPECT_EQ(policy[40], 0.0f);  // occupied
  EXPECT_GT(value[0], -1.0f);
  EXPECT_LT(value[0], 1.0f);
}

TEST_F(EvaluatorFactoryTest, BadModelFilesAreErrors) {
  absl::StatusOr<std::unique_ptr<Evaluator>> missing = MakeEvaluator("/nonexistent/x.model", "cpu");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/x.model"), std::string::npos);
  const std::string garbage = *dir_ + "/garbage.model";
  FILE* f = std::fopen(garbage.c_str(), "w");
  std::fputs("not a model", f);
  std::fclose(f);
  EXPECT_FALSE(MakeEvaluator(garbage, "cpu").ok());
  std::remove(garbage.c_str());
  EXPECT_FALSE(MakeEvaluator(Path(), "tpu").ok());
}

TEST_F(EvaluatorFactoryTest, ModelPlaysAnArenaMatch) {
  absl::StatusOr<std::unique_ptr<Evaluator>> model = MakeEvaluator(Path(), "cpu");
  ASSERT_TRUE(model.ok());
  ArenaOptions options;
  options.rules = Rules{7, 4, Rule::kFreestyle};
  options.games = 2;
  options.parallel_games = 2;
  options.openings = OpeningsForRules(BuiltinOpenings(), options.rules);
  ArenaPlayer p1;
  p1.name = "tiny";
  p1.evaluator = model->get();
  p1.playouts = 16;
  ArenaPlayer p2;
  p2.name = "random";
  p2.kind = PlayerKind::kRandom;
  absl::StatusOr<ArenaResult> r = RunArena(options, p1, p2);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->score.games(), 2);
  EXPECT_GT(r->evaluations[0], 0);
}

// Runs pbrain-zerofleet on a short script; returns its stdout.
std::string RunPbrain(const std::string& env, const std::string& args) {
  const char* bin = std::getenv("ZF_BIN_DIR");
  const std::string command = "printf 'START 9\\nBEGIN\\nEND\\n' | env -u ZEROFLEET_MODEL " + env +
                              " timeout 120 " + bin + "/pbrain-zerofleet --max_sims=8 " + args +
                              " 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while (pipe != nullptr && (n = fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  if (pipe != nullptr) pclose(pipe);
  return out;
}

TEST_F(EvaluatorFactoryTest, PbrainFindsItsModel) {
  if (std::getenv("ZF_BIN_DIR") == nullptr) GTEST_SKIP() << "ZF_BIN_DIR is not set";
  for (const std::string& out : {RunPbrain("", "--model=" + Path() + " --device=cpu"),
                                 RunPbrain("ZEROFLEET_MODEL=" + Path(), "--device=cpu")}) {
    EXPECT_TRUE(absl::StartsWith(out, "OK\nMESSAGE zerofleet: model " + Path() + "\n")) << out;
    // Then a DEBUG line and a move.
    const size_t last = out.rfind('\n', out.size() - 2);
    const std::string move = out.substr(last + 1);
    EXPECT_EQ(std::count(move.begin(), move.end(), ','), 1) << out;
  }
}

}  // namespace
}  // namespace zf::play
