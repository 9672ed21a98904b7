// Matches against external engines over the pbrain protocol: the real pbrain-zerofleet, and
// small shell-script engines that time out, crash, cheat or refuse to start. Each forfeit
// must be a loss with its reason; every wait is bounded by the client's deadlines.
#include <cstdlib>
#include <string>

#include "gtest/gtest.h"
#include "tools/play/arena.h"
#include "tools/play/openings.h"

namespace zf::play {
namespace {

ArenaOptions Match(int64_t games) {
  ArenaOptions o;
  o.rules = Rules{9, 5, Rule::kFreestyle};
  o.games = games;
  o.parallel_games = 2;
  o.openings = OpeningsForRules(BuiltinOpenings(), o.rules);
  return o;
}

ArenaPlayer Uniform(Evaluator* evaluator) {
  ArenaPlayer p;
  p.name = "uniform";
  p.evaluator = evaluator;
  p.playouts = 30;
  return p;
}

ArenaPlayer Engine(const std::string& command) {
  ArenaPlayer p;
  p.name = "engine";
  p.kind = PlayerKind::kEngine;
  p.engine.command = command;
  p.engine.turn_time = absl::Milliseconds(300);
  p.engine.grace = absl::Milliseconds(300);
  p.engine.start_timeout = absl::Seconds(20);
  return p;
}

// A shell engine: answers START with OK and `on_move` to BEGIN / TURN / DONE.
std::string ScriptEngine(const std::string& on_move) {
  return "while read l; do case \"$l\" in START*) echo OK;; BEGIN*|TURN*|DONE*) " + on_move +
         ";; END*) exit 0;; esac; done";
}

TEST(ArenaEngineTest, PlaysPbrainZerofleet) {
  const char* dir = std::getenv("ZF_BIN_DIR");
  if (dir == nullptr) GTEST_SKIP() << "ZF_BIN_DIR is not set (run through ctest)";
  UniformEvaluator uniform;
  ArenaPlayer engine =
      Engine("env -u ZEROFLEET_MODEL " + std::string(dir) + "/pbrain-zerofleet --max_sims=30");
  engine.engine.turn_time = absl::Seconds(2);
  engine.engine.grace = absl::Seconds(5);
  absl::StatusOr<ArenaResult> r = RunArena(Match(2), Uniform(&uniform), engine);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->games.size(), 2u);
  for (const ArenaGame& g : r->games) {
    EXPECT_TRUE(g.reason == "five in a row" || g.reason == "board full") << g.reason;
    GameState state(Match(2).rules);
    for (const MoveRecord& m : g.record.moves) ASSERT_TRUE(state.Play(m.move).ok());
    EXPECT_TRUE(state.IsTerminal());
  }
}

TEST(ArenaEngineTest, SilentEngineLosesOnTime) {
  UniformEvaluator uniform;
  absl::StatusOr<ArenaResult> r = RunArena(Match(2), Uniform(&uniform), Engine(ScriptEngine(":")));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->score.wins, 2);
  for (const ArenaGame& g : r->games) {
    EXPECT_NE(g.reason.find("engine forfeits: no move within 600 ms"), std::string::npos)
        << g.reason;
    EXPECT_EQ(g.winner, 0);
  }
}

TEST(ArenaEngineTest, CrashingEngineLoses) {
  UniformEvaluator uniform;
  absl::StatusOr<ArenaResult> r =
      RunArena(Match(2), Uniform(&uniform), Engine(ScriptEngine("exit 3")));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->score.wins, 2);
  for (const ArenaGame& g : r->games) {
    EXPECT_NE(g.reason.find("closed its output"), std::string::npos) << g.reason;
    EXPECT_NE(g.reason.find("exit status 3"), std::string::npos) << g.reason;
  }
}

TEST(ArenaEngineTest, IllegalMoveLoses) {
  // Always "4,0": legal once, then occupied.
  UniformEvaluator uniform;
  absl::StatusOr<ArenaResult> r =
      RunArena(Match(2), Uniform(&uniform), Engine(ScriptEngine("echo 4,0")));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->score.wins, 2);
  for (const ArenaGame& g : r->games) {
    EXPECT_NE(g.reason.find("illegal move 4,0"), std::string::npos) << g.reason;
  }
  // Garbage and off-board answers lose too.
  r = RunArena(Match(1), Uniform(&uniform), Engine(ScriptEngine("echo hello")));
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->games[0].reason.find("answered 'hello' instead of a move"), std::string::npos);
  r = RunArena(Match(1), Uniform(&uniform), Engine(ScriptEngine("echo 9,9")));
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->games[0].reason.find("off the 9x9 board"), std::string::npos);
}

TEST(ArenaEngineTest, EngineThatCannotStartStopsTheMatch) {
  UniformEvaluator uniform;
  absl::StatusOr<ArenaResult> r =
      RunArena(Match(2), Uniform(&uniform), Engine("while read l; do echo ERROR only 20x20; done"));
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("refused START 9: ERROR only 20x20"), std::string::npos)
      << r.status();
  r = RunArena(Match(2), Uniform(&uniform), Engine("/nonexistent/engine 2>/dev/null"));
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("exit status 127"), std::string::npos) << r.status();
}

}  // namespace
}  // namespace zf::play
