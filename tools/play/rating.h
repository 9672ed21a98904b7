// Match statistics: Elo from a score with a 95% interval, likelihood of superiority, and the
// sequential probability ratio test (SPRT) that stops a match once it is decided.
// Implemented in rating.cc. Thread-safe (pure functions).
//
// Elo is the logistic scale: score s <-> elo = -400 * log10(1/s - 1) (75% = +190.8).
//
// The interval treats each game as one sample x in {1, 1/2, 0}:
//   s = (W + D/2) / N,   sigma^2 = (W (1-s)^2 + D (1/2-s)^2 + L s^2) / N,
//   score interval s +- 1.95996 * sigma / sqrt(N), mapped through the Elo formula.
//
// SPRT uses the GSPRT approximation of the trinomial log-likelihood ratio (Michel Van den
// Bergh's formula, as in fishtest and cutechess):
//   s0, s1 = scores of elo0, elo1;   LLR = (s1 - s0) * (2 s - s0 - s1) / (2 sigma^2 / N)
//   accept H1 (elo >= elo1) when LLR >= log((1 - beta) / alpha),
//   accept H0 (elo <= elo0) when LLR <= log(beta / (1 - alpha)), otherwise keep playing.
// With sigma^2 = 0 (every game the same result x) the approximation is undefined; there the
// exact GSPRT has a closed form: LLR = N log(p1 / p0), where p_i is the largest probability of
// result x that a distribution with mean score s_i allows (x = 1: s_i; x = 0: 1 - s_i;
// x = 1/2: 2 min(s_i, 1 - s_i)). So 23 straight wins accept elo1 = 50, while one does not.
//
// The Elo interval likewise collapses when sigma = 0; then the Wilson score interval of the
// score (binomial, N games) gives its ends.
#ifndef ZEROFLEET_TOOLS_PLAY_RATING_H_
#define ZEROFLEET_TOOLS_PLAY_RATING_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace zf::play {

// Results from the first player's point of view.
struct MatchScore {
  int64_t wins = 0;
  int64_t draws = 0;
  int64_t losses = 0;

  int64_t games() const { return wins + draws + losses; }
  // (W + D/2) / N; 0.5 for no games.
  double score() const;
};

// +-infinity at scores 1 and 0.
double EloFromScore(double score);
double ScoreFromElo(double elo);

struct EloEstimate {
  double score = 0.5;
  double elo = 0;
  // 95% interval; infinite ends where the score interval reaches 0 or 1.
  double elo_low = 0;
  double elo_high = 0;
  double score_stderr = 0;  // sigma / sqrt(N)
  // Likelihood of superiority: P(first player is stronger), from wins and losses only.
  double los = 0.5;
};

EloEstimate EstimateElo(const MatchScore& score);

struct SprtOptions {
  double elo0 = 0;      // H0: the elo difference is at most elo0
  double elo1 = 10;     // H1: at least elo1
  double alpha = 0.05;  // false positive rate (accepting H1 when H0 holds)
  double beta = 0.05;   // false negative rate
};

// elo0 < elo1, 0 < alpha, beta < 0.5; the error names the flag-like field.
absl::Status ValidateSprtOptions(const SprtOptions& options);

enum class SprtDecision { kContinue, kAcceptH0, kAcceptH1 };

struct SprtStatus {
  double llr = 0;
  double lower_bound = 0;  // log(beta / (1 - alpha))
  double upper_bound = 0;  // log((1 - beta) / alpha)
  SprtDecision decision = SprtDecision::kContinue;
};

SprtStatus ComputeSprt(const MatchScore& score, const SprtOptions& options);

// "+190.8", "-3.0"; "+inf" / "-inf" for infinite values.
std::string FormatElo(double elo);
// "H0 accepted", "H1 accepted", "continue".
const char* SprtDecisionName(SprtDecision decision);

}  // namespace zf::play

#endif  // ZEROFLEET_TOOLS_PLAY_RATING_H_
