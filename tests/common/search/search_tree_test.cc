#include "common/search/search_tree.h"

#include <algorithm>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/game/notation.h"
#include "common/search/evaluator.h"
#include "gtest/gtest.h"

namespace zf {
namespace {

struct SearchCounts {
  int playouts = 0;  // evaluated leaves plus terminal visits
  int evaluations = 0;
  int terminals = 0;
  int collisions = 0;
};

// Drives one tree the way the self-play driver does: each round selects up to `leaves` leaves
// (stopping at the first collision), evaluates them in one batch, applies every result, until
// `playouts` playouts are done. Checks after every round that no virtual loss is left.
SearchCounts Search(SearchTree* tree, Evaluator* evaluator, int playouts, int leaves) {
  std::vector<SearchTree::Leaf> pending(leaves);
  std::vector<EncodedPosition> batch;
  std::vector<int> which;
  const int points = tree->root_state().num_points();
  std::vector<float> policy(static_cast<size_t>(leaves) * points);
  std::vector<float> value(leaves);
  SearchCounts counts;
  while (counts.playouts < playouts) {
    // 1. Select.
    batch.clear();
    which.clear();
    int64_t expected_in_flight = 0;
    for (int l = 0; l < leaves && counts.playouts < playouts; ++l) {
      const SearchTree::LeafStatus status = tree->SelectLeaf(&pending[l]);
      if (status == SearchTree::LeafStatus::kCollision) {
        ++counts.collisions;
        EXPECT_GT(l, 0) << "collision with nothing pending";
        if (l == 0) return counts;
        break;
      }
      ++counts.playouts;
      if (status == SearchTree::LeafStatus::kTerminal) {
        ++counts.terminals;
        continue;
      }
      expected_in_flight += static_cast<int64_t>(pending[l].path.size());
      batch.push_back(pending[l].position);
      which.push_back(l);
    }
    // Each pending leaf holds one virtual visit on every node of its path.
    EXPECT_EQ(tree->TotalInFlight(), expected_in_flight);
    // 2. Evaluate, 3. apply.
    if (!batch.empty()) {
      const absl::Status s =
          evaluator->Evaluate(batch, absl::MakeSpan(policy), absl::MakeSpan(value));
      EXPECT_TRUE(s.ok()) << s;
      for (size_t i = 0; i < batch.size(); ++i) {
        tree->ApplyEvaluation(pending[which[i]],
                              absl::MakeConstSpan(policy).subspan(i * points, points), value[i]);
      }
      counts.evaluations += static_cast<int>(batch.size());
    }
    EXPECT_EQ(tree->TotalInFlight(), 0);
  }
  return counts;
}

GameState Position(const Rules& rules, absl::string_view moves) {
  absl::StatusOr<GameState> s = PositionFromMoveList(rules, moves);
  EXPECT_TRUE(s.ok()) << s.status();
  return *s;
}

int SumVisits(const std::vector<std::pair<int16_t, uint32_t>>& visits) {
  int sum = 0;
  for (const auto& [move, n] : visits) sum += static_cast<int>(n);
  return sum;
}

uint32_t VisitsOf(const std::vector<std::pair<int16_t, uint32_t>>& visits, int move) {
  for (const auto& [m, n] : visits) {
    if (m == move) return n;
  }
  return 0;
}

const Rules kFree15{15, 5, Rule::kFreestyle};

TEST(SearchTreeTest, PlaysTheImmediateWinOfAnOpenFour) {
  // Black (to move) has an open four (5..8, 7); white's four stones sit in the corners.
  const GameState root = Position(kFree15, "5,7 0,0 6,7 14,0 7,7 0,14 8,7 14,14");
  const std::set<int> wins = {7 * 15 + 4, 7 * 15 + 9};
  UniformEvaluator uniform;
  SeededTestEvaluator seeded(17);
  for (Evaluator* evaluator :
       {static_cast<Evaluator*>(&uniform), static_cast<Evaluator*>(&seeded)}) {
    for (int leaves : {1, 4}) {
      SearchOptions options;
      options.leaves_per_game = leaves;
      SearchTree tree(options, 1);
      tree.Reset(root);
      const SearchCounts counts = Search(&tree, evaluator, 400, leaves);
      EXPECT_GT(counts.terminals, 0);
      const int move = tree.ChooseMove(0.0f);
      EXPECT_TRUE(wins.count(move))
          << "played " << FormatMove(move, 15) << " with " << leaves << " leaves";
      EXPECT_GT(tree.RootValue(), 0.0f);
    }
  }
}

TEST(SearchTreeTest, WhiteAlsoPlaysItsWin) {
  // The same open four for white, with black to have moved last.
  const GameState root = Position(kFree15, "0,0 5,7 14,0 6,7 0,14 7,7 14,14 8,7 2,12");
  ASSERT_EQ(root.to_move(), Player::kWhite);
  UniformEvaluator uniform;
  SearchTree tree(SearchOptions{}, 1);
  tree.Reset(root);
  Search(&tree, &uniform, 400, 1);
  const int move = tree.ChooseMove(0.0f);
  EXPECT_TRUE(move == 7 * 15 + 4 || move == 7 * 15 + 9) << FormatMove(move, 15);
}

// Black threatens (4,3) on 7x7 with k=4: (1..3, 3) with white at (0,3). White must block.
//
// The uniform evaluator says 0 everywhere, so the search learns that a white move loses only
// by finding black's single winning reply among ~43, for each of white's 44 moves. With
// fpu_reduction 0 every unvisited reply looks as good as a visited one and gets tried, so the
// refutations show sooner (measured: the block wins from ~1000 playouts; with the default 0.2
// reduction from ~2000, because visited zero-value replies are preferred to unvisited ones).
// Both settings are checked with 4000 playouts.
TEST(SearchTreeTest, BlocksTheOpponentsFour) {
  const int block = 3 * 7 + 4;
  UniformEvaluator uniform;
  for (Rule rule : {Rule::kFreestyle, Rule::kStandard}) {
    const GameState root = Position(Rules{7, 4, rule}, "1,3 0,3 2,3 6,0 3,3");
    ASSERT_EQ(root.to_move(), Player::kWhite);
    for (float fpu_reduction : {0.0f, SearchOptions{}.fpu_reduction}) {
      for (int leaves : {1, 2}) {
        SearchOptions options;
        options.fpu_reduction = fpu_reduction;
        options.leaves_per_game = leaves;
        SearchTree tree(options, 1);
        tree.Reset(root);
        Search(&tree, &uniform, 4000, leaves);
        const auto visits = tree.RootVisits();
        const int move = tree.ChooseMove(0.0f);
        EXPECT_EQ(move, block) << RuleName(rule) << " fpu_reduction " << fpu_reduction << " leaves "
                               << leaves << ": played " << FormatMove(move, 7) << " ("
                               << VisitsOf(visits, move) << " visits) over the block ("
                               << VisitsOf(visits, block) << ")";
        // Every other move loses to (4,3): the position is worth less than a draw.
        EXPECT_LT(tree.RootValue(), 0.0f);
      }
    }
  }
}

TEST(SearchTreeTest, LostPositionHasANegativeValue) {
  // Tic-tac-toe, X to move:   O X O
  //                           . . X
  //                           O . X
  // O threatens a2 and b2 at once; X has no immediate win.
  const GameState root = Position(Rules{3, 3, Rule::kFreestyle}, "b1 a1 c2 c1 c3 a3");
  ASSERT_EQ(root.to_move(), Player::kBlack);
  UniformEvaluator uniform;
  SearchTree tree(SearchOptions{}, 1);
  tree.Reset(root);
  const SearchCounts counts = Search(&tree, &uniform, 500, 1);
  EXPECT_GT(counts.terminals, 400);
  EXPECT_LT(tree.RootValue(), -0.5f);
}

TEST(SearchTreeTest, RootVisitsAddUp) {
  UniformEvaluator uniform;
  SeededTestEvaluator seeded(3);
  struct Case {
    Rules rules;
    const char* moves;
  };
  const Case cases[] = {{kFree15, ""},
                        {kFree15, "h8 i9"},
                        {Rules{5, 4, Rule::kStandard}, "a1 b2 c3 d4 e5 a2 b3"},
                        {Rules{3, 3, Rule::kFreestyle}, "b2"}};
  for (const Case& c : cases) {
    for (Evaluator* evaluator :
         {static_cast<Evaluator*>(&uniform), static_cast<Evaluator*>(&seeded)}) {
      for (int leaves : {1, 3, 8}) {
        SearchOptions options;
        options.leaves_per_game = leaves;
        SearchTree tree(options, 5);
        tree.Reset(Position(c.rules, c.moves));
        EXPECT_EQ(tree.root_visits(), 0);
        const SearchCounts counts = Search(&tree, evaluator, 300, leaves);
        EXPECT_EQ(counts.playouts, 300);
        // Every playout adds one root visit; the first one was the root's own evaluation.
        EXPECT_EQ(tree.root_visits(), 300) << c.moves;
        EXPECT_EQ(SumVisits(tree.RootVisits()), tree.root_visits() - 1) << c.moves;
        Search(&tree, evaluator, 200, leaves);
        EXPECT_EQ(tree.root_visits(), 500);
        EXPECT_EQ(SumVisits(tree.RootVisits()), 499);
        // Visits go to legal moves only.
        for (const auto& [move, n] : tree.RootVisits()) {
          EXPECT_TRUE(tree.root_state().IsLegal(move));
          EXPECT_GT(n, 0u);
        }
      }
    }
  }
}

TEST(SearchTreeTest, VirtualLossLeavesNoTraceAfterCollisions) {
  // Small, nearly full boards: many collisions and terminal playouts with 8 leaves per round.
  UniformEvaluator uniform;
  SeededTestEvaluator seeded(9);
  int collisions = 0, terminals = 0;
  for (Evaluator* evaluator :
       {static_cast<Evaluator*>(&uniform), static_cast<Evaluator*>(&seeded)}) {
    for (const char* moves : {"", "b2 a1", "b2 a1 c3"}) {
      SearchOptions options;
      options.leaves_per_game = 8;
      SearchTree tree(options, 2);
      tree.Reset(Position(Rules{3, 3, Rule::kFreestyle}, moves));
      const SearchCounts counts = Search(&tree, evaluator, 2000, 8);  // checks in-flight == 0
      collisions += counts.collisions;
      terminals += counts.terminals;
      EXPECT_EQ(tree.TotalInFlight(), 0);
      EXPECT_EQ(tree.root_visits(), 2000);
      EXPECT_EQ(SumVisits(tree.RootVisits()), 1999);
    }
  }
  EXPECT_GE(collisions, 6);  // at least the first round of each search collides at the root
  EXPECT_GT(terminals, 100);
}

TEST(SearchTreeTest, PendingLeavesAreDistinct) {
  SearchOptions options;
  options.leaves_per_game = 16;
  SearchTree tree(options, 1);
  tree.Reset(GameState(Rules{9, 5, Rule::kFreestyle}));
  UniformEvaluator uniform;
  Search(&tree, &uniform, 50, 1);
  std::vector<SearchTree::Leaf> leaves(16);
  std::set<int32_t> ends;
  int64_t in_flight = 0;
  int pending = 0;
  for (auto& leaf : leaves) {
    const SearchTree::LeafStatus status = tree.SelectLeaf(&leaf);
    if (status == SearchTree::LeafStatus::kCollision) break;
    ASSERT_EQ(status, SearchTree::LeafStatus::kNeedsEval);
    EXPECT_TRUE(ends.insert(leaf.path.back()).second) << "two leaves end at the same node";
    EXPECT_EQ(leaf.path.front(), 0);
    in_flight += static_cast<int64_t>(leaf.path.size());
    ++pending;
  }
  EXPECT_EQ(pending, 16);
  EXPECT_EQ(tree.TotalInFlight(), in_flight);
  std::vector<float> policy(81), value(1);
  for (int i = 0; i < pending; ++i) {
    ASSERT_TRUE(
        uniform.Evaluate({leaves[i].position}, absl::MakeSpan(policy), absl::MakeSpan(value)).ok());
    tree.ApplyEvaluation(leaves[i], policy, value[0]);
  }
  EXPECT_EQ(tree.TotalInFlight(), 0);
  EXPECT_EQ(tree.root_visits(), 50 + 16);
}

TEST(SearchTreeTest, TreeReuseKeepsTheSubtree) {
  UniformEvaluator uniform;
  SeededTestEvaluator seeded(4);
  for (Evaluator* evaluator :
       {static_cast<Evaluator*>(&uniform), static_cast<Evaluator*>(&seeded)}) {
    SearchOptions options;
    options.leaves_per_game = 2;
    SearchTree tree(options, 8);
    tree.Reset(GameState(Rules{9, 5, Rule::kFreestyle}));
    for (int turn = 0; turn < 6; ++turn) {
      Search(&tree, evaluator, 300, 2);
      const auto visits = tree.RootVisits();
      const int move = tree.ChooseMove(0.0f);
      const uint32_t child_visits = VisitsOf(visits, move);
      ASSERT_GT(child_visits, 1u);
      const size_t nodes_before = tree.num_nodes();
      tree.Advance(move);
      EXPECT_EQ(tree.root_state().last_move(), move);
      EXPECT_EQ(tree.root_state().move_count(), turn + 1);
      EXPECT_EQ(tree.root_visits(), static_cast<int>(child_visits)) << "turn " << turn;
      EXPECT_EQ(SumVisits(tree.RootVisits()), tree.root_visits() - 1);
      EXPECT_LT(tree.num_nodes(), nodes_before);
      EXPECT_GE(tree.num_nodes(), child_visits);
      EXPECT_EQ(tree.TotalInFlight(), 0);
    }
  }
}

TEST(SearchTreeTest, WithoutReuseAdvanceStartsFresh) {
  SearchOptions options;
  options.reuse_tree = false;
  SearchTree tree(options, 8);
  tree.Reset(GameState(Rules{9, 5, Rule::kFreestyle}));
  UniformEvaluator uniform;
  Search(&tree, &uniform, 200, 1);
  const int move = tree.ChooseMove(0.0f);
  tree.Advance(move);
  EXPECT_EQ(tree.root_visits(), 0);
  EXPECT_EQ(tree.num_nodes(), 1u);
  EXPECT_TRUE(tree.RootVisits().empty());
  Search(&tree, &uniform, 100, 1);
  EXPECT_EQ(tree.root_visits(), 100);
}

TEST(SearchTreeTest, AdvanceToAnUnvisitedMoveStartsFresh) {
  SearchTree tree(SearchOptions{}, 8);
  tree.Reset(GameState(kFree15));
  UniformEvaluator uniform;
  Search(&tree, &uniform, 20, 1);
  const auto visits = tree.RootVisits();
  int unvisited = 0;
  while (VisitsOf(visits, unvisited) > 0) ++unvisited;
  tree.Advance(unvisited);
  EXPECT_EQ(tree.root_visits(), 0);
  EXPECT_EQ(tree.root_state().last_move(), unvisited);
  Search(&tree, &uniform, 20, 1);
  EXPECT_EQ(tree.root_visits(), 20);
}

// The move an expanded but otherwise unsearched root would play: its highest prior.
int TopPriorMove(const SearchOptions& options, uint64_t seed, bool noise) {
  SearchTree tree(options, seed);
  tree.Reset(GameState(kFree15));
  if (noise) tree.AddRootNoise();
  UniformEvaluator uniform;
  Search(&tree, &uniform, 1, 1);  // expands the root only
  EXPECT_TRUE(tree.RootVisits().empty());
  return tree.ChooseMove(0.0f);
}

TEST(SearchTreeTest, DirichletNoiseChangesRootPriorsOnlyWhenEnabled) {
  SearchOptions options;
  SearchOptions zero_weight;
  zero_weight.dirichlet_weight = 0.0f;
  std::set<int> noisy_moves;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    // Uniform priors and no noise: the first point, whatever the seed.
    EXPECT_EQ(TopPriorMove(options, seed, /*noise=*/false), 0);
    EXPECT_EQ(TopPriorMove(zero_weight, seed, /*noise=*/true), 0);
    noisy_moves.insert(TopPriorMove(options, seed, /*noise=*/true));
  }
  EXPECT_GE(noisy_moves.size(), 4u);
}

std::vector<std::pair<int16_t, uint32_t>> VisitsAfterSearch(const SearchOptions& options,
                                                            uint64_t seed, bool noise,
                                                            bool noise_after_expansion) {
  SearchTree tree(options, seed);
  tree.Reset(GameState(Rules{9, 5, Rule::kFreestyle}));
  UniformEvaluator uniform;
  if (noise && !noise_after_expansion) tree.AddRootNoise();
  Search(&tree, &uniform, 1, 1);
  if (noise && noise_after_expansion) tree.AddRootNoise();
  Search(&tree, &uniform, 299, 1);
  return tree.RootVisits();
}

TEST(SearchTreeTest, NoiseChangesTheSearchOnlyWhenEnabled) {
  SearchOptions options;
  const auto plain1 = VisitsAfterSearch(options, 1, false, false);
  const auto plain2 = VisitsAfterSearch(options, 2, false, false);
  EXPECT_EQ(plain1, plain2);  // the seed only matters for noise and sampling
  for (bool after : {false, true}) {
    const auto noisy1 = VisitsAfterSearch(options, 1, true, after);
    const auto noisy1_again = VisitsAfterSearch(options, 1, true, after);
    const auto noisy2 = VisitsAfterSearch(options, 2, true, after);
    EXPECT_EQ(noisy1, noisy1_again);
    EXPECT_NE(noisy1, plain1);
    EXPECT_NE(noisy1, noisy2);
  }
  SearchOptions zero_weight;
  zero_weight.dirichlet_weight = 0.0f;
  EXPECT_EQ(VisitsAfterSearch(zero_weight, 1, true, false), plain1);
}

// Puts all prior mass on `point` (wherever it is) and says `value` for every position.
class FixedEvaluator : public Evaluator {
 public:
  FixedEvaluator(int point, float value) : point_(point), value_(value) {}
  absl::Status Evaluate(absl::Span<const EncodedPosition> batch, absl::Span<float> policy,
                        absl::Span<float> value) override {
    const int points = batch.empty() ? 0 : batch[0].size * batch[0].size;
    for (size_t i = 0; i < batch.size(); ++i) {
      for (int p = 0; p < points; ++p) policy[i * points + p] = p == point_ ? 1.0f : 0.0f;
      value[i] = value_;
    }
    return absl::OkStatus();
  }

