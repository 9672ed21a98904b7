#include "tools/play/rating.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace zf::play {
namespace {

constexpr double kZ95 = 1.959963984540054;  // two-sided 95% normal quantile
constexpr double kInf = std::numeric_limits<double>::infinity();

// Per-game score variance (see rating.h).
double ScoreVariance(const MatchScore& m) {
  const double n = static_cast<double>(m.games());
  if (n <= 0) return 0;
  const double s = m.score();
  return (m.wins * (1 - s) * (1 - s) + m.draws * (0.5 - s) * (0.5 - s) + m.losses * s * s) / n;
}

}  // namespace

double MatchScore::score() const {
  const int64_t n = games();
  return n > 0 ? (wins + 0.5 * draws) / static_cast<double>(n) : 0.5;
}

double EloFromScore(double score) {
  if (score <= 0) return -kInf;
  if (score >= 1) return kInf;
  return -400.0 * std::log10(1.0 / score - 1.0);
}

double ScoreFromElo(double elo) { return 1.0 / (1.0 + std::pow(10.0, -elo / 400.0)); }

EloEstimate EstimateElo(const MatchScore& m) {
  EloEstimate e;
  e.score = m.score();
  e.elo = EloFromScore(e.score);
  const double n = static_cast<double>(m.games());
  if (n <= 0) {
    e.elo_low = -kInf;
    e.elo_high = kInf;
    return e;
  }
  e.score_stderr = std::sqrt(ScoreVariance(m) / n);
  if (e.score_stderr > 0) {
    e.elo_low = EloFromScore(e.score - kZ95 * e.score_stderr);
    e.elo_high = EloFromScore(e.score + kZ95 * e.score_stderr);
  } else {
    // Wilson score interval: finite ends even for 100% or 0%.
    const double z2n = kZ95 * kZ95 / n;
    const double centre = e.score + z2n / 2;
    const double half = kZ95 * std::sqrt(e.score * (1 - e.score) / n + z2n / (4 * n));
    e.elo_low = EloFromScore((centre - half) / (1 + z2n));
    e.elo_high = EloFromScore((centre + half) / (1 + z2n));
  }
  const double decisive = static_cast<double>(m.wins + m.losses);
  if (decisive > 0) {
    e.los = 0.5 * (1 + std::erf((m.wins - m.losses) / std::sqrt(2 * decisive)));
  }
  return e;
}

absl::Status ValidateSprtOptions(const SprtOptions& o) {
  if (!(o.elo0 < o.elo1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("sprt_elo0 = ", o.elo0, " must be below sprt_elo1 = ", o.elo1));
  }
  if (!(o.alpha > 0 && o.alpha < 0.5)) {
    return absl::InvalidArgumentError(
        absl::StrCat("sprt_alpha = ", o.alpha, " out of range: (0, 0.5)"));
  }
  if (!(o.beta > 0 && o.beta < 0.5)) {
    return absl::InvalidArgumentError(
        absl::StrCat("sprt_beta = ", o.beta, " out of range: (0, 0.5)"));
  }
  return absl::OkStatus();
}

SprtStatus ComputeSprt(const MatchScore& m, const SprtOptions& o) {
  SprtStatus st;
  st.lower_bound = std::log(o.beta / (1 - o.alpha));
  st.upper_bound = std::log((1 - o.beta) / o.alpha);
  const double n = static_cast<double>(m.games());
  if (n <= 0) return st;
  const double variance = ScoreVariance(m);
  const double s = m.score();
  const double s0 = ScoreFromElo(o.elo0);
  const double s1 = ScoreFromElo(o.elo1);
  if (variance > 0) {
    st.llr = (s1 - s0) * (2 * s - s0 - s1) / (2 * variance / n);
  } else {
    // Every game had result s: the most likely distributions with mean s0 and s1 (rating.h).
    auto best_p = [s](double mean) {
      if (s == 1) return mean;
      if (s == 0) return 1 - mean;
      return 2 * std::min(mean, 1 - mean);
    };
    st.llr = n * std::log(best_p(s1) / best_p(s0));
  }
  if (st.llr >= st.upper_bound) {
    st.decision = SprtDecision::kAcceptH1;
  } else if (st.llr <= st.lower_bound) {
    st.decision = SprtDecision::kAcceptH0;
  }
  return st;
}

std::string FormatElo(double elo) {
  if (std::isinf(elo)) return elo > 0 ? "+inf" : "-inf";
  if (std::fabs(elo) < 0.05) return "+0.0";  // not "-0.0"
  return absl::StrFormat("%+.1f", elo);
}

const char* SprtDecisionName(SprtDecision decision) {
  switch (decision) {
    case SprtDecision::kAcceptH0:
      return "H0 accepted";
    case SprtDecision::kAcceptH1:
      return "H1 accepted";
    default:
      return "continue";
  }
}

}  // namespace zf::play
