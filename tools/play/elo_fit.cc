#include "tools/play/elo_fit.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace zf::play {
namespace {

constexpr double kEloPerUnit = 400.0 / 2.302585092994046;  // 400 / ln(10)
constexpr double kZ95 = 1.959964;
// |x| is kept below this (10000 Elo from the anchor).
constexpr double kMaxUnits = 10000.0 / kEloPerUnit;
// Without a prior, a player whose record cannot be matched by any finite rating (all wins
// against its opponents) drifts away; past this distance (~4300 Elo) it is called unbounded.
constexpr double kUnboundedUnits = 25.0;

struct Pair {
  int i, j;
  double n;  // games, priors included
  double s;  // i's score
};

double Sigmoid(double d) { return 1.0 / (1.0 + std::exp(-d)); }

double LogLikelihood(const std::vector<Pair>& pairs, const std::vector<double>& x) {
  double ll = 0;
  for (const Pair& p : pairs) {
    const double d = x[p.i] - x[p.j];
    // log sigmoid(d) = -log(1 + e^-d), computed stably.
    auto log_sig = [](double v) {
      return v > 0 ? -std::log1p(std::exp(-v)) : v - std::log1p(std::exp(v));
    };
    ll += p.s * log_sig(d) + (p.n - p.s) * log_sig(-d);
  }
  return ll;
}

// Solves a * out = b (dense, partial pivoting); a is n x n row-major and is overwritten.
std::vector<double> Solve(std::vector<double> a, std::vector<double> b, int n) {
  for (int c = 0; c < n; ++c) {
    int pivot = c;
    for (int r = c + 1; r < n; ++r) {
      if (std::abs(a[r * n + c]) > std::abs(a[pivot * n + c])) pivot = r;
    }
    if (pivot != c) {
      for (int k = 0; k < n; ++k) std::swap(a[c * n + k], a[pivot * n + k]);
      std::swap(b[c], b[pivot]);
    }
    const double diag = a[c * n + c];
    if (std::abs(diag) < 1e-300) continue;  // singular direction: leave it alone
    for (int r = c + 1; r < n; ++r) {
      const double f = a[r * n + c] / diag;
      if (f == 0) continue;
      for (int k = c; k < n; ++k) a[r * n + k] -= f * a[c * n + k];
      b[r] -= f * b[c];
    }
  }
  std::vector<double> out(n, 0.0);
  for (int r = n - 1; r >= 0; --r) {
    double v = b[r];
    for (int k = r + 1; k < n; ++k) v -= a[r * n + k] * out[k];
    const double diag = a[r * n + r];
    out[r] = std::abs(diag) < 1e-300 ? 0.0 : v / diag;
  }
  return out;
}

// The diagonal of a^-1 (a symmetric positive definite, m x m), by Gauss-Jordan: O(m^3) once.
std::vector<double> InverseDiagonal(std::vector<double> a, int m) {
  std::vector<double> inv(static_cast<size_t>(m) * m, 0.0);
  for (int k = 0; k < m; ++k) inv[k * m + k] = 1;
  for (int c = 0; c < m; ++c) {
    const double diag = a[c * m + c];
    if (std::abs(diag) < 1e-300) continue;
    for (int k = 0; k < m; ++k) {
      a[c * m + k] /= diag;
      inv[c * m + k] /= diag;
    }
    for (int r = 0; r < m; ++r) {
      const double f = a[r * m + c];
      if (r == c || f == 0) continue;
      for (int k = 0; k < m; ++k) {
        a[r * m + k] -= f * a[c * m + k];
        inv[r * m + k] -= f * inv[c * m + k];
      }
    }
  }
  std::vector<double> out(m);
  for (int k = 0; k < m; ++k) out[k] = inv[k * m + k];
  return out;
}

// The negative Hessian and the gradient of the log-likelihood over the free players
// (free[i] = row index, or -1 for the anchor).
void Derivatives(const std::vector<Pair>& pairs, const std::vector<double>& x,
                 const std::vector<int>& free, int m, std::vector<double>* hess,
                 std::vector<double>* grad) {
  hess->assign(static_cast<size_t>(m) * m, 0.0);
  grad->assign(m, 0.0);
  for (const Pair& p : pairs) {
    const double prob = Sigmoid(x[p.i] - x[p.j]);
    const double g = p.s - p.n * prob;
    const double h = p.n * prob * (1 - prob);
    const int a = free[p.i], b = free[p.j];
    if (a >= 0) {
      (*grad)[a] += g;
      (*hess)[a * m + a] += h;
    }
    if (b >= 0) {
      (*grad)[b] -= g;
      (*hess)[b * m + b] += h;
    }
    if (a >= 0 && b >= 0) {
      (*hess)[a * m + b] -= h;
      (*hess)[b * m + a] -= h;
    }
  }
}

// Players reachable from `anchor` through games.
std::vector<bool> Connected(int players, int anchor, const std::vector<Pair>& pairs) {
  std::vector<bool> seen(players, false);
  seen[anchor] = true;
  for (bool grew = true; grew;) {
    grew = false;
    for (const Pair& p : pairs) {
      if (seen[p.i] != seen[p.j]) {
        seen[p.i] = seen[p.j] = true;
        grew = true;
      }
    }
  }
  return seen;
}

}  // namespace

