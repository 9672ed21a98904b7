// Learning really happens (issue "Learning" §6): train from scratch on CPU, then play fixed
// opponents at a modest number of simulations. The untrained net at the same simulations is
// the control, so a pass shows learning, not search.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "absl/strings/str_cat.h"
#include "common/search/search_tree.h"
#include "learner/train_run.h"
#include "tests/testing/temp_dir.h"
#include "tools/play/arena.h"
#include "tools/play/rating.h"

namespace zf {
namespace {

// Most-visited move after `sims` playouts from `state`, one leaf per evaluator call.
int SearchMove(const GameState& state, Evaluator* evaluator, int sims) {
  SearchOptions o;
  o.simulations = sims;
  SearchTree tree(o, /*seed=*/1);
  tree.Reset(state);
  SearchTree::Leaf leaf;
  std::vector<float> policy(state.num_points());
  float value = 0;
  while (tree.root_visits() < sims) {
    if (tree.SelectLeaf(&leaf) != SearchTree::LeafStatus::kNeedsEval) continue;
    EXPECT_TRUE(
        evaluator->Evaluate({leaf.position}, absl::MakeSpan(policy), absl::MakeSpan(&value, 1))
            .ok());
    tree.ApplyEvaluation(leaf, policy, value);
  }
  return tree.ChooseMove(/*temperature=*/0);
}

// Perfect tic-tac-toe: negamax over the full tree, memoised by position.
class Minimax {
 public:
  // Value for the side to move: +1 win, 0 draw, -1 loss.
  int Value(const GameState& s) {
    if (s.IsTerminal()) return s.outcome() == Outcome::kDraw ? 0 : -1;  // the mover just won
    const std::string key = Key(s);
    if (auto it = memo_.find(key); it != memo_.end()) return it->second;
    int best = -2;
    for (int p = 0; p < s.num_points(); ++p) {
      if (!s.IsLegal(p)) continue;
      GameState next = s;
      next.PlayUnchecked(p);
      best = std::max(best, -Value(next));
    }
    return memo_[key] = best;
  }
  // A uniformly random optimal move, so games vary.
  int Move(const GameState& s, std::mt19937_64& rng) {
    std::vector<int> best_moves;
    int best = -2;
    for (int p = 0; p < s.num_points(); ++p) {
      if (!s.IsLegal(p)) continue;
      GameState next = s;
      next.PlayUnchecked(p);
      const int v = -Value(next);
      if (v > best) best_moves.clear(), best = v;
      if (v == best) best_moves.push_back(p);
    }
    return best_moves[rng() % best_moves.size()];
  }

