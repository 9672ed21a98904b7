#include "tools/play/elo_fit.h"

#include <cmath>

#include "gtest/gtest.h"

namespace zf::play {
namespace {

constexpr double kEloPerUnit = 400.0 / 2.302585092994046;

const PlayerRating& Find(const std::vector<PlayerRating>& fit, const std::string& name) {
  for (const PlayerRating& r : fit) {
    if (r.name == name) return r;
  }
  ADD_FAILURE() << "no player " << name;
  static PlayerRating none;
  return none;
}

EloFitOptions Anchor(const std::string& name, double prior = 0) {
  EloFitOptions o;
  o.anchor = name;
  o.prior_draws = prior;
  return o;
}

TEST(EloFitTest, TwoPlayersMatchTheClosedForm) {
  // 3 wins, 1 loss: p = 3/4, elo = 400 log10(3) = 190.85. Fisher information n p (1 - p) =
  // 0.75 per natural unit, so sigma = sqrt(1 / 0.75) units.
  auto fit = FitElo({{"a", "b", 3, 0, 1}}, Anchor("b"));
  ASSERT_TRUE(fit.ok()) << fit.status();
  const PlayerRating& a = Find(*fit, "a");
  EXPECT_NEAR(a.elo, 400 * std::log10(3.0), 1e-6);
  const double sigma = std::sqrt(1 / 0.75) * kEloPerUnit;
  EXPECT_NEAR(a.elo_low, a.elo - 1.959964 * sigma, 1e-4);
  EXPECT_NEAR(a.elo_high, a.elo + 1.959964 * sigma, 1e-4);
  EXPECT_EQ(a.games, 4);
  const PlayerRating& b = Find(*fit, "b");
  EXPECT_EQ(b.elo, 0);
  EXPECT_EQ(b.elo_low, 0);
  EXPECT_EQ(b.elo_high, 0);
}

TEST(EloFitTest, ThreePlayersChainThroughTheMiddle) {
  // a-b 3:1 and b-c 3:1 with no a-c games: each gap is 400 log10(3).
  const std::vector<PairResult> games = {{"a", "b", 3, 0, 1}, {"c", "b", 1, 0, 3}};
  auto fit = FitElo(games, Anchor("c"));
  ASSERT_TRUE(fit.ok()) << fit.status();
  EXPECT_NEAR(Find(*fit, "b").elo, 190.849, 1e-3);
  EXPECT_NEAR(Find(*fit, "a").elo, 381.697, 1e-3);
  // Farther from the anchor means a wider interval.
  EXPECT_GT(Find(*fit, "a").elo_high - Find(*fit, "a").elo_low,
            Find(*fit, "b").elo_high - Find(*fit, "b").elo_low);
}

TEST(EloFitTest, DrawsCountHalfAndOrderDoesNotMatter) {
  auto fit = FitElo({{"a", "b", 1, 2, 1}, {"b", "a", 2, 0, 2}}, Anchor("a"));
  ASSERT_TRUE(fit.ok());
  EXPECT_NEAR(Find(*fit, "b").elo, 0, 1e-9);
  // The same games written from either side give the same fit.
  auto one = FitElo({{"a", "b", 5, 1, 2}}, Anchor("b"));
  auto two = FitElo({{"b", "a", 2, 1, 5}}, Anchor("b"));
  ASSERT_TRUE(one.ok() && two.ok());
  EXPECT_NEAR(Find(*one, "a").elo, Find(*two, "a").elo, 1e-9);
  EXPECT_NEAR(Find(*one, "a").elo, 400 * std::log10(5.5 / 2.5), 1e-6);
}

TEST(EloFitTest, AllWinsAreInfiniteWithoutPriorAndFiniteWithIt) {
  auto bare = FitElo({{"a", "b", 5, 0, 0}}, Anchor("b"));
  ASSERT_TRUE(bare.ok());
  const PlayerRating& a = Find(*bare, "a");
  EXPECT_TRUE(std::isinf(a.elo) && a.elo > 0);
  EXPECT_FALSE(std::isnan(a.elo_low) || std::isnan(a.elo_high));
  auto lost = FitElo({{"a", "b", 0, 0, 5}}, Anchor("b"));
  ASSERT_TRUE(lost.ok());
  EXPECT_TRUE(std::isinf(Find(*lost, "a").elo) && Find(*lost, "a").elo < 0);
  // Half a virtual draw: 5.25 : 0.25, so 400 log10(21).
  auto prior = FitElo({{"a", "b", 5, 0, 0}}, Anchor("b", 0.5));
  ASSERT_TRUE(prior.ok());
  EXPECT_NEAR(Find(*prior, "a").elo, 400 * std::log10(21.0), 1e-6);
  EXPECT_TRUE(std::isfinite(Find(*prior, "a").elo_low));
  EXPECT_TRUE(std::isfinite(Find(*prior, "a").elo_high));
}

TEST(EloFitTest, PlayersWithoutAPathToTheAnchorAreUnrated) {
  auto fit = FitElo({{"a", "b", 2, 0, 1}, {"c", "d", 1, 0, 1}}, Anchor("a"));
  ASSERT_TRUE(fit.ok());
  EXPECT_TRUE(Find(*fit, "b").rated);
  EXPECT_FALSE(Find(*fit, "c").rated);
  EXPECT_FALSE(Find(*fit, "d").rated);
}

TEST(EloFitTest, BadInputIsAnError) {
  EXPECT_FALSE(FitElo({{"a", "b", 1, 0, 0}}, Anchor("z")).ok());   // anchor never played
  EXPECT_FALSE(FitElo({{"a", "a", 1, 0, 0}}, Anchor("a")).ok());   // against itself
  EXPECT_FALSE(FitElo({{"a", "b", -1, 0, 0}}, Anchor("a")).ok());  // negative count
  EXPECT_FALSE(FitElo({}, Anchor("a")).ok());
}

TEST(EloFitTest, ManyPlayersStayConsistent) {
  // A ladder where each player scores 75% against the next: gaps of 190.85 each.
  std::vector<PairResult> games;
  for (int i = 0; i < 20; ++i) {
    games.push_back({"p" + std::to_string(i + 1), "p" + std::to_string(i), 30, 0, 10});
  }
  auto fit = FitElo(games, Anchor("p0"));
  ASSERT_TRUE(fit.ok());
  EXPECT_NEAR(Find(*fit, "p20").elo, 20 * 400 * std::log10(3.0), 1e-3);
}

}  // namespace
}  // namespace zf::play