 private:
  int point_;
  float value_;
};

TEST(SearchTreeTest, ExpansionMakesOneEdgePerLegalMove) {
  // Board sizes around the 64-bit word boundaries of the encoded planes.
  for (const Rules& rules : {Rules{3, 3, Rule::kFreestyle}, Rules{8, 5, Rule::kFreestyle},
                             Rules{15, 5, Rule::kFreestyle}, Rules{20, 5, Rule::kStandard}}) {
    const int n = rules.size;
    const std::string moves = absl::StrCat(FormatMove(0, n), " ", FormatMove(n * n - 1, n), " ",
                                           FormatMove(n * n / 2, n));
    const GameState root = Position(rules, moves);
    SearchTree tree(SearchOptions{}, 1);
    tree.Reset(root);
    UniformEvaluator uniform;
    Search(&tree, &uniform, 1, 1);
    EXPECT_EQ(tree.num_edges(), static_cast<size_t>(n * n - 3)) << DescribeRules(rules);
    EXPECT_EQ(tree.num_nodes(), 1u);
  }
}

TEST(SearchTreeTest, PriorsSteerTheSearch) {
  const Rules rules{9, 5, Rule::kFreestyle};
  const int favourite = 3 * 9 + 6;
  FixedEvaluator evaluator(favourite, 0.0f);
  SearchTree tree(SearchOptions{}, 1);
  tree.Reset(GameState(rules));
  Search(&tree, &evaluator, 1, 1);
  EXPECT_EQ(tree.ChooseMove(0.0f), favourite);  // unsearched: the highest prior
  Search(&tree, &evaluator, 99, 1);
  EXPECT_EQ(tree.ChooseMove(0.0f), favourite);
  EXPECT_GT(VisitsOf(tree.RootVisits(), favourite), 50u);
}

TEST(SearchTreeTest, PolicyOnOccupiedPointsFallsBackToUniform) {
  // All the mass on a stone: the legal moves get none, so the tree spreads priors evenly.
  const GameState root = Position(Rules{9, 5, Rule::kFreestyle}, "e5");
  FixedEvaluator evaluator(4 * 9 + 4, 0.0f);
  SearchTree tree(SearchOptions{}, 1);
  tree.Reset(root);
  Search(&tree, &evaluator, 81, 1);
  // With equal priors and equal values every move gets one visit before any gets two.
  const auto visits = tree.RootVisits();
  EXPECT_EQ(visits.size(), 80u);
  for (const auto& [move, n] : visits) EXPECT_EQ(n, 1u) << FormatMove(move, 9);
}

TEST(SearchTreeTest, ValuesAreBackedUpFromEachSidesView) {
  // Every position is worth +0.5 to the side to move in it.
  FixedEvaluator evaluator(0, 0.5f);
  SearchTree tree(SearchOptions{}, 1);
  tree.Reset(GameState(Rules{9, 5, Rule::kFreestyle}));
  Search(&tree, &evaluator, 1, 1);
  EXPECT_FLOAT_EQ(tree.RootValue(), 0.5f);  // the root's own evaluation
  Search(&tree, &evaluator, 1, 1);
  EXPECT_FLOAT_EQ(tree.RootValue(), 0.0f);  // plus a child worth +0.5 to the opponent
}

TEST(SearchTreeTest, ChooseMove) {
  SearchTree tree(SearchOptions{}, 3);
  tree.Reset(GameState(Rules{9, 5, Rule::kFreestyle}));
  UniformEvaluator uniform;
  Search(&tree, &uniform, 400, 1);
  const auto visits = tree.RootVisits();
  const auto most = std::max_element(visits.begin(), visits.end(),
                                     [](auto& a, auto& b) { return a.second < b.second; });
  EXPECT_EQ(tree.ChooseMove(0.0f), most->first);
  std::set<int> sampled;
  for (int i = 0; i < 100; ++i) {
    const int move = tree.ChooseMove(1.0f);
    EXPECT_GT(VisitsOf(visits, move), 0u);
    sampled.insert(move);
  }
  EXPECT_GT(sampled.size(), 5u);
  // The same seed samples the same moves.
  SearchTree again(SearchOptions{}, 3);
  again.Reset(GameState(Rules{9, 5, Rule::kFreestyle}));
  Search(&again, &uniform, 400, 1);
  SearchTree copy(SearchOptions{}, 3);
  copy.Reset(GameState(Rules{9, 5, Rule::kFreestyle}));
  Search(&copy, &uniform, 400, 1);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(again.ChooseMove(1.0f), copy.ChooseMove(1.0f));
}

TEST(SearchTreeTest, UnsearchedRootStillChoosesALegalMove) {
  SearchTree tree(SearchOptions{}, 3);
  const GameState root = Position(Rules{5, 4, Rule::kFreestyle}, "a1 b1");
  tree.Reset(root);
  const int move = tree.ChooseMove(1.0f);
  EXPECT_TRUE(root.IsLegal(move));
}

TEST(SearchTreeTest, SameSeedSameGameDifferentSeedDifferentGame) {
  // A whole game with root noise and temperature sampling, driven by one tree.
  auto play = [](uint64_t seed) {
    SearchOptions options;
    options.root_noise = true;
    options.leaves_per_game = 2;
    SearchTree tree(options, seed);
    tree.Reset(GameState(Rules{7, 4, Rule::kFreestyle}));
    SeededTestEvaluator evaluator(77);
    std::vector<int> moves;
    while (!tree.root_state().IsTerminal()) {
      tree.AddRootNoise();
      Search(&tree, &evaluator, 64, 2);
      const int move = tree.ChooseMove(1.0f);
      EXPECT_TRUE(tree.root_state().IsLegal(move));
      moves.push_back(move);
      tree.Advance(move);
    }
    return moves;
  };
  EXPECT_EQ(play(1), play(1));
  EXPECT_NE(play(1), play(2));
}

}  // namespace
}  // namespace zf

