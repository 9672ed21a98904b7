// Ratings from all games at once: a maximum-likelihood Bradley-Terry fit on the Elo scale (as
// BayesElo and Ordo do), anchored at one player. Implemented in elo_fit.cc. Thread-safe (pure
// functions).
//
// Model: P(i beats j) = 1 / (1 + 10^((r_j - r_i) / 400)); a draw counts half a win and half a
// loss. With x = r * ln(10) / 400 and p_ij = sigmoid(x_i - x_j), the log-likelihood
//   L = sum over pairs  s_ij log p_ij + (n_ij - s_ij) log(1 - p_ij)      (s = wins + draws/2)
// is concave; Newton's method with step halving finds its maximum, and the inverse of the
// negative Hessian (anchor fixed) gives each rating's variance: 95% = +- 1.96 sigma.
//
// Every pair that played also gets `prior_draws` virtual draws, which keeps all-win and
// all-loss records finite (BayesElo's prior). With prior_draws = 0 such a player's rating is
// +-infinity, its interval reaching to infinity on that side.
// Players not connected to the anchor by games have no rating (rated = false).
#ifndef ZEROFLEET_TOOLS_PLAY_ELO_FIT_H_
#define ZEROFLEET_TOOLS_PLAY_ELO_FIT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace zf::play {

// Games between two players, from player `a`'s point of view.
struct PairResult {
  std::string a;
  std::string b;
  double wins = 0;
  double draws = 0;
  double losses = 0;
};

struct EloFitOptions {
  std::string anchor;        // rated 0 (must have played)
  double prior_draws = 0.5;  // virtual draws per pair that played; >= 0
};

struct PlayerRating {
  std::string name;
  bool rated = false;  // connected to the anchor by games
  double elo = 0;      // +-inf possible only with prior_draws = 0
  double elo_low = 0;  // 95% interval
  double elo_high = 0;
  double games = 0;  // real games played (priors not counted)
};

// One entry per player named in `results`, in order of first appearance. Errors: no anchor,
// an anchor that never played, negative counts, a player against itself.
absl::StatusOr<std::vector<PlayerRating>> FitElo(const std::vector<PairResult>& results,
                                                 const EloFitOptions& options);

}  // namespace zf::play

#endif  // ZEROFLEET_TOOLS_PLAY_ELO_FIT_H_
