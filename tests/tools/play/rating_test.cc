#include "tools/play/rating.h"

#include <cmath>

#include "gtest/gtest.h"

namespace zf::play {
namespace {

TEST(EloTest, KnownScores) {
  EXPECT_NEAR(EloFromScore(0.75), 190.85, 0.01);  // -400 log10(1/3)
  EXPECT_NEAR(EloFromScore(0.25), -190.85, 0.01);
  EXPECT_DOUBLE_EQ(EloFromScore(0.5), 0.0);
  EXPECT_NEAR(EloFromScore(10.0 / 11.0), 400.0, 1e-9);  // 10:1 odds = 400 Elo
  EXPECT_TRUE(std::isinf(EloFromScore(1.0)) && EloFromScore(1.0) > 0);
  EXPECT_TRUE(std::isinf(EloFromScore(0.0)) && EloFromScore(0.0) < 0);
}

TEST(EloTest, ScoreFromEloInvertsEloFromScore) {
  for (double s : {0.01, 0.2, 0.5, 0.64, 0.99})
    EXPECT_NEAR(ScoreFromElo(EloFromScore(s)), s, 1e-12);
  EXPECT_NEAR(ScoreFromElo(10), 0.514387, 1e-6);
}

TEST(EloTest, IntervalFor75PercentWithoutDraws) {
  // s = 0.75, sigma^2 = 0.75 * 0.25, stderr = sqrt(0.1875 / 100) = 0.0433013;
  // s +- 1.96 stderr = [0.66513, 0.83487] -> Elo [+119.2, +281.5].
  const EloEstimate e = EstimateElo({75, 0, 25});
  EXPECT_DOUBLE_EQ(e.score, 0.75);
  EXPECT_NEAR(e.elo, 190.85, 0.01);
  EXPECT_NEAR(e.score_stderr, 0.0433013, 1e-6);
  EXPECT_NEAR(e.elo_low, 119.21, 0.01);
  EXPECT_NEAR(e.elo_high, 281.52, 0.01);
  EXPECT_NEAR(e.los, 0.9999997, 1e-6);
}

TEST(EloTest, EvenMatchWithDrawsIsSymmetric) {
  // 30/40/30: sigma^2 = (30 * 0.25 + 30 * 0.25) / 100 = 0.15, stderr = 0.0387298.
  const EloEstimate e = EstimateElo({30, 40, 30});
  EXPECT_DOUBLE_EQ(e.elo, 0.0);
  EXPECT_NEAR(e.score_stderr, 0.0387298, 1e-6);
  EXPECT_NEAR(e.elo_low, -53.16, 0.01);
  EXPECT_NEAR(e.elo_high, 53.16, 0.01);
  EXPECT_DOUBLE_EQ(e.los, 0.5);
}

TEST(EloTest, DrawsNarrowTheInterval) {
  const EloEstimate decisive = EstimateElo({50, 0, 50});
  const EloEstimate drawish = EstimateElo({10, 80, 10});
  EXPECT_LT(drawish.elo_high - drawish.elo_low, decisive.elo_high - decisive.elo_low);
}

TEST(EloTest, AllWinsUseTheWilsonInterval) {
  // sigma = 0: Wilson's lower end for 20/20 is 0.838875 -> +286.6 Elo.
  const EloEstimate e = EstimateElo({20, 0, 0});
  EXPECT_TRUE(std::isinf(e.elo));
  EXPECT_NEAR(e.elo_low, 286.61, 0.01);
  EXPECT_TRUE(std::isinf(e.elo_high));
  EXPECT_EQ(FormatElo(e.elo), "+inf");
  EXPECT_EQ(FormatElo(-12.345), "-12.3");
  EXPECT_EQ(FormatElo(-1e-12), "+0.0");
}

TEST(EloTest, NoGames) {
  const EloEstimate e = EstimateElo({});
  EXPECT_DOUBLE_EQ(e.score, 0.5);
  EXPECT_TRUE(std::isinf(e.elo_low) && std::isinf(e.elo_high));
}

TEST(SprtTest, HandComputedCase) {
  // W/D/L 60/20/20: s = 0.7, E[x^2] = (60 + 20/4) / 100 = 0.65, sigma^2 = 0.65 - 0.49 = 0.16.
  // s0 = 0.5, s1 = 1 / (1 + 10^(-10/400)) = 0.5143868.
  // LLR = (s1 - s0)(2s - s0 - s1) / (2 sigma^2 / N) = 0.0143868 * 0.3856132 / 0.0032 = 1.73371.
  // Bounds for alpha = beta = 0.05: log(0.05/0.95) = -2.94444, log(0.95/0.05) = +2.94444.
  const SprtStatus st = ComputeSprt({60, 20, 20}, SprtOptions{0, 10, 0.05, 0.05});
  EXPECT_NEAR(st.llr, 1.73371, 1e-4);
  EXPECT_NEAR(st.lower_bound, -2.94444, 1e-4);
  EXPECT_NEAR(st.upper_bound, 2.94444, 1e-4);
  EXPECT_EQ(st.decision, SprtDecision::kContinue);
}

TEST(SprtTest, LlrGrowsWithGamesAndDecides) {
  // The same proportions twice over: the LLR doubles (3.4674) and crosses the upper bound.
  const SprtStatus h1 = ComputeSprt({120, 40, 40}, SprtOptions{0, 10, 0.05, 0.05});
  EXPECT_NEAR(h1.llr, 2 * 1.73371, 2e-4);
  EXPECT_EQ(h1.decision, SprtDecision::kAcceptH1);
  // Mirror image: 20/20/60 gives s = 0.3, LLR = 0.0143868 * (0.6 - 1.0143868) / 0.0032.
  const SprtStatus h0 = ComputeSprt({40, 40, 120}, SprtOptions{0, 10, 0.05, 0.05});
  EXPECT_NEAR(h0.llr, 2 * -1.86308, 2e-4);
  EXPECT_EQ(h0.decision, SprtDecision::kAcceptH0);
}

TEST(SprtTest, IdenticalResultsUseTheExactGsprt) {
  // No variance: the approximation is undefined; the exact GSPRT gives N log(p1 / p0).
  // 10 wins, elo1 = 50: 10 * log(0.571463 / 0.5) = 1.33592; 23 wins cross 2.944, 22 do not.
  const SprtOptions o{0, 50, 0.05, 0.05};
  EXPECT_NEAR(ComputeSprt({10, 0, 0}, o).llr, 1.33592, 1e-4);
  EXPECT_EQ(ComputeSprt({22, 0, 0}, o).decision, SprtDecision::kContinue);
  EXPECT_EQ(ComputeSprt({23, 0, 0}, o).decision, SprtDecision::kAcceptH1);
  // All losses speak for H0; all draws too (a draw is likelier with s = 0.5 than 0.5714).
  EXPECT_NEAR(ComputeSprt({0, 0, 10}, o).llr, 10 * std::log((1 - 0.571463) / 0.5), 1e-4);
  EXPECT_NEAR(ComputeSprt({0, 7, 0}, SprtOptions{0, 10, 0.05, 0.05}).llr,
              7 * std::log(2 * (1 - ScoreFromElo(10))), 1e-9);
  EXPECT_EQ(ComputeSprt({}, o).llr, 0);
  EXPECT_EQ(ComputeSprt({}, o).decision, SprtDecision::kContinue);
}

TEST(SprtTest, ValidatesOptions) {
  EXPECT_TRUE(ValidateSprtOptions(SprtOptions{0, 5, 0.05, 0.05}).ok());
  EXPECT_FALSE(ValidateSprtOptions(SprtOptions{5, 5, 0.05, 0.05}).ok());
  EXPECT_FALSE(ValidateSprtOptions(SprtOptions{0, 5, 0.0, 0.05}).ok());
  EXPECT_FALSE(ValidateSprtOptions(SprtOptions{0, 5, 0.05, 0.6}).ok());
  EXPECT_NE(ValidateSprtOptions(SprtOptions{3, 1, 0.05, 0.05}).message().find("sprt_elo0"),
            std::string::npos);
}

}  // namespace
}  // namespace zf::play