absl::StatusOr<std::vector<PlayerRating>> FitElo(const std::vector<PairResult>& results,
                                                 const EloFitOptions& options) {
  if (!(options.prior_draws >= 0)) return absl::InvalidArgumentError("prior_draws must be >= 0");
  // 1. Players in order of appearance; games per unordered pair.
  std::vector<PlayerRating> out;
  absl::flat_hash_map<std::string, int> index;
  auto id = [&](const std::string& name) {
    auto [it, added] = index.emplace(name, static_cast<int>(out.size()));
    if (added) out.push_back(PlayerRating{name});
    return it->second;
  };
  std::map<std::pair<int, int>, std::pair<double, double>> games;  // (n, score of first)
  for (const PairResult& r : results) {
    if (r.a == r.b) return absl::InvalidArgumentError(absl::StrCat(r.a, " played itself"));
    if (!(r.wins >= 0 && r.draws >= 0 && r.losses >= 0)) {
      return absl::InvalidArgumentError(absl::StrCat(r.a, " vs ", r.b, ": negative count"));
    }
    int i = id(r.a), j = id(r.b);
    double w = r.wins, l = r.losses;
    if (i > j) {
      std::swap(i, j);
      std::swap(w, l);
    }
    const double n = w + r.draws + l;
    auto& g = games[{i, j}];
    g.first += n;
    g.second += w + 0.5 * r.draws;
    out[i].games += n;
    out[j].games += n;
  }
  auto anchor_it = index.find(options.anchor);
  if (anchor_it == index.end()) {
    return absl::InvalidArgumentError(absl::StrCat("anchor '", options.anchor, "' has no games"));
  }
  const int anchor = anchor_it->second;
  std::vector<Pair> pairs;
  for (const auto& [ij, g] : games) {
    if (g.first <= 0) continue;
    pairs.push_back(
        {ij.first, ij.second, g.first + options.prior_draws, g.second + 0.5 * options.prior_draws});
  }
  const int n = static_cast<int>(out.size());
  const std::vector<bool> connected = Connected(n, anchor, pairs);
  std::vector<int> free(n, -1);
  int m = 0;
  for (int i = 0; i < n; ++i) {
    if (connected[i] && i != anchor) free[i] = m++;
  }
  std::vector<Pair> used;
  for (const Pair& p : pairs) {
    if (connected[p.i]) used.push_back(p);
  }

  // 2. Newton's method with step halving; x is clamped to +-kMaxUnits.
  std::vector<double> x(n, 0.0), hess, grad;
  double ll = LogLikelihood(used, x);
  for (int iter = 0; iter < 200 && m > 0; ++iter) {
    Derivatives(used, x, free, m, &hess, &grad);
    for (int k = 0; k < m; ++k) hess[k * m + k] += 1e-12;
    const std::vector<double> step = Solve(hess, grad, m);
    double t = 1, biggest = 0;
    std::vector<double> next;
    for (; t > 1e-6; t *= 0.5) {
      next = x;
      biggest = 0;
      for (int i = 0; i < n; ++i) {
        if (free[i] < 0) continue;
        next[i] = std::clamp(x[i] + t * step[free[i]], -kMaxUnits, kMaxUnits);
        biggest = std::max(biggest, std::abs(next[i] - x[i]));
      }
      const double next_ll = LogLikelihood(used, next);
      if (next_ll >= ll - 1e-12) {
        ll = next_ll;
        break;
      }
    }
    x = next;
    if (biggest < 1e-9) break;
  }

  // 3. Intervals from the inverse of the negative Hessian at the optimum.
  Derivatives(used, x, free, m, &hess, &grad);
  for (int k = 0; k < m; ++k) hess[k * m + k] += 1e-12;
  const std::vector<double> variance = InverseDiagonal(hess, m);
  const double inf = std::numeric_limits<double>::infinity();
  for (int i = 0; i < n; ++i) {
    PlayerRating& r = out[i];
    r.rated = connected[i];
    if (!r.rated) continue;
    if (i == anchor) continue;  // 0 +- 0 by definition
    if (options.prior_draws == 0 && std::abs(x[i]) >= kUnboundedUnits) {
      r.elo = r.elo_low = r.elo_high = x[i] > 0 ? inf : -inf;
      continue;
    }
    const double sigma = std::sqrt(std::max(variance[free[i]], 0.0)) * kEloPerUnit;
    r.elo = x[i] * kEloPerUnit;
    r.elo_low = r.elo - kZ95 * sigma;
    r.elo_high = r.elo + kZ95 * sigma;
  }
  return out;
}

}  // namespace zf::play