 private:
  static std::string Key(const GameState& s) {
    std::string k;
    for (int p = 0; p < s.num_points(); ++p)
      k += static_cast<char>('0' + static_cast<int>(s.at(p)));
    return k;
  }
  std::map<std::string, int> memo_;
};

// Losses of the searching player in `games` games per colour against minimax.
int LossesAgainstMinimax(Evaluator* evaluator, int sims, int games) {
  const Rules rules{3, 3, Rule::kFreestyle};
  Minimax minimax;
  std::mt19937_64 rng(42);
  int losses = 0;
  for (int g = 0; g < 2 * games; ++g) {
    const Player ours = g % 2 == 0 ? Player::kBlack : Player::kWhite;
    GameState s(rules);
    while (!s.IsTerminal()) {
      s.PlayUnchecked(s.to_move() == ours ? SearchMove(s, evaluator, sims) : minimax.Move(s, rng));
    }
    if (s.ResultFor(ours) < 0) ++losses;
  }
  return losses;
}

TrainRunOptions SmallRun(const std::string& dir, Rules rules) {
  TrainRunOptions o;
  o.learner.run_dir = dir;
  o.selfplay.rules = rules;
  o.selfplay.parallel_games = 32;
  o.selfplay.search.root_noise = true;
  o.selfplay.seed = 3;
  o.learner.net = *NetConfigFromPreset("tiny");
  o.learner.trainer.device = "cpu";
  o.evaluator.device = "cpu";
  o.learner.trainer.optimizer = "adamw";
  o.learner.trainer.lr = 2e-3;
  o.learner.trainer.weight_decay = 1e-4;
  // Anneal so the final net settles instead of ending on a noisy high-lr step.
  o.learner.trainer.schedule = "cosine";
  o.learner.trainer.min_lr_fraction = 0.05;
  o.learner.trainer.batch_size = 128;
  o.learner.ratio.max_samples_per_position = 4;
  o.learner.ratio.min_positions = 500;
  o.learner.publish_every_steps = 10;
  o.learner.checkpoint_every_steps = 1000000;
  o.learner.log_every_steps = 50;
  return o;
}

TEST(Learning, TicTacToeNeverLosesToMinimaxAfterTraining) {
  constexpr int kSims = 32;
  constexpr int kGamesPerColour = 20;
  const ::zf::testing::ScopedTempDir temp_dir("zf_train_");
  ASSERT_FALSE(temp_dir.path().empty());
  TrainRunOptions o = SmallRun(temp_dir.Path("ttt"), Rules{3, 3, Rule::kFreestyle});
  // Minimax may open anywhere (every first move draws), so self-play explores for 4 moves.
  o.selfplay.search.simulations = 64;
  o.selfplay.search.temperature_moves = 4;
  o.games_per_iteration = 200;
  o.num_iterations = 25;
  o.learner.trainer.total_steps = 1400;  // the cosine schedule's length
  auto run = TrainRun::Create(o);
  ASSERT_TRUE(run.ok()) << run.status();

  // The control: the same net before training, at the same simulations.
  const int untrained_losses = LossesAgainstMinimax(&(*run)->evaluator(), kSims, kGamesPerColour);

  ASSERT_TRUE((*run)->Run(nullptr, {}).ok());
  const int trained_losses = LossesAgainstMinimax(&(*run)->evaluator(), kSims, kGamesPerColour);
  std::printf(
      "tic-tac-toe vs minimax at %d sims, %d games: untrained lost %d, trained lost %d "
      "(%lld training steps)\n",
      kSims, 2 * kGamesPerColour, untrained_losses, trained_losses,
      static_cast<long long>((*run)->trainer().step()));
  EXPECT_GT(untrained_losses, 0) << "the control should lose some games, or the test shows nothing";
  EXPECT_EQ(trained_losses, 0);
}

TEST(Learning, SmallGomokuBeatsUniformSearchAtEqualSimulations) {
  constexpr int kSims = 64;
  constexpr int kGames = 40;
  const Rules rules{7, 4, Rule::kFreestyle};
  const ::zf::testing::ScopedTempDir temp_dir("zf_train_");
  ASSERT_FALSE(temp_dir.path().empty());
  TrainRunOptions o = SmallRun(temp_dir.Path("g7"), rules);
  o.selfplay.search.simulations = 64;
  o.games_per_iteration = 100;
  o.num_iterations = 14;
  o.learner.trainer.total_steps = 500;  // the cosine schedule's length
  auto run = TrainRun::Create(o);
  ASSERT_TRUE(run.ok()) << run.status();
  ASSERT_TRUE((*run)->Run(nullptr, {}).ok());
  // An arena match at equal playouts: colours alternate, the first two moves are sampled by
  // visits so games differ.
  UniformEvaluator uniform;
  play::ArenaOptions arena;
  arena.rules = rules;
  arena.games = kGames;
  arena.parallel_games = kGames;
  arena.sample_moves = 2;
  play::ArenaPlayer trained;
  trained.name = "trained";
  trained.evaluator = &(*run)->evaluator();
  trained.playouts = kSims;
  play::ArenaPlayer baseline;
  baseline.name = "uniform";
  baseline.evaluator = &uniform;
  baseline.playouts = kSims;
  absl::StatusOr<play::ArenaResult> result = play::RunArena(arena, trained, baseline);
  ASSERT_TRUE(result.ok()) << result.status();
  const play::EloEstimate elo = play::EstimateElo(result->score);
  std::printf(
      "7x7 k=4: trained net vs uniform search at %d playouts: +%lld =%lld -%lld, score "
      "%.2f, Elo %+.0f [%+.0f, %+.0f] (%lld training steps)\n",
      kSims, static_cast<long long>(result->score.wins),
      static_cast<long long>(result->score.draws), static_cast<long long>(result->score.losses),
      elo.score, elo.elo, elo.elo_low, elo.elo_high,
      static_cast<long long>((*run)->trainer().step()));
  // "A clear majority": measured scores were 0.75-0.83 (sd ~0.065 over 40 games).
  EXPECT_GE(elo.score, 0.6);
  EXPECT_GT(elo.elo_low, 0) << "the 95% interval should exclude zero";
}

}  // namespace
}  // namespace zf