namespace zf {
namespace {

// Half the prior mass on `point`, the rest spread evenly over the other empty points.
class PeakedEvaluator : public Evaluator {
 public:
  explicit PeakedEvaluator(int point) : point_(point) {}
  absl::Status Evaluate(absl::Span<const EncodedPosition> batch, absl::Span<float> policy,
                        absl::Span<float> value) override {
    for (size_t i = 0; i < batch.size(); ++i) {
      const int points = batch[i].size * batch[i].size;
      int empty = 0;
      for (int p = 0; p < points; ++p) empty += batch[i].IsEmpty(p);
      for (int p = 0; p < points; ++p) {
        const bool free = batch[i].IsEmpty(p);
        policy[i * points + p] = !free ? 0.0f : p == point_ ? 0.5f : 0.5f / (empty - 1);
      }
      value[i] = 0.0f;
    }
    return absl::OkStatus();
  }

 private:
  int point_;
};

struct ForcedResult {
  std::vector<std::pair<int16_t, uint32_t>> visits;
  std::vector<std::pair<int16_t, uint32_t>> target;
};

ForcedResult SearchWithForcedPlayouts(float k, bool noise) {
  SearchOptions options;
  options.forced_playouts = k;
  SearchTree tree(options, /*seed=*/3);
  tree.Reset(GameState(Rules{9, 5, Rule::kFreestyle}));
  PeakedEvaluator peaked(40);
  if (noise) tree.AddRootNoise();
  Search(&tree, &peaked, 400, 1);
  return {tree.RootVisits(), tree.PolicyTargetVisits()};
}

// Forced playouts apply to root children that have a visit (KataGo's rule): they move visits
// from the favourite to the others; the target takes the surplus back.
TEST(SearchTreeTest, ForcedPlayoutsSpreadRootVisitsAndThePolicyTargetPrunesThem) {
  const ForcedResult plain = SearchWithForcedPlayouts(0.0f, /*noise=*/true);
  const ForcedResult forced = SearchWithForcedPlayouts(2.0f, /*noise=*/true);
  EXPECT_EQ(plain.target, plain.visits);  // off: the target is the visits
  EXPECT_LT(VisitsOf(forced.visits, 40), VisitsOf(plain.visits, 40));
  EXPECT_EQ(SumVisits(forced.visits), 399);  // 400 playouts, the first expanded the root
  // The target: no more visits per move than searched, the best move untouched, forced-only
  // children (one visit left) gone, and some visits pruned.
  ASSERT_FALSE(forced.target.empty());
  EXPECT_LT(SumVisits(forced.target), SumVisits(forced.visits));
  EXPECT_LT(forced.target.size(), forced.visits.size());
  for (const auto& [move, n] : forced.target) {
    EXPECT_GT(n, 1u) << move;
    EXPECT_LE(n, VisitsOf(forced.visits, move)) << move;
  }
  EXPECT_EQ(VisitsOf(forced.target, 40), VisitsOf(forced.visits, 40));
  EXPECT_EQ(std::max_element(forced.visits.begin(), forced.visits.end(),
                             [](auto& a, auto& b) { return a.second < b.second; })
                ->first,
            40);
}

TEST(SearchTreeTest, ForcedPlayoutsNeedRootNoise) {
  // Without noise (evaluation, fast moves) the option changes nothing.
  const ForcedResult plain = SearchWithForcedPlayouts(0.0f, /*noise=*/false);
  const ForcedResult forced = SearchWithForcedPlayouts(2.0f, /*noise=*/false);
  EXPECT_EQ(forced.visits, plain.visits);
  EXPECT_EQ(forced.target, forced.visits);
}

}  // namespace
}  // namespace zf
